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

// h2cDialsAtOnce is how many connections a transport with
// TransportOptions.UnencryptedHTTP2 dials at once.
const h2cDialsAtOnce = 4

// TransportOptions tune [NewTransportWith].
type TransportOptions struct {
	// MaxIdleConns is how many idle connections to keep to the upstream
	// host (HTTP/1.1 only: HTTP/2 needs few connections). Zero or less
	// means DefaultMaxIdleConns.
	MaxIdleConns int
	// UnencryptedHTTP2 makes requests to http:// URLs HTTP/2 over
	// cleartext TCP with prior knowledge (h2c): no HTTP/1.1, no Upgrade.
	// Only for a plain-http upstream known to speak it, such as a service
	// mesh's sidecar or the ModelArts emulator: one that does not fails
	// every call. Calls then share a few connections (a new one opens
	// when the upstream's limit of concurrent streams on each is reached)
	// instead of taking one each, which saves two goroutines and a
	// connection's buffers per call in flight. https:// URLs negotiate
	// HTTP/2 by ALPN either way, and with this set they must get it.
	UnencryptedHTTP2 bool
}

// NewTransport returns NewTransportWith(TransportOptions{MaxIdleConns:
// maxIdle}).
func NewTransport(maxIdle int) *http.Transport {
	return NewTransportWith(TransportOptions{MaxIdleConns: maxIdle})
}

// NewTransportWith returns an [http.Transport] tuned for one upstream host
// under concurrent load:
//   - https:// URLs negotiate HTTP/2 by ALPN where the upstream offers it,
//     HTTP/1.1 where it does not; http:// URLs are HTTP/1.1, or HTTP/2
//     with o.UnencryptedHTTP2.
//   - Over HTTP/1.1, up to o.MaxIdleConns idle connections, so that a
//     burst of calls reuses them instead of dialing: keep it at least the
//     number of calls allowed in flight.
//   - Over HTTP/2, calls share connections up to the limit of concurrent
//     streams the upstream sets on each, and a new connection opens when
//     every one is full (calls do not queue behind a full connection); a
//     connection that has received nothing for 30 s is pinged, and closed
//     if the answer takes 15 s.
//   - Bounded dial and TLS handshake times, and no overall response
//     timeout: each call's context bounds it.
//
// Share one transport per process.
func NewTransportWith(o TransportOptions) *http.Transport {
	maxIdle := o.MaxIdleConns
	if maxIdle <= 0 {
		maxIdle = DefaultMaxIdleConns
	}
	dialer := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	t := &http.Transport{
		Proxy:       http.ProxyFromEnvironment,
		DialContext: dialer.DialContext,
		// With a DialContext and a TLSClientConfig of its own, a
		// Transport speaks HTTP/2 only if asked to.
		ForceAttemptHTTP2:      true,
		MaxIdleConns:           maxIdle,
		MaxIdleConnsPerHost:    maxIdle,
		IdleConnTimeout:        90 * time.Second,
		TLSHandshakeTimeout:    5 * time.Second,
		ExpectContinueTimeout:  time.Second,
		MaxResponseHeaderBytes: 64 << 10,
		// Requests are a few hundred bytes and answers a few KiB: small
		// buffers keep each idle or busy HTTP/1.1 connection cheap (with
		// 10,000 calls in flight there are 10,000 connections). Longer
		// lines and bodies still work, in more reads and writes.
		WriteBufferSize: 1 << 10,
		ReadBufferSize:  2 << 10,
		TLSClientConfig: &tls.Config{MinVersion: tls.VersionTLS12},
		HTTP2: &http.HTTP2Config{
			// False is the default, said here because it matters: true
			// would queue calls behind a connection at the upstream's
			// stream limit instead of opening another.
			StrictMaxConcurrentRequests: false,
			SendPingTimeout:             30 * time.Second,
			PingTimeout:                 15 * time.Second,
		},
	}
	if o.UnencryptedHTTP2 {
		// Without HTTP1, the Transport speaks HTTP/2 with prior
		// knowledge to http:// URLs (net/http.Transport.Protocols).
		var p http.Protocols
		p.SetHTTP2(true)
		p.SetUnencryptedHTTP2(true)
		t.Protocols = &p
		// Every call that finds no connection with a free stream dials
		// one: a burst of calls from cold (or past the upstream's limit
		// on every connection) would dial one connection each, 16,010
		// for 10,000 calls in one measurement, where 40 do. Over HTTP/2
		// the limit counts only the connections being dialed and those
		// not known to be full, so it caps the dials at once, not the
		// connections (see TestTransport_h2cBurstDialsFew).
		t.MaxConnsPerHost = h2cDialsAtOnce
	}
	return t
}

// NewHTTPClient returns NewHTTPClientWith(TransportOptions{MaxIdleConns:
// maxIdle}).
func NewHTTPClient(maxIdle int) *http.Client {
	return NewHTTPClientWith(TransportOptions{MaxIdleConns: maxIdle})
}

// NewHTTPClientWith returns an [http.Client] over NewTransportWith(o) that
// does not follow redirects: ModelArts does not redirect API calls, and
// following one would resend the X-Auth-Token to wherever it points.
func NewHTTPClientWith(o TransportOptions) *http.Client {
	return &http.Client{
		Transport: NewTransportWith(o),
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}
