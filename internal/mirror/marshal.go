package mirror

import (
	"io"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/protobuf/proto"

	"github.com/devenv-facade/devenv-facade/internal/reqcheck"
	"github.com/devenv-facade/devenv-facade/internal/vendorjson"
)

// vendorMarshaler writes answers as ModelArts does (package vendorjson:
// the fields ModelArts sent, 64-bit numbers as JSON numbers) and reads
// requests as grpc-gateway's JSONPb does, ignoring unknown fields and
// accepting explicit nulls, as the vendor's clients send them, after check
// ([vendorMarshaler.NewDecoder]).
type vendorMarshaler struct {
	runtime.JSONPb
	check *reqcheck.Checker
}

// Marshal writes v, a proto message, in the vendor's JSON.
func (m *vendorMarshaler) Marshal(v any) ([]byte, error) {
	if msg, ok := v.(proto.Message); ok {
		return vendorjson.Marshal(msg)
	}
	return m.JSONPb.Marshal(v)
}

// NewEncoder returns an encoder that writes like Marshal.
func (m *vendorMarshaler) NewEncoder(w io.Writer) runtime.Encoder {
	return runtime.EncoderFunc(func(v any) error {
		b, err := m.Marshal(v)
		if err != nil {
			return err
		}
		_, err = w.Write(b)
		return err
	})
}
