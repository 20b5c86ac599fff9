package server

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protowire"

	notebookv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/notebook/v1"
	"github.com/devenv-facade/devenv-facade/internal/callctx"
	"github.com/devenv-facade/devenv-facade/internal/cloudauth"
	"github.com/devenv-facade/devenv-facade/internal/emulator"
	"github.com/devenv-facade/devenv-facade/internal/logbuf"
)

// testWatchMethod is a streaming method of the API's kind that only
// tests serve: it stands for a watch until the watch is served, to test
// what the server assembly does for every watch.
const testWatchMethod = "/devenvfacade.test.TestWatch/Watch"

var testWatchDesc = grpc.ServiceDesc{
	ServiceName: "devenvfacade.test.TestWatch",
	HandlerType: (*any)(nil),
	Streams: []grpc.StreamDesc{{StreamName: "Watch", ServerStreams: true,
		Handler: func(srv any, stream grpc.ServerStream) error { return srv.(*testWatch).watch(stream) }}},
}

// testWatch receives a WatchNotebooksRequest, sends one event, then waits
// until the server asks the stream to end (callctx.StreamEnd) or its
// context ends, and reports which on ended. A request named "panic"
// panics.
type testWatch struct{ ended chan string }

func (w *testWatch) watch(stream grpc.ServerStream) error {
	req := new(notebookv1.WatchNotebooksRequest)
	if err := stream.RecvMsg(req); err != nil {
		return err
	}
	if req.GetName() == "panic" {
		panic("the test watch panics")
	}
	ctx := stream.Context()
	if err := stream.SendMsg(&notebookv1.WatchNotebooksResponse{ResumeToken: "t1"}); err != nil {
		return err
	}
	end, why := callctx.StreamEnd(ctx)
	select {
	case <-end:
		w.ended <- "asked to end: " + why()
		return status.Error(codes.Unavailable, "interrupted: "+why())
	case <-ctx.Done():
		w.ended <- "cancelled: " + context.Cause(ctx).Error()
		return ctx.Err()
	}
}

// watchFacade is a facade serving testWatchMethod besides the API.
type watchFacade struct {
	s     *Server
	w     *testWatch
	addr  string
	logs  *logbuf.Buffer
	stop  context.CancelFunc
	serve chan error
}

// serveTestWatch serves a facade in front of the emulator, with opts as
// set changes them, and the test watch registered as a streaming call of
// the API.
func serveTestWatch(t *testing.T, set func(*Options)) *watchFacade {
	t.Helper()
	up := httptest.NewServer(emulator.MustNew(emulator.Options{}))
	t.Cleanup(up.Close)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &watchFacade{w: &testWatch{ended: make(chan string, 1000)}, addr: lis.Addr().String(), logs: new(logbuf.Buffer), serve: make(chan error, 1)}
	opts := Options{GRPCListener: lis, Endpoint: up.URL, Credentials: cloudauth.Token("t"), Logger: slog.New(slog.NewJSONHandler(f.logs, nil))}
	if set != nil {
		set(&opts)
	}
	if f.s, err = New(opts); err != nil {
		t.Fatal(err)
	}
	f.s.grpcServer.RegisterService(&testWatchDesc, f.w)
	f.s.streams.known = knownMethods(f.s.grpcServer)
	f.s.apiStreams[testWatchMethod] = true
	ctx, cancel := context.WithCancel(context.Background())
	f.stop = cancel
	go func() { f.serve <- f.s.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-f.serve:
			if err != nil {
				t.Errorf("Serve: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("Serve did not return within 30s of its end")
		}
	})
	return f
}

// dial connects to the facade.
func (f *watchFacade) dial(t *testing.T) *grpc.ClientConn {
	t.Helper()
	conn, err := grpc.NewClient(f.addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// open starts a test watch on conn and waits for its first event.
func openTestWatch(t *testing.T, ctx context.Context, conn *grpc.ClientConn, name string) (grpc.ClientStream, error) {
	t.Helper()
	cs, err := conn.NewStream(ctx, &testWatchDesc.Streams[0], testWatchMethod)
	if err != nil {
		return nil, err
	}
	if err := cs.SendMsg(&notebookv1.WatchNotebooksRequest{ProjectId: emulator.SampleProjectID, Name: name}); err != nil {
		return nil, err
	}
	if err := cs.CloseSend(); err != nil {
		return nil, err
	}
	return cs, cs.RecvMsg(new(notebookv1.WatchNotebooksResponse))
}

// ended waits for n watches to report how they ended.
func (f *watchFacade) ended(t *testing.T, n int) []string {
	t.Helper()
	var got []string
	timeout := time.After(20 * time.Second)
	for range n {
		select {
		case why := <-f.w.ended:
			got = append(got, why)
		case <-timeout:
			t.Fatalf("%d of %d watches ended within 20s: %q", len(got), n, got)
		}
	}
	return got
}

// TestStreamEnd_drain: when the facade shuts down, every open watch is
// asked to end (callctx.EndDraining) rather than cancelled, before the
// drain waits for it: the watch ends with its own status (UNAVAILABLE,
// resumable), and the shutdown does not wait for the grace period.
func TestStreamEnd_drain(t *testing.T) {
	t.Parallel()
	f := serveTestWatch(t, func(o *Options) { o.ShutdownGrace = time.Hour })
	var streams []grpc.ClientStream
	for range 3 {
		cs, err := openTestWatch(t, t.Context(), f.dial(t), "")
		if err != nil {
			t.Fatal(err)
		}
		streams = append(streams, cs)
	}
	f.stop()
	for _, why := range f.ended(t, len(streams)) {
		if why != "asked to end: "+callctx.EndDraining {
			t.Errorf("a watch ended: %q; want asked to end: %s", why, callctx.EndDraining)
		}
	}
	for _, cs := range streams {
		err := cs.RecvMsg(new(notebookv1.WatchNotebooksResponse))
		if status.Code(err) != codes.Unavailable || !strings.Contains(err.Error(), "interrupted: "+callctx.EndDraining) {
			t.Errorf("the client saw %v; want the watch's UNAVAILABLE", err)
		}
	}
	// The grace period is an hour: Serve returning (the cleanup waits 30s
	// for it) shows the drain did not wait for the watches.
	select {
	case err := <-f.serve:
		f.serve <- err
	case <-time.After(30 * time.Second):
		t.Fatal("the drain waits for the watches")
	}
}

// TestStreamEnd_connectionAge: a watch is asked to end
// (callctx.EndConnectionAge) once its connection is older than the latest
// moment grpc-go, which jitters the maximum connection age by ±10%, may have
// sent the connection's GOAWAY, and not before; the sweep's clock is
// injected. A watch on a younger connection goes on.
func TestStreamEnd_connectionAge(t *testing.T) {
	t.Parallel()
	const age = time.Hour
	f := serveTestWatch(t, func(o *Options) { o.MaxConnectionAge = age })
	before := time.Now() // the connection is accepted after this
	cs, err := openTestWatch(t, t.Context(), f.dial(t), "")
	if err != nil {
		t.Fatal(err)
	}
	opened := time.Now() // and before this
	// When the latest GOAWAY may not have been sent yet, nothing ends.
	f.s.streams.sweep(before.Add(age + age/10))
	select {
	case why := <-f.w.ended:
		t.Fatalf("a watch ended before its connection's GOAWAY: %q", why)
	default:
	}
	youngStream, err := openTestWatch(t, t.Context(), f.dial(t), "")
	if err != nil {
		t.Fatal(err)
	}
	later := time.Now()
	// Past it.
	f.s.streams.sweep(opened.Add(streamEndAge(age)))
	if got := f.ended(t, 1); got[0] != "asked to end: "+callctx.EndConnectionAge {
		t.Errorf("the watch ended: %q; want asked to end: %s", got[0], callctx.EndConnectionAge)
	}
	if err := cs.RecvMsg(new(notebookv1.WatchNotebooksResponse)); status.Code(err) != codes.Unavailable {
		t.Errorf("the client saw %v; want the watch's UNAVAILABLE", err)
	}
	select {
	case why := <-f.w.ended:
		t.Fatalf("the watch on the young connection ended: %q", why)
	default:
	}
	// Its turn comes too.
	f.s.streams.sweep(later.Add(streamEndAge(age)))
	if got := f.ended(t, 1); got[0] != "asked to end: "+callctx.EndConnectionAge {
		t.Errorf("the young watch ended: %q", got[0])
	}
	if err := youngStream.RecvMsg(new(notebookv1.WatchNotebooksResponse)); status.Code(err) != codes.Unavailable {
		t.Errorf("the client saw %v; want the watch's UNAVAILABLE", err)
	}
}

// TestConnectionAgeGrace: whatever the maximum connection age and the
// calls' grace, a connection whose GOAWAY came earliest (age -10%) stays
// open, after it, past the moment its streaming calls are asked to end,
// with at least ten seconds for them to end.
func TestConnectionAgeGrace(t *testing.T) {
	t.Parallel()
	for _, age := range []time.Duration{time.Second, time.Minute, DefaultMaxConnectionAge, time.Hour, 24 * time.Hour} {
		for _, calls := range []time.Duration{0, time.Second, time.Minute, DefaultMaxWait + DefaultUpstreamTimeout} {
			closes := age - age/10 + connectionAgeGrace(age, calls)
			if closes < streamEndAge(age)+10*time.Second || connectionAgeGrace(age, calls) < calls {
				t.Errorf("age %v, calls' grace %v: the connection closes at %v, its streams are asked to end at %v",
					age, calls, closes, streamEndAge(age))
			}
		}
	}
	if streamEndAge(0) != 0 || connectionAgeGrace(0, time.Minute) != time.Minute {
		t.Error("without a maximum age, streams are asked to end, or the grace changed")
	}
}

// TestStreamPanic: a streaming handler that panics answers INTERNAL,
// without the panic's text, and the panic is logged with the call's
// request ID.
func TestStreamPanic(t *testing.T) {
	t.Parallel()
	f := serveTestWatch(t, nil)
	ctx := metadata.AppendToOutgoingContext(t.Context(), "x-request-id", "panicking-watch")
	_, err := openTestWatch(t, ctx, f.dial(t), "panic")
	if status.Code(err) != codes.Internal || strings.Contains(err.Error(), "the test watch panics") {
		t.Errorf("%v; want INTERNAL without the panic", err)
	}
	waitCtx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if _, err := f.logs.WaitFor(waitCtx, `"msg":"panic in handler"`, `"request_id":"panicking-watch"`, "the test watch panics"); err != nil {
		t.Errorf("no log line of the panic: %v", err)
	}
	if _, err := f.logs.WaitFor(waitCtx, `"msg":"rpc"`, `"request_id":"panicking-watch"`, `"code":"Internal"`); err != nil {
		t.Errorf("no log line of the call: %v", err)
	}
}

// TestWatchesAreNotBoundAsLongLivedStreams: the bound on long-lived
// streams (health watches, reflection) does not apply to the API's
// streaming calls, which the watch bounds itself.
func TestWatchesAreNotBoundAsLongLivedStreams(t *testing.T) {
	t.Parallel()
	f := serveTestWatch(t, nil)
	n := maxLongLivedStreams + 10
	conns := make([]*grpc.ClientConn, 4)
	for i := range conns {
		conns[i] = f.dial(t)
	}
	for i := range n {
		if _, err := openTestWatch(t, t.Context(), conns[i%len(conns)], ""); err != nil {
			t.Fatalf("watch %d: %v", i, err)
		}
	}
}

// rawRequest is a request as its wire bytes, sent unchecked by rawCodec.
type rawRequest []byte

type rawCodec struct{}

func (rawCodec) Name() string { return "proto" }

func (rawCodec) Marshal(v any) (mem.BufferSlice, error) {
	return mem.BufferSlice{mem.SliceBuffer(v.(rawRequest))}, nil
}

func (rawCodec) Unmarshal(mem.BufferSlice, any) error { return errors.New("rawCodec only sends") }

// TestWatchRequestCheckKeepsNothing: what the request check finds in a
// watch's request (a name that is not UTF-8) is taken by the call, with
// its caller authorized or not: the checker keeps nothing of it.
func TestWatchRequestCheckKeepsNothing(t *testing.T) {
	t.Parallel()
	f := serveTestWatch(t, nil)
	conn := f.dial(t)
	req := protowire.AppendString(protowire.AppendTag(nil, 1, protowire.BytesType), emulator.SampleProjectID)
	req = protowire.AppendString(protowire.AppendTag(req, 3, protowire.BytesType), "nb\xff")
	for _, method := range []string{notebookv1.NotebookService_WatchNotebooks_FullMethodName, testWatchMethod} {
		ctx, cancel := context.WithCancel(t.Context())
		cs, err := conn.NewStream(ctx, &grpc.StreamDesc{ServerStreams: true}, method, grpc.ForceCodecV2(rawCodec{}))
		if err != nil {
			t.Fatal(err)
		}
		if err := cs.SendMsg(rawRequest(req)); err != nil {
			t.Fatal(err)
		}
		_ = cs.CloseSend()
		// The answer (UNIMPLEMENTED until the watch is served, an error
		// from rawCodec for the test watch's event) comes after the
		// request was received.
		_ = cs.RecvMsg(new(rawRequest))
		cancel()
	}
	f.stop() // the test watch ends; every call has received its request
	select {
	case err := <-f.serve:
		f.serve <- err
	case <-time.After(30 * time.Second):
		t.Fatal("Serve did not return")
	}
	if n := f.s.check.Held(); n != 0 {
		t.Errorf("the request check holds %d watch requests", n)
	}
}
