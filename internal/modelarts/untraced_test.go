package modelarts_test

import (
	"context"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"go.opentelemetry.io/otel/propagation"

	"github.com/devenv-facade/devenv-facade/internal/callctx"
	"github.com/devenv-facade/devenv-facade/internal/cloudauth"
	"github.com/devenv-facade/devenv-facade/internal/modelarts"
)

// countingPropagator counts the requests it is asked to inject into.
type countingPropagator struct {
	propagation.TraceContext
	injects atomic.Int32
}

func (p *countingPropagator) Inject(ctx context.Context, c propagation.TextMapCarrier) {
	p.injects.Add(1)
	p.TraceContext.Inject(ctx, c)
}

// roomCtx is a call's context with a callctx.Room, as a gRPC stream's is.
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

// TestAttempt_untracedCallInjectsNothing: the propagator is not asked to
// inject for a call known to carry no trace context (it would search the
// whole context to find nothing), and is for any other.
func TestAttempt_untracedCallInjectsNothing(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(answer(200, `{"instance_id":"x"}`))
	defer srv.Close()
	p := &countingPropagator{}
	c, err := modelarts.NewClient(srv.Client(), srv.URL, modelarts.Options{Credentials: cloudauth.Token("t"), Propagator: p})
	if err != nil {
		t.Fatal(err)
	}
	for _, untraced := range []bool{false, true} {
		rc := &roomCtx{Context: t.Context()}
		if untraced {
			rc.room.SetUntraced()
		}
		ctx, _ := callctx.Begin(rc, "r")
		before := p.injects.Load()
		if _, err := deleteInstance(ctx, c, testProject, testInstance); err != nil {
			t.Fatal(err)
		}
		if injected := p.injects.Load() > before; injected == untraced {
			t.Errorf("untraced %v: the propagator injected: %v", untraced, injected)
		}
	}
}
