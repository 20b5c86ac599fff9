package service_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/devenv-facade/devenv-facade/internal/options"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	devenvv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/devenv/v1"
	notebookv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/notebook/v1"
	"github.com/devenv-facade/devenv-facade/internal/apierror"
	"github.com/devenv-facade/devenv-facade/internal/callctx"
	"github.com/devenv-facade/devenv-facade/internal/cloudauth"
	"github.com/devenv-facade/devenv-facade/internal/emulator"
	"github.com/devenv-facade/devenv-facade/internal/logbuf"
	"github.com/devenv-facade/devenv-facade/internal/modelarts"
	"github.com/devenv-facade/devenv-facade/internal/statustest"
	"github.com/devenv-facade/devenv-facade/service"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

const (
	project = emulator.SampleProjectID
	stopped = "6fa459ea-ee8a-3ca4-894e-db77e160355e"
	running = "DE-7d558ef8-c73d-11ea-964c-0255ac100033"
)

type harness struct {
	client    devenvv1.DevEnvServiceClient
	notebooks notebookv1.NotebookServiceClient
	logs      *logbuf.Buffer
}

// newService is service.New for options a test writes.
func newService(tb testing.TB, mc *modelarts.Client, opts service.Options) *service.Service {
	tb.Helper()
	svc, err := service.New(mc, opts)
	if err != nil {
		tb.Fatal(err)
	}
	return svc
}

// start serves the service over a real gRPC server on loopback, in front of
// upstream served over loopback HTTP.
func start(t *testing.T, upstream http.Handler, clientOpts modelarts.Options) *harness {
	t.Helper()
	return startWith(t, upstream, service.Options{}, clientOpts)
}

// startWith is start with options for the service; the service's Logger is
// the harness's.
func startWith(t *testing.T, upstream http.Handler, svcOpts service.Options, clientOpts modelarts.Options) *harness {
	t.Helper()
	up := httptest.NewServer(upstream)
	t.Cleanup(up.Close)
	mc, err := modelarts.NewClient(up.Client(), up.URL, clientOpts)
	if err != nil {
		t.Fatal(err)
	}
	logs := &logbuf.Buffer{}
	svcOpts.Logger = slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	svc, err := service.New(mc, svcOpts)
	if err != nil {
		t.Fatal(err)
	}
	conn := serveLoopback(t, svc, grpc.UnaryInterceptor(svc.UnaryInterceptor()))
	return &harness{client: devenvv1.NewDevEnvServiceClient(conn), notebooks: notebookv1.NewNotebookServiceClient(conn), logs: logs}
}

func TestDeleteInstance_rejectsBadInputBeforeUpstream(t *testing.T) {
	t.Parallel()
	emu := emulator.MustNew(emulator.Options{})
	h := start(t, emu, modelarts.Options{Credentials: cloudauth.Token("t")})
	tests := []struct {
		name, project, instance string
		wantFields              []string
	}{
		{"empty_both", "", "", []string{"project_id", "instance_id"}},
		{"project_uppercase", strings.ToUpper(project), stopped, []string{"project_id"}},
		{"project_short", project[:31], stopped, []string{"project_id"}},
		{"project_long", project + "0", stopped, []string{"project_id"}},
		{"project_not_hex", "g123456789abcdef0123456789abcdef", stopped, []string{"project_id"}},
		{"project_traversal", "../../../../v3/auth/tokens", stopped, []string{"project_id"}},
		{"instance_slash", project, "a/b", []string{"instance_id"}},
		{"instance_dot_dot", project, "..", []string{"instance_id"}},
		{"instance_traversal", project, "../../instances", []string{"instance_id"}},
		{"instance_percent", project, "%2F", []string{"instance_id"}},
		{"instance_space", project, "a b", []string{"instance_id"}},
		{"instance_newline", project, "a\nb", []string{"instance_id"}},
		{"instance_nul", project, "a\x00", []string{"instance_id"}},
		{"instance_query", project, "a?x=1", []string{"instance_id"}},
		{"instance_unicode", project, "ａ", []string{"instance_id"}},
		{"instance_too_long", project, strings.Repeat("a", 65), []string{"instance_id"}},
		{"instance_dot", project, "a.b", []string{"instance_id"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := h.client.DeleteInstance(t.Context(), &devenvv1.DeleteInstanceRequest{ProjectId: tt.project, InstanceId: tt.instance})
			st := status.Convert(err)
			if st.Code() != codes.InvalidArgument {
				t.Fatalf("code = %v (%v); want InvalidArgument", st.Code(), err)
			}
			var fields []string
			for _, v := range statustest.Error(t, err).Violations() {
				fields = append(fields, v.GetField())
				if v.GetDescription() == "" || v.GetReason() == "" {
					t.Errorf("violation %v lacks a description or reason", v)
				}
			}
			if diff := cmp.Diff(tt.wantFields, fields); diff != "" {
				t.Errorf("field violations (-want +got):\n%s", diff)
			}
			if info := statustest.Error(t, err); info.Reason() != apierror.ReasonInvalidArgument || info.Domain() != apierror.DomainFacade {
				t.Errorf("ErrorInfo = %v; want %s/%s", info, apierror.DomainFacade, apierror.ReasonInvalidArgument)
			}
		})
	}
	if n := emu.RequestCount(); n != 0 {
		t.Errorf("ModelArts received %d requests; bad input must never reach it", n)
	}
	// The longest valid IDs are accepted.
	_, err := h.client.DeleteInstance(t.Context(), &devenvv1.DeleteInstanceRequest{ProjectId: project, InstanceId: strings.Repeat("Z", 64)})
	if status.Code(err) != codes.NotFound {
		t.Errorf("64-character ID: %v; want NotFound from ModelArts", err)
	}
}

func TestDeleteInstance_againstEmulator(t *testing.T) {
	t.Parallel()
	emu := emulator.MustNew(emulator.Options{})
	h := start(t, emu, modelarts.Options{Credentials: cloudauth.Token("t")})
	tests := []struct {
		name         string
		req          *devenvv1.DeleteInstanceRequest
		wantCode     codes.Code
		wantUpstream string // ErrorInfo metadata error_code
	}{
		{"stopped", &devenvv1.DeleteInstanceRequest{ProjectId: project, InstanceId: stopped}, codes.OK, ""},
		{"gone", &devenvv1.DeleteInstanceRequest{ProjectId: project, InstanceId: stopped}, codes.NotFound, "ModelArts.6309"},
		{"gone_allow_missing", &devenvv1.DeleteInstanceRequest{ProjectId: project, InstanceId: stopped, AllowMissing: true}, codes.OK, ""},
		{"running", &devenvv1.DeleteInstanceRequest{ProjectId: project, InstanceId: running, AllowMissing: true}, codes.FailedPrecondition, "ModelArts.6304"},
	}
	for _, tt := range tests {
		resp, err := h.client.DeleteInstance(t.Context(), tt.req)
		if status.Code(err) != tt.wantCode {
			t.Fatalf("%s: %v; want %v", tt.name, err, tt.wantCode)
		}
		if err != nil {
			md := statustest.Error(t, err).Metadata()
			if md["error_code"] != tt.wantUpstream || md["http_status"] != "400" || md["error_message"] == "" || md["request_id"] == "" {
				t.Errorf("%s: ErrorInfo metadata = %v; want error_code %s, http_status 400", tt.name, md, tt.wantUpstream)
			}
			continue
		}
		if resp.GetInstanceId() != tt.req.GetInstanceId() {
			t.Errorf("%s: instance_id = %q; want %q", tt.name, resp.GetInstanceId(), tt.req.GetInstanceId())
		}
	}
}

func TestDeleteInstance_allowMissingNeedsModelArtsNotFound(t *testing.T) {
	t.Parallel()
	// A 404 from a gateway means "no such API", not "no such instance".
	gateway := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(404)
		_, _ = w.Write([]byte(`{"error_code":"APIGW.0101","error_msg":"The API does not exist"}`))
	})
	h := start(t, gateway, modelarts.Options{Credentials: cloudauth.Token("t")})
	_, err := h.client.DeleteInstance(t.Context(), &devenvv1.DeleteInstanceRequest{ProjectId: project, InstanceId: stopped, AllowMissing: true})
	if status.Code(err) != codes.NotFound {
		t.Fatalf("err = %v; want NotFound", err)
	}
	if info := statustest.Error(t, err); info.Reason() != apierror.ReasonUnmappedErrorCode || info.Metadata()["error_code"] != "APIGW.0101" {
		t.Errorf("ErrorInfo = %v", info)
	}
}

func TestDeleteInstance_credentials(t *testing.T) {
	t.Parallel()
	other := strings.Repeat("e", 32)
	// The service token is scoped to another project: if it were used
	// instead of the caller's, ModelArts would answer 403.
	emu := emulator.MustNew(emulator.Options{Tokens: map[string]string{"caller-token": project, "service-token": other}})
	h := start(t, emu, modelarts.Options{Credentials: cloudauth.Token("service-token")})

	ctx := metadata.AppendToOutgoingContext(t.Context(), "x-auth-token", "caller-token")
	if _, err := h.client.DeleteInstance(ctx, &devenvv1.DeleteInstanceRequest{ProjectId: project, InstanceId: stopped}); err != nil {
		t.Fatalf("with the caller's token: %v", err)
	}
	if got := emu.Requests()[0].Header.Get("X-Auth-Token"); got != "caller-token" {
		t.Errorf("ModelArts got X-Auth-Token %q; want the caller's", got)
	}
	_, err := h.client.DeleteInstance(t.Context(), &devenvv1.DeleteInstanceRequest{ProjectId: project, InstanceId: running})
	if status.Code(err) != codes.PermissionDenied || statustest.Error(t, err).Metadata()["error_code"] != "ModelArts.0210" {
		t.Errorf("with the service token on another project: %v; want PermissionDenied from ModelArts.0210", err)
	}

	bare := start(t, emu, modelarts.Options{}) // no configured token
	before := emu.RequestCount()
	_, err = bare.client.DeleteInstance(t.Context(), &devenvv1.DeleteInstanceRequest{ProjectId: project, InstanceId: running})
	if status.Code(err) != codes.Unauthenticated || statustest.Error(t, err).Reason() != apierror.ReasonCredentialsMissing {
		t.Errorf("without any token: %v; want Unauthenticated/%s", err, apierror.ReasonCredentialsMissing)
	}
	if emu.RequestCount() != before {
		t.Error("a call without credentials reached ModelArts")
	}
}

func TestDeleteInstance_upstreamEchoReachesNoOne(t *testing.T) {
	t.Parallel()
	const serviceToken, callerToken = "svc-SECRET-0d9f", "caller-SECRET-7a1c"
	echo := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok := r.Header.Get("X-Auth-Token")
		w.Header().Set("X-Request-Id", "\u202e"+tok)
		w.WriteHeader(http.StatusBadRequest)
		body, _ := json.Marshal(map[string]string{
			"error_code":    "ModelArts.6309",
			"error_message": "no instance for \u202e" + tok[:4] + "\u200b" + tok[4:] + "\u2066",
		})
		_, _ = w.Write(body)
	})
	h := start(t, echo, modelarts.Options{Credentials: cloudauth.Token(serviceToken)})
	var outputs []string
	for _, ctx := range []context.Context{t.Context(), metadata.AppendToOutgoingContext(t.Context(), "x-auth-token", callerToken)} {
		_, err := h.client.DeleteInstance(ctx, &devenvv1.DeleteInstanceRequest{ProjectId: project, InstanceId: stopped})
		if status.Code(err) != codes.NotFound {
			t.Fatalf("err = %v; want NotFound", err)
		}
		md := statustest.Error(t, err).Metadata()
		if md["error_message"] != "no instance for [REDACTED]" || md["request_id"] != "[REDACTED]" {
			t.Errorf("ErrorInfo metadata = %v; want the echo redacted", md)
		}
		outputs = append(outputs, err.Error(), fmt.Sprint(md))
	}
	outputs = append(outputs, h.logs.String())
	for _, out := range outputs {
		if strings.Contains(out, "SECRET") || strings.ContainsAny(out, "\u202e\u200b\u2066") {
			t.Errorf("a token or an invisible character got through: %q", out)
		}
	}
}

func TestDeleteInstance_callerTokenBounds(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var seen []string // X-Auth-Token of every request upstream
	upstream := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Header.Get("X-Auth-Token"))
		mu.Unlock()
		_, _ = w.Write([]byte(`{"instance_id":"` + stopped + `"}`))
	})
	h := start(t, upstream, modelarts.Options{Credentials: cloudauth.Token("service-token")})
	tests := []struct {
		name, token string
		wantErr     string // "" if the call must reach ModelArts with the token
	}{
		{"typical", "MIIDbQYJKoZIhvcNAQcC-_+/=", ""},
		{"at_the_limit", strings.Repeat("t", 16<<10), ""},
		{"one_byte_over", strings.Repeat("t", 16<<10+1), "x-auth-token must be at most 16384 bytes; got 16385"},
		{"one_mebibyte", strings.Repeat("t", 1<<20), "x-auth-token must be at most 16384 bytes; got 1048576"},
		{"space_inside", "caller token", "x-auth-token must be visible ASCII characters (0x21-0x7E); byte 6 is 0x20"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mu.Lock()
			seen = seen[:0]
			mu.Unlock()
			ctx := metadata.AppendToOutgoingContext(t.Context(), "x-auth-token", tt.token)
			_, err := h.client.DeleteInstance(ctx, &devenvv1.DeleteInstanceRequest{ProjectId: project, InstanceId: stopped})
			mu.Lock()
			got := append([]string(nil), seen...)
			mu.Unlock()
			if tt.wantErr == "" {
				if err != nil || len(got) != 1 || got[0] != tt.token {
					t.Fatalf("err = %v, upstream saw %d request(s); want one request with the caller's token", err, len(got))
				}
				return
			}
			if len(got) != 0 {
				t.Errorf("the upstream received %d request(s); want none", len(got))
			}
			st := status.Convert(err)
			if st.Code() != codes.InvalidArgument || st.Message() != tt.wantErr {
				t.Fatalf("status = %v %q; want InvalidArgument %q", st.Code(), st.Message(), tt.wantErr)
			}
			violations := statustest.Error(t, err).Violations()
			if len(violations) != 1 || violations[0].GetField() != "x-auth-token" || violations[0].GetDescription() != tt.wantErr {
				t.Errorf("field violations = %v; want one for x-auth-token", violations)
			}
			if info := statustest.Error(t, err); info.Reason() != apierror.ReasonInvalidArgument {
				t.Errorf("ErrorInfo reason = %q; want %s", info.Reason(), apierror.ReasonInvalidArgument)
			}
			if strings.Contains(err.Error(), "tttttttt") || strings.Contains(err.Error(), "caller") {
				t.Errorf("the error quotes the token: %.200s", err)
			}
		})
	}
	if strings.Contains(h.logs.String(), "tttttttt") {
		t.Error("the logs quote a token")
	}
}

func TestDeleteInstance_callerTokenWithNonHeaderBytes(t *testing.T) {
	t.Parallel()
	// A gRPC client refuses to send these in metadata, but other clients
	// (and other transports into the service) may not.
	emu := emulator.MustNew(emulator.Options{})
	up := httptest.NewServer(emu)
	t.Cleanup(up.Close)
	mc, err := modelarts.NewClient(up.Client(), up.URL, modelarts.Options{})
	if err != nil {
		t.Fatal(err)
	}
	svc := newService(t, mc, service.Options{})
	for _, tok := range []string{"tok\r\nX-Injected: 1", "tok\x00", "tok\ten", "tök", "tok\x7f", " tok"} {
		ctx := metadata.NewIncomingContext(t.Context(), metadata.Pairs("x-auth-token", tok))
		_, err := svc.DeleteInstance(ctx, &devenvv1.DeleteInstanceRequest{ProjectId: project, InstanceId: stopped})
		if status.Code(err) != codes.InvalidArgument {
			t.Errorf("token %q: %v; want InvalidArgument", tok, err)
		}
	}
	if n := emu.RequestCount(); n != 0 {
		t.Errorf("ModelArts received %d requests; want none", n)
	}
}

func TestDeleteInstance_requestID(t *testing.T) {
	t.Parallel()
	emu := emulator.MustNew(emulator.Options{})
	h := start(t, emu, modelarts.Options{Credentials: cloudauth.Token("t")})
	tests := []struct {
		name, sent string
		wantKept   bool
	}{
		{"propagated", "caller-req-42", true},
		{"absent", "", false},
		{"with_space", "a b", false},
		{"too_long", strings.Repeat("r", 129), false},
	}
	for i, tt := range tests {
		ctx := t.Context()
		if tt.sent != "" {
			ctx = metadata.AppendToOutgoingContext(ctx, "x-request-id", tt.sent)
		}
		var header metadata.MD
		_, _ = h.client.DeleteInstance(ctx, &devenvv1.DeleteInstanceRequest{ProjectId: project, InstanceId: "missing"}, grpc.Header(&header))
		got := header.Get("x-request-id")
		if len(got) != 1 || got[0] == "" {
			t.Fatalf("%s: response header x-request-id = %v; want one value", tt.name, got)
		}
		if kept := got[0] == tt.sent; kept != tt.wantKept {
			t.Errorf("%s: response request ID %q (sent %q); kept = %v, want %v", tt.name, got[0], tt.sent, kept, tt.wantKept)
		}
		if up := emu.Requests()[i].Header.Get("X-Request-Id"); up != got[0] {
			t.Errorf("%s: ModelArts got X-Request-Id %q; the caller was told %q", tt.name, up, got[0])
		}
	}
}

func TestUnaryInterceptor_recoversPanics(t *testing.T) {
	t.Parallel()
	logs := &logbuf.Buffer{}
	svc := newService(t, nil, service.Options{Logger: slog.New(slog.NewJSONHandler(logs, nil))})
	info := &grpc.UnaryServerInfo{FullMethod: "/x/Y"}
	resp, err := svc.UnaryInterceptor()(t.Context(), nil, info, func(context.Context, any) (any, error) {
		panic("boom: password=hunter2")
	})
	if resp != nil || status.Code(err) != codes.Internal {
		t.Fatalf("got (%v, %v); want Internal", resp, err)
	}
	if strings.Contains(err.Error(), "hunter2") {
		t.Errorf("the panic value reached the caller: %v", err)
	}
	if statustest.Error(t, err).Reason() != apierror.ReasonInternal {
		t.Errorf("reason = %q; want %s", statustest.Error(t, err).Reason(), apierror.ReasonInternal)
	}
	if !strings.Contains(logs.String(), "panic in handler") {
		t.Errorf("the panic was not logged: %s", logs)
	}
}

// twoFaced is an error whose gRPC status says one thing and whose typed
// error another: the log line tells which of the two it read.
type twoFaced struct {
	typed  *apierror.Error
	status *status.Status
}

func (e twoFaced) Error() string              { return e.typed.Error() }
func (e twoFaced) Unwrap() error              { return e.typed }
func (e twoFaced) GRPCStatus() *status.Status { return e.status }

// TestUnaryInterceptor_logsTheTypedError: the call's log line says what
// the typed error says (code, reason, error_code, http_status), not what
// its status's details would parse to.
func TestUnaryInterceptor_logsTheTypedError(t *testing.T) {
	t.Parallel()
	logs := &logbuf.Buffer{}
	svc := newService(t, nil, service.Options{Logger: slog.New(slog.NewJSONHandler(logs, nil))})
	typed := apierror.FromUpstream(apierror.Upstream{Code: codes.NotFound, Domain: apierror.DomainModelArts, Reason: "INSTANCE_NOT_FOUND",
		Message: "gone (ModelArts.6309)", ErrorCode: "ModelArts.6309", ErrorMessage: "gone", HTTPStatus: 400}, apierror.Call{})
	other, err := status.New(codes.Unavailable, "the details").WithDetails(&errdetails.ErrorInfo{Domain: apierror.DomainFacade, Reason: "OTHER",
		Metadata: map[string]string{"error_code": "Facade.OTHER", "http_status": "503"}})
	if err != nil {
		t.Fatal(err)
	}
	info := &grpc.UnaryServerInfo{FullMethod: "/x/Y"}
	_, _ = svc.UnaryInterceptor()(t.Context(), nil, info, func(context.Context, any) (any, error) {
		return nil, twoFaced{typed: typed, status: other}
	})
	var line map[string]any
	if err := json.Unmarshal([]byte(logs.String()), &line); err != nil {
		t.Fatalf("log line %q: %v", logs, err)
	}
	want := map[string]any{"code": "NotFound", "reason": "INSTANCE_NOT_FOUND", "error_code": "ModelArts.6309", "http_status": "400"}
	for k, v := range want {
		if line[k] != v {
			t.Errorf("log line %s = %v; want %v (the typed error's)", k, line[k], v)
		}
	}
}

func TestLogs_neverContainTokens(t *testing.T) {
	t.Parallel()
	const serviceToken, callerToken = "svc-SECRET-0d9f", "caller-SECRET-7a1c"
	emu := emulator.MustNew(emulator.Options{})
	h := start(t, emu, modelarts.Options{Credentials: cloudauth.Token(serviceToken)})
	calls := []context.Context{
		t.Context(),
		metadata.AppendToOutgoingContext(t.Context(), "x-auth-token", callerToken),
	}
	for _, ctx := range calls {
		for _, id := range []string{stopped, stopped, running, "bad id"} {
			_, _ = h.client.DeleteInstance(ctx, &devenvv1.DeleteInstanceRequest{ProjectId: project, InstanceId: id})
		}
	}
	logs := h.logs.String()
	if strings.Count(logs, `"msg":"rpc"`) != 8 {
		t.Errorf("want one log line per call (8):\n%s", logs)
	}
	for _, secret := range []string{serviceToken, callerToken, "SECRET"} {
		if strings.Contains(logs, secret) {
			t.Errorf("logs contain %q:\n%s", secret, logs)
		}
	}
}

// TestNew_options: New refuses options it cannot use, naming the field;
// options.NoLimit lifts the bound on waits.
func TestNew_options(t *testing.T) {
	t.Parallel()
	if _, err := service.New(nil, service.Options{MaxWaits: options.NoLimit}); err != nil {
		t.Errorf("MaxWaits NoLimit: %v", err)
	}
	for _, tt := range []struct {
		opts service.Options
		want []string
	}{
		{service.Options{MaxWait: -time.Second}, []string{"MaxWait"}},
		{service.Options{PollInterval: -time.Second}, []string{"PollInterval"}},
		{service.Options{PollInterval: 2 * time.Second, MaxPollInterval: time.Second}, []string{"MaxPollInterval", "PollInterval"}},
		{service.Options{MaxWaits: -2}, []string{"MaxWaits"}},
	} {
		var oe *options.Error
		if _, err := service.New(nil, tt.opts); !errors.As(err, &oe) || !slices.Equal(oe.Fields(), tt.want) {
			t.Errorf("New(%+v) = %v; want an *options.Error naming %v", tt.opts, err, tt.want)
		}
	}
}

// serveLoopback serves svc (both of its services) over a real gRPC server
// on loopback, configured by opts, and returns a connection to it; both
// end with the test.
func serveLoopback(t *testing.T, svc *service.Service, opts ...grpc.ServerOption) *grpc.ClientConn {
	t.Helper()
	gs := grpc.NewServer(opts...)
	devenvv1.RegisterDevEnvServiceServer(gs, svc)
	notebookv1.RegisterNotebookServiceServer(gs, svc)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = gs.Serve(lis) }()
	t.Cleanup(gs.Stop)
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// TestUnaryInterceptorAround: the inner step runs inside the interceptor,
// with the call's request ID in its context and the handler to call; what
// it answers is the call's answer and is logged (its panic too).
func TestUnaryInterceptorAround(t *testing.T) {
	t.Parallel()
	logs := &logbuf.Buffer{}
	svc := newService(t, nil, service.Options{Logger: slog.New(slog.NewJSONHandler(logs, nil))})
	info := &grpc.UnaryServerInfo{FullMethod: "/x/Y"}
	var sawID string
	var sawInfo *grpc.UnaryServerInfo
	inner := func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		sawID, sawInfo = callctx.RequestID(ctx), info
		if _, err := handler(ctx, req); err != nil {
			return nil, err
		}
		return nil, apierror.New(codes.Unavailable, apierror.ReasonShuttingDown, "inner says no", callctx.RequestID(ctx))
	}
	handled := false
	_, err := svc.UnaryInterceptorAround(inner)(t.Context(), nil, info, func(context.Context, any) (any, error) {
		handled = true
		return "ok", nil
	})
	if !handled || sawID == "" || sawInfo != info {
		t.Fatalf("inner ran with request ID %q, info %v; handler ran: %v", sawID, sawInfo, handled)
	}
	if statustest.Error(t, err).Reason() != apierror.ReasonShuttingDown {
		t.Fatalf("err = %v; want the inner step's", err)
	}
	var line map[string]any
	if err := json.Unmarshal([]byte(logs.String()), &line); err != nil {
		t.Fatalf("log line %q: %v", logs, err)
	}
	if line["code"] != "Unavailable" || line["request_id"] != sawID {
		t.Errorf("log line %v; want the inner step's code and the call's request ID", line)
	}

	_, err = svc.UnaryInterceptorAround(func(context.Context, any, *grpc.UnaryServerInfo, grpc.UnaryHandler) (any, error) {
		panic("inner")
	})(t.Context(), nil, info, nil)
	if status.Code(err) != codes.Internal {
		t.Errorf("a panic in the inner step: %v; want Internal", err)
	}
}
