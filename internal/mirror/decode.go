package mirror

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"reflect"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/protobuf/proto"
)

// NewDecoder returns a decoder that reads a request body as JSONPb does
// (the first JSON value; unknown fields ignored, explicit nulls accepted),
// checked by m.check first. A body it cannot read (empty, not JSON, a
// value of the wrong type) is described by a *readError, which m.check
// holds for the call, to be answered after authorization, the message
// left empty (its IDs come from the path). Without m.check, and for a body
// over the size limit (the transport's bound, answered at once whoever
// sends it, as for a declared length over it), the decoder fails with the
// *readError, which it also records in the request's body (r, a
// *requestBody) for writeError.
func (m *vendorMarshaler) NewDecoder(r io.Reader) runtime.Decoder {
	d := json.NewDecoder(r)
	body, _ := r.(*requestBody)
	return runtime.DecoderFunc(func(v any) error {
		msg, ok := v.(proto.Message)
		field := !ok && isBodyField(v)
		if !ok && !field {
			return runtime.DecoderWrapper{Decoder: d, UnmarshalOptions: m.UnmarshalOptions}.Decode(v)
		}
		var raw json.RawMessage
		if body != nil {
			body.decoding = true
		}
		err := d.Decode(&raw)
		if body != nil {
			body.decoding = false
		}
		if field {
			if errors.Is(err, io.EOF) {
				return err // no body: the field stays unset, as grpc-gateway leaves it
			}
			msg = setBodyField(v)
		}
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
		if m.check != nil && e.httpStatus != http.StatusRequestEntityTooLarge {
			// Nothing of the body is decoded.
			proto.Reset(msg)
			return m.check.Hold(msg, e)
		}
		if body != nil {
			body.failure = e
		}
		return e
	})
}

// isBodyField reports whether v is what grpc-gateway hands the decoder for
// a rule whose body is one field (body: "lease"): the field's address, a
// pointer to a message pointer.
func isBodyField(v any) bool {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() || rv.Elem().Kind() != reflect.Pointer {
		return false
	}
	_, ok := reflect.Zero(rv.Elem().Type()).Interface().(proto.Message)
	return ok
}

// setBodyField sets the field v points to (isBodyField) to a new message
// if it is nil, and returns the message.
func setBodyField(v any) proto.Message {
	field := reflect.ValueOf(v).Elem()
	if field.IsNil() {
		field.Set(reflect.New(field.Type().Elem()))
	}
	return field.Interface().(proto.Message)
}

// Read reads the body while the mirror's decoder reads it, and otherwise
// reports its end. grpc-gateway's handlers read what is left of a
// body after decoding it (and all of a body a route does not take, a GET's
// say) before the call; the mirror leaves it unread instead, as the call
// does not need it: the call starts without waiting for it, and net/http
// discards a little of it after the answer, or closes the connection.
func (b *requestBody) Read(p []byte) (int, error) {
	if !b.decoding {
		return 0, io.EOF
	}
	return b.ReadCloser.Read(p)
}
