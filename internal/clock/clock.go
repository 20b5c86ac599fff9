// Package clock is the time the facade acts on: the time of day it
// compares with (token expiry, Retry-After dates, how long ModelArts has
// gone without answering, the emulator's instance states) and the pauses
// it chooses to take (between reads of an instance it waits for, before a
// retry, for a free slot). Code that needs either takes a [Clock]; tests
// give it the one fake, package clocktest's Fake, which moves only when
// told, so that no test sleeps to synchronise.
//
// Deadlines on real work are not the clock's: a context's deadline, the
// time a caller has to deliver its request, the shutdown grace and the
// emulator's injected latency bound or imitate I/O that happens in real
// time, and durations measured for logs and metrics describe it; they use
// package time.
package clock

import (
	"context"
	"time"
)

// Clock tells the time and waits. [Real] is the system's; an Options'
// nil Clock means it (see [Or]).
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// After returns a channel that receives the time once d has passed
	// (at once if d ≤ 0).
	After(d time.Duration) <-chan time.Time
	// Sleep waits d, or until ctx is done, whichever comes first: it
	// returns nil once d has passed, ctx's error if ctx ended first (or had
	// already ended when d ≤ 0).
	Sleep(ctx context.Context, d time.Duration) error
}

// Real returns the system clock.
func Real() Clock { return system{} }

// Or returns c, or the system clock when c is nil: what a nil Clock in
// an Options means.
func Or(c Clock) Clock {
	if c == nil {
		return system{}
	}
	return c
}

// system is the system clock.
type system struct{}

func (system) Now() time.Time { return time.Now() }

func (system) After(d time.Duration) <-chan time.Time { return time.After(d) }

func (system) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
