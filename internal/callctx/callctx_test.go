package callctx_test

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/devenv-facade/devenv-facade/internal/callctx"
)

func TestValidRequestID(t *testing.T) {
	t.Parallel()
	tests := map[string]bool{
		"":                        false,
		"abc-123":                 true,
		"d5271e55-64d2-44b1-9cee": true,
		strings.Repeat("a", 128):  true,
		strings.Repeat("a", 129):  false,
		"has space":               false,
		"tab\there":               false,
		"new\nline":               false,
		"ümlaut":                  false,
		"\x7f":                    false,
		"~!@#$%^&*()_+{}|:<>?":    true,
	}
	for id, want := range tests {
		if got := callctx.ValidRequestID(id); got != want {
			t.Errorf("ValidRequestID(%q) = %v; want %v", id, got, want)
		}
	}
	if id := callctx.NewRequestID(); !callctx.ValidRequestID(id) {
		t.Errorf("NewRequestID() = %q is not valid", id)
	}
}

func TestCall(t *testing.T) {
	t.Parallel()
	if id := callctx.RequestID(context.Background()); id != "" {
		t.Errorf("RequestID outside a call = %q; want empty", id)
	}
	callctx.Annotate(context.Background(), slog.String("ignored", "x")) // no call: no effect, no panic
	c := callctx.New("rid-1")
	ctx := callctx.NewContext(context.Background(), c)
	if callctx.RequestID(ctx) != "rid-1" || callctx.FromContext(ctx) != c {
		t.Error("the call does not travel in the context")
	}
	var wg sync.WaitGroup
	for i := range 10 {
		wg.Go(func() { callctx.Annotate(ctx, slog.Int("n", i)) })
	}
	wg.Wait()
	if got := len(c.AppendAttrs(nil)); got != 10 {
		t.Errorf("%d attributes; want 10", got)
	}
}

// TestCall_found: a Call found once is annotated through its own methods,
// in order; a nil Call (none found) has no request ID and ignores
// annotations, as the package functions do without a call.
func TestCall_found(t *testing.T) {
	t.Parallel()
	var none *callctx.Call
	if id := none.RequestID(); id != "" {
		t.Errorf("nil Call's RequestID = %q; want empty", id)
	}
	none.Annotate(slog.String("ignored", "x")) // no effect, no panic
	c := callctx.New("rid-2")
	if id := c.RequestID(); id != "rid-2" {
		t.Errorf("RequestID = %q; want rid-2", id)
	}
	c.Annotate(slog.String("a", "1"), slog.String("b", "2"))
	c.Annotate(slog.String("c", "3"))
	var keys []string
	for _, a := range c.AppendAttrs(nil) {
		keys = append(keys, a.Key)
	}
	if got := strings.Join(keys, ","); got != "a,b,c" {
		t.Errorf("attributes %s; want a,b,c", got)
	}
}

func TestProtocol(t *testing.T) {
	t.Parallel()
	if p := callctx.Protocol(context.Background()); p != callctx.ProtocolGRPC {
		t.Errorf("unmarked call: %q; want grpc", p)
	}
	if p := callctx.Protocol(callctx.WithProtocol(context.Background(), callctx.ProtocolREST)); p != callctx.ProtocolREST {
		t.Errorf("marked call: %q; want rest", p)
	}
}

// TestNewRequestID: request IDs are version 4 UUIDs (as uuid.Parse reads
// them) and do not repeat.
func TestNewRequestID(t *testing.T) {
	t.Parallel()
	seen := make(map[string]bool, 10000)
	for range 10000 {
		id := callctx.NewRequestID()
		u, err := uuid.Parse(id)
		if err != nil {
			t.Fatalf("NewRequestID() = %q: %v", id, err)
		}
		if u.Version() != 4 || u.Variant() != uuid.RFC4122 || u.String() != id {
			t.Fatalf("NewRequestID() = %q: version %d, variant %v; want a canonical version 4 UUID", id, u.Version(), u.Variant())
		}
		if seen[id] {
			t.Fatalf("NewRequestID() repeated %q", id)
		}
		seen[id] = true
	}
}
