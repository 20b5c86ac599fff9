package server_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	devenvv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/devenv/v1"
	"github.com/devenv-facade/devenv-facade/internal/apierror"
	"github.com/devenv-facade/devenv-facade/internal/callctx"
	"github.com/devenv-facade/devenv-facade/internal/cloudauth"
	"github.com/devenv-facade/devenv-facade/internal/logbuf"
	"github.com/devenv-facade/devenv-facade/internal/server"
)

// The tokens of TestUpstreamTextIsScrubbed: the facade's own and a
// caller's, which the echoing upstream repeats; and the start of the
// request IDs of calls whose wait runs out.
const (
	echoFacadeToken = "FACADE-token-echo-5e1f0c"
	echoCallerToken = "CALLER-token-echo-9a7d2b"
	expireRequestID = "expire-"
)

// echoUpstream is a ModelArts that repeats what it must not: every text it
// writes starts with ESC, a terminal color sequence, U+202E and the
// request's X-Auth-Token. Which answer it gives depends on the instance ID
// (or, for a create, the name); see ServeHTTP.
type echoUpstream struct{}

// hostile is the text the upstream puts wherever it writes text.
func hostile(r *http.Request) string {
	return "\x1b[31m\u202e" + r.Header.Get("X-Auth-Token")
}

// hugeReason is a failure reason of about 900 KiB.
func hugeReason(r *http.Request) string {
	return hostile(r) + " " + strings.Repeat("the node ran out of disk; ", 900<<10/26)
}

func (echoUpstream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := hostile(r)
	answer := func(status int, v any) {
		b, _ := json.Marshal(v)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write(b)
	}
	raw := func(body string) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, body)
	}
	// noAnswer reads the request and breaks the connection with a status
	// line the client cannot parse, which its error quotes.
	noAnswer := func() {
		_, _ = io.Copy(io.Discard, r.Body)
		conn, buf, err := http.NewResponseController(w).Hijack()
		if err != nil {
			panic(err)
		}
		_, _ = buf.WriteString("HTTP/1.1 " + h + "\r\n\r\n")
		_ = buf.Flush()
		conn.Close()
	}
	segs := strings.Split(strings.Trim(r.URL.Path, "/"), "/") // v1 {project} demanager instances [{id} [action]]
	if len(segs) < 4 {
		http.NotFound(w, r)
		return
	}
	id := ""
	if len(segs) > 4 {
		id = segs[4]
	}
	switch {
	case r.Method == http.MethodPost && id == "": // create
		var req struct{ Name string }
		_ = json.NewDecoder(r.Body).Decode(&req)
		switch req.Name {
		case "echo-create-failed":
			answer(200, map[string]any{"id": "echo-failed", "name": req.Name, "status": "CREATING"})
		case "echo-create-contrary":
			answer(200, map[string]any{"id": "echo-contrary", "name": req.Name, "status": "CREATING"})
		case "echo-create-expired":
			answer(200, map[string]any{"id": "echo-expired", "name": req.Name, "status": "CREATING"})
		case "echo-create-id":
			answer(200, map[string]any{"id": h, "name": req.Name, "status": "CREATING", "description": h})
		case "echo-create-undecodable":
			raw(`{"id":"x","status":` + r.Header.Get("X-Auth-Token") + `}`)
		default: // echo-create-lost
			noAnswer()
		}
	case r.Method == http.MethodGet && id == "": // list: the lost create's lookup
		answer(200, map[string]any{"total_count": 1, "instances": []any{
			map[string]any{"id": "echo-found", "name": "echo-create-lost", "status": "CREATING", "description": h},
		}})
	case r.Method == http.MethodPost: // action
		if id == "echo-lost" {
			noAnswer()
			return
		}
		answer(200, map[string]any{"current_status": "STARTING", "previous_state": "STOPPED"})
	case r.Method == http.MethodDelete:
		raw(h)
	default: // get
		switch id {
		case "echo-failed":
			answer(200, map[string]any{"id": h, "status": "START_FAILED",
				"spec": map[string]any{"failed_reasons": map[string]any{"code": h, "message": hugeReason(r), "detail": map[string]string{h: h}}}})
		case "echo-contrary":
			answer(200, map[string]any{"id": h, "status": "STOPPED"})
		case "echo-expired", "echo-lost":
			answer(200, map[string]any{"id": h, "status": h})
		case "echo-undecodable":
			raw(`{"id":"x","status":` + r.Header.Get("X-Auth-Token") + `}`)
		case "echo-answer":
			answer(200, map[string]any{"id": "echo-answer", "status": "RUNNING", "description": h, "name": "n",
				"spec": map[string]any{"failed_reasons": map[string]any{"code": h, "message": h}}})
		case "echo-error":
			answer(400, map[string]any{"error_code": "ModelArts.6309", "error_message": hugeReason(r)})
		default: // an ID the upstream gave out with its hostile text in it
			answer(400, map[string]any{"error_code": "ModelArts.6309", "error_message": "The instance does not exist."})
		}
	}
}

// TestUpstreamTextIsScrubbed feeds an upstream that echoes the request's
// token, ESC and U+202E (and a 900 KiB failure reason) through every path
// that quotes upstream text, over gRPC and the mirror, with the facade's
// token and with a caller's: wait failures (a failure state, the contrary
// state, the wait running out, the instance gone), lost answers (an
// action's status lookup, a create's name lookup), unusable answers, error
// answers, and successful answers. No status message, ErrorInfo metadata,
// REST body or log line holds a token, ESC or U+202E, or grows with the
// upstream's text; successful answers keep the upstream's content (ESC and
// U+202E included) but not the tokens.
func TestUpstreamTextIsScrubbed(t *testing.T) {
	t.Parallel()
	var logs logbuf.Buffer
	f := startFacade(t, echoUpstream{}, func(o *server.Options) {
		o.Credentials = cloudauth.Token(echoFacadeToken)
		o.Logger = slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		// Waits do not wait; a call whose request ID says so runs out of
		// time in its first pause, right after its first read.
		o.Clock = atPause(func(ctx context.Context, _ time.Duration) error {
			if strings.HasPrefix(callctx.RequestID(ctx), expireRequestID) {
				return context.DeadlineExceeded
			}
			return ctx.Err()
		})
	})
	create := func(name string, wait bool) *devenvv1.CreateInstanceRequest {
		return &devenvv1.CreateInstanceRequest{ProjectId: project, Name: name, ProfileId: "p", Flavor: "modelarts.vm.cpu.2u", Wait: wait,
			Spec: &devenvv1.CreateInstanceSpec{Storage: &devenvv1.Storage{Type: proto.String("obs"), Location: &devenvv1.StorageLocation{Path: proto.String("/bucket/dir/")}}}}
	}
	createBody := func(name string, wait bool) string {
		return fmt.Sprintf(`{"name":%q,"profile_id":"p","flavor":"modelarts.vm.cpu.2u","wait":%t,"spec":{"storage":{"type":"obs","location":{"path":"/bucket/dir/"}}}}`, name, wait)
	}
	base := f.httpURL + "/v1/" + project + "/demanager/instances"
	type restCall struct{ method, url, body string }
	tests := []struct {
		name string
		grpc func(context.Context) (proto.Message, error)
		rest *restCall
		ok   bool // a successful answer
		keep bool // whose content, the upstream's, must be kept
		// reason is the error's ErrorInfo reason, restCode its REST
		// error_code ("": Facade.<reason>).
		reason, restCode string
	}{
		{"wait_failed/start", func(ctx context.Context) (proto.Message, error) {
			return f.client.StartInstance(ctx, &devenvv1.StartInstanceRequest{ProjectId: project, InstanceId: "echo-failed", Wait: true})
		}, nil, false, false, "INSTANCE_FAILED", ""},
		{"wait_failed/create", func(ctx context.Context) (proto.Message, error) {
			return f.client.CreateInstance(ctx, create("echo-create-failed", true))
		}, &restCall{http.MethodPost, base, createBody("echo-create-failed", true)}, false, false, "INSTANCE_FAILED", ""},
		{"wait_contrary", func(ctx context.Context) (proto.Message, error) {
			return f.client.CreateInstance(ctx, create("echo-create-contrary", true))
		}, &restCall{http.MethodPost, base, createBody("echo-create-contrary", true)}, false, false, "INSTANCE_FAILED", ""},
		{"wait_expired", func(ctx context.Context) (proto.Message, error) {
			return f.client.CreateInstance(ctx, create("echo-create-expired", true))
		}, &restCall{http.MethodPost, base, createBody("echo-create-expired", true)}, false, false, "DEADLINE_EXCEEDED", ""},
		{"wait_gone_with_upstream_id", func(ctx context.Context) (proto.Message, error) {
			return f.client.CreateInstance(ctx, create("echo-create-id", true))
		}, &restCall{http.MethodPost, base, createBody("echo-create-id", true)}, false, false, "INSTANCE_FAILED", ""},
		{"action_lost", func(ctx context.Context) (proto.Message, error) {
			return f.client.ActOnInstance(ctx, &devenvv1.ActOnInstanceRequest{ProjectId: project, InstanceId: "echo-lost", Action: "start"})
		}, &restCall{http.MethodPost, base + "/echo-lost/action", `{"action":"start"}`}, false, false, "OUTCOME_UNKNOWN", ""},
		{"create_lost", func(ctx context.Context) (proto.Message, error) {
			return f.client.CreateInstance(ctx, create("echo-create-lost", false))
		}, &restCall{http.MethodPost, base, createBody("echo-create-lost", false)}, true, true, "", ""},
		{"create_undecodable", func(ctx context.Context) (proto.Message, error) {
			return f.client.CreateInstance(ctx, create("echo-create-undecodable", false))
		}, &restCall{http.MethodPost, base, createBody("echo-create-undecodable", false)}, false, false, "UPSTREAM_UNAVAILABLE", ""},
		{"get_undecodable", func(ctx context.Context) (proto.Message, error) {
			return f.client.GetInstance(ctx, &devenvv1.GetInstanceRequest{ProjectId: project, InstanceId: "echo-undecodable"})
		}, &restCall{http.MethodGet, base + "/echo-undecodable", ""}, false, false, "UPSTREAM_BAD_ANSWER", ""},
		{"delete_undecodable", func(ctx context.Context) (proto.Message, error) {
			return f.client.DeleteInstance(ctx, &devenvv1.DeleteInstanceRequest{ProjectId: project, InstanceId: "echo-undecodable"})
		}, &restCall{http.MethodDelete, base + "/echo-undecodable", ""}, true, false, "", ""},
		{"error_answer", func(ctx context.Context) (proto.Message, error) {
			return f.client.GetInstance(ctx, &devenvv1.GetInstanceRequest{ProjectId: project, InstanceId: "echo-error"})
		}, &restCall{http.MethodGet, base + "/echo-error", ""}, false, false, "INSTANCE_NOT_FOUND", "ModelArts.6309"},
		{"answer/get", func(ctx context.Context) (proto.Message, error) {
			return f.client.GetInstance(ctx, &devenvv1.GetInstanceRequest{ProjectId: project, InstanceId: "echo-answer"})
		}, &restCall{http.MethodGet, base + "/echo-answer", ""}, true, true, "", ""},
		{"answer/create", func(ctx context.Context) (proto.Message, error) {
			return f.client.CreateInstance(ctx, create("echo-create-id", false))
		}, &restCall{http.MethodPost, base, createBody("echo-create-id", false)}, true, true, "", ""},
	}
	for _, caller := range []string{"", echoCallerToken} {
		for _, tt := range tests {
			t.Run(fmt.Sprintf("%s/caller_token=%t", tt.name, caller != ""), func(t *testing.T) {
				t.Parallel()
				ctx, header := t.Context(), map[string]string{}
				if caller != "" {
					ctx = metadata.AppendToOutgoingContext(ctx, "x-auth-token", caller)
					header["X-Auth-Token"] = caller
				}
				if tt.name == "wait_expired" {
					ctx = metadata.AppendToOutgoingContext(ctx, "x-request-id", expireRequestID+"grpc")
					header["X-Request-Id"] = expireRequestID + "rest"
				}
				resp, err := tt.grpc(ctx)
				switch {
				case tt.ok && err != nil:
					t.Fatalf("gRPC: %v; want success", err)
				case tt.ok:
					b, _ := protojson.Marshal(resp)
					checkAnswer(t, "gRPC answer", string(b), tt.keep)
				case err == nil:
					t.Fatalf("gRPC: success %v; want an error", resp)
				default:
					st := status.Convert(err)
					checkQuoted(t, "gRPC status message", st.Message(), 4<<10)
					info := apierror.FromStatus(st)
					if info.Reason() != tt.reason {
						t.Fatalf("gRPC: %v: ErrorInfo %v; want reason %s", err, info, tt.reason)
					}
					for k, v := range info.Metadata() {
						checkQuoted(t, "ErrorInfo metadata "+k, v, 2<<10)
					}
					if s, ok := info.Metadata()[apierror.MetadataInstanceStatus]; ok && s == "unknown" {
						t.Errorf("gRPC: %v: the instance was never read", err)
					}
				}
				if tt.rest == nil {
					return
				}
				code, body := restRaw(t, tt.rest.method, tt.rest.url, tt.rest.body, header)
				switch {
				case tt.ok && code != http.StatusOK:
					t.Fatalf("REST: %d %s; want 200", code, body)
				case tt.ok:
					checkAnswer(t, "REST answer", body, tt.keep)
				case code == http.StatusOK:
					t.Fatalf("REST: 200 %s; want an error", body)
				default:
					var v map[string]string
					if err := json.Unmarshal([]byte(body), &v); err != nil {
						t.Fatalf("REST: %d %s: not a vendor error: %v", code, body, err)
					}
					want := tt.restCode
					if want == "" {
						want = apierror.FacadeCodePrefix + tt.reason
					}
					if v["error_code"] != want {
						t.Errorf("REST: %d %.300s; want error_code %s", code, body, want)
					}
					for k, s := range v {
						checkQuoted(t, "REST "+k, s, 4<<10)
					}
				}
			})
		}
	}
	t.Cleanup(func() {
		if t.Failed() {
			return
		}
		sc := bufio.NewScanner(strings.NewReader(logs.String()))
		sc.Buffer(nil, 4<<20)
		lines := 0
		for sc.Scan() {
			lines++
			line := sc.Text()
			if len(line) > 8<<10 {
				t.Errorf("a log line of %d bytes: %.300s...", len(line), line)
			}
			var v map[string]any
			if err := json.Unmarshal([]byte(line), &v); err != nil {
				t.Fatalf("log line %q: %v", line, err)
			}
			for k, s := range v {
				if s, ok := s.(string); ok {
					checkQuoted(t, fmt.Sprintf("log %s in %.200s", k, line), s, 8<<10)
				}
			}
		}
		if err := sc.Err(); err != nil {
			t.Fatalf("reading the log: %v", err)
		}
		if lines < 2*len(tests) {
			t.Errorf("%d log lines; want at least one per call", lines)
		}
		for _, event := range []string{"a create reached ModelArts but its answer was lost", "an action reached ModelArts but its answer was lost",
			"ModelArts accepted a delete but its answer is unusable", `"upstream_error"`} {
			if !strings.Contains(logs.String(), event) {
				t.Errorf("no log line has %s", event)
			}
		}
	})
}

// checkQuoted fails when text quoted from the upstream kept a token, ESC or
// U+202E, or is longer than limit.
func checkQuoted(t *testing.T, what, s string, limit int) {
	t.Helper()
	for _, bad := range []string{echoFacadeToken, echoCallerToken, "\x1b", "\u202e"} {
		if strings.Contains(s, bad) {
			t.Errorf("%s holds %q: %.300q", what, bad, s)
		}
	}
	if len(s) > limit || !utf8.ValidString(s) {
		t.Errorf("%s: %d bytes (valid UTF-8: %t); want at most %d", what, len(s), utf8.ValidString(s), limit)
	}
}

// checkAnswer fails when a successful answer holds a token or, if keep,
// lost the upstream's own content (ESC and U+202E, as JSON escapes or as
// they are).
func checkAnswer(t *testing.T, what, body string, keep bool) {
	t.Helper()
	for _, bad := range []string{echoFacadeToken, echoCallerToken} {
		if strings.Contains(body, bad) {
			t.Errorf("%s holds %q: %.300s", what, bad, body)
		}
	}
	var v any
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if b, _ := json.Marshal(v); keep && (!bytes.Contains(b, []byte(`\u001b`)) || !strings.Contains(fmt.Sprint(v), "\u202e")) {
		t.Errorf("%s lost the upstream's content (ESC, U+202E): %.300s", what, body)
	}
}

// restRaw sends a request to the mirror, with the given headers, and
// returns the answer's status and body.
func restRaw(t *testing.T, method, url, body string, header map[string]string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
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
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}
