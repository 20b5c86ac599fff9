package modelarts_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

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
