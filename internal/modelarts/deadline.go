package modelarts

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// attemptContext is the context of an attempt that must end before its
// call does: its deadline ends it as [context.WithDeadline]'s would (Err
// is context.DeadlineExceeded, and so is its cause, which net/http
// reports), and so do its call's end and the attempt's own (release). What
// it saves is the timer and the function a context.WithDeadline starts
// for each attempt (two allocations, and a timer added to and taken from
// the runtime's heap): the attempts' deadlines are kept by the client's
// [deadlines], which has one timer for all of them.
//
// Its cancellation is a [context.WithCancelCause] below it: contexts
// derived from it (net/http's, for each request) hang on that one as on
// a context.WithDeadline's, and end with it. At the deadline their cause
// is context.DeadlineExceeded, which is what net/http reports (HTTP/1.1
// through its own derived context's cause, HTTP/2 through this context's
// Err); their Err is context.Canceled, where a WithDeadline's children
// say context.DeadlineExceeded: code that derives a context from an
// attempt's and reads its Err, rather than its cause, would see the
// difference (nothing in the client does;
// TestAttemptTimeout_errorIsDeadlineExceeded).
type attemptContext struct {
	context.Context // context.WithCancelCause of the call's
	cancel          context.CancelCauseFunc
	deadline        time.Time
	// expired: the deadline passed and ended the attempt (set before
	// cancel is called with context.DeadlineExceeded).
	expired atomic.Bool
	// index is where the attempt is in its deadlines' heap (-1: not
	// there); guarded by the deadlines' mu.
	index int
}

// Deadline returns the attempt's deadline.
func (a *attemptContext) Deadline() (time.Time, bool) { return a.deadline, true }

// Err returns context.DeadlineExceeded once the deadline has ended the
// attempt (before anything else did), as context.WithDeadline's context.
func (a *attemptContext) Err() error {
	err := a.Context.Err()
	if err == context.Canceled && a.expired.Load() && context.Cause(a.Context) == context.DeadlineExceeded {
		return context.DeadlineExceeded
	}
	return err
}

// deadlines ends attempts at their deadlines with one timer: a heap of
// the attempts running, earliest deadline first, and a timer set for the
// earliest deadline it has seen. An attempt that ends leaves the heap at
// once but not the timer, which is reset only when an attempt with an
// earlier deadline arrives or when it fires; attempts of the same timeout
// arrive in deadline order, so that a client that sends many costs the
// runtime one timer firing per timeout rather than one timer per attempt.
// When the timer fires, it ends the attempts whose deadline has passed and
// is set for the next.
type deadlines struct {
	mu    sync.Mutex
	heap  []*attemptContext
	timer resetter
	at    time.Time // when timer fires; zero: it is not set

	// now and afterFunc are time.Now and time.AfterFunc, but in tests.
	now       func() time.Time
	afterFunc func(time.Duration, func()) resetter
}

// resetter is the part of a *time.Timer deadlines uses.
type resetter interface {
	Reset(time.Duration) bool
}

// start returns ctx bounded by deadline, as context.WithDeadline does at
// now (the caller's time.Now); end must be called with it when the
// attempt ends.
func (d *deadlines) start(ctx context.Context, deadline, now time.Time) *attemptContext {
	cctx, cancel := context.WithCancelCause(ctx)
	a := &attemptContext{Context: cctx, cancel: cancel, deadline: deadline, index: -1}
	switch wait := deadline.Sub(now); {
	case cctx.Err() != nil: // the call has ended: so has the attempt
	case wait <= 0:
		a.expire()
	default:
		d.add(a, wait)
	}
	return a
}

// end releases a, whose attempt has ended.
func (d *deadlines) end(a *attemptContext) {
	d.remove(a)
	a.cancel(nil)
}

// expire ends a at its deadline.
func (a *attemptContext) expire() {
	a.expired.Store(true)
	a.cancel(context.DeadlineExceeded)
}

func (d *deadlines) clockNow() time.Time {
	if d.now != nil {
		return d.now()
	}
	return time.Now()
}

// add puts a, whose deadline is wait away, in the heap, and sets the
// timer for it if it is earlier than the timer's.
func (d *deadlines) add(a *attemptContext, wait time.Duration) {
	d.mu.Lock()
	d.push(a)
	if d.at.IsZero() || a.deadline.Before(d.at) {
		d.at = a.deadline
		d.arm(wait)
	}
	d.mu.Unlock()
}

// arm sets the timer to fire after wait; d.mu is held.
func (d *deadlines) arm(wait time.Duration) {
	if d.timer != nil {
		d.timer.Reset(wait)
		return
	}
	if d.afterFunc != nil {
		d.timer = d.afterFunc(wait, d.fire)
		return
	}
	d.timer = time.AfterFunc(wait, d.fire)
}

// remove takes a out of the heap, if it is still there.
func (d *deadlines) remove(a *attemptContext) {
	d.mu.Lock()
	if i := a.index; i >= 0 {
		d.removeAt(i)
	}
	d.mu.Unlock()
}

// fire ends the attempts whose deadline has passed and sets the timer for
// the next, if any.
func (d *deadlines) fire() {
	now := d.clockNow()
	var ended []*attemptContext
	d.mu.Lock()
	for len(d.heap) > 0 && !d.heap[0].deadline.After(now) {
		ended = append(ended, d.heap[0])
		d.removeAt(0)
	}
	d.at = time.Time{}
	if len(d.heap) > 0 {
		d.at = d.heap[0].deadline
		d.arm(d.at.Sub(now))
	}
	d.mu.Unlock()
	for _, a := range ended {
		a.expire()
	}
}

// push adds a to the heap; d.mu is held.
func (d *deadlines) push(a *attemptContext) {
	a.index = len(d.heap)
	d.heap = append(d.heap, a)
	d.up(a.index)
}

// removeAt takes the attempt at i out of the heap; d.mu is held.
func (d *deadlines) removeAt(i int) {
	last := len(d.heap) - 1
	gone := d.heap[i]
	if i != last {
		d.swap(i, last)
	}
	d.heap[last] = nil
	d.heap = d.heap[:last]
	gone.index = -1
	if i != last {
		if !d.down(i) {
			d.up(i)
		}
	}
}

func (d *deadlines) less(i, j int) bool { return d.heap[i].deadline.Before(d.heap[j].deadline) }

func (d *deadlines) swap(i, j int) {
	d.heap[i], d.heap[j] = d.heap[j], d.heap[i]
	d.heap[i].index = i
	d.heap[j].index = j
}

func (d *deadlines) up(i int) {
	for i > 0 {
		parent := (i - 1) / 2
		if !d.less(i, parent) {
			return
		}
		d.swap(i, parent)
		i = parent
	}
}

// down moves the attempt at i down to its place, and reports whether it
// moved.
func (d *deadlines) down(i int) bool {
	start := i
	n := len(d.heap)
	for {
		child := 2*i + 1
		if child >= n {
			break
		}
		if right := child + 1; right < n && d.less(right, child) {
			child = right
		}
		if !d.less(child, i) {
			break
		}
		d.swap(i, child)
		i = child
	}
	return i > start
}
