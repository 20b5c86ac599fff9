// Package modelarts is a client for the ModelArts DevEnviron v1 REST API
// (/v1/{project_id}/demanager/instances).
//
// It owns the wire format: URLs built from escaped path segments, the
// X-Auth-Token, User-Agent and X-Request-Id headers, bounded reads of
// response bodies, and the decoding of ModelArts error bodies into [*Error].
// It knows nothing about gRPC; the service package maps its errors to gRPC
// statuses.
//
// Every call takes the caller's context: its deadline and cancellation
// reach the upstream request, and a call without a deadline is bounded by
// the client's timeout (Options.Timeout).
//
// Configuration follows package options: [Options] is a struct whose zero
// fields mean their defaults, which NewClient fills in and checks in one
// place.
package modelarts

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/devenv-facade/devenv-facade/internal/clock"
	"github.com/devenv-facade/devenv-facade/internal/options"
	"github.com/devenv-facade/devenv-facade/internal/scrub"
)

// Defaults of [Options].
const (
	// DefaultTimeout bounds a call whose context has no earlier deadline.
	DefaultTimeout = 30 * time.Second
	// DefaultMaxInFlight caps the calls in flight to ModelArts.
	DefaultMaxInFlight = 1024
	// DefaultMaxInFlightWait is how long a call beyond the cap may wait for
	// a slot before it is shed.
	DefaultMaxInFlightWait = 100 * time.Millisecond
	// DefaultMaxBodyBytes caps how much of a response body is read.
	// DevEnviron responses are a few KiB; anything near 1 MiB is not an
	// answer from ModelArts.
	DefaultMaxBodyBytes = 1 << 20
	// DefaultUserAgent is sent unless Options.UserAgent says otherwise.
	DefaultUserAgent = "devenv-facade"
)

// Header names used on the wire.
const (
	headerAuthToken   = "X-Auth-Token"
	headerRequestID   = "X-Request-Id"
	headerRetryAfter  = "Retry-After"
	headerUserAgent   = "User-Agent"
	headerAccept      = "Accept"
	headerContentType = "Content-Type"
	// Credentials may set these; their values are redacted from errors.
	headerSecurityToken = "X-Security-Token"
	headerAuthorization = "Authorization"
)

// ErrNoCredentials is returned, before any request is sent, when a call has
// neither a caller token ([CallerToken]) nor configured credentials
// (Options.Credentials).
var ErrNoCredentials = errors.New("modelarts: no credentials: no caller token and no configured credentials")

// ErrCredentials wraps a failure of the configured [Credentials] to
// authenticate a request (an identity service that cannot be reached or
// rejects the facade's password, for example). No request reached ModelArts.
// A refusal of the credentials themselves is a [CredentialsRejection] in
// the chain.
var ErrCredentials = errors.New("modelarts: cannot authenticate the request")

// ErrInvalidPathSegment is returned, before any request is sent, when a path
// parameter cannot be a single URL path segment (it is empty, "." or "..")
// or is one of the values its operation reserves because another route of
// the vendor's has that literal segment there ("all" as a notebook ID; see
// [Operation].Reserved). Every other value is percent-escaped, so it can
// never change the path's shape; callers should still validate IDs more
// strictly.
var ErrInvalidPathSegment = errors.New("modelarts: invalid path segment")

// Credentials authenticate requests to ModelArts: they set X-Auth-Token, or
// sign the request. Implementations are in package cloudauth; they must be
// safe for concurrent use and must never put a secret in an error.
type Credentials interface {
	// Authenticate adds credentials to req, which is complete but for them.
	Authenticate(ctx context.Context, req *http.Request) error
}

// RefreshableCredentials are [Credentials] that can go stale, such as IAM
// tokens. When ModelArts rejects a request as carrying an expired or invalid
// token, the client calls Refresh once with that request and retries it once.
type RefreshableCredentials interface {
	Credentials
	// Refresh replaces the credentials rejected is authenticated with,
	// unless they have been replaced already.
	Refresh(ctx context.Context, rejected *http.Request) error
}

// SecretCredentials are [Credentials] that can list the secrets they hold
// (a static token, a password, an access key and secret key, a security
// token). The client removes each of them from the text of error answers
// before it returns them (see [Error]), in case ModelArts, or a proxy in
// front of it, echoes one. The credentials a request carried in its
// headers are removed whether or not the configured Credentials implement
// this interface.
type SecretCredentials interface {
	Credentials
	// Secrets returns the secret values. It is called for every answer
	// (its text is cleaned of them, a success's as an error's); values
	// shorter than 8 bytes are ignored.
	Secrets() []string
}

// SingleSecretCredentials are [SecretCredentials] that hold one secret (a
// static token). The client asks for the secrets of every success answer
// it passes on: Secret gives the value without the slice Secrets makes.
// (A method that appended to the client's slice would cost as much: a
// slice passed to a method of an interface escapes, and the client's
// buffer would be allocated on every answer.)
type SingleSecretCredentials interface {
	SecretCredentials
	// Secret returns the one value Secrets returns.
	Secret() string
}

// HTTPClient sends HTTP requests. [*http.Client] implements it, so callers
// pass in the transport they want (see [NewHTTPClient]); tests can pass the
// client of an httptest.Server.
type HTTPClient interface {
	Do(req *http.Request) (*http.Response, error)
}

// Client calls the ModelArts DevEnviron API at one endpoint. It is safe for
// concurrent use; create one per endpoint and share it.
type Client struct {
	httpClient HTTPClient
	endpoint   url.URL // scheme and host, and a path prefix without a trailing "/"
	creds      Credentials
	userAgent  string
	maxBody    int64
	timeout    time.Duration
	logger     *slog.Logger
	clock      clock.Clock // resolves HTTP-date Retry-After values, dates reachability, waits between attempts and for a slot
	retry      RetryPolicy
	budget     *RetryBudget
	limiter    *limiter
	observer   Observer
	tracer     trace.Tracer // nil: no spans (a no-op provider's would carry the caller's span context unchanged)
	propagator propagation.TextMapPropagator
	flights    *flights // nil: reads are not coalesced
	// lastSecrets is the set of secrets last prepared (secretsOf).
	lastSecrets atomic.Pointer[preparedSecrets]

	// What every call writes (the latency estimate, when ModelArts last
	// answered, the attempts' deadlines) is in cache lines of its own:
	// beside the fields above, which every call reads, each write on one
	// core would make the other core's next reads of them miss its cache.
	_         [cacheLinePad]byte
	latency   latency
	reach     reachability
	deadlines deadlines
	_         [cacheLinePad]byte
}

// cacheLinePad keeps data apart in memory: two of x86's 64-byte cache
// lines, which its adjacent-line prefetcher fetches as a pair.
const cacheLinePad = 128

// Options configures a [Client]. The zero value of every field means its
// default (package options).
type Options struct {
	// Credentials authenticate the calls that carry no [CallerToken]. Nil
	// means every call needs a caller token.
	Credentials Credentials
	// UserAgent is sent as User-Agent; empty means [DefaultUserAgent].
	UserAgent string
	// Timeout bounds each call, whatever the context's deadline; the
	// earlier of the two applies. Zero means [DefaultTimeout].
	Timeout time.Duration
	// Retry is how idempotent calls are retried; its zero fields take
	// [DefaultRetryPolicy]'s values, and MaxAttempts 1 disables retries.
	Retry RetryPolicy
	// RetryBudget, if set, is shared with other clients; nil means the
	// client's own NewRetryBudget(10, 0.1).
	RetryBudget *RetryBudget
	// MaxInFlight caps the calls in flight to ModelArts. A call beyond the
	// cap waits up to MaxInFlightWait for a slot, then fails with
	// [ErrOverloaded] without sending anything: load is shed, never queued
	// without bound. Zero means [DefaultMaxInFlight]; options.NoLimit, no
	// cap.
	MaxInFlight int
	// MaxInFlightWait is how long a call beyond MaxInFlight may wait for a
	// slot. Zero means [DefaultMaxInFlightWait]; options.None sheds it at
	// once.
	MaxInFlightWait time.Duration
	// TracerProvider, unless nil or a no-op provider, makes each attempt
	// of a call a client span of its own.
	TracerProvider trace.TracerProvider
	// Propagator sends the W3C trace context of the call's span (or of
	// the caller's span its context carries, without TracerProvider) to
	// ModelArts; nil means propagation.TraceContext.
	Propagator propagation.TextMapPropagator
	// DisableCoalescing makes every call send requests of its own. By
	// default, calls of a GET operation that are identical (the same
	// credentials: the same caller token, or the configured credentials;
	// the same URL and query) and in flight at the same time share one
	// request to ModelArts, retries included, and all get its answer
	// ([Result].Shared). Each call still waits only until its own context
	// ends; the request is cancelled when no call waits for it any more.
	// A read never joins a request that began before a call of another
	// method made with the client ended.
	DisableCoalescing bool
	// FreshFor, if positive, is how long a read's success answer also
	// answers the identical reads that come after it (a freshness
	// window): they send nothing and get it, with [Result].Recent set. A
	// write made with the client ends the window of every answer whose
	// request began before the write ended; a call can ask for a request
	// of its own ([Fresh]); answers are kept within a bounded memory
	// (32 MiB). Zero, the default, keeps none. It needs coalescing.
	FreshFor time.Duration
	// Observer, if set, is told what the client does, for metrics.
	Observer Observer
	// Logger receives events the caller cannot see in a return value, such
	// as a success answer with an unreadable body. Nil discards them.
	Logger *slog.Logger
	// Clock resolves HTTP-date Retry-After values, dates what
	// [Client.Reachable] and [Client.LastAttempt] report, and times the
	// waits between attempts and for a slot. Nil means the system clock. A
	// call's deadline and its attempts' are contexts', on real time
	// (package clock).
	Clock clock.Clock
}

// withDefaults returns o with its zero fields set to their defaults.
func (o Options) withDefaults() Options {
	o.UserAgent = options.Or(o.UserAgent, DefaultUserAgent)
	o.Timeout = options.Or(o.Timeout, DefaultTimeout)
	o.Retry = o.Retry.WithDefaults()
	o.MaxInFlight = options.Or(o.MaxInFlight, DefaultMaxInFlight)
	o.MaxInFlightWait = options.Or(o.MaxInFlightWait, DefaultMaxInFlightWait)
	if o.Propagator == nil {
		o.Propagator = propagation.TraceContext{}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	o.Clock = clock.Or(o.Clock)
	return o
}

// validate refuses what withDefaults left that a Client cannot use.
func (o Options) validate() error {
	switch {
	case o.Timeout < 0:
		return options.Errorf("modelarts", "{Timeout} %s is negative", o.Timeout)
	case o.MaxInFlight < options.NoLimit:
		return options.Errorf("modelarts", "{MaxInFlight} %d is negative (options.NoLimit lifts the cap)", o.MaxInFlight)
	case o.FreshFor < 0:
		return options.Errorf("modelarts", "{FreshFor} %s is negative", o.FreshFor)
	case o.FreshFor > 0 && o.DisableCoalescing:
		return options.Errorf("modelarts", "{FreshFor} %s needs coalescing, which {DisableCoalescing} turns off", o.FreshFor)
	case o.MaxInFlightWait < options.None:
		return options.Errorf("modelarts", "{MaxInFlightWait} %s is negative (options.None sheds at once)", o.MaxInFlightWait)
	}
	return options.In(o.Retry.Validate(), "modelarts", "Retry")
}

// clientSpan is the start option of every attempt's span.
var clientSpan = trace.WithSpanKind(trace.SpanKindClient)

// NewClient returns a client for the ModelArts endpoint, an absolute http or
// https URL such as "https://modelarts.eu-de.otc.t-systems.com". A path in
// the endpoint (for a gateway that serves ModelArts under a prefix) is kept
// in front of every request path; a query, fragment or user info (any "@")
// is an error. Errors describe the endpoint without its user info, query
// or fragment, so that a password in the URL is never printed.
func NewClient(httpClient HTTPClient, endpoint string, opts Options) (*Client, error) {
	if httpClient == nil {
		return nil, errors.New("modelarts: nil HTTPClient")
	}
	opts = opts.withDefaults()
	if err := opts.validate(); err != nil {
		return nil, err
	}
	u, err := scrub.ParseURL(endpoint)
	if err != nil {
		return nil, fmt.Errorf("modelarts: endpoint: %w", err)
	}
	switch {
	case u.User != nil || strings.Contains(endpoint, "@"):
		return nil, fmt.Errorf("modelarts: endpoint %q: user info is not allowed in the URL", scrub.URL(endpoint))
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("modelarts: endpoint %q: scheme must be http or https", scrub.URL(endpoint))
	case u.Host == "":
		return nil, fmt.Errorf("modelarts: endpoint %q: no host", scrub.URL(endpoint))
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		return nil, fmt.Errorf("modelarts: endpoint %q: query and fragment are not allowed", scrub.URL(endpoint))
	}
	c := &Client{
		httpClient: httpClient,
		endpoint:   url.URL{Scheme: u.Scheme, Host: u.Host, Path: strings.TrimRight(u.Path, "/")},
		creds:      opts.Credentials,
		userAgent:  opts.UserAgent,
		maxBody:    DefaultMaxBodyBytes,
		timeout:    opts.Timeout,
		logger:     opts.Logger,
		clock:      opts.Clock,
		retry:      opts.Retry,
		budget:     opts.RetryBudget,
		observer:   opts.Observer,
		propagator: opts.Propagator,
	}
	if c.budget == nil {
		c.budget = NewRetryBudget(10, 0.1)
	}
	if c.observer == nil {
		c.observer = nopObserver{}
	}
	if !opts.DisableCoalescing {
		c.flights = &flights{m: map[flightKey]*flight{}}
		if opts.FreshFor > 0 {
			c.flights.window = newWindow(opts.FreshFor)
		}
	}
	if opts.MaxInFlight > 0 {
		c.limiter = &limiter{slots: make(chan struct{}, opts.MaxInFlight), wait: opts.MaxInFlightWait}
	}
	if _, isNoop := opts.TracerProvider.(noop.TracerProvider); opts.TracerProvider != nil && !isNoop {
		c.tracer = opts.TracerProvider.Tracer("github.com/devenv-facade/devenv-facade/internal/modelarts")
	}
	if u.RawPath != "" {
		c.endpoint.RawPath = strings.TrimRight(u.RawPath, "/")
	}
	return c, nil
}

// Secrets returns the secrets of the configured credentials (see
// [SecretCredentials]), or nil: what text from ModelArts must never
// repeat, besides the credentials a call carries. The client removes them
// from its own errors and answers; callers that quote an answer's text
// (an instance's failure reason in an error) remove them there.
func (c *Client) Secrets() []string {
	if sc, ok := c.creds.(SecretCredentials); ok {
		return sc.Secrets()
	}
	return nil
}

// Endpoint returns the endpoint the client calls, without a trailing "/".
func (c *Client) Endpoint() string {
	return c.endpoint.String()
}

// CallOption configures one call.
type CallOption func(*callConfig)

type callConfig struct {
	token     string
	tokenOnly bool // the configured credentials must not be used
	requestID string
	fresh     bool // a read sends a request of its own
}

// CallerToken sends token as X-Auth-Token for this call instead of the
// configured one. An empty token is ignored: the configured credentials
// are used then.
func CallerToken(token string) CallOption {
	return func(cc *callConfig) {
		if token != "" {
			cc.token = token
		}
	}
}

// CallerTokenOnly sends token as X-Auth-Token for this call and forbids the
// configured credentials whatever other options say: with an empty token
// the call fails with [ErrNoCredentials] before anything is sent, and a
// token ModelArts rejects is not replaced. It is for calls that act for a
// caller who brought nothing but its own token.
func CallerTokenOnly(token string) CallOption {
	return func(cc *callConfig) {
		cc.token, cc.tokenOnly = token, true
	}
}

// RequestID sends id as X-Request-Id for this call. Without it, or with an
// empty id, the client generates a random UUID.
func RequestID(id string) CallOption {
	return func(cc *callConfig) {
		if id != "" {
			cc.requestID = id
		}
	}
}

// Fresh makes a read send a request of its own: it neither takes an
// answer from the freshness window (Options.FreshFor) nor joins an
// identical read in flight. Later identical reads may join it, and take
// its answer from the window. Other calls send their own requests anyway.
func Fresh() CallOption {
	return func(cc *callConfig) { cc.fresh = true }
}

// Result reports how a call went, whatever its outcome.
type Result struct {
	// Attempts is how many requests were sent to ModelArts (0 if the call
	// failed before sending any).
	Attempts int
	// Ambiguous is set when an attempt's request was sent but no answer
	// came back: ModelArts may have acted on it.
	Ambiguous bool
	// Inferred is set when ModelArts never confirmed the call's success:
	// an attempt reached it without an answer, and a retry heard one of
	// the operation's InferredBy codes (see [Operation]). The call is
	// reported as done, without a response body.
	Inferred bool
	// HTTPStatus is the status of the success answer, or 0.
	HTTPStatus int
	// Body is the success answer's body as the call decoded it (the
	// call's secrets replaced, see [Endpoint.Call]), or nil: for callers
	// that pass on what ModelArts answered beyond the response type. It
	// may be shared with other calls (see Shared): read it, never modify
	// it.
	Body []byte
	// Shared is, when identical reads in flight at the same time shared
	// one request to ModelArts (see Options.DisableCoalescing), how many
	// calls got its outcome, this one included; 0 otherwise. Such calls
	// get the same Result (but for JoinedRequestID), the same answer
	// (Body and the decoded response share its bytes) or the same error.
	Shared int
	// JoinedRequestID is, for a call that sent nothing itself but joined
	// an identical read another call had in flight, the X-Request-Id of
	// that call's requests; "" otherwise.
	JoinedRequestID string
	// Recent is set when the answer is one ModelArts gave an identical
	// read Age earlier, taken from the freshness window
	// (Options.FreshFor): nothing was sent (Attempts is 0).
	Recent bool
	// Age is how long before the call its Recent answer came.
	Age time.Duration
}

// DecodeError reports a success answer whose body could not be read or
// decoded: ModelArts did what was asked, but what it answered is lost.
type DecodeError struct {
	// HTTPStatus is the answer's (2xx) status.
	HTTPStatus int
	// Err is why the body could not be used.
	Err error
}

// Error describes the failure, cleaned and bounded like upstream text (see
// [Error]): a decoder's complaint may quote the body.
func (e *DecodeError) Error() string {
	return scrub.Text(fmt.Sprintf("modelarts: HTTP %d answer with an unusable body: %v", e.HTTPStatus, e.Err), maxErrorText, nil)
}

// Unwrap returns the cause.
func (e *DecodeError) Unwrap() error { return e.Err }
