package cloudauth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/devenv-facade/devenv-facade/internal/clock"
	"github.com/devenv-facade/devenv-facade/internal/modelarts"
	"github.com/devenv-facade/devenv-facade/internal/scrub"
)

// IAMConfig names an IAM user and the project its token is scoped to.
type IAMConfig struct {
	// Endpoint is the IAM v3 base URL, for example
	// "https://iam.eu-de.otc.t-systems.com/v3".
	Endpoint string
	// Username, Password and DomainName identify the user; DomainName is
	// the account (tenant) name.
	Username, Password, DomainName string
	// ProjectName or ProjectID (exactly one) scopes the token, for example
	// "eu-de".
	ProjectName, ProjectID string
}

// String describes the configuration without the password.
func (c IAMConfig) String() string {
	return fmt.Sprintf("IAM user %q in domain %q at %s", c.Username, c.DomainName, scrub.URL(c.Endpoint))
}

// Format prints String whatever the verb.
func (c IAMConfig) Format(f fmt.State, _ rune) { redact(f, c.String()) }

// LogValue logs String.
func (c IAMConfig) LogValue() slog.Value { return slog.StringValue(c.String()) }

// Timing of IAM tokens.
const (
	// iamFetchTimeout bounds one token request, whoever waits for it.
	iamFetchTimeout = 30 * time.Second
	// defaultTokenLifetime is assumed when IAM does not say when a token
	// expires. IAM tokens live 24 hours; assuming less only refreshes early.
	defaultTokenLifetime = time.Hour
	maxIAMBody           = 1 << 20
	// maxIAMMessage bounds the part of IAM's explanation kept in an
	// IAMError.
	maxIAMMessage = 256
)

// IAMError is an answer from IAM refusing to issue a token, for example
// HTTP 401 for a wrong password.
type IAMError struct {
	// HTTPStatus is IAM's status code.
	HTTPStatus int
	// Message is IAM's explanation, if it gave one, cleaned like the text of
	// a [modelarts.Error]: valid UTF-8, control characters turned into
	// spaces, invisible formatting characters (bidirectional overrides,
	// zero-width characters) removed, the password replaced with
	// "[REDACTED]" wherever IAM repeats it (as is, or JSON-escaped as in the
	// request body; a password shorter than 8 bytes is not looked for), and
	// cut to 256 bytes after that.
	Message string
}

// Error describes the refusal.
func (e *IAMError) Error() string {
	if e.Message == "" {
		return fmt.Sprintf("IAM refused the token request: HTTP %d", e.HTTPStatus)
	}
	return fmt.Sprintf("IAM refused the token request: HTTP %d: %s", e.HTTPStatus, e.Message)
}

// RejectedStatus returns IAM's HTTP status. With it, an IAMError is a
// [modelarts.CredentialsRejection]: IAM refused the configured credentials.
func (e *IAMError) RejectedStatus() int { return e.HTTPStatus }

var _ modelarts.CredentialsRejection = (*IAMError)(nil)

var _ modelarts.SingleSecretCredentials = Token("")

// IAMPassword authenticates requests with a project-scoped IAM token that it
// obtains with a user name and password (POST {iam}/auth/tokens; the token
// arrives in X-Subject-Token).
//
// The token is cached. Once three quarters of its lifetime have passed it is
// refreshed in the background while callers keep using it; a caller only
// waits when there is no usable token. However many callers need a token at
// once, one request to IAM is in flight at a time. It implements
// [modelarts.RefreshableCredentials]: after ModelArts rejects the token, the
// next Refresh fetches a new one, once for all the calls that saw it fail.
type IAMPassword struct {
	cfg        *IAMConfig // a pointer, so that fmt never prints its fields
	tokensURL  string
	httpClient modelarts.HTTPClient
	clock      clock.Clock

	flight singleflight.Group
	mu     sync.Mutex
	tok    *iamToken

	// observe, if set, is told of every token request
	// (Config.OnTokenRequest).
	observe func(refresh bool, err error)
	// lastErr is the last token request's failure, nil after a success;
	// lastFetch is when it ended.
	lastErr   error
	lastFetch time.Time
}

// After a token request failed, how long a new one waits: IAM that refused
// the password (a lockout of the service user is at stake) is asked again
// after readyRetry, whatever the calls and readiness probes in between;
// unreachable IAM after unreachableRetry. Calls in between fail at once
// with the last failure.
const (
	readyRetry       = 10 * time.Second
	unreachableRetry = time.Second
)

// ErrNoToken is what [IAMPassword.Ready] reports until a token has been
// obtained.
var ErrNoToken = errors.New("cloudauth: no usable IAM token (none obtained yet, or the last one expired)")

// Ready reports, without waiting, whether the credentials hold a usable
// token: nil, or why not (the last token request's failure, or
// [ErrNoToken]). When they hold none, it starts a token request in the
// background, so that asking again later tells more.
func (p *IAMPassword) Ready() error {
	p.mu.Lock()
	tok, lastErr, lastFetch := p.tok, p.lastErr, p.lastFetch
	p.mu.Unlock()
	now := p.clock.Now()
	if tok != nil && now.Before(tok.usableUntil) {
		if !now.Before(tok.refreshAfter) {
			// An idle facade renews its token too, before it expires.
			p.flight.DoChan("token", p.fetch)
		}
		return nil
	}
	if lastErr == nil || now.Sub(lastFetch) >= readyRetry {
		p.flight.DoChan("token", p.fetch)
	}
	if lastErr != nil {
		return lastErr
	}
	return ErrNoToken
}

type iamToken struct {
	value        string
	refreshAfter time.Time // fetch a new one in the background from here on
	usableUntil  time.Time // stop using it from here on
}

// NewIAMPassword returns IAM password credentials on the system clock,
// telling no one of their token requests ([New] with a [Config] of
// KindPassword sets both). httpClient carries the requests to IAM (one
// that does not follow redirects, such as [modelarts.NewHTTPClient]). The
// endpoint must be an http or https URL without user info (no "@"); errors
// describe it without user info, query or fragment.
func NewIAMPassword(httpClient modelarts.HTTPClient, cfg IAMConfig) (*IAMPassword, error) {
	return newIAMPassword(httpClient, cfg, nil, nil)
}

// newIAMPassword is NewIAMPassword on clk (nil: the system clock),
// telling observe (if not nil) of every token request.
func newIAMPassword(httpClient modelarts.HTTPClient, cfg IAMConfig, clk clock.Clock, observe func(refresh bool, err error)) (*IAMPassword, error) {
	switch {
	case cfg.Endpoint == "":
		return nil, errors.New("cloudauth: IAM password authentication needs the IAM endpoint (--iam-endpoint, OS_AUTH_URL)")
	case cfg.Username == "" || cfg.Password == "":
		return nil, errors.New("cloudauth: IAM password authentication needs a user name and a password")
	case cfg.DomainName == "":
		return nil, errors.New("cloudauth: IAM password authentication needs the domain (account) name (--domain-name, OS_DOMAIN_NAME)")
	case (cfg.ProjectName == "") == (cfg.ProjectID == ""):
		return nil, errors.New("cloudauth: IAM password authentication needs exactly one of a project name and a project ID")
	}
	// Errors describe the endpoint without user info: it may hold a password.
	u, err := scrub.ParseURL(cfg.Endpoint)
	if err != nil {
		return nil, fmt.Errorf("cloudauth: IAM endpoint: %w", err)
	}
	switch {
	case u.User != nil || strings.Contains(cfg.Endpoint, "@"):
		return nil, fmt.Errorf("cloudauth: IAM endpoint %q: user info is not allowed in the URL", scrub.URL(cfg.Endpoint))
	case (u.Scheme != "https" && u.Scheme != "http") || u.Host == "":
		return nil, fmt.Errorf("cloudauth: IAM endpoint %q is not an http(s) URL", scrub.URL(cfg.Endpoint))
	}
	u.Path = strings.TrimRight(u.Path, "/") + "/auth/tokens"
	u.RawPath = ""
	u.RawQuery = "nocatalog=true" // the service catalogue is large and unused
	return &IAMPassword{cfg: &cfg, tokensURL: u.String(), httpClient: httpClient, clock: clock.Or(clk), observe: observe}, nil
}

// String describes the credentials without the password or token.
func (p *IAMPassword) String() string {
	scope := p.cfg.ProjectName
	if scope == "" {
		scope = p.cfg.ProjectID
	}
	return fmt.Sprintf("IAM password (user %q in domain %q, project %q)", p.cfg.Username, p.cfg.DomainName, scope)
}

// Format prints String whatever the verb.
func (p *IAMPassword) Format(f fmt.State, _ rune) { redact(f, p.String()) }

// LogValue logs String.
func (p *IAMPassword) LogValue() slog.Value { return slog.StringValue(p.String()) }

// Secrets returns the password and the current token, so that the
// modelarts client can redact them from upstream error text
// ([modelarts.SecretCredentials]).
func (p *IAMPassword) Secrets() []string {
	out := []string{p.cfg.Password}
	p.mu.Lock()
	if p.tok != nil {
		out = append(out, p.tok.value)
	}
	p.mu.Unlock()
	return out
}

// Authenticate sets X-Auth-Token to a current token, fetching one if needed.
func (p *IAMPassword) Authenticate(ctx context.Context, req *http.Request) error {
	tok, err := p.token(ctx)
	if err != nil {
		return err
	}
	req.Header.Set("X-Auth-Token", tok)
	return nil
}

// Refresh discards the token rejected carries, if it is still the current
// one, and waits for a new one.
func (p *IAMPassword) Refresh(ctx context.Context, rejected *http.Request) error {
	stale := rejected.Header.Get("X-Auth-Token")
	p.mu.Lock()
	if p.tok != nil && p.tok.value == stale {
		p.tok = nil
	}
	p.mu.Unlock()
	_, err := p.token(ctx)
	return err
}

func (p *IAMPassword) token(ctx context.Context) (string, error) {
	p.mu.Lock()
	tok, lastErr, lastFetch := p.tok, p.lastErr, p.lastFetch
	p.mu.Unlock()
	now := p.clock.Now()
	if tok != nil && now.Before(tok.usableUntil) {
		if !now.Before(tok.refreshAfter) {
			p.flight.DoChan("token", p.fetch) // in the background; the result lands in p.tok
		}
		return tok.value, nil
	}
	if lastErr != nil {
		var refused *IAMError
		wait := unreachableRetry
		if errors.As(lastErr, &refused) {
			wait = readyRetry
		}
		if now.Sub(lastFetch) < wait {
			return "", lastErr
		}
	}
	select {
	case r := <-p.flight.DoChan("token", p.fetch):
		if r.Err != nil {
			return "", r.Err
		}
		return r.Val.(string), nil
	case <-ctx.Done():
		return "", fmt.Errorf("cloudauth: waiting for an IAM token: %w", ctx.Err())
	}
}

// fetch requests a token and stores it. It runs under singleflight with its
// own timeout: the caller that started it may go away, the others still
// wait for it.
//
// A caller decides to fetch after reading p.tok outside the flight, so a
// fetch may start just after another one stored a fresh token; it then
// answers that token instead of asking IAM again.
func (p *IAMPassword) fetch() (any, error) {
	p.mu.Lock()
	tok := p.tok
	p.mu.Unlock()
	if tok != nil && p.clock.Now().Before(tok.refreshAfter) {
		return tok.value, nil
	}
	refresh := tok != nil
	v, err := p.request()
	p.mu.Lock()
	p.lastErr, p.lastFetch = err, p.clock.Now()
	p.mu.Unlock()
	if p.observe != nil {
		p.observe(refresh, err)
	}
	return v, err
}

// request asks IAM for a token and stores it.
func (p *IAMPassword) request() (any, error) {
	ctx, cancel := context.WithTimeout(context.Background(), iamFetchTimeout)
	defer cancel()
	body, err := json.Marshal(p.requestBody())
	if err != nil {
		return nil, fmt.Errorf("cloudauth: encoding the token request: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.tokensURL, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("cloudauth: building the token request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json;charset=utf8")
	req.Header.Set("Accept", "application/json")
	issued := p.clock.Now()
	resp, err := p.httpClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("cloudauth: requesting an IAM token: %w", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxIAMBody))
	if err != nil {
		return nil, fmt.Errorf("cloudauth: reading the IAM answer: %w", err)
	}
	if resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusOK {
		return nil, &IAMError{HTTPStatus: resp.StatusCode, Message: iamErrorMessage(raw, scrub.NewSecrets(p.cfg.Password))}
	}
	value := resp.Header.Get("X-Subject-Token")
	if value == "" {
		return nil, &IAMError{HTTPStatus: resp.StatusCode, Message: "the answer has no X-Subject-Token header"}
	}
	var tb struct {
		Token struct {
			ExpiresAt string `json:"expires_at"`
		} `json:"token"`
	}
	expires := issued.Add(defaultTokenLifetime)
	if json.Unmarshal(raw, &tb) == nil {
		if t, err := time.Parse(time.RFC3339Nano, tb.Token.ExpiresAt); err == nil && t.After(issued) {
			expires = t
		}
	}
	life := expires.Sub(issued)
	tok := &iamToken{
		value:        value,
		refreshAfter: issued.Add(life * 3 / 4),
		usableUntil:  expires.Add(-min(time.Minute, life/10)),
	}
	p.mu.Lock()
	p.tok = tok
	p.mu.Unlock()
	return value, nil
}

// requestBody is the password-method token request of the IAM v3 API.
func (p *IAMPassword) requestBody() any {
	type name struct {
		Name string `json:"name"`
	}
	type project struct {
		ID   string `json:"id,omitempty"`
		Name string `json:"name,omitempty"`
	}
	scope := project{ID: p.cfg.ProjectID, Name: p.cfg.ProjectName}
	var body struct {
		Auth struct {
			Identity struct {
				Methods  []string `json:"methods"`
				Password struct {
					User struct {
						Name     string `json:"name"`
						Password string `json:"password"`
						Domain   name   `json:"domain"`
					} `json:"user"`
				} `json:"password"`
			} `json:"identity"`
			Scope struct {
				Project project `json:"project"`
			} `json:"scope"`
		} `json:"auth"`
	}
	body.Auth.Identity.Methods = []string{"password"}
	u := &body.Auth.Identity.Password.User
	u.Name, u.Password, u.Domain.Name = p.cfg.Username, p.cfg.Password, p.cfg.DomainName
	body.Auth.Scope.Project = scope
	return body
}

// iamErrorMessage reads the message of an IAM error body: Keystone's
// {"error": {"message": ...}} or the gateway's {"error_msg": ...}, cleaned
// with secrets redacted.
func iamErrorMessage(raw []byte, secrets *scrub.Secrets) string {
	var eb struct {
		Error struct {
			Message string `json:"message"`
		} `json:"error"`
		ErrorMsg string `json:"error_msg"`
	}
	if json.Unmarshal(raw, &eb) != nil {
		return ""
	}
	msg := eb.Error.Message
	if msg == "" {
		msg = eb.ErrorMsg
	}
	return scrub.Text(msg, maxIAMMessage, secrets)
}
