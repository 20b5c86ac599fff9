package mirror_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"

	devenvv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/devenv/v1"
	"github.com/devenv-facade/devenv-facade/internal/apierror"
	"github.com/devenv-facade/devenv-facade/internal/mirror"
)

// fakeServer answers every DeleteInstance with err (or success), recording
// what it received.
type fakeServer struct {
	devenvv1.UnimplementedDevEnvServiceServer
	err error

	mu   sync.Mutex
	reqs []*devenvv1.DeleteInstanceRequest
	mds  []metadata.MD
}

func (f *fakeServer) DeleteInstance(ctx context.Context, req *devenvv1.DeleteInstanceRequest) (*devenvv1.DeleteInstanceResponse, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	f.mu.Lock()
	f.reqs, f.mds = append(f.reqs, req), append(f.mds, md)
	f.mu.Unlock()
	_ = grpc.SetHeader(ctx, metadata.Pairs("x-request-id", "rid-1", "x-internal", "do-not-leak"))
	if f.err != nil {
		return nil, f.err
	}
	return &devenvv1.DeleteInstanceResponse{InstanceId: req.GetInstanceId()}, nil
}

type reply struct {
	status int
	header http.Header
	body   map[string]any
}

func serve(t *testing.T, srv devenvv1.DevEnvServiceServer, interceptor grpc.UnaryServerInterceptor) *httptest.Server {
	t.Helper()
	if interceptor == nil {
		interceptor = func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
			return h(ctx, req)
		}
	}
	h, err := mirror.New(t.Context(), []mirror.Service{mirror.DevEnvService(srv)}, interceptor, mirror.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	return ts
}

func call(t *testing.T, ts *httptest.Server, method, path string, header map[string]string) reply {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, ts.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var body map[string]any
	if err := json.Unmarshal(raw, &body); err != nil {
		t.Fatalf("body %q is not JSON: %v", raw, err)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q; want application/json", ct)
	}
	return reply{resp.StatusCode, resp.Header, body}
}

const path = "/v1/0123456789abcdef0123456789abcdef/demanager/instances/DE-1"

func TestMirror_success(t *testing.T) {
	t.Parallel()
	fake := &fakeServer{}
	var methods []string
	ts := serve(t, fake, func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		methods = append(methods, info.FullMethod)
		return h(ctx, req)
	})
	got := call(t, ts, http.MethodDelete, path+"?allow_missing=true", map[string]string{
		"X-Auth-Token": "caller-token", "X-Request-Id": "caller-rid", "X-Other": "x",
	})
	if got.status != 200 {
		t.Fatalf("status = %d; want 200 (body %v)", got.status, got.body)
	}
	if diff := cmp.Diff(map[string]any{"instance_id": "DE-1"}, got.body); diff != "" {
		t.Errorf("body (-want +got):\n%s", diff)
	}
	// The caller's request ID is the call's, and answered.
	if got.header.Get("X-Request-Id") != "caller-rid" {
		t.Errorf("X-Request-Id = %q; want the caller's", got.header.Get("X-Request-Id"))
	}
	if len(got.header.Values("X-Request-Id")) != 1 {
		t.Errorf("X-Request-Id sent %d times", len(got.header.Values("X-Request-Id")))
	}
	for k := range got.header {
		if strings.Contains(strings.ToLower(k), "internal") || strings.HasPrefix(k, "Grpc-Metadata") {
			t.Errorf("header metadata leaked as %s", k)
		}
	}
	req, md := fake.reqs[0], fake.mds[0]
	if !req.GetAllowMissing() || req.GetProjectId() != "0123456789abcdef0123456789abcdef" || req.GetInstanceId() != "DE-1" {
		t.Errorf("request = %v", req)
	}
	if md.Get("x-auth-token")[0] != "caller-token" || md.Get("x-request-id")[0] != "caller-rid" {
		t.Errorf("metadata = %v; want x-auth-token and x-request-id from the headers", md)
	}
	if len(md.Get("x-other")) != 0 {
		t.Errorf("an arbitrary header reached the service as metadata: %v", md)
	}
	if diff := cmp.Diff([]string{"/modelarts.devenv.v1.DevEnvService/DeleteInstance"}, methods); diff != "" {
		t.Errorf("interceptor saw (-want +got):\n%s", diff)
	}
}

// fromModelArts is the error the service returns for an error answer of
// ModelArts.
func fromModelArts(c codes.Code, msg, code, vendorMsg string, httpStatus int, retry time.Duration) error {
	return apierror.FromUpstream(apierror.Upstream{Code: c, Domain: apierror.DomainModelArts, Reason: "R", Message: msg,
		ErrorCode: code, ErrorMessage: vendorMsg, HTTPStatus: httpStatus, RetryDelay: retry}, apierror.Call{RequestID: "rid"})
}

// twoFaced is an error whose gRPC status says one thing (status) and whose
// typed error says another (typed): what the mirror answers tells which
// of the two it read.
type twoFaced struct {
	typed  *apierror.Error
	status *status.Status
}

func (e twoFaced) Error() string              { return e.typed.Error() }
func (e twoFaced) Unwrap() error              { return e.typed }
func (e twoFaced) GRPCStatus() *status.Status { return e.status }

// detailsSayOtherwise is a status whose details contradict every field
// the mirror writes: another code, message and HTTP status, and a
// RetryInfo.
func detailsSayOtherwise(t *testing.T) *status.Status {
	t.Helper()
	st, err := status.New(codes.Unavailable, "the details").WithDetails(
		&errdetails.ErrorInfo{Domain: apierror.DomainModelArts, Reason: "OTHER", Metadata: map[string]string{
			"error_code": "ModelArts.9999", "error_message": "the details", "http_status": "503"}},
		&errdetails.RetryInfo{RetryDelay: durationpb.New(30 * time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestMirror_errors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name           string
		err            error
		wantStatus     int
		wantBody       map[string]any
		wantRetryAfter string
	}{
		{
			name:       "modelarts_status_is_replayed",
			err:        fromModelArts(codes.NotFound, "The instance does not exist. (ModelArts.6309)", "ModelArts.6309", "The instance does not exist.", 400, 0),
			wantStatus: 400,
			wantBody:   map[string]any{"error_code": "ModelArts.6309", "error_message": "The instance does not exist."},
		},
		{
			name:           "throttling_sets_retry_after",
			err:            fromModelArts(codes.ResourceExhausted, "busy", "ModelArts.6101", "busy", 429, 1500*time.Millisecond),
			wantStatus:     429,
			wantBody:       map[string]any{"error_code": "ModelArts.6101", "error_message": "busy"},
			wantRetryAfter: "2",
		},
		{
			name:       "non_error_upstream_status_is_not_replayed",
			err:        fromModelArts(codes.ResourceExhausted, "quota", "ModelArts.0116", "quota", 100, 0),
			wantStatus: 429,
			wantBody:   map[string]any{"error_code": "ModelArts.0116", "error_message": "quota"},
		},
		{
			name:       "facade_error_uses_grpc_status",
			err:        apierror.New(codes.Unauthenticated, apierror.ReasonCredentialsMissing, "no credentials", "rid"),
			wantStatus: 401,
			wantBody:   map[string]any{"error_code": "Facade.CREDENTIALS_MISSING", "error_message": "no credentials"},
		},
		{
			name:       "facade_unavailable",
			err:        apierror.New(codes.Unavailable, apierror.ReasonUpstreamUnavailable, "down", "rid"),
			wantStatus: 503,
			wantBody:   map[string]any{"error_code": "Facade.UPSTREAM_UNAVAILABLE", "error_message": "down"},
		},
		{
			name:       "vendor_checked_value",
			err:        apierror.InvalidArgument("rid", apierror.Violation("show_self", apierror.ViolationMalformed, `show_self must be true or false; got "maybe"`)),
			wantStatus: 400,
			wantBody:   map[string]any{"error_code": "ModelArts.6336", "error_message": `show_self must be true or false; got "maybe"`},
		},
		{
			name:       "vendor_checked_required",
			err:        apierror.InvalidArgument("rid", apierror.Violation("action", apierror.ViolationRequired, "action is required")),
			wantStatus: 400,
			wantBody:   map[string]any{"error_code": "ModelArts.6335", "error_message": "action is required"},
		},
		{
			name:       "sortby",
			err:        apierror.InvalidArgument("rid", apierror.Violation("sortby", apierror.ViolationMalformed, "sortby must be name or creation_timestamp")),
			wantStatus: 400,
			wantBody:   map[string]any{"error_code": "ModelArts.6303", "error_message": "sortby must be name or creation_timestamp"},
		},
		{
			name:       "facade_checked_value",
			err:        apierror.InvalidArgument("rid", apierror.Violation("instance_id", apierror.ViolationMalformed, "bad id")),
			wantStatus: 400,
			wantBody:   map[string]any{"error_code": "Facade.INVALID_ARGUMENT", "error_message": "bad id"},
		},
		{
			// The vendor's answer is written from the typed error; its
			// status's details are never parsed back.
			name: "typed_fields_not_details",
			err: twoFaced{
				typed:  fromModelArts(codes.NotFound, "The instance does not exist. (ModelArts.6309)", "ModelArts.6309", "The instance does not exist.", 400, 0).(*apierror.Error),
				status: detailsSayOtherwise(t),
			},
			wantStatus: 400,
			wantBody:   map[string]any{"error_code": "ModelArts.6309", "error_message": "The instance does not exist."},
		},
		{
			name:           "wrapped",
			err:            fmt.Errorf("wrapped: %w", fromModelArts(codes.ResourceExhausted, "busy", "ModelArts.6101", "busy", 429, 2*time.Second)),
			wantStatus:     429,
			wantBody:       map[string]any{"error_code": "ModelArts.6101", "error_message": "busy"},
			wantRetryAfter: "2",
		},
		{
			name:       "status_without_error_info",
			err:        status.Error(codes.DeadlineExceeded, "too slow"),
			wantStatus: 504,
			wantBody:   map[string]any{"error_code": "Facade.DEADLINE_EXCEEDED", "error_message": "too slow"},
		},
		{
			name:       "cancelled",
			err:        status.Error(codes.Canceled, "gone"),
			wantStatus: 499,
			wantBody:   map[string]any{"error_code": "Facade.CANCELLED", "error_message": "gone"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fake := &fakeServer{err: tt.err}
			ts := serve(t, fake, nil)
			got := call(t, ts, http.MethodDelete, path, nil)
			if got.status != tt.wantStatus {
				t.Errorf("status = %d; want %d", got.status, tt.wantStatus)
			}
			if diff := cmp.Diff(tt.wantBody, got.body); diff != "" {
				t.Errorf("body (-want +got):\n%s", diff)
			}
			if ra := got.header.Get("Retry-After"); ra != tt.wantRetryAfter {
				t.Errorf("Retry-After = %q; want %q", ra, tt.wantRetryAfter)
			}
			// Without one from the caller, the mirror makes the ID the
			// call runs with, and answers it on errors too.
			if rid := got.header.Get("X-Request-Id"); rid == "" || fake.mds[0].Get("x-request-id")[0] != rid {
				t.Errorf("X-Request-Id = %q, the service saw %q; want the same, non-empty", rid, fake.mds[0].Get("x-request-id"))
			}
		})
	}
}

func TestMirror_routingAndParsing(t *testing.T) {
	t.Parallel()
	fake := &fakeServer{}
	ts := serve(t, fake, nil)
	tests := []struct {
		name, method, path string
		wantStatus         int
		wantCode           string
	}{
		{"unknown_path", http.MethodDelete, "/v2/x", 404, "APIGW.0101"},
		{"root", http.MethodGet, "/", 404, "APIGW.0101"},
		{"extra_segment", http.MethodDelete, path + "/extra", 404, "APIGW.0101"},
		{"empty_segment", http.MethodDelete, "/v1//demanager/instances/DE-1", 404, "APIGW.0101"},
		{"wrong_method", http.MethodPatch, path, 404, "APIGW.0101"},
		{"head", http.MethodHead, path, 404, ""},
		{"options", http.MethodOptions, path, 404, "APIGW.0101"},
		{"custom_method", "BREW", path, 404, "APIGW.0101"},
		{"post_on_an_instance", http.MethodPost, path, 404, "APIGW.0101"},
		// A rule of a service the mirror was not given (NotebookService's
		// list): its service's mux is the empty one.
		{"service_not_served", http.MethodGet, "/v1/p/notebooks", 404, "APIGW.0101"},
		{"bad_query_value", http.MethodDelete, path + "?allow_missing=maybe", 400, "ModelArts.6332"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rid := "rid-" + tt.name
			req, err := http.NewRequestWithContext(t.Context(), tt.method, ts.URL+tt.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("X-Request-Id", rid)
			resp, err := ts.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			raw, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.wantStatus || resp.Header.Get("X-Request-Id") != rid || resp.Header.Get("Allow") != "" {
				t.Errorf("%d, X-Request-Id %q, Allow %q; want %d with X-Request-Id %q and no Allow", resp.StatusCode, resp.Header.Get("X-Request-Id"), resp.Header.Get("Allow"), tt.wantStatus, rid)
			}
			if tt.method == http.MethodHead {
				return
			}
			if strings.HasSuffix(string(raw), "\n") {
				t.Errorf("the body ends with a newline: %q", raw)
			}
			var body map[string]string
			if err := json.Unmarshal(raw, &body); err != nil {
				t.Fatalf("body %q: %v", raw, err)
			}
			want := map[string]string{"error_code": tt.wantCode, "error_message": body["error_message"]}
			if tt.wantCode == "APIGW.0101" {
				want = map[string]string{"error_code": "APIGW.0101", "error_msg": "The API does not exist or has not been published in the environment", "request_id": rid}
			} else if body["error_message"] == "" {
				t.Error("no error_message")
			}
			if diff := cmp.Diff(want, body); diff != "" {
				t.Errorf("body (-want +got):\n%s", diff)
			}
		})
	}
	if len(fake.reqs) != 0 {
		t.Errorf("the service was called %d times; want 0", len(fake.reqs))
	}
	// An escaped slash stays inside its segment and reaches the service
	// (whose validation rejects it) instead of changing the route.
	call(t, ts, http.MethodDelete, "/v1/p/demanager/instances/a%2F..%2Fb", nil)
	if len(fake.reqs) != 1 || fake.reqs[0].GetInstanceId() != "a/../b" {
		t.Errorf("requests = %v; want one with instance_id \"a/../b\"", fake.reqs)
	}
}

// TestMirror_unknownRoutesBeforeAuthentication: the gateway's 404 comes
// before caller authentication, as the vendor's gateway finds the API
// before it authenticates: an unknown path is a 404 for every caller,
// known paths with a trailing slash or an empty segment included.
func TestMirror_unknownRoutesBeforeAuthentication(t *testing.T) {
	t.Parallel()
	var authenticated int
	refuseAll := mirror.Options{CallerAuth: func(http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			authenticated++
			mirror.WriteError(w, r, apierror.New(codes.Unauthenticated, apierror.ReasonCallerUnauthenticated, "no", ""), 0)
		})
	}}
	h, err := mirror.New(t.Context(), []mirror.Service{mirror.DevEnvService(&fakeServer{})}, func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		return h(ctx, req)
	}, refuseAll)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	if got := call(t, ts, http.MethodDelete, "/v2/unknown", nil); got.status != 404 || got.body["error_code"] != "APIGW.0101" {
		t.Errorf("unknown path: %d %v; want the gateway's 404", got.status, got.body)
	}
	for _, tt := range []struct{ method, path string }{
		{http.MethodPatch, path},
		{http.MethodGet, path + "/"},
		{http.MethodDelete, path + "/"},
		{http.MethodGet, "/v1/0123456789abcdef0123456789abcdef/demanager/instances/"},
		{http.MethodPost, path + "/action/"},
		{http.MethodGet, path + "//"},
		{http.MethodGet, "//v1/0123456789abcdef0123456789abcdef/demanager/instances"},
	} {
		if got := call(t, ts, tt.method, tt.path, nil); got.status != 404 || got.body["error_code"] != "APIGW.0101" {
			t.Errorf("%s %s: %d %v; want the gateway's 404", tt.method, tt.path, got.status, got.body)
		}
	}
	if authenticated != 0 {
		t.Errorf("caller authentication ran %d times for unknown routes", authenticated)
	}
	if got := call(t, ts, http.MethodDelete, path, nil); got.status != 401 {
		t.Errorf("known route: %d %v; want caller authentication's 401", got.status, got.body)
	}
}

// TestMirror_bodiesEndAlike: success and error bodies end the same way,
// with their closing brace and no newline.
// TestMirror_authGivesAnotherRequest: a request CallerAuth passes on
// without the call the mirror made of it is routed again: served when its
// method and path match a rule, else the gateway's 404.
func TestMirror_authGivesAnotherRequest(t *testing.T) {
	t.Parallel()
	fake := &fakeServer{}
	anotherRequest := mirror.Options{CallerAuth: func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			r = r.WithContext(context.WithoutCancel(context.Background()))
			r.URL.Path = r.Header.Get("X-Path")
			r.URL.RawPath = ""
			next.ServeHTTP(w, r)
		})
	}}
	h, err := mirror.New(t.Context(), []mirror.Service{mirror.DevEnvService(fake)}, func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		return h(ctx, req)
	}, anotherRequest)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	if got := call(t, ts, http.MethodDelete, path, map[string]string{"X-Path": "/v2/unknown"}); got.status != 404 || got.body["error_code"] != "APIGW.0101" {
		t.Errorf("to no rule: %d %v; want the gateway's 404", got.status, got.body)
	}
	if got := call(t, ts, http.MethodDelete, path, map[string]string{"X-Path": "/v1/p/demanager/instances/other"}); got.status != 200 || len(fake.reqs) != 1 || fake.reqs[0].GetInstanceId() != "other" {
		t.Errorf("to DeleteInstance: %d %v, the service saw %v; want it served for \"other\"", got.status, got.body, fake.reqs)
	}
}

func TestMirror_bodiesEndAlike(t *testing.T) {
	t.Parallel()
	ok := serve(t, &fakeServer{}, nil)
	failing := serve(t, &fakeServer{err: apierror.New(codes.NotFound, apierror.ReasonInvalidArgument, "x", "")}, nil)
	for name, c := range map[string]struct {
		ts  *httptest.Server
		url string
	}{"success": {ok, ok.URL + path}, "error": {failing, failing.URL + path}, "gateway": {ok, ok.URL + "/nope"}} {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodDelete, c.url, nil)
		resp, err := c.ts.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if len(raw) == 0 || raw[len(raw)-1] != '}' || resp.Header.Get("Content-Length") != strconv.Itoa(len(raw)) {
			t.Errorf("%s: body %q (Content-Length %s); want it to end with '}' and be counted", name, raw, resp.Header.Get("Content-Length"))
		}
	}
}

// TestNew_failsClosed: New refuses to build a mirror whose unary calls
// would reach a service without the interceptor (where caller
// authorization and the request check are), and a Service it cannot
// register.
func TestNew_failsClosed(t *testing.T) {
	t.Parallel()
	pass := func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		return h(ctx, req)
	}
	for _, tt := range []struct {
		name        string
		services    []mirror.Service
		interceptor grpc.UnaryServerInterceptor
	}{
		{"no interceptor", []mirror.Service{mirror.DevEnvService(&fakeServer{})}, nil},
		{"a Service literal", []mirror.Service{{Desc: &devenvv1.DevEnvService_ServiceDesc, Impl: &fakeServer{}}}, pass},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if h, err := mirror.New(t.Context(), tt.services, tt.interceptor, mirror.Options{}); err == nil || h != nil {
				t.Errorf("New: %v, %v; want an error and no handler", h, err)
			}
		})
	}
}
