// Package telemetry sets up the facade's tracing from the standard
// OpenTelemetry environment variables: spans are exported over OTLP when
// an exporter is configured, and not recorded at all otherwise. Either
// way, W3C trace context (traceparent) is accepted from callers and passed
// on to ModelArts.
package telemetry

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// ServiceName is the service.name spans carry unless OTEL_SERVICE_NAME
// says otherwise.
const ServiceName = "devenv-facade"

// Tracing is the facade's tracing: where spans go, and how trace context
// travels.
type Tracing struct {
	// Provider creates the spans: an SDK provider exporting over OTLP, or
	// a no-op one that records nothing but still carries a caller's trace
	// context through the call.
	Provider trace.TracerProvider
	// Propagator reads and writes W3C trace context (traceparent,
	// tracestate).
	Propagator propagation.TextMapPropagator
	// Exporter describes where spans go, for the start-up log line:
	// "off", or "otlp (grpc)" / "otlp (http/protobuf)".
	Exporter string

	shutdown func(context.Context) error
	// off is set by Off: nothing is recorded.
	off bool
}

// Off is tracing without an exporter: no spans are recorded, trace
// context is still propagated.
func Off() *Tracing {
	return &Tracing{Provider: noop.NewTracerProvider(), Propagator: propagation.TraceContext{}, Exporter: "off",
		shutdown: func(context.Context) error { return nil }, off: true}
}

// Recording reports whether spans are recorded: false for [Off], true for
// an exporter (and for any Tracing built with a provider of its own, as
// tests do). Without recording, the server needs no OpenTelemetry
// handlers, only a step that carries a caller's trace context through.
func (t *Tracing) Recording() bool { return !t.off }

// FromEnv configures tracing from the OpenTelemetry environment variables
// lookup reads (os.LookupEnv in production):
//
//   - OTEL_SDK_DISABLED=true, or OTEL_TRACES_EXPORTER=none: off;
//   - OTEL_TRACES_EXPORTER=otlp, or OTEL_EXPORTER_OTLP_ENDPOINT or
//     OTEL_EXPORTER_OTLP_TRACES_ENDPOINT set: OTLP export, over
//     OTEL_EXPORTER_OTLP_TRACES_PROTOCOL or OTEL_EXPORTER_OTLP_PROTOCOL
//     ("http/protobuf", the default, or "grpc"); the exporters read the
//     other OTEL_EXPORTER_OTLP_* variables (headers, certificates,
//     timeouts) themselves, and the SDK reads OTEL_TRACES_SAMPLER;
//   - otherwise: off. Tracing is never on by accident.
//
// version is the service.version of the spans.
func FromEnv(ctx context.Context, lookup func(string) (string, bool), version string) (*Tracing, error) {
	get := func(k string) string {
		v, _ := lookup(k)
		return strings.TrimSpace(v)
	}
	if strings.EqualFold(get("OTEL_SDK_DISABLED"), "true") {
		return Off(), nil
	}
	switch exp := strings.ToLower(get("OTEL_TRACES_EXPORTER")); exp {
	case "none":
		return Off(), nil
	case "", "otlp":
		if exp == "" && get("OTEL_EXPORTER_OTLP_ENDPOINT") == "" && get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") == "" {
			return Off(), nil
		}
	default:
		return nil, fmt.Errorf("OTEL_TRACES_EXPORTER=%q: the facade exports traces over OTLP only (otlp or none)", exp)
	}
	protocol := get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
	if protocol == "" {
		protocol = get("OTEL_EXPORTER_OTLP_PROTOCOL")
	}
	if protocol == "" {
		protocol = "http/protobuf"
	}
	var exporter sdktrace.SpanExporter
	var err error
	switch protocol {
	case "http/protobuf":
		exporter, err = otlptracehttp.New(ctx)
	case "grpc":
		exporter, err = otlptracegrpc.New(ctx)
	default:
		return nil, fmt.Errorf("OTLP protocol %q: want http/protobuf or grpc", protocol)
	}
	if err != nil {
		return nil, fmt.Errorf("OTLP trace exporter: %w", err)
	}
	name := get("OTEL_SERVICE_NAME")
	if name == "" {
		name = ServiceName
	}
	res, err := resource.Merge(resource.Default(), resource.NewSchemaless(
		attribute.String("service.name", name), attribute.String("service.version", version)))
	if err != nil {
		return nil, errors.Join(fmt.Errorf("trace resource: %w", err), exporter.Shutdown(ctx))
	}
	// ValidUTF8: a span with invalid UTF-8 would fail the export of its
	// whole batch.
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(ValidUTF8(exporter)), sdktrace.WithResource(res))
	return &Tracing{Provider: tp, Propagator: propagation.TraceContext{}, Exporter: "otlp (" + protocol + ")",
		shutdown: tp.Shutdown}, nil
}

// Shutdown exports the spans still buffered and stops the exporter,
// within ctx.
func (t *Tracing) Shutdown(ctx context.Context) error { return t.shutdown(ctx) }
