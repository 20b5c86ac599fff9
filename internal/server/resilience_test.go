package server_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	devenvv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/devenv/v1"
	"github.com/devenv-facade/devenv-facade/internal/cloudauth"
	"github.com/devenv-facade/devenv-facade/internal/emulator"
	"github.com/devenv-facade/devenv-facade/internal/server"
	"github.com/devenv-facade/devenv-facade/internal/statustest"
)

// attemptsFor counts the requests the emulator received for an instance.
func attemptsFor(emu *emulator.Server, id string) int {
	n := 0
	for _, r := range emu.Requests() {
		if strings.HasSuffix(r.Path, "/instances/"+id) {
			n++
		}
	}
	return n
}

// TestFaultMatrix sends a DeleteInstance into every kind of fault the
// emulator can inject, with the default retry policy, and checks the code
// and how many attempts reached the emulator. A code other than
// DEADLINE_EXCEEDED says the answer came within the deadline; that a
// stalled upstream request is cancelled at the deadline is
// TestStalledUpstream's.
func TestFaultMatrix(t *testing.T) {
	t.Parallel()
	tests := []struct {
		fault        string // instance ID "fault-<fault>"
		deadline     time.Duration
		wantCode     codes.Code
		wantReason   string
		wantAttempts int
	}{
		{"lat200ms", 2 * time.Second, codes.OK, "", 1},
		{"s400-c6309", 2 * time.Second, codes.NotFound, "INSTANCE_NOT_FOUND", 1},
		{"s503-c6200", 5 * time.Second, codes.Unavailable, "NO_RESOURCES", 3},
		{"s500-c6102", 5 * time.Second, codes.Unavailable, "SERVER_ERROR", 3},
		{"s400-c1002", 5 * time.Second, codes.Unavailable, "OBS_OPERATION_FAILED", 3},
		{"s400-c6355", 5 * time.Second, codes.Unavailable, "RESOURCE_INITIALIZING", 1}, // "wait one minute": left to the caller
		{"s400-c6333", 5 * time.Second, codes.Unavailable, "INSTANCE_RECOVERING", 1},
		{"s429-c6101-ra1", 5 * time.Second, codes.ResourceExhausted, "SYSTEM_BUSY", 3},
		{"s429-c6101-ra9", 5 * time.Second, codes.ResourceExhausted, "SYSTEM_BUSY", 1}, // longer than the 5s we wait out
		{"s429-c6101-ra3", 2 * time.Second, codes.ResourceExhausted, "SYSTEM_BUSY", 1}, // would pass the deadline
		{"reset", 5 * time.Second, codes.Unavailable, "UPSTREAM_UNAVAILABLE", 3},
		{"html", 5 * time.Second, codes.Unavailable, "UPSTREAM_HTTP_ERROR", 3},
		{"empty", 5 * time.Second, codes.Unavailable, "UPSTREAM_HTTP_ERROR", 3},
		{"truncate", 2 * time.Second, codes.OK, "", 1}, // a 2xx is the verdict; the body only echoes the ID
		{"stall", 1500 * time.Millisecond, codes.DeadlineExceeded, "DEADLINE_EXCEEDED", 1},
		{"s503-fail2", 5 * time.Second, codes.OK, "", 3},
		{"reset-fail1", 5 * time.Second, codes.OK, "", 2},
		{"s401-c0202", 2 * time.Second, codes.Unauthenticated, "TOKEN_EXPIRED", 1}, // a static token cannot be refreshed
	}
	for i, tt := range tests {
		t.Run(tt.fault, func(t *testing.T) {
			t.Parallel()
			// A facade each: the cases must not share a retry budget.
			emu := emulator.MustNew(emulator.Options{})
			f := startFacade(t, emu, func(o *server.Options) { o.Credentials = cloudauth.Token("t") })
			id := "fault-" + tt.fault + "-x" + strconv.Itoa(i)
			ctx, cancel := context.WithTimeout(t.Context(), tt.deadline)
			defer cancel()
			_, err := f.client.DeleteInstance(ctx, del(id))
			if status.Code(err) != tt.wantCode {
				t.Fatalf("code %v (%v); want %v", status.Code(err), err, tt.wantCode)
			}
			// On DEADLINE_EXCEEDED the caller's own gRPC client usually
			// gives up before the facade's answer (with its details) lands.
			if err != nil && tt.wantCode != codes.DeadlineExceeded {
				if r := statustest.Error(t, err).Reason(); r != tt.wantReason {
					t.Errorf("reason %s; want %s", r, tt.wantReason)
				}
			}
			if n := attemptsFor(emu, id); n != tt.wantAttempts {
				t.Errorf("the emulator saw %d attempts; want %d", n, tt.wantAttempts)
			}
		})
	}
}

func TestRetryInfoForLongRetryAfter(t *testing.T) {
	t.Parallel()
	f := startFacade(t, emulator.MustNew(emulator.Options{}), func(o *server.Options) { o.Credentials = cloudauth.Token("t") })
	_, err := f.client.DeleteInstance(t.Context(), del("fault-s429-c6101-ra9-x1"))
	if d := statustest.Error(t, err).RetryDelay(); d != 9*time.Second {
		t.Errorf("RetryInfo = %v; want the 9s ModelArts asked for", d)
	}
}

// TestUnknownOutcomeThenNotFound: the first attempt deletes the instance
// but its answer is lost; the retry hears ModelArts.6309. The facade reports
// success and says the outcome was inferred.
func TestUnknownOutcomeThenNotFound(t *testing.T) {
	t.Parallel()
	emu := emulator.MustNew(emulator.Options{Fault: emulator.MustParseFault("drop-fail1")})
	f := startFacade(t, emu, func(o *server.Options) { o.Credentials = cloudauth.Token("t") })
	var header metadata.MD
	resp, err := f.client.DeleteInstance(t.Context(), del(stopped), grpc.Header(&header))
	if err != nil {
		t.Fatalf("DeleteInstance: %v; want success inferred from the retry's 6309", err)
	}
	if resp.GetInstanceId() != stopped {
		t.Errorf("instance_id = %q", resp.GetInstanceId())
	}
	if got := header.Get("x-delete-outcome"); len(got) != 1 || got[0] != "inferred" {
		t.Errorf("x-delete-outcome = %v; want [inferred]", got)
	}
	if n := attemptsFor(emu, stopped); n != 2 {
		t.Errorf("attempts = %d; want 2", n)
	}
	if _, ok := emu.Instance(project, stopped); ok {
		t.Error("the instance still exists")
	}
	// A plain 6309, with no lost answer before it, is still NOT_FOUND.
	if _, err := f.client.DeleteInstance(t.Context(), del(stopped)); status.Code(err) != codes.NotFound {
		t.Errorf("second delete: %v; want NotFound", err)
	}
}

// TestRetryBudget_hardDownUpstream: 200 concurrent callers against an
// upstream that always fails retryably. The budget must keep the attempts
// near one per call.
func TestRetryBudget_hardDownUpstream(t *testing.T) {
	t.Parallel()
	emu := emulator.MustNew(emulator.Options{Fault: emulator.MustParseFault("s503-c6200")})
	f := startFacade(t, emu, func(o *server.Options) { o.Credentials = cloudauth.Token("t") })
	const calls = 200
	var wg sync.WaitGroup
	for i := range calls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_, err := f.client.DeleteInstance(ctx, del("inst"+strings.Repeat("x", i%10)))
			if status.Code(err) != codes.Unavailable {
				t.Errorf("call: %v; want Unavailable", err)
			}
		}()
	}
	wg.Wait()
	attempts := emu.RequestCount()
	t.Logf("%d calls made %d attempts (%.2f per call)", calls, attempts, float64(attempts)/calls)
	if attempts > calls*12/10 {
		t.Errorf("%d calls made %d attempts; the budget allows at most %d", calls, attempts, calls*12/10)
	}
}

// TestLoadShedding: beyond the in-flight cap, calls are refused at once
// with RESOURCE_EXHAUSTED and a RetryInfo, on gRPC and REST. "At once":
// while the calls that hold the two slots are still held at the upstream,
// which lets them through only after every other call has been answered.
func TestLoadShedding(t *testing.T) {
	t.Parallel()
	emu := emulator.MustNew(emulator.Options{})
	// The upstream holds each request until its gate opens: the first
	// calls' (release), then the REST part's (releaseSlow, for "slow").
	release, releaseSlow := make(chan struct{}), make(chan struct{})
	gated := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gate := release
		if strings.HasSuffix(r.URL.Path, "/slow") {
			gate = releaseSlow
		}
		select {
		case <-gate:
		case <-r.Context().Done():
			return
		}
		emu.ServeHTTP(w, r)
	})
	upstream, arrived := arrivals(gated, 100)
	f := startFacade(t, upstream, func(o *server.Options) {
		o.Credentials = cloudauth.Token("t")
		o.MaxUpstreamInFlight = 2
		o.MaxUpstreamWait = 20 * time.Millisecond
		// Held calls end when their gate opens, never on a timeout.
		o.UpstreamTimeout, o.Retry.AttemptTimeout = time.Hour, time.Hour
	})
	const calls = 10
	errs := make(chan error, calls)
	for i := range calls {
		go func() {
			_, err := f.client.DeleteInstance(context.Background(), del("fault-lat1ms-s400-c6309-n"+strconv.Itoa(i)))
			errs <- err
		}()
	}
	// next is the next call's answer; none within a minute means a call
	// waits for what only the gate's opening frees.
	next := func() error {
		select {
		case err := <-errs:
			return err
		case <-time.After(time.Minute):
			t.Fatal("no answer within a minute while two calls hold the slots: a call waits for a slot instead of being shed")
			return nil
		}
	}
	// Every call but the two at the upstream is answered while those two
	// are held.
	for range calls - 2 {
		if err := next(); status.Code(err) != codes.ResourceExhausted {
			t.Errorf("call answered while two calls hold the slots: %v; want RESOURCE_EXHAUSTED", err)
		} else if statustest.Error(t, err).Reason() != "OVERLOADED" || statustest.Error(t, err).RetryDelay() <= 0 {
			t.Errorf("shed call: %v; want reason OVERLOADED with RetryInfo", err)
		}
	}
	await(t, arrived, 2)
	close(release)
	for range 2 {
		if err := next(); status.Code(err) != codes.NotFound {
			t.Errorf("call that held a slot: %v; want ModelArts' answer (NOT_FOUND)", err)
		}
	}
	// The mirror answers a shed call with 429 and Retry-After.
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() { defer wg.Done(); _, _ = f.client.DeleteInstance(context.Background(), del("slow")) }()
	}
	await(t, arrived, 2) // both slots taken, until releaseSlow
	code, hdr, body := rest(t, http.MethodDelete, f.httpURL+"/v1/"+project+"/demanager/instances/x", nil)
	close(releaseSlow)
	wg.Wait()
	if code != http.StatusTooManyRequests || hdr.Get("Retry-After") == "" || body["error_code"] != "Facade.OVERLOADED" {
		t.Errorf("mirror while overloaded: %d %v %v", code, hdr, body)
	}
}

// TestShutdown_inFlightCallsGetRealAnswers: SIGTERM (the Run context ending)
// under load against a 300 ms upstream: every call in flight is answered by
// ModelArts, not cut off.
func TestShutdown_inFlightCallsGetRealAnswers(t *testing.T) {
	t.Parallel()
	emu := emulator.MustNew(emulator.Options{Fault: emulator.MustParseFault("lat300ms")})
	upstream, arrived := arrivals(emu, 100)
	f := startFacade(t, upstream, func(o *server.Options) { o.Credentials = cloudauth.Token("t"); o.ShutdownGrace = 5 * time.Second })
	const calls = 50
	type result struct {
		id  string
		err error
	}
	results := make(chan result, 2*calls)
	var wg sync.WaitGroup
	for i := range calls {
		id, restID := "fault-n"+strconv.Itoa(i), "fault-m"+strconv.Itoa(i)
		wg.Add(2)
		go func() {
			defer wg.Done()
			resp, err := f.client.DeleteInstance(context.Background(), del(id))
			if err == nil && resp.GetInstanceId() != id {
				err = status.Error(codes.Internal, "wrong instance_id")
			}
			results <- result{id, err}
		}()
		go func() {
			defer wg.Done()
			tr := &http.Transport{}
			defer tr.CloseIdleConnections()
			req, _ := http.NewRequest(http.MethodDelete, f.httpURL+"/v1/"+project+"/demanager/instances/"+restID, nil)
			resp, err := (&http.Client{Transport: tr}).Do(req)
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode != 200 {
					err = status.Error(codes.Internal, "mirror "+resp.Status)
				}
			}
			results <- result{restID, err}
		}()
	}
	await(t, arrived, 2*calls)
	if err := f.stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	wg.Wait()
	close(results)
	n := 0
	for r := range results {
		n++
		if r.err != nil {
			t.Errorf("in-flight call %s: %v", r.id, r.err)
		}
	}
	if n != 2*calls {
		t.Errorf("%d answers; want %d", n, 2*calls)
	}
}

// TestShutdown_pastGraceIsUnavailable: calls still running when the grace
// period ends are cancelled and answered UNAVAILABLE (503 on REST).
func TestShutdown_pastGraceIsUnavailable(t *testing.T) {
	t.Parallel()
	emu := emulator.MustNew(emulator.Options{Fault: emulator.MustParseFault("stall")})
	upstream, arrived := arrivals(emu, 2)
	f := startFacade(t, upstream, func(o *server.Options) {
		o.Credentials = cloudauth.Token("t")
		o.ShutdownGrace = 200 * time.Millisecond
	})
	var wg sync.WaitGroup
	var grpcErr error
	var restCode int
	var restBody map[string]string
	wg.Add(2)
	go func() {
		defer wg.Done()
		_, grpcErr = f.client.DeleteInstance(context.Background(), del(stopped))
	}()
	go func() {
		defer wg.Done()
		restCode, _, restBody = rest(t, http.MethodDelete, f.httpURL+"/v1/"+project+"/demanager/instances/"+running, nil)
	}()
	await(t, arrived, 2)
	if err := f.stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	wg.Wait()
	if status.Code(grpcErr) != codes.Unavailable || statustest.Error(t, grpcErr).Reason() != "SHUTTING_DOWN" {
		t.Errorf("gRPC call past the grace period: %v; want Unavailable/SHUTTING_DOWN", grpcErr)
	}
	if restCode != http.StatusServiceUnavailable || restBody["error_code"] != "Facade.SHUTTING_DOWN" {
		t.Errorf("REST call past the grace period: %d %v; want 503 Facade.SHUTTING_DOWN", restCode, restBody)
	}
}

// TestServerLimits: oversized requests are refused before the service.
func TestServerLimits(t *testing.T) {
	t.Parallel()
	emu := emulator.MustNew(emulator.Options{})
	f := startFacade(t, emu, func(o *server.Options) { o.Credentials = cloudauth.Token("t") })
	huge := strings.Repeat("a", 2<<20)
	if _, err := f.client.DeleteInstance(t.Context(), &devenvv1.DeleteInstanceRequest{ProjectId: project, InstanceId: huge}); status.Code(err) != codes.ResourceExhausted {
		t.Errorf("2 MiB gRPC request: %v; want ResourceExhausted", err)
	}
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodDelete, f.httpURL+"/v1/"+project+"/demanager/instances/x", strings.NewReader(huge))
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("2 MiB REST body: %s; want 413", resp.Status)
	}
	if emu.RequestCount() != 0 {
		t.Error("an oversized request reached ModelArts")
	}
}
