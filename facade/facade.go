// Package facade assembles a running devenv-facade: the ModelArts client,
// the DevEnvService, the gRPC server (with health checking and reflection)
// and the REST mirror, served on listeners the caller owns, with a graceful
// shutdown when the context ends.
package facade

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/reflection"

	"github.com/devenv-facade/devenv-facade/callerauth"
	devenvv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/devenv/v1"
	"github.com/devenv-facade/devenv-facade/mirror"
	"github.com/devenv-facade/devenv-facade/modelarts"
	"github.com/devenv-facade/devenv-facade/service"
)

// Defaults for zero-valued [Options] fields.
const (
	DefaultShutdownGrace   = 20 * time.Second
	DefaultUpstreamTimeout = modelarts.DefaultTimeout
	// DefaultMaxUpstreamInFlight caps concurrent calls to ModelArts.
	DefaultMaxUpstreamInFlight = 1024
	// DefaultMaxUpstreamWait is how long a call beyond the cap may wait
	// for a slot before it is shed.
	DefaultMaxUpstreamWait = 100 * time.Millisecond
)

// Server limits, set deliberately rather than left to library defaults.
const (
	// maxRecvMsgSize bounds a gRPC request; DevEnviron requests are a few
	// hundred bytes, create requests a few KiB.
	maxRecvMsgSize = 1 << 20
	maxSendMsgSize = 4 << 20
	// maxConcurrentStreams bounds calls in flight on one gRPC connection.
	maxConcurrentStreams = 4096
	// maxRequestBody bounds a REST mirror request body.
	maxRequestBody = 1 << 20
	// drainTimeout is how long cancelled calls get to return their
	// UNAVAILABLE answers after the grace period, before connections are
	// closed.
	drainTimeout = 2 * time.Second
)

// Options configures [Run].
type Options struct {
	// GRPCListener is where the gRPC server accepts connections. Required.
	GRPCListener net.Listener
	// HTTPListener is where the REST mirror accepts connections. Optional:
	// nil serves gRPC only.
	HTTPListener net.Listener

	// Endpoint is the ModelArts base URL, for example
	// "https://modelarts.eu-de.otc.t-systems.com". Required.
	Endpoint string
	// Credentials authenticate requests to ModelArts when a caller sends no
	// token of its own (see package cloudauth). Nil means callers must.
	Credentials modelarts.Credentials
	// DisableTokenPassthrough ignores callers' x-auth-token / X-Auth-Token:
	// every request then uses Credentials.
	DisableTokenPassthrough bool
	// UpstreamTimeout bounds each ModelArts request whatever the caller's
	// deadline. Zero means DefaultUpstreamTimeout.
	UpstreamTimeout time.Duration
	// HTTPClient sends the ModelArts requests. Nil means
	// modelarts.NewHTTPClient, keeping as many idle connections as calls
	// may be in flight.
	HTTPClient modelarts.HTTPClient
	// UserAgent is sent to ModelArts. Empty means modelarts.DefaultUserAgent.
	UserAgent string
	// Retry is how idempotent calls are retried. The zero value means
	// modelarts.DefaultRetryPolicy(); MaxAttempts 1 disables retries.
	Retry modelarts.RetryPolicy
	// MaxUpstreamInFlight caps concurrent calls to ModelArts; calls beyond
	// it wait up to MaxUpstreamWait, then get RESOURCE_EXHAUSTED. Zero
	// means DefaultMaxUpstreamInFlight; negative means no cap.
	MaxUpstreamInFlight int
	// MaxUpstreamWait: zero means DefaultMaxUpstreamWait.
	MaxUpstreamWait time.Duration

	// Callers, if set, authenticates every call (bearer tokens or client
	// certificates) and limits each caller to its projects.
	Callers *callerauth.Authenticator
	// TLS, if set, serves both gRPC and the REST mirror over TLS (see
	// [ServerTLSConfig]); with ClientCAs set, clients must present a
	// certificate signed by one of them.
	TLS *tls.Config
	// Insecure allows listening on a non-loopback address with neither TLS
	// nor caller authentication. Without it Run refuses to start so.
	Insecure bool

	// ShutdownGrace is how long in-flight calls may run once the context is
	// done, before they are cut off. Zero means DefaultShutdownGrace.
	ShutdownGrace time.Duration
	// Logger receives one line per call and the lifecycle events. Nil
	// discards them.
	Logger *slog.Logger
}

// Run serves gRPC (and the REST mirror, if HTTPListener is set) until ctx is
// done, then shuts down gracefully: health checks report NOT_SERVING, the
// listeners close, and in-flight calls get up to ShutdownGrace to finish
// before they are cancelled. It returns nil after a clean shutdown, or the
// error that stopped a server. Run closes the listeners.
func Run(ctx context.Context, opts Options) error {
	if opts.GRPCListener == nil {
		return errors.New("facade: no gRPC listener")
	}
	serving := false
	defer func() {
		// The servers close the listeners once they serve; before that,
		// an error must not leave them open.
		if !serving {
			opts.GRPCListener.Close()
			if opts.HTTPListener != nil {
				opts.HTTPListener.Close()
			}
		}
	}()
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	grace := opts.ShutdownGrace
	if grace <= 0 {
		grace = DefaultShutdownGrace
	}
	upstreamTimeout := opts.UpstreamTimeout
	if upstreamTimeout <= 0 {
		upstreamTimeout = DefaultUpstreamTimeout
	}
	inflight, wait := opts.MaxUpstreamInFlight, opts.MaxUpstreamWait
	if inflight == 0 {
		inflight = DefaultMaxUpstreamInFlight
	}
	if wait <= 0 {
		wait = DefaultMaxUpstreamWait
	}
	httpClient := opts.HTTPClient
	if httpClient == nil {
		hc := modelarts.NewHTTPClient(max(inflight, 0))
		defer hc.CloseIdleConnections()
		httpClient = hc
	}
	retry := opts.Retry
	if retry == (modelarts.RetryPolicy{}) {
		retry = modelarts.DefaultRetryPolicy()
	}
	clientOpts := []modelarts.Option{
		modelarts.WithCredentials(opts.Credentials),
		modelarts.WithTimeout(upstreamTimeout),
		modelarts.WithLogger(logger),
		modelarts.WithRetryPolicy(retry),
		modelarts.WithMaxInFlight(inflight, wait),
	}
	if opts.UserAgent != "" {
		clientOpts = append(clientOpts, modelarts.WithUserAgent(opts.UserAgent))
	}
	client, err := modelarts.NewClient(httpClient, opts.Endpoint, clientOpts...)
	if err != nil {
		return fmt.Errorf("facade: %w", err)
	}
	if err := checkExposure(opts); err != nil {
		return err
	}
	switch addr := exposedWithoutTLS(opts); {
	case addr != "" && opts.Callers == nil:
		logger.Warn("caller authentication is off: anyone who can connect can delete notebooks with the facade's credentials",
			slog.String("addr", addr))
	case addr != "":
		logger.Warn("bearer tokens travel in plaintext: serve TLS (--tls-cert, --tls-key) on addresses beyond loopback",
			slog.String("addr", addr))
	case opts.Callers == nil && opts.TLS == nil:
		logger.Info("caller authentication is off; the listeners accept connections from this host only")
	}

	svc := service.New(client, service.WithLogger(logger), service.WithTokenPassthrough(!opts.DisableTokenPassthrough))
	// The service's interceptor runs first, so that refused and drained
	// calls are logged with their request ID too.
	drainCtx, drain := context.WithCancelCause(context.Background())
	defer drain(nil)
	interceptor := chainUnary(svc.UnaryInterceptor(), drainInterceptor(drainCtx))
	serverOpts := []grpc.ServerOption{
		grpc.MaxRecvMsgSize(maxRecvMsgSize),
		grpc.MaxSendMsgSize(maxSendMsgSize),
		grpc.MaxConcurrentStreams(maxConcurrentStreams),
		grpc.ConnectionTimeout(10 * time.Second),
		// Clients may ping every 10s, even between calls; idle
		// connections are closed after 15 minutes; the server pings a
		// silent connection after a minute and drops it 20s later.
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: 10 * time.Second, PermitWithoutStream: true}),
		grpc.KeepaliveParams(keepalive.ServerParameters{MaxConnectionIdle: 15 * time.Minute, Time: time.Minute, Timeout: 20 * time.Second}),
	}
	if opts.Callers != nil {
		interceptor = chainUnary(interceptor, opts.Callers.UnaryInterceptor())
		serverOpts = append(serverOpts, grpc.StreamInterceptor(opts.Callers.StreamInterceptor()))
	}
	serverOpts = append(serverOpts, grpc.UnaryInterceptor(interceptor))
	if opts.TLS != nil {
		serverOpts = append(serverOpts, grpc.Creds(credentials.NewTLS(opts.TLS)))
	}

	grpcServer := grpc.NewServer(serverOpts...)
	devenvv1.RegisterDevEnvServiceServer(grpcServer, svc)
	healthServer := health.NewServer()
	healthpb.RegisterHealthServer(grpcServer, healthServer)
	reflection.Register(grpcServer)
	healthServer.SetServingStatus(devenvv1.DevEnvService_ServiceDesc.ServiceName, healthpb.HealthCheckResponse_SERVING)

	var httpServer *http.Server
	if opts.HTTPListener != nil {
		handler, err := mirror.New(ctx, svc, interceptor)
		if err != nil {
			return fmt.Errorf("facade: REST mirror: %w", err)
		}
		httpServer = &http.Server{
			Handler:           limitBody(handler, maxRequestBody),
			TLSConfig:         opts.TLS,
			ReadHeaderTimeout: 10 * time.Second,
			ReadTimeout:       30 * time.Second,
			// A call may wait for ModelArts up to the upstream timeout.
			WriteTimeout:   upstreamTimeout + 10*time.Second,
			IdleTimeout:    2 * time.Minute,
			MaxHeaderBytes: 64 << 10,
			ErrorLog:       slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
			// Calls in flight must outlive ctx: shutdown drains them.
			BaseContext: func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
		}
	}

	serving = true
	errc := make(chan error, 2)
	go func() {
		if err := grpcServer.Serve(opts.GRPCListener); err != nil {
			errc <- fmt.Errorf("facade: gRPC server: %w", err)
		}
	}()
	logger.InfoContext(ctx, "serving gRPC", slog.String("addr", opts.GRPCListener.Addr().String()),
		slog.String("modelarts_endpoint", client.Endpoint()))
	if httpServer != nil {
		go func() {
			var err error
			if opts.TLS != nil {
				err = httpServer.ServeTLS(opts.HTTPListener, "", "")
			} else {
				err = httpServer.Serve(opts.HTTPListener)
			}
			if err != nil && !errors.Is(err, http.ErrServerClosed) {
				errc <- fmt.Errorf("facade: REST mirror: %w", err)
			}
		}()
		logger.InfoContext(ctx, "serving the REST mirror", slog.String("addr", opts.HTTPListener.Addr().String()))
	}

	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-errc:
	}
	logger.Info("shutting down", slog.Duration("grace", grace))
	shutdown(grpcServer, httpServer, healthServer, grace, func() { drain(errShuttingDown) }, logger)
	return serveErr
}

// errShuttingDown is the cause with which calls still running after the
// grace period are cancelled.
var errShuttingDown = errors.New("the facade is shutting down")

// shutdown stops both servers: health goes NOT_SERVING so balancers stop
// sending work, both stop accepting, and in-flight calls may finish within
// grace. Calls still running then are cancelled (drain), which makes them
// answer UNAVAILABLE; connections that still have not finished are closed
// drainTimeout later.
func shutdown(grpcServer *grpc.Server, httpServer *http.Server, healthServer *health.Server, grace time.Duration, drain func(), logger *slog.Logger) {
	healthServer.Shutdown()
	graceCtx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()

	var graceful sync.WaitGroup // both servers' first, graceful phase
	graceful.Add(2)
	grpcDone := make(chan struct{})
	go func() {
		defer close(grpcDone)
		defer graceful.Done()
		grpcServer.GracefulStop()
	}()
	httpDone := make(chan struct{})
	go func() {
		defer close(httpDone)
		if httpServer == nil {
			graceful.Done()
			return
		}
		err := httpServer.Shutdown(graceCtx)
		graceful.Done()
		if err == nil {
			return
		}
		// Past the grace period: drain cancels the calls; give them time
		// to answer 503, then close what is left.
		finalCtx, cancel := context.WithTimeout(context.Background(), drainTimeout)
		defer cancel()
		if err := httpServer.Shutdown(finalCtx); err != nil {
			logger.Warn("REST mirror connections still open after the drain; closing them", slog.Any("error", err))
			_ = httpServer.Close()
		}
	}()
	bothDone := make(chan struct{})
	go func() { graceful.Wait(); close(bothDone) }()

	select {
	case <-bothDone:
	case <-graceCtx.Done():
		logger.Warn("calls still running after the grace period; cancelling them with UNAVAILABLE")
	}
	drain() // cancels what is still running, over gRPC and REST alike
	select {
	case <-grpcDone:
	case <-time.After(drainTimeout):
		grpcServer.Stop()
		<-grpcDone
	}
	<-httpDone
	logger.Info("stopped")
}

// drainInterceptor lets calls be cancelled at shutdown: when drainCtx ends,
// every call's context is cancelled with its cause, and a call that then
// fails answers UNAVAILABLE (reason SHUTTING_DOWN) rather than the
// CANCELLED its cancellation would give. A call that succeeded still
// reports its success: its outcome is not lost.
func drainInterceptor(drainCtx context.Context) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		ctx, cancel := context.WithCancelCause(ctx)
		defer cancel(nil)
		stop := context.AfterFunc(drainCtx, func() { cancel(context.Cause(drainCtx)) })
		defer stop()
		resp, err := handler(ctx, req)
		if err != nil && errors.Is(context.Cause(ctx), errShuttingDown) {
			return nil, service.NewFacadeError(codes.Unavailable, service.ReasonShuttingDown,
				"the facade is shutting down and cancelled the call; the outcome is unknown and the call may be retried elsewhere",
				service.RequestID(ctx))
		}
		return resp, err
	}
}

// limitBody refuses request bodies over limit: 413 at once when the length
// is declared, an error on read when it is not.
func limitBody(next http.Handler, limit int64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > limit {
			mirror.WriteError(w, r, service.NewFacadeError(codes.InvalidArgument, mirror.ReasonRequestTooLarge,
				fmt.Sprintf("the request body exceeds %d bytes", limit), ""), http.StatusRequestEntityTooLarge)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		next.ServeHTTP(w, r)
	})
}

// chainUnary runs outer, then inner, then the handler.
func chainUnary(outer, inner grpc.UnaryServerInterceptor) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		return outer(ctx, req, info, func(ctx context.Context, req any) (any, error) {
			return inner(ctx, req, info, handler)
		})
	}
}
