package server

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/reflection"

	"github.com/devenv-facade/devenv-facade/internal/apierror"
)

// adminServer serves health and readiness on the admin listener, without
// authentication and in plaintext, for probes and operators:
//
//   - GET /healthz: 200 while the process serves (liveness);
//   - GET /readyz: 200 "ready" while the facade should get calls; 503
//     "not ready: <why>" before it serves, while its IAM token cannot be
//     obtained, while ModelArts does not answer (see Server.readiness),
//     and once it is shutting down (readiness);
//   - GET /metrics: the Prometheus metrics, when the facade keeps them;
//   - gRPC grpc.health.v1.Health (Check and Watch) over HTTP/2 without TLS
//     ("h2c", as Kubernetes' gRPC probes speak it), sharing the main gRPC
//     server's health statuses, and reflection that lists only the health
//     service, so that `grpcurl -plaintext <admin> grpc.health.v1.Health/Check`
//     works without proto files.
//
// It serves nothing else: no API, no profiles. Metrics name methods,
// codes and counts, never callers, tokens or instance IDs.
type adminServer struct {
	ready  atomic.Bool
	why    atomic.Pointer[string] // why not ready; nil: not said
	grpc   *grpc.Server
	server *http.Server
}

// Bounds of the admin listener, which anyone who reaches it may use.
const (
	// adminStreamsPerConn bounds concurrent calls on one admin connection.
	adminStreamsPerConn = 16
	// adminWatches bounds open health watches across all connections.
	adminWatches = 64
)

func newAdminServer(hs *health.Server, logger *slog.Logger, metrics http.Handler) *adminServer {
	watches := make(chan struct{}, adminWatches)
	a := &adminServer{grpc: grpc.NewServer(grpc.MaxRecvMsgSize(4<<10),
		grpc.StreamInterceptor(func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
			select {
			case watches <- struct{}{}:
				defer func() { <-watches }()
				return handler(srv, ss)
			default:
				return apierror.New(codes.ResourceExhausted, apierror.ReasonOverloaded,
					"too many health watches are open on the admin listener; retry later", requestIDOf(ss.Context()))
			}
		}))}
	healthpb.RegisterHealthServer(a.grpc, hs)
	reflection.Register(a.grpc)

	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeText(w, http.StatusOK, "ok")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		if a.ready.Load() {
			writeText(w, http.StatusOK, "ready")
			return
		}
		text := "not ready"
		if why := a.why.Load(); why != nil {
			text += ": " + *why
		}
		writeText(w, http.StatusServiceUnavailable, text)
	})
	if metrics != nil {
		mux.Handle("GET /metrics", metrics)
	}
	var protocols http.Protocols
	protocols.SetHTTP1(true)
	protocols.SetUnencryptedHTTP2(true)
	a.server = &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.ProtoMajor == 2 && strings.HasPrefix(r.Header.Get("Content-Type"), "application/grpc") {
				a.grpc.ServeHTTP(w, r)
				return
			}
			mux.ServeHTTP(w, r)
		}),
		Protocols:         &protocols,
		HTTP2:             &http.HTTP2Config{MaxConcurrentStreams: adminStreamsPerConn},
		ReadHeaderTimeout: 5 * time.Second,
		IdleTimeout:       time.Minute,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	return a
}

func writeText(w http.ResponseWriter, code int, text string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_, _ = io.WriteString(w, text+"\n")
}

// setReady sets readiness, and why it is not ready ("" when it is).
func (a *adminServer) setReady(ready bool, why string) {
	a.why.Store(&why)
	a.ready.Store(ready)
}

func (a *adminServer) serve(lis net.Listener) error {
	if err := a.server.Serve(lis); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// close stops the admin listener; health watches on it end.
func (a *adminServer) close() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	a.grpc.Stop()
	if err := a.server.Shutdown(ctx); err != nil {
		_ = a.server.Close()
	}
}
