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
	"github.com/devenv-facade/devenv-facade/internal/iamtoken"
	"github.com/devenv-facade/devenv-facade/internal/metrics"
	"github.com/devenv-facade/devenv-facade/internal/modelarts"
	"github.com/devenv-facade/devenv-facade/internal/options"
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

// config is what the flags set: the server's options (their defaults are
// the server's, server.Options.WithDefaults) and what main needs to build
// the rest. Flags whose 0 means none hold 0 here; [config.options] turns
// it into options.NoLimit or None.
type config struct {
	opts              server.Options
	readinessRequires bool

	grpcAddr, httpAddr, adminAddr string
	endpoint                      string
	logLevel                      string
	logFormat                     string
	debugAddr                     string
	version                       bool
	configFile                    string
	printConfig                   bool
	metrics                       bool

	credentials string
	creds       cloudauth.Config
	signingForm string

	callerTokensFile string
	callersInterval  time.Duration
	tokenHolders     string
	tlsCert, tlsKey  string
	clientCA         string
}

func newFlags(cfg *config) *envflag.Set {
	defaults := server.Options{}.WithDefaults()
	o := &cfg.opts
	fs := envflag.New("devenv-facade")
	fs.ConfigFile(&cfg.configFile, "config", "DEVENV_FACADE_CONFIG",
		"YAML file of settings, keyed by flag name (upstream-timeout: 30s); flags and variables win over it; secrets only by their -file flags")
	fs.String(&cfg.grpcAddr, "grpc-addr", "DEVENV_FACADE_GRPC_ADDR", "127.0.0.1:9090", "address the gRPC server listens on")
	fs.String(&cfg.httpAddr, "http-addr", "DEVENV_FACADE_HTTP_ADDR", "127.0.0.1:8080", "address the REST mirror listens on; empty disables it")
	fs.String(&cfg.adminAddr, "admin-addr", "DEVENV_FACADE_ADMIN_ADDR", "127.0.0.1:8081",
		"address of the admin listener: HTTP /healthz and /readyz and gRPC health, plaintext and without caller authentication, for probes (in Kubernetes, bind the pod IP or 0.0.0.0); empty disables it")
	fs.String(&cfg.endpoint, "modelarts-endpoint", "DEVENV_FACADE_MODELARTS_ENDPOINT", "",
		"ModelArts base URL, e.g. https://modelarts.eu-de.otc.t-systems.com; empty starts the embedded emulator")
	fs.Duration(&o.UpstreamTimeout, "upstream-timeout", "DEVENV_FACADE_UPSTREAM_TIMEOUT", defaults.UpstreamTimeout,
		"longest wait for one ModelArts call (retries included), whatever the caller's deadline").Between(100*time.Millisecond, 10*time.Minute)
	fs.Duration(&o.ShutdownGrace, "shutdown-grace", "DEVENV_FACADE_SHUTDOWN_GRACE", defaults.ShutdownGrace,
		"on SIGINT/SIGTERM, how long in-flight calls may finish before they are cancelled").Between(100*time.Millisecond, time.Hour)
	fs.Int(&o.Retry.MaxAttempts, "retry-max-attempts", "DEVENV_FACADE_RETRY_MAX_ATTEMPTS", defaults.Retry.MaxAttempts,
		"attempts per idempotent call (get, list, update, delete), the first included; 1 disables retries; create, start and stop are always sent once").Between(1, 10)
	fs.Duration(&o.Retry.InitialBackoff, "retry-initial-backoff", "DEVENV_FACADE_RETRY_INITIAL_BACKOFF", defaults.Retry.InitialBackoff,
		"upper bound of the first retry's jittered wait; doubles per retry").Between(time.Millisecond, time.Minute)
	fs.Duration(&o.Retry.MaxBackoff, "retry-max-backoff", "DEVENV_FACADE_RETRY_MAX_BACKOFF", defaults.Retry.MaxBackoff,
		"largest upper bound of a retry's jittered wait; at least --retry-initial-backoff").Between(time.Millisecond, 5*time.Minute)
	fs.Duration(&o.Retry.MaxRetryAfter, "retry-max-retry-after", "DEVENV_FACADE_RETRY_MAX_RETRY_AFTER", defaults.Retry.MaxRetryAfter,
		"longest Retry-After the facade waits out before retrying; longer ones go back to the caller").Between(time.Second, 10*time.Minute)
	fs.Duration(&o.Retry.AttemptTimeout, "upstream-attempt-timeout", "DEVENV_FACADE_UPSTREAM_ATTEMPT_TIMEOUT", defaults.Retry.AttemptTimeout,
		"longest wait for one attempt, so a stalled connection leaves time to retry; 0s: no bound but the call's").Between(0, 10*time.Minute)
	fs.Int(&o.MaxUpstreamInFlight, "max-upstream-inflight", "DEVENV_FACADE_MAX_UPSTREAM_INFLIGHT", defaults.MaxUpstreamInFlight,
		"most calls in flight to ModelArts; beyond it calls get RESOURCE_EXHAUSTED (0: no cap)").Between(0, 1_000_000)
	fs.Duration(&o.MaxUpstreamWait, "max-upstream-wait", "DEVENV_FACADE_MAX_UPSTREAM_WAIT", defaults.MaxUpstreamWait,
		"how long a call beyond --max-upstream-inflight may wait for a slot before it is refused (0s: refused at once)").Between(0, time.Minute)
	fs.Duration(&o.RequestReadTimeout, "request-read-timeout", "DEVENV_FACADE_REQUEST_READ_TIMEOUT", defaults.RequestReadTimeout,
		"how long a caller may take to deliver its request once it started a call (gRPC headers sent, REST request opened)").Between(100*time.Millisecond, 5*time.Minute)
	fs.Duration(&o.MaxConnectionAge, "max-connection-age", "DEVENV_FACADE_MAX_CONNECTION_AGE", defaults.MaxConnectionAge,
		"how long a gRPC connection may live before the client is asked to reconnect (so that new replicas get clients; calls in flight finish); 0s: no limit").Between(0, 24*time.Hour)
	fs.Int(&o.MaxConnections, "max-connections", "DEVENV_FACADE_MAX_CONNECTIONS", defaults.MaxConnections,
		"most open connections on each of the gRPC and REST listeners; more wait in the listen backlog (0: no cap)").Between(0, 1_000_000)
	fs.Duration(&o.MaxWait, "max-wait", "DEVENV_FACADE_MAX_WAIT", defaults.MaxWait,
		"longest a call with wait set (create, start, stop, delete) waits for the instance's state, whatever the caller's deadline").Between(time.Second, 2*time.Hour)
	fs.Int(&o.MaxWaits, "max-waits", "DEVENV_FACADE_MAX_WAITS", defaults.MaxWaits,
		"most calls with wait set waiting at once; beyond it they get RESOURCE_EXHAUSTED before anything is sent to ModelArts (0: no cap)").Between(0, 1_000_000)
	fs.Duration(&o.PollInterval, "poll-interval", "DEVENV_FACADE_POLL_INTERVAL", defaults.PollInterval,
		"first pause between reads of an instance a call waits for; grows by half, with jitter, up to 5s (or this, if longer)").Between(100*time.Millisecond, time.Minute)
	fs.Choice(&cfg.logLevel, "log-level", "DEVENV_FACADE_LOG_LEVEL", "info", []string{"debug", "info", "warn", "error"}, "least severe level logged")
	fs.Choice(&cfg.logFormat, "log-format", "DEVENV_FACADE_LOG_FORMAT", "auto", []string{"auto", "text", "json"},
		"log line format; auto: text on a terminal, JSON otherwise (a container, a file, a pipe)")
	fs.Bool(&cfg.readinessRequires, "readiness-requires-modelarts", "DEVENV_FACADE_READINESS_REQUIRES_MODELARTS", !defaults.ReadinessIgnoresUpstream,
		"report not ready (/readyz, the service's gRPC health) while ModelArts has not answered 3 requests in a row for 30s")
	fs.Bool(&cfg.metrics, "metrics", "DEVENV_FACADE_METRICS", true,
		"keep Prometheus metrics and serve them at /metrics on the admin listener (--admin-addr)")
	fs.String(&cfg.debugAddr, "debug-addr", "DEVENV_FACADE_DEBUG_ADDR", "",
		"loopback address for Go's pprof profiling endpoints (/debug/pprof/); empty disables them")
	fs.Bool(&cfg.version, "version", "", false, "print the version, commit and Go version, and exit")
	fs.PrintConfigFlag(&cfg.printConfig, "print-config",
		"print every setting's effective value and where it came from (flag, env, file or default), secrets redacted, and exit")

	// Upstream credentials (package cloudauth).
	c := &cfg.creds
	fs.Choice(&cfg.credentials, "credentials", "DEVENV_FACADE_CREDENTIALS", "auto", []string{"auto", "none", "token", "password", "aksk", "cloud"},
		"upstream credential source: auto (the first configured of cloud, aksk, password, token; none if nothing is), or one of them")
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
	fs.Choice(&cfg.signingForm, "signing-form", "DEVENV_FACADE_SIGNING_FORM", string(cloudauth.FormCredential),
		[]string{string(cloudauth.FormCredential), string(cloudauth.FormAccess)},
		"SDK-HMAC-SHA256 Authorization form: credential (as gophertelekomcloud) or access (as Huawei's SDKs)")
	fs.String(&c.SigningRegion, "signing-region", "DEVENV_FACADE_SIGNING_REGION", "", "region in the credential form's signing scope (empty on OTC)")
	fs.String(&c.SigningService, "signing-service", "DEVENV_FACADE_SIGNING_SERVICE", "", "service in the credential form's signing scope (empty on OTC)")
	fs.String(&c.Cloud, "cloud", "OS_CLOUD", "", "cloud in clouds.yaml (./, ~/.config/openstack/, /etc/openstack/; secure.yaml too)")
	fs.Bool(&o.DisableTokenPassthrough, "no-token-passthrough", "DEVENV_FACADE_NO_TOKEN_PASSTHROUGH", false,
		"ignore callers' X-Auth-Token and always use the facade's own credentials")

	// Securing the facade.
	fs.String(&cfg.callerTokensFile, "caller-tokens-file", "DEVENV_FACADE_CALLER_TOKENS_FILE", "",
		"YAML file of callers (name, token_sha256, projects); enables caller authentication; re-read when its content changes and on SIGHUP")
	fs.Duration(&cfg.callersInterval, "caller-tokens-check-interval", "DEVENV_FACADE_CALLER_TOKENS_CHECK_INTERVAL", 2*time.Second,
		"how often the callers file is read to see whether its content changed").Between(100*time.Millisecond, 24*time.Hour)
	fs.Choice(&cfg.tokenHolders, "token-holders", "DEVENV_FACADE_TOKEN_HOLDERS", callerauth.RefuseTokenHolders.String(), callerauth.TokenHolderPolicies(),
		"with --caller-tokens-file, calls with their own X-Auth-Token but no bearer token or listed certificate: refuse them, forward them on their token alone (never the facade's credentials), or validate the token with IAM first (--iam-endpoint, or --cloud's)")
	fs.String(&cfg.tlsCert, "tls-cert", "DEVENV_FACADE_TLS_CERT", "", "server certificate (PEM) for gRPC and the REST mirror")
	fs.String(&cfg.tlsKey, "tls-key", "DEVENV_FACADE_TLS_KEY", "", "server private key (PEM)")
	fs.String(&cfg.clientCA, "client-ca", "DEVENV_FACADE_CLIENT_CA", "", "CA certificates (PEM); clients must present a certificate they signed (mutual TLS)")
	fs.Bool(&o.Insecure, "insecure", "DEVENV_FACADE_INSECURE", false,
		"allow listening beyond loopback with no caller authentication (neither --caller-tokens-file nor --client-ca)")
	return fs
}

// options returns the server's options the flags ask for: a flag's 0
// that means none becomes options.NoLimit or None, which the server takes
// for none (its zero means the default).
func (cfg *config) options() server.Options {
	o := cfg.opts
	o.MaxUpstreamInFlight = options.ZeroMeans(o.MaxUpstreamInFlight, options.NoLimit)
	o.MaxUpstreamWait = options.ZeroMeans(o.MaxUpstreamWait, options.None)
	o.MaxConnectionAge = options.ZeroMeans(o.MaxConnectionAge, options.NoLimit)
	o.MaxConnections = options.ZeroMeans(o.MaxConnections, options.NoLimit)
	o.MaxWaits = options.ZeroMeans(o.MaxWaits, options.NoLimit)
	o.Retry.AttemptTimeout = options.ZeroMeans(o.Retry.AttemptTimeout, options.NoLimit)
	o.ReadinessIgnoresUpstream = !cfg.readinessRequires
	return o
}

// check refuses settings the facade would refuse, before it starts
// anything: the server's own check of its options (server.Options.Validate),
// said with the flags' names, and the one thing only flags can get wrong:
// a token-holder policy without the callers file it belongs to.
func (cfg *config) check() error {
	if cfg.tokenHolders != callerauth.RefuseTokenHolders.String() && cfg.callerTokensFile == "" {
		return fmt.Errorf("--token-holders %s needs --caller-tokens-file: without caller authentication every caller's X-Auth-Token is forwarded already", cfg.tokenHolders)
	}
	return withFlagNames(cfg.options().Validate())
}

// optionFlags names the flag that sets each server option an
// *options.Error may name.
var optionFlags = map[string]string{
	"UpstreamTimeout":          "upstream-timeout",
	"ShutdownGrace":            "shutdown-grace",
	"Retry.MaxAttempts":        "retry-max-attempts",
	"Retry.InitialBackoff":     "retry-initial-backoff",
	"Retry.MaxBackoff":         "retry-max-backoff",
	"Retry.MaxRetryAfter":      "retry-max-retry-after",
	"Retry.AttemptTimeout":     "upstream-attempt-timeout",
	"MaxUpstreamInFlight":      "max-upstream-inflight",
	"MaxUpstreamWait":          "max-upstream-wait",
	"RequestReadTimeout":       "request-read-timeout",
	"MaxConnectionAge":         "max-connection-age",
	"MaxConnections":           "max-connections",
	"MaxWait":                  "max-wait",
	"MaxWaits":                 "max-waits",
	"PollInterval":             "poll-interval",
	"ReadinessIgnoresUpstream": "readiness-requires-modelarts",
	"DisableTokenPassthrough":  "no-token-passthrough",
	"Insecure":                 "insecure",
	"Callers":                  "caller-tokens-file",
	"Callers.TokenHolders":     "token-holders",
	"TLS":                      "tls-cert",
	"TLS.ClientCAs":            "client-ca",
	"GRPCListener":             "grpc-addr",
	"Endpoint":                 "modelarts-endpoint",
}

// withFlagNames says err, if it is an *options.Error, with the flags'
// names instead of the options'.
func withFlagNames(err error) error {
	var oe *options.Error
	if !errors.As(err, &oe) {
		return err
	}
	return errors.New(oe.Describe(func(field string) string {
		if f, ok := optionFlags[field]; ok {
			return "--" + f
		}
		return field
	}))
}

// tokenHolderPolicy returns the token-holder policy the flags ask for and, to
// validate tokens, a validator asking the IAM endpoint the credential flags
// name (--iam-endpoint, else --cloud's).
func (cfg *config) tokenHolderPolicy(httpClient *http.Client) (callerauth.TokenHolderPolicy, callerauth.TokenValidator, error) {
	policy, err := callerauth.ParseTokenHolderPolicy(cfg.tokenHolders)
	if err != nil || policy != callerauth.ValidateTokenHolders {
		return policy, nil, err
	}
	endpoint, err := cloudauth.IAMEndpoint(cfg.creds)
	switch {
	case err != nil:
		return 0, nil, fmt.Errorf("--token-holders validate: finding IAM: %w", err)
	case endpoint == "":
		return 0, nil, errors.New("--token-holders validate needs IAM's endpoint: set --iam-endpoint (OS_AUTH_URL), or a --cloud that names one")
	}
	v, err := iamtoken.New(httpClient, endpoint, iamtoken.Options{})
	if err != nil {
		return 0, nil, fmt.Errorf("--token-holders validate: %w", err)
	}
	return policy, v, nil
}

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
	logger.Info("devenv-facade starting", slog.String("version", buildinfo.Read().String()))
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
	opts.Endpoint, opts.Credentials, opts.HTTPClient = endpoint, creds, httpClient
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

// newLogger returns the logger for the level and format flags (already
// checked by their Choice flags).
func newLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	opts := &slog.HandlerOptions{Level: lvl, ReplaceAttr: durationsInMillis}
	if format == "json" || (format == "auto" && !isTerminal(w)) {
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return slog.New(slog.NewTextHandler(w, opts)), nil
}

// durationsInMillis writes a duration attribute as milliseconds under its
// key with "_ms" appended (grace: 20s becomes grace_ms: 20000), the unit of
// every duration the facade logs (duration_ms, grace_ms, shutdown_ms): slog
// writes a time.Duration as nanoseconds in JSON and as "20s" in text, so
// the same key would carry different units. The facade logs durations that
// way already; this keeps a duration added later from slipping through.
func durationsInMillis(_ []string, a slog.Attr) slog.Attr {
	if a.Value.Kind() != slog.KindDuration {
		return a
	}
	return slog.Float64(a.Key+"_ms", float64(a.Value.Duration().Microseconds())/1000)
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
