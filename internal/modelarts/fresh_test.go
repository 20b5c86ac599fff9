package modelarts_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/devenv-facade/devenv-facade/internal/clock/clocktest"
	"github.com/devenv-facade/devenv-facade/internal/modelarts"
)

// countingNotebook answers each request with a notebook whose name says
// which request it answers (n), so that a test sees which answer it got.
func countingNotebook(w http.ResponseWriter, _ *http.Request, n int) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, `{"id":"`+testNotebook+`","name":"answer-`+strconv.Itoa(n)+`"}`)
}

// TestFreshFor: with a freshness window, a read's success answer answers
// the identical reads that come within the window, and nothing else: not
// after it, not other credentials, not after a write, not a call that asks
// for fresh data, not an error answer; and none at all by default.
func TestFreshFor(t *testing.T) {
	t.Parallel()
	const window = 2 * time.Second
	type step struct {
		advance time.Duration // the clock moves on first
		call    read
		want    string // the name in the answer: which request answered it
		recent  bool
	}
	write := read{ep: modelarts.StopNotebook, params: []string{testProject, testNotebook}}
	tests := []struct {
		name     string
		freshFor time.Duration
		answer   func(w http.ResponseWriter, r *http.Request, n int)
		steps    []step
	}{
		{"within the window, then after it", window, countingNotebook, []step{
			{0, getNotebook(), "answer-1", false},
			{time.Second, getNotebook(), "answer-1", true},
			{time.Second - time.Nanosecond, getNotebook(), "answer-1", true},
			{time.Nanosecond, getNotebook(), "answer-2", false},
			{time.Second, getNotebook(), "answer-2", true},
		}},
		{"other credentials", window, countingNotebook, []step{
			{0, getNotebook(), "answer-1", false},
			{0, getNotebook(modelarts.CallerToken("token-a")), "answer-2", false},
			{0, getNotebook(modelarts.CallerToken("token-b")), "answer-3", false},
			{0, getNotebook(modelarts.CallerToken("token-a")), "answer-2", true},
			{0, getNotebook(), "answer-1", true},
		}},
		{"after a write", window, countingNotebook, []step{
			{0, getNotebook(), "answer-1", false},
			{0, write, "answer-2", false},
			{0, getNotebook(), "answer-3", false},
			{0, getNotebook(), "answer-3", true},
		}},
		{"a call that asks for fresh data, whose answer is kept", window, countingNotebook, []step{
			{0, getNotebook(), "answer-1", false},
			{0, getNotebook(modelarts.Fresh()), "answer-2", false},
			{0, getNotebook(), "answer-2", true},
		}},
		{"error answers are not kept", window, func(w http.ResponseWriter, r *http.Request, n int) {
			if n == 1 {
				w.WriteHeader(http.StatusBadRequest)
				_, _ = io.WriteString(w, `{"error_code":"ModelArts.6309","error_message":"not found"}`)
				return
			}
			countingNotebook(w, r, n)
		}, []step{
			{0, getNotebook(), "", false},
			{0, getNotebook(), "answer-2", false},
			{0, getNotebook(), "answer-2", true},
		}},
		{"no window by default", 0, countingNotebook, []step{
			{0, getNotebook(), "answer-1", false},
			{0, getNotebook(), "answer-2", false},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			up, endpoint := newHeldUpstream(t, tc.answer)
			up.releaseAll()
			clk := clocktest.New(time.Date(2026, 12, 6, 17, 0, 0, 0, time.UTC))
			c, _ := newCoalescingClient(t, endpoint, modelarts.Options{FreshFor: tc.freshFor, Clock: clk,
				Retry: modelarts.RetryPolicy{MaxAttempts: 1}})
			var elapsed time.Duration
			for i, s := range tc.steps {
				clk.Advance(s.advance)
				elapsed += s.advance
				o := <-s.call.start(t.Context(), c)
				var got struct{ Name string }
				if o.body != nil {
					if err := json.Unmarshal(o.body, &got); err != nil {
						t.Fatalf("step %d: %v", i, err)
					}
				}
				if got.Name != s.want || o.res.Recent != s.recent || (o.err != nil) != (s.want == "") {
					t.Errorf("step %d (at +%s): answer %q, Recent %v, %v; want %q, Recent %v", i, elapsed, got.Name, o.res.Recent, o.err, s.want, s.recent)
				}
				if s.recent && o.res.Attempts != 0 {
					t.Errorf("step %d: Attempts %d; want 0 for a recent answer", i, o.res.Attempts)
				}
			}
		})
	}
}

// TestFreshFor_age: a recent answer says how old it is.
func TestFreshFor_age(t *testing.T) {
	t.Parallel()
	up, endpoint := newHeldUpstream(t, countingNotebook)
	up.releaseAll()
	clk := clocktest.New(time.Date(2026, 12, 6, 17, 0, 0, 0, time.UTC))
	c, _ := newCoalescingClient(t, endpoint, modelarts.Options{FreshFor: time.Second, Clock: clk})
	if o := <-getNotebook().start(t.Context(), c); o.err != nil {
		t.Fatal(o.err)
	}
	clk.Advance(300 * time.Millisecond)
	if o := <-getNotebook().start(t.Context(), c); !o.res.Recent || o.res.Age != 300*time.Millisecond || o.res.HTTPStatus != http.StatusOK {
		t.Errorf("Recent %v, Age %s, HTTPStatus %d; want true, 300ms, 200", o.res.Recent, o.res.Age, o.res.HTTPStatus)
	}
}

// TestFreshFor_options: the window cannot be negative, nor go without
// coalescing.
func TestFreshFor_options(t *testing.T) {
	t.Parallel()
	for _, opts := range []modelarts.Options{
		{FreshFor: -time.Second},
		{FreshFor: time.Second, DisableCoalescing: true},
	} {
		if _, err := modelarts.NewClient(http.DefaultClient, "http://127.0.0.1:1", opts); err == nil {
			t.Errorf("NewClient(%+v) succeeded", opts)
		}
	}
}
