// Package iamtoken checks a caller's own IAM token with IAM before the
// facade lets a call run on it: Keystone's "validate and show information
// for token", GET {iam}/auth/tokens with the token to check in
// X-Subject-Token. The token is also sent as X-Auth-Token: IAM lets a user
// validate its own token without any particular permission, so the facade
// needs no credentials of its own for this. IAM answers 200 with the
// token's scope (its project) and expiry, and 401 or 404 for a token that
// is not valid (unknown, expired, revoked).
//
// A [Validator] caches IAM's answers: a valid token until it expires, a
// refusal for a short while ([Options].RejectedTTL). However many calls
// check one token at once, one request goes to IAM; at most
// [Options].MaxChecks tokens are checked at once, and a token beyond that is
// refused at once ([ErrBusy]) without asking IAM. A request whose every
// caller has stopped waiting is cancelled. Entries are keyed by the token's
// SHA-256, never the token, and both kinds are bounded in number. No error,
// log line or description carries a token.
//
// Configuration follows package options: [Options] is a struct whose zero
// fields mean their defaults, which New fills in and checks in one
// place.
package iamtoken

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/devenv-facade/devenv-facade/internal/clock"
	"github.com/devenv-facade/devenv-facade/internal/options"
	"github.com/devenv-facade/devenv-facade/internal/scrub"
)

// Defaults of [Options].
const (
	// DefaultMaxValid bounds the valid tokens remembered.
	DefaultMaxValid = 10_000
	// DefaultMaxRejected bounds the refused tokens remembered.
	DefaultMaxRejected = 10_000
	// DefaultRejectedTTL is how long a refusal is remembered: long enough
	// that a client retrying a bad token does not reach IAM on every
	// call, short enough that a token that just became valid (a clock
	// ahead of IAM's) is soon accepted.
	DefaultRejectedTTL = 10 * time.Second
	// DefaultTimeout bounds one request to IAM, whoever waits for it.
	DefaultTimeout = 10 * time.Second
	// DefaultMaxChecks bounds the checks in flight with IAM: each holds a
	// goroutine and a connection to IAM until IAM answers (up to
	// DefaultTimeout). 64 checks at IAM's usual tenth of a second let
	// hundreds of new tokens a second through, far more than clients
	// that keep their token for its day of validity bring.
	DefaultMaxChecks = 64
)

// maxAnswerBytes bounds how much of IAM's answer is read. A token's body
// without its catalogue (nocatalog) is a few KiB.
const maxAnswerBytes = 1 << 20

// Scope is what IAM says about a valid token.
type Scope struct {
	// ProjectID and ProjectName are the project the token is scoped to;
	// both are empty for a token scoped to a domain or to nothing.
	ProjectID, ProjectName string
	// ExpiresAt is when the token expires.
	ExpiresAt time.Time
}

// ErrRejected is matched (errors.Is) by the error of a token IAM does not
// accept; the error is a [*RejectedError].
var ErrRejected = errors.New("iamtoken: IAM does not accept the token")

// ErrUnavailable is matched (errors.Is) by the error of a check that got
// no usable answer from IAM: it could not be reached, it failed (5xx), it
// throttled, or it answered something that is not a token. The token may
// be valid; the check may be retried.
var ErrUnavailable = errors.New("iamtoken: IAM could not check the token")

// ErrBusy is matched (errors.Is) by the error of a check refused because
// [Options].MaxChecks other tokens are being checked with IAM already:
// nothing was sent to IAM; the check may be retried shortly.
var ErrBusy = errors.New("iamtoken: too many tokens are being checked with IAM at once")

// RejectedError is IAM's refusal of a token.
type RejectedError struct {
	// HTTPStatus is IAM's status (401 or 404, say), or 200 when IAM
	// answered the token as valid but it has already expired by the
	// facade's clock.
	HTTPStatus int
	// Why says what was wrong, without the token.
	Why string
}

// Error describes the refusal.
func (e *RejectedError) Error() string { return "IAM does not accept the token: " + e.Why }

// Is makes errors.Is(err, ErrRejected) hold.
func (e *RejectedError) Is(target error) bool { return target == ErrRejected }

// HTTPClient sends the requests to IAM. It must not follow redirects: a
// redirect would carry the caller's token elsewhere.
type HTTPClient interface {
	Do(req *http.Request) (*http.Response, error)
}

// Options tune a [Validator]. The zero value of every field means its
// default (package options); negative values are refused.
type Options struct {
	// Clock expires cached answers and tokens; nil means the system
	// clock.
	Clock clock.Clock
	// MaxValid and MaxRejected bound the valid and refused tokens
	// remembered. When one is full, expired entries are dropped first,
	// then an arbitrary one. They are separate so that a flood of bad
	// tokens cannot push out good ones.
	MaxValid, MaxRejected int
	// RejectedTTL is how long a refusal is remembered.
	RejectedTTL time.Duration
	// Timeout bounds one request to IAM.
	Timeout time.Duration
	// MaxChecks bounds the tokens checked with IAM at once (one request
	// each); a token that needs a check beyond it is refused with
	// [ErrBusy]. A check abandoned by every caller counts until its
	// request has ended.
	MaxChecks int
}

// withDefaults returns o with its zero fields set to their defaults.
func (o Options) withDefaults() Options {
	o.Clock = clock.Or(o.Clock)
	o.MaxValid = options.Or(o.MaxValid, DefaultMaxValid)
	o.MaxRejected = options.Or(o.MaxRejected, DefaultMaxRejected)
	o.RejectedTTL = options.Or(o.RejectedTTL, DefaultRejectedTTL)
	o.Timeout = options.Or(o.Timeout, DefaultTimeout)
	o.MaxChecks = options.Or(o.MaxChecks, DefaultMaxChecks)
	return o
}

// validate refuses negative bounds.
func (o Options) validate() error {
	switch {
	case o.MaxValid < 0 || o.MaxRejected < 0:
		return options.Errorf("iamtoken", "{MaxValid} %d and {MaxRejected} %d must not be negative", o.MaxValid, o.MaxRejected)
	case o.RejectedTTL < 0 || o.Timeout < 0:
		return options.Errorf("iamtoken", "{RejectedTTL} %s and {Timeout} %s must not be negative", o.RejectedTTL, o.Timeout)
	case o.MaxChecks < 0:
		return options.Errorf("iamtoken", "{MaxChecks} %d is negative", o.MaxChecks)
	}
	return nil
}

// Validator checks tokens with IAM. It is safe for concurrent use.
type Validator struct {
	httpClient HTTPClient
	tokensURL  string // {iam}/auth/tokens?nocatalog=true
	endpoint   string // for String: scrubbed
	opts       Options

	mu    sync.Mutex
	valid map[Key]validEntry
	bad   map[Key]badEntry
	// flights are the checks under way that callers may still join, by
	// token hash; checking counts every check whose request has not ended,
	// abandoned ones included (at most opts.MaxChecks).
	flights  map[Key]*flight
	checking int
	// swept is when a full cache was last swept of expired entries: at
	// most once per sweepInterval, so that a flood of new tokens does not
	// make every insert scan the whole cache.
	validSwept, badSwept time.Time

	// joined, if set (by tests), hears of every check that has joined the
	// request to IAM for its token.
	joined chan<- struct{}
}

// flight is one check of a token with IAM, shared by every caller that
// waits for it.
type flight struct {
	done   chan struct{} // closed once answer is set
	answer answer
	// waiters counts the callers waiting (v.mu); when the last one goes,
	// cancel aborts the request.
	waiters int
	cancel  context.CancelFunc
}

type validEntry struct {
	scope Scope
}

type badEntry struct {
	err   *RejectedError
	until time.Time
}

// New returns a validator that asks the IAM v3 endpoint, such as
// "https://iam.eu-de.otc.t-systems.com/v3". The endpoint must be an http or
// https URL without user info, query or fragment; errors describe it
// without user info.
func New(httpClient HTTPClient, endpoint string, opts Options) (*Validator, error) {
	if httpClient == nil {
		return nil, errors.New("iamtoken: nil HTTPClient")
	}
	u, err := scrub.ParseURL(endpoint)
	if err != nil {
		return nil, fmt.Errorf("iamtoken: IAM endpoint: %w", err)
	}
	switch {
	case endpoint == "":
		return nil, errors.New("iamtoken: no IAM endpoint")
	case u.User != nil || strings.Contains(endpoint, "@"):
		return nil, fmt.Errorf("iamtoken: IAM endpoint %q: user info is not allowed in the URL", scrub.URL(endpoint))
	case (u.Scheme != "https" && u.Scheme != "http") || u.Host == "":
		return nil, fmt.Errorf("iamtoken: IAM endpoint %q is not an http(s) URL", scrub.URL(endpoint))
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		return nil, fmt.Errorf("iamtoken: IAM endpoint %q: query and fragment are not allowed", scrub.URL(endpoint))
	}
	u.Path = strings.TrimRight(u.Path, "/") + "/auth/tokens"
	u.RawPath = ""
	u.RawQuery = "nocatalog=true" // the service catalogue is large and unused
	opts = opts.withDefaults()
	if err := opts.validate(); err != nil {
		return nil, err
	}
	return &Validator{
		httpClient: httpClient,
		tokensURL:  u.String(),
		endpoint:   scrub.URL(endpoint),
		opts:       opts,
		valid:      map[Key]validEntry{},
		bad:        map[Key]badEntry{},
		flights:    map[Key]*flight{},
	}, nil
}

// String describes the validator (its IAM endpoint, without user info).
func (v *Validator) String() string { return "IAM token validation at " + v.endpoint }

// Validate returns the scope of token if IAM accepts it: from the cache
// while a valid token has not expired, else from IAM. A token IAM refuses
// gives a [*RejectedError] (remembered for RejectedTTL); no usable answer
// gives an error matching [ErrUnavailable] (not remembered); a token that
// would need a check while MaxChecks others are under way gives an error
// matching [ErrBusy], at once. ctx bounds the wait (once it has ended, no
// check is started: the call gets the error of an ended wait); the request to IAM,
// which other calls may be waiting for too, is cancelled once no call
// waits for it any more.
func (v *Validator) Validate(ctx context.Context, token string) (Scope, error) {
	key := KeyOf(token)
	v.mu.Lock()
	if a, ok := v.cached(key); ok {
		v.mu.Unlock()
		return a.scope, a.err
	}
	if err := ctx.Err(); err != nil {
		// The caller has given up already: no check is started for it,
		// nor joined.
		v.mu.Unlock()
		return Scope{}, waitEnded(err)
	}
	f := v.flights[key]
	if f == nil {
		if v.checking >= v.opts.MaxChecks {
			v.mu.Unlock()
			return Scope{}, fmt.Errorf("%w (%d)", ErrBusy, v.opts.MaxChecks)
		}
		checkCtx, cancel := context.WithTimeout(context.Background(), v.opts.Timeout)
		f = &flight{done: make(chan struct{}), cancel: cancel}
		v.flights[key] = f
		v.checking++
		go v.check(checkCtx, key, token, f)
	}
	f.waiters++
	v.mu.Unlock()
	if v.joined != nil {
		v.joined <- struct{}{}
	}
	select {
	case <-f.done:
		return f.answer.scope, f.answer.err
	case <-ctx.Done():
		v.leave(key, f)
		return Scope{}, waitEnded(ctx.Err())
	}
}

// waitEnded is the error of a call whose context ended (err) before IAM
// answered, or before a check was started for it.
func waitEnded(err error) error {
	return fmt.Errorf("%w: waiting for IAM: %w", ErrUnavailable, err)
}

// Key is what a [Validator] knows a token by: its SHA-256.
type Key [sha256.Size]byte

// KeyOf returns token's Key.
func KeyOf(token string) Key { return sha256.Sum256([]byte(token)) }

// Accepted reports whether IAM's acceptance of the token whose Key is key
// is remembered and the token has not expired, without asking IAM: for
// deciding, before a call's request arrives, whether its token is one IAM
// vouched for. Validate must still check the call (the token's project,
// among others).
func (v *Validator) Accepted(key Key) bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	a, ok := v.cached(key)
	return ok && a.err == nil
}

// leave records that a caller stopped waiting for f; the last one to go
// cancels the request, and the next call with the token starts a new
// check.
func (v *Validator) leave(key Key, f *flight) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if f.waiters--; f.waiters > 0 {
		return
	}
	if v.flights[key] == f {
		delete(v.flights, key)
	}
	f.cancel()
}

// answer is a remembered outcome of a check.
type answer struct {
	scope Scope
	err   error
}

// cached returns the remembered answer for key, if there is one that has
// not expired; v.mu is held.
func (v *Validator) cached(key Key) (answer, bool) {
	now := v.opts.Clock.Now()
	if e, ok := v.valid[key]; ok {
		if now.Before(e.scope.ExpiresAt) {
			return answer{scope: e.scope}, true
		}
		delete(v.valid, key)
	}
	if e, ok := v.bad[key]; ok {
		if now.Before(e.until) {
			return answer{err: e.err}, true
		}
		delete(v.bad, key)
	}
	return answer{}, false
}

// check asks IAM about token within ctx (which bounds it to the timeout
// and is cancelled when every waiter has gone), remembers a definite
// answer and hands the outcome to f's waiters. It runs on a goroutine of
// its own, once per token at a time.
func (v *Validator) check(ctx context.Context, key Key, token string, f *flight) {
	defer f.cancel()
	scope, err := v.ask(ctx, token)
	var rejected *RejectedError
	a := answer{scope: scope}
	switch {
	case err == nil && !v.opts.Clock.Now().Before(scope.ExpiresAt):
		rejected = &RejectedError{HTTPStatus: http.StatusOK, Why: "the token expired at " + scope.ExpiresAt.UTC().Format(time.RFC3339)}
		a = answer{err: rejected}
	case errors.As(err, &rejected):
		a = answer{err: rejected}
	case err != nil:
		a = answer{err: err}
	}
	now := v.opts.Clock.Now()
	v.mu.Lock()
	// The answer is remembered and the flight forgotten at once: a call
	// that finds no flight finds the answer.
	switch {
	case rejected != nil:
		v.remember(key, Scope{}, rejected, now)
	case err == nil:
		v.remember(key, scope, nil, now)
	}
	if v.flights[key] == f {
		delete(v.flights, key)
	}
	v.checking--
	v.mu.Unlock()
	f.answer = a
	close(f.done)
}

// sweepInterval is how often, at most, a full cache is swept of expired
// entries; in between, a full cache makes room by evicting any one entry.
const sweepInterval = time.Second

// remember stores an answer at now, keeping each map within its bound;
// v.mu is held.
func (v *Validator) remember(key Key, scope Scope, rejected *RejectedError, now time.Time) {
	if rejected != nil {
		makeRoom(v.bad, v.opts.MaxRejected, now, &v.badSwept, func(e badEntry) time.Time { return e.until })
		v.bad[key] = badEntry{err: rejected, until: now.Add(v.opts.RejectedTTL)}
		return
	}
	delete(v.bad, key)
	makeRoom(v.valid, v.opts.MaxValid, now, &v.validSwept, func(e validEntry) time.Time { return e.scope.ExpiresAt })
	v.valid[key] = validEntry{scope: scope}
}

// makeRoom leaves room for one more entry in m, which holds at most limit:
// a full map is swept of the entries expired at now (their until), at most
// once per sweepInterval (*swept records when); if it is still full, any
// entries go until there is room.
func makeRoom[K comparable, E any](m map[K]E, limit int, now time.Time, swept *time.Time, until func(E) time.Time) {
	if len(m) >= limit && now.Sub(*swept) >= sweepInterval {
		*swept = now
		for k, e := range m {
			if !now.Before(until(e)) {
				delete(m, k)
			}
		}
	}
	for k := range m {
		if len(m) < limit {
			break
		}
		delete(m, k)
	}
}

// ask sends one validation request.
func (v *Validator) ask(ctx context.Context, token string) (Scope, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, v.tokensURL, nil)
	if err != nil {
		return Scope{}, fmt.Errorf("%w: building the request: %w", ErrUnavailable, err)
	}
	req.Header.Set("X-Auth-Token", token)
	req.Header.Set("X-Subject-Token", token)
	req.Header.Set("Accept", "application/json")
	// IAM's reference lists Content-Type as required, even without a body.
	req.Header.Set("Content-Type", "application/json;charset=utf8")
	resp, err := v.httpClient.Do(req)
	if err != nil {
		// *url.Error quotes the URL (the endpoint), never headers.
		return Scope{}, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswerBytes+1))
	if err != nil {
		return Scope{}, fmt.Errorf("%w: reading the answer: %w", ErrUnavailable, err)
	}
	switch resp.StatusCode {
	case http.StatusOK:
		if len(raw) > maxAnswerBytes {
			return Scope{}, fmt.Errorf("%w: IAM's answer exceeds %d bytes", ErrUnavailable, maxAnswerBytes)
		}
		scope, err := ParseToken(raw)
		if err != nil {
			return Scope{}, fmt.Errorf("%w: %w", ErrUnavailable, err)
		}
		return scope, nil
	case http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound:
		// The token is the only credential of the request: IAM's refusal
		// is about it.
		return Scope{}, &RejectedError{HTTPStatus: resp.StatusCode, Why: fmt.Sprintf("IAM answered HTTP %d", resp.StatusCode)}
	}
	return Scope{}, fmt.Errorf("%w: IAM answered HTTP %d", ErrUnavailable, resp.StatusCode)
}

// ParseToken reads the scope and expiry from the body of IAM's answer to a
// token validation (or issue): {"token": {"expires_at": ..., "project":
// {"id": ..., "name": ...}, ...}}. expires_at is required (RFC 3339, as
// "2019-02-13T06:52:13.855000Z"); project is absent for a token that is
// not scoped to a project. Errors never quote the body, which may hold
// secrets of IAM's.
func ParseToken(raw []byte) (Scope, error) {
	var body struct {
		Token *struct {
			ExpiresAt string `json:"expires_at"`
			Project   *struct {
				ID   string `json:"id"`
				Name string `json:"name"`
			} `json:"project"`
		} `json:"token"`
	}
	if err := json.Unmarshal(raw, &body); err != nil {
		return Scope{}, errors.New("IAM's answer is not a token (not JSON)")
	}
	if body.Token == nil {
		return Scope{}, errors.New("IAM's answer is not a token (no token object)")
	}
	expires, err := time.Parse(time.RFC3339Nano, body.Token.ExpiresAt)
	if err != nil {
		return Scope{}, errors.New("IAM's answer has no valid token.expires_at")
	}
	s := Scope{ExpiresAt: expires}
	if p := body.Token.Project; p != nil {
		s.ProjectID, s.ProjectName = p.ID, p.Name
	}
	return s, nil
}
