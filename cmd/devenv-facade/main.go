// Command devenv-facade serves DevEnvService over gRPC and its REST mirror
// over HTTP, in front of the ModelArts DevEnviron API.
//
// With no --modelarts-endpoint it starts the embedded ModelArts emulator on
// loopback and uses it, so `go run ./cmd/devenv-facade` is a working demo.
// Run it with --help for the flags and their environment variables.
package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/devenv-facade/devenv-facade/internal/buildinfo"
	"github.com/devenv-facade/devenv-facade/internal/callerauth"
	"github.com/devenv-facade/devenv-facade/internal/cloudauth"
	"github.com/devenv-facade/devenv-facade/internal/emulator"
	"github.com/devenv-facade/devenv-facade/internal/envflag"
	"github.com/devenv-facade/devenv-facade/internal/logjson"
	"github.com/devenv-facade/devenv-facade/internal/metrics"
	"github.com/devenv-facade/devenv-facade/internal/modelarts"
	"github.com/devenv-facade/devenv-facade/internal/server"
	"github.com/devenv-facade/devenv-facade/internal/telemetry"
)

// embeddedToken is the token the facade sends to the embedded emulator when
// callers send none and no --auth-token is given. The emulator accepts any
// token; this one only marks where requests came from.
const embeddedToken = "embedded-emulator-token"

const helpHeader = `devenv-facade serves the ModelArts DevEnviron API as the gRPC service
modelarts.devenv.v1.DevEnvService and as a REST mirror of the ModelArts paths.

Without --modelarts-endpoint it runs against an embedded ModelArts emulator
on loopback, seeded with sample instances in project ` + emulator.SampleProjectID + `.`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// The first signal starts the graceful drain; from then on the signals
	// have their default effect again, so a second Ctrl-C ends the process
	// at once.
	context.AfterFunc(ctx, stop)
	if err := run(ctx, os.Args[1:], os.LookupEnv, os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, envflag.ErrHelp) {
			return
		}
		fmt.Fprintf(os.Stderr, "devenv-facade: %v\n", err)
		os.Exit(1)
	}
}

// run is main without the process: arguments, environment and output are
// parameters, so tests can drive it.
func run(ctx context.Context, args []string, lookupEnv func(string) (string, bool), stdout, stderr io.Writer) error {
	var cfg config
	fs := newFlags(&cfg)
	if err := fs.Parse(args, lookupEnv); err != nil {
		if errors.Is(err, envflag.ErrHelp) {
			fs.PrintUsage(stdout, helpHeader)
			return err
		}
		return fmt.Errorf("%w (see --help)", err)
	}
	if cfg.version {
		fmt.Fprintf(stdout, "devenv-facade %s\n", buildinfo.Read())
		return nil
	}
	if err := cfg.check(); err != nil {
		return fmt.Errorf("%w (see --help)", err)
	}
	if cfg.printConfig {
		return fs.PrintConfig(stdout)
	}
	logger, err := newLogger(stderr, cfg.logLevel, cfg.logFormat)
	if err != nil {
		return err
	}
	if f, ok := logger.Handler().(interface{ Flush() }); ok {
		defer f.Flush() // the lines still waiting: for logLinger, or for another line's write
	}
	logger.Info("devenv-facade starting", slog.String("version", buildinfo.Read().String()))
	setMemoryLimit(logger, memoryLimitProvider)
	if k := keepHeapFloor(logger, cfg.gcHeapFloorMiB); k != nil {
		defer k.Stop()
	}
	// The goroutines started below end with ctx, also when run returns
	// early with an error.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for _, name := range fs.SecretsOnCommandLine() {
		logger.Warn(name + " was given on the command line, where every user of this host can read it (ps, /proc); give " + name + "-file or its environment variable instead")
	}
	for _, w := range fs.Warnings() {
		logger.Warn(w)
	}

	var m *metrics.Metrics
	if cfg.metrics {
		m = metrics.New()
	}
	httpClient := modelarts.NewHTTPClient(cfg.opts.MaxUpstreamInFlight) // 0 (no cap): the client's default
	defer httpClient.CloseIdleConnections()
	// ModelArts' calls go over h2c with --modelarts-h2c; IAM's (and the
	// token holders' checks) keep HTTP/1.1 or HTTP/2 by ALPN. They go
	// straight to the transport (modelarts.DirectClient): the calls waiting
	// for ModelArts wait less deep.
	upstreamClient := &modelarts.DirectClient{Transport: httpClient.Transport}
	if cfg.h2c {
		upstreamClient = modelarts.NewDirectClient(modelarts.TransportOptions{MaxIdleConns: cfg.opts.MaxUpstreamInFlight, UnencryptedHTTP2: true})
		defer upstreamClient.CloseIdleConnections()
	}
	cfg.creds.Kind = cloudauth.Kind(cfg.credentials)
	cfg.creds.SigningForm = cloudauth.SigningForm(cfg.signingForm)
	cfg.creds.Logger = logger
	if m != nil {
		cfg.creds.OnTokenRequest = m.IAMTokenRequest
	}
	creds, err := cloudauth.New(cfg.creds, httpClient)
	if err != nil {
		return err
	}

	endpoint := cfg.endpoint
	if endpoint == "" {
		if creds != nil {
			if _, static := creds.(cloudauth.Token); !static {
				return fmt.Errorf("%v is meant for a real ModelArts: set --modelarts-endpoint (the embedded emulator takes any token)", creds)
			}
		}
		emu, err := startEmulator(ctx, logger)
		if err != nil {
			return err
		}
		defer emu.stop()
		endpoint = emu.url
		// With --credentials none the facade holds nothing and callers
		// must bring their own token, as against a real ModelArts.
		if creds == nil && cloudauth.Kind(cfg.credentials) != cloudauth.KindNone {
			creds = cloudauth.Token(embeddedToken)
		}
	}

	if cfg.debugAddr != "" {
		stopDebug, err := serveDebug(ctx, cfg.debugAddr, logger)
		if err != nil {
			return err
		}
		defer stopDebug()
	}

	var callers *callerauth.Authenticator
	if cfg.callerTokensFile != "" {
		holders, validator, err := cfg.tokenHolderPolicy(httpClient)
		if err != nil {
			return err
		}
		callerOpts := callerauth.Options{Logger: logger, TokenHolders: holders, TokenValidator: validator}
		if m != nil {
			callerOpts.OnReload = m.CallersReload
		}
		if callers, err = callerauth.Load(cfg.callerTokensFile, callerOpts); err != nil {
			return err
		}
		ticker := time.NewTicker(cfg.callersInterval)
		defer ticker.Stop()
		go callers.Watch(ctx, ticker.C)
		// Subscribe before anything can send SIGHUP: unsubscribed, the
		// signal would end the process.
		hup := make(chan os.Signal, 1)
		signal.Notify(hup, syscall.SIGHUP)
		defer signal.Stop(hup)
		go reloadOnHangup(ctx, hup, callers)
	}
	var tlsConfig *tls.Config
	if cfg.tlsCert != "" || cfg.tlsKey != "" || cfg.clientCA != "" {
		if tlsConfig, err = server.ServerTLSConfig(cfg.tlsCert, cfg.tlsKey, cfg.clientCA); err != nil {
			return err
		}
	}

	opts := cfg.options()
	opts.Endpoint, opts.Credentials, opts.HTTPClient = endpoint, creds, upstreamClient
	opts.UserAgent = "devenv-facade/" + buildinfo.Read().Version
	opts.Callers, opts.TLS, opts.Logger = callers, tlsConfig, logger
	opts.Metrics = m
	// With the callers in hand, what the settings alone could not show
	// (callers admitted on their own token by a facade that ignores
	// callers' tokens) is refused before anything listens.
	if err := opts.Validate(); err != nil {
		return withFlagNames(err)
	}
	listeners, err := listen(ctx, cfg)
	if err != nil {
		return err
	}
	opts.GRPCListener, opts.HTTPListener, opts.AdminListener = listeners.grpc, listeners.http, listeners.admin
	tracing, err := telemetry.FromEnv(ctx, lookupEnv, buildinfo.Read().Version)
	if err != nil {
		return fmt.Errorf("tracing: %w", err)
	}
	defer func() {
		// The spans of the last calls still go out, within bounds.
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := tracing.Shutdown(sctx); err != nil {
			logger.Warn("exporting the last spans failed", slog.Any("error", err))
		}
	}()
	opts.Tracing = tracing
	return withFlagNames(server.Run(ctx, opts))
}

// listeners are the facade's listeners; http and admin may be nil.
type listeners struct{ grpc, http, admin net.Listener }

// listen opens the listeners cfg asks for; on error it closes those it
// opened.
func listen(ctx context.Context, cfg config) (_ listeners, err error) {
	var l listeners
	var lc net.ListenConfig
	defer func() {
		if err != nil {
			for _, lis := range []net.Listener{l.grpc, l.http, l.admin} {
				if lis != nil {
					lis.Close()
				}
			}
		}
	}()
	if l.grpc, err = lc.Listen(ctx, "tcp", cfg.grpcAddr); err != nil {
		return l, fmt.Errorf("gRPC listener (--grpc-addr): %w", err)
	}
	if cfg.httpAddr != "" {
		if l.http, err = lc.Listen(ctx, "tcp", cfg.httpAddr); err != nil {
			return l, fmt.Errorf("REST mirror listener (--http-addr): %w", err)
		}
	}
	if cfg.adminAddr != "" {
		if l.admin, err = lc.Listen(ctx, "tcp", cfg.adminAddr); err != nil {
			return l, fmt.Errorf("admin listener (--admin-addr): %w", err)
		}
	}
	return l, nil
}

// reloadOnHangup re-reads the callers file on every SIGHUP until ctx ends.
func reloadOnHangup(ctx context.Context, hup <-chan os.Signal, callers *callerauth.Authenticator) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			_ = callers.Reload() // logged by Reload; the old callers stay in force on error
		}
	}
}

// logLinger is how long a JSON log line may wait for others to be written
// with it: under load one write system call per millisecond rather than
// one per call's line (logjson.Options.Linger).
const logLinger = time.Millisecond

// newLogger returns the logger for the level and format flags (already
// checked by their Choice flags).
func newLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	// Durations are written in milliseconds under their key with "_ms"
	// appended (grace: 20s becomes grace_ms: 20000), the unit of every
	// duration the facade logs (duration_ms, grace_ms, shutdown_ms): slog
	// writes a time.Duration as nanoseconds in JSON and as "20s" in text,
	// so the same key would carry different units. The facade logs
	// durations that way already; this keeps a duration added later from
	// slipping through. JSON lines are slog's JSON handler's, written by
	// logjson (faster for a call's line); a line waits up to logLinger for
	// others to share its write, and run flushes what waits at exit.
	if format == "json" || (format == "auto" && !isTerminal(w)) {
		return slog.New(logjson.NewHandler(w, logjson.Options{Level: lvl, DurationsInMillis: true, Linger: logLinger})), nil
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: lvl, ReplaceAttr: logjson.DurationsInMillis})), nil
}

// embedded is the emulator served in-process on loopback.
type embedded struct {
	url  string
	stop func()
}

// startEmulator serves the ModelArts emulator on a free loopback port. It
// keeps running until stop is called, after the facade has drained, so
// calls in flight during shutdown still get their answers.
func startEmulator(ctx context.Context, logger *slog.Logger) (*embedded, error) {
	var lc net.ListenConfig
	lis, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("embedded emulator: %w", err)
	}
	emu, err := emulator.New(emulator.Options{})
	if err != nil {
		lis.Close()
		return nil, fmt.Errorf("embedded emulator: %w", err)
	}
	srv := &http.Server{
		Handler:           emu,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	emulator.ServeH2C(srv) // for --modelarts-h2c
	go func() { _ = srv.Serve(lis) }()
	url := "http://" + lis.Addr().String()
	logger.Info("no --modelarts-endpoint: using the embedded ModelArts emulator",
		slog.String("url", url), slog.String("sample_project_id", emulator.SampleProjectID))
	return &embedded{url: url, stop: func() { _ = srv.Close() }}, nil
}

// serveDebug serves net/http/pprof, and the runtime's metrics at
// /debug/runtime-metrics, on a loopback address: profiles reveal internals,
// so they are never exposed beyond the host.
func serveDebug(ctx context.Context, addr string, logger *slog.Logger) (stop func(), err error) {
	var lc net.ListenConfig
	lis, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--debug-addr: %w", err)
	}
	if tcp, ok := lis.Addr().(*net.TCPAddr); !ok || !tcp.IP.IsLoopback() {
		lis.Close()
		return nil, fmt.Errorf("--debug-addr %s: the profiling endpoints only listen on loopback", addr)
	}
	// A mux of its own: importing net/http/pprof also registers its
	// handlers, cmdline included, on http.DefaultServeMux, which the facade
	// never serves. Not pprof.Cmdline: the command line may hold a secret.
	// Under the Index handler, /debug/pprof/cmdline is an unknown profile
	// (404).
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	mux.HandleFunc("GET /debug/runtime-metrics", serveRuntimeMetrics)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(lis) }()
	logger.Info("serving profiles", slog.String("addr", lis.Addr().String()))
	return func() { _ = srv.Close() }, nil
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
