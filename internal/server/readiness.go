package server

import (
	"context"
	"errors"
	"log/slog"
	"time"

	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/devenv-facade/devenv-facade/internal/modelarts"
)

// Readiness timing.
const (
	// readinessInterval is how often readiness is evaluated.
	readinessInterval = time.Second
	// probeInterval is how long ModelArts may go without a request before
	// a facade that finds it unreachable probes it: without traffic (a
	// facade that is not ready gets none) it would never learn that
	// ModelArts is back.
	probeInterval = 10 * time.Second
	// probeTimeout bounds a probe.
	probeTimeout = 5 * time.Second
)

// readiness reports whether the facade should get calls, and if not why,
// in words safe to show anyone who can reach the admin listener, and the
// error behind it, for the log:
//
//   - its own IAM token, when its credentials use one, must have been
//     obtained and be usable (a facade that cannot get one would fail
//     every call that relies on it);
//   - unless ReadinessIgnoresUpstream, ModelArts must answer (see
//     modelarts.Client.Reachable: sustained failure, not one failed call).
func (s *Server) readiness(ctx context.Context, now time.Time) (bool, string, error) {
	if c, ok := s.opts.Credentials.(interface{ Ready() error }); ok {
		if err := c.Ready(); err != nil {
			return false, "waiting for the facade's IAM token", err
		}
	}
	if !s.opts.ReadinessIgnoresUpstream {
		var down *modelarts.UnreachableError
		if err := s.client.Reachable(now); errors.As(err, &down) {
			if now.Sub(s.client.LastAttempt()) >= probeInterval {
				s.probe(ctx)
			}
			return false, "ModelArts has not answered since " + down.Since.UTC().Format(time.RFC3339), down
		}
	}
	return true, "", nil
}

// probe asks ModelArts for an answer in the background, one probe at a
// time.
func (s *Server) probe(ctx context.Context) {
	if !s.probing.CompareAndSwap(false, true) {
		return
	}
	s.probes.Add(1)
	go func() {
		defer s.probes.Done()
		defer s.probing.Store(false)
		pctx, cancel := context.WithTimeout(ctx, probeTimeout)
		defer cancel()
		if err := s.client.Probe(pctx); err != nil {
			s.logger.Debug("ModelArts probe got no answer", slog.Any("error", err))
		}
	}()
}

// watchReadiness evaluates readiness on every tick until ctx is done, and
// publishes it: GET /readyz on the admin listener, and the gRPC health of
// each API service (servedServices; the server as a whole, "", stays SERVING while the
// process serves: it is the liveness signal). Changes are logged. If
// published is not nil, it is called after each evaluation (tests wait on
// it rather than on the next tick, whose evaluation would run beside them).
func (s *Server) watchReadiness(ctx context.Context, ticks <-chan time.Time, published func()) {
	ready, why := false, "starting"
	publish := func() {
		nowReady, nowWhy, cause := s.readiness(ctx, s.opts.Clock.Now())
		if nowReady == ready && nowWhy == why {
			return
		}
		ready, why = nowReady, nowWhy
		status := healthpb.HealthCheckResponse_NOT_SERVING
		if ready {
			status = healthpb.HealthCheckResponse_SERVING
			s.logger.Info("ready")
		} else {
			s.logger.Warn("not ready", slog.String("why", why), slog.Any("error", cause))
		}
		if s.admin != nil {
			s.admin.setReady(ready, why)
		}
		// Health watchers hear of changes only.
		for _, name := range servedServices {
			s.health.SetServingStatus(name, status)
		}
	}
	evaluate := func() {
		publish()
		if published != nil {
			published()
		}
	}
	evaluate()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticks:
			evaluate()
		}
	}
}
