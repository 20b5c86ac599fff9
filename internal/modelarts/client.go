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
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/devenv-facade/devenv-facade/internal/callctx"
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
	// Secrets returns the secret values. It is called only when an error
	// answer arrives; values shorter than 8 bytes are ignored.
	Secrets() []string
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
	latency    latency
	observer   Observer
	reach      reachability
	tracer     trace.Tracer // nil: no spans (a no-op provider's would carry the caller's span context unchanged)
	propagator propagation.TextMapPropagator
}

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
	// that pass on what ModelArts answered beyond the response type.
	Body []byte
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

// outgoing is what every attempt of a call sends.
type outgoing struct {
	op          *Operation
	url         *url.URL // &u
	u           url.URL
	body        []byte // nil: no body
	contentType string
}

// response is a 2xx answer whose body has been read (or failed to be).
type response struct {
	status  int
	body    []byte
	readErr error // reading the body failed or it exceeded the cap
}

// decode unmarshals the body into out, or reports why it cannot.
func (r *response) decode(out any) error {
	if r.readErr != nil {
		return &DecodeError{HTTPStatus: r.status, Err: r.readErr}
	}
	if raw, ok := out.(*json.RawMessage); ok {
		// The body is the answer's own and is handed over as it came: its
		// reader checks it (the service reads it into the API's messages
		// and reports a body it cannot use as a DecodeError). Unmarshal
		// would scan it twice and copy it, for a list of 100 instances
		// (120 KB) 0.35 ms per call, and scanning it once to check it
		// would cost 0.3 ms.
		*raw = r.body
		return nil
	}
	if err := json.Unmarshal(r.body, out); err != nil {
		return &DecodeError{HTTPStatus: r.status, Err: err}
	}
	return nil
}

// send performs a call: one request, or several for an idempotent
// operation under the retry policy. A 2xx answer is returned with its body
// read; any other status is returned as *Error; a failure to get an answer
// is returned wrapped, so errors.Is sees context and network errors through
// it.
//
// Whatever the policy, when the configured credentials are refreshable and
// ModelArts rejects their token as stale (see [Rule].StaleToken), send
// refreshes them once and sends the request again: it was not executed, so
// this is safe.
func (c *Client) send(ctx context.Context, out *outgoing, opts []CallOption) (*response, Result, error) {
	var cc callConfig
	for _, opt := range opts {
		opt(&cc)
	}
	var res Result
	if cc.token == "" && (cc.tokenOnly || c.creds == nil) {
		return nil, res, ErrNoCredentials
	}
	if cc.requestID == "" {
		cc.requestID = callctx.NewRequestID()
	}
	if err := c.limiter.acquire(ctx, c.clock); err != nil {
		if errors.Is(err, ErrOverloaded) {
			c.observer.UpstreamShed(out.op.Name)
		}
		return nil, res, err
	}
	defer c.limiter.release()
	c.observer.UpstreamInFlight(1)
	defer c.observer.UpstreamInFlight(-1)

	// The call ends at the caller's deadline or after the client's timeout,
	// whichever is sooner. Only attempts get a context of their own: one
	// context per attempt is all the hot path pays for. Deadlines, like
	// the durations measured for the observer and the latency estimate,
	// are real time (package clock): they bound and measure real I/O.
	deadline := time.Now().Add(c.timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	policy := c.retry
	if !out.op.Idempotent {
		// Sent once: the attempt may take the whole call, since no retry
		// needs the time, and cutting it short would only make its outcome
		// unknown.
		policy.MaxAttempts, policy.AttemptTimeout = 1, 0
	}
	refreshed := false
	for retries := 0; ; {
		res.Attempts++
		began := time.Now()
		answer, req, sent, err := c.attempt(ctx, out, &cc, deadline, policy.AttemptTimeout, res.Attempts-1)
		if req == nil { // the request could not even be built
			res.Attempts--
			return nil, res, err
		}
		if err != nil && sent && !isAnswer(err) {
			res.Ambiguous = true
		}

		apiErr, isAPIErr := errors.AsType[*Error](err)
		if answered := answer != nil || isAPIErr; answered || ctx.Err() == nil {
			// A call its caller gave up on says nothing about ModelArts.
			c.reach.record(answered, c.clock.Now())
		}
		switch {
		case answer != nil:
			c.observer.UpstreamAttempt(out.op.Name, res.Attempts > 1, answer.status, "", time.Since(began))
		case isAPIErr:
			c.observer.UpstreamAttempt(out.op.Name, res.Attempts > 1, apiErr.HTTPStatus, apiErr.Code, time.Since(began))
		default:
			c.observer.UpstreamAttempt(out.op.Name, res.Attempts > 1, 0, "", time.Since(began))
		}
		var retry RetryClass
		var ruleDelay time.Duration
		if isAPIErr {
			var rule *Rule
			rule, _, retry, ruleDelay = apiErr.Meaning()
			if rule != nil && rule.StaleToken && cc.token == "" && !cc.tokenOnly && !refreshed {
				if refresher, ok := c.creds.(RefreshableCredentials); ok {
					refreshed = true
					if rerr := refresher.Refresh(ctx, req); rerr != nil {
						return nil, res, fmt.Errorf("%w: refreshing after %s: %w", ErrCredentials, apiErr.Code, rerr)
					}
					continue
				}
			}
		}

		retryable := err != nil && ctx.Err() == nil && time.Now().Before(deadline) && (!isAPIErr || retry == RetryByFacade)
		c.budget.record(retryable)
		if !retryable || retries+1 >= policy.MaxAttempts {
			return answer, res, err
		}
		if !c.budget.allow() {
			c.observer.UpstreamRetryRefused(out.op.Name)
			return answer, res, err
		}
		retries++
		delay := policy.backoff(retries)
		if isAPIErr {
			// A Retry-After, or the delay the vendor documents for the
			// code, is a floor; one beyond what the policy waits out goes
			// back to the caller.
			wait := apiErr.RetryAfter
			if wait == 0 {
				wait = ruleDelay
			}
			if wait > policy.MaxRetryAfter {
				return answer, res, err
			}
			delay = max(delay, wait)
		}
		if time.Until(deadline) < delay+c.latency.estimate() {
			return answer, res, err // the next attempt could not finish in time
		}
		if c.clock.Sleep(ctx, delay) != nil {
			return answer, res, err
		}
	}
}

// isAnswer reports whether err is an answer from ModelArts (as opposed to
// no answer at all).
func isAnswer(err error) bool {
	_, ok := errors.AsType[*Error](err)
	return ok
}

// attempt builds, authenticates and sends one request, ending at deadline
// or after timeout (if positive), whichever is sooner. It returns the
// request it sent (nil if it could not build one) and whether the request
// was written to the connection. resends counts the call's attempts before
// this one; each attempt is a client span of its own.
func (c *Client) attempt(ctx context.Context, out *outgoing, cc *callConfig, deadline time.Time, timeout time.Duration, resends int) (res *response, req *http.Request, sent bool, err error) {
	if timeout > 0 {
		if d := time.Now().Add(timeout); d.Before(deadline) {
			deadline = d
		}
	}
	// A context of its own only when the attempt must end before the call
	// does: a caller's deadline already bounds the call (grpc-go and the
	// caller's context enforce it), and a second timer would only cost.
	actx := ctx
	if d, ok := ctx.Deadline(); !ok || deadline.Before(d) {
		var cancel context.CancelFunc
		actx, cancel = context.WithDeadline(ctx, deadline)
		defer cancel()
	}
	var span trace.Span
	if c.tracer != nil {
		actx, span = c.tracer.Start(actx, out.op.spanName, clientSpan)
		defer span.End()
	}
	wrote := new(wroteRequest)
	wrote.trace.WroteRequest = wrote.done
	actx = httptrace.WithClientTrace(actx, &wrote.trace)
	req, err = c.newRequest(actx, out, cc)
	if err != nil {
		if span != nil {
			span.SetStatus(codes.Error, "the request could not be built")
		}
		return nil, nil, false, err
	}
	// After authentication, so that a signature never covers it.
	c.propagator.Inject(actx, propagation.HeaderCarrier(req.Header))
	start := time.Now()
	res, err = c.do(req, out, cc)
	if err == nil || isAnswer(err) {
		c.latency.observe(time.Since(start))
	}
	if span != nil && span.IsRecording() {
		recordAttempt(span, out, cc, resends, res, err)
	}
	return res, req, wrote.Load(), err
}

// wroteRequest learns, through the request's client trace, whether an
// attempt's request was written to the connection: the trace and the flag
// share an allocation (the hook, a method value, is another).
type wroteRequest struct {
	atomic.Bool
	trace httptrace.ClientTrace
}

func (w *wroteRequest) done(httptrace.WroteRequestInfo) { w.Store(true) }

// recordAttempt describes an attempt on its span, with the OpenTelemetry
// HTTP client conventions.
func recordAttempt(span trace.Span, out *outgoing, cc *callConfig, resends int, res *response, err error) {
	attrs := []attribute.KeyValue{
		attribute.String("http.request.method", out.op.Method),
		attribute.String("url.template", out.op.Path),
		attribute.String("server.address", out.url.Hostname()),
		attribute.String("modelarts.operation", out.op.Name),
		attribute.String("devenv.request_id", cc.requestID),
	}
	if resends > 0 {
		attrs = append(attrs, attribute.Int("http.request.resend_count", resends))
	}
	var apiErr *Error
	switch {
	case res != nil:
		attrs = append(attrs, attribute.Int("http.response.status_code", res.status))
	case errors.As(err, &apiErr):
		attrs = append(attrs, attribute.Int("http.response.status_code", apiErr.HTTPStatus),
			attribute.String("error.type", strconv.Itoa(apiErr.HTTPStatus)))
		if apiErr.Code != "" {
			attrs = append(attrs, attribute.String("modelarts.error_code", apiErr.Code))
		}
		if apiErr.HTTPStatus >= 500 {
			span.SetStatus(codes.Error, "")
		}
	case err != nil:
		attrs = append(attrs, attribute.String("error.type", "no_answer"))
		span.SetStatus(codes.Error, "no answer from ModelArts")
	}
	span.SetAttributes(attrs...)
}

// newRequest builds and authenticates one attempt of a call.
func (c *Client) newRequest(ctx context.Context, out *outgoing, cc *callConfig) (*http.Request, error) {
	var body io.Reader
	if out.body != nil {
		body = bytes.NewReader(out.body) // sets GetBody, which signing reads
	}
	req, err := http.NewRequestWithContext(ctx, out.op.Method, "", body)
	if err != nil {
		return nil, fmt.Errorf("modelarts: building %s request: %w", out.op.Name, err)
	}
	// The URL is already built and escaped; setting it directly avoids
	// formatting and parsing it again.
	req.URL, req.Host = out.url, out.url.Host
	// The header's values share one slice (as [http.Header.Clone] does):
	// one allocation instead of one per header. The names are canonical.
	vals := make([]string, 0, 5)
	set := func(name, value string) {
		vals = append(vals, value)
		req.Header[name] = vals[len(vals)-1 : len(vals) : len(vals)]
	}
	set(headerRequestID, cc.requestID)
	set(headerUserAgent, c.userAgent)
	set(headerAccept, "application/json")
	if out.contentType != "" {
		set(headerContentType, out.contentType)
	}
	switch {
	case cc.token != "":
		set(headerAuthToken, cc.token)
		return req, nil
	case cc.tokenOnly:
		// send refuses this first; the configured credentials are
		// guarded here too, where they would be used.
		return nil, ErrNoCredentials
	}
	if err := c.creds.Authenticate(ctx, req); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCredentials, err)
	}
	return req, nil
}

// do sends req and reads the answer.
func (c *Client) do(req *http.Request, out *outgoing, cc *callConfig) (*response, error) {
	resp, err := c.httpClient.Do(req)
	if err != nil {
		// *url.Error quotes the URL, which holds only the endpoint and the
		// IDs; credentials travel in headers. But the cause may quote what
		// the server sent (a malformed status line), so the text is
		// scrubbed like an error answer's.
		return nil, &transportError{
			msg: scrub.Text(fmt.Sprintf("modelarts: %s %s (request id %s): %v", out.op.Name, out.url.Path, cc.requestID, err), maxErrorText, scrub.NewSecrets(c.secrets(req)...)),
			err: err,
		}
	}
	defer resp.Body.Close()

	body, readErr := readBody(resp.Body, c.maxBody)
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		if readErr != nil {
			readErr = fmt.Errorf("modelarts: reading HTTP %d body: %w", resp.StatusCode, readErr)
		} else {
			body = c.answerWithoutSecrets(req, body)
		}
		return &response{status: resp.StatusCode, body: body, readErr: readErr}, nil
	}
	return nil, c.newError(req, resp, body, cc.requestID)
}

// answerWithoutSecrets returns body, a success answer to req, with every
// secret of the call in its strings replaced (see [Endpoint.Call]): the
// answer is passed on, so a secret ModelArts echoes must go.
func (c *Client) answerWithoutSecrets(req *http.Request, body []byte) []byte {
	return scrub.NewSecrets(c.secrets(req)...).JSON(body)
}

// maxErrorText bounds the text of the errors the client makes from what
// it could not use (transport failures, unusable bodies).
const maxErrorText = 1024

// transportError is a call's failure to get an answer. Its text is
// scrubbed; errors.Is and errors.As see the cause through it.
type transportError struct {
	msg string
	err error
}

func (e *transportError) Error() string { return e.msg }
func (e *transportError) Unwrap() error { return e.err }

// errBodyTooLarge reports a body longer than the client's cap.
var errBodyTooLarge = errors.New("body exceeds the size limit")

// bodyBuffers are the buffers bodies are read into, reused: a body of
// unannounced length (ModelArts and the emulator send long ones chunked)
// grows its buffer by doubling, which for a list of 100 instances (120 KB)
// allocated and copied 256 KB per call.
var bodyBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// readBody reads at most limit bytes. It returns a copy of what it read
// (exactly as long) and an error if reading failed or the body is longer
// than limit; the rest is not read, so memory stays bounded whatever the
// server sends.
func readBody(r io.Reader, limit int64) ([]byte, error) {
	buf := bodyBuffers.Get().(*bytes.Buffer)
	defer func() {
		buf.Reset()
		bodyBuffers.Put(buf)
	}()
	n, err := buf.ReadFrom(io.LimitReader(r, limit+1))
	body := bytes.Clone(buf.Bytes())
	if err != nil {
		return body, err
	}
	if n > limit {
		return body[:limit], errBodyTooLarge
	}
	return body, nil
}
