package modelarts

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strconv"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/devenv-facade/devenv-facade/internal/callctx"
)

// outgoing is what every attempt of a call sends.
type outgoing struct {
	op          *Operation
	url         *url.URL // &u
	u           url.URL
	body        []byte // nil: no body
	contentType string
	// wrote is the first attempt's client trace and what it learns (one
	// allocation fewer per call than its own); later attempts allocate
	// their own, since net/http may still report the write of an attempt
	// it gave up on after the attempt has returned.
	wrote wroteRequest
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
	if f, ok := out.(fastDecoder); ok && f.decodeFast(r.body) {
		return nil
	}
	if err := json.Unmarshal(r.body, out); err != nil {
		return &DecodeError{HTTPStatus: r.status, Err: err}
	}
	return nil
}

// fastDecoder is an answer that reads the usual form of its body without
// encoding/json (which costs a small answer five allocations: its decoder
// state, its scanner's stack, ...). decodeFast reports false, having
// changed nothing, for any body not in that form; json.Unmarshal reads
// those. For the bodies it reads, it must set what json.Unmarshal would
// (FuzzDecodeFast).
type fastDecoder interface {
	decodeFast(body []byte) bool
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
//
// A read (GET) identical to one in flight shares its request, unless
// coalescing is off (Options.DisableCoalescing); see coalesce.go.
//
// The call's Result is written to *res (which starts zero): each level
// returning it by value would hold a copy in its frame, under which calls
// wait for ModelArts (see [DirectClient]).
func (c *Client) send(ctx context.Context, out *outgoing, opts []CallOption, res *Result) (*response, error) {
	var cc callConfig
	for _, opt := range opts {
		opt(&cc)
	}
	if cc.token == "" && (cc.tokenOnly || c.creds == nil) {
		return nil, ErrNoCredentials
	}
	if cc.requestID == "" {
		cc.requestID = callctx.NewRequestID()
	}
	switch {
	case c.flights == nil:
	case coalesces(out.op):
		return c.sendShared(ctx, out, &cc, res)
	default:
		defer c.flights.wrote()
	}
	return c.sendAlone(ctx, out, &cc, nil, res)
}

// sendShared is send for a read that may share its request (coalesce.go).
//
//go:noinline
func (c *Client) sendShared(ctx context.Context, out *outgoing, cc *callConfig, res *Result) (*response, error) {
	answer, r, err := c.flights.send(ctx, c, out, cc)
	*res = r
	return answer, err
}

// sendAlone is send's work for a call of its own (f is nil), or for the
// calls that share the read f (coalesce.go): then the calls' deadlines
// bound it instead of ctx's, and f learns of its attempts as they start.
func (c *Client) sendAlone(ctx context.Context, out *outgoing, cc *callConfig, f *flight, res *Result) (*response, error) {
	if err := c.limiter.acquire(ctx, c.clock); err != nil {
		if errors.Is(err, ErrOverloaded) {
			c.observer.UpstreamShed(out.op.Name)
		}
		return nil, err
	}
	defer c.limiter.release()
	c.observer.UpstreamInFlight(1)
	defer c.observer.UpstreamInFlight(-1)

	// The call ends at the caller's deadline or after the client's timeout,
	// whichever is sooner. Only attempts get a context of their own: one
	// context per attempt is all the hot path pays for. Deadlines, like
	// the durations measured for the observer and the latency estimate,
	// are real time (package clock): they bound and measure real I/O.
	// A shared read ends at the latest deadline of the calls waiting for
	// it, which grows as calls join.
	now := time.Now()
	end := now.Add(c.timeout)
	deadline := end
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
		began := now // the first attempt begins now
		if res.Attempts > 1 {
			began = time.Now()
		}
		if f != nil {
			deadline = f.until(end)
			f.attempts.Store(int32(res.Attempts))
		}
		answer, req, sent, err := c.attempt(ctx, out, cc, began, deadline, policy.AttemptTimeout, res.Attempts-1)
		if req == nil { // the request could not even be built
			res.Attempts--
			if f != nil {
				f.attempts.Store(int32(res.Attempts))
			}
			return nil, err
		}
		if f != nil {
			deadline = f.until(end)
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
						return nil, fmt.Errorf("%w: refreshing after %s: %w", ErrCredentials, apiErr.Code, rerr)
					}
					continue
				}
			}
		}

		retryable := err != nil && ctx.Err() == nil && time.Now().Before(deadline) && (!isAPIErr || retry == RetryByFacade)
		c.budget.record(retryable)
		if !retryable || retries+1 >= policy.MaxAttempts {
			return answer, err
		}
		if !c.budget.allow() {
			c.observer.UpstreamRetryRefused(out.op.Name)
			return answer, err
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
				return answer, err
			}
			delay = max(delay, wait)
		}
		if time.Until(deadline) < delay+c.latency.estimate() {
			return answer, err // the next attempt could not finish in time
		}
		if c.clock.Sleep(ctx, delay) != nil {
			return answer, err
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
// or after timeout (if positive) from now (when it begins), whichever is
// sooner. It returns the
// request it sent (nil if it could not build one) and whether the request
// was written to the connection. resends counts the call's attempts before
// this one; each attempt is a client span of its own.
func (c *Client) attempt(ctx context.Context, out *outgoing, cc *callConfig, now, deadline time.Time, timeout time.Duration, resends int) (res *response, req *http.Request, sent bool, err error) {
	if timeout > 0 {
		if d := now.Add(timeout); d.Before(deadline) {
			deadline = d
		}
	}
	// A context of its own only when the attempt must end before the call
	// does: a caller's deadline already bounds the call (grpc-go and the
	// caller's context enforce it), and a second timer would only cost.
	// The client's deadlines keep it, with one timer for all attempts.
	actx := ctx
	if d, ok := ctx.Deadline(); !ok || deadline.Before(d) {
		a := c.deadlines.start(ctx, deadline, now)
		defer c.deadlines.end(a)
		actx = a
	}
	var span trace.Span
	if c.tracer != nil {
		actx, span = c.tracer.Start(actx, out.op.spanName, clientSpan)
		defer span.End()
	}
	wrote := &out.wrote
	if resends > 0 {
		wrote = new(wroteRequest)
	}
	wrote.trace.WroteRequest = wrote.done
	actx = httptrace.WithClientTrace(actx, &wrote.trace)
	req, err = c.newRequest(actx, out, cc)
	if err != nil {
		if span != nil {
			span.SetStatus(codes.Error, "the request could not be built")
		}
		return nil, nil, false, err
	}
	// After authentication, so that a signature never covers it. A call
	// known to carry no trace context (and no span of the attempt's) has
	// nothing to inject, and the propagator would search its whole context
	// to find that out.
	if span != nil || !callctx.Untraced(actx) {
		c.propagator.Inject(actx, propagation.HeaderCarrier(req.Header))
	}
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
