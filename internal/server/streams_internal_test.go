package server

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptrace"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/tap"

	"github.com/devenv-facade/devenv-facade/internal/callctx"
	"github.com/devenv-facade/devenv-facade/internal/callerauth"
	"github.com/devenv-facade/devenv-facade/internal/reqcheck"
	"github.com/devenv-facade/devenv-facade/internal/vendorjson"
)

func (r *streams) count() (all, pending int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.all), r.pending
}

// TestStreams_finish: a stream whose handler returns is forgotten at once,
// without waiting for its context to end; one that never reaches a
// handler is forgotten when its context ends.
func TestStreams_finish(t *testing.T) {
	r := newStreams(time.Minute, 10, false, 10)
	info := &tap.Info{FullMethodName: "/modelarts.devenv.v1.DevEnvService/GetInstance", Header: metadata.MD{}}

	parent, end := context.WithCancel(t.Context())
	defer end()
	ctx, err := r.tap(parent, info, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	s := streamFrom(ctx)
	if !r.activate(s) {
		t.Fatal("activate refused a registered stream")
	}
	r.finish(s)
	if all, pending := r.count(); all != 0 || pending != 0 {
		t.Fatalf("after finish: %d streams, %d pending; want none", all, pending)
	}
	end() // the stream ends later: nothing left to do
	r.finish(s)
	if all, pending := r.count(); all != 0 || pending != 0 {
		t.Fatalf("after the end: %d streams, %d pending; want none", all, pending)
	}

	// A stream reset before its request arrived: no handler runs; the
	// next sweep finds its context ended and forgets it, without ending
	// anything.
	parent2, end2 := context.WithCancel(t.Context())
	defer end2()
	if _, err := r.tap(parent2, info, time.Now()); err != nil {
		t.Fatal(err)
	}
	if all, pending := r.count(); all != 1 || pending != 1 {
		t.Fatalf("a new stream: %d streams, %d pending; want 1 and 1", all, pending)
	}
	end2()
	if n := r.sweep(time.Now()); n != 0 {
		t.Fatalf("sweep ended %d streams; want none (the stream had ended)", n)
	}
	if all, pending := r.count(); all != 0 || pending != 0 {
		t.Fatalf("a stream that ended without a handler, after a sweep: %d streams, %d pending; want none", all, pending)
	}
}

// TestStreams_admitForgetsEndedStreams: when a share is full, admission
// first forgets the pending streams that ended without a handler (a
// client that resets its streams before their request), at most once per
// purgeEvery; streams still open keep their room.
func TestStreams_admitForgetsEndedStreams(t *testing.T) {
	r := newStreams(time.Minute, 4, false, 10)
	info := &tap.Info{FullMethodName: "/modelarts.devenv.v1.DevEnvService/GetInstance", Header: metadata.MD{}}
	t0 := time.Now()
	var ends []context.CancelFunc
	for range 4 {
		parent, end := context.WithCancel(t.Context())
		defer end()
		if _, err := r.tap(parent, info, t0); err != nil {
			t.Fatal(err)
		}
		ends = append(ends, end)
	}
	if _, err := r.tap(t.Context(), info, t0); err == nil {
		t.Fatal("a fifth stream was admitted beside four open ones; want it refused")
	}
	ends[0]()
	ends[1]()
	// Looked less than purgeEvery ago: still refused.
	if _, err := r.tap(t.Context(), info, t0.Add(purgeEvery/2)); err == nil {
		t.Fatal("admitted before purgeEvery had passed since the last look")
	}
	at := t0.Add(purgeEvery)
	for i := range 2 {
		if _, err := r.tap(t.Context(), info, at); err != nil {
			t.Fatalf("stream %d after two streams ended: %v; want it admitted in their room", i, err)
		}
	}
	if _, err := r.tap(t.Context(), info, at.Add(purgeEvery)); err == nil {
		t.Fatal("admitted beyond the share with every stream open")
	}
	if all, pending := r.count(); all != 4 || pending != 4 {
		t.Fatalf("%d streams, %d pending; want 4 and 4", all, pending)
	}
}

// TestPendingShares: each standing's calls take room from their own share,
// and a listed caller (or vouched token) from its own part of it, in calls
// and in header bytes; what a call gives back is free again, and a caller
// with nothing pending is forgotten.
func TestPendingShares(t *testing.T) {
	t.Parallel()
	shares := pendingShares(256, true)
	listed, unverified := shares[callerauth.Listed], shares[callerauth.UnverifiedHolder]
	if listed.total.calls != 128 || listed.perKey.calls != 32 || shares[callerauth.VouchedHolder].perKey.calls != 16 ||
		unverified.total.calls != 32 || shares[callerauth.Unidentified].total.calls != 32 {
		t.Fatalf("shares of 256: listed %d (%d each), vouched %d each, unverified %d, unidentified %d; want 128 (32), 16, 32, 32",
			listed.total.calls, listed.perKey.calls, shares[callerauth.VouchedHolder].perKey.calls, unverified.total.calls, shares[callerauth.Unidentified].total.calls)
	}
	// One caller: its 32 calls, not one more; another caller still has room.
	for i := range 32 {
		if why := listed.reserve("ci", 100); why != "" {
			t.Fatalf("call %d of ci: %s", i, why)
		}
	}
	if why := listed.reserve("ci", 100); !strings.Contains(why, "this caller already has") {
		t.Errorf("ci's 33rd call: %q; want refused for ci's own part", why)
	}
	if why := listed.reserve("other", 100); why != "" {
		t.Errorf("other's first call beside ci's 32: %s", why)
	}
	// Header bytes: ci's part is 32 × 16 KiB; 64 KiB calls fill it at 8.
	listed.release("other", 100)
	for range 32 {
		listed.release("ci", 100)
	}
	if len(listed.byKey) != 0 || listed.used != (budget{}) {
		t.Fatalf("after every release: %d callers, %+v used; want none", len(listed.byKey), listed.used)
	}
	n := 0
	for listed.reserve("ci", 64<<10) == "" {
		n++
	}
	if n != 8 {
		t.Errorf("ci holds %d calls with 64 KiB of headers; want 8 (512 KiB)", n)
	}
	// Shares without callers' parts bound only their total.
	for i := range 32 {
		if why := unverified.reserve("", 100); why != "" {
			t.Fatalf("unverified call %d: %s", i, why)
		}
	}
	if why := unverified.reserve("", 100); !strings.Contains(why, "token holders whose token is not verified yet") {
		t.Errorf("the 33rd unverified call: %q; want refused naming the share", why)
	}
	// Without caller authentication, one share has everything.
	open := pendingShares(256, false)[callerauth.Unidentified]
	if open.total.calls != 256 || open.byKey != nil {
		t.Errorf("without caller authentication: %+v; want one share of 256", open)
	}
}

// TestStreams_callInTheStream: the service's call record is made in the
// stream's record (callctx.Begin adds no context layer), found through
// the stream's context, and the stream is still found under it.
func TestStreams_callInTheStream(t *testing.T) {
	r := newStreams(time.Minute, 10, false, 10)
	info := &tap.Info{FullMethodName: "/modelarts.devenv.v1.DevEnvService/GetInstance", Header: metadata.MD{}}
	ctx, err := r.tap(t.Context(), info, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	s := streamFrom(ctx)
	defer r.finish(s)
	if callctx.FromContext(ctx) != nil {
		t.Fatal("a new stream carries a call")
	}
	cctx, c := callctx.Begin(ctx, "req-1")
	if cctx != ctx {
		t.Error("Begin added a context layer over the stream")
	}
	if callctx.FromContext(cctx) != c || callctx.RequestID(cctx) != "req-1" || streamFrom(cctx) != s {
		t.Error("the call or the stream is not found through the stream's context")
	}
}

// TestStreams_tapLooksForTraceContext: the tap records whether a stream's
// headers hold the propagator's fields, and the trace step trusts it: a
// stream whose headers held none is not looked at again (here its
// metadata, faked, holds a traceparent the step must then not see), and
// one whose headers held one has it extracted.
func TestStreams_tapLooksForTraceContext(t *testing.T) {
	p := propagation.TraceContext{}
	const parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
	extract := traceContextExtractor(p)
	for _, sent := range []bool{false, true} {
		r := newStreams(time.Minute, 10, false, 10)
		r.traceFields = p.Fields()
		header := metadata.MD{}
		if sent {
			header["traceparent"] = []string{parent}
		}
		info := &tap.Info{FullMethodName: "/modelarts.devenv.v1.DevEnvService/GetInstance", Header: header}
		ctx, err := r.tap(t.Context(), info, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		s := streamFrom(ctx)
		if !s.traceChecked || s.traceSent != sent {
			t.Fatalf("sent %v: the tap recorded checked %v, sent %v", sent, s.traceChecked, s.traceSent)
		}
		if _, c := callctx.Begin(ctx, "r"); c.Untraced() == sent {
			t.Errorf("sent %v: the call says untraced %v", sent, c.Untraced())
		}
		callCtx := metadata.NewIncomingContext(ctx, metadata.MD{"traceparent": {parent}})
		got := trace.SpanContextFromContext(extract(callCtx))
		if got.IsValid() != sent {
			t.Errorf("sent %v: the trace step extracted %v", sent, got)
		}
		r.finish(s)
	}
}

// keysAsked records the context keys looked up in it.
type keysAsked struct {
	context.Context
	asked []any
}

func (c *keysAsked) Value(key any) any {
	c.asked = append(c.asked, key)
	return c.Context.Value(key)
}

// TestStreams_protocolInTheStream: a gRPC call's protocol is found in its
// stream, without a search through the layers below it.
func TestStreams_protocolInTheStream(t *testing.T) {
	r := newStreams(time.Minute, 10, false, 10)
	info := &tap.Info{FullMethodName: "/modelarts.devenv.v1.DevEnvService/GetInstance", Header: metadata.MD{}}
	below := &keysAsked{Context: t.Context()}
	ctx, err := r.tap(below, info, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	defer r.finish(streamFrom(ctx))
	below.asked = nil
	if p := callctx.Protocol(ctx); p != callctx.ProtocolGRPC || len(below.asked) != 0 {
		t.Errorf("Protocol = %q, after %d lookups below the stream; want grpc, none", p, len(below.asked))
	}
}

// TestStreams_identityInTheStream: without caller authentication, a
// call's identity is looked for no further than its stream; with it, the
// identity the callers' tap set below the stream is found.
func TestStreams_identityInTheStream(t *testing.T) {
	for _, callerAuth := range []bool{false, true} {
		r := newStreams(time.Minute, 10, callerAuth, 10)
		info := &tap.Info{FullMethodName: "/modelarts.devenv.v1.DevEnvService/GetInstance", Header: metadata.MD{}}
		var parent context.Context = t.Context()
		if callerAuth {
			parent = callctx.WithIdentity(parent, callctx.Identity{Name: "alice"})
		}
		below := &keysAsked{Context: parent}
		ctx, err := r.tap(below, info, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		below.asked = nil
		id, ok := callctx.IdentityFrom(ctx)
		if callerAuth && (!ok || id.Name != "alice") {
			t.Errorf("with caller authentication: IdentityFrom = %v, %v; want alice from below the stream", id, ok)
		}
		if !callerAuth && (ok || len(below.asked) != 0) {
			t.Errorf("without caller authentication: IdentityFrom = %v, %v after %d lookups below; want none, none", id, ok, len(below.asked))
		}
		r.finish(streamFrom(ctx))
	}
}

// TestStreams_admitWithoutCallerAuth: without caller authentication, a
// stream's admission does not search its context for the caller's
// standing (every call is unidentified); with it, it does.
func TestStreams_admitWithoutCallerAuth(t *testing.T) {
	for _, callerAuth := range []bool{false, true} {
		r := newStreams(time.Minute, 10, callerAuth, 10)
		info := &tap.Info{FullMethodName: "/modelarts.devenv.v1.DevEnvService/GetInstance", Header: metadata.MD{}}
		below := &keysAsked{Context: t.Context()}
		ctx, err := r.tap(below, info, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		asked := false
		for _, k := range below.asked {
			asked = asked || strings.HasPrefix(fmt.Sprintf("%T", k), "callerauth.")
		}
		if asked != callerAuth {
			t.Errorf("caller authentication %v: the tap searched for the caller's standing: %v", callerAuth, asked)
		}
		r.finish(streamFrom(ctx))
	}
}

// finding is a reqcheck.Finding for tests.
type finding struct{}

func (finding) Err(string) error { return errors.New("found") }

// TestStreams_absentBelowTheStream: the lookups every gRPC call makes of
// values only layers above its stream hold (the request check's finding,
// the vendor's JSON kept for REST callers, a client trace) ask nothing
// below the stream, and find such values set above it; a REST request's
// stream (admit without tap) asks below as before.
func TestStreams_absentBelowTheStream(t *testing.T) {
	lookups := []struct {
		name  string
		set   func(context.Context) context.Context
		found func(context.Context) bool
	}{
		{"reqcheck finding",
			func(ctx context.Context) context.Context { return reqcheck.WithFinding(ctx, finding{}) },
			func(ctx context.Context) bool { return reqcheck.FromContext(ctx) != nil }},
		{"vendorjson originals",
			func(ctx context.Context) context.Context {
				return vendorjson.WithOriginals(ctx, new(vendorjson.Originals))
			},
			func(ctx context.Context) bool { return vendorjson.OriginalsFrom(ctx) != nil }},
		{"client trace",
			func(ctx context.Context) context.Context {
				return httptrace.WithClientTrace(ctx, new(httptrace.ClientTrace))
			},
			func(ctx context.Context) bool { return httptrace.ContextClientTrace(ctx) != nil }},
	}
	r := newStreams(time.Minute, 10, false, 10)
	info := &tap.Info{FullMethodName: "/modelarts.devenv.v1.DevEnvService/DeleteInstance", Header: metadata.MD{}}
	below := &keysAsked{Context: t.Context()}
	ctx, err := r.tap(below, info, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	defer r.finish(streamFrom(ctx))
	for _, l := range lookups {
		below.asked = nil
		if l.found(ctx) || len(below.asked) != 0 {
			t.Errorf("gRPC, %s: found %v after %d lookups below the stream; want none, none", l.name, l.found(ctx), len(below.asked))
		}
		if !l.found(l.set(ctx)) {
			t.Errorf("gRPC, %s: not found when set above the stream", l.name)
		}
	}
	// A REST request's stream: what the mirror set below it is found.
	for _, l := range lookups {
		s, err := r.admit(l.set(t.Context()), 100, time.Now(), func() string { return "rid" })
		if err != nil {
			t.Fatal(err)
		}
		if !l.found(s) {
			t.Errorf("REST, %s: not found below the stream", l.name)
		}
		r.done(s)
	}
}

// TestKeyOf: keyOf learns a lookup's key, and refuses a lookup that asks
// for none.
func TestKeyOf(t *testing.T) {
	type key struct{}
	if k := keyOf(func(ctx context.Context) { ctx.Value(key{}) }); k != (key{}) {
		t.Errorf("keyOf = %v, want key{}", k)
	}
	defer func() {
		if recover() == nil {
			t.Error("keyOf of a lookup asking for no key did not panic")
		}
	}()
	keyOf(func(context.Context) {})
}
