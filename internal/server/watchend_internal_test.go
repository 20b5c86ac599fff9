package server

import (
	"bufio"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"

	watchv1 "github.com/devenv-facade/devenv-facade/gen/devenvfacade/watch/v1"
	notebookv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/notebook/v1"
	"github.com/devenv-facade/devenv-facade/internal/apierror"
	"github.com/devenv-facade/devenv-facade/internal/emulator"
	"github.com/devenv-facade/devenv-facade/internal/statustest"
)

// watchSnapshot opens WatchNotebooks on the sample project over conn and
// reads up to its SNAPSHOT_COMPLETE marker, whose resume token it returns.
func watchSnapshot(t *testing.T, conn *grpc.ClientConn) (grpc.ServerStreamingClient[notebookv1.WatchNotebooksResponse], string) {
	t.Helper()
	w, err := notebookv1.NewNotebookServiceClient(conn).WatchNotebooks(t.Context(), &notebookv1.WatchNotebooksRequest{ProjectId: emulator.SampleProjectID})
	if err != nil {
		t.Fatal(err)
	}
	for {
		ev, err := w.Recv()
		if err != nil {
			t.Fatalf("before the snapshot's end: %v", err)
		}
		if ev.GetType() == watchv1.EventType_EVENT_TYPE_SNAPSHOT_COMPLETE {
			return w, ev.GetResumeToken()
		}
	}
}

// interrupted reads w's events until its error, and checks that it is a
// watch's UNAVAILABLE (WATCH_INTERRUPTED) whose resume token is the last
// event's (token, if none came) and whose message gives why.
func interrupted(t *testing.T, w grpc.ServerStreamingClient[notebookv1.WatchNotebooksResponse], token, why string) {
	t.Helper()
	var err error
	for {
		var ev *notebookv1.WatchNotebooksResponse
		if ev, err = w.Recv(); err != nil {
			break
		}
		token = ev.GetResumeToken()
	}
	e := statustest.Error(t, err)
	if e.Code() != codes.Unavailable || e.Reason() != apierror.ReasonWatchInterrupted || !strings.Contains(err.Error(), why) {
		t.Errorf("%v; want UNAVAILABLE/%s saying %q", err, apierror.ReasonWatchInterrupted, why)
	}
	if got := e.Metadata()[apierror.MetadataResumeToken]; got != token {
		t.Errorf("resume token %q; want the last event's, %q", got, token)
	}
}

// sseUntil reads an event stream's lines until one is line, and returns
// the lines read.
func sseUntil(t *testing.T, r *bufio.Reader, line string) []string {
	t.Helper()
	var lines []string
	for {
		l, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("the event stream ended (%v) before %q: %q", err, line, lines)
		}
		l = strings.TrimSuffix(l, "\n")
		lines = append(lines, l)
		if l == line {
			return lines
		}
	}
}

// TestWatch_drain: when the facade shuts down, the watches over gRPC and
// over REST (Server-Sent Events) end at once with UNAVAILABLE
// (WATCH_INTERRUPTED) and the last event's resume token, and the shutdown
// does not wait for them (the grace period is an hour).
func TestWatch_drain(t *testing.T) {
	t.Parallel()
	httpLis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := serveTestWatch(t, func(o *Options) { o.ShutdownGrace, o.HTTPListener = time.Hour, httpLis })
	w, token := watchSnapshot(t, f.dial(t))

	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, "http://"+httpLis.Addr().String()+"/v1/"+emulator.SampleProjectID+"/notebooks:watch", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("REST watch: %s", resp.Status)
	}
	sse := bufio.NewReader(resp.Body)
	sseUntil(t, sse, "event: SNAPSHOT_COMPLETE")

	f.stop()
	interrupted(t, w, token, "shutting down")
	sseUntil(t, sse, "event: error")
	var block []string
	for {
		line, err := sse.ReadString('\n')
		if line == "\n" || err != nil {
			break
		}
		block = append(block, line)
	}
	if !strings.Contains(strings.Join(block, ""), apierror.ReasonWatchInterrupted) {
		t.Errorf("the event stream's error: %q", block)
	}
	select {
	case err := <-f.serve:
		f.serve <- err
	case <-time.After(30 * time.Second):
		t.Fatal("the drain waits for the watches")
	}
}

// TestWatch_connectionAge: a watch whose connection is past the latest
// moment grpc-go may have sent its GOAWAY ends with UNAVAILABLE
// (WATCH_INTERRUPTED) and its resume token; the sweep's clock is injected.
func TestWatch_connectionAge(t *testing.T) {
	t.Parallel()
	const age = time.Hour
	f := serveTestWatch(t, func(o *Options) { o.MaxConnectionAge = age })
	w, token := watchSnapshot(t, f.dial(t))
	f.s.streams.sweep(time.Now().Add(streamEndAge(age)))
	interrupted(t, w, token, "maximum age")
}
