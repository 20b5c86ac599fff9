package callctx_test

import (
	"context"
	"sync"
	"testing"

	"github.com/devenv-facade/devenv-facade/internal/callctx"
)

// TestStreamEnd: a context without an Ender never signals; with one, the
// channel closes on the first End, whose reason is kept, and End may be
// called concurrently and again.
func TestStreamEnd(t *testing.T) {
	t.Parallel()
	if done, why := callctx.StreamEnd(context.Background()); done != nil || why() != "" {
		t.Fatalf("no Ender: got a channel %v, reason %q; want nil and \"\"", done, why())
	}
	ctx, e := callctx.WithStreamEnd(context.Background())
	done, why := callctx.StreamEnd(ctx)
	select {
	case <-done:
		t.Fatal("ended before End")
	default:
	}
	var wg sync.WaitGroup
	e.End(callctx.EndDraining)
	for range 4 {
		wg.Go(func() { e.End(callctx.EndConnectionAge) })
	}
	wg.Wait()
	<-done
	if got := why(); got != callctx.EndDraining {
		t.Errorf("reason %q; want the first one, %q", got, callctx.EndDraining)
	}
}
