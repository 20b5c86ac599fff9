package iamtoken

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/devenv-facade/devenv-facade/internal/clock/clocktest"
)

const testProject = "0123456789abcdef0123456789abcdef"

func answerValid(w http.ResponseWriter, expires time.Time) {
	_, _ = fmt.Fprintf(w, `{"token":{"expires_at":%q,"project":{"id":%q}}}`, expires.UTC().Format(time.RFC3339Nano), testProject)
}

// TestValidate_oneRequestPerToken: calls checking one token at once share
// one request to IAM, whether it ends in a valid token or a refusal; and
// calls for different tokens do not wait for each other's.
func TestValidate_oneRequestPerToken(t *testing.T) {
	t.Parallel()
	for _, valid := range []bool{true, false} {
		t.Run(fmt.Sprintf("valid=%v", valid), func(t *testing.T) {
			t.Parallel()
			release := make(chan struct{})
			var requests atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				requests.Add(1)
				<-release
				if !valid {
					w.WriteHeader(http.StatusUnauthorized)
					return
				}
				answerValid(w, time.Now().Add(time.Hour))
			}))
			defer srv.Close()
			v, err := New(srv.Client(), srv.URL+"/v3", Options{})
			if err != nil {
				t.Fatal(err)
			}
			const callers = 20
			joined := make(chan struct{}, callers)
			v.joined = joined
			var wg sync.WaitGroup
			errs := make(chan error, callers)
			for range callers {
				wg.Go(func() {
					_, err := v.Validate(t.Context(), "shared-token")
					errs <- err
				})
			}
			// Every caller joins the one request before IAM answers (IAM
			// holds its answer until release).
			for i := range callers {
				select {
				case <-joined:
				case <-time.After(10 * time.Second):
					t.Fatalf("%d of %d callers joined the request to IAM", i, callers)
				}
			}
			close(release)
			wg.Wait()
			close(errs)
			for err := range errs {
				if (err == nil) != valid {
					t.Errorf("err = %v; want success %v", err, valid)
				}
			}
			if n := requests.Load(); n != 1 {
				t.Errorf("IAM requests = %d; want 1", n)
			}
		})
	}
}

// TestCacheBounds: each kind of answer is kept within its bound, expired
// entries go first, and a flood of refused tokens does not push out valid
// ones.
func TestCacheBounds(t *testing.T) {
	t.Parallel()
	clock := clocktest.New(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC))
	var requests atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		if len(r.Header.Get("X-Subject-Token")) > 4 && r.Header.Get("X-Subject-Token")[:4] == "good" {
			answerValid(w, clock.Now().Add(time.Hour))
			return
		}
		w.WriteHeader(http.StatusNotFound)
	}))
	defer srv.Close()
	v, err := New(srv.Client(), srv.URL+"/v3", Options{Clock: clock, MaxValid: 3, MaxRejected: 5})
	if err != nil {
		t.Fatal(err)
	}
	validate := func(token string) {
		t.Helper()
		_, _ = v.Validate(t.Context(), token)
	}
	validate("good-0")
	for i := range 50 {
		validate(fmt.Sprintf("bad-%d", i))
	}
	v.mu.Lock()
	nValid, nBad := len(v.valid), len(v.bad)
	v.mu.Unlock()
	if nValid != 1 || nBad > 5 {
		t.Errorf("entries: %d valid, %d refused; want 1 and at most 5", nValid, nBad)
	}
	before := requests.Load()
	validate("good-0")
	if requests.Load() != before {
		t.Error("the valid token was pushed out by refused ones")
	}
	for i := 1; i <= 10; i++ {
		validate(fmt.Sprintf("good-%d", i))
	}
	v.mu.Lock()
	nValid = len(v.valid)
	v.mu.Unlock()
	if nValid > 3 {
		t.Errorf("%d valid entries; want at most 3", nValid)
	}
	// Keys are hashes: no entry holds a token.
	v.mu.Lock()
	_, byHash := v.valid[sha256.Sum256([]byte("good-10"))]
	v.mu.Unlock()
	if !byHash {
		t.Error("the latest valid token is not cached under its SHA-256")
	}
}

// blockingIAM is a fake IAM that holds every request until release is
// closed (then answers the token valid) or the request is cancelled: each
// arrival and each cancellation is announced, by token.
type blockingIAM struct {
	srv       *httptest.Server
	release   chan struct{}
	arrived   chan string
	cancelled chan string
	requests  atomic.Int64
}

func newBlockingIAM(t *testing.T) *blockingIAM {
	t.Helper()
	b := &blockingIAM{release: make(chan struct{}), arrived: make(chan string, 100), cancelled: make(chan string, 100)}
	b.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b.requests.Add(1)
		token := r.Header.Get("X-Subject-Token")
		b.arrived <- token
		select {
		case <-b.release:
			answerValid(w, time.Now().Add(time.Hour))
		case <-r.Context().Done():
			b.cancelled <- token
		}
	}))
	t.Cleanup(b.srv.Close)
	t.Cleanup(func() {
		select {
		case <-b.release:
		default:
			close(b.release)
		}
	})
	return b
}

// receive returns the next value of ch, failing after 10s.
func receive(t *testing.T, ch <-chan string, what string) string {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
		return ""
	}
}

// checksInFlight returns how many checks have not ended.
func (v *Validator) checksInFlight() int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.checking
}

// TestValidate_checksAreBounded: at most MaxChecks tokens are checked with
// IAM at once; a new token beyond them is refused at once with ErrBusy,
// and nothing is sent to IAM, while a call with a token already being
// checked joins its check; once checks end, new tokens are checked again.
func TestValidate_checksAreBounded(t *testing.T) {
	t.Parallel()
	iam := newBlockingIAM(t)
	hc := &http.Client{Transport: &http.Transport{}}
	t.Cleanup(hc.CloseIdleConnections)
	v, err := New(hc, iam.srv.URL+"/v3", Options{MaxChecks: 3, Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	joined := make(chan struct{}, 10)
	v.joined = joined
	var wg sync.WaitGroup
	errs := make(chan error, 10)
	validate := func(token string) {
		wg.Go(func() {
			_, err := v.Validate(context.Background(), token)
			errs <- err
		})
	}
	for i := range 3 {
		validate(fmt.Sprint("token-", i))
		receive(t, iam.arrived, "a check to reach IAM")
	}
	// A fourth token: refused at once, IAM not asked. (Without the
	// bound, it would wait for IAM: the deadline ends that wait.)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if _, err := v.Validate(ctx, "token-3"); !errors.Is(err, ErrBusy) {
		t.Errorf("a fourth token while three are checked: %v; want ErrBusy", err)
	}
	// A call with a token under check joins it.
	validate("token-0")
	for range 4 {
		<-joined
	}
	close(iam.release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("a check under way: %v", err)
		}
	}
	if n := iam.requests.Load(); n != 3 {
		t.Errorf("IAM received %d requests; want 3", n)
	}
	// The checks have ended: the fourth token is checked now.
	if _, err := v.Validate(t.Context(), "token-3"); err != nil {
		t.Errorf("the fourth token once the checks ended: %v", err)
	}
}

// TestValidate_abandonedCheckIsCancelled: a check runs while any call
// waits for it; when the last one stops waiting, its request to IAM is
// cancelled, its slot is freed once the request has ended, and the next
// call with that token starts a new check.
func TestValidate_abandonedCheckIsCancelled(t *testing.T) {
	t.Parallel()
	iam := newBlockingIAM(t)
	hc := &http.Client{Transport: &http.Transport{}}
	t.Cleanup(hc.CloseIdleConnections)
	// A timeout far beyond the test's waits: only the callers' going
	// away can end the request.
	v, err := New(hc, iam.srv.URL+"/v3", Options{MaxChecks: 1, Timeout: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	joined := make(chan struct{}, 10)
	v.joined = joined

	// One caller goes, another stays: the request goes on.
	ctx1, cancel1 := context.WithCancel(t.Context())
	done1 := make(chan error, 1)
	go func() { _, err := v.Validate(ctx1, "shared"); done1 <- err }()
	receive(t, iam.arrived, "the check to reach IAM")
	<-joined
	done2 := make(chan error, 1)
	go func() { _, err := v.Validate(t.Context(), "shared"); done2 <- err }()
	<-joined
	cancel1()
	if err := <-done1; !errors.Is(err, ErrUnavailable) || !errors.Is(err, context.Canceled) {
		t.Errorf("the caller that gave up: %v; want ErrUnavailable wrapping its cancellation", err)
	}
	close(iam.release)
	if err := <-done2; err != nil {
		t.Errorf("the caller that stayed: %v; want IAM's answer", err)
	}

	// The only caller goes: the request is cancelled, the slot freed.
	iam2 := newBlockingIAM(t)
	v2, err := New(hc, iam2.srv.URL+"/v3", Options{MaxChecks: 1, Timeout: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { _, err := v2.Validate(ctx, "abandoned"); done <- err }()
	receive(t, iam2.arrived, "the check to reach IAM")
	cancel()
	<-done
	if got := receive(t, iam2.cancelled, "IAM to see the abandoned request cancelled"); got != "abandoned" {
		t.Errorf("IAM saw the request for %q cancelled", got)
	}
	// The check's goroutine ends once the HTTP client has returned.
	deadline := time.Now().Add(10 * time.Second)
	for v2.checksInFlight() != 0 {
		if time.Now().After(deadline) {
			t.Fatal("the abandoned check still counts against MaxChecks")
		}
		time.Sleep(time.Millisecond)
	}
	// A new call with the token starts a new check (and one slot is free
	// for it).
	close(iam2.release)
	if _, err := v2.Validate(t.Context(), "abandoned"); err != nil {
		t.Errorf("the token after its check was abandoned: %v", err)
	}
	if n := iam2.requests.Load(); n != 2 {
		t.Errorf("IAM received %d requests; want 2", n)
	}
}

// TestValidate_noCheckAfterTheDeadline: a call whose deadline has passed
// before its token is checked starts no check (nor joins one): it gets the
// error of an ended wait at once, and IAM is not asked. A token IAM has
// answered already is answered from the cache as before.
func TestValidate_noCheckAfterTheDeadline(t *testing.T) {
	t.Parallel()
	iam := newBlockingIAM(t)
	hc := &http.Client{Transport: &http.Transport{}}
	t.Cleanup(hc.CloseIdleConnections)
	v, err := New(hc, iam.srv.URL+"/v3", Options{MaxChecks: 1, Timeout: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	joined := make(chan struct{}, 10)
	v.joined = joined
	past, cancel := context.WithDeadline(t.Context(), time.Now().Add(-time.Second))
	defer cancel()
	for _, token := range []string{"late", "late"} {
		if _, err := v.Validate(past, token); !errors.Is(err, ErrUnavailable) || !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("a call past its deadline: %v; want ErrUnavailable wrapping the deadline", err)
		}
	}
	if n := len(joined); n != 0 {
		t.Errorf("calls past their deadline joined %d checks; want none", n)
	}
	if n := v.checksInFlight(); n != 0 {
		t.Errorf("checks in flight after calls past their deadline: %d; want 0", n)
	}
	// The one slot (MaxChecks 1) is free: a live call is checked, and
	// only its request reached IAM.
	close(iam.release)
	if _, err := v.Validate(t.Context(), "live"); err != nil {
		t.Errorf("a live call after them: %v", err)
	}
	if got := receive(t, iam.arrived, "the live call's check"); got != "live" || iam.requests.Load() != 1 {
		t.Errorf("IAM saw %d requests, the first for %q; want 1, for \"live\"", iam.requests.Load(), got)
	}
	// Answered from the cache, even past the deadline.
	if _, err := v.Validate(past, "live"); err != nil {
		t.Errorf("a remembered token past the deadline: %v; want the remembered answer", err)
	}
}
