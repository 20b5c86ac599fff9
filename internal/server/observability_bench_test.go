package server_test

import (
	"io"
	"log/slog"
	"testing"

	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	devenvv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/devenv/v1"
	"github.com/devenv-facade/devenv-facade/internal/cloudauth"
	"github.com/devenv-facade/devenv-facade/internal/emulator"
	"github.com/devenv-facade/devenv-facade/internal/metrics"
	"github.com/devenv-facade/devenv-facade/internal/server"
	"github.com/devenv-facade/devenv-facade/internal/telemetry"
)

// BenchmarkObservability is what metrics and tracing cost per call: a
// GetInstance over gRPC through the whole facade to the emulator, all on
// loopback, with the facade's default per-call log line (info level, to
// io.Discard). Compare the variants' ns/op within one run:
//
//   - off: no metrics; tracing off (the no-op provider still carries
//     trace context: what every deployment without an exporter runs);
//   - metrics: the Prometheus metrics, as by default;
//   - metrics+tracing: and every span recorded by the SDK (sampled, then
//     dropped: no exporter, so the network cost of exporting is left out).
func BenchmarkObservability(b *testing.B) {
	variants := []struct {
		name string
		set  func(*server.Options)
	}{
		{"off", func(*server.Options) {}},
		{"metrics", func(o *server.Options) { o.Metrics = metrics.New() }},
		{"metrics+tracing", func(o *server.Options) {
			o.Metrics = metrics.New()
			tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.AlwaysSample()))
			o.Tracing = &telemetry.Tracing{Provider: tp, Propagator: propagation.TraceContext{}, Exporter: "benchmark"}
		}},
	}
	for _, v := range variants {
		b.Run(v.name, func(b *testing.B) {
			f := startFacade(b, emulator.MustNew(emulator.Options{}), func(o *server.Options) {
				o.Credentials = cloudauth.Token("t")
				o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
				v.set(o)
			})
			req := &devenvv1.GetInstanceRequest{ProjectId: project, InstanceId: running}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if _, err := f.client.GetInstance(b.Context(), req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
