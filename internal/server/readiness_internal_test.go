package server

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/devenv-facade/devenv-facade/internal/clock/clocktest"

	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	devenvv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/devenv/v1"
	"github.com/devenv-facade/devenv-facade/internal/emulator"
	"github.com/devenv-facade/devenv-facade/internal/modelarts"
)

// readyCreds are credentials whose readiness the test sets.
type readyCreds struct{ err atomic.Pointer[error] }

func (c *readyCreds) Authenticate(_ context.Context, r *http.Request) error {
	r.Header.Set("X-Auth-Token", "t")
	return nil
}

func (c *readyCreds) Ready() error {
	if p := c.err.Load(); p != nil {
		return *p
	}
	return nil
}

// flaky is an upstream that, while down, closes every connection without
// an answer, and otherwise is the emulator.
type flaky struct {
	down atomic.Bool
	next http.Handler
}

func (f *flaky) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if f.down.Load() {
		if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
			conn.Close()
		}
		return
	}
	f.next.ServeHTTP(w, r)
}

// TestReadiness: the facade is not ready while its IAM token is missing or
// ModelArts has not answered for a while; an idle facade that finds
// ModelArts unreachable probes it and is ready again once it answers; the
// state reaches /readyz and the service's gRPC health, and the server's
// own health ("") stays SERVING.
func TestReadiness(t *testing.T) {
	t.Parallel()
	up := &flaky{next: emulator.MustNew(emulator.Options{})}
	srv := httptest.NewServer(up)
	defer srv.Close()
	grpcLis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	adminLis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer grpcLis.Close()
	defer adminLis.Close()
	creds := &readyCreds{}
	t0 := time.Now()
	clock := clocktest.New(t0)
	opts := Options{}
	opts.GRPCListener, opts.AdminListener, opts.Endpoint, opts.Credentials = grpcLis, adminLis, srv.URL, creds
	opts.Retry.MaxAttempts = 1
	opts.Clock = clock
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx, cancel := context.WithCancel(t.Context())
	ticks := make(chan time.Time)
	published := make(chan struct{}, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.watchReadiness(ctx, ticks, func() { published <- struct{}{} })
	}()
	awaitPublished := func() {
		t.Helper()
		select {
		case <-published:
		case <-time.After(10 * time.Second):
			t.Fatal("watchReadiness does not evaluate readiness")
		}
	}
	awaitPublished() // the evaluation at start
	defer func() {
		cancel()
		<-done
	}()
	tick := func(after time.Duration) {
		at := t0.Add(after)
		clock.Advance(at.Sub(clock.Now()))
		select {
		case ticks <- at:
		case <-time.After(10 * time.Second):
			t.Fatal("watchReadiness does not take ticks")
		}
		// Return once the tick's evaluation is over, so that nothing of it
		// (a probe's start) runs beside what the test does next. (A second
		// tick used to stand for this; its own evaluation then ran beside
		// the test, and a probe's WaitGroup.Add beside waitProbe's Wait.)
		awaitPublished()
	}
	check := func(what string, wantReady bool) {
		t.Helper()
		if got := s.admin.ready.Load(); got != wantReady {
			t.Errorf("%s: /readyz ready = %v (%q); want %v", what, got, *s.admin.why.Load(), wantReady)
		}
		want := healthpb.HealthCheckResponse_NOT_SERVING
		if wantReady {
			want = healthpb.HealthCheckResponse_SERVING
		}
		resp, err := s.health.Check(ctx, &healthpb.HealthCheckRequest{Service: devenvv1.DevEnvService_ServiceDesc.ServiceName})
		if err != nil || resp.GetStatus() != want {
			t.Errorf("%s: service health %v, %v; want %v", what, resp.GetStatus(), err, want)
		}
		if resp, err := s.health.Check(ctx, &healthpb.HealthCheckRequest{}); err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
			t.Errorf("%s: server health %v, %v; want SERVING (liveness)", what, resp.GetStatus(), err)
		}
	}
	waitProbe := s.probes.Wait // a probe ends within probeTimeout
	call := func() {
		_, _, _ = modelarts.GetInstance.Call(ctx, s.client, modelarts.Request{Params: []string{"0123456789abcdef0123456789abcdef", "x"}})
	}

	tick(0)
	check("at start", true)

	noToken := errors.New("IAM says no")
	creds.err.Store(&noToken)
	tick(time.Second)
	check("without an IAM token", false)
	if why := *s.admin.why.Load(); why != "waiting for the facade's IAM token" {
		t.Errorf("why = %q: it must say what is missing, and nothing of IAM's answer", why)
	}
	creds.err.Store(nil)

	up.down.Store(true)
	for range modelarts.UnreachableAfterFailures {
		call()
	}
	tick(2 * time.Second)
	check("right after the failures", true) // not sustained yet
	tick(modelarts.UnreachableAfter + time.Minute)
	check("after failing for a minute", false)
	waitProbe() // an idle facade probes; ModelArts is still down

	up.down.Store(false)
	tick(modelarts.UnreachableAfter + 2*time.Minute) // starts a probe, which gets an answer
	waitProbe()
	tick(modelarts.UnreachableAfter + 2*time.Minute + time.Second)
	check("once a probe got an answer", true)
}
