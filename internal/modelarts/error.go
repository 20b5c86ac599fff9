package modelarts

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/devenv-facade/devenv-facade/internal/scrub"
)

// Limits applied to text taken from upstream answers before it is passed on.
const (
	maxMessageBytes     = 1024
	maxCodeBytes        = 64
	maxRequestID        = 128
	maxContentTypeBytes = 128
	maxBodySnippet      = 512
)

// Error is an answer from ModelArts with an HTTP status outside 2xx.
//
// ModelArts reports errors as {"error_code": "ModelArts.6309",
// "error_message": "The instance does not exist."}, mostly with HTTP 400
// (6309 means "not found" despite its status). Gateways in front of it use
// "error_msg" instead of "error_message"; both are read. Bodies that are not
// such JSON (an HTML page from a load balancer, an empty 503) give an Error
// with an empty Code.
//
// The text fields come from the network. Before they are stored they are
// made valid UTF-8; control characters become spaces; invisible formatting
// characters (Unicode category Cf: bidirectional overrides such as U+202E,
// zero-width spaces and joiners, U+FEFF) are removed; every credential the
// request carried and every secret of the configured [Credentials] (see
// [SecretCredentials]) is replaced with "[REDACTED]"; and the text is cut to
// a bounded length, after the replacement, so that no cut leaves part of a
// secret behind. Values shorter than 8 bytes are not redacted: they would
// shred ordinary words, and no real token, key or signature is that short.
// Callers should still treat the fields as untrusted when they render them.
type Error struct {
	// HTTPStatus is the status code of the answer, for example 400.
	HTTPStatus int
	// Code is the ModelArts error code verbatim, for example
	// "ModelArts.6309". It is empty when the body was not a ModelArts error.
	Code string
	// Message is the body's error_message (or error_msg). When Code is empty
	// it describes the answer instead, for example "HTTP 502 Bad Gateway
	// with a non-JSON body (text/html)".
	Message string
	// RequestID identifies the request: the X-Request-Id response header if
	// ModelArts sent one, else the body's request_id, else the ID the client
	// sent.
	RequestID string
	// RetryAfter is the delay asked for by a Retry-After header, or zero.
	RetryAfter time.Duration
	// ContentType is the answer's Content-Type header.
	ContentType string
	// Body holds the start of a body that was not a ModelArts error, for
	// logs: at most 512 bytes, cleaned like the text fields. It is nil for
	// ModelArts errors and for bodies with nothing visible.
	Body []byte
}

// Error describes the answer on one line.
func (e *Error) Error() string {
	if e.Code == "" {
		return fmt.Sprintf("modelarts: %s (request id %s)", e.Message, e.RequestID)
	}
	return fmt.Sprintf("modelarts: HTTP %d %s: %s (request id %s)", e.HTTPStatus, e.Code, e.Message, e.RequestID)
}

// errorBody is the JSON shape of a ModelArts or API-gateway error.
type errorBody struct {
	ErrorCode    string `json:"error_code"`
	ErrorMessage string `json:"error_message"`
	ErrorMsg     string `json:"error_msg"`
	RequestID    string `json:"request_id"`
}

// ParseError builds the Error for a non-2xx answer from its status, headers
// and (possibly truncated) body. sentRequestID is the X-Request-Id the client
// sent, used when the answer names none; now resolves an HTTP-date
// Retry-After. Each occurrence of one of secrets (at least 8 bytes long) in
// the answer's text is replaced with "[REDACTED]"; see [Error]. It never
// fails: a body it cannot read gives an Error with an empty Code.
func ParseError(status int, header http.Header, body []byte, sentRequestID string, now time.Time, secrets ...string) *Error {
	return parseError(status, header, body, sentRequestID, now, scrub.NewSecrets(secrets...))
}

func parseError(status int, header http.Header, body []byte, sentRequestID string, now time.Time, secrets *scrub.Secrets) *Error {
	e := &Error{
		HTTPStatus:  status,
		ContentType: scrub.Text(header.Get(headerContentType), maxContentTypeBytes, secrets),
		RetryAfter:  parseRetryAfter(header.Get(headerRetryAfter), now),
		RequestID:   scrub.Text(header.Get(headerRequestID), maxRequestID, secrets),
	}
	var eb errorBody
	if json.Unmarshal(body, &eb) == nil {
		e.Code = scrub.Text(eb.ErrorCode, maxCodeBytes, secrets)
		if e.RequestID == "" {
			e.RequestID = scrub.Text(eb.RequestID, maxRequestID, secrets)
		}
	}
	if e.RequestID == "" {
		e.RequestID = sentRequestID
	}
	if e.Code != "" {
		msg := eb.ErrorMessage
		if msg == "" {
			msg = eb.ErrorMsg
		}
		e.Message = scrub.Text(msg, maxMessageBytes, secrets)
		return e
	}
	e.Message = describeNonJSON(status, e.ContentType, len(body))
	if snippet := scrub.Bytes(body, maxBodySnippet, secrets); snippet != "" {
		e.Body = []byte(snippet)
	}
	return e
}

// newError builds the Error for an answer to req, with the credentials req
// carried and the configured secrets redacted.
func (c *Client) newError(req *http.Request, resp *http.Response, body []byte, sentRequestID string) *Error {
	return parseError(resp.StatusCode, resp.Header, body, sentRequestID, c.clock.Now(), c.secretsOf(req))
}

// secretsOf returns the secrets of a call to req prepared for redaction
// ([Client.appendSecrets]). Calls with the configured token carry the same
// secrets every time, so the last set prepared is kept and handed out
// again while the values match (preparing them took 6 allocations on
// every answer); calls with other secrets (caller tokens, a signature per
// request) prepare their own, and replace it.
func (c *Client) secretsOf(req *http.Request) *scrub.Secrets {
	var buf [8]string
	values := c.appendSecrets(buf[:0], req)
	if last := c.lastSecrets.Load(); last != nil && slices.Equal(last.values, values) {
		return last.secrets
	}
	prepared := &preparedSecrets{values: slices.Clone(values), secrets: scrub.NewSecrets(values...)}
	c.lastSecrets.Store(prepared)
	return prepared.secrets
}

// preparedSecrets is a set of secret values and their [scrub.Secrets].
type preparedSecrets struct {
	values  []string
	secrets *scrub.Secrets
}

// appendSecrets appends to out what upstream text must not repeat: the
// values of req's credential headers (X-Auth-Token, X-Security-Token,
// Authorization, and the signature and access key inside Authorization)
// and the configured secrets.
func (c *Client) appendSecrets(out []string, req *http.Request) []string {
	for _, name := range [...]string{headerAuthToken, headerSecurityToken, headerAuthorization} {
		out = append(out, req.Header.Values(name)...)
	}
	for _, v := range req.Header.Values(headerAuthorization) {
		out = appendAuthorizationSecrets(out, v)
	}
	if sc, ok := c.creds.(SingleSecretCredentials); ok {
		return append(out, sc.Secret())
	}
	return append(out, c.Secrets()...)
}

// appendAuthorizationSecrets appends the secret parts of an Authorization
// header value: its credentials after the scheme, and for SDK-HMAC-SHA256
// ("SDK-HMAC-SHA256 Credential=AK/scope, SignedHeaders=..., Signature=hex",
// or "Access=AK") the signature and the access key.
func appendAuthorizationSecrets(out []string, v string) []string {
	_, params, ok := strings.Cut(strings.TrimSpace(v), " ")
	if !ok {
		return out
	}
	out = append(out, strings.TrimSpace(params))
	for p := range strings.SplitSeq(params, ",") {
		key, val, ok := strings.Cut(strings.TrimSpace(p), "=")
		if !ok {
			continue
		}
		switch strings.ToLower(key) {
		case "signature", "access":
			out = append(out, val)
		case "credential":
			ak, _, _ := strings.Cut(val, "/")
			out = append(out, ak)
		}
	}
	return out
}

func describeNonJSON(status int, contentType string, n int) string {
	text := http.StatusText(status)
	if text == "" {
		text = "(unknown status)"
	}
	switch {
	case n == 0:
		return fmt.Sprintf("HTTP %d %s with an empty body", status, text)
	case contentType == "":
		return fmt.Sprintf("HTTP %d %s with a body that is not a ModelArts error", status, text)
	default:
		return fmt.Sprintf("HTTP %d %s with a body that is not a ModelArts error (%s)", status, text, contentType)
	}
}

// parseRetryAfter reads a Retry-After value: delay seconds or an HTTP date.
// It returns zero when the value is absent, malformed or in the past, and
// caps absurd values at one hour.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	var d time.Duration
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		d = time.Duration(min(secs, 3600)) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now).Round(time.Second)
	}
	return min(max(d, 0), time.Hour)
}
