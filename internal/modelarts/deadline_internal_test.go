package modelarts

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// fakeTimer is the deadlines' timer in tests: it records what it was set
// for; the test fires it by calling deadlines.fire.
type fakeTimer struct{ set []time.Duration }

func (f *fakeTimer) Reset(d time.Duration) bool {
	f.set = append(f.set, d)
	return true
}

// fakeDeadlines returns deadlines on a clock that moves only when told
// (*now), with a fakeTimer.
func fakeDeadlines(now *time.Time) (*deadlines, *fakeTimer) {
	timer := &fakeTimer{}
	d := &deadlines{now: func() time.Time { return *now }, afterFunc: func(wait time.Duration, _ func()) resetter {
		timer.set = append(timer.set, wait)
		return timer
	}}
	return d, timer
}

func ended(ctx context.Context) bool {
	select {
	case <-ctx.Done():
		return true
	default:
		return false
	}
}

// checkEnd checks that ctx ended with err, and that a context derived
// from it (as net/http derives one for each request) ended with err as
// its cause, as with context.WithDeadline.
func checkEnd(t *testing.T, name string, ctx context.Context, err error) {
	t.Helper()
	child, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	if !ended(ctx) || !ended(child) {
		t.Fatalf("%s: the attempt's context has not ended", name)
	}
	if ctx.Err() != err || context.Cause(ctx) != err || context.Cause(child) != err {
		t.Errorf("%s: Err %v, cause %v, derived context's cause %v; want %v", name, ctx.Err(), context.Cause(ctx), context.Cause(child), err)
	}
}

// TestDeadlines_endAttempts: each attempt ends at its deadline (Err and
// cause context.DeadlineExceeded, as context.WithDeadline's), with one
// timer set for the earliest deadline, reset only for an earlier one or
// when it fires; an attempt that ends first leaves the heap.
func TestDeadlines_endAttempts(t *testing.T) {
	t0 := time.Date(2026, 12, 7, 3, 0, 0, 0, time.UTC)
	now := t0
	d, timer := fakeDeadlines(&now)
	call := context.Background()

	a1 := d.start(call, t0.Add(10*time.Second), now)
	a2 := d.start(call, t0.Add(5*time.Second), now)  // earlier: the timer is reset
	a3 := d.start(call, t0.Add(20*time.Second), now) // later: it is not
	if got, ok := a2.Deadline(); !ok || !got.Equal(t0.Add(5*time.Second)) {
		t.Errorf("Deadline() = %v, %v; want %v", got, ok, t0.Add(5*time.Second))
	}
	if want := []time.Duration{10 * time.Second, 5 * time.Second}; !slices.Equal(timer.set, want) {
		t.Fatalf("timer set for %v; want %v", timer.set, want)
	}
	for _, a := range []*attemptContext{a1, a2, a3} {
		if ended(a) || a.Err() != nil {
			t.Fatal("an attempt ended before its deadline")
		}
	}

	now = t0.Add(5 * time.Second)
	d.fire()
	checkEnd(t, "at its deadline", a2, context.DeadlineExceeded)
	if ended(a1) || ended(a3) {
		t.Fatal("fire ended an attempt before its deadline")
	}
	d.end(a2) // after its deadline: changes nothing
	checkEnd(t, "released after its deadline", a2, context.DeadlineExceeded)

	d.end(a1) // ends before its deadline: leaves the heap
	checkEnd(t, "released", a1, context.Canceled)
	if len(d.heap) != 1 || d.heap[0] != a3 {
		t.Fatalf("heap holds %d attempts; want a3 only", len(d.heap))
	}

	now = t0.Add(10 * time.Second) // the timer was set for a1, which has gone
	d.fire()
	if ended(a3) {
		t.Fatal("fire ended an attempt before its deadline")
	}
	now = t0.Add(20 * time.Second)
	d.fire()
	checkEnd(t, "at its deadline", a3, context.DeadlineExceeded)
	if want := []time.Duration{10 * time.Second, 5 * time.Second, 5 * time.Second, 10 * time.Second}; !slices.Equal(timer.set, want) {
		t.Errorf("timer set for %v; want %v", timer.set, want)
	}
	if len(d.heap) != 0 || !d.at.IsZero() {
		t.Errorf("after the last attempt: heap %d, timer at %v; want empty, unset", len(d.heap), d.at)
	}
	d.fire() // a late firing finds nothing
	a4 := d.start(call, now.Add(time.Second), now)
	if len(timer.set) != 5 || timer.set[4] != time.Second {
		t.Errorf("timer set for %v; want reset for 1s once empty", timer.set)
	}
	d.end(a4)
}

// TestDeadlines_callEnds: an attempt ends with its call (the call's
// error), and one whose call or deadline has already ended starts ended,
// without a place in the heap.
func TestDeadlines_callEnds(t *testing.T) {
	t0 := time.Date(2026, 12, 7, 3, 0, 0, 0, time.UTC)
	now := t0
	d, _ := fakeDeadlines(&now)

	call, cancel := context.WithCancel(context.Background())
	a := d.start(call, t0.Add(10*time.Second), now)
	cancel()
	checkEnd(t, "call canceled", a, context.Canceled)
	d.end(a)
	if len(d.heap) != 0 {
		t.Errorf("heap holds %d attempts after the attempt ended; want 0", len(d.heap))
	}

	expiredCall, cancelExpired := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancelExpired()
	b := d.start(expiredCall, t0.Add(10*time.Second), now)
	checkEnd(t, "call past its deadline", b, context.DeadlineExceeded)

	c := d.start(context.Background(), t0, now) // deadline reached at once
	checkEnd(t, "deadline already reached", c, context.DeadlineExceeded)
	if len(d.heap) != 0 {
		t.Errorf("heap holds %d attempts that started ended; want 0", len(d.heap))
	}
	d.end(b)
	d.end(c)
	if !errors.Is(c.Err(), context.DeadlineExceeded) {
		t.Errorf("Err() after end = %v; want DeadlineExceeded", c.Err())
	}
}

// TestDeadlines_heap: attempts leave the heap in any order and the
// earliest deadline is always first.
func TestDeadlines_heap(t *testing.T) {
	t0 := time.Date(2026, 12, 7, 3, 0, 0, 0, time.UTC)
	now := t0
	d, _ := fakeDeadlines(&now)
	var as []*attemptContext
	for i, s := range []int{7, 3, 9, 1, 8, 2, 6, 4, 5, 10} {
		as = append(as, d.start(context.Background(), t0.Add(time.Duration(s)*time.Second), now))
		if as[i].index < 0 {
			t.Fatal("attempt not in the heap")
		}
	}
	for _, i := range []int{2, 0, 9, 4} { // deadlines 9, 7, 10, 8
		d.end(as[i])
	}
	for want := 1; want <= 6; want++ {
		if got := d.heap[0].deadline.Sub(t0); got != time.Duration(want)*time.Second {
			t.Fatalf("earliest deadline %v; want %ds", got, want)
		}
		for i, a := range d.heap {
			if a.index != i {
				t.Fatalf("attempt at %d records index %d", i, a.index)
			}
		}
		now = t0.Add(time.Duration(want) * time.Second)
		d.fire()
	}
	if len(d.heap) != 0 {
		t.Errorf("%d attempts left", len(d.heap))
	}
}

// TestDeadlines_heapOrder: whatever the order attempts start and end in
// (random, with a fixed seed), the heap keeps its order and its indices.
func TestDeadlines_heapOrder(t *testing.T) {
	t0 := time.Date(2026, 12, 7, 3, 0, 0, 0, time.UTC)
	now := t0
	d, _ := fakeDeadlines(&now)
	rng := rand.New(rand.NewPCG(23, 7))
	var running []*attemptContext
	for range 2000 {
		if len(running) > 0 && rng.IntN(2) == 0 {
			i := rng.IntN(len(running))
			d.end(running[i])
			running = slices.Delete(running, i, i+1)
		} else {
			running = append(running, d.start(context.Background(), t0.Add(time.Duration(1+rng.IntN(1000))*time.Millisecond), now))
		}
		for i, a := range d.heap {
			if a.index != i || (i > 0 && a.deadline.Before(d.heap[(i-1)/2].deadline)) {
				t.Fatalf("heap out of order at %d", i)
			}
		}
		if len(d.heap) != len(running) {
			t.Fatalf("heap holds %d attempts; %d running", len(d.heap), len(running))
		}
	}
}
