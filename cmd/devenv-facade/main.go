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
	"strings"
	"syscall"
	"time"

	"github.com/devenv-facade/devenv-facade/callerauth"
	"github.com/devenv-facade/devenv-facade/cloudauth"
	"github.com/devenv-facade/devenv-facade/emulator"
	"github.com/devenv-facade/devenv-facade/facade"
	"github.com/devenv-facade/devenv-facade/internal/envflag"
	"github.com/devenv-facade/devenv-facade/modelarts"
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
	upstreamTimeout    time.Duration
	shutdownGrace      time.Duration
	retry              modelarts.RetryPolicy
	maxInFlight        int
	maxWait            time.Duration
	logLevel           string
	logFormat          string
	debugAddr          string

	credentials   string
	creds         cloudauth.Config
	signingForm   string
	noPassthrough bool

	callerTokensFile string
	tlsCert, tlsKey  string
	clientCA         string
	insecure         bool
}

func newFlags(cfg *config) *envflag.Set {
	fs := envflag.New("devenv-facade")
	fs.String(&cfg.grpcAddr, "grpc-addr", "DEVENV_FACADE_GRPC_ADDR", "127.0.0.1:9090", "address the gRPC server listens on")
	fs.String(&cfg.httpAddr, "http-addr", "DEVENV_FACADE_HTTP_ADDR", "127.0.0.1:8080", "address the REST mirror listens on; empty disables it")
	fs.String(&cfg.endpoint, "modelarts-endpoint", "DEVENV_FACADE_MODELARTS_ENDPOINT", "",
		"ModelArts base URL, e.g. https://modelarts.eu-de.otc.t-systems.com; empty starts the embedded emulator")
	fs.Duration(&cfg.upstreamTimeout, "upstream-timeout", "DEVENV_FACADE_UPSTREAM_TIMEOUT", facade.DefaultUpstreamTimeout,
		"longest wait for one ModelArts request, whatever the caller's deadline")
	fs.Duration(&cfg.shutdownGrace, "shutdown-grace", "DEVENV_FACADE_SHUTDOWN_GRACE", facade.DefaultShutdownGrace,
		"on SIGINT/SIGTERM, how long in-flight calls may finish before they are cancelled")
	defRetry := modelarts.DefaultRetryPolicy()
	fs.Int(&cfg.retry.MaxAttempts, "retry-max-attempts", "DEVENV_FACADE_RETRY_MAX_ATTEMPTS", defRetry.MaxAttempts,
		"attempts per idempotent call (DELETE), the first included; 1 disables retries")
	fs.Duration(&cfg.retry.InitialBackoff, "retry-initial-backoff", "DEVENV_FACADE_RETRY_INITIAL_BACKOFF", defRetry.InitialBackoff,
		"upper bound of the first retry's jittered wait; doubles per retry")
	fs.Duration(&cfg.retry.MaxBackoff, "retry-max-backoff", "DEVENV_FACADE_RETRY_MAX_BACKOFF", defRetry.MaxBackoff,
		"largest upper bound of a retry's jittered wait")
	fs.Duration(&cfg.retry.MaxRetryAfter, "retry-max-retry-after", "DEVENV_FACADE_RETRY_MAX_RETRY_AFTER", defRetry.MaxRetryAfter,
		"longest Retry-After the facade waits out before retrying; longer ones go back to the caller")
	fs.Duration(&cfg.retry.AttemptTimeout, "upstream-attempt-timeout", "DEVENV_FACADE_UPSTREAM_ATTEMPT_TIMEOUT", defRetry.AttemptTimeout,
		"longest wait for one attempt, so a stalled connection leaves time to retry")
	fs.Int(&cfg.maxInFlight, "max-upstream-inflight", "DEVENV_FACADE_MAX_UPSTREAM_INFLIGHT", facade.DefaultMaxUpstreamInFlight,
		"most calls in flight to ModelArts; beyond it calls get RESOURCE_EXHAUSTED (0 or less: no cap)")
	fs.Duration(&cfg.maxWait, "max-upstream-wait", "DEVENV_FACADE_MAX_UPSTREAM_WAIT", facade.DefaultMaxUpstreamWait,
		"how long a call beyond --max-upstream-inflight may wait for a slot before it is refused")
	fs.String(&cfg.logLevel, "log-level", "DEVENV_FACADE_LOG_LEVEL", "info", "debug, info, warn or error")
	fs.String(&cfg.logFormat, "log-format", "DEVENV_FACADE_LOG_FORMAT", "text", "text or json")
	fs.String(&cfg.debugAddr, "debug-addr", "DEVENV_FACADE_DEBUG_ADDR", "",
		"loopback address for Go's pprof profiling endpoints (/debug/pprof/); empty disables them")

	// Upstream credentials (package cloudauth).
	c := &cfg.creds
	fs.String(&cfg.credentials, "credentials", "DEVENV_FACADE_CREDENTIALS", "auto",
		"upstream credential source: auto (the first configured of cloud, aksk, password, token), none, token, password, aksk or cloud")
	fs.Secret(&c.Token, "auth-token", "OS_TOKEN", "static IAM token for ModelArts")
	fs.String(&c.IAM.Endpoint, "iam-endpoint", "OS_AUTH_URL", "", "IAM v3 endpoint, e.g. https://iam.eu-de.otc.t-systems.com/v3")
	fs.String(&c.IAM.Username, "username", "OS_USERNAME", "", "IAM user name")
	fs.Secret(&c.IAM.Password, "password", "OS_PASSWORD", "IAM user password")
	fs.String(&c.IAM.DomainName, "domain-name", "OS_DOMAIN_NAME", "", "IAM domain (account) name of the user")
	fs.String(&c.IAM.ProjectName, "project-name", "OS_PROJECT_NAME", "", "project the IAM token is scoped to, e.g. eu-de")
	fs.String(&c.IAM.ProjectID, "project-id", "OS_PROJECT_ID", "", "project ID the IAM token is scoped to (instead of --project-name)")
	fs.Secret(&c.AccessKey, "access-key", "OS_ACCESS_KEY", "access key (AK) for request signing")
	fs.Secret(&c.SecretKey, "secret-key", "OS_SECRET_KEY", "secret key (SK) for request signing")
	fs.Secret(&c.SecurityToken, "security-token", "OS_SECURITY_TOKEN", "security token of a temporary AK/SK, sent as X-Security-Token")
	fs.String(&cfg.signingForm, "signing-form", "DEVENV_FACADE_SIGNING_FORM", string(cloudauth.FormCredential),
		"SDK-HMAC-SHA256 Authorization form: credential (as gophertelekomcloud) or access (as Huawei's SDKs)")
	fs.String(&c.SigningRegion, "signing-region", "DEVENV_FACADE_SIGNING_REGION", "", "region in the credential form's signing scope (empty on OTC)")
	fs.String(&c.SigningService, "signing-service", "DEVENV_FACADE_SIGNING_SERVICE", "", "service in the credential form's signing scope (empty on OTC)")
	fs.String(&c.Cloud, "cloud", "OS_CLOUD", "", "cloud in clouds.yaml (./, ~/.config/openstack/, /etc/openstack/; secure.yaml too)")
	fs.Bool(&cfg.noPassthrough, "no-token-passthrough", "DEVENV_FACADE_NO_TOKEN_PASSTHROUGH", false,
		"ignore callers' X-Auth-Token and always use the facade's own credentials")

	// Securing the facade.
	fs.String(&cfg.callerTokensFile, "caller-tokens-file", "DEVENV_FACADE_CALLER_TOKENS_FILE", "",
		"YAML file of callers (name, token_sha256, projects); enables caller authentication; re-read on change and SIGHUP")
	fs.String(&cfg.tlsCert, "tls-cert", "DEVENV_FACADE_TLS_CERT", "", "server certificate (PEM) for gRPC and the REST mirror")
	fs.String(&cfg.tlsKey, "tls-key", "DEVENV_FACADE_TLS_KEY", "", "server private key (PEM)")
	fs.String(&cfg.clientCA, "client-ca", "DEVENV_FACADE_CLIENT_CA", "", "CA certificates (PEM); clients must present a certificate they signed (mutual TLS)")
	fs.Bool(&cfg.insecure, "insecure", "DEVENV_FACADE_INSECURE", false,
		"allow listening beyond loopback with neither TLS nor caller authentication")
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

	httpClient := modelarts.NewHTTPClient(max(cfg.maxInFlight, 0))
	defer httpClient.CloseIdleConnections()
	cfg.creds.Kind = cloudauth.Kind(cfg.credentials)
	cfg.creds.SigningForm = cloudauth.SigningForm(cfg.signingForm)
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
		if creds == nil {
			creds = cloudauth.Token(embeddedToken)
		}
	}
	logger.Info("upstream credentials", slog.Any("source", describe(creds)), slog.Bool("caller_token_passthrough", !cfg.noPassthrough))

	if cfg.debugAddr != "" {
		stopDebug, err := serveDebug(ctx, cfg.debugAddr, logger)
		if err != nil {
			return err
		}
		defer stopDebug()
	}

	var callers *callerauth.Authenticator
	if cfg.callerTokensFile != "" {
		if callers, err = callerauth.Load(cfg.callerTokensFile, logger); err != nil {
			return err
		}
		go callers.Watch(ctx, 2*time.Second)
		// Subscribe before anything can send SIGHUP: unsubscribed, the
		// signal would end the process.
		hup := make(chan os.Signal, 1)
		signal.Notify(hup, syscall.SIGHUP)
		defer signal.Stop(hup)
		go reloadOnHangup(ctx, hup, callers)
	}
	var tlsConfig *tls.Config
	if cfg.tlsCert != "" || cfg.tlsKey != "" || cfg.clientCA != "" {
		if tlsConfig, err = facade.ServerTLSConfig(cfg.tlsCert, cfg.tlsKey, cfg.clientCA); err != nil {
			return err
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
		GRPCListener:            grpcLis,
		HTTPListener:            httpLis,
		Endpoint:                endpoint,
		Credentials:             creds,
		DisableTokenPassthrough: cfg.noPassthrough,
		UpstreamTimeout:         cfg.upstreamTimeout,
		Retry:                   cfg.retry,
		MaxUpstreamInFlight:     inflightCap(cfg.maxInFlight),
		MaxUpstreamWait:         cfg.maxWait,
		HTTPClient:              httpClient,
		UserAgent:               "devenv-facade",
		Callers:                 callers,
		TLS:                     tlsConfig,
		Insecure:                cfg.insecure,
		ShutdownGrace:           cfg.shutdownGrace,
		Logger:                  logger,
	})
}

// inflightCap turns the flag's "0 or less: no cap" into facade.Options'
// "negative: no cap" (where zero means the default).
func inflightCap(n int) int {
	if n <= 0 {
		return -1
	}
	return n
}

// describe names the credential source for the log, never its secrets.
func describe(creds modelarts.Credentials) string {
	if creds == nil {
		return "none: every caller must send its own X-Auth-Token"
	}
	return fmt.Sprint(creds)
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

// serveDebug serves net/http/pprof on a loopback address: profiles reveal
// internals, so they are never exposed beyond the host.
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
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(lis) }()
	logger.Info("serving profiles", slog.String("addr", lis.Addr().String()))
	return func() { _ = srv.Close() }, nil
}
