package server_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/metadata"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protowire"

	devenvv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/devenv/v1"
	"github.com/devenv-facade/devenv-facade/internal/callerauth"
	"github.com/devenv-facade/devenv-facade/internal/cloudauth"
	"github.com/devenv-facade/devenv-facade/internal/emulator"
	"github.com/devenv-facade/devenv-facade/internal/logbuf"
	"github.com/devenv-facade/devenv-facade/internal/server"
	"github.com/devenv-facade/devenv-facade/internal/statustest"
)

// callersFacade runs a facade with caller authentication: one caller,
// token "good-token", every project.
func callersFacade(t *testing.T, emu http.Handler, set func(*server.Options)) *instance {
	t.Helper()
	return callersFacadeWith(t, emu, callerauth.Options{}, set)
}

// callersFacadeWith is callersFacade with the callers' options.
func callersFacadeWith(t *testing.T, emu http.Handler, callerOpts callerauth.Options, set func(*server.Options)) *instance {
	t.Helper()
	path := filepath.Join(t.TempDir(), "callers.yaml")
	sum := sha256.Sum256([]byte("good-token"))
	writeTestFile(t, path, "callers: [{name: ci, token_sha256: "+hex.EncodeToString(sum[:])+", projects: ['*']}]\n")
	callers := loadCallers(t, path, callerOpts)
	return startFacade(t, emu, func(o *server.Options) {
		o.Callers, o.Credentials = callers, cloudauth.Token("facade-token")
		if set != nil {
			set(o)
		}
	})
}

func dial(t *testing.T, addr string) *grpc.ClientConn {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// TestAdminListener: health and readiness are reachable without caller
// credentials, over plain HTTP and gRPC (h2c), with reflection listing
// only the health service; the API is not served there.
func TestAdminListener(t *testing.T) {
	t.Parallel()
	f := callersFacade(t, emulator.MustNew(emulator.Options{}), nil)
	conn := dial(t, f.adminAddr)
	// Ready once the first readiness check, which runs beside Serve, passed.
	if err := waitServing(t, conn, "modelarts.devenv.v1.DevEnvService"); err != nil {
		t.Fatalf("gRPC health on the admin listener: %v; want SERVING", err)
	}
	for _, path := range []string{"/healthz", "/readyz"} {
		resp, err := http.Get("http://" + f.adminAddr + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s = %s %q; want 200", path, resp.Status, body)
		}
	}
	resp, err := http.Get("http://" + f.adminAddr + "/v1/" + project + "/demanager/instances")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("the API on the admin listener: %s; want 404", resp.Status)
	}

	stream, err := reflectionpb.NewServerReflectionClient(conn).ServerReflectionInfo(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.Send(&reflectionpb.ServerReflectionRequest{MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{}}); err != nil {
		t.Fatal(err)
	}
	got, err := stream.Recv()
	if err != nil {
		t.Fatal(err)
	}
	_ = stream.CloseSend()
	var names []string
	for _, s := range got.GetListServicesResponse().GetService() {
		names = append(names, s.GetName())
	}
	if strings.Contains(strings.Join(names, ","), "DevEnvService") || !strings.Contains(strings.Join(names, ","), "grpc.health.v1.Health") {
		t.Errorf("reflection on the admin listener lists %v; want health only", names)
	}
	// On the main port, health stays open but reflection needs a caller.
	main := dial(t, f.grpcAddr)
	if _, err := healthpb.NewHealthClient(main).Check(t.Context(), &healthpb.HealthCheckRequest{}); err != nil {
		t.Errorf("health on the main port without credentials: %v", err)
	}
	rs, err := reflectionpb.NewServerReflectionClient(main).ServerReflectionInfo(t.Context())
	if err == nil {
		_ = rs.Send(&reflectionpb.ServerReflectionRequest{MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{}})
		_, err = rs.Recv()
	}
	if status.Code(err) != codes.Unauthenticated {
		t.Errorf("reflection on the main port without credentials: %v; want Unauthenticated", err)
	}
}

// TestShutdown_idleWatchersDoNotDelay: an open health Watch and an idle
// reflection stream do not keep the facade from stopping at once when no
// call is in flight, and readiness reports the shutdown.
func TestShutdown_idleWatchersDoNotDelay(t *testing.T) {
	t.Parallel()
	f := startFacade(t, emulator.MustNew(emulator.Options{}), func(o *server.Options) { o.Credentials = cloudauth.Token("t"); o.ShutdownGrace = time.Hour })
	for _, addr := range []string{f.grpcAddr, f.adminAddr} {
		w, err := healthpb.NewHealthClient(dial(t, addr)).Watch(context.Background(), &healthpb.HealthCheckRequest{})
		if err != nil {
			t.Fatal(err)
		}
		if first, err := w.Recv(); err != nil || first.GetStatus() != healthpb.HealthCheckResponse_SERVING {
			t.Fatalf("first Watch answer: %v %v", first, err)
		}
		go func() {
			for {
				if _, err := w.Recv(); err != nil {
					return
				}
			}
		}()
	}
	rs, err := reflectionpb.NewServerReflectionClient(f.conn).ServerReflectionInfo(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	_ = rs.Send(&reflectionpb.ServerReflectionRequest{MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{}})
	if _, err := rs.Recv(); err != nil {
		t.Fatal(err)
	}
	// The grace period is an hour: a stop that returns (f.stop fails after
	// 30s) did not wait for it.
	if err := f.stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := rs.Recv(); err == nil {
		t.Error("the reflection stream is still open after shutdown")
	}
}

// TestReadiness_turnsUnreadyOnShutdown: /readyz answers 503 once shutdown
// has begun, while calls drain.
func TestReadiness_turnsUnreadyOnShutdown(t *testing.T) {
	t.Parallel()
	emu := emulator.MustNew(emulator.Options{Fault: emulator.MustParseFault("lat400ms")})
	f := startFacade(t, emu, func(o *server.Options) { o.Credentials = cloudauth.Token("t"); o.ShutdownGrace = 5 * time.Second })
	done := make(chan error, 1)
	go func() {
		_, err := f.client.DeleteInstance(context.Background(), del(stopped))
		done <- err
	}()
	waitUntil(t, "the call reaches ModelArts", func() bool { return emu.RequestCount() > 0 })
	stopped := make(chan error, 1)
	go func() { stopped <- f.stop() }()
	waitUntil(t, "readiness to turn 503", func() bool {
		resp, err := http.Get("http://" + f.adminAddr + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusServiceUnavailable
	})
	if err := <-done; err != nil {
		t.Errorf("the call in flight: %v", err)
	}
	if err := <-stopped; err != nil {
		t.Error(err)
	}
}

// arrivals wraps an upstream so that a test can wait for requests to reach
// it: every request is announced on the channel (which must have room).
func arrivals(upstream http.Handler, n int) (http.Handler, <-chan struct{}) {
	ch := make(chan struct{}, n)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case ch <- struct{}{}:
		default:
		}
		upstream.ServeHTTP(w, r)
	}), ch
}

// await receives n announcements from ch, failing after 10s.
func await(t *testing.T, ch <-chan struct{}, n int) {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for i := range n {
		select {
		case <-ch:
		case <-timeout:
			t.Fatalf("only %d of %d requests reached the upstream", i, n)
		}
	}
}

// waitUntil polls cond until it holds, for conditions no event reports
// (an HTTP answer that changes, a call that succeeds again); it fails
// after 30s.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(30 * time.Second)
	for !cond() {
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// h2conn is a raw HTTP/2 client connection, for what grpc-go's client
// will not do: headers without a request, oversized metadata.
type h2conn struct {
	t    *testing.T
	conn net.Conn
	fr   *http2.Framer
	mu   sync.Mutex // serialises writes
	acks chan [8]byte
}

func dialH2(t *testing.T, addr string) *h2conn {
	t.Helper()
	c, err := tryDialH2(t, addr)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// tryDialH2 is dialH2 for goroutines other than the test's.
func tryDialH2(t *testing.T, addr string) (*h2conn, error) {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { conn.Close() })
	c := &h2conn{t: t, conn: conn, fr: http2.NewFramer(conn, conn), acks: make(chan [8]byte, 1)}
	c.fr.ReadMetaHeaders = hpack.NewDecoder(64<<10, nil)
	if _, err := io.WriteString(conn, http2.ClientPreface); err != nil {
		return nil, err
	}
	return c, c.fr.WriteSettings()
}

// headerBlock encodes a gRPC call's headers, with extra metadata.
func headerBlock(method string, extra map[string]string) []byte {
	var block bytes.Buffer
	enc := hpack.NewEncoder(&block)
	for _, kv := range [][2]string{{":method", "POST"}, {":scheme", "http"}, {":path", method}, {":authority", "facade"},
		{"content-type", "application/grpc"}, {"te", "trailers"}} {
		_ = enc.WriteField(hpack.HeaderField{Name: kv[0], Value: kv[1], Sensitive: true})
	}
	for k, v := range extra {
		_ = enc.WriteField(hpack.HeaderField{Name: k, Value: v, Sensitive: true})
	}
	return block.Bytes()
}

// headers sends a gRPC call's HEADERS for stream id, with extra metadata,
// without ending the stream (no request follows).
func (c *h2conn) headers(id uint32, method string, extra map[string]string) error {
	return c.writeBlock(id, headerBlock(method, extra))
}

// writeBlock sends an encoded header block as HEADERS and CONTINUATION
// frames for stream id, without ending the stream.
func (c *h2conn) writeBlock(id uint32, b []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	const chunk = 16 << 10
	first := b[:min(len(b), chunk)]
	if err := c.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: first, EndHeaders: len(b) <= chunk}); err != nil {
		return err
	}
	for b = b[len(first):]; len(b) > 0; {
		n := min(len(b), chunk)
		if err := c.fr.WriteContinuation(id, n == len(b), b[:n]); err != nil {
			return err
		}
		b = b[n:]
	}
	return nil
}

// ends reads frames until every stream in ids has ended (trailers or
// RST_STREAM) and returns the gRPC status of each (-1 for a reset), or
// fails after timeout.
func (c *h2conn) ends(ids []uint32, timeout time.Duration) map[uint32]int {
	c.t.Helper()
	want := map[uint32]bool{}
	for _, id := range ids {
		want[id] = true
	}
	got := map[uint32]int{}
	_ = c.conn.SetReadDeadline(time.Now().Add(timeout))
	for len(got) < len(want) {
		f, err := c.fr.ReadFrame()
		if err != nil {
			c.t.Fatalf("after %d of %d streams ended: %v", len(got), len(want), err)
		}
		switch f := f.(type) {
		case *http2.MetaHeadersFrame:
			if _, seen := got[f.StreamID]; want[f.StreamID] && f.StreamEnded() && !seen {
				code := -1
				for _, hf := range f.RegularFields() {
					if hf.Name == "grpc-status" {
						if n, err := strconv.Atoi(hf.Value); err == nil {
							code = n
						}
					}
				}
				got[f.StreamID] = code
			}
		case *http2.RSTStreamFrame:
			if _, seen := got[f.StreamID]; want[f.StreamID] && !seen {
				got[f.StreamID] = -1
			}
		case *http2.SettingsFrame:
			if !f.IsAck() {
				c.mu.Lock()
				_ = c.fr.WriteSettingsAck()
				c.mu.Unlock()
			}
		case *http2.PingFrame:
			if !f.IsAck() {
				c.mu.Lock()
				_ = c.fr.WritePing(true, f.Data)
				c.mu.Unlock()
			}
		case *http2.GoAwayFrame:
			c.t.Fatalf("GOAWAY after %d of %d streams ended: %v", len(got), len(want), f.ErrCode)
		}
	}
	return got
}

// TestStreamWithoutRequestIsEnded: a stream that sends its headers but no
// request is ended after the request read timeout, and does not delay
// shutdown.
func TestStreamWithoutRequestIsEnded(t *testing.T) {
	t.Parallel()
	emu := emulator.MustNew(emulator.Options{})
	f := startFacade(t, emu, func(o *server.Options) {
		o.Credentials = cloudauth.Token("t")
		o.RequestReadTimeout = 200 * time.Millisecond
	})
	c := dialH2(t, f.grpcAddr)
	ids := []uint32{1, 3, 5}
	for _, id := range ids {
		if err := c.headers(id, "/modelarts.devenv.v1.DevEnvService/DeleteInstance", nil); err != nil {
			t.Fatal(err)
		}
	}
	// Nothing but the request read timeout ends these streams (ends fails
	// after 20s, a hundred times the timeout).
	for id, code := range c.ends(ids, 20*time.Second) {
		if code != int(codes.Canceled) && code != -1 {
			t.Errorf("stream %d ended with %d; want CANCELLED or a reset", id, code)
		}
	}
	if emu.RequestCount() != 0 {
		t.Error("a call without a request reached ModelArts")
	}
	// A regular call still works on a fresh connection.
	if _, err := f.client.DeleteInstance(t.Context(), del(stopped)); err != nil {
		t.Errorf("regular call: %v", err)
	}
}

// TestShutdown_streamWithoutRequestDoesNotDelay: a stream stuck before its
// request ends within requestSettle of shutdown, not at the grace period.
func TestShutdown_streamWithoutRequestDoesNotDelay(t *testing.T) {
	t.Parallel()
	f := startFacade(t, emulator.MustNew(emulator.Options{}), func(o *server.Options) { o.Credentials = cloudauth.Token("t"); o.ShutdownGrace = time.Hour })
	c := dialH2(t, f.grpcAddr)
	if err := c.headers(1, "/modelarts.devenv.v1.DevEnvService/DeleteInstance", nil); err != nil {
		t.Fatal(err)
	}
	// The client's HTTP/2 stack stays responsive (it acknowledges pings,
	// as the server's GOAWAY needs); only the call is stuck.
	go c.respond()
	// The grace period is an hour: a stop that returns (f.stop fails after
	// 30s) did not wait for it.
	if err := f.stop(); err != nil {
		t.Fatal(err)
	}
}

// TestUnauthenticatedStreamsAreRefusedAtHeaders: with caller
// authentication on, a call without a valid bearer token is refused when its
// headers arrive, before the facade reads (and buffers) a request; the
// refusal carries ErrorInfo.
func TestUnauthenticatedStreamsAreRefusedAtHeaders(t *testing.T) {
	t.Parallel()
	emu := emulator.MustNew(emulator.Options{})
	f := callersFacade(t, emu, nil)
	c := dialH2(t, f.grpcAddr)
	if err := c.headers(1, "/modelarts.devenv.v1.DevEnvService/DeleteInstance", map[string]string{"authorization": "Bearer wrong"}); err != nil {
		t.Fatal(err)
	}
	if err := c.headers(3, "/modelarts.devenv.v1.DevEnvService/DeleteInstance", nil); err != nil {
		t.Fatal(err)
	}
	for id, code := range c.ends([]uint32{1, 3}, 10*time.Second) {
		if code != int(codes.Unauthenticated) {
			t.Errorf("stream %d: grpc-status %d; want UNAUTHENTICATED at once, without a request", id, code)
		}
	}
	_, err := f.client.DeleteInstance(t.Context(), del(stopped))
	if status.Code(err) != codes.Unauthenticated || statustest.Error(t, err).Reason() != "CALLER_UNAUTHENTICATED" {
		t.Errorf("unauthenticated call: %v; want Unauthenticated with reason CALLER_UNAUTHENTICATED", err)
	}
	ctx := metadata.AppendToOutgoingContext(t.Context(), "authorization", "Bearer good-token")
	if _, err := f.client.DeleteInstance(ctx, del(stopped)); err != nil {
		t.Errorf("authenticated call: %v", err)
	}
	if emu.RequestCount() != 1 {
		t.Errorf("ModelArts saw %d requests; want only the authenticated one", emu.RequestCount())
	}
}

// TestOversizedMetadataIsRefused: metadata beyond 64 KiB is refused without
// holding memory: 100 streams with 4 MiB of metadata each, unauthenticated,
// leave the heap where it was.
func TestOversizedMetadataIsRefused(t *testing.T) {
	if testing.Short() {
		t.Skip("sends 400 MiB over loopback")
	}
	t.Parallel()
	emu := emulator.MustNew(emulator.Options{})
	// No caller authentication: the metadata limit alone must refuse the
	// streams, long before the request read timeout (here 30s) would end
	// them.
	f := startFacade(t, emu, func(o *server.Options) {
		o.Credentials, o.RequestReadTimeout = cloudauth.Token("t"), 30*time.Second
	})
	// Encoded once (HPACK is slow on 4 MiB), sent 100 times, 10 at a time.
	block := headerBlock("/modelarts.devenv.v1.DevEnvService/DeleteInstance", map[string]string{"x-padding": strings.Repeat("x", 4<<20)})
	heapBefore := heapInUse()
	var wg sync.WaitGroup
	var peakGoroutines atomic.Int64
	var mu sync.Mutex
	var open []*h2conn
	next := make(chan int)
	for range 10 {
		wg.Go(func() {
			for i := range next {
				c, err := tryDialH2(t, f.grpcAddr)
				if err != nil {
					t.Error(err)
					continue
				}
				// The server may close the connection before all of the
				// metadata is written: either way the stream must end,
				// at once.
				_ = c.writeBlock(1, block)
				if !c.endedOrClosed(1, 5*time.Second) {
					t.Errorf("stream %d with 4 MiB of metadata was neither ended nor its connection closed within 5s", i)
				}
				if n := int64(runtime.NumGoroutine()); n > peakGoroutines.Load() {
					peakGoroutines.Store(n)
				}
				mu.Lock()
				open = append(open, c) // kept open until measured
				mu.Unlock()
			}
		})
	}
	for i := range 100 {
		next <- i
	}
	close(next)
	wg.Wait()
	grew := int64(heapInUse()) - int64(heapBefore)
	t.Logf("100 streams x 4 MiB metadata, connections still open: heap in use grew by %d KiB; peak %d goroutines in the test process", grew>>10, peakGoroutines.Load())
	if grew > 64<<20 {
		t.Errorf("the heap grew by %d MiB; want under 64 MiB", grew>>20)
	}
	for _, c := range open {
		c.conn.Close()
	}
	if emu.RequestCount() != 0 {
		t.Error("an oversized call reached ModelArts")
	}
}

func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

// respond answers the server's SETTINGS and PINGs, as a client's HTTP/2
// stack does, until the connection closes.
func (c *h2conn) respond() {
	for {
		f, err := c.fr.ReadFrame()
		if err != nil {
			return
		}
		c.mu.Lock()
		switch f := f.(type) {
		case *http2.SettingsFrame:
			if !f.IsAck() {
				_ = c.fr.WriteSettingsAck()
			}
		case *http2.PingFrame:
			if !f.IsAck() {
				_ = c.fr.WritePing(true, f.Data)
			} else {
				select {
				case c.acks <- f.Data:
				default:
				}
			}
		}
		c.mu.Unlock()
	}
}

// sync returns once the server has processed every frame written before:
// it answers a PING only after them. respond must be running.
func (c *h2conn) sync() {
	c.t.Helper()
	data := [8]byte{'s', 'y', 'n', 'c'}
	c.mu.Lock()
	err := c.fr.WritePing(false, data)
	c.mu.Unlock()
	if err != nil {
		c.t.Fatal(err)
	}
	select {
	case <-c.acks:
	case <-time.After(10 * time.Second):
		c.t.Fatal("no PING acknowledgement")
	}
}

// endedOrClosed reports whether stream id ended or the server closed the
// connection within timeout.
func (c *h2conn) endedOrClosed(id uint32, timeout time.Duration) bool {
	_ = c.conn.SetReadDeadline(time.Now().Add(timeout))
	for {
		f, err := c.fr.ReadFrame()
		if err != nil {
			var ne net.Error
			return !(errors.As(err, &ne) && ne.Timeout())
		}
		switch f := f.(type) {
		case *http2.MetaHeadersFrame:
			if f.StreamID == id && f.StreamEnded() {
				return true
			}
		case *http2.RSTStreamFrame:
			if f.StreamID == id {
				return true
			}
		case *http2.GoAwayFrame:
			return true
		}
	}
}

// TestUnknownMethodIsRefusedAtHeaders: a method the facade does not serve is
// UNIMPLEMENTED without reading a request.
func TestUnknownMethodIsRefusedAtHeaders(t *testing.T) {
	t.Parallel()
	f := startFacade(t, emulator.MustNew(emulator.Options{}), func(o *server.Options) { o.Credentials = cloudauth.Token("t") })
	c := dialH2(t, f.grpcAddr)
	if err := c.headers(1, "/modelarts.devenv.v1.DevEnvService/Nope", nil); err != nil {
		t.Fatal(err)
	}
	if got := c.ends([]uint32{1}, 10*time.Second)[1]; got != int(codes.Unimplemented) {
		t.Errorf("grpc-status %d; want UNIMPLEMENTED", got)
	}
}

// TestMirror_unknownRoutesAnswerLikeTheGateway: a path or method the
// mirror does not serve is answered as the vendor's API gateway answers it,
// 404 APIGW.0101 with error_msg and the request ID, never 405, on an open
// facade and, before authentication, on a secured one; ModelArts is not
// called.
func TestMirror_unknownRoutesAnswerLikeTheGateway(t *testing.T) {
	t.Parallel()
	emu := emulator.MustNew(emulator.Options{})
	open := startFacade(t, emu, func(o *server.Options) { o.Credentials = cloudauth.Token("t") })
	secured := callersFacade(t, emu, nil)
	one := "/v1/" + project + "/demanager/instances/" + stopped
	tests := []struct{ name, method, path string }{
		{"unknown_path", http.MethodGet, "/v2/" + project + "/demanager/instances"},
		{"unknown_service", http.MethodGet, "/v1/" + project + "/training-jobs"},
		{"known_path_other_method", http.MethodPatch, one},
		{"post_to_an_instance", http.MethodPost, one},
		{"put_to_the_collection", http.MethodPut, "/v1/" + project + "/demanager/instances"},
		{"trailing_slash", http.MethodGet, one + "/"},
		{"collection_trailing_slash", http.MethodGet, "/v1/" + project + "/demanager/instances/"},
	}
	for _, f := range []struct {
		name string
		f    *instance
	}{{"open", open}, {"secured", secured}} {
		for _, tt := range tests {
			code, hdr, body := rest(t, tt.method, f.f.httpURL+tt.path, map[string]string{"X-Request-Id": "rid-" + tt.name})
			want := map[string]string{"error_code": "APIGW.0101", "error_msg": "The API does not exist or has not been published in the environment", "request_id": "rid-" + tt.name}
			if code != http.StatusNotFound || hdr.Get("X-Request-Id") != "rid-"+tt.name || hdr.Get("Allow") != "" || !equalMaps(body, want) {
				t.Errorf("%s facade, %s %s: %d X-Request-Id=%q Allow=%q %v; want 404 %v", f.name, tt.method, tt.path, code, hdr.Get("X-Request-Id"), hdr.Get("Allow"), body, want)
			}
		}
	}
	if n := emu.RequestCount(); n != 0 {
		t.Errorf("ModelArts received %d requests", n)
	}
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestMirror_unauthenticatedBeforeBody: with caller authentication on, the
// mirror refuses an unauthenticated request before reading its body, with
// the vendor's error shape, WWW-Authenticate and a request ID.
func TestMirror_unauthenticatedBeforeBody(t *testing.T) {
	t.Parallel()
	emu := emulator.MustNew(emulator.Options{})
	f := callersFacade(t, emu, nil)
	pr, pw := io.Pipe()
	defer pw.Close()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodDelete, f.httpURL+"/v1/"+project+"/demanager/instances/"+stopped, pr)
	req.ContentLength = 1000 // promised, never sent
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("WWW-Authenticate") == "" ||
		resp.Header.Get("X-Request-Id") == "" || !bytes.Contains(body, []byte(`"Facade.CALLER_UNAUTHENTICATED"`)) {
		t.Errorf("unauthenticated REST call: %s %v %s", resp.Status, resp.Header, body)
	}
	if emu.RequestCount() != 0 {
		t.Error("an unauthenticated REST call reached ModelArts")
	}
}

// TestLongLivedStreamsAreBounded: open streaming calls (health watches)
// beyond the bound are refused with RESOURCE_EXHAUSTED.
func TestLongLivedStreamsAreBounded(t *testing.T) {
	t.Parallel()
	f := startFacade(t, emulator.MustNew(emulator.Options{}), func(o *server.Options) { o.Credentials = cloudauth.Token("t") })
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	hc := healthpb.NewHealthClient(f.conn)
	var refused error
	for i := range 300 {
		w, err := hc.Watch(ctx, &healthpb.HealthCheckRequest{})
		if err == nil {
			_, err = w.Recv()
		}
		if err != nil {
			refused = err
			if i < 256 {
				t.Errorf("watch %d refused: %v; the bound is 256", i, err)
			}
			break
		}
	}
	if status.Code(refused) != codes.ResourceExhausted {
		t.Errorf("watch beyond the bound: %v; want ResourceExhausted", refused)
	}
}

// TestInvalidUTF8IsInvalidArgument: a string field with invalid UTF-8 is
// INVALID_ARGUMENT with a field violation and a log line, over gRPC and
// REST, and never reaches ModelArts.
func TestInvalidUTF8IsInvalidArgument(t *testing.T) {
	t.Parallel()
	emu := emulator.MustNew(emulator.Options{})
	var logs logbuf.Buffer
	f := startFacade(t, emu, func(o *server.Options) {
		o.Credentials = cloudauth.Token("t")
		o.Logger = slog.New(slog.NewJSONHandler(&logs, nil))
	})
	// The Go client refuses to marshal invalid UTF-8, so the request is
	// sent as raw bytes through a codec that does not check.
	raw := protowire.AppendTag(nil, 1, protowire.BytesType)
	raw = protowire.AppendString(raw, project)
	raw = protowire.AppendTag(raw, 2, protowire.BytesType)
	raw = protowire.AppendBytes(raw, []byte("DE-\xff\xfe"))
	var out rawMessage
	err := f.conn.Invoke(t.Context(), "/modelarts.devenv.v1.DevEnvService/DeleteInstance", rawMessage(raw), &out, grpc.ForceCodecV2(rawCodec{}))
	if status.Code(err) != codes.InvalidArgument {
		t.Fatalf("invalid UTF-8 over gRPC: %v; want InvalidArgument", err)
	}
	var fields []string
	for _, v := range statustest.Error(t, err).Violations() {
		fields = append(fields, v.GetField())
	}
	if strings.Join(fields, ",") != "instance_id" {
		t.Errorf("field violations %v; want instance_id", fields)
	}
	wctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if _, err := logs.WaitFor(wctx, `"code":"InvalidArgument"`, `"method":"/modelarts.devenv.v1.DevEnvService/DeleteInstance"`); err != nil {
		t.Error("no log line for the refused call")
	}
	code, _, body := rest(t, http.MethodDelete, f.httpURL+"/v1/"+project+"/demanager/instances/DE-%FF%FE", nil)
	if code != http.StatusBadRequest || body["error_code"] != "Facade.INVALID_ARGUMENT" {
		t.Errorf("invalid UTF-8 over REST: %d %v; want 400 Facade.INVALID_ARGUMENT", code, body)
	}
	if emu.RequestCount() != 0 {
		t.Error("a request with invalid UTF-8 reached ModelArts")
	}
}

// rawMessage is a request or response as its wire bytes.
type rawMessage []byte

// rawCodec sends and receives rawMessage unchecked.
type rawCodec struct{}

func (rawCodec) Name() string { return "proto" }
func (rawCodec) Marshal(v any) (mem.BufferSlice, error) {
	return mem.BufferSlice{mem.SliceBuffer(v.(rawMessage))}, nil
}
func (rawCodec) Unmarshal(data mem.BufferSlice, v any) error {
	*(v.(*rawMessage)) = data.Materialize()
	return nil
}

// TestResetStreamsFreeTheirSlot: streams the client resets before their
// request (a rapid-reset flood) do not count against the bound on streams
// waiting for their request: a regular call afterwards is served.
func TestResetStreamsFreeTheirSlot(t *testing.T) {
	t.Parallel()
	emu := emulator.MustNew(emulator.Options{})
	// 100 in flight: at most 256 calls may wait for their request.
	f := startFacade(t, emu, func(o *server.Options) { o.Credentials = cloudauth.Token("t"); o.MaxUpstreamInFlight = 100 })
	c := dialH2(t, f.grpcAddr)
	go c.respond()
	block := headerBlock("/modelarts.devenv.v1.DevEnvService/DeleteInstance", nil)
	for i := range 1000 {
		id := uint32(2*i + 1)
		if err := c.writeBlock(id, block); err != nil {
			t.Fatal(err)
		}
		c.mu.Lock()
		err := c.fr.WriteRSTStream(id, http2.ErrCodeCancel)
		c.mu.Unlock()
		if err != nil {
			t.Fatal(err)
		}
	}
	c.sync()
	// grpc-go ends a reset stream on its own goroutine; wait for that.
	waitUntil(t, "a regular call to be served after 1000 reset streams", func() bool {
		_, err := f.client.DeleteInstance(t.Context(), del("fault-x"+strconv.Itoa(int(emu.RequestCount()))))
		return err == nil
	})
}

// TestConnectionCap: beyond MaxConnections, a connection waits in the
// listen backlog until another closes.
func TestConnectionCap(t *testing.T) {
	t.Parallel()
	f := launch(t, emulator.MustNew(emulator.Options{}), func(o *server.Options) { o.Credentials = cloudauth.Token("t"); o.MaxConnections = 2 })
	var held []*h2conn
	for range 2 {
		c := dialH2(t, f.grpcAddr)
		go c.respond()
		c.sync() // accepted and served
		held = append(held, c)
	}
	conn := dial(t, f.grpcAddr)
	client := devenvv1.NewDevEnvServiceClient(conn)
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	if _, err := client.DeleteInstance(ctx, del(stopped)); status.Code(err) != codes.DeadlineExceeded {
		t.Errorf("a third connection's call: %v; want it to wait (DeadlineExceeded)", err)
	}
	held[0].conn.Close()
	waitUntil(t, "the third connection to be served once one closes", func() bool {
		_, err := client.DeleteInstance(t.Context(), del(stopped))
		return err == nil || status.Code(err) == codes.NotFound
	})
}

// TestStreamsPerConnectionFollowTheInFlightCap: one connection may carry as
// many concurrent calls as may be in flight upstream, and no more.
func TestStreamsPerConnectionFollowTheInFlightCap(t *testing.T) {
	t.Parallel()
	f := startFacade(t, emulator.MustNew(emulator.Options{}), func(o *server.Options) { o.Credentials = cloudauth.Token("t"); o.MaxUpstreamInFlight = 100 })
	c := dialH2(t, f.grpcAddr)
	block := headerBlock("/modelarts.devenv.v1.DevEnvService/DeleteInstance", nil)
	for i := range 101 {
		id := uint32(2*i + 1)
		if err := c.writeBlock(id, block); err != nil {
			t.Fatal(err)
		}
	}
	// Only the 101st is refused at once (REFUSED_STREAM); the others
	// wait for their request.
	got := c.ends([]uint32{201}, 10*time.Second)
	if got[201] != -1 {
		t.Errorf("the 101st stream on one connection ended with %d; want a reset (REFUSED_STREAM)", got[201])
	}
}

// TestStartupWarnings: settings that look protective but are not are
// pointed out at start-up.
func TestStartupWarnings(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "callers.yaml")
	writeTestFile(t, path, "callers: [{name: batch, client_cert_names: [batch.example], projects: ['*']}]\n")
	callers, err := callerauth.Load(path, callerauth.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var logs logbuf.Buffer
	f := launch(t, emulator.MustNew(emulator.Options{}), func(o *server.Options) {
		o.Credentials = cloudauth.Token("t")
		o.Callers = callers
		o.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	})
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if _, err := logs.WaitFor(ctx, "client_cert_names", "--client-ca is not set"); err != nil {
		t.Errorf("no warning about client certificate names without a client CA:\n%s", logs.String())
	}
	if _, err := logs.WaitFor(ctx, "msg=serving", `caller_auth="on (1 callers)"`, "tls=off"); err != nil {
		t.Errorf("the serving line does not say how callers are authenticated:\n%s", logs.String())
	}
	_ = f
}

// TestShutdown_reopenedWatchDoesNotDelay: a client that reopens its health
// watch as soon as the facade ends it (grpc-go's client-side health
// checking does) is refused, so it cannot hold the drain.
func TestShutdown_reopenedWatchDoesNotDelay(t *testing.T) {
	t.Parallel()
	f := startFacade(t, emulator.MustNew(emulator.Options{}), func(o *server.Options) { o.Credentials = cloudauth.Token("t"); o.ShutdownGrace = time.Hour })
	hc := healthpb.NewHealthClient(dial(t, f.grpcAddr))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	first := make(chan struct{})
	go func() {
		for ctx.Err() == nil {
			w, err := hc.Watch(ctx, &healthpb.HealthCheckRequest{})
			if err != nil {
				continue
			}
			for {
				if _, err := w.Recv(); err != nil {
					break
				}
				select {
				case <-first:
				default:
					close(first)
				}
			}
		}
	}()
	<-first
	// The grace period is an hour: a stop that returns (f.stop fails after
	// 30s) did not wait for it.
	if err := f.stop(); err != nil {
		t.Fatal(err)
	}
}

// TestHandler_inMemory: Server.Handler serves the REST mirror with the same
// pipeline, for tests that serve it themselves.
func TestHandler_inMemory(t *testing.T) {
	t.Parallel()
	up := httptest.NewServer(emulator.MustNew(emulator.Options{}))
	t.Cleanup(up.Close)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	opts := server.Options{}
	opts.GRPCListener, opts.Endpoint, opts.Credentials = lis, up.URL, cloudauth.Token("t")
	opts.HTTPClient = up.Client()
	s, err := server.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	t.Cleanup(func() { lis.Close() })
	mem := httptest.NewServer(s.Handler())
	t.Cleanup(mem.Close)
	code, hdr, body := rest(t, http.MethodDelete, mem.URL+"/v1/"+project+"/demanager/instances/"+stopped, nil)
	if code != http.StatusOK || body["instance_id"] != stopped || hdr.Get("X-Request-Id") == "" {
		t.Errorf("DELETE through Handler: %d %v %v", code, hdr, body)
	}
}

// TestMaxConnectionAge: a gRPC connection older than MaxConnectionAge is
// asked to go away, so that balancing clients reconnect and find new
// replicas; a call in flight on it still completes.
func TestMaxConnectionAge(t *testing.T) {
	t.Parallel()
	f := startFacade(t, emulator.MustNew(emulator.Options{}), func(o *server.Options) {
		o.Credentials = cloudauth.Token("t")
		o.MaxConnectionAge = 300 * time.Millisecond
	})
	// A call that takes longer than the connection may live.
	_, err := f.client.GetInstance(t.Context(), &devenvv1.GetInstanceRequest{ProjectId: project, InstanceId: "fault-lat1s"})
	if err != nil {
		t.Fatalf("a call across the connection's end of life: %v", err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	for state := f.conn.GetState(); state == connectivity.Ready; state = f.conn.GetState() {
		if !f.conn.WaitForStateChange(ctx, state) {
			t.Fatal("the connection is still READY 10s after MaxConnectionAge")
		}
	}
}
