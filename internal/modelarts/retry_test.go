package modelarts_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/devenv-facade/devenv-facade/internal/clock/clocktest"
	"github.com/devenv-facade/devenv-facade/internal/cloudauth"
	"github.com/devenv-facade/devenv-facade/internal/modelarts"
)

// sequence answers the n-th request with handlers[n] (the last one repeats).
func sequence(count *atomic.Int32, handlers ...http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		n := int(count.Add(1)) - 1
		handlers[min(n, len(handlers)-1)](w, r)
	}
}

var fastRetries = modelarts.RetryPolicy{
	MaxAttempts: 3, InitialBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond, Multiplier: 2, MaxRetryAfter: 2 * time.Second,
}

// newWaits returns a fake clock that moves as the client waits between
// attempts; its Started lists those waits.
func newWaits() *clocktest.Fake {
	w := clocktest.New(clocktest.Start)
	w.AdvanceOnWait(true)
	return w
}

func vendorAnswer(status int, code string, header ...string) http.HandlerFunc {
	return answer(status, `{"error_code":"`+code+`","error_message":"m"}`, header...)
}

func TestRetries(t *testing.T) {
	t.Parallel()
	ok := answer(200, `{"instance_id":"x"}`)
	unavailable := answer(503, "")
	notFound := vendorAnswer(400, "ModelArts.6309")
	busy := vendorAnswer(429, "ModelArts.6101", "Retry-After", "1")
	tests := []struct {
		name         string
		handlers     []http.HandlerFunc
		retry        modelarts.RetryPolicy // zero: fastRetries
		deadline     time.Duration
		wantErr      bool
		wantAttempts int32
		wantInferred bool
		minWait      time.Duration // the longest wait between attempts at least
	}{
		{"flaky_then_ok", []http.HandlerFunc{unavailable, unavailable, ok}, modelarts.RetryPolicy{}, 0, false, 3, false, 0},
		{"still_failing", []http.HandlerFunc{unavailable}, modelarts.RetryPolicy{}, 0, true, 3, false, 0},
		{"final_answer_not_retried", []http.HandlerFunc{notFound}, modelarts.RetryPolicy{}, 0, true, 1, false, 0},
		{"reset_then_ok", []http.HandlerFunc{resetConnection, ok}, modelarts.RetryPolicy{}, 0, false, 2, false, 0},
		{"lost_answer_then_6309_is_success", []http.HandlerFunc{resetConnection, notFound}, modelarts.RetryPolicy{}, 0, false, 2, true, 0},
		{"retry_after_honoured", []http.HandlerFunc{busy, ok}, modelarts.RetryPolicy{}, 0, false, 2, false, time.Second},
		{"retry_after_past_deadline", []http.HandlerFunc{busy, ok}, modelarts.RetryPolicy{}, 500 * time.Millisecond, true, 1, false, 0},
		{"retry_after_too_long", []http.HandlerFunc{answer(429, ``, "Retry-After", "30"), ok}, modelarts.RetryPolicy{}, 0, true, 1, false, 0},
		{"retries_disabled", []http.HandlerFunc{unavailable, ok}, modelarts.RetryPolicy{MaxAttempts: 1}, 0, true, 1, false, 0},
		// The code table decides (codes.go): try-again-soon codes are
		// retried, a documented wait longer than the facade's is left to
		// the caller.
		{"6102_retried", []http.HandlerFunc{vendorAnswer(500, "ModelArts.6102"), ok}, modelarts.RetryPolicy{}, 0, false, 2, false, 0},
		{"1002_retried", []http.HandlerFunc{vendorAnswer(400, "ModelArts.1002"), ok}, modelarts.RetryPolicy{}, 0, false, 2, false, 0},
		{"6355_left_to_the_caller", []http.HandlerFunc{vendorAnswer(400, "ModelArts.6355"), ok}, modelarts.RetryPolicy{}, 0, true, 1, false, 0},
		{"6333_left_to_the_caller", []http.HandlerFunc{vendorAnswer(400, "ModelArts.6333"), ok}, modelarts.RetryPolicy{}, 0, true, 1, false, 0},
		{"6306_left_to_the_caller", []http.HandlerFunc{vendorAnswer(400, "ModelArts.6306"), ok}, modelarts.RetryPolicy{}, 0, true, 1, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var count atomic.Int32
			w := newWaits()
			retry := tt.retry
			if retry == (modelarts.RetryPolicy{}) {
				retry = fastRetries
			}
			_, c := newServer(t, sequence(&count, tt.handlers...), modelarts.Options{Retry: retry, Clock: w})
			ctx := t.Context()
			if tt.deadline > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.deadline)
				defer cancel()
			}
			_, res, err := deleteInstanceResult(ctx, c, testProject, testInstance)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v; want error %v", err, tt.wantErr)
			}
			if n := count.Load(); n != tt.wantAttempts || int32(res.Attempts) != n {
				t.Errorf("server saw %d attempts, the Result says %d; want %d", n, res.Attempts, tt.wantAttempts)
			}
			if res.Inferred != tt.wantInferred {
				t.Errorf("Inferred = %v; want %v", res.Inferred, tt.wantInferred)
			}
			if got := slices.Max(append(w.Started(), 0)); got < tt.minWait {
				t.Errorf("longest wait %v; want at least %v", got, tt.minWait)
			}
		})
	}
}

func TestRetries_budgetSharedAcrossCalls(t *testing.T) {
	t.Parallel()
	var count atomic.Int32
	budget := modelarts.NewRetryBudget(4, 0.1)
	_, c := newServer(t, sequence(&count, answer(503, "")), modelarts.Options{Retry: fastRetries, RetryBudget: budget})
	for range 20 {
		_, _ = deleteInstance(t.Context(), c, testProject, testInstance)
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
	_, c := newServer(t, sequence(&count, stalled, answer(200, `{"instance_id":"x"}`)), modelarts.Options{Retry: modelarts.RetryPolicy{
		MaxAttempts: 3, InitialBackoff: time.Millisecond, MaxBackoff: time.Millisecond, AttemptTimeout: time.Second}})
	// The call has no deadline: only the attempt's timeout ends the
	// stalled attempt. A second long enough for the retry's answer under
	// -race on a loaded machine (at 100ms, the retry timed out too, once).
	_, res, err := deleteInstanceResult(t.Context(), c, testProject, testInstance)
	if err != nil {
		t.Fatalf("err = %v; want success on the second attempt", err)
	}
	if res.Attempts != 2 || !res.Ambiguous {
		t.Errorf("result %+v; want 2 attempts, the first ambiguous", res)
	}
}

// TestRetries_attemptTimeoutShorterThanTheCallers: an attempt gets a
// deadline of its own only when it must end before the caller's (one
// timer fewer per call otherwise); when it must, a stalled attempt ends at
// the attempt timeout, not at the caller's later deadline, and the retry
// answers.
func TestRetries_attemptTimeoutShorterThanTheCallers(t *testing.T) {
	t.Parallel()
	var count atomic.Int32
	stalled := func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }
	_, c := newServer(t, sequence(&count, stalled, answer(200, `{"instance_id":"x"}`)), modelarts.Options{Retry: modelarts.RetryPolicy{
		MaxAttempts: 3, InitialBackoff: time.Millisecond, MaxBackoff: time.Millisecond, AttemptTimeout: time.Second}})
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	_, res, err := deleteInstanceResult(ctx, c, testProject, testInstance)
	if err != nil {
		t.Fatalf("err = %v; want success on the second attempt, after the first's timeout", err)
	}
	if res.Attempts != 2 || !res.Ambiguous {
		t.Errorf("result %+v; want 2 attempts, the first ambiguous", res)
	}
}

// TestAttemptTimeout_notForCallsSentOnce: a create is never resent, so the
// per-attempt timeout (which leaves time for retries) does not cut it
// short: cutting it would only make its outcome unknown.
func TestAttemptTimeout_notForCallsSentOnce(t *testing.T) {
	t.Parallel()
	slow := func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(300 * time.Millisecond): // longer than the attempt timeout
			answer(200, `{"id":"DE-1","status":"CREATING"}`)(w, r)
		case <-r.Context().Done():
		}
	}
	_, c := newServer(t, slow, modelarts.Options{Retry: modelarts.RetryPolicy{
		MaxAttempts: 3, InitialBackoff: time.Millisecond, MaxBackoff: time.Millisecond, AttemptTimeout: 100 * time.Millisecond}})
	_, res, err := modelarts.CreateInstance.Call(t.Context(), c,
		modelarts.Request{Params: []string{testProject}, Body: json.RawMessage(`{"name":"x"}`)})
	if err != nil || res.Attempts != 1 || res.Ambiguous {
		t.Errorf("slow create: %v, %+v; want its answer, in one attempt", err, res)
	}
}

func TestMaxInFlight(t *testing.T) {
	t.Parallel()
	entered, release := make(chan struct{}, 1), make(chan struct{})
	_, c := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		entered <- struct{}{}
		<-release
		answer(200, `{"instance_id":"x"}`)(w, r)
	}, modelarts.Options{MaxInFlight: 1, MaxInFlightWait: 10 * time.Millisecond})
	done := make(chan error)
	go func() {
		_, err := deleteInstance(context.Background(), c, testProject, testInstance)
		done <- err
	}()
	<-entered // the first call holds the only slot
	if _, err := deleteInstance(t.Context(), c, testProject, strconv.Itoa(2)); err != modelarts.ErrOverloaded {
		t.Errorf("second call while the first holds the only slot: %v; want ErrOverloaded", err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Error(err)
	}
	go func() { <-entered }() // the third call's turn at the handler
	if _, err := deleteInstance(t.Context(), c, testProject, testInstance); err != nil {
		t.Errorf("after the slot freed: %v", err)
	}
}

// TestAttemptTimeout_errorIsDeadlineExceeded: an attempt its timeout
// ends (the call's only bound: no caller deadline) fails with
// context.DeadlineExceeded, over HTTP/1.1 and over h2c, as an attempt
// under a context.WithDeadline did; and the call's own context is left
// as it was.
func TestAttemptTimeout_errorIsDeadlineExceeded(t *testing.T) {
	t.Parallel()
	for _, h2c := range []bool{false, true} {
		t.Run(map[bool]string{false: "http1", true: "h2c"}[h2c], func(t *testing.T) {
			t.Parallel()
			stalled := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
			url, _ := serveH2C(t, stalled, 0)
			hc := modelarts.NewHTTPClientWith(modelarts.TransportOptions{UnencryptedHTTP2: h2c})
			defer hc.CloseIdleConnections()
			c, err := modelarts.NewClient(hc, url, modelarts.Options{Credentials: cloudauth.Token("service-token"),
				Retry: modelarts.RetryPolicy{MaxAttempts: 1, AttemptTimeout: 50 * time.Millisecond}})
			if err != nil {
				t.Fatal(err)
			}
			_, res, err := deleteInstanceResult(t.Context(), c, testProject, testInstance)
			if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
				t.Errorf("err = %v; want context.DeadlineExceeded", err)
			}
			if res.Attempts != 1 || t.Context().Err() != nil {
				t.Errorf("%d attempts, call's context %v; want 1, not ended", res.Attempts, t.Context().Err())
			}
		})
	}
}
