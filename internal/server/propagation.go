package server

import (
	"context"

	"go.opentelemetry.io/otel/propagation"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
)

// With tracing off (telemetry.Off), nothing is recorded, but a caller's W3C
// trace context (traceparent, tracestate) must still reach ModelArts and
// the call's log lines. OpenTelemetry's handlers (otelgrpc, otelhttp) with
// a no-op provider do that at a price paid by every call, traced or not
// (3-4 µs and about 34 allocations over gRPC, more over REST: a no-op
// span, stats events, wrapped writers); these steps only read the
// propagator's fields and, when a caller sent one, put the caller's span
// context into the call's context as the no-op handlers did (a remote,
// non-recording span: the requests to ModelArts then carry the caller's
// trace and span IDs). Over REST, the mirror does the same
// (mirror.Options.Propagator).

// traceContextExtractor returns what carries a caller's trace context into
// a gRPC call's context (the unary calls' first step).
func traceContextExtractor(p propagation.TextMapPropagator) func(context.Context) context.Context {
	fields := p.Fields() // lowercase, as metadata keys are
	return func(ctx context.Context) context.Context {
		if st := streamFrom(ctx); st != nil && st.traceChecked && !st.traceSent {
			return ctx // the tap found none of the fields in the headers
		}
		for _, f := range fields {
			if len(metadata.ValueFromIncomingContext(ctx, f)) > 0 {
				return p.Extract(ctx, incomingCarrier{ctx})
			}
		}
		return ctx
	}
}

// traceContextStreamInterceptor is traceContextExtractor for streaming
// calls.
func traceContextStreamInterceptor(p propagation.TextMapPropagator) grpc.StreamServerInterceptor {
	fields := p.Fields()
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		ctx := ss.Context()
		for _, f := range fields {
			if len(metadata.ValueFromIncomingContext(ctx, f)) > 0 {
				return handler(srv, contextStream{ServerStream: ss, ctx: p.Extract(ctx, incomingCarrier{ctx})})
			}
		}
		return handler(srv, ss)
	}
}

// contextStream is a stream with another context.
type contextStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (s contextStream) Context() context.Context { return s.ctx }

// incomingCarrier reads a gRPC call's incoming metadata for a propagator.
type incomingCarrier struct{ ctx context.Context }

func (c incomingCarrier) Get(key string) string {
	if v := metadata.ValueFromIncomingContext(c.ctx, key); len(v) > 0 {
		return v[0]
	}
	return ""
}

func (c incomingCarrier) Set(string, string) {}

func (c incomingCarrier) Keys() []string {
	md, _ := metadata.FromIncomingContext(c.ctx)
	keys := make([]string, 0, len(md))
	for k := range md {
		keys = append(keys, k)
	}
	return keys
}
