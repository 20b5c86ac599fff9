package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/devenv-facade/devenv-facade/internal/clock"
	"github.com/devenv-facade/devenv-facade/internal/clock/clocktest"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/grpc/status"

	devenvv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/devenv/v1"
	notebookv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/notebook/v1"
	"github.com/devenv-facade/devenv-facade/internal/cloudauth"
	"github.com/devenv-facade/devenv-facade/internal/emulator"
	"github.com/devenv-facade/devenv-facade/internal/server"
	"github.com/devenv-facade/devenv-facade/internal/statustest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

const (
	project = emulator.SampleProjectID
	stopped = "6fa459ea-ee8a-3ca4-894e-db77e160355e"
	running = "DE-7d558ef8-c73d-11ea-964c-0255ac100033"
)

// instance is a running facade with a gRPC client and the mirror's base URL.
type instance struct {
	conn                          *grpc.ClientConn
	client                        devenvv1.DevEnvServiceClient
	notebooks                     notebookv1.NotebookServiceClient
	httpURL                       string
	grpcAddr, httpAddr, adminAddr string
	stop                          func() error // cancels Run and waits for it
	closeUpstream                 func()       // stops the upstream server
}

// startFacade runs the whole facade on loopback listeners in front of
// upstream, itself served on loopback, with a plaintext gRPC client. Its
// options are the defaults (server.Options{}) as set (if not nil) changes
// them.
func startFacade(t testing.TB, upstream http.Handler, set func(*server.Options)) *instance {
	t.Helper()
	f := launch(t, upstream, set)
	conn, err := grpc.NewClient(f.grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	f.conn, f.client, f.notebooks = conn, devenvv1.NewDevEnvServiceClient(conn), notebookv1.NewNotebookServiceClient(conn)
	return f
}

// launch runs the facade without connecting to it.
func launch(t testing.TB, upstream http.Handler, set func(*server.Options)) *instance {
	t.Helper()
	up := httptest.NewServer(upstream)
	t.Cleanup(up.Close)
	grpcLis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	httpLis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	adminLis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hc := &http.Client{Transport: &http.Transport{}}
	t.Cleanup(hc.CloseIdleConnections)
	opts := server.Options{}
	opts.GRPCListener, opts.HTTPListener, opts.AdminListener, opts.Endpoint = grpcLis, httpLis, adminLis, up.URL
	opts.Logger, opts.HTTPClient = slog.New(slog.NewTextHandler(io.Discard, nil)), hc
	if set != nil {
		set(&opts)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- server.Run(ctx, opts) }()
	var once sync.Once
	var runErr error
	stop := func() error {
		once.Do(func() {
			cancel()
			select {
			case runErr = <-done:
			case <-time.After(30 * time.Second):
				runErr = errors.New("Run did not return within 30s of cancellation")
			}
		})
		return runErr
	}
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return &instance{httpURL: "http://" + httpLis.Addr().String(), grpcAddr: grpcLis.Addr().String(),
		httpAddr: httpLis.Addr().String(), adminAddr: adminLis.Addr().String(), stop: stop, closeUpstream: up.Close}
}

// rest sends a request to the mirror and decodes the JSON answer.
func rest(t *testing.T, method, url string, header map[string]string) (int, http.Header, map[string]string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]string
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("%s %s: body is not a JSON object of strings: %v", method, url, err)
	}
	return resp.StatusCode, resp.Header, body
}

// TestTour is the README's five-minute tour as a test.
func TestTour(t *testing.T) {
	t.Parallel()
	f := startFacade(t, emulator.MustNew(emulator.Options{}), func(o *server.Options) { o.Credentials = cloudauth.Token("t") })

	// Reflection lists the service.
	stream, err := reflectionpb.NewServerReflectionClient(f.conn).ServerReflectionInfo(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.Send(&reflectionpb.ServerReflectionRequest{MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{}}); err != nil {
		t.Fatal(err)
	}
	resp, err := stream.Recv()
	if err != nil {
		t.Fatal(err)
	}
	_ = stream.CloseSend()
	var services []string
	for _, s := range resp.GetListServicesResponse().GetService() {
		services = append(services, s.GetName())
	}
	if !strings.Contains(strings.Join(services, " "), "modelarts.devenv.v1.DevEnvService") {
		t.Errorf("reflection lists %v; want modelarts.devenv.v1.DevEnvService", services)
	}

	// Health reports SERVING, for the server and for the service.
	for _, name := range []string{"", "modelarts.devenv.v1.DevEnvService"} {
		if err := waitServing(t, f.conn, name); err != nil {
			t.Errorf("health of %q: %v; want SERVING", name, err)
		}
	}

	// Delete a stopped instance, then delete it again.
	del, err := f.client.DeleteInstance(t.Context(), &devenvv1.DeleteInstanceRequest{ProjectId: project, InstanceId: stopped})
	if err != nil || del.GetInstanceId() != stopped {
		t.Fatalf("first delete: %v, %v; want %s", del, err, stopped)
	}
	_, err = f.client.DeleteInstance(t.Context(), &devenvv1.DeleteInstanceRequest{ProjectId: project, InstanceId: stopped})
	if status.Code(err) != codes.NotFound {
		t.Fatalf("second delete: %v; want NotFound", err)
	}
	if md := statustest.Error(t, err).Metadata(); md["error_code"] != "ModelArts.6309" || md["http_status"] != "400" {
		t.Errorf("ErrorInfo metadata = %v; want error_code ModelArts.6309, http_status 400", md)
	}

	// The mirror answers a missing instance as ModelArts does.
	code, hdr, body := rest(t, http.MethodDelete, f.httpURL+"/v1/"+project+"/demanager/instances/"+stopped, nil)
	if code != http.StatusBadRequest {
		t.Errorf("mirror status = %d; want 400", code)
	}
	if diff := cmp.Diff(map[string]string{"error_code": "ModelArts.6309", "error_message": "The instance does not exist."}, body); diff != "" {
		t.Errorf("mirror body (-want +got):\n%s", diff)
	}
	if hdr.Get("X-Request-Id") == "" {
		t.Error("mirror answer has no X-Request-Id")
	}
	// And a success with the vendor's field name.
	code, _, body = rest(t, http.MethodDelete, f.httpURL+"/v1/"+project+"/demanager/instances/DE-2b1f6c3e-5a4d-11ee-8c99-0242ac120002", nil)
	if code != 200 || body["instance_id"] != "DE-2b1f6c3e-5a4d-11ee-8c99-0242ac120002" {
		t.Errorf("mirror delete: %d %v", code, body)
	}
}

func TestBadInputNeverReachesUpstream(t *testing.T) {
	t.Parallel()
	emu := emulator.MustNew(emulator.Options{})
	f := startFacade(t, emu, func(o *server.Options) { o.Credentials = cloudauth.Token("t") })
	for _, id := range []string{"a/b", "..", ".", "%2F", "a b", "a\tb", strings.Repeat("x", 65), "", "a?b", "é"} {
		_, err := f.client.DeleteInstance(t.Context(), &devenvv1.DeleteInstanceRequest{ProjectId: project, InstanceId: id})
		if status.Code(err) != codes.InvalidArgument {
			t.Errorf("gRPC instance_id %q: %v; want InvalidArgument", id, err)
		}
	}
	for _, p := range []string{"a%2Fb", "..", "%2E%2E", "a%20b", "a%252F", strings.Repeat("x", 65), "a%0Ab", "a;b", "%C3%A9"} {
		code, _, body := rest(t, http.MethodDelete, f.httpURL+"/v1/"+project+"/demanager/instances/"+p, nil)
		if code != http.StatusBadRequest || body["error_code"] != "Facade.INVALID_ARGUMENT" {
			t.Errorf("mirror instance segment %q: %d %v; want 400 Facade.INVALID_ARGUMENT", p, code, body)
		}
	}
	code, _, body := rest(t, http.MethodDelete, f.httpURL+"/v1/NOT-HEX/demanager/instances/x", nil)
	if code != http.StatusBadRequest || !strings.Contains(body["error_message"], "project_id") {
		t.Errorf("mirror bad project: %d %v", code, body)
	}
	if n := emu.RequestCount(); n != 0 {
		t.Errorf("ModelArts received %d requests; want 0", n)
	}
}

func TestCallerTokenWinsOverServiceToken(t *testing.T) {
	t.Parallel()
	other := strings.Repeat("f", 32)
	emu := emulator.MustNew(emulator.Options{Tokens: map[string]string{"caller-token": project, "service-token": other}})
	f := startFacade(t, emu, func(o *server.Options) { o.Credentials = cloudauth.Token("service-token") })

	ctx := metadata.AppendToOutgoingContext(t.Context(), "x-auth-token", "caller-token")
	if _, err := f.client.DeleteInstance(ctx, &devenvv1.DeleteInstanceRequest{ProjectId: project, InstanceId: stopped}); err != nil {
		t.Errorf("gRPC with the caller's token: %v", err)
	}
	code, _, body := rest(t, http.MethodDelete, f.httpURL+"/v1/"+project+"/demanager/instances/DE-5f9bac21-5a4d-11ee-8c99-0242ac120002",
		map[string]string{"X-Auth-Token": "caller-token"})
	if code != 200 {
		t.Errorf("mirror with the caller's token: %d %v", code, body)
	}
	// Without a caller token the service token is used, and ModelArts
	// rejects it for this project.
	code, _, body = rest(t, http.MethodDelete, f.httpURL+"/v1/"+project+"/demanager/instances/"+running, nil)
	if code != http.StatusForbidden || body["error_code"] != "ModelArts.0210" {
		t.Errorf("mirror with the service token: %d %v; want ModelArts' 403 ModelArts.0210", code, body)
	}
	for _, r := range emu.Requests()[:2] {
		if got := r.Header.Get("X-Auth-Token"); got != "caller-token" {
			t.Errorf("ModelArts got X-Auth-Token %q; want the caller's", got)
		}
	}
}

// TestStalledUpstream: a caller's deadline ends the call and cancels the
// upstream request. The facade's own bounds on a ModelArts call are an
// hour here, so only the caller's deadline, carried to the upstream
// request, can end it. A deadline that passes before the facade has sent
// the request (a loaded machine) leaves nothing upstream to cancel: the
// call is then made again, with a longer deadline, until one reaches the
// upstream, whose cancellation is awaited.
func TestStalledUpstream(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	arrived := map[string]chan struct{}{}   // by instance ID, closed when its request reaches the upstream
	cancelled := map[string]chan struct{}{} // closed when that request's context ends
	channels := func(id string) (chan struct{}, chan struct{}) {
		mu.Lock()
		defer mu.Unlock()
		if arrived[id] == nil {
			arrived[id], cancelled[id] = make(chan struct{}), make(chan struct{})
		}
		return arrived[id], cancelled[id]
	}
	stall := http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		a, c := channels(path.Base(r.URL.Path))
		close(a)
		<-r.Context().Done()
		close(c)
	})
	f := startFacade(t, stall, func(o *server.Options) {
		o.Credentials = cloudauth.Token("t")
		o.UpstreamTimeout, o.Retry.AttemptTimeout = time.Hour, time.Hour
	})
	for i, deadline := range []time.Duration{200 * time.Millisecond, time.Second, 5 * time.Second, 25 * time.Second} {
		id := fmt.Sprintf("stalled-%d", i)
		a, c := channels(id)
		ctx, cancel := context.WithTimeout(t.Context(), deadline)
		_, err := f.client.DeleteInstance(ctx, &devenvv1.DeleteInstanceRequest{ProjectId: project, InstanceId: id})
		cancel()
		if status.Code(err) != codes.DeadlineExceeded {
			t.Fatalf("with a %s deadline: err = %v; want DeadlineExceeded", deadline, err)
		}
		select {
		case <-a:
		default:
			t.Logf("the %s deadline passed before the request reached the upstream; again with a longer one", deadline)
			continue
		}
		select {
		case <-c:
		case <-time.After(time.Minute):
			t.Errorf("the upstream request was not cancelled within a minute of the caller's %s deadline", deadline)
		}
		return
	}
	t.Fatal("no call reached the upstream before its deadline, the longest 25s")
}

// TestHostileUpstreams points the facade at servers that misbehave in every
// documented way and checks the mapped answer arrives, within the call's
// deadline, on both protocols.
func TestHostileUpstreams(t *testing.T) {
	t.Parallel()
	vendor := func(st int, code, msg string, header ...string) http.HandlerFunc {
		return func(w http.ResponseWriter, _ *http.Request) {
			for i := 0; i+1 < len(header); i += 2 {
				w.Header().Set(header[i], header[i+1])
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(st)
			_ = json.NewEncoder(w).Encode(map[string]string{"error_code": code, "error_message": msg})
		}
	}
	raw := func(st int, ct, body string) http.HandlerFunc {
		return func(w http.ResponseWriter, _ *http.Request) {
			if ct != "" {
				w.Header().Set("Content-Type", ct)
			}
			w.WriteHeader(st)
			_, _ = io.WriteString(w, body)
		}
	}
	reset := func(w http.ResponseWriter, _ *http.Request) {
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		_ = conn.(*net.TCPConn).SetLinger(0)
		_ = conn.Close()
	}
	huge := func(st int) http.HandlerFunc {
		return func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(st)
			chunk := []byte(strings.Repeat("z", 64<<10))
			for range 1600 { // 100 MiB
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
		}
	}
	tests := []struct {
		name       string
		upstream   http.HandlerFunc
		wantCode   codes.Code
		wantReason string
		wantHTTP   int
		wantRetry  bool
	}{
		{"6309_not_found", vendor(400, "ModelArts.6309", "The instance does not exist."), codes.NotFound, "INSTANCE_NOT_FOUND", 400, false},
		{"6304_running", vendor(400, "ModelArts.6304", "Please stop the instance before deleting."), codes.FailedPrecondition, "INSTANCE_RUNNING", 400, false},
		{"0202_token_expired", vendor(401, "ModelArts.0202", "Invalid token header because the token has expired."), codes.Unauthenticated, "TOKEN_EXPIRED", 401, false},
		{"0210_project_mismatch", vendor(403, "ModelArts.0210", "The project id in the request URL does not match the token."), codes.PermissionDenied, "PROJECT_MISMATCH", 403, false},
		{"6101_throttled", vendor(429, "ModelArts.6101", "The system is busy now. Please try again later.", "Retry-After", "3"), codes.ResourceExhausted, "SYSTEM_BUSY", 429, true},
		{"6200_no_resources", vendor(500, "ModelArts.6200", "No resources available."), codes.Unavailable, "NO_RESOURCES", 500, false},
		{"6361_internal_as_400", vendor(400, "ModelArts.6361", "ModelArts internal service or configuration error."), codes.Internal, "SERVICE_CONFIGURATION_ERROR", 400, false},
		{"html_502", raw(502, "text/html", "<html><h1>502 Bad Gateway</h1></html>"), codes.Unavailable, "UPSTREAM_HTTP_ERROR", 502, false},
		{"empty_503", raw(503, "", ""), codes.Unavailable, "UPSTREAM_HTTP_ERROR", 503, false},
		{"connection_reset", reset, codes.Unavailable, "UPSTREAM_UNAVAILABLE", 503, false},
		{"huge_error_body", huge(500), codes.Internal, "UPSTREAM_HTTP_ERROR", 500, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			// One attempt: this test is about mapping; retries have their own.
			f := startFacade(t, tt.upstream, func(o *server.Options) {
				o.Credentials = cloudauth.Token("t")
				o.Retry.MaxAttempts = 1
			})
			ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
			defer cancel()
			_, err := f.client.DeleteInstance(ctx, &devenvv1.DeleteInstanceRequest{ProjectId: project, InstanceId: stopped})
			if status.Code(err) != tt.wantCode {
				t.Fatalf("gRPC: %v; want %v", err, tt.wantCode)
			}
			if r := statustest.Error(t, err).Reason(); r != tt.wantReason {
				t.Errorf("reason = %s; want %s", r, tt.wantReason)
			}
			if hasRetry := statustest.Error(t, err).RetryDelay() > 0; hasRetry != tt.wantRetry {
				t.Errorf("RetryInfo present = %v; want %v", hasRetry, tt.wantRetry)
			}
			code, _, body := rest(t, http.MethodDelete, f.httpURL+"/v1/"+project+"/demanager/instances/"+stopped, nil)
			if code != tt.wantHTTP || body["error_code"] == "" || body["error_message"] == "" {
				t.Errorf("mirror: %d %v; want HTTP %d with a ModelArts-shaped body", code, body, tt.wantHTTP)
			}
		})
	}
}

// TestGracefulShutdown: calls in flight when shutdown begins get their real
// answers; the facade stops accepting new ones.
func TestGracefulShutdown(t *testing.T) {
	t.Parallel()
	started := make(chan struct{}, 100)
	slow := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		started <- struct{}{}
		time.Sleep(300 * time.Millisecond) // a slow ModelArts (simulated delay)
		parts := strings.Split(r.URL.Path, "/")
		_, _ = io.WriteString(w, `{"instance_id":"`+parts[len(parts)-1]+`"}`)
	})
	f := startFacade(t, slow, func(o *server.Options) { o.Credentials = cloudauth.Token("t"); o.ShutdownGrace = 5 * time.Second })

	const n = 20
	var wg sync.WaitGroup
	errs := make(chan error, 2*n)
	for i := range n {
		wg.Add(2)
		id := "inst-" + string(rune('a'+i))
		go func() {
			defer wg.Done()
			resp, err := f.client.DeleteInstance(context.Background(), &devenvv1.DeleteInstanceRequest{ProjectId: project, InstanceId: id})
			if err == nil && resp.GetInstanceId() != id {
				err = errors.New("wrong instance_id " + resp.GetInstanceId())
			}
			errs <- err
		}()
		go func() {
			defer wg.Done()
			tr := &http.Transport{}
			defer tr.CloseIdleConnections()
			req, _ := http.NewRequest(http.MethodDelete, f.httpURL+"/v1/"+project+"/demanager/instances/"+id, nil)
			resp, err := (&http.Client{Transport: tr}).Do(req)
			if err == nil {
				if resp.StatusCode != 200 {
					err = errors.New("mirror status " + resp.Status)
				}
				resp.Body.Close()
			}
			errs <- err
		}()
	}
	await(t, started, 2*n)
	if err := f.stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("in-flight call: %v", err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if _, err := f.client.DeleteInstance(ctx, &devenvv1.DeleteInstanceRequest{ProjectId: project, InstanceId: "late"}); status.Code(err) != codes.Unavailable {
		t.Errorf("call after shutdown: %v; want Unavailable", err)
	}
}

// waitServing watches the health of service on conn until it is SERVING
// (the service's turns so once its first readiness check passed, which
// runs beside Serve), for at most 10 seconds.
func waitServing(t *testing.T, conn *grpc.ClientConn, service string) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	watch, err := healthpb.NewHealthClient(conn).Watch(ctx, &healthpb.HealthCheckRequest{Service: service})
	for err == nil {
		var h *healthpb.HealthCheckResponse
		if h, err = watch.Recv(); err == nil && h.GetStatus() == healthpb.HealthCheckResponse_SERVING {
			return nil
		}
	}
	return err
}

// atPause returns the facade's clock for tests that act at its pauses
// (between reads of an instance it waits for, between attempts): a fake
// that moves as the facade waits, and calls hook at each pause (see
// clocktest.Fake.OnSleep).
func atPause(hook func(ctx context.Context, d time.Duration) error) clock.Clock {
	f := clocktest.New(clocktest.Start)
	f.AdvanceOnWait(true)
	f.OnSleep(hook)
	return f
}
