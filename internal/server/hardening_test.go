package server_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/devenv-facade/devenv-facade/internal/callerauth"
	"github.com/devenv-facade/devenv-facade/internal/cloudauth"
	"github.com/devenv-facade/devenv-facade/internal/emulator"
	"github.com/devenv-facade/devenv-facade/internal/logbuf"
	"github.com/devenv-facade/devenv-facade/internal/server"
	"github.com/devenv-facade/devenv-facade/internal/statustest"
)

// callersFacade runs a facade with caller authentication: one caller,
// token "good-token", every project.
func callersFacade(t *testing.T, emu http.Handler, set func(*server.Options)) *instance {
	t.Helper()
	return callersFacadeWith(t, emu, callerauth.Options{}, set)
}

// callersFacadeWith is callersFacade with the callers' options.
func callersFacadeWith(t *testing.T, emu http.Handler, callerOpts callerauth.Options, set func(*server.Options)) *instance {
	t.Helper()
	path := filepath.Join(t.TempDir(), "callers.yaml")
	sum := sha256.Sum256([]byte("good-token"))
	writeTestFile(t, path, "callers: [{name: ci, token_sha256: "+hex.EncodeToString(sum[:])+", projects: ['*']}]\n")
	callers := loadCallers(t, path, callerOpts)
	return startFacade(t, emu, func(o *server.Options) {
		o.Callers, o.Credentials = callers, cloudauth.Token("facade-token")
		if set != nil {
			set(o)
		}
	})
}

func dial(t *testing.T, addr string) *grpc.ClientConn {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// TestAdminListener: health and readiness are reachable without caller
// credentials, over plain HTTP and gRPC (h2c), with reflection listing
// only the health service; the API is not served there.
func TestAdminListener(t *testing.T) {
	t.Parallel()
	f := callersFacade(t, emulator.MustNew(emulator.Options{}), nil)
	conn := dial(t, f.adminAddr)
	// Ready once the first readiness check, which runs beside Serve, passed.
	if err := waitServing(t, conn, "modelarts.devenv.v1.DevEnvService"); err != nil {
		t.Fatalf("gRPC health on the admin listener: %v; want SERVING", err)
	}
	for _, path := range []string{"/healthz", "/readyz"} {
		resp, err := http.Get("http://" + f.adminAddr + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s = %s %q; want 200", path, resp.Status, body)
		}
	}
	resp, err := http.Get("http://" + f.adminAddr + "/v1/" + project + "/demanager/instances")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("the API on the admin listener: %s; want 404", resp.Status)
	}

	stream, err := reflectionpb.NewServerReflectionClient(conn).ServerReflectionInfo(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.Send(&reflectionpb.ServerReflectionRequest{MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{}}); err != nil {
		t.Fatal(err)
	}
	got, err := stream.Recv()
	if err != nil {
		t.Fatal(err)
	}
	_ = stream.CloseSend()
	var names []string
	for _, s := range got.GetListServicesResponse().GetService() {
		names = append(names, s.GetName())
	}
	if strings.Contains(strings.Join(names, ","), "DevEnvService") || !strings.Contains(strings.Join(names, ","), "grpc.health.v1.Health") {
		t.Errorf("reflection on the admin listener lists %v; want health only", names)
	}
	// On the main port, health stays open but reflection needs a caller.
	main := dial(t, f.grpcAddr)
	if _, err := healthpb.NewHealthClient(main).Check(t.Context(), &healthpb.HealthCheckRequest{}); err != nil {
		t.Errorf("health on the main port without credentials: %v", err)
	}
	rs, err := reflectionpb.NewServerReflectionClient(main).ServerReflectionInfo(t.Context())
	if err == nil {
		_ = rs.Send(&reflectionpb.ServerReflectionRequest{MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{}})
		_, err = rs.Recv()
	}
	if status.Code(err) != codes.Unauthenticated {
		t.Errorf("reflection on the main port without credentials: %v; want Unauthenticated", err)
	}
}

// TestReadiness_turnsUnreadyOnShutdown: /readyz answers 503 once shutdown
// has begun, while calls drain.
func TestReadiness_turnsUnreadyOnShutdown(t *testing.T) {
	t.Parallel()
	emu := emulator.MustNew(emulator.Options{Fault: emulator.MustParseFault("lat400ms")})
	f := startFacade(t, emu, func(o *server.Options) { o.Credentials = cloudauth.Token("t"); o.ShutdownGrace = 5 * time.Second })
	done := make(chan error, 1)
	go func() {
		_, err := f.client.DeleteInstance(context.Background(), del(stopped))
		done <- err
	}()
	waitUntil(t, "the call reaches ModelArts", func() bool { return emu.RequestCount() > 0 })
	stopped := make(chan error, 1)
	go func() { stopped <- f.stop() }()
	waitUntil(t, "readiness to turn 503", func() bool {
		resp, err := http.Get("http://" + f.adminAddr + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusServiceUnavailable
	})
	if err := <-done; err != nil {
		t.Errorf("the call in flight: %v", err)
	}
	if err := <-stopped; err != nil {
		t.Error(err)
	}
}

// arrivals wraps an upstream so that a test can wait for requests to reach
// it: every request is announced on the channel (which must have room).
func arrivals(upstream http.Handler, n int) (http.Handler, <-chan struct{}) {
	ch := make(chan struct{}, n)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case ch <- struct{}{}:
		default:
		}
		upstream.ServeHTTP(w, r)
	}), ch
}

// await receives n announcements from ch, failing after 10s.
func await(t *testing.T, ch <-chan struct{}, n int) {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for i := range n {
		select {
		case <-ch:
		case <-timeout:
			t.Fatalf("only %d of %d requests reached the upstream", i, n)
		}
	}
}

// waitUntil polls cond until it holds, for conditions no event reports
// (an HTTP answer that changes, a call that succeeds again); it fails
// after 30s.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(30 * time.Second)
	for !cond() {
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// TestMirror_unknownRoutesAnswerLikeTheGateway: a path or method the
// mirror does not serve is answered as the vendor's API gateway answers it,
// 404 APIGW.0101 with error_msg and the request ID, never 405, on an open
// facade and, before authentication, on a secured one; ModelArts is not
// called.
func TestMirror_unknownRoutesAnswerLikeTheGateway(t *testing.T) {
	t.Parallel()
	emu := emulator.MustNew(emulator.Options{})
	open := startFacade(t, emu, func(o *server.Options) { o.Credentials = cloudauth.Token("t") })
	secured := callersFacade(t, emu, nil)
	one := "/v1/" + project + "/demanager/instances/" + stopped
	tests := []struct{ name, method, path string }{
		{"unknown_path", http.MethodGet, "/v2/" + project + "/demanager/instances"},
		{"unknown_service", http.MethodGet, "/v1/" + project + "/training-jobs"},
		{"known_path_other_method", http.MethodPatch, one},
		{"post_to_an_instance", http.MethodPost, one},
		{"put_to_the_collection", http.MethodPut, "/v1/" + project + "/demanager/instances"},
		{"trailing_slash", http.MethodGet, one + "/"},
		{"collection_trailing_slash", http.MethodGet, "/v1/" + project + "/demanager/instances/"},
	}
	for _, f := range []struct {
		name string
		f    *instance
	}{{"open", open}, {"secured", secured}} {
		for _, tt := range tests {
			code, hdr, body := rest(t, tt.method, f.f.httpURL+tt.path, map[string]string{"X-Request-Id": "rid-" + tt.name})
			want := map[string]string{"error_code": "APIGW.0101", "error_msg": "The API does not exist or has not been published in the environment", "request_id": "rid-" + tt.name}
			if code != http.StatusNotFound || hdr.Get("X-Request-Id") != "rid-"+tt.name || hdr.Get("Allow") != "" || !equalMaps(body, want) {
				t.Errorf("%s facade, %s %s: %d X-Request-Id=%q Allow=%q %v; want 404 %v", f.name, tt.method, tt.path, code, hdr.Get("X-Request-Id"), hdr.Get("Allow"), body, want)
			}
		}
	}
	if n := emu.RequestCount(); n != 0 {
		t.Errorf("ModelArts received %d requests", n)
	}
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestMirror_unauthenticatedBeforeBody: with caller authentication on, the
// mirror refuses an unauthenticated request before reading its body, with
// the vendor's error shape, WWW-Authenticate and a request ID.
func TestMirror_unauthenticatedBeforeBody(t *testing.T) {
	t.Parallel()
	emu := emulator.MustNew(emulator.Options{})
	f := callersFacade(t, emu, nil)
	pr, pw := io.Pipe()
	defer pw.Close()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodDelete, f.httpURL+"/v1/"+project+"/demanager/instances/"+stopped, pr)
	req.ContentLength = 1000 // promised, never sent
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("WWW-Authenticate") == "" ||
		resp.Header.Get("X-Request-Id") == "" || !bytes.Contains(body, []byte(`"Facade.CALLER_UNAUTHENTICATED"`)) {
		t.Errorf("unauthenticated REST call: %s %v %s", resp.Status, resp.Header, body)
	}
	if emu.RequestCount() != 0 {
		t.Error("an unauthenticated REST call reached ModelArts")
	}
}

// TestInvalidUTF8IsInvalidArgument: a string field with invalid UTF-8 is
// INVALID_ARGUMENT with a field violation and a log line, over gRPC and
// REST, and never reaches ModelArts.
func TestInvalidUTF8IsInvalidArgument(t *testing.T) {
	t.Parallel()
	emu := emulator.MustNew(emulator.Options{})
	var logs logbuf.Buffer
	f := startFacade(t, emu, func(o *server.Options) {
		o.Credentials = cloudauth.Token("t")
		o.Logger = slog.New(slog.NewJSONHandler(&logs, nil))
	})
	// The Go client refuses to marshal invalid UTF-8, so the request is
	// sent as raw bytes through a codec that does not check.
	raw := protowire.AppendTag(nil, 1, protowire.BytesType)
	raw = protowire.AppendString(raw, project)
	raw = protowire.AppendTag(raw, 2, protowire.BytesType)
	raw = protowire.AppendBytes(raw, []byte("DE-\xff\xfe"))
	var out rawMessage
	err := f.conn.Invoke(t.Context(), "/modelarts.devenv.v1.DevEnvService/DeleteInstance", rawMessage(raw), &out, grpc.ForceCodecV2(rawCodec{}))
	if status.Code(err) != codes.InvalidArgument {
		t.Fatalf("invalid UTF-8 over gRPC: %v; want InvalidArgument", err)
	}
	var fields []string
	for _, v := range statustest.Error(t, err).Violations() {
		fields = append(fields, v.GetField())
	}
	if strings.Join(fields, ",") != "instance_id" {
		t.Errorf("field violations %v; want instance_id", fields)
	}
	wctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if _, err := logs.WaitFor(wctx, `"code":"InvalidArgument"`, `"method":"/modelarts.devenv.v1.DevEnvService/DeleteInstance"`); err != nil {
		t.Error("no log line for the refused call")
	}
	code, _, body := rest(t, http.MethodDelete, f.httpURL+"/v1/"+project+"/demanager/instances/DE-%FF%FE", nil)
	if code != http.StatusBadRequest || body["error_code"] != "Facade.INVALID_ARGUMENT" {
		t.Errorf("invalid UTF-8 over REST: %d %v; want 400 Facade.INVALID_ARGUMENT", code, body)
	}
	if emu.RequestCount() != 0 {
		t.Error("a request with invalid UTF-8 reached ModelArts")
	}
}

// TestStartupWarnings: settings that look protective but are not are
// pointed out at start-up.
func TestStartupWarnings(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "callers.yaml")
	writeTestFile(t, path, "callers: [{name: batch, client_cert_names: [batch.example], projects: ['*']}]\n")
	callers, err := callerauth.Load(path, callerauth.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var logs logbuf.Buffer
	f := launch(t, emulator.MustNew(emulator.Options{}), func(o *server.Options) {
		o.Credentials = cloudauth.Token("t")
		o.Callers = callers
		o.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	})
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if _, err := logs.WaitFor(ctx, "client_cert_names", "--client-ca is not set"); err != nil {
		t.Errorf("no warning about client certificate names without a client CA:\n%s", logs.String())
	}
	if _, err := logs.WaitFor(ctx, "msg=serving", `caller_auth="on (1 callers)"`, "tls=off"); err != nil {
		t.Errorf("the serving line does not say how callers are authenticated:\n%s", logs.String())
	}
	_ = f
}

// TestHandler_inMemory: Server.Handler serves the REST mirror with the same
// pipeline, for tests that serve it themselves.
func TestHandler_inMemory(t *testing.T) {
	t.Parallel()
	up := httptest.NewServer(emulator.MustNew(emulator.Options{}))
	t.Cleanup(up.Close)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	opts := server.Options{}
	opts.GRPCListener, opts.Endpoint, opts.Credentials = lis, up.URL, cloudauth.Token("t")
	opts.HTTPClient = up.Client()
	s, err := server.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	t.Cleanup(func() { lis.Close() })
	mem := httptest.NewServer(s.Handler())
	t.Cleanup(mem.Close)
	code, hdr, body := rest(t, http.MethodDelete, mem.URL+"/v1/"+project+"/demanager/instances/"+stopped, nil)
	if code != http.StatusOK || body["instance_id"] != stopped || hdr.Get("X-Request-Id") == "" {
		t.Errorf("DELETE through Handler: %d %v %v", code, hdr, body)
	}
}
