package modelarts_test

import (
	"context"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/devenv-facade/devenv-facade/internal/cloudauth"
	"github.com/devenv-facade/devenv-facade/internal/emulator"
	"github.com/devenv-facade/devenv-facade/internal/modelarts"
)

// barrier holds every request in its handler until n have arrived, so
// that they are provably in flight at the same time; it records each
// request's protocol and connection (its remote address).
type barrier struct {
	n       int
	mu      sync.Mutex
	arrived int
	all     chan struct{}
	protos  map[string]int
	conns   map[string]int
}

func newBarrier(n int) *barrier {
	return &barrier{n: n, all: make(chan struct{}), protos: map[string]int{}, conns: map[string]int{}}
}

func (b *barrier) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b.mu.Lock()
	b.protos[r.Proto]++
	b.conns[r.RemoteAddr]++
	b.arrived++
	if b.arrived == b.n {
		close(b.all)
	}
	b.mu.Unlock()
	select {
	case <-b.all:
		_, _ = io.WriteString(w, "ok")
	case <-r.Context().Done():
	}
}

// get sends n GETs to url at once and waits for their answers, failing
// the test on any error.
func get(t *testing.T, c *http.Client, url string, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Go(func() {
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
			if err != nil {
				errs <- err
				return
			}
			resp, err := c.Do(req)
			if err != nil {
				errs <- err
				return
			}
			_, err = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// countConns counts the connections a server accepted.
func countConns(srv *http.Server) *atomic.Int64 {
	var n atomic.Int64
	srv.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			n.Add(1)
		}
	}
	return &n
}

// serveH2C serves h on loopback over HTTP/1.1 and h2c, as the emulator's
// command does, with maxStreams concurrent streams per connection (0:
// emulator.MaxConcurrentStreams); it returns the base URL and the
// connection counter.
func serveH2C(t *testing.T, h http.Handler, maxStreams int) (string, *atomic.Int64) {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	emulator.ServeH2C(srv)
	if maxStreams > 0 {
		srv.HTTP2.MaxConcurrentStreams = maxStreams
	}
	conns := countConns(srv)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(lis)
	}()
	t.Cleanup(func() {
		_ = srv.Close()
		<-done
	})
	return "http://" + lis.Addr().String(), conns
}

// TestTransport_httpsNegotiatesHTTP2: against an https upstream that
// offers h2, NewTransport speaks HTTP/2, and calls in flight together share
// one connection.
func TestTransport_httpsNegotiatesHTTP2(t *testing.T) {
	const n = 20
	b := newBarrier(n + 1)
	srv := httptest.NewUnstartedServer(b)
	srv.EnableHTTP2 = true
	conns := countConns(srv.Config)
	srv.StartTLS()
	defer srv.Close()
	tr := modelarts.NewTransport(0)
	defer tr.CloseIdleConnections()
	roots := x509.NewCertPool()
	roots.AddCert(srv.Certificate())
	tr.TLSClientConfig.RootCAs = roots
	c := &http.Client{Transport: tr}
	// One call first: it opens the connection the others then share.
	// It waits at the barrier too, so it is in flight with them.
	first := make(chan struct{})
	go func() {
		defer close(first)
		get(t, c, srv.URL, 1)
	}()
	waitArrived(t, b, 1)
	get(t, c, srv.URL, n)
	<-first
	if b.protos["HTTP/2.0"] != n+1 {
		t.Errorf("protocols %v; want %d calls over HTTP/2.0", b.protos, n+1)
	}
	if len(b.conns) != 1 || conns.Load() != 1 {
		t.Errorf("%d calls in flight at once over %d connections (%d accepted); want one", n+1, len(b.conns), conns.Load())
	}
}

// waitArrived waits until n requests are in b's handler.
func waitArrived(t *testing.T, b *barrier, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	for {
		b.mu.Lock()
		arrived := b.arrived
		b.mu.Unlock()
		if arrived >= n {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%d requests arrived; want %d", arrived, n)
		case <-time.After(time.Millisecond):
		}
	}
}

// TestTransport_h2cPriorKnowledge: with UnencryptedHTTP2 the transport
// speaks HTTP/2 to an http:// upstream without TLS and without an Upgrade
// (the emulator serves both on one port), calls in flight together
// sharing one connection; without it, HTTP/1.1 with a connection per call.
func TestTransport_h2cPriorKnowledge(t *testing.T) {
	const n = 20
	for _, tc := range []struct {
		name      string
		h2c       bool
		wantProto string
		wantConns int
	}{
		{"h2c", true, "HTTP/2.0", 1},
		{"http1", false, "HTTP/1.1", n + 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newBarrier(n + 1)
			url, conns := serveH2C(t, b, 0)
			c := modelarts.NewHTTPClientWith(modelarts.TransportOptions{UnencryptedHTTP2: tc.h2c})
			defer c.CloseIdleConnections()
			first := make(chan struct{})
			go func() {
				defer close(first)
				get(t, c, url, 1)
			}()
			waitArrived(t, b, 1)
			get(t, c, url, n)
			<-first
			if b.protos[tc.wantProto] != n+1 {
				t.Errorf("protocols %v; want %d calls over %s", b.protos, n+1, tc.wantProto)
			}
			if len(b.conns) != tc.wantConns || conns.Load() != int64(tc.wantConns) {
				t.Errorf("%d calls in flight at once over %d connections (%d accepted); want %d", n+1, len(b.conns), conns.Load(), tc.wantConns)
			}
		})
	}
}

// TestTransport_h2cOpensConnectionsWhenFull: when every connection carries
// as many streams as the upstream allows, a call opens another connection
// instead of waiting for a stream: 20 calls held in flight at once by an
// upstream allowing 4 streams per connection all arrive.
func TestTransport_h2cOpensConnectionsWhenFull(t *testing.T) {
	const n, streams = 20, 4
	b := newBarrier(n)
	url, conns := serveH2C(t, b, streams)
	c := modelarts.NewHTTPClientWith(modelarts.TransportOptions{UnencryptedHTTP2: true})
	defer c.CloseIdleConnections()
	get(t, c, url, n)
	if b.protos["HTTP/2.0"] != n {
		t.Errorf("protocols %v; want %d calls over HTTP/2.0", b.protos, n)
	}
	if len(b.conns) < n/streams {
		t.Errorf("%d calls over %d connections; want at least %d", n, len(b.conns), n/streams)
	}
	t.Logf("%d calls in flight at once over %d connections (%d accepted)", n, len(b.conns), conns.Load())
}

// TestTransport_h2cBurstDialsFew: a burst of calls from cold, all held in
// flight at once, opens a few connections, not one per call: net/http
// dials for every call that finds no connection with a free stream, and
// without the transport's limit on dials at once 400 calls opened 61 to
// 439 connections in six runs (7 to 14 with it) where 4 carry them.
func TestTransport_h2cBurstDialsFew(t *testing.T) {
	const n, streams = 400, 100
	b := newBarrier(n)
	url, conns := serveH2C(t, b, streams)
	c := modelarts.NewHTTPClientWith(modelarts.TransportOptions{UnencryptedHTTP2: true})
	defer c.CloseIdleConnections()
	get(t, c, url, n)
	if got := conns.Load(); got > 40 {
		t.Errorf("%d calls from cold opened %d connections; want at most 40 (%d carry them)", n, got, n/streams)
	}
	t.Logf("%d calls from cold opened %d connections", n, conns.Load())
}

// TestTransport_h2cCancel: cancelling a call over h2c ends it at once with
// the context's error, the upstream sees the request's context end (the
// stream is reset, the connection stays), and the next call shares the
// connection.
func TestTransport_h2cCancel(t *testing.T) {
	arrived, ended := make(chan string, 2), make(chan struct{}, 1)
	url, conns := serveH2C(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- r.RemoteAddr
		if r.URL.Path == "/ok" {
			_, _ = io.WriteString(w, "ok")
			return
		}
		<-r.Context().Done()
		ended <- struct{}{}
	}), 0)
	c := modelarts.NewHTTPClientWith(modelarts.TransportOptions{UnencryptedHTTP2: true})
	defer c.CloseIdleConnections()
	ctx, cancel := context.WithCancel(t.Context())
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url+"/wait", nil)
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() {
		resp, err := c.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		errc <- err
	}()
	first := <-arrived
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled call: %v; want context.Canceled", err)
	}
	<-ended // the upstream's handler saw its request end
	get(t, c, url+"/ok", 1)
	if second := <-arrived; second != first || conns.Load() != 1 {
		t.Errorf("the call after the cancelled one came from %s, the cancelled one from %s (%d connections); want one connection", second, first, conns.Load())
	}
}

// TestTransport_h2cClient: the modelarts client over h2c against the
// emulator: calls answer, an idempotent call answered 503 is retried, a
// deadline ends a call the upstream holds, and the emulator saw only
// HTTP/2.
func TestTransport_h2cClient(t *testing.T) {
	emu, err := emulator.New(emulator.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var protos sync.Map
	var busy atomic.Int64 // answers 503 while positive
	base, _ := serveH2C(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		protos.Store(r.Proto, true)
		switch {
		case strings.HasSuffix(r.URL.Path, "/"+testInstance):
			<-r.Context().Done() // held until the caller gives up
		case busy.Add(-1) >= 0:
			w.WriteHeader(http.StatusServiceUnavailable)
		default:
			emu.ServeHTTP(w, r)
		}
	}), 0)
	hc := modelarts.NewHTTPClientWith(modelarts.TransportOptions{UnencryptedHTTP2: true})
	defer hc.CloseIdleConnections()
	c, err := modelarts.NewClient(hc, base, modelarts.Options{Credentials: cloudauth.Token("service-token"),
		Retry: modelarts.RetryPolicy{InitialBackoff: time.Millisecond, MaxBackoff: time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	busy.Store(1)
	list, res, err := modelarts.ListInstances.Call(t.Context(), c, modelarts.Request{Params: []string{emulator.SampleProjectID}, Query: url.Values{"de_type": {"Notebook"}}})
	if err != nil {
		t.Fatal(err)
	}
	if list == nil || !strings.Contains(string(*list), `"instances"`) {
		t.Errorf("list answer %v", list)
	}
	if res.Attempts != 2 {
		t.Errorf("%d attempts; want 2 (the first answered 503)", res.Attempts)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	if _, _, err := modelarts.GetInstance.Call(ctx, c, modelarts.Request{Params: []string{emulator.SampleProjectID, testInstance}}); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("a call the upstream holds past its deadline: %v; want context.DeadlineExceeded", err)
	}
	if _, ok := protos.Load("HTTP/2.0"); !ok {
		t.Errorf("the emulator saw no HTTP/2.0 request")
	}
	if _, ok := protos.Load("HTTP/1.1"); ok {
		t.Errorf("the emulator saw HTTP/1.1 requests")
	}
}
