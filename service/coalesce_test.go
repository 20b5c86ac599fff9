package service_test

import (
	"bufio"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"

	notebookv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/notebook/v1"
	"github.com/devenv-facade/devenv-facade/internal/clock/clocktest"
	"github.com/devenv-facade/devenv-facade/internal/cloudauth"
	"github.com/devenv-facade/devenv-facade/internal/emulator"
	"github.com/devenv-facade/devenv-facade/internal/modelarts"
	"github.com/devenv-facade/devenv-facade/service"
)

// heldReads passes requests on to the emulator, holding each GET until
// release is closed; it reports each request as it arrives.
type heldReads struct {
	next    http.Handler
	arrived chan string // the X-Request-Id of each request
	release chan struct{}
	once    sync.Once
}

func (h *heldReads) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.arrived <- r.Header.Get("X-Request-Id")
	if r.Method == http.MethodGet {
		select {
		case <-h.release:
		case <-r.Context().Done():
			return
		}
	}
	h.next.ServeHTTP(w, r)
}

func (h *heldReads) releaseAll() { h.once.Do(func() { close(h.release) }) }

// joins reports each call that joined a read in flight.
type joins chan string

func (joins) UpstreamAttempt(string, bool, int, string, time.Duration) {}
func (joins) UpstreamRetryRefused(string)                              {}
func (joins) UpstreamShed(string)                                      {}
func (joins) UpstreamInFlight(int)                                     {}
func (j joins) UpstreamJoined(op string)                               { j <- op }
func (joins) UpstreamReused(string)                                    {}

// TestGetNotebook_coalesced: identical GetNotebook calls in flight at the
// same time send ModelArts one request; every caller gets the same
// notebook, and each call's log line says it was shared, and which
// request it joined.
func TestGetNotebook_coalesced(t *testing.T) {
	t.Parallel()
	const n = 8
	up := &heldReads{next: emulator.MustNew(emulator.Options{}), arrived: make(chan string, 100), release: make(chan struct{})}
	t.Cleanup(up.releaseAll)
	joined := make(joins, 100)
	h := start(t, up, modelarts.Options{Credentials: cloudauth.Token("t"), Observer: joined})

	type answer struct {
		nb  *notebookv1.Notebook
		err error
	}
	answers := make(chan answer, n)
	get := func(i int) {
		ctx := metadata.AppendToOutgoingContext(t.Context(), "x-request-id", "coalesce-"+strconv.Itoa(i))
		resp, err := h.notebooks.GetNotebook(ctx, &notebookv1.GetNotebookRequest{ProjectId: project, NotebookId: emulator.SampleNotebookID})
		answers <- answer{resp.GetNotebook(), err}
	}
	go get(0)
	if rid := <-up.arrived; rid != "coalesce-0" {
		t.Fatalf("the first request carried X-Request-Id %q; want coalesce-0", rid)
	}
	for i := 1; i < n; i++ {
		go get(i)
		select {
		case <-joined:
		case rid := <-up.arrived:
			t.Fatalf("call %s sent a request of its own", rid)
		}
	}
	up.releaseAll()
	var first *notebookv1.Notebook
	for range n {
		a := <-answers
		if a.err != nil {
			t.Fatalf("GetNotebook: %v", a.err)
		}
		if first == nil {
			first = a.nb
		}
		if !proto.Equal(a.nb, first) || a.nb.GetId() != emulator.SampleNotebookID {
			t.Errorf("answers differ:\n%v\n%v", a.nb, first)
		}
	}

	var lines []map[string]any
	sc := bufio.NewScanner(strings.NewReader(h.logs.String()))
	for sc.Scan() {
		var line map[string]any
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("log line %q: %v", sc.Text(), err)
		}
		if line["msg"] == "rpc" {
			lines = append(lines, line)
		}
	}
	if len(lines) != n {
		t.Fatalf("%d rpc log lines; want %d:\n%s", len(lines), n, h.logs.String())
	}
	for _, line := range lines {
		want := map[string]any{"upstream_attempts": 1.0, "upstream_shared": 1.0, "upstream_joined": 1.0, "upstream_request_id": "coalesce-0"}
		if line["request_id"] == "coalesce-0" {
			want["upstream_joined"], want["upstream_request_id"] = 0.0, nil
		}
		for k, v := range want {
			if line[k] != v {
				t.Errorf("call %s: log line %s = %v; want %v", line["request_id"], k, line[k], v)
			}
		}
	}
}

// TestGetNotebook_freshFor: with a freshness window, a second identical
// GetNotebook is answered from the first's answer (its log line says so);
// a caller that sends Cache-Control: no-cache, over gRPC or through the
// REST mirror (which forwards it under grpc-gateway's prefix), gets a
// request of its own.
func TestGetNotebook_freshFor(t *testing.T) {
	t.Parallel()
	up := &heldReads{next: emulator.MustNew(emulator.Options{}), arrived: make(chan string, 100), release: make(chan struct{})}
	up.releaseAll()
	h := start(t, up, modelarts.Options{Credentials: cloudauth.Token("t"), FreshFor: time.Hour})
	req := &notebookv1.GetNotebookRequest{ProjectId: project, NotebookId: emulator.SampleNotebookID}
	for i, tc := range []struct {
		md   []string
		sent bool
	}{
		{nil, true},
		{nil, false},
		{[]string{"cache-control", "no-cache"}, true},
		{[]string{"cache-control", "max-age=60, No-Cache"}, true},
		{[]string{"grpcgateway-cache-control", "max-age=0"}, true},
		{[]string{"cache-control", "max-age=60"}, false},
	} {
		ctx := metadata.AppendToOutgoingContext(t.Context(), append(tc.md, "x-request-id", "fresh-"+strconv.Itoa(i))...)
		if _, err := h.notebooks.GetNotebook(ctx, req); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
		select {
		case <-up.arrived:
			if !tc.sent {
				t.Errorf("call %d (%v) sent a request; want the recent answer", i, tc.md)
			}
		default:
			if tc.sent {
				t.Errorf("call %d (%v) sent no request; want one of its own", i, tc.md)
			}
		}
	}
	if !strings.Contains(h.logs.String(), `"request_id":"fresh-1"`) {
		t.Fatalf("no log line of call 1:\n%s", h.logs)
	}
	for _, l := range strings.Split(h.logs.String(), "\n") {
		if strings.Contains(l, `"request_id":"fresh-1"`) && !strings.Contains(l, `"upstream_recent":1`) {
			t.Errorf("call 1's log line has no upstream_recent=1: %s", l)
		}
	}
}

// TestWatch_pollsAfresh: a watch's poller reads ModelArts at every poll,
// even with a freshness window longer than its interval (--read-fresh-for):
// a page taken from the window could be older than the next page read,
// and the poller would see a list that never was.
func TestWatch_pollsAfresh(t *testing.T) {
	t.Parallel()
	clk := clocktest.New(clocktest.Start)
	lists := &listCounter{next: emulator.MustNew(emulator.Options{Clock: clk, NoSamples: true}), by: map[string]int{}}
	up := httptest.NewServer(lists)
	t.Cleanup(up.Close)
	mc, err := modelarts.NewClient(up.Client(), up.URL, modelarts.Options{Credentials: cloudauth.Token(facadeToken), FreshFor: time.Hour, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	svc := newService(t, mc, service.Options{Clock: clk})
	t.Cleanup(svc.Close)
	conn := serveLoopback(t, svc, grpc.UnaryInterceptor(svc.UnaryInterceptor()))
	h := &watchHarness{clock: clk, svc: svc, lists: lists, notebooks: notebookv1.NewNotebookServiceClient(conn)}

	all := h.watchNotebooks(t, &notebookv1.WatchNotebooksRequest{})
	expectNotebooks(t, all, "SNAPSHOT_COMPLETE")
	h.poll(t, 1, service.DefaultWatchSteadyPollInterval)
	h.poll(t, 1, service.DefaultWatchSteadyPollInterval)
	if n := h.lists.counts()[facadeToken]; n != 3 {
		t.Errorf("%d list requests for three polls; want 3", n)
	}
}
