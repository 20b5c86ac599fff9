package server

import (
	"context"
	"net"
	"time"

	"google.golang.org/grpc/peer"
)

// A gRPC connection lives at most --max-connection-age: grpc-go then sends
// GOAWAY (the client opens its next calls on a new connection) and closes
// the connection MaxConnectionAgeGrace later, cutting off whatever still
// runs on it. A watch runs for as long as its client likes, so the facade
// asks it to end first ([callctx.EndConnectionAge]): the watch ends with a
// status its client resumes from, on a new connection. grpc-go adds a
// jitter of up to ±10% to the age, and tells nothing of the GOAWAY it
// sends; the facade asks a connection's streaming calls to end once it is
// older than the latest moment grpc-go may have sent it ([streamEndAge]),
// so that the client's next call does not land on the old connection, and
// makes the grace long enough for that ([connectionAgeGrace]).

// streamEndMargin is how long after the latest GOAWAY streaming calls are
// asked to end: past the sweep's period (at most a second).
const streamEndMargin = 2 * time.Second

// streamEndAge is the age of a gRPC connection at which the streaming
// calls on it are asked to end, for a maximum connection age of maxAge
// (zero: no maximum, and never).
func streamEndAge(maxAge time.Duration) time.Duration {
	if maxAge <= 0 {
		return 0
	}
	return maxAge + maxAge/10 + streamEndMargin
}

// connectionAgeGrace is the MaxConnectionAgeGrace for a maximum connection
// age of maxAge: calls' own grace (the longest a unary call may take), but
// at least enough for the streaming calls of a connection whose GOAWAY came
// earliest (jitter -10%) to be asked to end at [streamEndAge] (+10%) and
// to end, with ten seconds for that.
func connectionAgeGrace(maxAge, calls time.Duration) time.Duration {
	if maxAge <= 0 {
		return calls
	}
	return max(calls, maxAge/5+streamEndMargin+10*time.Second)
}

// bornListener is a gRPC listener whose connections say when they were
// accepted: in their remote address ([connAddr]), which grpc-go gives
// every call on the connection as its peer's (peer.FromContext). A
// streaming call so learns its connection's age at no cost to other calls
// (a stats.Handler, whose TagConn could tell the same, makes grpc-go build
// its events for every call).
type bornListener struct{ net.Listener }

// Accept accepts a connection and records when.
func (l bornListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	addr := c.RemoteAddr()
	return &bornConn{Conn: c, addr: &connAddr{Addr: addr, text: addr.String(), born: time.Now()}}, nil
}

// bornConn is a connection whose remote address says when it was
// accepted.
type bornConn struct {
	net.Conn
	addr *connAddr
}

// RemoteAddr returns the peer's address, with when the connection was
// accepted.
func (c *bornConn) RemoteAddr() net.Addr { return c.addr }

// connAddr is a connection's remote address (Network and String are the
// address's), with when the connection was accepted. Its text is made
// once, not for every call's log line.
type connAddr struct {
	net.Addr
	text string
	born time.Time
}

// String returns the address's text.
func (a *connAddr) String() string { return a.text }

// connectionBorn returns when the gRPC connection of the call ctx belongs
// to was accepted, or the zero time (not a gRPC call of this server's
// listener: the REST mirror's).
func connectionBorn(ctx context.Context) time.Time {
	if p, ok := peer.FromContext(ctx); ok {
		if a, ok := p.Addr.(*connAddr); ok {
			return a.born
		}
	}
	return time.Time{}
}
