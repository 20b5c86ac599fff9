// Command devenv-facade serves DevEnvService over gRPC and its REST mirror
// over HTTP, in front of the ModelArts DevEnviron API.
//
// With no --modelarts-endpoint it starts the embedded ModelArts emulator on
// loopback and uses it, so `go run ./cmd/devenv-facade` is a working demo.
// Run it with --help for the flags and their environment variables.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/devenv-facade/devenv-facade/emulator"
	"github.com/devenv-facade/devenv-facade/facade"
	"github.com/devenv-facade/devenv-facade/internal/envflag"
)

// embeddedToken is the token the facade sends to the embedded emulator when
// callers send none and no --auth-token is given. The emulator accepts any
// token; this one only marks where requests came from.
const embeddedToken = "embedded-emulator-token"

const helpHeader = `devenv-facade serves the ModelArts DevEnviron API as the gRPC service
modelarts.devenv.v1.DevEnvService and as a REST mirror of the ModelArts paths.

Without --modelarts-endpoint it runs against an embedded ModelArts emulator
on loopback, seeded with sample instances in project ` + emulator.SampleProjectID + `.`

type config struct {
	grpcAddr, httpAddr string
	endpoint           string
	authToken          string
	upstreamTimeout    time.Duration
	shutdownGrace      time.Duration
	logLevel           string
	logFormat          string
}

func newFlags(cfg *config) *envflag.Set {
	fs := envflag.New("devenv-facade")
	fs.String(&cfg.grpcAddr, "grpc-addr", "DEVENV_FACADE_GRPC_ADDR", "127.0.0.1:9090", "address the gRPC server listens on")
	fs.String(&cfg.httpAddr, "http-addr", "DEVENV_FACADE_HTTP_ADDR", "127.0.0.1:8080", "address the REST mirror listens on; empty disables it")
	fs.String(&cfg.endpoint, "modelarts-endpoint", "DEVENV_FACADE_MODELARTS_ENDPOINT", "",
		"ModelArts base URL, e.g. https://modelarts.eu-de.otc.t-systems.com; empty starts the embedded emulator")
	fs.Secret(&cfg.authToken, "auth-token", "OS_TOKEN",
		"IAM token sent to ModelArts when a caller sends no x-auth-token of its own")
	fs.Duration(&cfg.upstreamTimeout, "upstream-timeout", "DEVENV_FACADE_UPSTREAM_TIMEOUT", facade.DefaultUpstreamTimeout,
		"longest wait for one ModelArts request, whatever the caller's deadline")
	fs.Duration(&cfg.shutdownGrace, "shutdown-grace", "DEVENV_FACADE_SHUTDOWN_GRACE", facade.DefaultShutdownGrace,
		"on SIGINT/SIGTERM, how long in-flight calls may finish before they are cancelled")
	fs.String(&cfg.logLevel, "log-level", "DEVENV_FACADE_LOG_LEVEL", "info", "debug, info, warn or error")
	fs.String(&cfg.logFormat, "log-format", "DEVENV_FACADE_LOG_FORMAT", "text", "text or json")
	return fs
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
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
	logger, err := newLogger(stderr, cfg.logLevel, cfg.logFormat)
	if err != nil {
		return err
	}

	endpoint, authToken := cfg.endpoint, cfg.authToken
	if endpoint == "" {
		emu, err := startEmulator(ctx, logger)
		if err != nil {
			return err
		}
		defer emu.stop()
		endpoint = emu.url
		if authToken == "" {
			authToken = embeddedToken
		}
	}

	var lc net.ListenConfig
	grpcLis, err := lc.Listen(ctx, "tcp", cfg.grpcAddr)
	if err != nil {
		return fmt.Errorf("gRPC listener: %w", err)
	}
	var httpLis net.Listener
	if cfg.httpAddr != "" {
		if httpLis, err = lc.Listen(ctx, "tcp", cfg.httpAddr); err != nil {
			grpcLis.Close()
			return fmt.Errorf("REST mirror listener: %w", err)
		}
	}
	return facade.Run(ctx, facade.Options{
		GRPCListener:    grpcLis,
		HTTPListener:    httpLis,
		Endpoint:        endpoint,
		AuthToken:       authToken,
		UpstreamTimeout: cfg.upstreamTimeout,
		ShutdownGrace:   cfg.shutdownGrace,
		UserAgent:       "devenv-facade",
		Logger:          logger,
	})
}

func newLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	opts := &slog.HandlerOptions{Level: lvl}
	switch strings.ToLower(format) {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format: %q is neither text nor json", format)
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
	srv := &http.Server{
		Handler:           emulator.New(),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	go func() { _ = srv.Serve(lis) }()
	url := "http://" + lis.Addr().String()
	logger.Info("no --modelarts-endpoint: using the embedded ModelArts emulator",
		slog.String("url", url), slog.String("sample_project_id", emulator.SampleProjectID))
	return &embedded{url: url, stop: func() { _ = srv.Close() }}, nil
}
