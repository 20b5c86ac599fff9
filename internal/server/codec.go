package server

import (
	"strings"
	"sync"
	"unicode/utf8"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/encoding/proto"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protowire"
	protov2 "google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/devenv-facade/devenv-facade/internal/apierror"
)

// apiPackage is the proto package whose requests the codec decodes
// leniently.
const apiPackage = "modelarts.devenv.v1"

// codec is grpc-go's proto codec, except for one case: a request of the
// API whose string fields hold invalid UTF-8. The proto runtime refuses to
// decode it, and grpc-go answers that refusal with INTERNAL before any
// interceptor runs, so the caller learns nothing useful and the call is not
// logged. This codec instead decodes such a request with the bad bytes
// replaced by U+FFFD and records which fields they were in; the call
// pipeline then answers INVALID_ARGUMENT with a field violation for each
// ([codec.invalidFields]). Requests of other services (health, reflection)
// are decoded as grpc-go does.
type codec struct {
	base encoding.CodecV2
	// invalid maps a decoded request (its pointer) to the fields that held
	// invalid UTF-8, until the call pipeline takes the entry.
	invalid sync.Map
}

func newCodec() *codec {
	return &codec{base: encoding.GetCodecV2(proto.Name)}
}

// Name is the codec's content subtype, the proto codec's.
func (c *codec) Name() string { return proto.Name }

// Marshal encodes as the proto codec does.
func (c *codec) Marshal(v any) (mem.BufferSlice, error) { return c.base.Marshal(v) }

// Unmarshal decodes as the proto codec does, but see [codec].
func (c *codec) Unmarshal(data mem.BufferSlice, v any) error {
	err := c.base.Unmarshal(data, v)
	if err == nil || !isInvalidUTF8(err) {
		return err
	}
	m, ok := v.(protov2.Message)
	if !ok || m.ProtoReflect().Descriptor().ParentFile().Package() != apiPackage {
		return err
	}
	var fields []string
	fixed := sanitizeUTF8(data.Materialize(), m.ProtoReflect().Descriptor(), "", &fields)
	if uerr := protov2.Unmarshal(fixed, m); uerr != nil || len(fields) == 0 {
		return err
	}
	c.invalid.Store(m, fields)
	return nil
}

// invalidFields returns, once, the fields of req that held invalid UTF-8.
func (c *codec) invalidFields(req any) []string {
	if m, ok := req.(protov2.Message); ok {
		if f, ok := c.invalid.LoadAndDelete(m); ok {
			return f.([]string)
		}
	}
	return nil
}

// isInvalidUTF8 reports whether err is the proto runtime's refusal of a
// string field with invalid UTF-8. The runtime exports no error value for
// it, so its message is matched: "string field contains invalid UTF-8"
// (errInvalidUTF8 in
// https://github.com/protocolbuffers/protobuf-go/blob/master/internal/impl/codec_field.go).
func isInvalidUTF8(err error) bool {
	return strings.Contains(err.Error(), "invalid UTF-8")
}

// sanitizeUTF8 returns the wire-format message b with invalid UTF-8 in
// string fields replaced by U+FFFD, appending the path of each such field
// to fields. Nested messages are walked; anything it cannot parse is kept
// as is (the decoder then reports it).
func sanitizeUTF8(b []byte, md protoreflect.MessageDescriptor, prefix string, fields *[]string) []byte {
	out := make([]byte, 0, len(b))
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return append(out, b...)
		}
		fd := md.Fields().ByNumber(num)
		if typ != protowire.BytesType || fd == nil {
			m := protowire.ConsumeFieldValue(num, typ, b[n:])
			if m < 0 {
				return append(out, b...)
			}
			out = append(out, b[:n+m]...)
			b = b[n+m:]
			continue
		}
		v, m := protowire.ConsumeBytes(b[n:])
		if m < 0 {
			return append(out, b...)
		}
		path := prefix + string(fd.Name())
		switch {
		case fd.Kind() == protoreflect.StringKind && !utf8.Valid(v):
			*fields = append(*fields, path)
			v = []byte(strings.ToValidUTF8(string(v), "\uFFFD"))
		case fd.Kind() == protoreflect.MessageKind: // map entries too
			v = sanitizeUTF8(v, fd.Message(), path+".", fields)
		}
		out = protowire.AppendTag(out, num, typ)
		out = protowire.AppendBytes(out, v)
		b = b[n+m:]
	}
	return out
}

// invalidUTF8 is the INVALID_ARGUMENT error for a request whose fields held
// invalid UTF-8, with a field violation for each.
func invalidUTF8(requestID string, fields []string) error {
	vs := make([]*errdetails.BadRequest_FieldViolation, 0, len(fields))
	for _, f := range fields {
		vs = append(vs, apierror.Violation(f, apierror.ViolationMalformed, f+" is not valid UTF-8"))
	}
	return apierror.InvalidArgument(requestID, vs...)
}
