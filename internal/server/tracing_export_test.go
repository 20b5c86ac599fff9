package server_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	devenvv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/devenv/v1"
	"github.com/devenv-facade/devenv-facade/internal/cloudauth"
	"github.com/devenv-facade/devenv-facade/internal/emulator"
	"github.com/devenv-facade/devenv-facade/internal/server"
	"github.com/devenv-facade/devenv-facade/internal/telemetry"
)

// otlpCollector is an OTLP/HTTP trace collector on loopback: it keeps the
// spans of every export request it receives.
type otlpCollector struct {
	mu    sync.Mutex
	spans []*tracepb.Span
}

func (c *otlpCollector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	var req collectortrace.ExportTraceServiceRequest
	if err == nil {
		err = proto.Unmarshal(body, &req)
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	c.mu.Lock()
	for _, rs := range req.GetResourceSpans() {
		for _, ss := range rs.GetScopeSpans() {
			c.spans = append(c.spans, ss.GetSpans()...)
		}
	}
	c.mu.Unlock()
	out, _ := proto.Marshal(&collectortrace.ExportTraceServiceResponse{})
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(out)
}

// TestTracing_invalidUTF8: with tracing exported over OTLP (FromEnv, the
// real exporter), a REST request whose path holds %FF (invalid UTF-8 once
// decoded, and so in otelhttp's url.path) does not cost the other calls
// their spans: the batch they share reaches the collector, the %FF span
// with U+FFFD in its path. Without telemetry.ValidUTF8 the exporter fails
// to marshal the batch and the collector receives nothing.
//
// Not parallel: the OTLP exporter and the batch processor read their
// settings from the process environment.
func TestTracing_invalidUTF8(t *testing.T) {
	var col otlpCollector
	cs := httptest.NewServer(&col)
	defer cs.Close()
	t.Setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", cs.URL+"/v1/traces")
	t.Setenv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "http/protobuf")
	// One batch, exported at shutdown: the spans are all in it.
	t.Setenv("OTEL_BSP_SCHEDULE_DELAY", "3600000")
	tracing, err := telemetry.FromEnv(t.Context(), os.LookupEnv, "test")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tracing.Shutdown(context.Background()) }()
	// rec sees a span after the batch processor (registered first) has
	// queued it.
	rec := newEndedSpans()
	tracing.Provider.(*sdktrace.TracerProvider).RegisterSpanProcessor(rec)
	wait, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()

	f := startFacade(t, emulator.MustNew(emulator.Options{}), func(o *server.Options) {
		o.Credentials = cloudauth.Token("t")
		o.Tracing = tracing
	})
	badPath := "/v1/" + project + "/demanager/instances/%FF"
	goodPath := "/v1/" + project + "/demanager/instances/" + running
	restRaw(t, http.MethodGet, f.httpURL+badPath, "", nil)
	restRaw(t, http.MethodGet, f.httpURL+goodPath, "", nil)
	if _, err := f.client.GetInstance(t.Context(), &devenvv1.GetInstanceRequest{ProjectId: project, InstanceId: running}); err != nil {
		t.Fatal(err)
	}
	for _, w := range []struct {
		what  string
		match func(sdktrace.ReadOnlySpan) bool
	}{
		{"the %FF REST span", func(s sdktrace.ReadOnlySpan) bool {
			v, _ := attr(s, "url.path")
			return s.SpanKind() == trace.SpanKindServer && !utf8.ValidString(v.AsString())
		}},
		{"the good REST span", func(s sdktrace.ReadOnlySpan) bool {
			v, _ := attr(s, "url.path")
			return s.SpanKind() == trace.SpanKindServer && v.AsString() == goodPath
		}},
		{"the gRPC span", func(s sdktrace.ReadOnlySpan) bool {
			return s.Name() == "modelarts.devenv.v1.DevEnvService/GetInstance"
		}},
	} {
		rec.waitFor(t, wait, w.what, w.match)
	}
	if err := tracing.Shutdown(wait); err != nil {
		t.Fatal(err)
	}

	col.mu.Lock()
	defer col.mu.Unlock()
	var names, paths []string
	for _, s := range col.spans {
		names = append(names, s.GetName())
		for _, kv := range s.GetAttributes() {
			if kv.GetKey() == "url.path" {
				paths = append(paths, kv.GetValue().GetStringValue())
			}
		}
	}
	if !slices.Contains(names, "modelarts.devenv.v1.DevEnvService/GetInstance") {
		t.Errorf("the collector received spans %q; want the gRPC call's among them", names)
	}
	wantBad := strings.ReplaceAll(badPath, "%FF", "\uFFFD")
	for _, p := range []string{goodPath, wantBad} {
		if !slices.Contains(paths, p) {
			t.Errorf("the collector received spans with url.path %q; want %q among them", paths, p)
		}
	}
}
