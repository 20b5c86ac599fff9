package server

import (
	"crypto/tls"
	"log/slog"
	"net"
	"time"

	"github.com/devenv-facade/devenv-facade/internal/callerauth"
	"github.com/devenv-facade/devenv-facade/internal/clock"
	"github.com/devenv-facade/devenv-facade/internal/metrics"
	"github.com/devenv-facade/devenv-facade/internal/modelarts"
	"github.com/devenv-facade/devenv-facade/internal/options"
	"github.com/devenv-facade/devenv-facade/internal/telemetry"
	"github.com/devenv-facade/devenv-facade/service"
)

// The defaults of [Options]: what a zero field means.
const (
	// DefaultShutdownGrace is how long in-flight calls may run once the
	// context is done.
	DefaultShutdownGrace = 20 * time.Second
	// DefaultUpstreamTimeout bounds each ModelArts call.
	DefaultUpstreamTimeout = modelarts.DefaultTimeout
	// DefaultMaxUpstreamInFlight caps concurrent calls to ModelArts.
	DefaultMaxUpstreamInFlight = modelarts.DefaultMaxInFlight
	// DefaultMaxUpstreamWait is how long a call beyond the cap may wait
	// for a slot before it is shed.
	DefaultMaxUpstreamWait = modelarts.DefaultMaxInFlightWait
	// DefaultRequestReadTimeout is how long a caller has to deliver its
	// request once it has started a call (sent the gRPC headers, or
	// opened a REST request).
	DefaultRequestReadTimeout = 10 * time.Second
	// DefaultMaxConnections caps the open connections of each listener.
	DefaultMaxConnections = 1024
	// DefaultMaxConnectionAge bounds how long a client keeps one gRPC
	// connection, so that new replicas get their share of long-lived
	// clients.
	DefaultMaxConnectionAge = 5 * time.Minute
	// DefaultMaxWaits bounds the calls that may wait for an instance's
	// state at once.
	DefaultMaxWaits = service.DefaultMaxWaits
	// DefaultMaxWait bounds how long a call waits for the instance's
	// state, whatever the caller's deadline.
	DefaultMaxWait = service.DefaultMaxWait
	// DefaultPollInterval is the first pause between reads of an instance
	// a call waits for.
	DefaultPollInterval = service.DefaultPollInterval
)

// Options configures a [Server]. The zero value of every field means its
// default (package options: the Default constants above, none for the
// collaborators); options.NoLimit switches a cap or limit off and
// options.None makes a wait or grace none, where a field says so. Two
// fields are required: GRPCListener and Endpoint.
type Options struct {
	// GRPCListener is where the gRPC server accepts connections. Required.
	GRPCListener net.Listener
	// HTTPListener is where the REST mirror accepts connections. Nil serves
	// gRPC only.
	HTTPListener net.Listener
	// AdminListener, if set, serves health and readiness for probes:
	// HTTP GET /healthz and /readyz, and gRPC health (grpc.health.v1, with
	// reflection listing only it) over plaintext HTTP/2. It needs no
	// caller authentication and reveals nothing but the serving status,
	// so it may listen beyond loopback (a pod IP, for Kubernetes probes).
	AdminListener net.Listener

	// Endpoint is the ModelArts base URL, for example
	// "https://modelarts.eu-de.otc.t-systems.com". Required.
	Endpoint string
	// Credentials authenticate requests to ModelArts when a caller sends no
	// token of its own (see package cloudauth). Nil means callers must.
	Credentials modelarts.Credentials
	// DisableTokenPassthrough ignores callers' x-auth-token / X-Auth-Token:
	// every request then uses Credentials.
	DisableTokenPassthrough bool
	// UpstreamTimeout bounds each ModelArts call, retries included,
	// whatever the caller's deadline. Zero means [DefaultUpstreamTimeout].
	UpstreamTimeout time.Duration
	// HTTPClient sends the ModelArts requests. Nil means
	// modelarts.NewDirectClient, keeping as many idle connections as calls
	// may be in flight.
	HTTPClient modelarts.HTTPClient
	// UserAgent is sent to ModelArts. Empty means modelarts.DefaultUserAgent.
	UserAgent string
	// Retry is how idempotent calls are retried; its zero fields take
	// modelarts.DefaultRetryPolicy's values, and MaxAttempts 1 disables
	// retries.
	Retry modelarts.RetryPolicy
	// MaxUpstreamInFlight caps concurrent calls to ModelArts; calls beyond
	// it wait up to MaxUpstreamWait, then get RESOURCE_EXHAUSTED. Zero
	// means [DefaultMaxUpstreamInFlight]; options.NoLimit, no cap.
	MaxUpstreamInFlight int
	// MaxUpstreamWait is how long a call beyond the cap may wait for a
	// slot. Zero means [DefaultMaxUpstreamWait]; options.None sheds it at
	// once.
	MaxUpstreamWait time.Duration
	// DisableReadCoalescing makes every call send its own requests to
	// ModelArts. By default identical reads in flight at the same time
	// (the same credentials, URL and query) share one request
	// (modelarts.Options.DisableCoalescing).
	DisableReadCoalescing bool
	// ReadFreshFor, if positive, is how long a read's answer also answers
	// identical reads after it (modelarts.Options.FreshFor); zero, the
	// default, none. Callers that send Cache-Control: no-cache get a
	// request of their own.
	ReadFreshFor time.Duration

	// RequestReadTimeout is how long a caller may take to deliver its
	// request after starting a call: a gRPC stream that sent its headers
	// but no request message is ended after it, and a REST request must be
	// read within it. Zero means [DefaultRequestReadTimeout].
	RequestReadTimeout time.Duration
	// MaxConnectionAge is how long a gRPC connection may live (with 10%
	// jitter) before the server sends GOAWAY: the client reconnects, and
	// one that balances across replicas looks for new ones; calls in
	// flight finish, and streaming calls (watches) are asked to end once
	// the connection is past the latest GOAWAY (connage.go). Zero means
	// [DefaultMaxConnectionAge]; options.NoLimit, no limit.
	MaxConnectionAge time.Duration
	// MaxConnections caps the open connections on each of the gRPC and
	// REST listeners; further connections wait in the listen backlog. Zero
	// means [DefaultMaxConnections]; options.NoLimit, no cap.
	MaxConnections int

	// Callers, if set, authenticates every call (bearer tokens or client
	// certificates), limits each caller to its projects, and says what
	// becomes of callers who bring only their own IAM token
	// (callerauth.Options.TokenHolders).
	Callers *callerauth.Authenticator
	// TLS, if set, serves both gRPC and the REST mirror over TLS (see
	// [ServerTLSConfig]); with ClientCAs set, clients must present a
	// certificate signed by one of them.
	TLS *tls.Config
	// Insecure allows listening beyond loopback without a way to tell
	// callers apart (neither Callers nor client certificates). Without it
	// New refuses.
	Insecure bool

	// MaxWait bounds how long a call that waits (create, start, stop,
	// delete with wait set) waits for the instance's state, whatever the
	// caller's deadline; a wait cut short fails with DEADLINE_EXCEEDED.
	// Zero means [DefaultMaxWait].
	MaxWait time.Duration
	// MaxWaits bounds the calls that may wait at once; one beyond it is
	// refused with RESOURCE_EXHAUSTED before anything is sent to
	// ModelArts. Zero means [DefaultMaxWaits]; options.NoLimit, no bound.
	MaxWaits int
	// PollInterval is the first pause between reads of an instance a call
	// waits for; pauses grow by half, with jitter, up to
	// service.DefaultMaxPollInterval (or PollInterval, if larger). Zero
	// means [DefaultPollInterval].
	PollInterval time.Duration
	// Watch configures the watches (WatchNotebooks, WatchInstances):
	// their pollers' intervals, bookmarks and caps.
	Watch service.WatchOptions
	// Clock is the time the facade acts on (package clock): the pauses of
	// waits between reads of an instance, the client's waits between
	// attempts and for a slot, the Retry-After dates it reads, and
	// readiness's judgement of how long ModelArts has gone without
	// answering. Nil means the system clock; tests give a fake that the
	// emulator shares. Deadlines (UpstreamTimeout, RequestReadTimeout,
	// ShutdownGrace, a caller's) are real time whatever it says.
	Clock clock.Clock

	// Metrics, if set, counts and times calls and upstream requests, and
	// the admin listener serves it at /metrics. IAM token requests and
	// callers-file reloads reach it through the credentials' and the
	// callers' own options (cloudauth.Config.OnTokenRequest,
	// callerauth.Options.OnReload).
	Metrics *metrics.Metrics

	// ReadinessIgnoresUpstream keeps the facade ready (readiness probes,
	// and the service's gRPC health) while ModelArts does not answer.
	// Without it the facade is not ready while ModelArts does not answer:
	// UnreachableAfterFailures requests in a row without an answer over at
	// least UnreachableAfter (modelarts); one failed call does not flip
	// it, and the first answer restores it. While not ready and idle, the
	// facade probes the endpoint every probeInterval.
	ReadinessIgnoresUpstream bool

	// Tracing, if set, traces calls: a server span per gRPC call and REST
	// request, a client span per request to ModelArts, and W3C trace
	// context from callers passed on to ModelArts. Nil is
	// telemetry.Off(): nothing recorded, trace context still passed on.
	// Its shutdown is the caller's.
	Tracing *telemetry.Tracing

	// ShutdownGrace is how long in-flight calls may run once the context is
	// done, before they are cut off. Zero means [DefaultShutdownGrace];
	// options.None cuts them off at once.
	ShutdownGrace time.Duration
	// Logger receives one line per call and the lifecycle events. Nil
	// discards them.
	Logger *slog.Logger
}

// WithDefaults returns o with every zero field set to its default: the
// values New serves with. It is the one place the defaults are filled in.
func (o Options) WithDefaults() Options {
	o.UpstreamTimeout = options.Or(o.UpstreamTimeout, DefaultUpstreamTimeout)
	o.Retry = o.Retry.WithDefaults()
	o.MaxUpstreamInFlight = options.Or(o.MaxUpstreamInFlight, DefaultMaxUpstreamInFlight)
	o.MaxUpstreamWait = options.Or(o.MaxUpstreamWait, DefaultMaxUpstreamWait)
	o.RequestReadTimeout = options.Or(o.RequestReadTimeout, DefaultRequestReadTimeout)
	o.MaxConnectionAge = options.Or(o.MaxConnectionAge, DefaultMaxConnectionAge)
	o.MaxConnections = options.Or(o.MaxConnections, DefaultMaxConnections)
	o.MaxWait = options.Or(o.MaxWait, DefaultMaxWait)
	o.MaxWaits = options.Or(o.MaxWaits, DefaultMaxWaits)
	o.PollInterval = options.Or(o.PollInterval, DefaultPollInterval)
	o.Watch = o.Watch.WithDefaults()
	o.ShutdownGrace = options.Or(o.ShutdownGrace, DefaultShutdownGrace)
	o.Clock = clock.Or(o.Clock)
	if o.Tracing == nil {
		o.Tracing = telemetry.Off()
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// Validate reports, as an *options.Error naming the fields, the first
// setting New refuses once the defaults are filled in: a negative value
// other than options.NoLimit or None where a field takes one, a retry
// policy modelarts refuses, callers admitted on their own token by a
// facade that ignores callers' tokens, or a gRPC or REST listener beyond
// loopback with nothing to tell callers apart (see Insecure). It does not
// require the collaborators New needs (GRPCListener, Endpoint), so that a
// command can check its settings before it has any.
func (o Options) Validate() error {
	o = o.WithDefaults()
	switch {
	case o.UpstreamTimeout < 0:
		return options.Errorf("server", "{UpstreamTimeout} %s is negative", o.UpstreamTimeout)
	case o.RequestReadTimeout < 0:
		return options.Errorf("server", "{RequestReadTimeout} %s is negative", o.RequestReadTimeout)
	case o.MaxWait < 0:
		return options.Errorf("server", "{MaxWait} %s is negative", o.MaxWait)
	case o.PollInterval < 0:
		return options.Errorf("server", "{PollInterval} %s is negative", o.PollInterval)
	case o.MaxUpstreamInFlight < options.NoLimit:
		return options.Errorf("server", "{MaxUpstreamInFlight} %d is negative (options.NoLimit lifts the cap)", o.MaxUpstreamInFlight)
	case o.MaxConnections < options.NoLimit:
		return options.Errorf("server", "{MaxConnections} %d is negative (options.NoLimit lifts the cap)", o.MaxConnections)
	case o.MaxWaits < options.NoLimit:
		return options.Errorf("server", "{MaxWaits} %d is negative (options.NoLimit lifts the bound)", o.MaxWaits)
	case o.MaxConnectionAge < options.NoLimit:
		return options.Errorf("server", "{MaxConnectionAge} %s is negative (options.NoLimit lifts the limit)", o.MaxConnectionAge)
	case o.MaxUpstreamWait < options.None:
		return options.Errorf("server", "{MaxUpstreamWait} %s is negative (options.None sheds at once)", o.MaxUpstreamWait)
	case o.ShutdownGrace < options.None:
		return options.Errorf("server", "{ShutdownGrace} %s is negative (options.None cuts calls off at once)", o.ShutdownGrace)
	case o.ReadFreshFor < 0:
		return options.Errorf("server", "{ReadFreshFor} %s is negative", o.ReadFreshFor)
	case o.ReadFreshFor > 0 && o.DisableReadCoalescing:
		return options.Errorf("server", "{ReadFreshFor} %s needs read coalescing, which {DisableReadCoalescing} turns off", o.ReadFreshFor)
	}
	if err := o.Watch.Validate(); err != nil {
		return options.In(err, "server", "Watch")
	}
	if err := o.Retry.Validate(); err != nil {
		return options.In(err, "server", "Retry")
	}
	if o.Callers != nil && o.Callers.TokenHolders() != callerauth.RefuseTokenHolders && o.DisableTokenPassthrough {
		return options.Errorf("server", "{Callers.TokenHolders} %s admits callers on their own X-Auth-Token, which {DisableTokenPassthrough} ignores",
			o.Callers.TokenHolders())
	}
	return checkExposure(o)
}

// positive returns d, or 0 for a negative d (options.NoLimit or None),
// which is what the libraries take for none.
func positive[T int | time.Duration](d T) T { return max(d, 0) }
