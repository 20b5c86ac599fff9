package modelarts

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/devenv-facade/devenv-facade/internal/options"

	"github.com/devenv-facade/devenv-facade/internal/clock/clocktest"
)

func TestRetryPolicy_backoffIsFullJitterWithinBounds(t *testing.T) {
	t.Parallel()
	p := RetryPolicy{MaxAttempts: 5, InitialBackoff: 100 * time.Millisecond, MaxBackoff: 300 * time.Millisecond, Multiplier: 2}.WithDefaults()
	for n, ceiling := range map[int]time.Duration{1: 100 * time.Millisecond, 2: 200 * time.Millisecond, 3: 300 * time.Millisecond, 9: 300 * time.Millisecond} {
		var lo, hi time.Duration = time.Hour, 0
		for range 2000 {
			d := p.backoff(n)
			lo, hi = min(lo, d), max(hi, d)
			if d < 0 || d > ceiling {
				t.Fatalf("backoff(%d) = %v; want within [0, %v]", n, d, ceiling)
			}
		}
		// Full jitter spreads over the whole range.
		if lo > ceiling/10 || hi < ceiling*9/10 {
			t.Errorf("backoff(%d) ranged over [%v, %v]; want most of [0, %v]", n, lo, hi, ceiling)
		}
	}
}

// TestRetryPolicy_defaults: a zero policy is DefaultRetryPolicy; a zero
// MaxBackoff is never below InitialBackoff; Validate refuses, naming the
// fields, what the defaults cannot mend.
func TestRetryPolicy_defaults(t *testing.T) {
	t.Parallel()
	if p := (RetryPolicy{}).WithDefaults(); p != DefaultRetryPolicy() {
		t.Errorf("zero policy with defaults: %+v; want DefaultRetryPolicy", p)
	}
	if p := (RetryPolicy{InitialBackoff: 3 * time.Second}).WithDefaults(); p.MaxBackoff != 3*time.Second {
		t.Errorf("MaxBackoff %v for InitialBackoff 3s; want 3s", p.MaxBackoff)
	}
	if err := (RetryPolicy{MaxAttempts: 1, AttemptTimeout: options.NoLimit}).Validate(); err != nil {
		t.Errorf("MaxAttempts 1, AttemptTimeout NoLimit: %v", err)
	}
	for _, tt := range []struct {
		p    RetryPolicy
		want []string
	}{
		{RetryPolicy{MaxAttempts: -1}, []string{"MaxAttempts"}},
		{RetryPolicy{InitialBackoff: 3 * time.Second, MaxBackoff: time.Second}, []string{"MaxBackoff", "InitialBackoff"}},
		{RetryPolicy{Multiplier: 0.5}, []string{"Multiplier"}},
		{RetryPolicy{MaxRetryAfter: -time.Second}, []string{"MaxRetryAfter"}},
		{RetryPolicy{AttemptTimeout: -time.Second}, []string{"AttemptTimeout"}},
	} {
		var oe *options.Error
		if err := tt.p.Validate(); !errors.As(err, &oe) || !slices.Equal(oe.Fields(), tt.want) {
			t.Errorf("Validate(%+v) = %v; want an *options.Error naming %v", tt.p, err, tt.want)
		}
	}
}

func TestRetryBudget(t *testing.T) {
	t.Parallel()
	b := NewRetryBudget(10, 0.1)
	if !b.allow() {
		t.Fatal("a full budget refuses retries")
	}
	for range 4 {
		b.record(true)
	}
	if !b.allow() {
		t.Error("6 of 10 tokens left: retries should still be allowed")
	}
	b.record(true)
	if b.allow() {
		t.Error("5 of 10 tokens left: retries must stop at half")
	}
	for range 100 {
		b.record(true)
	}
	for range 59 { // back to 5.9 tokens
		b.record(false)
	}
	if !b.allow() {
		t.Error("after 59 successes the budget should allow retries again")
	}
	for range 1000 {
		b.record(false)
	}
	if b.tokens != 10 {
		t.Errorf("tokens = %v; successes must not overfill the bucket", b.tokens)
	}
}

// TestRetryBudget_full: an answer to a full budget takes no lock (its
// full mark says so); a failure clears the mark, and the answers that
// refill the bucket set it again, so that the budget drains and refills
// as one that always locks.
func TestRetryBudget_full(t *testing.T) {
	t.Parallel()
	b := NewRetryBudget(2, 0.5)
	if !b.full.Load() {
		t.Fatal("a new budget is not marked full")
	}
	for round := range 3 {
		b.record(true)
		b.record(true)
		if b.full.Load() || b.tokens != 0 || b.allow() {
			t.Fatalf("round %d: after two failures: full %v, tokens %v, allow %v; want false, 0, false", round, b.full.Load(), b.tokens, b.allow())
		}
		for i := range 4 {
			b.record(false)
			if got, want := b.full.Load(), i == 3; got != want {
				t.Fatalf("round %d: after %d answers: full %v; want %v (tokens %v)", round, i+1, got, want, b.tokens)
			}
		}
		if b.tokens != 2 || !b.allow() {
			t.Fatalf("round %d: refilled: tokens %v, allow %v; want 2, true", round, b.tokens, b.allow())
		}
	}
}

func TestLimiter(t *testing.T) {
	t.Parallel()
	clk := clocktest.New(clocktest.Start)
	full := func(wait time.Duration) (*limiter, func()) {
		l := &limiter{slots: make(chan struct{}, 2), wait: wait}
		err1 := l.acquire(t.Context(), clk)
		err2 := l.acquire(t.Context(), clk)
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		return l, func() { l.release(); l.release() }
	}

	// Shed once the wait has passed on the clock, not before.
	l, release := full(20 * time.Millisecond)
	shed := make(chan error, 1)
	go func() { shed <- l.acquire(t.Context(), clk) }()
	if err := clk.BlockUntil(t.Context(), 1); err != nil {
		t.Fatal(err)
	}
	clk.Advance(19 * time.Millisecond)
	select {
	case err := <-shed:
		t.Fatalf("acquire when full returned %v before its wait had passed", err)
	default:
	}
	clk.Advance(time.Millisecond)
	if err := <-shed; !errors.Is(err, ErrOverloaded) {
		t.Errorf("acquire when full: %v; want ErrOverloaded", err)
	}
	release()

	l, release = full(10 * time.Second)
	freed := make(chan struct{})
	go func() { <-freed; release() }()
	close(freed)
	if err := l.acquire(t.Context(), clk); err != nil {
		t.Errorf("acquire while slots free within the wait: %v", err)
	} else {
		l.release()
	}

	l, release = full(10 * time.Second)
	defer release()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := l.acquire(ctx, clk); err == nil {
		t.Error("acquire on a cancelled context succeeded while full")
	}

	var none *limiter
	if err := none.acquire(t.Context(), clk); err != nil {
		t.Error(err)
	}
	none.release()
}

func TestErrorMeaning(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		e     Error
		retry RetryClass
	}{
		{Error{HTTPStatus: 503}, RetryByFacade},
		{Error{HTTPStatus: 502}, RetryByFacade},
		{Error{HTTPStatus: 504}, RetryByFacade},
		{Error{HTTPStatus: 429, Code: "ModelArts.6101"}, RetryByFacade},
		{Error{HTTPStatus: 400, Code: "ModelArts.6355"}, RetryByCaller},
		{Error{HTTPStatus: 500, Code: "ModelArts.6102"}, RetryByFacade},
		{Error{HTTPStatus: 500, Code: "ModelArts.0010"}, RetryFinal},
		{Error{HTTPStatus: 400, Code: "ModelArts.6309"}, RetryFinal},
		{Error{HTTPStatus: 401, Code: "ModelArts.0202"}, RetryFinal},
		{Error{HTTPStatus: 500}, RetryFinal},
		{Error{HTTPStatus: 503, Code: "ModelArts.9999"}, RetryByFacade}, // unknown code: the status decides
	} {
		if _, _, got, _ := tt.e.Meaning(); got != tt.retry {
			t.Errorf("%d %s: retry class %v; want %v", tt.e.HTTPStatus, tt.e.Code, got, tt.retry)
		}
	}
}
