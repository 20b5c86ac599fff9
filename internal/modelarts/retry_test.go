package modelarts_test

import (
	"context"
	"net/http"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/devenv-facade/devenv-facade/internal/modelarts"
)

// sequence answers the n-th request with handlers[n] (the last one repeats).
func sequence(count *atomic.Int32, handlers ...http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		n := int(count.Add(1)) - 1
		handlers[min(n, len(handlers)-1)](w, r)
	}
}

var fastRetries = modelarts.WithRetryPolicy(modelarts.RetryPolicy{
	MaxAttempts: 3, InitialBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond, Multiplier: 2, MaxRetryAfter: 2 * time.Second,
})

func TestRetries(t *testing.T) {
	t.Parallel()
	ok := answer(200, `{"instance_id":"x"}`)
	unavailable := answer(503, "")
	notFound := answer(400, `{"error_code":"ModelArts.6309","error_message":"The instance does not exist."}`)
	busy := answer(429, `{"error_code":"ModelArts.6101","error_message":"busy"}`, "Retry-After", "1")
	tests := []struct {
		name         string
		handlers     []http.HandlerFunc
		opts         []modelarts.Option
		deadline     time.Duration
		wantErr      bool
		wantAttempts int32
		wantInferred bool
		minElapsed   time.Duration
	}{
		{"flaky_then_ok", []http.HandlerFunc{unavailable, unavailable, ok}, nil, 0, false, 3, false, 0},
		{"still_failing", []http.HandlerFunc{unavailable}, nil, 0, true, 3, false, 0},
		{"final_answer_not_retried", []http.HandlerFunc{notFound}, nil, 0, true, 1, false, 0},
		{"reset_then_ok", []http.HandlerFunc{resetConnection, ok}, nil, 0, false, 2, false, 0},
		{"lost_answer_then_6309_is_success", []http.HandlerFunc{resetConnection, notFound}, nil, 0, false, 2, true, 0},
		{"retry_after_honoured", []http.HandlerFunc{busy, ok}, nil, 0, false, 2, false, time.Second},
		{"retry_after_past_deadline", []http.HandlerFunc{busy, ok}, nil, 500 * time.Millisecond, true, 1, false, 0},
		{"retry_after_too_long", []http.HandlerFunc{answer(429, ``, "Retry-After", "30"), ok}, nil, 0, true, 1, false, 0},
		{"retries_disabled", []http.HandlerFunc{unavailable, ok}, []modelarts.Option{modelarts.WithRetryPolicy(modelarts.RetryPolicy{MaxAttempts: 1})}, 0, true, 1, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var count atomic.Int32
			_, c := newServer(t, sequence(&count, tt.handlers...), append([]modelarts.Option{fastRetries}, tt.opts...)...)
			ctx := t.Context()
			if tt.deadline > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.deadline)
				defer cancel()
			}
			var stats modelarts.CallStats
			start := time.Now()
			res, err := c.DeleteInstance(ctx, testProject, testInstance, modelarts.Report(&stats))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v; want error %v", err, tt.wantErr)
			}
			if n := count.Load(); n != tt.wantAttempts || int32(stats.Attempts) != n {
				t.Errorf("server saw %d attempts, stats say %d; want %d", n, stats.Attempts, tt.wantAttempts)
			}
			if err == nil && res.Inferred != tt.wantInferred {
				t.Errorf("Inferred = %v; want %v", res.Inferred, tt.wantInferred)
			}
			if el := time.Since(start); el < tt.minElapsed {
				t.Errorf("took %v; want at least %v", el, tt.minElapsed)
			}
		})
	}
}

func TestRetries_budgetSharedAcrossCalls(t *testing.T) {
	t.Parallel()
	var count atomic.Int32
	budget := modelarts.NewRetryBudget(4, 0.1)
	_, c := newServer(t, sequence(&count, answer(503, "")), fastRetries, modelarts.WithRetryBudget(budget))
	for range 20 {
		_, _ = c.DeleteInstance(t.Context(), testProject, testInstance)
	}
	// Retries stop once the 4-token bucket is half empty: 20 calls make
	// 20 first attempts and only a retry or two.
	if n := count.Load(); n > 22 {
		t.Errorf("20 calls against a dead upstream made %d attempts; want at most 22", n)
	}
}

func TestRetries_attemptTimeout(t *testing.T) {
	t.Parallel()
	var count atomic.Int32
	stalled := func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }
	_, c := newServer(t, sequence(&count, stalled, answer(200, `{"instance_id":"x"}`)), modelarts.WithRetryPolicy(modelarts.RetryPolicy{
		MaxAttempts: 3, InitialBackoff: time.Millisecond, MaxBackoff: time.Millisecond, AttemptTimeout: 100 * time.Millisecond}))
	start := time.Now()
	var stats modelarts.CallStats
	if _, err := c.DeleteInstance(t.Context(), testProject, testInstance, modelarts.Report(&stats)); err != nil {
		t.Fatalf("err = %v; want success on the second attempt", err)
	}
	if el := time.Since(start); el > time.Second || stats.Attempts != 2 || !stats.Ambiguous {
		t.Errorf("took %v with stats %+v; want ~100ms, 2 attempts, the first ambiguous", el, stats)
	}
}

func TestMaxInFlight(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	_, c := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		<-release
		answer(200, `{"instance_id":"x"}`)(w, r)
	}, modelarts.WithMaxInFlight(1, 10*time.Millisecond))
	done := make(chan error)
	go func() {
		_, err := c.DeleteInstance(context.Background(), testProject, testInstance)
		done <- err
	}()
	time.Sleep(50 * time.Millisecond)
	if _, err := c.DeleteInstance(t.Context(), testProject, strconv.Itoa(2)); err != modelarts.ErrOverloaded {
		t.Errorf("second call while the first holds the only slot: %v; want ErrOverloaded", err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Error(err)
	}
	if _, err := c.DeleteInstance(t.Context(), testProject, testInstance); err != nil {
		t.Errorf("after the slot freed: %v", err)
	}
}
