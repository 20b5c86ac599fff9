package service_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
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
	"github.com/devenv-facade/devenv-facade/internal/statustest"
	"github.com/devenv-facade/devenv-facade/service"
)

// listCounter counts the list requests that reach the upstream, by the
// X-Auth-Token they carry.
type listCounter struct {
	next http.Handler
	mu   sync.Mutex
	by   map[string]int
}

func (c *listCounter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet && (strings.HasSuffix(r.URL.Path, "/notebooks") || strings.HasSuffix(r.URL.Path, "/demanager/instances")) {
		c.mu.Lock()
		c.by[r.Header.Get("X-Auth-Token")]++
		c.mu.Unlock()
	}
	c.next.ServeHTTP(w, r)
}

// counts returns the list requests by token so far.
func (c *listCounter) counts() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]int, len(c.by))
	for k, v := range c.by {
		out[k] = v
	}
	return out
}

// watchHarness is the service in front of the emulator, both on a fake
// clock that moves only when the test says, served over gRPC on loopback.
type watchHarness struct {
	clock     *clocktest.Fake
	svc       *service.Service
	lists     *listCounter
	client    devenvv1.DevEnvServiceClient
	notebooks notebookv1.NotebookServiceClient
}

// facadeToken is the facade's own credentials in these tests.
const facadeToken = "facade-own-token"

func startWatch(t *testing.T, opts service.Options) *watchHarness {
	t.Helper()
	clk := clocktest.New(clocktest.Start)
	emu := emulator.MustNew(emulator.Options{Clock: clk, NoSamples: true})
	lists := &listCounter{next: emu, by: map[string]int{}}
	up := httptest.NewServer(lists)
	t.Cleanup(up.Close)
	mc, err := modelarts.NewClient(up.Client(), up.URL, modelarts.Options{Credentials: cloudauth.Token(facadeToken)})
	if err != nil {
		t.Fatal(err)
	}
	opts.Clock = clk
	svc := newService(t, mc, opts)
	t.Cleanup(svc.Close)
	conn := serveLoopback(t, svc, grpc.UnaryInterceptor(svc.UnaryInterceptor()))
	return &watchHarness{clock: clk, svc: svc, lists: lists,
		client: devenvv1.NewDevEnvServiceClient(conn), notebooks: notebookv1.NewNotebookServiceClient(conn)}
}

// pollers waits until n pollers wait on the clock, moves it d, and waits
// until they wait again: each polled once and sent what it saw.
func (h *watchHarness) poll(t *testing.T, n int, d time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := h.clock.BlockUntil(ctx, n); err != nil {
		t.Fatalf("the pollers never waited: %v", err)
	}
	h.clock.Advance(d)
	if err := h.clock.BlockUntil(ctx, n); err != nil {
		t.Fatalf("the pollers never waited again: %v", err)
	}
}

// createNotebook creates a notebook (CREATING), as the facade's
// credentials.
func (h *watchHarness) createNotebook(t *testing.T, name string) string {
	t.Helper()
	created, err := h.notebooks.CreateNotebook(t.Context(), &notebookv1.CreateNotebookRequest{ProjectId: project, Name: name, Flavor: "modelarts.vm.cpu.2u",
		ImageId: emulator.SampleImageID, Volume: &notebookv1.VolumeRequest{Category: "EVS", Ownership: "MANAGED", Capacity: proto.Int32(5)}})
	if err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
	return created.GetNotebook().GetId()
}

// recvTimeout bounds how long a test waits for an event that must come:
// never reached unless the code is wrong.
const recvTimeout = 10 * time.Second

// watchNotebooks opens a watch; the stream ends with the test.
func (h *watchHarness) watchNotebooks(t *testing.T, req *notebookv1.WatchNotebooksRequest, md ...string) grpc.ServerStreamingClient[notebookv1.WatchNotebooksResponse] {
	t.Helper()
	ctx := t.Context()
	if len(md) > 0 {
		ctx = metadata.AppendToOutgoingContext(ctx, md...)
	}
	if req.ProjectId == "" {
		req.ProjectId = project
	}
	stream, err := h.notebooks.WatchNotebooks(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	return stream
}

// event describes a notebook event as "TYPE name/STATUS".
func nbEvent(ev *notebookv1.WatchNotebooksResponse) string {
	kind := strings.TrimPrefix(ev.GetType().String(), "EVENT_TYPE_")
	if ev.GetNotebook() == nil {
		return kind
	}
	return kind + " " + ev.GetNotebook().GetName() + "/" + ev.GetNotebook().GetStatus()
}

// expectNotebooks receives len(want) events and checks them.
func expectNotebooks(t *testing.T, s grpc.ServerStreamingClient[notebookv1.WatchNotebooksResponse], want ...string) []*notebookv1.WatchNotebooksResponse {
	t.Helper()
	var got []*notebookv1.WatchNotebooksResponse
	for _, w := range want {
		ev, err := recvWithin(t, s.Recv)
		if err != nil {
			t.Fatalf("event %d: %v; want %s", len(got), err, w)
		}
		if d := nbEvent(ev); d != w {
			t.Fatalf("event %d = %s; want %s", len(got), d, w)
		}
		if ev.GetResumeToken() == "" {
			t.Fatalf("event %d (%s) carries no resume token", len(got), w)
		}
		got = append(got, ev)
	}
	return got
}

// recvWithin calls recv, failing the test if it takes recvTimeout.
func recvWithin[T any](t *testing.T, recv func() (T, error)) (T, error) {
	t.Helper()
	type result struct {
		v   T
		err error
	}
	c := make(chan result, 1)
	go func() {
		v, err := recv()
		c <- result{v, err}
	}()
	select {
	case r := <-c:
		return r.v, r.err
	case <-time.After(recvTimeout):
		t.Fatal("no event within 10s")
		panic("unreachable")
	}
}

// TestWatchNotebooks: a snapshot ending in the marker, then each kind of
// event as the emulator's notebook changes on the clock; the poller sees
// states, not transitions (a stop seen after its delay is STOPPED, never
// STOPPING); a filter sees the notebook enter and leave; a watch resumed
// from a token gets what came after it.
func TestWatchNotebooks(t *testing.T) {
	t.Parallel()
	h := startWatch(t, service.Options{})
	ctx := t.Context()
	first := h.createNotebook(t, "first")
	all := h.watchNotebooks(t, &notebookv1.WatchNotebooksRequest{})
	running := h.watchNotebooks(t, &notebookv1.WatchNotebooksRequest{Status: "running"})
	named := h.watchNotebooks(t, &notebookv1.WatchNotebooksRequest{Name: "seco"})
	snap := expectNotebooks(t, all, "ADDED first/CREATING", "SNAPSHOT_COMPLETE")
	if snap[0].GetResumeToken() == snap[1].GetResumeToken() {
		t.Error("the snapshot's ADDED and the marker carry the same token")
	}
	expectNotebooks(t, running, "SNAPSHOT_COMPLETE")
	expectNotebooks(t, named, "SNAPSHOT_COMPLETE")

	// CREATING is transitional: the next poll is PollInterval away.
	h.poll(t, 1, emulator.DefaultLifecycle().Create)
	modified := expectNotebooks(t, all, "MODIFIED first/RUNNING")[0]
	expectNotebooks(t, running, "ADDED first/RUNNING")

	// Nothing is transitional now: the next poll is SteadyPollInterval
	// away, by when the new notebook is RUNNING: the watch never sees it
	// CREATING.
	second := h.createNotebook(t, "second")
	h.poll(t, 1, service.DefaultWatchSteadyPollInterval)
	expectNotebooks(t, all, "ADDED second/RUNNING")
	expectNotebooks(t, running, "ADDED second/RUNNING")
	expectNotebooks(t, named, "ADDED second/RUNNING")

	if _, err := h.notebooks.StopNotebook(ctx, &notebookv1.StopNotebookRequest{ProjectId: project, NotebookId: first}); err != nil {
		t.Fatal(err)
	}
	h.poll(t, 1, service.DefaultWatchSteadyPollInterval)
	expectNotebooks(t, all, "MODIFIED first/STOPPED")
	expectNotebooks(t, running, "DELETED first/STOPPED")

	if _, err := h.notebooks.DeleteNotebook(ctx, &notebookv1.DeleteNotebookRequest{ProjectId: project, NotebookId: second}); err != nil {
		t.Fatal(err)
	}
	h.poll(t, 1, service.DefaultWatchSteadyPollInterval)
	last := expectNotebooks(t, all, "DELETED second/RUNNING")[0]
	expectNotebooks(t, running, "DELETED second/RUNNING")
	expectNotebooks(t, named, "DELETED second/RUNNING")
	if last.GetNotebook().GetId() != second {
		t.Errorf("DELETED carries %s; want the deleted notebook", last.GetNotebook().GetId())
	}

	resumed := h.watchNotebooks(t, &notebookv1.WatchNotebooksRequest{ResumeToken: modified.GetResumeToken()})
	expectNotebooks(t, resumed, "ADDED second/RUNNING", "MODIFIED first/STOPPED", "DELETED second/RUNNING")
	if n := h.lists.counts()[facadeToken]; n != 5 {
		t.Errorf("%d list requests for four watches over five polls; want 5", n)
	}
}

// TestWatchInstances: the old API's watch, with its snapshot, a change and
// a status filter.
func TestWatchInstances(t *testing.T) {
	t.Parallel()
	h := startWatch(t, service.Options{})
	ctx := t.Context()
	created, err := h.client.CreateInstance(ctx, &devenvv1.CreateInstanceRequest{ProjectId: project, Name: "inst", ProfileId: "Multi-Engine 1.0 (python3)-cpu",
		Flavor: "modelarts.vm.cpu.2u", Spec: &devenvv1.CreateInstanceSpec{Storage: &devenvv1.Storage{Type: proto.String("obs"), Location: &devenvv1.StorageLocation{Path: proto.String("/bucket/watch/")}}}})
	if err != nil {
		t.Fatal(err)
	}
	describe := func(ev *devenvv1.WatchInstancesResponse) string {
		kind := strings.TrimPrefix(ev.GetType().String(), "EVENT_TYPE_")
		if ev.GetInstance() == nil {
			return kind
		}
		return kind + " " + ev.GetInstance().GetName() + "/" + ev.GetInstance().GetStatus()
	}
	expect := func(s grpc.ServerStreamingClient[devenvv1.WatchInstancesResponse], want ...string) {
		t.Helper()
		for _, w := range want {
			ev, err := recvWithin(t, s.Recv)
			if err != nil || describe(ev) != w || ev.GetResumeToken() == "" {
				t.Fatalf("event: %v, %v; want %s with a token", ev, err, w)
			}
		}
	}
	all, err := h.client.WatchInstances(ctx, &devenvv1.WatchInstancesRequest{ProjectId: project})
	if err != nil {
		t.Fatal(err)
	}
	running, err := h.client.WatchInstances(ctx, &devenvv1.WatchInstancesRequest{ProjectId: project, Status: "RUNNING"})
	if err != nil {
		t.Fatal(err)
	}
	expect(all, "ADDED inst/CREATING", "SNAPSHOT_COMPLETE")
	expect(running, "SNAPSHOT_COMPLETE")
	h.poll(t, 1, emulator.DefaultLifecycle().Create)
	expect(all, "MODIFIED inst/RUNNING")
	expect(running, "ADDED inst/RUNNING")
	if created.GetInstance().GetId() == "" {
		t.Error("no instance ID")
	}
}

// TestWatch_resumeRefused: a token the facade cannot resume from is
// refused with OUT_OF_RANGE (RESUME_TOKEN_EXPIRED, REST 410), one that is
// no token at all with INVALID_ARGUMENT on resume_token before anything is
// sent; so are bad filters.
func TestWatch_resumeRefused(t *testing.T) {
	t.Parallel()
	h := startWatch(t, service.Options{})
	w := h.watchNotebooks(t, &notebookv1.WatchNotebooksRequest{})
	marker := expectNotebooks(t, w, "SNAPSHOT_COMPLETE")[0]
	// A token of the same shape from another poller (another replica).
	foreign := []byte(marker.GetResumeToken())
	if foreign[5] == 'A' {
		foreign[5] = 'B'
	} else {
		foreign[5] = 'A'
	}
	lists := h.lists.counts()[facadeToken]

	for _, tc := range []struct {
		name   string
		req    *notebookv1.WatchNotebooksRequest
		code   codes.Code
		reason string
		field  string
	}{
		{"foreign token", &notebookv1.WatchNotebooksRequest{ResumeToken: string(foreign)}, codes.OutOfRange, apierror.ReasonResumeTokenExpired, ""},
		{"another workspace's token", &notebookv1.WatchNotebooksRequest{ResumeToken: marker.GetResumeToken(), WorkspaceId: strings.Repeat("a", 32)}, codes.OutOfRange, apierror.ReasonResumeTokenExpired, ""},
		{"malformed token", &notebookv1.WatchNotebooksRequest{ResumeToken: "not a token"}, codes.InvalidArgument, apierror.ReasonInvalidArgument, "resume_token"},
		{"bad status", &notebookv1.WatchNotebooksRequest{Status: "SLEEPING"}, codes.InvalidArgument, apierror.ReasonInvalidArgument, "status"},
		{"bad project", &notebookv1.WatchNotebooksRequest{ProjectId: "nope"}, codes.InvalidArgument, apierror.ReasonInvalidArgument, "project_id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := h.watchNotebooks(t, tc.req)
			_, err := recvWithin(t, s.Recv)
			e := statustest.Error(t, err)
			if e.Code() != tc.code || e.Reason() != tc.reason {
				t.Fatalf("%v; want %s %s", err, tc.code, tc.reason)
			}
			if tc.field != "" && (len(e.Violations()) == 0 || e.Violations()[0].GetField() != tc.field) {
				t.Errorf("violations %v; want one on %s", e.Violations(), tc.field)
			}
			if tc.code == codes.OutOfRange && e.Metadata()[apierror.MetadataHTTPStatus] != "410" {
				t.Errorf("http_status %q; want 410", e.Metadata()[apierror.MetadataHTTPStatus])
			}
		})
	}
	if n := h.lists.counts()[facadeToken]; n != lists {
		t.Errorf("%d list requests for refused watches; want none", n-lists)
	}
}

// TestWatch_credentialsNeverShared: watches on different credentials (two
// callers' tokens, the facade's) get a poller each, polling with those
// credentials only; watches on the same share one.
func TestWatch_credentialsNeverShared(t *testing.T) {
	t.Parallel()
	h := startWatch(t, service.Options{})
	h.createNotebook(t, "nb")
	for _, md := range [][]string{{"x-auth-token", "alice"}, {"x-auth-token", "alice"}, {"x-auth-token", "bob"}, nil, nil} {
		w := h.watchNotebooks(t, &notebookv1.WatchNotebooksRequest{}, md...)
		expectNotebooks(t, w, "ADDED nb/CREATING", "SNAPSHOT_COMPLETE")
	}
	if got := h.lists.counts(); fmt.Sprint(got) != fmt.Sprint(map[string]int{"alice": 1, "bob": 1, facadeToken: 1}) {
		t.Errorf("first polls by token %v; want one for each credentials", got)
	}
	h.poll(t, 3, service.DefaultWatchPollInterval)
	if got := h.lists.counts(); fmt.Sprint(got) != fmt.Sprint(map[string]int{"alice": 2, "bob": 2, facadeToken: 2}) {
		t.Errorf("after a poll interval, list requests by token %v; want two for each credentials", got)
	}
}

// TestWatch_manyWatchersOnePoller: a hundred watches of a project cost
// the upstream what one does: one list request per poll.
func TestWatch_manyWatchersOnePoller(t *testing.T) {
	t.Parallel()
	h := startWatch(t, service.Options{})
	h.createNotebook(t, "nb")
	var streams []grpc.ServerStreamingClient[notebookv1.WatchNotebooksResponse]
	for range 100 {
		w := h.watchNotebooks(t, &notebookv1.WatchNotebooksRequest{})
		expectNotebooks(t, w, "ADDED nb/CREATING", "SNAPSHOT_COMPLETE")
		streams = append(streams, w)
	}
	h.poll(t, 1, emulator.DefaultLifecycle().Create)
	for _, w := range streams {
		expectNotebooks(t, w, "MODIFIED nb/RUNNING")
	}
	if n := h.lists.counts()[facadeToken]; n != 2 {
		t.Errorf("%d list requests for 100 watches over two polls; want 2", n)
	}
}

// fakeStream is the server's side of a watch for a direct call of the
// method: what it sends goes to sent; with a gate, Send first says it
// was entered and waits for the gate to open.
type fakeStream[T any] struct {
	grpc.ServerStream
	ctx     context.Context
	sent    chan *T
	entered chan struct{}
	gate    chan struct{}
}

func newFakeStream[T any](ctx context.Context) *fakeStream[T] {
	return &fakeStream[T]{ctx: ctx, sent: make(chan *T, 1000)}
}

func (s *fakeStream[T]) Context() context.Context { return s.ctx }

func (s *fakeStream[T]) Send(m *T) error {
	if s.gate != nil {
		s.entered <- struct{}{}
		<-s.gate
	}
	s.sent <- m
	return nil
}

// watchDirect runs WatchNotebooks on stream; its error arrives on the
// channel returned once it returns.
func watchDirect(svc *service.Service, req *notebookv1.WatchNotebooksRequest, stream *fakeStream[notebookv1.WatchNotebooksResponse]) <-chan error {
	errc := make(chan error, 1)
	if req.ProjectId == "" {
		req.ProjectId = project
	}
	go func() { errc <- svc.WatchNotebooks(req, stream) }()
	return errc
}

// sentWithin receives what a fake stream sent, failing the test if it
// takes recvTimeout.
func sentWithin(t *testing.T, s *fakeStream[notebookv1.WatchNotebooksResponse]) *notebookv1.WatchNotebooksResponse {
	t.Helper()
	select {
	case m := <-s.sent:
		return m
	case <-time.After(recvTimeout):
		t.Fatal("nothing sent within 10s")
		return nil
	}
}

// errWithin receives a watch's error, failing the test if it takes
// recvTimeout.
func errWithin(t *testing.T, errc <-chan error) *apierror.Error {
	t.Helper()
	select {
	case err := <-errc:
		return statustest.Error(t, err)
	case <-time.After(recvTimeout):
		t.Fatal("the watch did not end within 10s")
		return nil
	}
}

// TestWatch_caps: a watch beyond --max-watches-per-caller or --max-watches
// is refused with RESOURCE_EXHAUSTED (OVERLOADED, RetryInfo) before
// anything is sent; a watch that ends makes room. Without caller
// authentication a caller is its address.
func TestWatch_caps(t *testing.T) {
	t.Parallel()
	h := startWatch(t, service.Options{Watch: service.WatchOptions{Max: 3, PerCaller: 2}})
	from := func(ip string) (*fakeStream[notebookv1.WatchNotebooksResponse], context.CancelFunc, <-chan error) {
		ctx, cancel := context.WithCancel(t.Context())
		ctx = peer.NewContext(ctx, &peer.Peer{Addr: &net.TCPAddr{IP: net.ParseIP(ip), Port: 40000}})
		s := newFakeStream[notebookv1.WatchNotebooksResponse](ctx)
		return s, cancel, watchDirect(h.svc, &notebookv1.WatchNotebooksRequest{}, s)
	}
	opened := func(ip string) (context.CancelFunc, <-chan error) {
		t.Helper()
		s, cancel, errc := from(ip)
		if ev := sentWithin(t, s); ev.GetType() != watchv1.EventType_EVENT_TYPE_SNAPSHOT_COMPLETE {
			t.Fatalf("first event %v; want the marker", ev)
		}
		return cancel, errc
	}
	refused := func(ip, flag string) {
		t.Helper()
		_, cancel, errc := from(ip)
		defer cancel()
		e := errWithin(t, errc)
		if e.Code() != codes.ResourceExhausted || e.Reason() != apierror.ReasonOverloaded || e.RetryDelay() <= 0 || !strings.Contains(e.Message(), "("+flag+")") {
			t.Fatalf("%v; want OVERLOADED for %s, with RetryInfo", e, flag)
		}
	}
	first, firstErr := opened("10.0.0.1")
	opened("10.0.0.1")
	refused("10.0.0.1", "--max-watches-per-caller")
	opened("10.0.0.2")
	refused("10.0.0.3", "--max-watches")
	first()
	<-firstErr
	opened("10.0.0.3")
}

// TestWatch_streamEnd: when the server asks a watch's stream to end
// (draining, the connection's maximum age), the watch ends with
// UNAVAILABLE (WATCH_INTERRUPTED, RetryInfo) and the last event's token in
// ErrorInfo, from which a new watch goes on.
func TestWatch_streamEnd(t *testing.T) {
	t.Parallel()
	for _, reason := range []string{callctx.EndDraining, callctx.EndConnectionAge} {
		t.Run(reason, func(t *testing.T) {
			t.Parallel()
			h := startWatch(t, service.Options{})
			h.createNotebook(t, "nb")
			ctx, ender := callctx.WithStreamEnd(t.Context())
			s := newFakeStream[notebookv1.WatchNotebooksResponse](ctx)
			errc := watchDirect(h.svc, &notebookv1.WatchNotebooksRequest{}, s)
			sentWithin(t, s)
			marker := sentWithin(t, s)
			ender.End(reason)
			e := errWithin(t, errc)
			if e.Code() != codes.Unavailable || e.Reason() != apierror.ReasonWatchInterrupted || e.RetryDelay() != time.Second ||
				e.Metadata()[apierror.MetadataResumeToken] != marker.GetResumeToken() || !strings.Contains(e.Message(), reason) {
				t.Fatalf("%v (metadata %v); want WATCH_INTERRUPTED saying %q, the marker's token and RetryInfo 1s", e, e.Metadata(), reason)
			}
			resumed := h.watchNotebooks(t, &notebookv1.WatchNotebooksRequest{ResumeToken: e.Metadata()[apierror.MetadataResumeToken]})
			h.poll(t, 1, emulator.DefaultLifecycle().Create)
			expectNotebooks(t, resumed, "MODIFIED nb/RUNNING")
		})
	}
}

// TestWatch_slowWatcher: a watcher that does not take its events falls
// behind the buffer and is ended with RESOURCE_EXHAUSTED (WATCH_TOO_SLOW)
// and the token of the last event it was sent; the others go on.
func TestWatch_slowWatcher(t *testing.T) {
	t.Parallel()
	h := startWatch(t, service.Options{Watch: service.WatchOptions{Buffer: 1}})
	fast := h.watchNotebooks(t, &notebookv1.WatchNotebooksRequest{})
	expectNotebooks(t, fast, "SNAPSHOT_COMPLETE")
	slow := newFakeStream[notebookv1.WatchNotebooksResponse](t.Context())
	slow.entered, slow.gate = make(chan struct{}, 1), make(chan struct{})
	errc := watchDirect(h.svc, &notebookv1.WatchNotebooksRequest{}, slow)
	<-slow.entered // stuck sending the marker
	h.createNotebook(t, "one")
	h.poll(t, 1, service.DefaultWatchSteadyPollInterval) // queued for the slow watcher: it was not behind
	expectNotebooks(t, fast, "ADDED one/RUNNING")
	h.createNotebook(t, "two")
	h.poll(t, 1, service.DefaultWatchSteadyPollInterval) // it is one behind: it is ended
	expectNotebooks(t, fast, "ADDED two/RUNNING")
	close(slow.gate)
	marker := sentWithin(t, slow)
	e := errWithin(t, errc)
	if e.Code() != codes.ResourceExhausted || e.Reason() != apierror.ReasonWatchTooSlow || e.Metadata()[apierror.MetadataResumeToken] != marker.GetResumeToken() {
		t.Fatalf("%v (metadata %v); want WATCH_TOO_SLOW with the marker's token", e, e.Metadata())
	}
	resumed := h.watchNotebooks(t, &notebookv1.WatchNotebooksRequest{ResumeToken: marker.GetResumeToken()})
	expectNotebooks(t, resumed, "ADDED one/RUNNING", "ADDED two/RUNNING")
}
