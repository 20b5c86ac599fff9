// Package server assembles a running devenv-facade: the ModelArts client,
// the API's services (DevEnvService and NotebookService), the gRPC server (with health checking and reflection),
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
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"

	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/reflection"

	devenvv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/devenv/v1"
	notebookv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/notebook/v1"
	"github.com/devenv-facade/devenv-facade/internal/callctx"
	"github.com/devenv-facade/devenv-facade/internal/modelarts"
	"github.com/devenv-facade/devenv-facade/internal/options"
	"github.com/devenv-facade/devenv-facade/internal/reqcheck"
	"github.com/devenv-facade/devenv-facade/service"
)

// servedServices are the API's gRPC services, by name: each has its gRPC
// health status, SERVING while the facade is ready.
var servedServices = []string{devenvv1.DevEnvService_ServiceDesc.ServiceName, notebookv1.NotebookService_ServiceDesc.ServiceName}

// Server is an assembled facade, ready to serve. Create it with [New].
type Server struct {
	opts   Options
	logger *slog.Logger

	closeHTTPClient func()
	client          *modelarts.Client
	svc             *service.Service

	grpcServer *grpc.Server
	health     *health.Server
	streams    *streams
	// apiStreams holds the full method names of the API's streaming calls
	// (the watches).
	apiStreams  map[string]bool
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
		hc := modelarts.NewDirectClient(modelarts.TransportOptions{MaxIdleConns: positive(opts.MaxUpstreamInFlight)})
		s.closeHTTPClient = hc.CloseIdleConnections
		httpClient = hc
	}
	clientOpts := modelarts.Options{Credentials: opts.Credentials, UserAgent: opts.UserAgent, Timeout: opts.UpstreamTimeout,
		Retry: opts.Retry, MaxInFlight: opts.MaxUpstreamInFlight, MaxInFlightWait: opts.MaxUpstreamWait, DisableCoalescing: opts.DisableReadCoalescing, FreshFor: opts.ReadFreshFor,
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
		MaxWaits: opts.MaxWaits, Clock: opts.Clock, Watch: opts.Watch}); err != nil {
		s.closeHTTPClient()
		return nil, fmt.Errorf("server: %w", err)
	}
	if opts.Metrics != nil {
		opts.Metrics.ObserveWatchPollers(s.svc.WatchPollers)
	}

	interceptor := s.unaryInterceptor()
	s.streams = newStreams(opts.RequestReadTimeout, maxPendingStreams(opts.MaxUpstreamInFlight), opts.Callers != nil, maxLongLivedStreams)
	s.streams.endAge = streamEndAge(positive(opts.MaxConnectionAge))
	if !opts.Tracing.Recording() {
		// traceContextExtractor then reads what the tap found.
		s.streams.traceFields = opts.Tracing.Propagator.Fields()
	}
	s.apiStreams = map[string]bool{}
	for _, desc := range []*grpc.ServiceDesc{&devenvv1.DevEnvService_ServiceDesc, &notebookv1.NotebookService_ServiceDesc} {
		for _, st := range desc.Streams {
			s.apiStreams["/"+desc.ServiceName+"/"+st.StreamName] = true
		}
	}
	streamInterceptor := s.streamInterceptor()
	s.grpcServer = grpc.NewServer(s.grpcOptions(interceptor, streamInterceptor)...)
	devenvv1.RegisterDevEnvServiceServer(s.grpcServer, s.svc)
	notebookv1.RegisterNotebookServiceServer(s.grpcServer, s.svc)
	s.health = health.NewServer()
	healthpb.RegisterHealthServer(s.grpcServer, s.health)
	reflection.Register(s.grpcServer)
	s.streams.known = knownMethods(s.grpcServer)
	// The service is SERVING once Serve finds it ready (readiness.go).
	for _, name := range servedServices {
		s.health.SetServingStatus(name, healthpb.HealthCheckResponse_NOT_SERVING)
	}

	if err := s.newREST(interceptor, streamInterceptor); err != nil {
		s.Close() // the gRPC server's stream workers, the idle connections
		return nil, err
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

// Handler returns the REST mirror as an http.Handler, with the same
// middleware and call pipeline as the one Serve runs, for tests that serve
// it themselves (httptest.NewServer(s.Handler())); call Close when done.
func (s *Server) Handler() http.Handler { return s.mirror }

// Close releases what New started, for a Server whose Serve is never
// called (one whose Handler is served elsewhere): the gRPC server's stream
// workers, the watches' pollers and the idle connections to ModelArts.
// Serve does it itself.
func (s *Server) Close() {
	s.grpcServer.Stop()
	s.svc.Close()
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

// closeListeners closes the listeners in opts, for a New that fails.
func closeListeners(opts Options) {
	for _, l := range []net.Listener{opts.GRPCListener, opts.HTTPListener, opts.AdminListener} {
		if l != nil {
			l.Close()
		}
	}
}
