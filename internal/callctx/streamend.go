package callctx

import (
	"context"
	"sync"
)

// Why a long-lived stream is asked to end ([StreamEnd]).
const (
	// EndDraining: the server is shutting down (or draining a listener).
	EndDraining = "the facade is shutting down"
	// EndConnectionAge: the stream's connection reached its maximum age
	// (--max-connection-age) and is about to close.
	EndConnectionAge = "the connection reached its maximum age"
)

// Ender asks a long-lived stream (a watch) to end early, and cleanly, for a
// reason of the server's: the server assembly makes one per stream with
// [WithStreamEnd] and calls End when it drains or when the stream's
// connection reaches its maximum age; the handler, which watches
// [StreamEnd], ends the stream with a status its client can resume from.
// End may be called from any goroutine, more than once: the first reason
// is kept.
type Ender struct {
	once   sync.Once
	done   chan struct{}
	mu     sync.Mutex
	reason string
}

// End asks the stream to end, for reason ([EndDraining],
// [EndConnectionAge]).
func (e *Ender) End(reason string) {
	e.once.Do(func() {
		e.mu.Lock()
		e.reason = reason
		e.mu.Unlock()
		close(e.done)
	})
}

type enderKey struct{}

// WithStreamEnd returns a context carrying a new [Ender] for the stream
// ctx belongs to, and that Ender.
func WithStreamEnd(ctx context.Context) (context.Context, *Ender) {
	e := &Ender{done: make(chan struct{})}
	return context.WithValue(ctx, enderKey{}, e), e
}

// StreamEnd returns a channel closed once the server asks the stream of
// ctx to end, and a function that then says why. Without an [Ender] in ctx
// (a unary call, a test), the channel is nil: it never fires.
func StreamEnd(ctx context.Context) (<-chan struct{}, func() string) {
	e, _ := ctx.Value(enderKey{}).(*Ender)
	if e == nil {
		return nil, func() string { return "" }
	}
	return e.done, func() string {
		e.mu.Lock()
		defer e.mu.Unlock()
		return e.reason
	}
}
