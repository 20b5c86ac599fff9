package mirror

import (
	"context"
	"net/http/httptrace"
	"testing"

	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/protobuf/proto"

	devenvv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/devenv/v1"
	"github.com/devenv-facade/devenv-facade/internal/callctx"
	"github.com/devenv-facade/devenv-facade/internal/reqcheck"
	"github.com/devenv-facade/devenv-facade/internal/vendorjson"
)

// TestRestCall_holdsItsCall: the one call a REST request makes gets, in
// the request's restCall, its callctx.Call (callctx.Begin adds no context
// layer), the context of its in-process call, and its answer for the
// marshaler; a second of each (which no REST request makes) gets one of
// its own, and reads the same as the first.
func TestRestCall_holdsItsCall(t *testing.T) {
	t.Parallel()
	c := &restCall{Context: context.Background()}
	c.peer.Addr = &c.addr
	// The gateway's layers above the request's context.
	gateway := metadata.NewOutgoingContext(c.withValues(), metadata.Pairs("k", "v"))

	in, ic := newInCall(gateway, "/s/m")
	if ic != &c.in {
		t.Error("the first in-process call's context is not the request's")
	}
	ctx, call := callctx.Begin(in, "rid-1")
	if ctx != in {
		t.Error("callctx.Begin added a context layer to a REST call")
	}
	if callctx.FromContext(ctx) != call || callctx.RequestID(ctx) != "rid-1" {
		t.Errorf("the call's Call is not found: %v", callctx.FromContext(ctx))
	}
	if got := callctx.FromContext(gateway); got != call {
		t.Error("the Call made in the request's room is not found below the in-process call")
	}

	in2, ic2 := newInCall(gateway, "/s/m2")
	if ic2 == &c.in || ic2 == ic {
		t.Error("a second in-process call shares the first's context")
	}
	if m, _ := in2.Value(contextKeys.stream).(*callStream); m == nil || m.Method() != "/s/m2" || ic.stream.Method() != "/s/m" {
		t.Error("the second in-process call's stream is not its own")
	}
	ctx2, call2 := callctx.Begin(in2, "rid-2")
	if call2 == call || callctx.FromContext(ctx2) != call2 || callctx.FromContext(ctx) != call || call.RequestID() != "rid-1" {
		t.Error("a second callctx.Begin took the first call's room")
	}

	resp := &devenvv1.GetInstanceResponse{Instance: &devenvv1.Instance{Id: proto.String("DE-1")}}
	a, err := asModelArtsSent(gateway, resp)
	if err != nil {
		t.Fatal(err)
	}
	if a != any(&c.answer) || c.answer.msg != proto.Message(resp) || c.answer.originals != &c.originals {
		t.Errorf("the first answer %#v is not the request's own", a)
	}
	a2, err := asModelArtsSent(gateway, resp)
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := a2.(answer); !ok || got.msg != proto.Message(resp) || got.originals != &c.originals {
		t.Errorf("a second answer %#v", a2)
	}
	// A stream's events (a request without a unary call) are answers of
	// their own, which the marshaler's streaming lines recognise.
	sc := &restCall{Context: context.Background()}
	if a3, _ := asModelArtsSent(sc.withValues(), resp); a3 == any(&sc.answer) {
		t.Error("a stream's event was given the request's answer")
	}
	m := &vendorMarshaler{}
	b1, err1 := m.Marshal(a)
	b2, err2 := m.Marshal(a2)
	want, _ := vendorjson.Marshal(resp)
	if err1 != nil || err2 != nil || string(b1) != string(want) || string(b2) != string(want) {
		t.Errorf("marshaled %s (%v) and %s (%v); want %s", b1, err1, b2, err2, want)
	}
}

// askedCtx is a context layer that counts the lookups that reach it.
type askedCtx struct {
	context.Context
	asked int
}

func (c *askedCtx) Value(key any) any {
	c.asked++
	return c.Context.Value(key)
}

// TestRestCall_lookupsStop: what only a REST call's record sets is
// answered to its in-process call's context without asking the layers
// between them (caller authentication's, grpc-gateway's), and what no
// layer below the record holds (a request check's finding, a client trace,
// Options.AbsentBelow's keys) without asking the layers below it; values
// set in between are still found.
func TestRestCall_lookupsStop(t *testing.T) {
	t.Parallel()
	type otherKey struct{}
	sc := trace.NewSpanContext(trace.SpanContextConfig{TraceID: trace.TraceID{1}, SpanID: trace.SpanID{2}, Remote: true})
	below := &askedCtx{Context: trace.ContextWithRemoteSpanContext(context.Background(), sc)}
	c := &restCall{Context: below, absentBelow: []any{otherKey{}}}
	c.span = below.Value(contextKeys.span)
	c.peer.Addr = &c.addr
	between := &askedCtx{Context: metadata.NewOutgoingContext(c.withValues(), metadata.Pairs("k", "v"))}
	in, _ := newInCall(between, "/s/m")
	between.asked, below.asked = 0, 0

	if callctx.Protocol(in) != callctx.ProtocolREST {
		t.Error("the protocol is not REST")
	}
	if p, ok := peer.FromContext(in); !ok || p != &c.peer {
		t.Error("the peer is not the record's")
	}
	if vendorjson.OriginalsFrom(in) != &c.originals {
		t.Error("the Originals are not the record's")
	}
	if !trace.SpanContextFromContext(in).Equal(sc) {
		t.Error("the span is not the one below the record")
	}
	if between.asked != 0 || below.asked != 0 {
		t.Errorf("the layers between the in-process call and the record were asked %d times, below it %d; want 0", between.asked, below.asked)
	}

	if reqcheck.FromContext(between) != nil || httptrace.ContextClientTrace(between) != nil || between.Value(otherKey{}) != nil {
		t.Error("a value no layer below the record holds was found")
	}
	if below.asked != 0 {
		t.Errorf("the layers below the record were asked %d times; want 0", below.asked)
	}
	finding := reqcheck.WithFinding(c.withValues(), &readError{400, "Facade.INVALID_ARGUMENT", "bad query"})
	if reqcheck.FromContext(finding) == nil {
		t.Error("a finding set above the record is not found")
	}
}
