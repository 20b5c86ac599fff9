package server

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	"google.golang.org/grpc"

	"github.com/devenv-facade/devenv-facade/internal/mirror"
)

// newREST builds the REST mirror, which runs its calls through
// interceptor (streaming calls, the watches, through streamInterceptor), with its middleware (caller authentication, the requests
// waiting for their body, tracing), and its HTTP server when there is an
// HTTP listener.
func (s *Server) newREST(interceptor grpc.UnaryServerInterceptor, streamInterceptor grpc.StreamServerInterceptor) error {
	opts := s.opts
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
	mirrorOpts := mirror.Options{MaxBodyBytes: maxRequestBody, Logger: opts.Logger, CallerAuth: authenticate, RequestCheck: s.check,
		StreamInterceptor: streamInterceptor,
		// A REST request's pending record (holdREST) is made above the
		// mirror's record of its call, never below.
		AbsentBelow: []any{streamKey{}}}
	if !opts.Tracing.Recording() {
		// The mirror carries a caller's trace context itself (see
		// propagation.go for why not otelhttp with a no-op provider).
		mirrorOpts.Propagator = opts.Tracing.Propagator
	}
	var err error
	if s.mirror, err = mirror.New(s.restBaseCtx, []mirror.Service{mirror.DevEnvService(s.svc), mirror.NotebookService(s.svc)}, interceptor, mirrorOpts); err != nil {
		return fmt.Errorf("server: REST mirror: %w", err)
	}
	if opts.Tracing.Recording() {
		s.mirror = otelhttp.NewHandler(s.mirror, "rest",
			otelhttp.WithTracerProvider(opts.Tracing.Provider), otelhttp.WithPropagators(opts.Tracing.Propagator),
			otelhttp.WithMeterProvider(metricnoop.NewMeterProvider()),
			otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string { return r.Method }))
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
	return nil
}
