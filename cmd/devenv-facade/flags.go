package main

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/devenv-facade/devenv-facade/internal/callerauth"
	"github.com/devenv-facade/devenv-facade/internal/cloudauth"
	"github.com/devenv-facade/devenv-facade/internal/envflag"
	"github.com/devenv-facade/devenv-facade/internal/iamtoken"
	"github.com/devenv-facade/devenv-facade/internal/options"
	"github.com/devenv-facade/devenv-facade/internal/server"
)

// config is what the flags set: the server's options (their defaults are
// the server's, server.Options.WithDefaults) and what main needs to build
// the rest. Flags whose 0 means none hold 0 here; [config.options] turns
// it into options.NoLimit or None.
type config struct {
	opts              server.Options
	readinessRequires bool

	grpcAddr, httpAddr, adminAddr string
	endpoint                      string
	h2c                           bool
	logLevel                      string
	logFormat                     string
	debugAddr                     string
	version                       bool
	configFile                    string
	printConfig                   bool
	metrics                       bool
	gcHeapFloorMiB                int

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
	fs.Bool(&cfg.h2c, "modelarts-h2c", "DEVENV_FACADE_MODELARTS_H2C", false,
		"speak HTTP/2 without TLS (h2c, prior knowledge) to an http:// --modelarts-endpoint that serves it, such as a service mesh's sidecar or the emulator: calls share a few connections instead of taking one each; an upstream without it fails every call (https:// endpoints negotiate HTTP/2 by themselves)")
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
	fs.Bool(&o.DisableReadCoalescing, "no-read-coalescing", "DEVENV_FACADE_NO_READ_COALESCING", false,
		"send every read to ModelArts; by default identical reads in flight at the same time (same credentials, URL and query) share one request")
	fs.Duration(&o.ReadFreshFor, "read-fresh-for", "DEVENV_FACADE_READ_FRESH_FOR", 0,
		"how long a read's answer also answers identical reads after it, unless a write through the facade ended since or the caller sends Cache-Control: no-cache (0s: none)").Between(0, time.Minute)
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
	fs.Duration(&o.Watch.PollInterval, "watch-poll-interval", "DEVENV_FACADE_WATCH_POLL_INTERVAL", defaults.Watch.PollInterval,
		"pause between a watch poller's reads of a project's list while any instance or notebook in it is changing state (CREATING, STARTING, STOPPING, ...)").Between(time.Second, time.Minute)
	fs.Duration(&o.Watch.SteadyPollInterval, "watch-steady-poll-interval", "DEVENV_FACADE_WATCH_STEADY_POLL_INTERVAL", defaults.Watch.SteadyPollInterval,
		"pause between a watch poller's reads while none is changing state; at least --watch-poll-interval").Between(time.Second, 10*time.Minute)
	fs.Duration(&o.Watch.BookmarkInterval, "watch-bookmark-interval", "DEVENV_FACADE_WATCH_BOOKMARK_INTERVAL", defaults.Watch.BookmarkInterval,
		"how long a watch goes without an event before it is sent a BOOKMARK (a newer resume token)").Between(time.Second, time.Hour)
	fs.Int(&o.Watch.Max, "max-watches", "DEVENV_FACADE_MAX_WATCHES", defaults.Watch.Max,
		"most watches open at once; beyond it they get RESOURCE_EXHAUSTED (0: no cap)").Between(0, 1_000_000)
	fs.Int(&o.Watch.PerCaller, "max-watches-per-caller", "DEVENV_FACADE_MAX_WATCHES_PER_CALLER", defaults.Watch.PerCaller,
		"most watches one caller may have open at once (by its name with caller authentication, else its address); beyond it they get RESOURCE_EXHAUSTED (0: no cap)").Between(0, 1_000_000)
	fs.Choice(&cfg.logLevel, "log-level", "DEVENV_FACADE_LOG_LEVEL", "info", []string{"debug", "info", "warn", "error"}, "least severe level logged")
	fs.Choice(&cfg.logFormat, "log-format", "DEVENV_FACADE_LOG_FORMAT", "auto", []string{"auto", "text", "json"},
		"log line format; auto: text on a terminal, JSON otherwise (a container, a file, a pipe)")
	fs.Bool(&cfg.readinessRequires, "readiness-requires-modelarts", "DEVENV_FACADE_READINESS_REQUIRES_MODELARTS", !defaults.ReadinessIgnoresUpstream,
		"report not ready (/readyz, the service's gRPC health) while ModelArts has not answered 3 requests in a row for 30s")
	fs.Bool(&cfg.metrics, "metrics", "DEVENV_FACADE_METRICS", true,
		"keep Prometheus metrics and serve them at /metrics on the admin listener (--admin-addr)")
	fs.Int(&cfg.gcHeapFloorMiB, "gc-heap-floor-mib", "DEVENV_FACADE_GC_HEAP_FLOOR_MIB", defaultGCHeapFloorMiB,
		"heap size (MiB) the Go garbage collector lets the heap reach before its next collection while the live heap is under half of it: GOGC is raised after each collection (a few collections a second under load instead of dozens, for that much memory; see Operating, GC heap floor); at most half the Go memory limit; not used when GOGC is set; 0: off").Between(0, 1<<20)
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
	o.Watch.Max = options.ZeroMeans(o.Watch.Max, options.NoLimit)
	o.Watch.PerCaller = options.ZeroMeans(o.Watch.PerCaller, options.NoLimit)
	o.Retry.AttemptTimeout = options.ZeroMeans(o.Retry.AttemptTimeout, options.NoLimit)
	o.ReadinessIgnoresUpstream = !cfg.readinessRequires
	return o
}

// check refuses settings the facade would refuse, before it starts
// anything: the server's own check of its options (server.Options.Validate),
// said with the flags' names, and the one thing only flags can get wrong:
// a token-holder policy without the callers file it belongs to.
func (cfg *config) check() error {
	if u, err := url.Parse(cfg.endpoint); cfg.h2c && cfg.endpoint != "" && err == nil && u.Scheme != "http" {
		return fmt.Errorf("--modelarts-h2c is for an http:// --modelarts-endpoint; %s negotiates HTTP/2 by itself if the upstream offers it", cfg.endpoint)
	}
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
	"DisableReadCoalescing":    "no-read-coalescing",
	"ReadFreshFor":             "read-fresh-for",
	"RequestReadTimeout":       "request-read-timeout",
	"MaxConnectionAge":         "max-connection-age",
	"MaxConnections":           "max-connections",
	"MaxWait":                  "max-wait",
	"MaxWaits":                 "max-waits",
	"PollInterval":             "poll-interval",
	"Watch.PollInterval":       "watch-poll-interval",
	"Watch.SteadyPollInterval": "watch-steady-poll-interval",
	"Watch.BookmarkInterval":   "watch-bookmark-interval",
	"Watch.Max":                "max-watches",
	"Watch.PerCaller":          "max-watches-per-caller",
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
