package metrics_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/devenv-facade/devenv-facade/internal/callctx"
	"github.com/devenv-facade/devenv-facade/internal/metrics"
)

// fakeStream receives n messages, then io.EOF, and sends what it is given.
type fakeStream struct {
	grpc.ServerStream
	ctx context.Context
	n   int
}

func (f *fakeStream) Context() context.Context { return f.ctx }
func (f *fakeStream) SendMsg(any) error        { return nil }
func (f *fakeStream) RecvMsg(any) error {
	if f.n == 0 {
		return io.EOF
	}
	f.n--
	return nil
}

// TestServerMetrics: the calls' series carry go-grpc-middleware's names and
// labels and the protocol; handled counts each code that happened and only
// those (a context error by its own code, an error without a status as
// Unknown); streaming calls count their messages and their type.
func TestServerMetrics(t *testing.T) {
	t.Parallel()
	m := metrics.New()
	unary := m.UnaryServerInterceptor()
	info := &grpc.UnaryServerInfo{FullMethod: "/modelarts.devenv.v1.DevEnvService/GetInstance"}
	ok := func(context.Context, any) (any, error) { return "resp", nil }
	notFound := func(context.Context, any) (any, error) { return nil, status.Error(codes.NotFound, "gone") }
	plain := func(context.Context, any) (any, error) { return nil, errors.New("not a status") }
	late := func(context.Context, any) (any, error) {
		return nil, fmt.Errorf("waiting: %w", context.DeadlineExceeded)
	}
	rest := callctx.WithProtocol(context.Background(), callctx.ProtocolREST)
	for _, c := range []struct {
		ctx context.Context
		h   grpc.UnaryHandler
	}{{context.Background(), ok}, {context.Background(), ok}, {context.Background(), notFound}, {rest, ok}, {rest, plain}, {rest, late}} {
		_, _ = unary(c.ctx, "req", info, c.h)
	}

	stream := m.StreamServerInterceptor()
	watch := &grpc.StreamServerInfo{FullMethod: "/grpc.health.v1.Health/Watch", IsServerStream: true}
	openWhile := -1.0
	err := stream(nil, &fakeStream{ctx: context.Background(), n: 1}, watch, func(_ any, ss grpc.ServerStream) error {
		for ss.RecvMsg(nil) == nil {
		}
		openWhile = gaugeValue(t, m, "devenv_facade_streams_open")
		_ = ss.SendMsg("a")
		_ = ss.SendMsg("b")
		return status.Error(codes.Canceled, "client went away")
	})
	if status.Code(err) != codes.Canceled {
		t.Fatalf("stream interceptor returned %v; want the handler's error", err)
	}

	want := `
# HELP grpc_server_handled_total Total number of RPCs completed on the server, regardless of success or failure.
# TYPE grpc_server_handled_total counter
grpc_server_handled_total{grpc_code="Canceled",grpc_method="Watch",grpc_service="grpc.health.v1.Health",grpc_type="server_stream",protocol="grpc"} 1
grpc_server_handled_total{grpc_code="NotFound",grpc_method="GetInstance",grpc_service="modelarts.devenv.v1.DevEnvService",grpc_type="unary",protocol="grpc"} 1
grpc_server_handled_total{grpc_code="DeadlineExceeded",grpc_method="GetInstance",grpc_service="modelarts.devenv.v1.DevEnvService",grpc_type="unary",protocol="rest"} 1
grpc_server_handled_total{grpc_code="OK",grpc_method="GetInstance",grpc_service="modelarts.devenv.v1.DevEnvService",grpc_type="unary",protocol="grpc"} 2
grpc_server_handled_total{grpc_code="OK",grpc_method="GetInstance",grpc_service="modelarts.devenv.v1.DevEnvService",grpc_type="unary",protocol="rest"} 1
grpc_server_handled_total{grpc_code="Unknown",grpc_method="GetInstance",grpc_service="modelarts.devenv.v1.DevEnvService",grpc_type="unary",protocol="rest"} 1
# HELP grpc_server_started_total Total number of RPCs started on the server.
# TYPE grpc_server_started_total counter
grpc_server_started_total{grpc_method="GetInstance",grpc_service="modelarts.devenv.v1.DevEnvService",grpc_type="unary",protocol="grpc"} 3
grpc_server_started_total{grpc_method="GetInstance",grpc_service="modelarts.devenv.v1.DevEnvService",grpc_type="unary",protocol="rest"} 3
grpc_server_started_total{grpc_method="Watch",grpc_service="grpc.health.v1.Health",grpc_type="server_stream",protocol="grpc"} 1
# HELP grpc_server_msg_received_total Total number of RPC stream messages received on the server.
# TYPE grpc_server_msg_received_total counter
grpc_server_msg_received_total{grpc_method="GetInstance",grpc_service="modelarts.devenv.v1.DevEnvService",grpc_type="unary",protocol="grpc"} 3
grpc_server_msg_received_total{grpc_method="GetInstance",grpc_service="modelarts.devenv.v1.DevEnvService",grpc_type="unary",protocol="rest"} 3
grpc_server_msg_received_total{grpc_method="Watch",grpc_service="grpc.health.v1.Health",grpc_type="server_stream",protocol="grpc"} 1
# HELP grpc_server_msg_sent_total Total number of gRPC stream messages sent by the server.
# TYPE grpc_server_msg_sent_total counter
grpc_server_msg_sent_total{grpc_method="GetInstance",grpc_service="modelarts.devenv.v1.DevEnvService",grpc_type="unary",protocol="grpc"} 2
grpc_server_msg_sent_total{grpc_method="GetInstance",grpc_service="modelarts.devenv.v1.DevEnvService",grpc_type="unary",protocol="rest"} 1
grpc_server_msg_sent_total{grpc_method="Watch",grpc_service="grpc.health.v1.Health",grpc_type="server_stream",protocol="grpc"} 2
`
	if err := testutil.GatherAndCompare(m.Registry(), strings.NewReader(want),
		"grpc_server_handled_total", "grpc_server_started_total", "grpc_server_msg_received_total", "grpc_server_msg_sent_total"); err != nil {
		t.Error(err)
	}
	if after := gaugeValue(t, m, "devenv_facade_streams_open"); openWhile != 1 || after != 0 {
		t.Errorf("streams open: %v while the watch ran, %v after; want 1 and 0", openWhile, after)
	}
	if n := testutil.CollectAndCount(m.Registry(), "grpc_server_handling_seconds"); n != 3 {
		t.Errorf("%d handling-time series; want 3 (GetInstance over gRPC and REST, Watch)", n)
	}
}

// TestServerMetrics_around: the interceptor with an inner one runs it
// inside, handing it the call and the handler, and counts what the inner
// one answers (which may differ from the handler's); without one it is
// the plain interceptor.
func TestServerMetrics_around(t *testing.T) {
	t.Parallel()
	m := metrics.New()
	if m.UnaryServerInterceptorAround(nil) == nil {
		t.Fatal("no interceptor without an inner one")
	}
	info := &grpc.UnaryServerInfo{FullMethod: "/modelarts.devenv.v1.DevEnvService/DeleteInstance"}
	type key struct{}
	var seen []string
	inner := func(ctx context.Context, req any, i *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		seen = append(seen, fmt.Sprintf("%v %v %v", ctx.Value(key{}), req, i == info))
		resp, err := h(ctx, req)
		if req == "refuse" { // the inner interceptor's own answer
			return nil, status.Error(codes.PermissionDenied, "no")
		}
		return resp, err
	}
	unary := m.UnaryServerInterceptorAround(inner)
	ctx := context.WithValue(context.Background(), key{}, "call")
	handled := 0
	ok := func(context.Context, any) (any, error) { handled++; return "resp", nil }
	if resp, err := unary(ctx, "req", info, ok); resp != "resp" || err != nil {
		t.Errorf("answer %v, %v; want the handler's", resp, err)
	}
	if _, err := unary(ctx, "refuse", info, ok); status.Code(err) != codes.PermissionDenied {
		t.Errorf("error %v; want the inner interceptor's PermissionDenied", err)
	}
	if want := []string{"call req true", "call refuse true"}; !slices.Equal(seen, want) || handled != 2 {
		t.Errorf("inner saw %q and the handler ran %d times; want %q, 2", seen, handled, want)
	}
	want := `
# HELP grpc_server_handled_total Total number of RPCs completed on the server, regardless of success or failure.
# TYPE grpc_server_handled_total counter
grpc_server_handled_total{grpc_code="OK",grpc_method="DeleteInstance",grpc_service="modelarts.devenv.v1.DevEnvService",grpc_type="unary",protocol="grpc"} 1
grpc_server_handled_total{grpc_code="PermissionDenied",grpc_method="DeleteInstance",grpc_service="modelarts.devenv.v1.DevEnvService",grpc_type="unary",protocol="grpc"} 1
# HELP grpc_server_msg_sent_total Total number of gRPC stream messages sent by the server.
# TYPE grpc_server_msg_sent_total counter
grpc_server_msg_sent_total{grpc_method="DeleteInstance",grpc_service="modelarts.devenv.v1.DevEnvService",grpc_type="unary",protocol="grpc"} 1
`
	if err := testutil.GatherAndCompare(m.Registry(), strings.NewReader(want), "grpc_server_handled_total", "grpc_server_msg_sent_total"); err != nil {
		t.Error(err)
	}
}

// BenchmarkUnaryServerInterceptor is what the server metrics add to a call.
func BenchmarkUnaryServerInterceptor(b *testing.B) {
	m := metrics.New()
	unary := m.UnaryServerInterceptor()
	info := &grpc.UnaryServerInfo{FullMethod: "/modelarts.devenv.v1.DevEnvService/GetInstance"}
	h := func(context.Context, any) (any, error) { return "resp", nil }
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		_, _ = unary(ctx, "req", info, h)
	}
}

// gaugeValue returns the sum of the gauge name's series.
func gaugeValue(t *testing.T, m *metrics.Metrics, name string) float64 {
	t.Helper()
	families, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	sum := 0.0
	for _, f := range families {
		if f.GetName() == name {
			for _, s := range f.GetMetric() {
				sum += s.GetGauge().GetValue()
			}
		}
	}
	return sum
}
