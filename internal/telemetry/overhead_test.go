package telemetry_test

import (
	"context"
	"net"
	"testing"

	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/devenv-facade/devenv-facade/internal/telemetry"
)

// BenchmarkTracingOff is what tracing costs a gRPC call when no exporter
// is configured (telemetry.Off: the no-op provider, which still carries
// the caller's trace context): a unary call on loopback with and without
// the server's otelgrpc handler. The difference is the absolute cost per
// call; the facade's whole call costs about 200µs (BenchmarkObservability
// in internal/server).
func BenchmarkTracingOff(b *testing.B) {
	off := telemetry.Off()
	for _, v := range []struct {
		name string
		opts []grpc.ServerOption
	}{
		{"no-handler", nil},
		{"otelgrpc-noop", []grpc.ServerOption{grpc.StatsHandler(otelgrpc.NewServerHandler(
			otelgrpc.WithTracerProvider(off.Provider), otelgrpc.WithPropagators(off.Propagator),
			otelgrpc.WithMeterProvider(metricnoop.NewMeterProvider())))}},
	} {
		b.Run(v.name, func(b *testing.B) {
			srv := grpc.NewServer(v.opts...)
			healthpb.RegisterHealthServer(srv, health.NewServer())
			lis, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				b.Fatal(err)
			}
			go func() { _ = srv.Serve(lis) }()
			defer srv.Stop()
			conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
			if err != nil {
				b.Fatal(err)
			}
			defer conn.Close()
			client := healthpb.NewHealthClient(conn)
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := client.Check(ctx, &healthpb.HealthCheckRequest{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
