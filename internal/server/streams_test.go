package server_test

import (
	"context"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/connectivity"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/grpc/status"

	devenvv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/devenv/v1"
	"github.com/devenv-facade/devenv-facade/internal/cloudauth"
	"github.com/devenv-facade/devenv-facade/internal/emulator"
	"github.com/devenv-facade/devenv-facade/internal/server"
	"github.com/devenv-facade/devenv-facade/internal/statustest"
)

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
