package server

import (
	"net"
	"runtime"
	"time"

	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc/filters"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	"golang.org/x/net/netutil"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/keepalive"
)

// Server limits, set deliberately rather than left to library defaults.
const (
	// maxRecvMsgSize bounds a gRPC request; DevEnviron requests are a few
	// hundred bytes, create requests a few KiB.
	maxRecvMsgSize = 1 << 20
	maxSendMsgSize = 4 << 20
	// maxHeaderListSize bounds a gRPC call's metadata, as MaxHeaderBytes
	// bounds the REST mirror's headers. The largest legitimate metadata is
	// an IAM token (a few KiB).
	maxHeaderListSize = 64 << 10
	// minStreamsPerConn and maxStreamsPerConn bound the concurrent calls
	// on one gRPC connection, which otherwise follow the in-flight cap.
	minStreamsPerConn = 100
	maxStreamsPerConn = 4096
	// maxLongLivedStreams bounds open streaming calls (health watches,
	// reflection) across all connections.
	maxLongLivedStreams = 256
	// maxRequestBody bounds a REST mirror request body.
	maxRequestBody = 1 << 20
	// maxAdminConnections caps the admin listener's connections: probes
	// and an operator's tools.
	maxAdminConnections = 64
	// drainTimeout is how long cancelled calls get to return their
	// UNAVAILABLE answers after the grace period, before connections are
	// closed.
	drainTimeout = 2 * time.Second
	// requestSettle is how long, once shutdown begins, streams that sent
	// their headers still have to deliver their request.
	requestSettle = time.Second
)

// maxPendingStreams bounds the calls waiting for their request (gRPC
// streams, REST requests with a body): twice the in-flight cap but at
// least 256 (so that every share of pendingShares, which divides them by
// caller, has room), or 8192 without a cap.
func maxPendingStreams(inflight int) int {
	if inflight <= 0 {
		return 8192
	}
	return max(2*inflight, 256)
}

// knownMethods lists the full method names srv serves.
func knownMethods(srv *grpc.Server) map[string]bool {
	known := map[string]bool{}
	for svc, info := range srv.GetServiceInfo() {
		for _, m := range info.Methods {
			known["/"+svc+"/"+m.Name] = true
		}
	}
	return known
}

// grpcOptions are the gRPC server's options; calls run through
// interceptor, streaming calls through streamInterceptor.
func (s *Server) grpcOptions(interceptor grpc.UnaryServerInterceptor, streamInterceptor grpc.StreamServerInterceptor) []grpc.ServerOption {
	opts := s.opts
	streamsPerConn := maxStreamsPerConn
	if opts.MaxUpstreamInFlight > 0 {
		streamsPerConn = min(max(opts.MaxUpstreamInFlight, minStreamsPerConn), maxStreamsPerConn)
	}
	serverOpts := []grpc.ServerOption{
		grpc.MaxRecvMsgSize(maxRecvMsgSize),
		grpc.MaxSendMsgSize(maxSendMsgSize),
		grpc.MaxHeaderListSize(maxHeaderListSize),
		grpc.MaxConcurrentStreams(uint32(streamsPerConn)),
		grpc.ConnectionTimeout(10 * time.Second),
		// Idle connections keep no write buffer of their own: grpc-go
		// shares them by default (TestIdleConnectionMemory).
		// Clients may ping every 10s, even between calls; idle
		// connections are closed after 5 minutes; the server pings a
		// silent connection after a minute and drops it 20s later.
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: 10 * time.Second, PermitWithoutStream: true}),
		// A connection lives at most MaxConnectionAge (with jitter), then
		// gets GOAWAY: clients reconnect, and those that balance across
		// replicas (round_robin over a headless Service) re-resolve and
		// find new ones. Calls in flight finish: the grace covers the
		// longest wait a call may make, and the time streaming calls
		// (watches) take to be asked to end ([connectionAgeGrace]).
		grpc.KeepaliveParams(keepalive.ServerParameters{MaxConnectionIdle: 5 * time.Minute, Time: time.Minute, Timeout: 20 * time.Second,
			MaxConnectionAge:      positive(opts.MaxConnectionAge), // zero: grpc-go's default, no limit
			MaxConnectionAgeGrace: connectionAgeGrace(positive(opts.MaxConnectionAge), opts.MaxWait+opts.UpstreamTimeout)}),
		grpc.InTapHandle(s.tap),
		// Calls run on a pool of goroutines whose stacks have grown to
		// what a call needs, instead of a new goroutine per call whose stack
		// grows from 2 KiB by copying (13% of the facade's CPU under load);
		// when every worker is busy, a call gets a goroutine of its own as
		// before. More idle workers measured slower (their stacks go cold),
		// fewer leave more calls without one (see BENCHMARKS.md).
		grpc.NumStreamWorkers(uint32(streamWorkersPerCPU * runtime.GOMAXPROCS(0))),
		grpc.ForceServerCodecV2(s.codec),
		grpc.UnaryInterceptor(interceptor),
		grpc.StreamInterceptor(streamInterceptor),
	}
	if opts.Tracing.Recording() {
		serverOpts = append(serverOpts, grpc.StatsHandler(otelgrpc.NewServerHandler(
			otelgrpc.WithTracerProvider(opts.Tracing.Provider), otelgrpc.WithPropagators(opts.Tracing.Propagator),
			otelgrpc.WithMeterProvider(metricnoop.NewMeterProvider()),
			otelgrpc.WithFilter(filters.Not(filters.HealthCheck())))))
	}
	if opts.TLS != nil {
		serverOpts = append(serverOpts, grpc.Creds(credentials.NewTLS(opts.TLS)))
	}
	return serverOpts
}

// streamWorkersPerCPU sizes grpc-go's pool of call goroutines. Measured
// only on 2 cores, at 64 callers: 64 workers cost 4-5% less CPU per call
// than 128 and 5-6% less than 32; 128 cost 4-15% less than a goroutine
// per call.
const streamWorkersPerCPU = 32

// limitListeners returns the gRPC and REST listeners (http may be nil)
// capped at MaxConnections each, unless it is options.NoLimit; the gRPC
// connections tell their calls when they were accepted ([bornListener]).
func (s *Server) limitListeners() (grpcLis, httpLis net.Listener) {
	grpcLis, httpLis = bornListener{s.opts.GRPCListener}, s.opts.HTTPListener
	if n := s.opts.MaxConnections; n > 0 {
		grpcLis = netutil.LimitListener(grpcLis, n)
		if httpLis != nil {
			httpLis = netutil.LimitListener(httpLis, n)
		}
	}
	return grpcLis, httpLis
}
