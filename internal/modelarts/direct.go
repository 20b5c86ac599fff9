package modelarts

import (
	"crypto/tls"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// DirectClient is an [HTTPClient] that hands each request straight to its
// Transport and returns the answer as it is, a redirect included. It does
// what an [http.Client] does with no cookie jar, no timeout and a
// CheckRedirect that answers [http.ErrUseLastResponse] (as
// [NewHTTPClientWith]'s client does), errors included: they are
// *url.Error, as the client's; but a redirect whose Location is not a
// URL is passed on as the answer it is, where the client reports an error
// (it parses the Location before asking CheckRedirect). What it saves is the client's four frames
// (1.1 KiB of stack) under every call waiting for ModelArts: with
// thousands of calls waiting, how deep they wait decides whether their
// goroutines' stacks fit in 8 KiB or take 16 (see BENCHMARKS.md, "10000
// calls in flight").
//
// Requests must have a URL without user info and a header (NewClient and
// the client's requests ensure both).
type DirectClient struct {
	// Transport sends the requests.
	Transport http.RoundTripper
}

// NewDirectClient returns a DirectClient over NewTransportWith(o).
func NewDirectClient(o TransportOptions) *DirectClient {
	return &DirectClient{Transport: NewTransportWith(o)}
}

// Do sends req with c.Transport.
func (c *DirectClient) Do(req *http.Request) (*http.Response, error) {
	resp, err := c.Transport.RoundTrip(req)
	if err != nil || resp == nil || resp.Body == nil {
		return c.unusual(req, resp, err)
	}
	return resp, nil
}

// unusual is Do's answer when the transport returned an error, or no
// answer, or one without a body. A function of its own, not inlined, so
// that Do's frame, under which calls wait for ModelArts, is small.
//
//go:noinline
func (c *DirectClient) unusual(req *http.Request, resp *http.Response, err error) (*http.Response, error) {
	switch {
	case err != nil:
		return nil, c.fail(req, err)
	case resp == nil:
		return nil, c.fail(req, fmt.Errorf("http: RoundTripper implementation (%T) returned a nil *Response with a nil error", c.Transport))
	case resp.ContentLength > 0 && req.Method != http.MethodHead:
		return nil, c.fail(req, fmt.Errorf("http: RoundTripper implementation (%T) returned a *Response with content length %d but a nil Body", c.Transport, resp.ContentLength))
	}
	resp.Body = http.NoBody
	return resp, nil
}

// fail wraps err as an [http.Client] does: in a *url.Error naming the
// method and the URL, a TLS handshake answered in plain HTTP as
// [http.ErrSchemeMismatch].
func (c *DirectClient) fail(req *http.Request, err error) error {
	if tlsErr, ok := err.(tls.RecordHeaderError); ok && string(tlsErr.RecordHeader[:]) == "HTTP/" {
		err = http.ErrSchemeMismatch
	}
	op := "Get"
	if m := req.Method; m != "" {
		op = m[:1] + strings.ToLower(m[1:])
	}
	return &url.Error{Op: op, URL: req.URL.String(), Err: err}
}

// CloseIdleConnections closes the transport's idle connections, if it
// keeps any.
func (c *DirectClient) CloseIdleConnections() {
	if t, ok := c.Transport.(interface{ CloseIdleConnections() }); ok {
		t.CloseIdleConnections()
	}
}
