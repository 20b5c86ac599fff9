package server_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc/metadata"

	devenvv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/devenv/v1"
	"github.com/devenv-facade/devenv-facade/internal/cloudauth"
	"github.com/devenv-facade/devenv-facade/internal/emulator"
	"github.com/devenv-facade/devenv-facade/internal/logbuf"
	"github.com/devenv-facade/devenv-facade/internal/server"
	"github.com/devenv-facade/devenv-facade/internal/telemetry"
)

// traceparents records the traceparent header of every request the
// emulator receives.
type traceparents struct {
	next http.Handler
	mu   sync.Mutex
	seen []string
}

func (t *traceparents) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	t.mu.Lock()
	t.seen = append(t.seen, r.Header.Get("traceparent"))
	t.mu.Unlock()
	t.next.ServeHTTP(w, r)
}

func (t *traceparents) all() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]string(nil), t.seen...)
}

// callerTrace is a caller's trace context, as its traceparent carries it.
const (
	callerTraceID   = "4bf92f3577b34da6a3ce929d0e0e4736"
	callerSpanID    = "00f067aa0ba902b7"
	callerParent    = "00-" + callerTraceID + "-" + callerSpanID + "-01"
	deleteRetryOnce = "fault-s503-fail1-x9"
)

// endedSpans is a span processor that keeps the spans that ended and lets
// a test wait for one: a server span ends after the answer has left (the
// gRPC stats handler ends it once the status is written), so a client can
// have its answer before the span has ended.
type endedSpans struct {
	mu      sync.Mutex
	spans   []sdktrace.ReadOnlySpan
	changed chan struct{} // closed and replaced when a span ends
}

func newEndedSpans() *endedSpans { return &endedSpans{changed: make(chan struct{})} }

func (e *endedSpans) OnStart(context.Context, sdktrace.ReadWriteSpan) {}
func (e *endedSpans) Shutdown(context.Context) error                  { return nil }
func (e *endedSpans) ForceFlush(context.Context) error                { return nil }

func (e *endedSpans) OnEnd(s sdktrace.ReadOnlySpan) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.spans = append(e.spans, s)
	close(e.changed)
	e.changed = make(chan struct{})
}

// Ended returns the spans that have ended, in the order they ended.
func (e *endedSpans) Ended() []sdktrace.ReadOnlySpan {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.spans)
}

// waitFor returns the first ended span that match accepts, waiting for
// spans to end until there is one; it fails the test if ctx ends first.
func (e *endedSpans) waitFor(t *testing.T, ctx context.Context, what string, match func(sdktrace.ReadOnlySpan) bool) sdktrace.ReadOnlySpan {
	t.Helper()
	for {
		e.mu.Lock()
		spans, changed := e.spans, e.changed
		e.mu.Unlock()
		for _, s := range spans {
			if match(s) {
				return s
			}
		}
		select {
		case <-changed:
		case <-ctx.Done():
			var names []string
			for _, s := range e.Ended() {
				names = append(names, s.Name())
			}
			t.Fatalf("no %s among the spans that ended: %q", what, names)
			return nil
		}
	}
}

func attr(s sdktrace.ReadOnlySpan, key string) (attribute.Value, bool) {
	for _, kv := range s.Attributes() {
		if string(kv.Key) == key {
			return kv.Value, true
		}
	}
	return attribute.Value{}, false
}

// TestTracing: with a tracer, a gRPC call that arrives with a caller's
// traceparent becomes a server span in the caller's trace, each request
// to ModelArts a client span under it (the retry with
// http.request.resend_count 1) whose context ModelArts receives in
// traceparent; the request ID is on the server span and the trace ID on
// the call's log line. A REST request's span is named after its route.
func TestTracing(t *testing.T) {
	t.Parallel()
	rec := newEndedSpans()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	// The spans end after the answers; the wait is only a bound.
	wait, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	t.Cleanup(func() { _ = tp.Shutdown(t.Context()) })
	up := &traceparents{next: emulator.MustNew(emulator.Options{})}
	var logs logbuf.Buffer
	f := startFacade(t, up, func(o *server.Options) {
		o.Credentials = cloudauth.Token("t")
		o.Tracing = &telemetry.Tracing{Provider: tp, Propagator: propagation.TraceContext{}, Exporter: "test"}
		o.Logger = slog.New(slog.NewJSONHandler(&logs, nil))
	})
	const callerToken = "caller-iam-token-that-must-never-be-logged"
	ctx := metadata.AppendToOutgoingContext(t.Context(), "traceparent", callerParent, "x-request-id", "trace-test-1",
		"x-auth-token", callerToken)
	if _, err := f.client.DeleteInstance(ctx, &devenvv1.DeleteInstanceRequest{ProjectId: project, InstanceId: deleteRetryOnce}); err != nil {
		t.Fatal(err)
	}

	// The client spans end before the call's answer, the server span after.
	serverSpan := rec.waitFor(t, wait, "gRPC server span", func(s sdktrace.ReadOnlySpan) bool { return s.SpanKind() == trace.SpanKindServer })
	var clientSpans []sdktrace.ReadOnlySpan
	for _, s := range rec.Ended() {
		if s.SpanKind() == trace.SpanKindClient {
			clientSpans = append(clientSpans, s)
		}
	}
	if serverSpan.Name() != "modelarts.devenv.v1.DevEnvService/DeleteInstance" || serverSpan.SpanContext().TraceID().String() != callerTraceID ||
		serverSpan.Parent().SpanID().String() != callerSpanID {
		t.Errorf("server span %q in trace %s under %s; want DeleteInstance in the caller's trace under its span",
			serverSpan.Name(), serverSpan.SpanContext().TraceID(), serverSpan.Parent().SpanID())
	}
	if v, _ := attr(serverSpan, "devenv.request_id"); v.AsString() != "trace-test-1" {
		t.Errorf("server span devenv.request_id = %q; want trace-test-1", v.AsString())
	}
	if len(clientSpans) != 2 {
		t.Fatalf("%d client spans; want 2 (an attempt answered 503, then the retry)", len(clientSpans))
	}
	seen := up.all()
	for i, s := range clientSpans {
		if s.Parent().SpanID() != serverSpan.SpanContext().SpanID() || s.SpanContext().TraceID() != serverSpan.SpanContext().TraceID() {
			t.Errorf("client span %d is not a child of the server span", i)
		}
		if !strings.HasPrefix(s.Name(), "DELETE /v1/{project_id}/demanager/instances/{instance_id}") {
			t.Errorf("client span %d is named %q", i, s.Name())
		}
		resend, has := attr(s, "http.request.resend_count")
		if (i == 0 && has) || (i == 1 && resend.AsInt64() != 1) {
			t.Errorf("client span %d: http.request.resend_count %v (present %v); want none on the first, 1 on the retry", i, resend.AsInt64(), has)
		}
		status, _ := attr(s, "http.response.status_code")
		if want := []int64{503, 200}[i]; status.AsInt64() != want {
			t.Errorf("client span %d: status %d; want %d", i, status.AsInt64(), want)
		}
		want := "00-" + callerTraceID + "-" + s.SpanContext().SpanID().String() + "-01"
		if i >= len(seen) || seen[i] != want {
			t.Errorf("request %d reached ModelArts with traceparent %q; want %q", i, seen, want)
		}
	}
	// The call's log line is JSON with both IDs, and no token.
	var line map[string]any
	for _, l := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("a log line is not JSON: %v\n%s", err, l)
		}
		if m["msg"] == "rpc" {
			line = m
		}
	}
	if line["request_id"] != "trace-test-1" || line["trace_id"] != callerTraceID {
		t.Errorf("the call's log line: request_id %v, trace_id %v; want trace-test-1 and %s", line["request_id"], line["trace_id"], callerTraceID)
	}
	if strings.Contains(logs.String(), callerToken) {
		t.Error("the log holds the caller's token")
	}

	// A REST request: its span is named after the route it matched.
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, f.httpURL+"/v1/"+project+"/demanager/instances/"+running, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("traceparent", callerParent)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	rest := rec.waitFor(t, wait, "REST server span named after its route", func(s sdktrace.ReadOnlySpan) bool {
		return s.SpanKind() == trace.SpanKindServer && s.Name() == "GET /v1/{project_id}/demanager/instances/{instance_id}"
	})
	if got := rest.SpanContext().TraceID().String(); got != callerTraceID {
		t.Errorf("the REST server span is in trace %s; want the caller's, %s", got, callerTraceID)
	}
}

// TestTracing_off: without an exporter nothing is recorded, and a
// caller's trace context still reaches ModelArts, over gRPC and REST, and
// the call's log line.
func TestTracing_off(t *testing.T) {
	t.Parallel()
	up := &traceparents{next: emulator.MustNew(emulator.Options{})}
	var logs logbuf.Buffer
	f := startFacade(t, up, func(o *server.Options) {
		o.Credentials = cloudauth.Token("t")
		o.Logger = slog.New(slog.NewJSONHandler(&logs, nil))
	})
	ctx := metadata.AppendToOutgoingContext(t.Context(), "traceparent", callerParent, "x-request-id", "trace-off-1")
	if _, err := f.client.GetInstance(ctx, &devenvv1.GetInstanceRequest{ProjectId: project, InstanceId: running}); err != nil {
		t.Fatal(err)
	}
	seen := up.all()
	if len(seen) != 1 || !strings.HasPrefix(seen[0], "00-"+callerTraceID+"-") {
		t.Errorf("ModelArts received traceparent %q; want the caller's trace %s", seen, callerTraceID)
	}
	// Without a caller's trace, nothing is invented.
	if _, err := f.client.GetInstance(t.Context(), &devenvv1.GetInstanceRequest{ProjectId: project, InstanceId: running}); err != nil {
		t.Fatal(err)
	}
	if seen = up.all(); len(seen) != 2 || seen[1] != "" {
		t.Errorf("ModelArts received traceparent %q on an untraced call; want none", seen[len(seen)-1])
	}
	// Over REST too.
	for i, parent := range []string{callerParent, ""} {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, f.httpURL+"/v1/"+project+"/demanager/instances/"+running, nil)
		if err != nil {
			t.Fatal(err)
		}
		if parent != "" {
			req.Header.Set("traceparent", parent)
		}
		req.Header.Set("X-Request-Id", "trace-off-rest-"+strconv.Itoa(i))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		seen = up.all()
		if got := seen[len(seen)-1]; (parent != "") != strings.HasPrefix(got, "00-"+callerTraceID+"-") || (parent == "" && got != "") {
			t.Errorf("REST request %d (traceparent %q): ModelArts received traceparent %q", i, parent, got)
		}
	}
	// The traced calls' log lines carry the caller's trace ID (over gRPC
	// and REST), the untraced REST call's none.
	want := map[string]any{"trace-off-1": callerTraceID, "trace-off-rest-0": callerTraceID, "trace-off-rest-1": nil}
	found := map[string]bool{}
	for _, l := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("a log line is not JSON: %v\n%s", err, l)
		}
		id, _ := m["request_id"].(string)
		if w, ok := want[id]; ok && m["msg"] == "rpc" {
			found[id] = true
			if m["trace_id"] != w {
				t.Errorf("the log line of %s has trace_id %v; want %v", id, m["trace_id"], w)
			}
		}
	}
	if len(found) != len(want) {
		t.Errorf("log lines of %v; want one of each of %v", found, want)
	}
}
