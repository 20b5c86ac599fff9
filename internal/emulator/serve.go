package emulator

import "net/http"

// MaxConcurrentStreams is how many requests a client may have in flight on
// one HTTP/2 connection to a server set up by [ServeH2C]: Go's own default,
// said here because clients size their connection pools by it (the
// facade's opens another connection when every one has this many).
const MaxConcurrentStreams = 250

// ServeH2C makes srv serve HTTP/2 without TLS (h2c, with prior knowledge)
// beside HTTP/1.1 on the same port, so that clients can try either: the
// facade with --modelarts-h2c, or any HTTP/2 client that skips TLS. Call it
// before srv serves.
func ServeH2C(srv *http.Server) {
	var p http.Protocols
	p.SetHTTP1(true)
	p.SetUnencryptedHTTP2(true)
	srv.Protocols = &p
	srv.HTTP2 = &http.HTTP2Config{MaxConcurrentStreams: MaxConcurrentStreams}
}
