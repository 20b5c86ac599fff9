package service_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"

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
