package server

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

	"golang.org/x/net/netutil"

	"github.com/devenv-facade/devenv-facade/internal/callerauth"
	"github.com/devenv-facade/devenv-facade/internal/modelarts"
)

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
	grpcLis, httpLis := s.limitListeners()
	sweepCtx, stopSweep := context.WithCancel(context.Background())
	defer stopSweep()
	// The streams' deadlines and the shutdown's bound real I/O: they run on
	// real time, whatever Options.Clock says (package clock).
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
		s.watchReadiness(readyCtx, tick.C, nil)
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
