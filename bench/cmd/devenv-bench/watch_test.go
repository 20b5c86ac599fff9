package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	watchv1 "github.com/devenv-facade/devenv-facade/gen/devenvfacade/watch/v1"
	notebookv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/notebook/v1"
)

func TestIsNotebookList(t *testing.T) {
	for _, tc := range []struct {
		path string
		want bool
	}{
		{"/v1/" + watchProject + "/notebooks", true},
		{"/v1/p/notebooks", true},
		{"/v1/" + watchProject + "/notebooks/", false},
		{"/v1/" + watchProject + "/notebooks/all", false},
		{"/v1/" + watchProject + "/notebooks/f9937afa/stop", false},
		{"/v1/" + watchProject + "/demanager/instances", false},
		{"/v1//notebooks", false},
		{"/v2/" + watchProject + "/notebooks", false},
		{"/emulator/faults", false},
	} {
		if got := isNotebookList(tc.path); got != tc.want {
			t.Errorf("isNotebookList(%q) = %v; want %v", tc.path, got, tc.want)
		}
	}
}

// TestCountingProxy: requests through the proxy reach the upstream and are
// counted, the notebook lists apart, with the time each list ended.
func TestCountingProxy(t *testing.T) {
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, r.Method+" "+r.URL.Path)
	}))
	defer upstream.Close()
	p, err := startCountingProxy(upstream.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer p.close()
	client := &http.Client{Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()
	send := func(method, path string) {
		t.Helper()
		req, _ := http.NewRequest(method, p.url()+path, nil)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if want := method + " " + path; string(b) != want {
			t.Fatalf("%s %s through the proxy answered %q; want %q", method, path, b, want)
		}
	}
	before := time.Now()
	send(http.MethodGet, "/v1/"+watchProject+"/notebooks")
	send(http.MethodPost, "/v1/"+watchProject+"/notebooks")
	send(http.MethodGet, "/v1/"+watchProject+"/notebooks/x")
	send(http.MethodGet, "/v1/"+watchProject+"/notebooks")
	after := time.Now()
	if lists, all := p.counts(); lists != 2 || all != 4 {
		t.Errorf("counts() = %d lists, %d in all; want 2, 4", lists, all)
	}
	end, ok := p.lastListEndBefore(after)
	if !ok || end.Before(before) || end.After(after) {
		t.Errorf("lastListEndBefore(after the requests) = %v, %v; want a time between %v and %v", end, ok, before, after)
	}
	if _, ok := p.lastListEndBefore(before); ok {
		t.Error("lastListEndBefore(before any request) found a list")
	}
}

// TestMeasureLatencies: each change is matched with each watcher's first
// event carrying the notebook in its new status at or after the change;
// an event of the same notebook in another status, or before the change,
// does not count, and a watcher without one is counted as missed.
func TestMeasureLatencies(t *testing.T) {
	t0 := time.Date(2026, 12, 6, 17, 0, 0, 0, time.UTC)
	ms := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Millisecond) }
	changes := []change{
		{id: "a", status: "STOPPED", at: ms(0)},
		{id: "b", status: "STOPPED", at: ms(3000)},
	}
	events := [][]watchEvent{
		{ // sees both
			{id: "a", status: "STOPPED", at: ms(1500)},
			{id: "b", status: "STOPPED", at: ms(4100)},
		},
		{ // a stale event of b before its change, then both
			{id: "b", status: "STOPPED", at: ms(100)},
			{id: "a", status: "RUNNING", at: ms(1200)},
			{id: "a", status: "STOPPED", at: ms(1520)},
			{id: "b", status: "STOPPED", at: ms(4150)},
		},
		{ // misses b
			{id: "a", status: "STOPPED", at: ms(1510)},
		},
	}
	p := &countingProxy{listEnds: []time.Time{ms(-500), ms(1490), ms(3490), ms(4090)}}
	l := measureLatencies(changes, events, p)
	d := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	want := latencies{
		changes:     2,
		arrivals:    []time.Duration{d(1100), d(1150), d(1500), d(1510), d(1520)},
		missed:      1,
		pollToFirst: []time.Duration{d(10), d(10)},
		pollToLast:  []time.Duration{d(30), d(60)},
		fanout:      []time.Duration{d(20), d(50)},
	}
	if l.changes != want.changes || l.missed != want.missed || !slices.Equal(l.arrivals, want.arrivals) ||
		!slices.Equal(l.pollToFirst, want.pollToFirst) || !slices.Equal(l.pollToLast, want.pollToLast) || !slices.Equal(l.fanout, want.fanout) {
		t.Errorf("measureLatencies = %+v;\nwant %+v", l, want)
	}
	if got := pct(l.arrivals, 50); got != d(1500) {
		t.Errorf("p50 = %v; want 1.5s", got)
	}
	if got := pct(l.arrivals, 100); got != d(1520) {
		t.Errorf("max = %v; want 1.52s", got)
	}
}

// fakeWatchServer answers WatchNotebooks with a snapshot of one notebook,
// the marker, then the events sent on its events channel, to every watch.
type fakeWatchServer struct {
	notebookv1.UnimplementedNotebookServiceServer
	mu       sync.Mutex
	watches  []chan *notebookv1.WatchNotebooksResponse
	failWith error // if set, every watch ends with it after its snapshot
}

func (f *fakeWatchServer) WatchNotebooks(req *notebookv1.WatchNotebooksRequest, stream grpc.ServerStreamingServer[notebookv1.WatchNotebooksResponse]) error {
	if req.GetProjectId() != watchProject {
		return status.Errorf(codes.InvalidArgument, "project %q", req.GetProjectId())
	}
	ch := make(chan *notebookv1.WatchNotebooksResponse, 16)
	f.mu.Lock()
	f.watches = append(f.watches, ch)
	fail := f.failWith
	f.mu.Unlock()
	for _, ev := range []*notebookv1.WatchNotebooksResponse{
		{Type: watchv1.EventType_EVENT_TYPE_ADDED, Notebook: nb("a", "RUNNING"), ResumeToken: "t1"},
		{Type: watchv1.EventType_EVENT_TYPE_SNAPSHOT_COMPLETE, ResumeToken: "t1"},
	} {
		if err := stream.Send(ev); err != nil {
			return err
		}
	}
	if fail != nil {
		return fail
	}
	for {
		select {
		case <-stream.Context().Done():
			return stream.Context().Err()
		case ev := <-ch:
			if err := stream.Send(ev); err != nil {
				return err
			}
		}
	}
}

// broadcast sends ev to every watch.
func (f *fakeWatchServer) broadcast(ev *notebookv1.WatchNotebooksResponse) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, ch := range f.watches {
		ch <- ev
	}
}

func serveFake(t *testing.T, f *fakeWatchServer) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	notebookv1.RegisterNotebookServiceServer(srv, f)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	return lis.Addr().String()
}

// TestStartWatchers: the watchers return once all have their snapshot,
// record the events after it (not the snapshot's), and stop cleanly.
func TestStartWatchers(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) }) // after the servers stop
	for _, conns := range []int{0, 2} {
		t.Run(fmt.Sprintf("conns=%d", conns), func(t *testing.T) {
			f := &fakeWatchServer{}
			addr := serveFake(t, f)
			ws, err := startWatchers(context.Background(), addr, 5, conns, 10*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			f.broadcast(&notebookv1.WatchNotebooksResponse{Type: watchv1.EventType_EVENT_TYPE_MODIFIED, Notebook: nb("a", "STOPPED"), ResumeToken: "t2"})
			f.broadcast(&notebookv1.WatchNotebooksResponse{Type: watchv1.EventType_EVENT_TYPE_BOOKMARK, ResumeToken: "t3"})
			f.broadcast(&notebookv1.WatchNotebooksResponse{Type: watchv1.EventType_EVENT_TYPE_DELETED, Notebook: nb("a", "STOPPED"), ResumeToken: "t4"})
			// Wait for the last event to arrive everywhere: the watchers
			// record as they receive; stop reads what they have.
			deadline := time.Now().Add(10 * time.Second)
			for !allReceived(ws, 2) && time.Now().Before(deadline) {
				time.Sleep(10 * time.Millisecond)
			}
			events := ws.stop()
			if len(events) != 5 {
				t.Fatalf("%d watchers' events; want 5", len(events))
			}
			for i, evs := range events {
				if len(evs) != 2 || evs[0].typ != watchv1.EventType_EVENT_TYPE_MODIFIED || evs[0].id != "a" || evs[0].status != "STOPPED" ||
					evs[1].typ != watchv1.EventType_EVENT_TYPE_DELETED || evs[0].at.After(evs[1].at) {
					t.Errorf("watcher %d recorded %+v; want the MODIFIED and DELETED events, in order", i, evs)
				}
			}
			if n, err := ws.errors(); n != 0 {
				t.Errorf("errors() = %d, %v; want none: stop is not an error", n, err)
			}
		})
	}
}

// allReceived reports whether every watcher has recorded n events. It
// reads the watchers' slices while they run, under the race detector's
// eye, so it only looks at their lengths through the set's lock.
func allReceived(ws *watcherSet, n int) bool {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	for _, evs := range ws.events {
		if len(evs) < n {
			return false
		}
	}
	return true
}

// TestStartWatchers_failures: a watch that ends before its snapshot fails
// startWatchers; one that ends after it is counted with its error.
func TestStartWatchers_failures(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) }) // after the servers stop
	f := &fakeWatchServer{}
	addr := serveFake(t, f)
	_, err := startWatchers(context.Background(), "127.0.0.1:1", 2, 0, 10*time.Second)
	if err == nil {
		t.Error("startWatchers with nothing listening succeeded")
	}
	f.failWith = status.Error(codes.ResourceExhausted, "too slow")
	ws, err := startWatchers(context.Background(), addr, 3, 0, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	ws.wg.Wait() // every watch ends by itself
	ws.stop()
	if n, first := ws.errors(); n != 3 || status.Code(first) != codes.ResourceExhausted {
		t.Errorf("errors() = %d, %v; want 3, RESOURCE_EXHAUSTED", n, first)
	}
}

func nb(id, status string) *notebookv1.Notebook {
	return &notebookv1.Notebook{Id: proto.String(id), Status: proto.String(status)}
}
