package modelarts_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/devenv-facade/devenv-facade/internal/cloudauth"
	"github.com/devenv-facade/devenv-facade/internal/modelarts"
)

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

// stalled is an upstream that answers nothing: each request waits until
// its context ends. It records, per instance (the path's last segment),
// when the request arrived and when its context ended.
type stalled struct {
	mu                 sync.Mutex
	arrived, cancelled map[string]chan struct{}
}

func (s *stalled) channels(id string) (arrived, cancelled chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.arrived == nil {
		s.arrived, s.cancelled = map[string]chan struct{}{}, map[string]chan struct{}{}
	}
	if s.arrived[id] == nil {
		s.arrived[id], s.cancelled[id] = make(chan struct{}), make(chan struct{})
	}
	return s.arrived[id], s.cancelled[id]
}

func (s *stalled) ServeHTTP(_ http.ResponseWriter, r *http.Request) {
	arrived, cancelled := s.channels(path.Base(r.URL.Path))
	close(arrived)
	<-r.Context().Done()
	close(cancelled)
}

// cancelledUpstream makes calls, each with its own instance ID and a
// longer timeout than the one before (try returns once its call has
// returned, with the call's error), until one call's request reached the
// upstream before the call returned: on a loaded machine a short timeout
// can end a call before its request is sent, and then there is nothing
// upstream to cancel. It then waits for that request's cancellation.
func cancelledUpstream(t *testing.T, s *stalled, try func(id string, timeout time.Duration) error) {
	t.Helper()
	for i, timeout := range []time.Duration{50 * time.Millisecond, 500 * time.Millisecond, 5 * time.Second, 25 * time.Second} {
		id := fmt.Sprintf("%s-%d", testInstance, i)
		if err := try(id, timeout); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v; want context.DeadlineExceeded", err)
		}
		arrived, cancelled := s.channels(id)
		select {
		case <-arrived:
		default:
			continue // ended before its request was sent: try a longer timeout
		}
		select {
		case <-cancelled:
		case <-time.After(time.Minute):
			t.Errorf("the upstream request was not cancelled within a minute of the %v timeout", timeout)
		}
		return
	}
	t.Fatal("no call's request reached the upstream before its timeout, even with 25s")
}

// TestDeleteInstance_deadlineReachesUpstream: the caller's deadline ends
// the upstream request. The client's own bounds are an hour here, so
// nothing else can end it.
func TestDeleteInstance_deadlineReachesUpstream(t *testing.T) {
	t.Parallel()
	var s stalled
	policy := modelarts.DefaultRetryPolicy()
	policy.AttemptTimeout = time.Hour
	_, c := newServer(t, s.ServeHTTP, modelarts.Options{Timeout: time.Hour, Retry: policy})
	cancelledUpstream(t, &s, func(id string, timeout time.Duration) error {
		ctx, cancel := context.WithTimeout(t.Context(), timeout)
		defer cancel()
		_, err := deleteInstance(ctx, c, testProject, id)
		return err
	})
}

// TestDeleteInstance_clientTimeout: the client's own timeout ends the
// upstream request when the caller set none.
func TestDeleteInstance_clientTimeout(t *testing.T) {
	t.Parallel()
	var s stalled
	srv := httptest.NewServer(&s)
	t.Cleanup(srv.Close)
	cancelledUpstream(t, &s, func(id string, timeout time.Duration) error {
		c, err := modelarts.NewClient(srv.Client(), srv.URL, modelarts.Options{Credentials: cloudauth.Token("service-token"), Timeout: timeout})
		if err != nil {
			t.Fatal(err)
		}
		_, err = deleteInstance(t.Context(), c, testProject, id)
		if t.Context().Err() != nil {
			t.Fatal("the test context ended; the timeout must come from the client")
		}
		return err
	})
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
	// One connection, but for net/http's own reasons: it reuses a
	// connection only if its writer reported the request written within
	// 50ms of the answer, which a loaded machine can miss (2 connections,
	// once). A client that left bodies unread would open one per call.
	if n := conns.Load(); n > 5 {
		t.Errorf("100 sequential calls opened %d connections; want 1 (at most 5)", n)
	}
}

// TestClients_doNotFollowRedirects: neither the client of
// NewHTTPClient (IAM's, and the facade's before DirectClient) nor the
// DirectClient the facade sends ModelArts' calls with follows a redirect,
// which would resend the X-Auth-Token wherever it points; the call gets
// the 3xx as ModelArts' answer. With a Location that is not a URL,
// http.Client reports no answer at all (it parses the Location before
// asking CheckRedirect); DirectClient passes the answer on as it came.
func TestClients_doNotFollowRedirects(t *testing.T) {
	t.Parallel()
	clients := []struct {
		name string
		new  func() modelarts.HTTPClient
	}{
		{"http_client", func() modelarts.HTTPClient { return modelarts.NewHTTPClient(0) }},
		{"direct_client", func() modelarts.HTTPClient { return modelarts.NewDirectClient(modelarts.TransportOptions{}) }},
	}
	for _, hc := range clients {
		for _, status := range []int{http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther, http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
			t.Run(fmt.Sprintf("%s/%d", hc.name, status), func(t *testing.T) {
				t.Parallel()
				var token atomic.Value
				target := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
					token.Store("followed, token " + r.Header.Get("X-Auth-Token"))
				}))
				defer target.Close()
				srv := httptest.NewServer(http.RedirectHandler(target.URL+"/elsewhere", status))
				defer srv.Close()
				client := hc.new()
				defer client.(interface{ CloseIdleConnections() }).CloseIdleConnections()
				c, err := modelarts.NewClient(client, srv.URL, modelarts.Options{Credentials: cloudauth.Token("secret-token")})
				if err != nil {
					t.Fatal(err)
				}
				_, err = deleteInstance(t.Context(), c, testProject, testInstance)
				if merr, ok := errors.AsType[*modelarts.Error](err); !ok || merr.HTTPStatus != status {
					t.Errorf("err = %v; want a %d *modelarts.Error", err, status)
				}
				if v := token.Load(); v != nil {
					t.Errorf("the redirect was followed: %v", v)
				}
			})
		}
	}
	t.Run("direct_client/malformed_location", func(t *testing.T) {
		t.Parallel()
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Location", "http://[::1%zz/")
			w.WriteHeader(http.StatusFound)
		}))
		defer srv.Close()
		client := modelarts.NewDirectClient(modelarts.TransportOptions{})
		defer client.CloseIdleConnections()
		c, err := modelarts.NewClient(client, srv.URL, modelarts.Options{Credentials: cloudauth.Token("t")})
		if err != nil {
			t.Fatal(err)
		}
		_, err = deleteInstance(t.Context(), c, testProject, testInstance)
		if merr, ok := errors.AsType[*modelarts.Error](err); !ok || merr.HTTPStatus != http.StatusFound {
			t.Errorf("err = %v; want ModelArts' 302 as a *modelarts.Error", err)
		}
	})
}
