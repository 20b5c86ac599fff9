package mirror

import (
	"encoding/json"
	"io"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/protobuf/proto"

	"github.com/devenv-facade/devenv-facade/internal/reqcheck"
)

// WithRequestCheck checks request bodies with c before they are decoded
// (package reqcheck): a body over the API's bounds, or with invalid UTF-8,
// is decoded without what is over a bound and with U+FFFD, and c keeps
// what was found for the call's pipeline, which answers it after
// authorization (the pipeline's interceptor must include
// c.UnaryInterceptor). Without it, such a body is refused at once.
func WithRequestCheck(c *reqcheck.Checker) Option {
	return func(cfg *config) { cfg.check = c }
}

// NewDecoder returns a decoder that reads a request body as JSONPb does
// (the first JSON value; unknown fields ignored, explicit nulls accepted),
// checked by m.check first.
func (m *vendorMarshaler) NewDecoder(r io.Reader) runtime.Decoder {
	d := json.NewDecoder(r)
	return runtime.DecoderFunc(func(v any) error {
		msg, ok := v.(proto.Message)
		if !ok {
			return runtime.DecoderWrapper{Decoder: d, UnmarshalOptions: m.UnmarshalOptions}.Decode(v)
		}
		var raw json.RawMessage
		if err := d.Decode(&raw); err != nil {
			return err
		}
		return m.check.DecodeJSON(raw, msg, m.UnmarshalOptions)
	})
}
