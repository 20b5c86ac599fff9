package modelarts

import (
	"crypto/tls"
	"net"
	"net/http"
	"time"
)

// DefaultMaxIdleConns is how many idle connections [NewTransport] keeps to
// the upstream host.
const DefaultMaxIdleConns = 1024

// NewTransport returns an [http.Transport] tuned for one upstream host under
// concurrent load: up to maxIdle idle connections (DefaultMaxIdleConns if
// zero or less), so that a burst of calls reuses them instead of dialing;
// bounded dial and TLS handshake times; and no overall response timeout
// (each call's context bounds it instead). Share one transport per process,
// and keep maxIdle at least the number of calls allowed in flight.
func NewTransport(maxIdle int) *http.Transport {
	if maxIdle <= 0 {
		maxIdle = DefaultMaxIdleConns
	}
	dialer := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	return &http.Transport{
		Proxy:                  http.ProxyFromEnvironment,
		DialContext:            dialer.DialContext,
		ForceAttemptHTTP2:      true,
		MaxIdleConns:           maxIdle,
		MaxIdleConnsPerHost:    maxIdle,
		IdleConnTimeout:        90 * time.Second,
		TLSHandshakeTimeout:    5 * time.Second,
		ExpectContinueTimeout:  time.Second,
		MaxResponseHeaderBytes: 64 << 10,
		// Requests are a few hundred bytes and answers a few KiB: small
		// buffers keep each idle or busy connection cheap (with 10,000 calls
		// in flight there are 10,000 connections). Longer lines and bodies
		// still work, in more reads and writes.
		WriteBufferSize: 1 << 10,
		ReadBufferSize:  2 << 10,
		TLSClientConfig: &tls.Config{MinVersion: tls.VersionTLS12},
	}
}

// NewHTTPClient returns an [http.Client] over NewTransport(maxIdle) that
// does not follow redirects: ModelArts does not redirect API calls, and
// following one would resend the X-Auth-Token to wherever it points.
func NewHTTPClient(maxIdle int) *http.Client {
	return &http.Client{
		Transport: NewTransport(maxIdle),
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}
