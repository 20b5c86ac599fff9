package modelarts

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Limits applied to text taken from upstream answers before it is passed on.
const (
	maxMessageBytes = 1024
	maxCodeBytes    = 64
	maxRequestID    = 128
	maxBodySnippet  = 512
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
// The text fields come from the network: they are made valid UTF-8, stripped
// of control characters and truncated, but callers should still treat them as
// untrusted when they render them.
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
	// Body holds the start of a body that was not a ModelArts error (at most
	// 512 bytes), for logs. It is nil for ModelArts errors.
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
// Retry-After. It never fails: a body it cannot read gives an Error with an
// empty Code.
func ParseError(status int, header http.Header, body []byte, sentRequestID string, now time.Time) *Error {
	e := &Error{
		HTTPStatus:  status,
		ContentType: cleanText(header.Get(headerContentType), 128),
		RetryAfter:  parseRetryAfter(header.Get(headerRetryAfter), now),
		RequestID:   cleanText(header.Get(headerRequestID), maxRequestID),
	}
	var eb errorBody
	if json.Unmarshal(body, &eb) == nil {
		e.Code = cleanText(eb.ErrorCode, maxCodeBytes)
		if e.RequestID == "" {
			e.RequestID = cleanText(eb.RequestID, maxRequestID)
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
		e.Message = cleanText(msg, maxMessageBytes)
		return e
	}
	e.Message = describeNonJSON(status, e.ContentType, len(body))
	if len(body) > 0 {
		e.Body = append([]byte(nil), body[:min(len(body), maxBodySnippet)]...)
	}
	return e
}

// staleToken reports whether ModelArts rejected the request's token as
// missing, expired or invalid: the answers a fresh token can cure.
func (e *Error) staleToken() bool {
	switch e.Code {
	case "ModelArts.0201", "ModelArts.0202", "ModelArts.0203":
		return e.HTTPStatus == http.StatusUnauthorized || e.HTTPStatus == http.StatusForbidden
	}
	return false
}

func (c *Client) newError(resp *http.Response, body []byte, sentRequestID string) *Error {
	return ParseError(resp.StatusCode, resp.Header, body, sentRequestID, c.now())
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

// cleanText makes untrusted upstream text safe to pass on: valid UTF-8, no
// control characters, surrounding space trimmed, at most maxBytes bytes
// (cut at a rune boundary).
func cleanText(s string, maxBytes int) string {
	if len(s) > 4*maxBytes {
		s = s[:4*maxBytes] // bound the work on hostile input
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	if len(s) <= maxBytes {
		return s
	}
	cut := maxBytes
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}
