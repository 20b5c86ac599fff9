package callctx_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/devenv-facade/devenv-facade/internal/callctx"
)

// roomCtx is a per-call context value with a Room, as the gRPC stream's
// record is.
type roomCtx struct {
	context.Context
	room callctx.Room
}

func (c *roomCtx) Value(key any) any {
	if v, ok := c.room.Value(key); ok {
		return v
	}
	return c.Context.Value(key)
}

type otherKey struct{}

func TestBeginUsesTheRoom(t *testing.T) {
	t.Parallel()
	rc := &roomCtx{Context: context.WithValue(context.Background(), otherKey{}, "below")}
	if c := callctx.FromContext(rc); c != nil {
		t.Fatalf("FromContext before Begin = %v; want none", c)
	}
	if got := callctx.RequestID(rc); got != "" {
		t.Fatalf("RequestID before Begin = %q; want empty", got)
	}
	ctx, c := callctx.Begin(rc, "req-1")
	if ctx != context.Context(rc) {
		t.Error("Begin added a context layer although the room was free")
	}
	if callctx.FromContext(ctx) != c || c.RequestID() != "req-1" {
		t.Errorf("FromContext = %v, RequestID %q; want the begun call, req-1", callctx.FromContext(ctx), c.RequestID())
	}
	if v := ctx.Value(otherKey{}); v != "below" {
		t.Errorf("Value(otherKey) = %v; want the lower layer's", v)
	}
	callctx.Annotate(ctx, slog.String("k", "v"))
	if attrs := c.AppendAttrs(nil); len(attrs) != 1 || attrs[0].Key != "k" {
		t.Errorf("attrs = %v; want k", attrs)
	}

	// The room holds one call: a second Begin on the same context (a call
	// made within a call) gets a call and a layer of its own, and the first
	// call is untouched.
	ctx2, c2 := callctx.Begin(ctx, "req-2")
	if c2 == c || ctx2 == ctx {
		t.Fatal("a second Begin reused the room")
	}
	if callctx.RequestID(ctx2) != "req-2" || callctx.RequestID(ctx) != "req-1" {
		t.Errorf("request IDs %q, %q; want req-2, req-1", callctx.RequestID(ctx2), callctx.RequestID(ctx))
	}
}

// A Room below a call's own layer is not used: FromContext must keep
// finding the nearest call.
func TestBeginSkipsARoomBelowACall(t *testing.T) {
	t.Parallel()
	outer := callctx.New("outer")
	ctx := callctx.NewContext(&roomCtx{Context: context.Background()}, outer)
	ctx2, c := callctx.Begin(ctx, "inner")
	if c == outer || callctx.FromContext(ctx2) != c || callctx.FromContext(ctx) != outer {
		t.Error("Begin under an existing call did not make a call and layer of its own")
	}
}

func TestBeginWithoutRoomAllocatesAsBefore(t *testing.T) {
	t.Parallel()
	ctx, c := callctx.Begin(context.Background(), "r")
	if callctx.FromContext(ctx) != c || c.RequestID() != "r" {
		t.Error("Begin without a room lost the call")
	}
}

func TestBeginInARoomAllocatesNothing(t *testing.T) {
	rc := &roomCtx{Context: context.Background()}
	allocs := testing.AllocsPerRun(100, func() {
		*rc = roomCtx{Context: context.Background()}
		callctx.Begin(rc, "r")
	})
	if allocs != 0 {
		t.Errorf("Begin in a room: %v allocations; want 0", allocs)
	}
}

// askedCtx fails the test when a lookup reaches it.
type askedCtx struct {
	context.Context
	t *testing.T
}

func (c askedCtx) Value(key any) any {
	c.t.Errorf("a lookup of %T went below the room", key)
	return c.Context.Value(key)
}

func TestRoomProtocol(t *testing.T) {
	rc := &roomCtx{Context: askedCtx{context.Background(), t}}
	rc.room.SetProtocol(callctx.ProtocolGRPC)
	if got := callctx.Protocol(rc); got != callctx.ProtocolGRPC {
		t.Errorf("Protocol = %q; want grpc", got)
	}
	if n := testing.AllocsPerRun(10, func() { callctx.Protocol(rc) }); n != 0 {
		t.Errorf("Protocol from a room: %v allocations; want 0", n)
	}
	// Without a protocol set, the room does not answer: the mark below it
	// is found.
	below := &roomCtx{Context: callctx.WithProtocol(context.Background(), callctx.ProtocolREST)}
	if got := callctx.Protocol(below); got != callctx.ProtocolREST {
		t.Errorf("Protocol = %q; want the mark below the room (rest)", got)
	}
}

// TestRoomUntraced: a call made in a room marked untraced says so, and its
// log lines are written without a search for a span context below the
// room; a call not so marked is searched as before.
func TestRoomUntraced(t *testing.T) {
	t.Parallel()
	rc := &roomCtx{Context: askedCtx{context.Background(), t}}
	rc.room.SetUntraced()
	ctx, c := callctx.Begin(rc, "req-u")
	if !c.Untraced() || !callctx.Untraced(ctx) {
		t.Fatal("a call made in an untraced room does not say so")
	}
	var buf bytes.Buffer
	logger := slog.New(callctx.NewLogHandler(slog.NewJSONHandler(&buf, nil)))
	logger.InfoContext(ctx, "line")
	_ = callctx.HandleAttrs(logger.Handler(), ctx, time.Now(), slog.LevelInfo, "rpc", nil)
	if got := strings.Count(buf.String(), `"request_id":"req-u"`); got != 2 {
		t.Errorf("log lines %q: want both with the request ID", buf.String())
	}

	plain := &roomCtx{Context: context.Background()}
	pctx, pc := callctx.Begin(plain, "req-p")
	if pc.Untraced() || callctx.Untraced(pctx) || callctx.Untraced(context.Background()) {
		t.Error("Untraced without the room's mark")
	}
}

// TestRoomAnonymous: after SetAnonymous, IdentityFrom stops at the room
// (nothing asked below it) and finds an identity set above it; without
// it, one below is found.
func TestRoomAnonymous(t *testing.T) {
	t.Parallel()
	rc := &roomCtx{Context: askedCtx{context.Background(), t}}
	rc.room.SetAnonymous()
	if id, ok := callctx.IdentityFrom(rc); ok {
		t.Errorf("IdentityFrom = %v; want none", id)
	}
	above := callctx.WithIdentity(rc, callctx.Identity{Name: "alice"})
	if id, ok := callctx.IdentityFrom(above); !ok || id.Name != "alice" {
		t.Errorf("IdentityFrom = %v, %v; want alice, set above the room", id, ok)
	}
	below := &roomCtx{Context: callctx.WithIdentity(context.Background(), callctx.Identity{Name: "bob"})}
	if id, ok := callctx.IdentityFrom(below); !ok || id.Name != "bob" {
		t.Errorf("IdentityFrom = %v, %v; want bob, set below a room not marked", id, ok)
	}
}
