package service_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"

	watchv1 "github.com/devenv-facade/devenv-facade/gen/devenvfacade/watch/v1"
	devenvv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/devenv/v1"
	notebookv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/notebook/v1"
	"github.com/devenv-facade/devenv-facade/internal/apierror"
	"github.com/devenv-facade/devenv-facade/internal/callctx"
	"github.com/devenv-facade/devenv-facade/internal/clock/clocktest"
	"github.com/devenv-facade/devenv-facade/internal/cloudauth"
	"github.com/devenv-facade/devenv-facade/internal/emulator"
	"github.com/devenv-facade/devenv-facade/internal/modelarts"
	"github.com/devenv-facade/devenv-facade/service"
)

// TestWatchInstances_countdownIsNoChange: an instance with auto-stop that
// runs is listed with a new spec.auto_stop.remain_time at every poll (the
// seconds left before its stop_timestamp); that is no change, and sends no
// MODIFIED: the watch's next event after RUNNING is the stop.
func TestWatchInstances_countdownIsNoChange(t *testing.T) {
	t.Parallel()
	h := startWatch(t, service.Options{Watch: service.WatchOptions{BookmarkInterval: time.Hour}})
	ctx := t.Context()
	created, err := h.client.CreateInstance(ctx, &devenvv1.CreateInstanceRequest{ProjectId: project, Name: "inst", ProfileId: "Multi-Engine 1.0 (python3)-cpu",
		Flavor: "modelarts.vm.cpu.2u", Spec: &devenvv1.CreateInstanceSpec{
			Storage:  &devenvv1.Storage{Type: proto.String("obs"), Location: &devenvv1.StorageLocation{Path: proto.String("/bucket/watch/")}},
			AutoStop: &devenvv1.AutoStop{Enable: proto.Bool(true), Duration: proto.Int32(7200)}}})
	if err != nil {
		t.Fatal(err)
	}
	w, err := h.client.WatchInstances(ctx, &devenvv1.WatchInstancesRequest{ProjectId: project})
	if err != nil {
		t.Fatal(err)
	}
	expectInstances(t, w, "ADDED inst/CREATING", "SNAPSHOT_COMPLETE")
	h.poll(t, 1, emulator.DefaultLifecycle().Create)
	running := expectInstances(t, w, "MODIFIED inst/RUNNING")[0]
	if running.GetInstance().GetSpec().GetAutoStop().GetRemainTime() == 0 {
		t.Fatal("the running instance has no remain_time: the test tests nothing")
	}
	// Two polls, the remain_time different at each.
	h.poll(t, 1, service.DefaultWatchSteadyPollInterval)
	h.poll(t, 1, service.DefaultWatchSteadyPollInterval)
	if _, err := h.client.StopInstance(ctx, &devenvv1.StopInstanceRequest{ProjectId: project, InstanceId: created.GetInstance().GetId()}); err != nil {
		t.Fatal(err)
	}
	h.poll(t, 1, service.DefaultWatchSteadyPollInterval)
	ev, err := recvWithin(t, w.Recv)
	if err != nil {
		t.Fatal(err)
	}
	if got := instanceEvent(ev); got == "MODIFIED inst/RUNNING" {
		t.Fatalf("event %s (remain_time %d, was %d) after RUNNING; want the stop: a countdown is no change",
			got, ev.GetInstance().GetSpec().GetAutoStop().GetRemainTime(), running.GetInstance().GetSpec().GetAutoStop().GetRemainTime())
	}
}

// instanceEvent describes an instance event as "TYPE name/STATUS".
func instanceEvent(ev *devenvv1.WatchInstancesResponse) string {
	kind := strings.TrimPrefix(ev.GetType().String(), "EVENT_TYPE_")
	if ev.GetInstance() == nil {
		return kind
	}
	return kind + " " + ev.GetInstance().GetName() + "/" + ev.GetInstance().GetStatus()
}

// expectInstances receives len(want) events and checks them.
func expectInstances(t *testing.T, s grpc.ServerStreamingClient[devenvv1.WatchInstancesResponse], want ...string) []*devenvv1.WatchInstancesResponse {
	t.Helper()
	var got []*devenvv1.WatchInstancesResponse
	for _, w := range want {
		ev, err := recvWithin(t, s.Recv)
		if err != nil {
			t.Fatalf("event %d: %v; want %s", len(got), err, w)
		}
		if d := instanceEvent(ev); d != w || ev.GetResumeToken() == "" {
			t.Fatalf("event %d = %s (token %q); want %s with a token", len(got), d, ev.GetResumeToken(), w)
		}
		got = append(got, ev)
	}
	return got
}

// gatedLists holds every list request at the upstream until the gate
// opens, saying on arrived that one came.
type gatedLists struct {
	next    http.Handler
	arrived chan struct{}
	gate    chan struct{}
}

func (g *gatedLists) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet && (strings.HasSuffix(r.URL.Path, "/notebooks") || strings.HasSuffix(r.URL.Path, "/demanager/instances")) {
		select {
		case g.arrived <- struct{}{}:
		default:
		}
		select {
		case <-g.gate:
		case <-r.Context().Done():
			return
		}
	}
	g.next.ServeHTTP(w, r)
}

// TestWatch_streamEndDuringTheFirstPoll: a watch the server asks to end
// (drain, connection age) while its poller's first read of the list is
// still out ends at once, with UNAVAILABLE (WATCH_INTERRUPTED) and no
// resume token (it was sent nothing), instead of holding the drain until
// ModelArts answers.
func TestWatch_streamEndDuringTheFirstPoll(t *testing.T) {
	t.Parallel()
	clk := clocktest.New(clocktest.Start)
	gated := &gatedLists{next: emulator.MustNew(emulator.Options{Clock: clk, NoSamples: true}), arrived: make(chan struct{}, 1), gate: make(chan struct{})}
	up := httptest.NewServer(gated)
	t.Cleanup(up.Close)
	mc, err := modelarts.NewClient(up.Client(), up.URL, modelarts.Options{Credentials: cloudauth.Token(facadeToken)})
	if err != nil {
		t.Fatal(err)
	}
	svc := newService(t, mc, service.Options{Clock: clk})
	t.Cleanup(svc.Close)
	t.Cleanup(func() { close(gated.gate) }) // before the service closes

	ctx, ender := callctx.WithStreamEnd(t.Context())
	s := newFakeStream[notebookv1.WatchNotebooksResponse](ctx)
	errc := watchDirect(svc, &notebookv1.WatchNotebooksRequest{}, s)
	select {
	case <-gated.arrived:
	case <-time.After(recvTimeout):
		t.Fatal("the first poll never reached the upstream")
	}
	ender.End(callctx.EndDraining)
	e := errWithin(t, errc)
	if e.Code() != codes.Unavailable || e.Reason() != apierror.ReasonWatchInterrupted || e.Metadata()[apierror.MetadataResumeToken] != "" {
		t.Fatalf("%v (metadata %v); want WATCH_INTERRUPTED without a resume token", e, e.Metadata())
	}
}

// pagedNotebooks is a fake ModelArts list of notebooks, paged by offset
// and limit; betweenPages, if set, runs once after the first page of a
// read has been answered (a notebook deleted while the poller pages).
type pagedNotebooks struct {
	mu           sync.Mutex
	ids          []string
	betweenPages func(p *pagedNotebooks)
}

func (f *pagedNotebooks) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet || !strings.HasSuffix(r.URL.Path, "/notebooks") {
		http.NotFound(w, r)
		return
	}
	offset, _ := strconv.Atoi(r.URL.Query().Get("offset"))
	limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
	f.mu.Lock()
	page := f.ids[min(offset, len(f.ids)):min(offset+limit, len(f.ids))]
	data := make([]map[string]string, len(page))
	for i, id := range page {
		data[i] = map[string]string{"id": id, "name": id, "status": "RUNNING"}
	}
	body, _ := json.Marshal(map[string]any{"data": data, "total": len(f.ids), "current": 0, "pages": 1, "size": limit})
	hook := f.betweenPages
	if offset == 0 {
		f.betweenPages = nil
	} else {
		hook = nil
	}
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(body)
	if hook != nil {
		f.mu.Lock()
		hook(f)
		f.mu.Unlock()
	}
}

// TestWatchNotebooks_tornPages: a notebook deleted while the poller reads
// the list page by page shifts the later pages: the read misses a
// notebook that still exists. The poller reads again rather than tell its
// watches that notebook was DELETED.
func TestWatchNotebooks_tornPages(t *testing.T) {
	t.Parallel()
	up := &pagedNotebooks{}
	for i := range 60 {
		up.ids = append(up.ids, fmt.Sprintf("nb%02d", i))
	}
	srv := httptest.NewServer(up)
	t.Cleanup(srv.Close)
	mc, err := modelarts.NewClient(srv.Client(), srv.URL, modelarts.Options{Credentials: cloudauth.Token(facadeToken)})
	if err != nil {
		t.Fatal(err)
	}
	clk := clocktest.New(clocktest.Start)
	svc := newService(t, mc, service.Options{Clock: clk})
	t.Cleanup(svc.Close)
	s := newFakeStream[notebookv1.WatchNotebooksResponse](t.Context())
	watchDirect(svc, &notebookv1.WatchNotebooksRequest{}, s)
	for range 60 {
		sentWithin(t, s)
	}
	if ev := sentWithin(t, s); ev.GetType() != watchv1.EventType_EVENT_TYPE_SNAPSHOT_COMPLETE {
		t.Fatalf("event %v after 60 notebooks; want the marker", ev)
	}
	up.mu.Lock()
	up.betweenPages = func(p *pagedNotebooks) { p.ids = slices.Delete(p.ids, 10, 11) } // nb10 on the first page
	up.mu.Unlock()
	ctx, cancel := context.WithTimeout(t.Context(), recvTimeout)
	defer cancel()
	if err := clk.BlockUntil(ctx, 1); err != nil {
		t.Fatal(err)
	}
	clk.Advance(service.DefaultWatchSteadyPollInterval)
	if ev := sentWithin(t, s); ev.GetType() != watchv1.EventType_EVENT_TYPE_DELETED || ev.GetNotebook().GetId() != "nb10" {
		t.Fatalf("event %s %s; want DELETED nb10", ev.GetType(), ev.GetNotebook().GetId())
	}
	// A fence: the next change's event comes after anything else the
	// torn read may have sent.
	up.mu.Lock()
	up.ids = slices.DeleteFunc(up.ids, func(id string) bool { return id == "nb20" })
	up.mu.Unlock()
	if err := clk.BlockUntil(ctx, 1); err != nil {
		t.Fatal(err)
	}
	clk.Advance(service.DefaultWatchSteadyPollInterval)
	if ev := sentWithin(t, s); ev.GetType() != watchv1.EventType_EVENT_TYPE_DELETED || ev.GetNotebook().GetId() != "nb20" {
		t.Fatalf("then %s %s; want DELETED nb20 (nb50 is still there)", ev.GetType(), ev.GetNotebook().GetId())
	}
}
