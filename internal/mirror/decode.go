package mirror

import (
	"encoding/json"
	"io"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/protobuf/proto"

	"github.com/devenv-facade/devenv-facade/internal/reqcheck"
)

// WithRequestCheck checks request bodies with c before they are decoded
// (package reqcheck): of a body over the API's bounds, or with invalid
// UTF-8, nothing is decoded (the request's IDs come from the path), and c
// keeps what was found for the call's pipeline, which answers it after
// authorization (the pipeline's interceptor must include
// c.UnaryInterceptor). Without it, such a body is refused at once.
func WithRequestCheck(c *reqcheck.Checker) Option {
	return func(cfg *config) { cfg.check = c }
}

// NewDecoder returns a decoder that reads a request body as JSONPb does
// (the first JSON value; unknown fields ignored, explicit nulls accepted),
// checked by m.check first. A body it cannot read (empty, not JSON, a
// value of the wrong type, too large) fails with a *readError, which it
// also records in the request's body (r, a *requestBody) for writeError.
func (m *vendorMarshaler) NewDecoder(r io.Reader) runtime.Decoder {
	d := json.NewDecoder(r)
	body, _ := r.(*requestBody)
	return runtime.DecoderFunc(func(v any) error {
		msg, ok := v.(proto.Message)
		if !ok {
			return runtime.DecoderWrapper{Decoder: d, UnmarshalOptions: m.UnmarshalOptions}.Decode(v)
		}
		var raw json.RawMessage
		err := d.Decode(&raw)
		if err == nil {
			err = m.check.DecodeJSON(raw, msg, m.UnmarshalOptions)
		}
		if err == nil {
			return nil
		}
		var limit int64
		if body != nil {
			limit = body.limit
		}
		e := bodyError(err, raw, msg.ProtoReflect().Descriptor(), limit)
		if body != nil {
			body.failure = e
		}
		return e
	})
}
