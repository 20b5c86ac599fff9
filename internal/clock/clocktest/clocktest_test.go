package clocktest_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/devenv-facade/devenv-facade/internal/clock"
	"github.com/devenv-facade/devenv-facade/internal/clock/clocktest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// received reports whether c has a value ready.
func received(c <-chan time.Time) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// TestFake_afterEndsWhenAdvanced: a wait ends once the fake reaches its
// end, not before; waits end in order of their ends.
func TestFake_afterEndsWhenAdvanced(t *testing.T) {
	t.Parallel()
	f := clocktest.New(clocktest.Start)
	late, early := f.After(2*time.Second), f.After(time.Second)
	if n := f.Waiters(); n != 2 {
		t.Fatalf("Waiters = %d; want 2", n)
	}
	f.Advance(999 * time.Millisecond)
	if received(early) || received(late) {
		t.Fatal("a wait ended before its time")
	}
	f.Advance(time.Millisecond)
	if !received(early) || received(late) {
		t.Fatal("after 1s: want only the 1s wait ended")
	}
	f.Advance(time.Hour)
	if got := <-late; !got.Equal(clocktest.Start.Add(time.Hour + time.Second)) {
		t.Errorf("the 2s wait received %v; want the time it was ended at", got)
	}
	if n := f.Waiters(); n != 0 {
		t.Errorf("Waiters = %d after all ended; want 0", n)
	}
	if !received(f.After(0)) {
		t.Error("After(0) did not end at once")
	}
}

// TestFake_sleep: Sleep returns nil once advanced past its end, ctx's
// error once ctx is done (forgetting the wait), and does not wait on a
// done context.
func TestFake_sleep(t *testing.T) {
	t.Parallel()
	f := clocktest.New(clocktest.Start)
	done := make(chan error, 1)
	go func() { done <- f.Sleep(t.Context(), time.Minute) }()
	if err := f.BlockUntil(t.Context(), 1); err != nil {
		t.Fatal(err)
	}
	f.Advance(time.Minute)
	if err := <-done; err != nil {
		t.Errorf("Sleep = %v; want nil", err)
	}

	ctx, cancel := context.WithCancel(t.Context())
	go func() { done <- f.Sleep(ctx, time.Minute) }()
	if err := f.BlockUntil(t.Context(), 1); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := <-done; err != context.Canceled {
		t.Errorf("Sleep on a cancelled context = %v; want context.Canceled", err)
	}
	if n := f.Waiters(); n != 0 {
		t.Errorf("Waiters = %d after the cancelled Sleep; want 0", n)
	}
	if err := f.Sleep(ctx, time.Minute); err != context.Canceled {
		t.Errorf("Sleep on a done context = %v; want context.Canceled", err)
	}
}

// TestFake_advanceOnWait: with AdvanceOnWait, waits move the fake and
// end at once.
func TestFake_advanceOnWait(t *testing.T) {
	t.Parallel()
	f := clocktest.New(clocktest.Start)
	pending := f.After(3 * time.Second)
	f.AdvanceOnWait(true)
	if err := f.Sleep(t.Context(), 2*time.Second); err != nil {
		t.Fatal(err)
	}
	if got, want := f.Now(), clocktest.Start.Add(2*time.Second); !got.Equal(want) {
		t.Errorf("Now = %v; want %v", got, want)
	}
	<-f.After(time.Second) // moves to 3s, which ends the pending wait too
	if !received(pending) {
		t.Error("a wait from before AdvanceOnWait did not end when the fake reached it")
	}
}

// TestFake_onSleepAndStarted: the OnSleep hook sees every Sleep first; its
// error ends the Sleep at once, without moving the fake; nil lets the
// Sleep wait as usual. Started lists every wait, After's and Sleep's, in
// order.
func TestFake_onSleepAndStarted(t *testing.T) {
	t.Parallel()
	f := clocktest.New(clocktest.Start)
	f.AdvanceOnWait(true)
	var seen []time.Duration
	f.OnSleep(func(ctx context.Context, d time.Duration) error {
		seen = append(seen, d)
		if d == time.Hour {
			return context.DeadlineExceeded
		}
		return nil
	})
	if err := f.Sleep(t.Context(), time.Hour); err != context.DeadlineExceeded {
		t.Errorf("Sleep with the hook refusing = %v; want its error", err)
	}
	if got := f.Now(); !got.Equal(clocktest.Start) {
		t.Errorf("a refused Sleep moved the fake to %v", got)
	}
	if err := f.Sleep(t.Context(), time.Second); err != nil {
		t.Errorf("Sleep with the hook passing = %v", err)
	}
	<-f.After(2 * time.Second)
	f.OnSleep(nil)
	if err := f.Sleep(t.Context(), 3*time.Second); err != nil {
		t.Errorf("Sleep without the hook = %v", err)
	}
	if want := []time.Duration{time.Hour, time.Second}; !slices.Equal(seen, want) {
		t.Errorf("the hook saw %v; want %v", seen, want)
	}
	if got, want := f.Started(), []time.Duration{time.Hour, time.Second, 2 * time.Second, 3 * time.Second}; !slices.Equal(got, want) {
		t.Errorf("Started = %v; want %v", got, want)
	}
	if got, want := f.Now(), clocktest.Start.Add(6*time.Second); !got.Equal(want) {
		t.Errorf("Now = %v; want %v", got, want)
	}
}

// TestFake_blockUntilHonoursContext: BlockUntil returns ctx's error when
// the waits never come.
func TestFake_blockUntilHonoursContext(t *testing.T) {
	t.Parallel()
	f := clocktest.New(clocktest.Start)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := f.BlockUntil(ctx, 1); err != context.Canceled {
		t.Errorf("BlockUntil = %v; want context.Canceled", err)
	}
}

// TestReal: the system clock's Sleep returns at once for d ≤ 0 (with
// ctx's error) and on a done context; Or fills in a nil Clock.
func TestReal(t *testing.T) {
	t.Parallel()
	c := clock.Or(nil)
	if err := c.Sleep(t.Context(), 0); err != nil {
		t.Errorf("Sleep(0) = %v", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := c.Sleep(ctx, time.Hour); err != context.Canceled {
		t.Errorf("Sleep on a done context = %v; want context.Canceled", err)
	}
	if err := c.Sleep(t.Context(), time.Nanosecond); err != nil {
		t.Errorf("Sleep(1ns) = %v", err)
	}
	<-c.After(time.Nanosecond)
	f := clocktest.New(clocktest.Start)
	if clock.Or(f) != f {
		t.Error("Or replaced a non-nil clock")
	}
}
