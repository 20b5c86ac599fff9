// Package server assembles a running devenv-facade: the ModelArts client,
// the DevEnvService, the gRPC server (with health checking and reflection),
// the REST mirror and the admin listener (health and readiness for probes),
// served on listeners the caller owns, with a graceful shutdown when the
// context ends.
//
// [Options] follow package options: the zero value of every field means
// its default, options.NoLimit switches a cap or limit off and
// options.None makes a wait or grace none; New fills the defaults
// ([Options.WithDefaults]) and validates ([Options.Validate]) in one place,
// refusing with an *options.Error that names the fields.
package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc/filters"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	"golang.org/x/net/netutil"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/reflection"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/tap"

	devenvv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/devenv/v1"
	"github.com/devenv-facade/devenv-facade/internal/apierror"
	"github.com/devenv-facade/devenv-facade/internal/callctx"
	"github.com/devenv-facade/devenv-facade/internal/callerauth"
	"github.com/devenv-facade/devenv-facade/internal/mirror"
	"github.com/devenv-facade/devenv-facade/internal/modelarts"
	"github.com/devenv-facade/devenv-facade/internal/options"
	"github.com/devenv-facade/devenv-facade/internal/reqcheck"
	"github.com/devenv-facade/devenv-facade/service"
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

// Server is an assembled facade, ready to serve. Create it with [New].
type Server struct {
	opts   Options
	logger *slog.Logger

	closeHTTPClient func()
	client          *modelarts.Client
	svc             *service.Service

	grpcServer  *grpc.Server
	health      *health.Server
	streams     *streams
	codec       *codec
	check       *reqcheck.Checker // the requests' check before decoding
	calls       calls
	mirror      http.Handler // the REST mirror with its middleware
	httpServer  *http.Server // nil without an HTTP listener
	admin       *adminServer // nil without an admin listener
	restCancel  context.CancelCauseFunc
	restBaseCtx context.Context

	probing atomic.Bool    // a probe of ModelArts is under way
	probes  sync.WaitGroup // the probe's goroutine; Serve waits for it
}

// New assembles a facade from opts without serving anything yet. On error
// it closes the listeners in opts, which it otherwise owns from now on
// ([Server.Serve] closes them).
func New(opts Options) (_ *Server, err error) {
	defer func() {
		if err != nil {
			closeListeners(opts)
		}
	}()
	switch {
	case opts.GRPCListener == nil:
		return nil, options.Errorf("server", "{GRPCListener} is required")
	case opts.Endpoint == "":
		return nil, options.Errorf("server", "{Endpoint} is required")
	}
	opts = opts.WithDefaults()
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	// Every line logged for a call carries its request and trace IDs.
	opts.Logger = slog.New(callctx.NewLogHandler(opts.Logger.Handler()))
	check := new(reqcheck.Checker)
	s := &Server{opts: opts, logger: opts.Logger, closeHTTPClient: func() {}, codec: newCodec(check), check: check}

	httpClient := opts.HTTPClient
	if httpClient == nil {
		hc := modelarts.NewHTTPClient(positive(opts.MaxUpstreamInFlight))
		s.closeHTTPClient = hc.CloseIdleConnections
		httpClient = hc
	}
	clientOpts := modelarts.Options{Credentials: opts.Credentials, UserAgent: opts.UserAgent, Timeout: opts.UpstreamTimeout,
		Retry: opts.Retry, MaxInFlight: opts.MaxUpstreamInFlight, MaxInFlightWait: opts.MaxUpstreamWait,
		TracerProvider: opts.Tracing.Provider, Propagator: opts.Tracing.Propagator, Logger: opts.Logger, Clock: opts.Clock}
	if opts.Metrics != nil {
		clientOpts.Observer = opts.Metrics
	}
	if s.client, err = modelarts.NewClient(httpClient, opts.Endpoint, clientOpts); err != nil {
		s.closeHTTPClient()
		return nil, fmt.Errorf("server: %w", err)
	}
	if s.svc, err = service.New(s.client, service.Options{Logger: opts.Logger, DisableTokenPassthrough: opts.DisableTokenPassthrough,
		CallerAuthentication: opts.Callers != nil, MaxWait: opts.MaxWait, PollInterval: opts.PollInterval,
		MaxWaits: opts.MaxWaits, Clock: opts.Clock}); err != nil {
		s.closeHTTPClient()
		return nil, fmt.Errorf("server: %w", err)
	}

	// What the check of a request's encoded form found is moved into the
	// call's context before anything can refuse the call (the service
	// answers it after authorization); metrics see every call next; then
	// the service's interceptor, so that refused and drained calls are
	// logged with their request ID too; then the call tracking (shutdown
	// and request timeouts), then the caller's authorization.
	interceptors := []grpc.UnaryServerInterceptor{s.check.UnaryInterceptor()}
	if !opts.Tracing.Recording() {
		// Without OpenTelemetry's handler, a caller's trace context is
		// carried through by this step (propagation.go).
		interceptors = append(interceptors, traceContextInterceptor(opts.Tracing.Propagator))
	}
	if opts.Metrics != nil {
		interceptors = append(interceptors, opts.Metrics.UnaryServerInterceptor())
	}
	interceptors = append(interceptors, s.svc.UnaryInterceptor(), s.trackCall)
	if opts.Callers != nil {
		interceptors = append(interceptors, opts.Callers.UnaryInterceptor())
	}
	interceptor := chainUnary(interceptors...)

	s.streams = newStreams(opts.RequestReadTimeout, maxPendingStreams(opts.MaxUpstreamInFlight), opts.Callers != nil, maxLongLivedStreams)
	s.grpcServer = grpc.NewServer(s.grpcOptions(interceptor)...)
	devenvv1.RegisterDevEnvServiceServer(s.grpcServer, s.svc)
	s.health = health.NewServer()
	healthpb.RegisterHealthServer(s.grpcServer, s.health)
	reflection.Register(s.grpcServer)
	s.streams.known = knownMethods(s.grpcServer)
	// The service is SERVING once Serve finds it ready (readiness.go).
	s.health.SetServingStatus(devenvv1.DevEnvService_ServiceDesc.ServiceName, healthpb.HealthCheckResponse_NOT_SERVING)

	// REST calls run on a base context that shutdown cancels past the
	// grace period; until then they outlive the Serve context.
	s.restBaseCtx, s.restCancel = context.WithCancelCause(context.Background())
	// A REST request whose body is still to be read counts as a call
	// waiting for its request, once its caller is known.
	authenticate := s.streams.holdREST
	if opts.Callers != nil {
		authenticate = func(next http.Handler) http.Handler {
			return opts.Callers.Middleware(s.streams.holdREST(next), func(w http.ResponseWriter, r *http.Request, err error) {
				mirror.WriteError(w, r, err, 0)
			})
		}
	}
	mirrorOpts := mirror.Options{MaxBodyBytes: maxRequestBody, Logger: opts.Logger, CallerAuth: authenticate, RequestCheck: s.check}
	if s.mirror, err = mirror.New(s.restBaseCtx, s.svc, interceptor, mirrorOpts); err != nil {
		s.Close() // the gRPC server's stream workers, the idle connections
		return nil, fmt.Errorf("server: REST mirror: %w", err)
	}
	if opts.Tracing.Recording() {
		s.mirror = otelhttp.NewHandler(s.mirror, "rest",
			otelhttp.WithTracerProvider(opts.Tracing.Provider), otelhttp.WithPropagators(opts.Tracing.Propagator),
			otelhttp.WithMeterProvider(metricnoop.NewMeterProvider()),
			otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string { return r.Method }))
	} else {
		s.mirror = traceContextHandler(s.mirror, opts.Tracing.Propagator)
	}
	if opts.HTTPListener != nil {
		s.httpServer = &http.Server{
			Handler:           s.mirror,
			TLSConfig:         opts.TLS,
			ReadHeaderTimeout: opts.RequestReadTimeout,
			ReadTimeout:       opts.RequestReadTimeout,
			// The longest call: a create (one upstream timeout), the
			// lookup of its lost answer (another), then a wait.
			WriteTimeout:   opts.MaxWait + 2*opts.UpstreamTimeout + 10*time.Second,
			IdleTimeout:    2 * time.Minute,
			MaxHeaderBytes: maxHeaderListSize,
			ErrorLog:       slog.NewLogLogger(opts.Logger.Handler(), slog.LevelWarn),
			BaseContext:    func(net.Listener) context.Context { return s.restBaseCtx },
		}
	}
	if opts.AdminListener != nil {
		var metricsHandler http.Handler
		if opts.Metrics != nil {
			metricsHandler = opts.Metrics.Handler()
		}
		s.admin = newAdminServer(s.health, opts.Logger, metricsHandler)
	}
	return s, nil
}

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

// grpcOptions are the gRPC server's options.
func (s *Server) grpcOptions(interceptor grpc.UnaryServerInterceptor) []grpc.ServerOption {
	opts := s.opts
	streamsPerConn := maxStreamsPerConn
	if opts.MaxUpstreamInFlight > 0 {
		streamsPerConn = min(max(opts.MaxUpstreamInFlight, minStreamsPerConn), maxStreamsPerConn)
	}
	var streamInterceptors []grpc.StreamServerInterceptor
	if opts.Metrics != nil {
		streamInterceptors = append(streamInterceptors, opts.Metrics.StreamServerInterceptor())
	}
	streamInterceptors = append(streamInterceptors, s.streams.streamInterceptor)
	if opts.Callers != nil {
		streamInterceptors = append(streamInterceptors, opts.Callers.StreamInterceptor())
	}
	serverOpts := []grpc.ServerOption{
		grpc.MaxRecvMsgSize(maxRecvMsgSize),
		grpc.MaxSendMsgSize(maxSendMsgSize),
		grpc.MaxHeaderListSize(maxHeaderListSize),
		grpc.MaxConcurrentStreams(uint32(streamsPerConn)),
		grpc.ConnectionTimeout(10 * time.Second),
		// Idle connections release their write buffer.
		grpc.SharedWriteBuffer(true),
		// Clients may ping every 10s, even between calls; idle
		// connections are closed after 5 minutes; the server pings a
		// silent connection after a minute and drops it 20s later.
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: 10 * time.Second, PermitWithoutStream: true}),
		// A connection lives at most MaxConnectionAge (with jitter), then
		// gets GOAWAY: clients reconnect, and those that balance across
		// replicas (round_robin over a headless Service) re-resolve and
		// find new ones. Calls in flight finish: the grace covers the
		// longest wait a call may make.
		grpc.KeepaliveParams(keepalive.ServerParameters{MaxConnectionIdle: 5 * time.Minute, Time: time.Minute, Timeout: 20 * time.Second,
			MaxConnectionAge:      positive(opts.MaxConnectionAge), // zero: grpc-go's default, no limit
			MaxConnectionAgeGrace: opts.MaxWait + opts.UpstreamTimeout}),
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
		grpc.ChainStreamInterceptor(streamInterceptors...),
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

// tap runs when a gRPC call's headers arrive, before grpc-go reads anything
// else of it: unknown methods, unauthenticated callers and streams beyond
// the bounds are refused here, so they cannot make the facade buffer their
// request.
func (s *Server) tap(ctx context.Context, info *tap.Info) (context.Context, error) {
	if s.opts.Callers != nil {
		var err error
		if ctx, err = s.opts.Callers.Tap(ctx, info); err != nil {
			return nil, err
		}
	}
	return s.streams.tap(ctx, info, time.Now())
}

// trackCall is the unary interceptor that tracks a call from the moment
// its request arrived: shutdown waits for it, and cancels it past the grace
// period, which makes it answer UNAVAILABLE (reason SHUTTING_DOWN) rather
// than the CANCELLED its cancellation would give. A call that succeeded
// still reports its success: its outcome is not lost.
func (s *Server) trackCall(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	if st := streamFrom(ctx); st != nil { // gRPC, and REST with a body
		if !s.streams.activate(st) {
			return nil, apierror.New(codes.Canceled, apierror.ReasonCanceled,
				"the request arrived after the facade stopped waiting for it", callctx.RequestID(ctx))
		}
		defer s.streams.finish(st)
	}
	s.calls.begin()
	defer s.calls.end()
	resp, err := handler(ctx, req)
	// Only a call the shutdown cut off answers SHUTTING_DOWN; an answer it
	// got before (NOT_FOUND, say) stands.
	if err != nil && errors.Is(context.Cause(ctx), errShuttingDown) && cutOff(err) {
		return nil, apierror.New(codes.Unavailable, apierror.ReasonShuttingDown,
			"the facade is shutting down and cancelled the call; the outcome is unknown and the call may be retried elsewhere",
			callctx.RequestID(ctx))
	}
	return resp, err
}

// cutOff reports whether err is what a cancelled call answers: CANCELLED
// or DEADLINE_EXCEEDED, or a context error.
func cutOff(err error) bool {
	switch status.Code(err) {
	case codes.Canceled, codes.DeadlineExceeded:
		return true
	}
	return errors.Is(err, context.Canceled)
}

// Handler returns the REST mirror as an http.Handler, with the same
// middleware and call pipeline as the one Serve runs, for tests that serve
// it themselves (httptest.NewServer(s.Handler())); call Close when done.
func (s *Server) Handler() http.Handler { return s.mirror }

// Close releases what New started, for a Server whose Serve is never
// called (one whose Handler is served elsewhere): the gRPC server's stream
// workers and the idle connections to ModelArts. Serve does it itself.
func (s *Server) Close() {
	s.grpcServer.Stop()
	s.closeHTTPClient()
}

// Run is New followed by Serve.
func Run(ctx context.Context, opts Options) error {
	s, err := New(opts)
	if err != nil {
		return err
	}
	return s.Serve(ctx)
}

// Serve serves gRPC, the REST mirror and the admin listener (those that
// have listeners) until ctx is done, then shuts down gracefully: health
// reports NOT_SERVING, the listeners close, and in-flight calls get up to
// ShutdownGrace to finish before they are cancelled. It returns nil after a
// clean shutdown, or the error that stopped a server. It closes the
// listeners. Serve may be called once.
func (s *Server) Serve(ctx context.Context) error {
	// However Serve ends, the gRPC server's stream workers end with it
	// (after a drain, Stop has nothing left to close).
	defer s.Close()
	opts := s.opts
	grpcLis, httpLis := opts.GRPCListener, opts.HTTPListener
	if opts.MaxConnections > 0 {
		grpcLis = netutil.LimitListener(grpcLis, opts.MaxConnections)
		if httpLis != nil {
			httpLis = netutil.LimitListener(httpLis, opts.MaxConnections)
		}
	}
	sweepCtx, stopSweep := context.WithCancel(context.Background())
	defer stopSweep()
	ticker := time.NewTicker(min(opts.RequestReadTimeout/4, time.Second))
	defer ticker.Stop()
	go s.streams.sweepEvery(sweepCtx, ticker.C, time.Now)

	errc := make(chan error, 3)
	go func() {
		if err := s.grpcServer.Serve(grpcLis); err != nil {
			errc <- fmt.Errorf("server: gRPC server: %w", err)
		}
	}()
	if s.httpServer != nil {
		go func() {
			var err error
			if opts.TLS != nil {
				err = s.httpServer.ServeTLS(httpLis, "", "")
			} else {
				err = s.httpServer.Serve(httpLis)
			}
			if err != nil && !errors.Is(err, http.ErrServerClosed) {
				errc <- fmt.Errorf("server: REST mirror: %w", err)
			}
		}()
	}
	if s.admin != nil {
		go func() {
			if err := s.admin.serve(netutil.LimitListener(opts.AdminListener, maxAdminConnections)); err != nil {
				errc <- fmt.Errorf("server: admin listener: %w", err)
			}
		}()
	}
	s.logStart()
	readyCtx, stopReadiness := context.WithCancel(context.Background())
	readinessDone := make(chan struct{})
	go func() {
		defer close(readinessDone)
		tick := time.NewTicker(readinessInterval)
		defer tick.Stop()
		s.watchReadiness(readyCtx, tick.C)
	}()

	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-errc:
	}
	s.logger.Info("shutting down", slog.Int64("grace_ms", opts.ShutdownGrace.Milliseconds()))
	stopReadiness()
	<-readinessDone
	s.probes.Wait() // a probe ends within probeTimeout
	s.shutdown()
	return serveErr
}

// logStart writes the one line that says how the facade serves.
func (s *Server) logStart() {
	opts := s.opts
	attrs := []slog.Attr{
		slog.String("grpc_addr", opts.GRPCListener.Addr().String()),
		slog.String("rest_addr", listenerAddr(opts.HTTPListener)),
		slog.String("admin_addr", listenerAddr(opts.AdminListener)),
		slog.String("tls", tlsMode(opts.TLS)),
		slog.String("caller_auth", callerAuthMode(opts.Callers, opts.TLS)),
		slog.String("token_holders", tokenHoldersMode(opts.Callers)),
		slog.String("upstream_credentials", describeCredentials(opts.Credentials)),
		slog.Bool("caller_token_passthrough", !opts.DisableTokenPassthrough),
		slog.String("modelarts_endpoint", s.client.Endpoint()),
		slog.Bool("metrics", opts.Metrics != nil),
		slog.String("tracing", opts.Tracing.Exporter),
	}
	s.logger.LogAttrs(context.Background(), slog.LevelInfo, "serving", attrs...)
	s.warnExposure()
}

func listenerAddr(l net.Listener) string {
	if l == nil {
		return "off"
	}
	return l.Addr().String()
}

func tlsMode(c *tls.Config) string {
	switch {
	case c == nil:
		return "off"
	case requiresClientCerts(c):
		return "mutual (client certificates required)"
	}
	return "on"
}

func callerAuthMode(callers *callerauth.Authenticator, c *tls.Config) string {
	switch {
	case callers != nil:
		return fmt.Sprintf("on (%d callers)", callers.Count())
	case requiresClientCerts(c):
		return "client certificates only (any certificate from the CA may act on every project)"
	}
	return "off"
}

// tokenHoldersMode describes the policy for callers who bring only their
// own IAM token.
func tokenHoldersMode(callers *callerauth.Authenticator) string {
	switch {
	case callers == nil:
		return "n/a (no callers file)"
	case callers.TokenHolders() == callerauth.ValidateTokenHolders:
		return fmt.Sprintf("validate (%v; each call runs on the caller's token only)", callers.TokenValidator())
	case callers.TokenHolders() == callerauth.ForwardTokenHolders:
		return "forward (each call runs on the caller's token only)"
	}
	return callers.TokenHolders().String()
}

// describeCredentials names the credential source for the log, never its
// secrets.
func describeCredentials(creds modelarts.Credentials) string {
	if creds == nil {
		return "none: every caller must send its own X-Auth-Token"
	}
	return fmt.Sprint(creds)
}

// shutdown stops the servers: readiness and health go NOT_SERVING so
// balancers stop sending work, the servers stop accepting, long-lived
// streams (health watches, reflection) end at once and streams that have
// not delivered their request within requestSettle end too; calls in flight
// may finish within the grace period. Calls still running then are
// cancelled, which makes them answer UNAVAILABLE; connections that still
// have not finished are closed drainTimeout later.
func (s *Server) shutdown() {
	opts := s.opts
	if s.admin != nil {
		s.admin.setReady(false, "shutting down")
	}
	s.health.Shutdown()
	start := time.Now()
	s.streams.shutdown(start.Add(requestSettle))
	settle := time.AfterFunc(requestSettle, func() { s.streams.sweep(time.Now()) })
	defer settle.Stop()
	graceCtx, cancel := context.WithTimeout(context.Background(), opts.ShutdownGrace)
	defer cancel()

	grpcDone := make(chan struct{})
	go func() {
		defer close(grpcDone)
		s.grpcServer.GracefulStop()
	}()
	httpDone := make(chan struct{})
	go func() {
		defer close(httpDone)
		if s.httpServer == nil {
			return
		}
		if err := s.httpServer.Shutdown(graceCtx); err == nil {
			return
		}
		// Past the grace period: the calls are cancelled below; give them
		// time to answer 503, then close what is left.
		finalCtx, cancel := context.WithTimeout(context.Background(), drainTimeout)
		defer cancel()
		if err := s.httpServer.Shutdown(finalCtx); err != nil {
			s.logger.Warn("REST mirror connections still open after the drain; closing them", slog.Any("error", err))
			_ = s.httpServer.Close()
		}
	}()

	var both sync.WaitGroup
	both.Go(func() { <-grpcDone })
	both.Go(func() { <-httpDone })
	allDone := make(chan struct{})
	go func() { both.Wait(); close(allDone) }()

	select {
	case <-allDone:
	case <-graceCtx.Done():
		s.logger.Warn("calls still running after the grace period; cancelling them with UNAVAILABLE",
			slog.Int64("calls", s.calls.inFlight()))
		s.streams.cancelActive()
		s.restCancel(errShuttingDown)
		select {
		case <-allDone:
		case <-time.After(drainTimeout):
			s.grpcServer.Stop()
			<-allDone
		}
	}
	s.restCancel(nil)
	if s.admin != nil {
		s.admin.close()
	}
	s.logger.Info("stopped", slog.Int64("shutdown_ms", time.Since(start).Milliseconds()))
}

// closeListeners closes the listeners in opts, for a New that fails.
func closeListeners(opts Options) {
	for _, l := range []net.Listener{opts.GRPCListener, opts.HTTPListener, opts.AdminListener} {
		if l != nil {
			l.Close()
		}
	}
}

// chainUnary runs the interceptors in order, outermost first, then the
// handler.
func chainUnary(interceptors ...grpc.UnaryServerInterceptor) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		return interceptors[0](ctx, req, info, chained(interceptors[1:], info, handler))
	}
}

func chained(rest []grpc.UnaryServerInterceptor, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) grpc.UnaryHandler {
	if len(rest) == 0 {
		return handler
	}
	return func(ctx context.Context, req any) (any, error) {
		return rest[0](ctx, req, info, chained(rest[1:], info, handler))
	}
}
