package modelarts

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// TestReachable: ModelArts is unreachable only after sustained failure:
// UnreachableAfterFailures requests in a row without an answer over at
// least UnreachableAfter; any answer restores it at once.
func TestReachable(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	type step struct {
		at       time.Duration // after t0
		answered bool
	}
	tests := []struct {
		name  string
		steps []step
		at    time.Duration
		want  bool // reachable
	}{
		{"no requests yet", nil, time.Hour, true},
		{"answers", []step{{0, true}, {time.Second, true}}, time.Minute, true},
		{"one failed call, retried twice", []step{{0, false}, {time.Second, false}, {2 * time.Second, false}}, 5 * time.Second, true},
		{"three failures over 30s", []step{{0, false}, {10 * time.Second, false}, {20 * time.Second, false}}, 30 * time.Second, false},
		{"two failures over a minute", []step{{0, false}, {time.Minute, false}}, 2 * time.Minute, true},
		{"an error answer counts as an answer", []step{{0, false}, {10 * time.Second, false}, {20 * time.Second, false}, {25 * time.Second, true}}, time.Minute, true},
		{"failing again after an answer", []step{{0, false}, {time.Second, true}, {2 * time.Second, false}, {3 * time.Second, false}, {4 * time.Second, false}}, 31 * time.Second, true},
		{"failing again, long enough", []step{{0, false}, {time.Second, true}, {2 * time.Second, false}, {3 * time.Second, false}, {4 * time.Second, false}}, 32 * time.Second, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var c Client
			for _, s := range tt.steps {
				c.reach.record(s.answered, t0.Add(s.at))
			}
			err := c.Reachable(t0.Add(tt.at))
			var down *UnreachableError
			if got := err == nil; got != tt.want || (err != nil && !errors.As(err, &down)) {
				t.Errorf("Reachable = %v; want reachable %v", err, tt.want)
			}
		})
	}
}

// TestProbe: any HTTP answer from the endpoint (a 404 will do) is an
// answer; a refused connection is not. Both are recorded.
func TestProbe(t *testing.T) {
	t.Parallel()
	up := httptest.NewServer(http.NotFoundHandler())
	defer up.Close()
	c, err := NewClient(up.Client(), up.URL, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now().Add(-time.Minute)
	for range UnreachableAfterFailures {
		c.reach.record(false, t0)
	}
	if c.Reachable(time.Now()) == nil {
		t.Fatal("not unreachable after failures over a minute")
	}
	if err := c.Probe(context.Background()); err != nil {
		t.Fatalf("Probe of a server answering 404: %v", err)
	}
	if err := c.Reachable(time.Now()); err != nil {
		t.Errorf("after an answered probe: %v", err)
	}

	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := lis.Addr().String()
	lis.Close() // nothing listens there now
	down, err := NewClient(&http.Client{}, "http://"+addr, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := down.Probe(context.Background()); err == nil {
		t.Error("Probe of a closed port succeeded")
	}
	if down.LastAttempt().IsZero() || down.reach.failures.Load() != 1 {
		t.Errorf("the failed probe was not recorded: last %v, failures %d", down.LastAttempt(), down.reach.failures.Load())
	}
}

// TestReachable_fromCalls: calls that get no answer count against
// ModelArts, unless their caller gave up first.
func TestReachable_fromCalls(t *testing.T) {
	t.Parallel()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := lis.Addr().String()
	lis.Close()
	p := DefaultRetryPolicy()
	p.MaxAttempts = 1
	c, err := NewClient(&http.Client{}, "http://"+addr, Options{Credentials: staticToken("t"), Retry: p})
	if err != nil {
		t.Fatal(err)
	}
	req := Request{Params: []string{"0123456789abcdef0123456789abcdef", "x"}}
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := GetInstance.Call(cancelled, c, req); err == nil {
		t.Fatal("call with a cancelled context succeeded")
	}
	if n := c.reach.failures.Load(); n != 0 {
		t.Errorf("a call its caller gave up on counted %d failures", n)
	}
	if _, _, err := GetInstance.Call(context.Background(), c, req); err == nil {
		t.Fatal("call to a closed port succeeded")
	}
	if n := c.reach.failures.Load(); n != 1 {
		t.Errorf("a refused connection counted %d failures; want 1", n)
	}
}

type staticToken string

func (s staticToken) Authenticate(_ context.Context, r *http.Request) error {
	r.Header.Set("X-Auth-Token", string(s))
	return nil
}
