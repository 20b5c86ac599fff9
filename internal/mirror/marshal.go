package mirror

import (
	"context"
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

// Marshal writes v, a proto message or an answer of [asModelArtsSent], in
// the vendor's JSON; and a line of a streaming answer in newline-delimited
// JSON (grpc-gateway's {"result": event}, the event in the vendor's JSON,
// or {"error": status}).
func (m *vendorMarshaler) Marshal(v any) ([]byte, error) {
	switch v := v.(type) {
	case *answer:
		return vendorjson.MarshalWith(v.msg, v.originals)
	case answer:
		return vendorjson.MarshalWith(v.msg, v.originals)
	case proto.Message:
		return vendorjson.Marshal(v)
	case map[string]any:
		if a, ok := v["result"].(answer); ok && len(v) == 1 {
			return streamResult(a)
		}
	}
	return m.JSONPb.Marshal(v)
}

// streamResult writes {"result": event} for a line of a streaming answer
// (one line: see [eventData]), and forgets what the call's Originals kept of the event once written:
// a stream's Originals would otherwise grow with every event.
func streamResult(a answer) ([]byte, error) {
	b, err := eventData(a.msg, a.originals)
	dropEvent(a.originals, a.msg)
	if err != nil {
		return nil, err
	}
	return append(append(append(make([]byte, 0, len(b)+11), `{"result":`...), b...), '}'), nil
}

// answer is a call's answer (the part of the response the HTTP rule
// answers) with what the service kept of ModelArts' JSON.
type answer struct {
	msg       proto.Message
	originals *vendorjson.Originals
}

// asModelArtsSent is the mux's response rewriter: it pairs the answer
// with the call's vendorjson.Originals, so that what the service read from
// ModelArts' JSON is written as ModelArts sent it (its nulls, the fields
// the API does not declare), less the secrets the service removed. The
// pair of a REST request's unary call is the request's own
// ([restCall].answer), given as a pointer, which boxes nothing; a
// stream's events, and answers outside a REST request, are pairs of their
// own.
func asModelArtsSent(ctx context.Context, resp proto.Message) (any, error) {
	var msg any = resp
	if rb, ok := resp.(interface{ XXX_ResponseBody() any }); ok {
		msg = rb.XXX_ResponseBody() // the rule's response_body: the instance
	}
	m, ok := msg.(proto.Message)
	if !ok {
		return msg, nil
	}
	if c, ok := ctx.Value(restCallKey{}).(*restCall); ok && c.inTaken.Load() && c.answered.CompareAndSwap(false, true) {
		// The answer of the request's unary call (a stream's events are
		// answers of their own), given as a pointer: no allocation.
		c.answer = answer{msg: m, originals: &c.originals}
		return &c.answer, nil
	}
	return answer{msg: m, originals: vendorjson.OriginalsFrom(ctx)}, nil
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
