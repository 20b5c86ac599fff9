package service_test

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"

	"github.com/devenv-facade/devenv-facade/internal/callctx"
	"github.com/devenv-facade/devenv-facade/internal/logjson"
	"github.com/devenv-facade/devenv-facade/service"
)

// benchKey is a context key of the layers BenchmarkCallLogLine puts under
// a call, as the servers' and libraries' own values lie under a real one.
type benchKey int

// BenchmarkCallLogLine is the unary interceptor around a handler that
// annotates the call as DeleteInstance's steps do, logging to logjson as
// the facade does (wrapped by callctx.NewLogHandler, as the server wraps
// it): the cost of the call's request ID and its one log line. "grpc" has
// the call under a context of 4 layers, "mirror" under 16 marked REST
// (the REST mirror's calls lie under the HTTP server's, the middleware's
// and grpc-gateway's values, which every lookup the stream's record does
// not answer walks past).
func BenchmarkCallLogLine(b *testing.B) {
	h := callctx.NewLogHandler(logjson.NewHandler(io.Discard, logjson.Options{DurationsInMillis: true}))
	svc := newService(b, nil, service.Options{Logger: slog.New(h)})
	icpt := svc.UnaryInterceptor()
	info := &grpc.UnaryServerInfo{FullMethod: "/modelarts.devenv.v1.DevEnvService/DeleteInstance"}
	handler := func(ctx context.Context, _ any) (any, error) {
		callctx.Annotate(ctx, slog.String("project_id", "0123456789abcdef0123456789abcdef"), slog.String("instance_id", "fault-n1"))
		callctx.Annotate(ctx, slog.String("credentials", "caller"))
		callctx.Annotate(ctx, slog.Int("upstream_attempts", 1))
		return nil, nil
	}
	for _, tc := range []struct {
		name   string
		layers int
		rest   bool
	}{{"grpc", 4, false}, {"mirror", 16, true}} {
		b.Run(tc.name, func(b *testing.B) {
			ctx := context.Background()
			for i := range tc.layers {
				ctx = context.WithValue(ctx, benchKey(i), i)
			}
			ctx = peer.NewContext(ctx, &peer.Peer{Addr: textAddr("127.0.0.1:51532")})
			if tc.rest {
				ctx = callctx.WithProtocol(ctx, callctx.ProtocolREST)
			} else {
				ctx = grpc.NewContextWithServerTransportStream(ctx, nopStream{})
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := icpt(ctx, nil, info, handler); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// nopStream is a gRPC call's transport stream that keeps nothing.
type nopStream struct{}

func (nopStream) Method() string               { return "/modelarts.devenv.v1.DevEnvService/DeleteInstance" }
func (nopStream) SetHeader(metadata.MD) error  { return nil }
func (nopStream) SendHeader(metadata.MD) error { return nil }
func (nopStream) SetTrailer(metadata.MD) error { return nil }

// textAddr is a peer's address whose String is made once, as the facade's
// servers give one (internal/server's connAddr, the mirror's remoteAddr).
type textAddr string

func (textAddr) Network() string  { return "tcp" }
func (a textAddr) String() string { return string(a) }
