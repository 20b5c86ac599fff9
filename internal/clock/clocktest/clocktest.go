// Package clocktest provides the fake [clock.Clock] every test uses.
package clocktest

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/devenv-facade/devenv-facade/internal/clock"
)

// Start is a fixed time fakes start at when a test has no reason to pick
// another.
var Start = time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)

// Fake is a [clock.Clock] that moves only when told: by [Fake.Advance],
// or, once [Fake.AdvanceOnWait] is on, by every wait its users start. A
// wait (After, Sleep) ends when the fake reaches its end; [Fake.BlockUntil]
// lets a test wait, without sleeping, until the code under test waits;
// [Fake.Started] tells which waits it started, and [Fake.OnSleep] lets a
// test act at each of its pauses. It is safe for concurrent use.
type Fake struct {
	mu      sync.Mutex
	now     time.Time
	onWait  bool
	waiters []*waiter
	changed chan struct{} // closed, and replaced, when waiters change
	started []time.Duration
	onSleep func(ctx context.Context, d time.Duration) error
}

var _ clock.Clock = (*Fake)(nil)

// waiter is a wait in progress: c receives the time once the fake reaches
// at.
type waiter struct {
	at time.Time
	c  chan time.Time
}

// New returns a fake that reads start until it is moved.
func New(start time.Time) *Fake {
	return &Fake{now: start, changed: make(chan struct{})}
}

// Now returns the fake's time.
func (f *Fake) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

// After returns a channel that receives the fake's time once it has moved
// d past now: at once if d ≤ 0, or with AdvanceOnWait, which moves it
// there first.
func (f *Fake) After(d time.Duration) <-chan time.Time {
	f.mu.Lock()
	f.started = append(f.started, d)
	f.mu.Unlock()
	return f.after(d)
}

// after is After without the record in started.
func (f *Fake) after(d time.Duration) <-chan time.Time {
	c := make(chan time.Time, 1)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.onWait && d > 0 {
		f.moveLocked(f.now.Add(d))
	}
	if d <= 0 || f.onWait {
		c <- f.now
		return c
	}
	f.waiters = append(f.waiters, &waiter{at: f.now.Add(d), c: c})
	f.signalLocked()
	return c
}

// Sleep waits until the fake has moved d past now, or until ctx is done,
// as [clock.Clock] says; but first it calls the [Fake.OnSleep] hook, if
// one is set, and returns the hook's error at once if it is not nil.
func (f *Fake) Sleep(ctx context.Context, d time.Duration) error {
	f.mu.Lock()
	f.started = append(f.started, d)
	hook := f.onSleep
	f.mu.Unlock()
	if hook != nil {
		if err := hook(ctx, d); err != nil {
			return err
		}
	}
	if err := ctx.Err(); err != nil || d <= 0 {
		return err
	}
	c := f.after(d)
	select {
	case <-c:
		return nil
	case <-ctx.Done():
		f.forget(c)
		return ctx.Err()
	}
}

// Advance moves the fake d forward, ending the waits that reach their end.
func (f *Fake) Advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.moveLocked(f.now.Add(d))
}

// AdvanceOnWait sets whether every wait moves the fake: on, After and
// Sleep move it by their duration and return at once, so that time passes
// only as the code under test waits (an emulator on the same fake sees its
// instances change state as the facade polls them).
func (f *Fake) AdvanceOnWait(on bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.onWait = on
}

// OnSleep sets the hook every Sleep calls first, with its context and
// duration: a test acts there at the code's pauses (reads memory at the
// third, makes the call's deadline pass at the first). A hook that
// returns an error ends the Sleep at once with it, without moving the
// fake; nil lets the Sleep wait as usual. OnSleep(nil) removes the hook.
// The hook runs on the sleeping goroutine, without the fake's lock.
func (f *Fake) OnSleep(hook func(ctx context.Context, d time.Duration) error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.onSleep = hook
}

// Started returns the duration of every wait (After, Sleep) started so
// far, in the order they started.
func (f *Fake) Started() []time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.started)
}

// Waiters returns how many waits are in progress.
func (f *Fake) Waiters() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.waiters)
}

// BlockUntil waits until at least n waits are in progress, or ctx is done
// (then it returns ctx's error).
func (f *Fake) BlockUntil(ctx context.Context, n int) error {
	for {
		f.mu.Lock()
		if len(f.waiters) >= n {
			f.mu.Unlock()
			return nil
		}
		changed := f.changed
		f.mu.Unlock()
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// moveLocked sets the time to t (if later) and ends the waits due by
// then, earliest first.
func (f *Fake) moveLocked(t time.Time) {
	if t.After(f.now) {
		f.now = t
	}
	slices.SortStableFunc(f.waiters, func(a, b *waiter) int { return a.at.Compare(b.at) })
	n := 0
	for _, w := range f.waiters {
		if w.at.After(f.now) {
			break
		}
		w.c <- f.now
		n++
	}
	if n > 0 {
		f.waiters = slices.Delete(f.waiters, 0, n)
		f.signalLocked()
	}
}

// forget drops the wait whose channel is c, if it is still in progress.
func (f *Fake) forget(c <-chan time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if i := slices.IndexFunc(f.waiters, func(w *waiter) bool { return w.c == c }); i >= 0 {
		f.waiters = slices.Delete(f.waiters, i, i+1)
		f.signalLocked()
	}
}

func (f *Fake) signalLocked() {
	close(f.changed)
	f.changed = make(chan struct{})
}
