package server_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/devenv-facade/devenv-facade/internal/cloudauth"
	"github.com/devenv-facade/devenv-facade/internal/emulator"
	"github.com/devenv-facade/devenv-facade/internal/logbuf"
	"github.com/devenv-facade/devenv-facade/internal/server"
)

// TestMirror_unreadRequestsAreLogged: a REST request answered before it
// reached the service (a body over the limit) still gets its log line,
// with the request ID, the code and the client's address but not the body; a request that
// reached the service gets only the service's line: one whose body the
// mirror could not read reaches it (to be answered after authorization),
// and its line has the vendor's code it is answered with, not the body.
func TestMirror_unreadRequestsAreLogged(t *testing.T) {
	t.Parallel()
	var logs logbuf.Buffer
	// The line is written before the answer; the wait is only a bound.
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	f := startFacade(t, emulator.MustNew(emulator.Options{}), func(o *server.Options) {
		o.Credentials = cloudauth.Token("t")
		o.Logger = slog.New(slog.NewJSONHandler(&logs, nil))
	})
	const secret = "body-text-that-must-not-be-logged"
	tests := []struct {
		name, requestID string
		body            io.Reader
		length          int64 // declared Content-Length; 0: the body's
		wantStatus      int
		wantLine        []string
	}{
		{"malformed_json", "unread-1", strings.NewReader(`{"name": "` + secret), 0, http.StatusBadRequest,
			[]string{`"request_id":"unread-1"`, `"code":"InvalidArgument"`, `"protocol":"rest"`, `"method":"/modelarts.devenv.v1.DevEnvService/CreateInstance"`,
				`"error_code":"ModelArts.6400"`, `"http_status":"400"`}},
		{"declared_too_large", "unread-2", bytes.NewReader(make([]byte, 2<<20)), 2 << 20, http.StatusRequestEntityTooLarge,
			[]string{`"request_id":"unread-2"`, `"code":"InvalidArgument"`, `"peer":"127.0.0.1:`, `"caller_error":"the request body exceeds`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, f.httpURL+"/v1/"+project+"/demanager/instances", tt.body)
			if err != nil {
				t.Fatal(err)
			}
			if tt.length > 0 {
				req.ContentLength = tt.length
			}
			req.Header.Set("X-Request-Id", tt.requestID)
			req.Header.Set("Content-Type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status %d; want %d", resp.StatusCode, tt.wantStatus)
			}
			line, err := logs.WaitFor(ctx, tt.wantLine...)
			if err != nil {
				t.Fatalf("no log line with %q: %v\n%s", tt.wantLine, err, logs.String())
			}
			if strings.Contains(line, secret) {
				t.Errorf("the log line quotes the body: %s", line)
			}
		})
	}

	// Through the service: one line, the service's (no caller_error).
	code, _, _ := rest(t, http.MethodDelete, f.httpURL+"/v1/"+project+"/demanager/instances/DE-2b1f6c3e-5a4d-11ee-8c99-0242ac120099",
		map[string]string{"X-Request-Id": "unread-3"})
	if code != http.StatusBadRequest {
		t.Fatalf("delete of a missing instance: %d; want 400", code)
	}
	if _, err := logs.WaitFor(ctx, `"request_id":"unread-3"`, `"code":"NotFound"`); err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(logs.String()) {
		for _, id := range []string{"unread-1", "unread-3"} {
			if strings.Contains(line, `"request_id":"`+id+`"`) && strings.Contains(line, "caller_error") {
				t.Errorf("a call that reached the service was logged as unread: %s", line)
			}
		}
	}
}
