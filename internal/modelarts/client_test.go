package modelarts_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"go.uber.org/goleak"

	"github.com/devenv-facade/devenv-facade/internal/cloudauth"
	"github.com/devenv-facade/devenv-facade/internal/modelarts"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

const (
	testProject  = "0123456789abcdef0123456789abcdef"
	testInstance = "DE-7d558ef8-c73d-11ea-964c-0255ac100033"
)

// newServer starts a loopback server and returns it with a client for it.
// Without credentials in opts, the client sends "service-token".
func newServer(t testing.TB, h http.HandlerFunc, opts modelarts.Options) (*httptest.Server, *modelarts.Client) {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	if opts.Credentials == nil {
		opts.Credentials = cloudauth.Token("service-token")
	}
	c, err := modelarts.NewClient(srv.Client(), srv.URL, opts)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	return srv, c
}

// recorder keeps the requests a test server received.
type recorder struct {
	mu   sync.Mutex
	reqs []*http.Request
}

func (r *recorder) add(req *http.Request) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reqs = append(r.reqs, req.Clone(context.Background()))
}

func (r *recorder) all() []*http.Request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*http.Request(nil), r.reqs...)
}

func answer(status int, body string, header ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

func TestDeleteInstance_sendsRequest(t *testing.T) {
	t.Parallel()
	var rec recorder
	_, c := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		rec.add(r)
		answer(http.StatusOK, `{"instance_id":"`+testInstance+`"}`)(w, r)
	}, modelarts.Options{UserAgent: "test-agent/1"})

	got, err := deleteInstance(t.Context(), c, testProject, testInstance, modelarts.RequestID("req-123"))
	if err != nil {
		t.Fatalf("DeleteInstance: %v", err)
	}
	if got.InstanceID != testInstance {
		t.Errorf("InstanceID = %q; want %q", got.InstanceID, testInstance)
	}
	reqs := rec.all()
	if len(reqs) != 1 {
		t.Fatalf("server got %d requests; want 1", len(reqs))
	}
	r := reqs[0]
	if r.Method != http.MethodDelete {
		t.Errorf("method = %s; want DELETE", r.Method)
	}
	if want := "/v1/" + testProject + "/demanager/instances/" + testInstance; r.RequestURI != want {
		t.Errorf("RequestURI = %q; want %q", r.RequestURI, want)
	}
	for h, want := range map[string]string{
		"X-Auth-Token": "service-token",
		"X-Request-Id": "req-123",
		"User-Agent":   "test-agent/1",
		"Accept":       "application/json",
	} {
		if got := r.Header.Get(h); got != want {
			t.Errorf("header %s = %q; want %q", h, got, want)
		}
	}
}

func TestDeleteInstance_requestIDAndToken(t *testing.T) {
	t.Parallel()
	var rec recorder
	_, c := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		rec.add(r)
		answer(http.StatusOK, `{"instance_id":"x"}`)(w, r)
	}, modelarts.Options{})
	if _, err := deleteInstance(t.Context(), c, testProject, testInstance); err != nil {
		t.Fatal(err)
	}
	if _, err := deleteInstance(t.Context(), c, testProject, testInstance, modelarts.CallerToken("caller-token"), modelarts.CallerToken("")); err != nil {
		t.Fatal(err)
	}
	reqs := rec.all()
	if _, err := uuid.Parse(reqs[0].Header.Get("X-Request-Id")); err != nil {
		t.Errorf("generated X-Request-Id %q is not a UUID: %v", reqs[0].Header.Get("X-Request-Id"), err)
	}
	if reqs[0].Header.Get("X-Request-Id") == reqs[1].Header.Get("X-Request-Id") {
		t.Error("two calls got the same generated request ID")
	}
	if got := reqs[0].Header.Get("X-Auth-Token"); got != "service-token" {
		t.Errorf("without a caller token, X-Auth-Token = %q; want the configured one", got)
	}
	if got := reqs[1].Header.Get("X-Auth-Token"); got != "caller-token" {
		t.Errorf("with a caller token, X-Auth-Token = %q; want the caller's", got)
	}
}

func TestDeleteInstance_refusedBeforeSending(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { calls.Add(1) }))
	defer srv.Close()
	noToken, err := modelarts.NewClient(srv.Client(), srv.URL, modelarts.Options{})
	if err != nil {
		t.Fatal(err)
	}
	withToken, err := modelarts.NewClient(srv.Client(), srv.URL, modelarts.Options{Credentials: cloudauth.Token("t")})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name                  string
		client                *modelarts.Client
		project, instance     string
		want                  error
		wantMessageNotContain string
	}{
		{"no_credentials", noToken, testProject, testInstance, modelarts.ErrNoCredentials, ""},
		{"empty_project", withToken, "", testInstance, modelarts.ErrInvalidPathSegment, ""},
		{"empty_instance", withToken, testProject, "", modelarts.ErrInvalidPathSegment, ""},
		{"dot", withToken, testProject, ".", modelarts.ErrInvalidPathSegment, ""},
		{"dot_dot", withToken, testProject, "..", modelarts.ErrInvalidPathSegment, ""},
		{"dot_dot_project", withToken, "..", testInstance, modelarts.ErrInvalidPathSegment, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := deleteInstance(t.Context(), tt.client, tt.project, tt.instance)
			if !errors.Is(err, tt.want) {
				t.Errorf("err = %v; want %v", err, tt.want)
			}
		})
	}
	if n := calls.Load(); n != 0 {
		t.Errorf("server got %d requests; want none", n)
	}
}

func TestDeleteInstance_escapesPathSegments(t *testing.T) {
	t.Parallel()
	var rec recorder
	srv, _ := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		rec.add(r)
		answer(http.StatusOK, `{"instance_id":"x"}`)(w, r)
	}, modelarts.Options{})
	c, err := modelarts.NewClient(srv.Client(), srv.URL+"/prefix/", modelarts.Options{Credentials: cloudauth.Token("t")})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		instance string
		wantURI  string
	}{
		{"plain-ID_1", "/prefix/v1/p/demanager/instances/plain-ID_1"},
		{"a/b", "/prefix/v1/p/demanager/instances/a%2Fb"},
		{"../../admin", "/prefix/v1/p/demanager/instances/..%2F..%2Fadmin"},
		{"x?y=z#f", "/prefix/v1/p/demanager/instances/x%3Fy%3Dz%23f"},
		{"%2F", "/prefix/v1/p/demanager/instances/%252F"},
		{"a;b", "/prefix/v1/p/demanager/instances/a%3Bb"},
		{"a b\r\n", "/prefix/v1/p/demanager/instances/a%20b%0D%0A"},
		{"é", "/prefix/v1/p/demanager/instances/%C3%A9"},
		{"~.", "/prefix/v1/p/demanager/instances/~."},
	}
	for _, tt := range tests {
		if _, err := deleteInstance(t.Context(), c, "p", tt.instance); err != nil {
			t.Fatalf("DeleteInstance(%q): %v", tt.instance, err)
		}
	}
	reqs := rec.all()
	for i, tt := range tests {
		if reqs[i].RequestURI != tt.wantURI {
			t.Errorf("instance %q: RequestURI = %q; want %q", tt.instance, reqs[i].RequestURI, tt.wantURI)
		}
	}
}

func TestNewClient_rejectsBadEndpoints(t *testing.T) {
	t.Parallel()
	for _, ep := range []string{"", "modelarts.example.com", "ftp://x", "http://", "https://user:pw@x", "https://x/?q=1", "https://x/#f", "://"} {
		if _, err := modelarts.NewClient(http.DefaultClient, ep, modelarts.Options{}); err == nil {
			t.Errorf("NewClient(%q) succeeded; want an error", ep)
		} else if strings.Contains(err.Error(), "pw") {
			t.Errorf("NewClient(%q) error leaks user info: %v", ep, err)
		}
	}
	if _, err := modelarts.NewClient(nil, "https://x", modelarts.Options{}); err == nil {
		t.Error("NewClient(nil, ...) succeeded; want an error")
	}
}

func TestNewClient_errorsNeverShowUserInfo(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, endpoint string
		want           string // the whole error
	}{
		{"unparsable", "https://user:s3cret@host/%zz",
			`modelarts: endpoint: parse "https://xxxxx@host/%zz": invalid URL escape "%zz"`},
		{"unparsable_password", "https://user:s3%cret@host/",
			`modelarts: endpoint: parse "https://xxxxx@host/": invalid before the last "@" (not shown)`},
		{"user_info", "https://user:s3cret@host",
			`modelarts: endpoint "https://host": user info is not allowed in the URL`},
		{"user_info_and_bad_scheme", "ftp://user:s3cret@host",
			`modelarts: endpoint "ftp://host": user info is not allowed in the URL`},
		{"slash_in_password_parses_as_port", "https://user:12/s3cret@host",
			`modelarts: endpoint "https://xxxxx@host": user info is not allowed in the URL`},
		{"no_scheme", "user:s3cret@host",
			`modelarts: endpoint "xxxxx@host": user info is not allowed in the URL`},
		{"query", "https://host/v1?token=s3cret",
			`modelarts: endpoint "https://host/v1": query and fragment are not allowed`},
		{"fragment", "https://host/#s3cret",
			`modelarts: endpoint "https://host/": query and fragment are not allowed`},
		{"bad_scheme", "ftp://host/s",
			`modelarts: endpoint "ftp://host/s": scheme must be http or https`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := modelarts.NewClient(http.DefaultClient, tt.endpoint, modelarts.Options{})
			if err == nil {
				t.Fatalf("NewClient(%q) succeeded; want an error", tt.endpoint)
			}
			if err.Error() != tt.want {
				t.Errorf("NewClient(%q) error = %q; want %q", tt.endpoint, err, tt.want)
			}
			if strings.Contains(err.Error(), "s3") {
				t.Errorf("NewClient(%q) error shows the secret: %v", tt.endpoint, err)
			}
		})
	}
}

func TestDeleteInstance_errorAnswers(t *testing.T) {
	t.Parallel()
	huge := strings.Repeat("x", 3<<20)
	tests := []struct {
		name    string
		handler http.HandlerFunc
		want    modelarts.Error
	}{
		{
			name:    "modelarts_error",
			handler: answer(400, `{"error_message":"The instance does not exist.","error_code":"ModelArts.6309"}`, "Content-Type", "application/json"),
			want:    modelarts.Error{HTTPStatus: 400, Code: "ModelArts.6309", Message: "The instance does not exist.", RequestID: "rid", ContentType: "application/json"},
		},
		{
			name:    "gateway_error_msg_and_request_id",
			handler: answer(404, `{"error_msg":"The API does not exist","error_code":"APIGW.0101","request_id":"gw-1"}`),
			want:    modelarts.Error{HTTPStatus: 404, Code: "APIGW.0101", Message: "The API does not exist", RequestID: "gw-1", ContentType: "text/plain; charset=utf-8"},
		},
		{
			name:    "upstream_request_id_header_wins",
			handler: answer(401, `{"error_code":"ModelArts.0205","error_message":"No authorization request header.","request_id":"body-id"}`, "X-Request-Id", "hdr-id", "Content-Type", "application/json"),
			want:    modelarts.Error{HTTPStatus: 401, Code: "ModelArts.0205", Message: "No authorization request header.", RequestID: "hdr-id", ContentType: "application/json"},
		},
		{
			name:    "throttled_with_retry_after",
			handler: answer(429, `{"error_code":"ModelArts.6101","error_message":"The system is busy now. Please try again later."}`, "Retry-After", "7", "Content-Type", "application/json"),
			want:    modelarts.Error{HTTPStatus: 429, Code: "ModelArts.6101", Message: "The system is busy now. Please try again later.", RequestID: "rid", RetryAfter: 7 * time.Second, ContentType: "application/json"},
		},
		{
			name:    "html_from_load_balancer",
			handler: answer(502, "<html><body>Bad Gateway</body></html>", "Content-Type", "text/html"),
			want:    modelarts.Error{HTTPStatus: 502, Message: "HTTP 502 Bad Gateway with a body that is not a ModelArts error (text/html)", RequestID: "rid", ContentType: "text/html", Body: []byte("<html><body>Bad Gateway</body></html>")},
		},
		{
			name:    "empty_503",
			handler: answer(503, ""),
			want:    modelarts.Error{HTTPStatus: 503, Message: "HTTP 503 Service Unavailable with an empty body", RequestID: "rid"},
		},
		{
			name:    "json_without_error_code",
			handler: answer(500, `{"message":"oops"}`, "Content-Type", "application/json"),
			want:    modelarts.Error{HTTPStatus: 500, Message: "HTTP 500 Internal Server Error with a body that is not a ModelArts error (application/json)", RequestID: "rid", ContentType: "application/json", Body: []byte(`{"message":"oops"}`)},
		},
		{
			name:    "huge_body",
			handler: answer(500, huge, "Content-Type", "text/plain"),
			want:    modelarts.Error{HTTPStatus: 500, Message: "HTTP 500 Internal Server Error with a body that is not a ModelArts error (text/plain)", RequestID: "rid", ContentType: "text/plain", Body: []byte(huge[:512])},
		},
		{
			name:    "control_characters_and_bad_utf8",
			handler: answer(400, "{\"error_code\":\"ModelArts.6309\",\"error_message\":\"line1\\nline2\\u0000 \xff\"}"),
			want:    modelarts.Error{HTTPStatus: 400, Code: "ModelArts.6309", Message: "line1 line2  \uFFFD", RequestID: "rid", ContentType: "text/plain; charset=utf-8"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, c := newServer(t, tt.handler, modelarts.Options{})
			_, err := deleteInstance(t.Context(), c, testProject, testInstance, modelarts.RequestID("rid"))
			var got *modelarts.Error
			if !errors.As(err, &got) {
				t.Fatalf("err = %v (%T); want *modelarts.Error", err, err)
			}
			if diff := cmp.Diff(&tt.want, got); diff != "" {
				t.Errorf("error mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestCall_unusableSuccessBody: a 2xx answer whose body cannot be read or
// decoded is a *DecodeError that keeps the status: the operation succeeded,
// and the caller decides what that means (the service reports a delete
// done).
func TestCall_unusableSuccessBody(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		handler    http.HandlerFunc
		wantStatus int // 0: decodes
	}{
		{"reported_id", answer(200, `{"instance_id":"from-body"}`), 0},
		{"not_json", answer(200, `<html>ok</html>`), 200},
		{"empty", answer(204, ``), 204},
		{"too_large", answer(200, `{"instance_id":"`+strings.Repeat("x", 2<<20)+`"}`), 200},
		{"truncated", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Length", "100")
			w.WriteHeader(200)
			_, _ = io.WriteString(w, `{"instance_id":"DE-`)
		}, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, c := newServer(t, tt.handler, modelarts.Options{})
			got, res, err := deleteInstanceResult(t.Context(), c, testProject, testInstance)
			if tt.wantStatus == 0 {
				if err != nil || got.InstanceID != "from-body" {
					t.Fatalf("DeleteInstance = %v, %v; want the body's ID", got, err)
				}
				return
			}
			var de *modelarts.DecodeError
			if !errors.As(err, &de) || de.HTTPStatus != tt.wantStatus || res.Attempts != 1 {
				t.Errorf("DeleteInstance: %v (%+v); want a DecodeError with status %d after one attempt", err, res, tt.wantStatus)
			}
		})
	}
}

// stall answers nothing until the request is cancelled, and reports that.
func stall(cancelled chan<- struct{}) http.HandlerFunc {
	return func(_ http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
		close(cancelled)
	}
}

// TestDeleteInstance_deadlineReachesUpstream: the caller's deadline ends
// the upstream request. The client's own bounds are an hour here, so
// nothing else can end it.
func TestDeleteInstance_deadlineReachesUpstream(t *testing.T) {
	t.Parallel()
	cancelled := make(chan struct{})
	policy := modelarts.DefaultRetryPolicy()
	policy.AttemptTimeout = time.Hour
	_, c := newServer(t, stall(cancelled), modelarts.Options{Timeout: time.Hour, Retry: policy})
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	_, err := deleteInstance(ctx, c, testProject, testInstance)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v; want context.DeadlineExceeded", err)
	}
	select {
	case <-cancelled:
	case <-time.After(time.Minute):
		t.Error("the upstream request was not cancelled within a minute of the caller's deadline")
	}
}

func TestDeleteInstance_clientTimeout(t *testing.T) {
	t.Parallel()
	cancelled := make(chan struct{})
	_, c := newServer(t, stall(cancelled), modelarts.Options{Timeout: 50 * time.Millisecond})
	_, err := deleteInstance(t.Context(), c, testProject, testInstance)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v; want context.DeadlineExceeded", err)
	}
	if t.Context().Err() != nil {
		t.Fatal("the test context ended; the timeout must come from the client")
	}
	<-cancelled
}

func TestDeleteInstance_transportFailures(t *testing.T) {
	t.Parallel()
	t.Run("connection_refused", func(t *testing.T) {
		t.Parallel()
		lis, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := lis.Addr().String()
		lis.Close()
		hc := &http.Client{Transport: modelarts.NewTransport(0)}
		defer hc.CloseIdleConnections()
		c, err := modelarts.NewClient(hc, "http://"+addr, modelarts.Options{Credentials: cloudauth.Token("secret-token")})
		if err != nil {
			t.Fatal(err)
		}
		_, err = deleteInstance(t.Context(), c, testProject, testInstance)
		if !errors.Is(err, syscall.ECONNREFUSED) {
			t.Errorf("err = %v; want ECONNREFUSED", err)
		}
		if strings.Contains(err.Error(), "secret-token") {
			t.Errorf("error leaks the token: %v", err)
		}
	})
	t.Run("connection_reset", func(t *testing.T) {
		t.Parallel()
		_, c := newServer(t, resetConnection, modelarts.Options{})
		_, err := deleteInstance(t.Context(), c, testProject, testInstance)
		var merr *modelarts.Error
		if err == nil || errors.As(err, &merr) {
			t.Fatalf("err = %v; want a transport error", err)
		}
		if !errors.Is(err, syscall.ECONNRESET) && !errors.Is(err, io.EOF) {
			t.Errorf("err = %v; want ECONNRESET or EOF", err)
		}
	})
}

// resetConnection closes the connection with a TCP RST before answering.
func resetConnection(w http.ResponseWriter, _ *http.Request) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}

func TestDeleteInstance_hugeBodyMemoryIsBounded(t *testing.T) {
	// Not parallel: it measures the process's allocations.
	const bodySize = 256 << 20
	done := make(chan struct{})
	_, c := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		defer close(done)
		w.WriteHeader(500)
		chunk := make([]byte, 64<<10)
		for written := 0; written < bodySize; written += len(chunk) {
			if _, err := w.Write(chunk); err != nil {
				return // the client stopped reading and closed
			}
		}
	}, modelarts.Options{})
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := deleteInstance(t.Context(), c, testProject, testInstance)
	runtime.ReadMemStats(&after)
	var merr *modelarts.Error
	if !errors.As(err, &merr) || merr.HTTPStatus != 500 {
		t.Fatalf("err = %v; want an HTTP 500 *modelarts.Error", err)
	}
	// The client reads at most 1 MiB; allow for the buffer's growth and
	// the test server's own allocations.
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 16<<20 {
		t.Errorf("allocated %d MiB reading a %d MiB body; want it bounded by the body cap", alloc>>20, bodySize>>20)
	}
	<-done
}

func TestDeleteInstance_reusesConnections(t *testing.T) {
	t.Parallel()
	var conns atomic.Int32
	srv := httptest.NewUnstartedServer(answer(200, `{"instance_id":"x"}`))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	hc := &http.Client{Transport: modelarts.NewTransport(0)}
	defer hc.CloseIdleConnections()
	c, err := modelarts.NewClient(hc, srv.URL, modelarts.Options{Credentials: cloudauth.Token("t")})
	if err != nil {
		t.Fatal(err)
	}
	for range 50 {
		if _, err := deleteInstance(t.Context(), c, testProject, testInstance); err != nil {
			t.Fatal(err)
		}
	}
	// Error answers must not cost a connection either.
	srv.Config.Handler = answer(400, `{"error_code":"ModelArts.6309","error_message":"The instance does not exist."}`)
	for range 50 {
		if _, err := deleteInstance(t.Context(), c, testProject, testInstance); err == nil {
			t.Fatal("want an error")
		}
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("100 sequential calls opened %d connections; want 1", n)
	}
}

func TestNewHTTPClient_doesNotFollowRedirects(t *testing.T) {
	t.Parallel()
	var followed atomic.Bool
	target := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { followed.Store(true) }))
	defer target.Close()
	srv := httptest.NewServer(http.RedirectHandler(target.URL, http.StatusTemporaryRedirect))
	defer srv.Close()
	hc := modelarts.NewHTTPClient(0)
	defer hc.CloseIdleConnections()
	c, err := modelarts.NewClient(hc, srv.URL, modelarts.Options{Credentials: cloudauth.Token("t")})
	if err != nil {
		t.Fatal(err)
	}
	_, err = deleteInstance(t.Context(), c, testProject, testInstance)
	var merr *modelarts.Error
	if !errors.As(err, &merr) || merr.HTTPStatus != http.StatusTemporaryRedirect {
		t.Errorf("err = %v; want a 307 *modelarts.Error", err)
	}
	if followed.Load() {
		t.Error("the redirect was followed, resending the token elsewhere")
	}
}

// deleteInstance calls the DeleteInstance endpoint.
func deleteInstance(ctx context.Context, c *modelarts.Client, project, instance string, opts ...modelarts.CallOption) (*modelarts.DeleteInstanceResponse, error) {
	resp, _, err := deleteInstanceResult(ctx, c, project, instance, opts...)
	return resp, err
}

// deleteInstanceResult calls the DeleteInstance endpoint and returns its
// Result too.
func deleteInstanceResult(ctx context.Context, c *modelarts.Client, project, instance string, opts ...modelarts.CallOption) (*modelarts.DeleteInstanceResponse, modelarts.Result, error) {
	return modelarts.DeleteInstance.Call(ctx, c, modelarts.Request{Params: []string{project, instance}}, opts...)
}

// TestCall_bodyAndQuery: an endpoint with a JSON body and a query sends
// both, with Content-Type; a non-idempotent one is sent once whatever
// happens; the path's parameters are counted.
func TestCall_bodyAndQuery(t *testing.T) {
	t.Parallel()
	var rec recorder
	var bodies []string
	var mu sync.Mutex
	_, c := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		rec.add(r)
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies = append(bodies, string(b))
		mu.Unlock()
		w.WriteHeader(http.StatusServiceUnavailable)
	}, modelarts.Options{})
	op := modelarts.MustEndpoint[map[string]any](modelarts.Operation{Name: "Post", Method: http.MethodPost, Path: "/v1/{project_id}/things"})
	_, res, err := op.Call(t.Context(), c, modelarts.Request{
		Params: []string{testProject},
		Query:  map[string][]string{"b": {"2 two"}, "a": {"1"}},
		Body:   map[string]any{"name": "x", "n": 1},
	})
	var apiErr *modelarts.Error
	if !errors.As(err, &apiErr) || res.Attempts != 1 {
		t.Fatalf("err %v after %d attempts; want the 503, once (not idempotent)", err, res.Attempts)
	}
	r := rec.all()[0]
	if r.URL.RawQuery != "a=1&b=2+two" || r.Header.Get("Content-Type") != "application/json" || r.URL.Path != "/v1/"+testProject+"/things" {
		t.Errorf("sent %s %s?%s (%s)", r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Get("Content-Type"))
	}
	if bodies[0] != `{"n":1,"name":"x"}` {
		t.Errorf("body %q", bodies[0])
	}
	if _, _, err := op.Call(t.Context(), c, modelarts.Request{}); err == nil {
		t.Error("a call without its path parameter was sent")
	}
}
