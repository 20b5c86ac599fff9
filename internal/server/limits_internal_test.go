package server

import (
	"net"
	"testing"
	"time"
)

// TestRESTWriteTimeoutCoversTheLongestCall: the REST mirror's write
// timeout outlasts the longest call the facade makes (a create, the lookup
// of its lost answer, and a wait), so a waiting REST caller gets its
// answer instead of a closed connection.
func TestRESTWriteTimeoutCoversTheLongestCall(t *testing.T) {
	t.Parallel()
	grpcLis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	httpLis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer grpcLis.Close()
	defer httpLis.Close()
	opts := Options{}
	opts.GRPCListener, opts.HTTPListener, opts.Endpoint = grpcLis, httpLis, "http://127.0.0.1:1"
	opts.MaxWait, opts.UpstreamTimeout = 30*time.Minute, 45*time.Second
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if longest := opts.MaxWait + 2*opts.UpstreamTimeout; s.httpServer.WriteTimeout <= longest {
		t.Errorf("REST write timeout %s; the longest call takes up to %s", s.httpServer.WriteTimeout, longest)
	}
}
