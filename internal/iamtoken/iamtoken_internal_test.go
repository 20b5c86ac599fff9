package iamtoken

import (
	"crypto/sha256"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"
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
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	var requests atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		if len(r.Header.Get("X-Subject-Token")) > 4 && r.Header.Get("X-Subject-Token")[:4] == "good" {
			answerValid(w, clock().Add(time.Hour))
			return
		}
		w.WriteHeader(http.StatusNotFound)
	}))
	defer srv.Close()
	v, err := New(srv.Client(), srv.URL+"/v3", Options{Now: clock, MaxValid: 3, MaxRejected: 5})
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
