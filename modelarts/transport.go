package modelarts

import (
	"crypto/tls"
	"net"
	"net/http"
	"time"
)

// NewTransport returns an [http.Transport] tuned for one upstream host under
// concurrent load: enough idle connections per host that a burst of calls
// reuses them instead of dialing, bounded dial and TLS handshake times, and
// no overall response timeout (each call's context bounds it instead).
// Share one transport per process.
func NewTransport() *http.Transport {
	dialer := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	return &http.Transport{
		Proxy:                  http.ProxyFromEnvironment,
		DialContext:            dialer.DialContext,
		ForceAttemptHTTP2:      true,
		MaxIdleConns:           512,
		MaxIdleConnsPerHost:    512,
		IdleConnTimeout:        90 * time.Second,
		TLSHandshakeTimeout:    5 * time.Second,
		ExpectContinueTimeout:  time.Second,
		MaxResponseHeaderBytes: 64 << 10,
		TLSClientConfig:        &tls.Config{MinVersion: tls.VersionTLS12},
	}
}

// NewHTTPClient returns an [http.Client] over [NewTransport] that does not
// follow redirects: ModelArts does not redirect API calls, and following one
// would resend the X-Auth-Token to wherever it points.
func NewHTTPClient() *http.Client {
	return &http.Client{
		Transport: NewTransport(),
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}
