package modelarts_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/devenv-facade/devenv-facade/internal/cloudauth"
	"github.com/devenv-facade/devenv-facade/internal/modelarts"
	"github.com/devenv-facade/devenv-facade/internal/options"
)

// heldUpstream is a ModelArts stand-in that holds every request it is
// told to hold until the test releases them, and reports each request as
// it arrives and each held request the client abandons: tests wait on
// these events, never on time.
type heldUpstream struct {
	// hold says whether a request waits for release; nil holds all.
	hold func(*http.Request) bool
	// answer writes the answer to the nth request (from 1).
	answer func(w http.ResponseWriter, r *http.Request, n int)

	arrived   chan *http.Request // a copy of each request, as it arrives
	abandoned chan string        // the path of each held request the client gave up on
	release   chan struct{}      // closed to let held requests be answered
	releaseMu sync.Once
	count     atomic.Int32
}

func newHeldUpstream(t *testing.T, answer func(w http.ResponseWriter, r *http.Request, n int)) (*heldUpstream, string) {
	t.Helper()
	u := &heldUpstream{answer: answer, arrived: make(chan *http.Request, 1000), abandoned: make(chan string, 1000), release: make(chan struct{})}
	srv := httptest.NewServer(u)
	t.Cleanup(srv.Close)
	t.Cleanup(u.releaseAll) // before Close, which waits for the handlers
	return u, srv.URL
}

func (u *heldUpstream) releaseAll() { u.releaseMu.Do(func() { close(u.release) }) }

func (u *heldUpstream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := int(u.count.Add(1))
	u.arrived <- r.Clone(context.Background())
	if u.hold == nil || u.hold(r) {
		select {
		case <-u.release:
		case <-r.Context().Done():
			u.abandoned <- r.URL.Path
			return
		}
	}
	u.answer(w, r, n)
}

// notebookJSON answers every request with the same notebook.
func notebookJSON(w http.ResponseWriter, _ *http.Request, _ int) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, `{"id":"`+testNotebook+`","status":"RUNNING","name":"shared"}`)
}

const testNotebook = "5b2e5ad0-ad0e-4f4a-a9b7-1c6c3c6e2c11"

// watchdog bounds the waits for events that a broken client would never
// send: it fails a test instead of hanging it, and is never reached by a
// working one.
const watchdog = 30 * time.Second

// await returns the next value of ch, or fails the test once the watchdog
// expires.
func await[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(watchdog):
		t.Fatalf("no %s within %s", what, watchdog)
		panic("unreachable")
	}
}

// expectJoin waits for a call just started to join the request in flight;
// it fails the test if the call sends a request of its own instead.
func expectJoin(t *testing.T, up *heldUpstream, obs *joinObserver) {
	t.Helper()
	select {
	case <-obs.joined:
	case r := <-up.arrived:
		t.Fatalf("a call sent %s %s instead of joining the request in flight", r.Method, r.URL)
	case <-time.After(watchdog):
		t.Fatalf("no call joined within %s", watchdog)
	}
}

// joinObserver reports each call that joined a read in flight.
type joinObserver struct{ joined chan string }

func newJoinObserver() *joinObserver { return &joinObserver{joined: make(chan string, 1000)} }

func (o *joinObserver) UpstreamAttempt(string, bool, int, string, time.Duration) {}
func (o *joinObserver) UpstreamRetryRefused(string)                              {}
func (o *joinObserver) UpstreamShed(string)                                      {}
func (o *joinObserver) UpstreamInFlight(int)                                     {}
func (o *joinObserver) UpstreamJoined(op string)                                 { o.joined <- op }
func (o *joinObserver) UpstreamReused(string)                                    {}

// read is one call of a notebook endpoint.
type read struct {
	ep     modelarts.Endpoint[json.RawMessage]
	params []string
	query  url.Values
	opts   []modelarts.CallOption
}

// outcome is what a call returned.
type outcome struct {
	body []byte
	res  modelarts.Result
	err  error
}

// start makes the call on a goroutine of its own; its outcome comes on the
// channel.
func (r read) start(ctx context.Context, c *modelarts.Client, opts ...modelarts.CallOption) <-chan outcome {
	done := make(chan outcome, 1)
	go func() {
		resp, res, err := r.ep.Call(ctx, c, modelarts.Request{Params: r.params, Query: r.query}, append(r.opts, opts...)...)
		var body []byte
		if resp != nil {
			body = *resp
		}
		done <- outcome{body, res, err}
	}()
	return done
}

func getNotebook(opts ...modelarts.CallOption) read {
	return read{ep: modelarts.GetNotebook, params: []string{testProject, testNotebook}, opts: opts}
}

func newCoalescingClient(t *testing.T, endpoint string, opts modelarts.Options) (*modelarts.Client, *joinObserver) {
	t.Helper()
	obs := newJoinObserver()
	if opts.Credentials == nil {
		opts.Credentials = cloudauth.Token("service-token")
	}
	opts.Observer = obs
	c, err := modelarts.NewClient(http.DefaultClient, endpoint, opts)
	if err != nil {
		t.Fatal(err)
	}
	return c, obs
}

// TestCoalesce_identicalReadsShareOneRequest: N identical reads in
// flight at the same time send one request; every call gets the same
// answer, success or error, and says it was shared.
func TestCoalesce_identicalReadsShareOneRequest(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		answer  func(w http.ResponseWriter, r *http.Request, n int)
		wantErr string // the *Error's code, or "" for success
	}{
		{"success", notebookJSON, ""},
		{"error answer", func(w http.ResponseWriter, _ *http.Request, _ int) {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, `{"error_code":"ModelArts.6309","error_message":"The notebook does not exist."}`)
		}, "ModelArts.6309"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			const n = 10
			up, endpoint := newHeldUpstream(t, tc.answer)
			c, obs := newCoalescingClient(t, endpoint, modelarts.Options{})
			outs := []<-chan outcome{getNotebook(modelarts.RequestID("rid-0")).start(t.Context(), c)}
			sent := <-up.arrived
			for i := 1; i < n; i++ {
				outs = append(outs, getNotebook(modelarts.RequestID("rid-"+strconv.Itoa(i))).start(t.Context(), c))
			}
			for range n - 1 {
				expectJoin(t, up, obs)
			}
			up.releaseAll()

			var first outcome
			for i, ch := range outs {
				o := <-ch
				if i == 0 {
					first = o
				}
				if tc.wantErr == "" && (o.err != nil || string(o.body) != string(first.body) || len(o.body) == 0) {
					t.Errorf("call %d: %q, %v; want the answer %q", i, o.body, o.err, first.body)
				}
				if apiErr, ok := errors.AsType[*modelarts.Error](o.err); tc.wantErr != "" && (!ok || apiErr.Code != tc.wantErr || o.err.Error() != first.err.Error()) {
					t.Errorf("call %d: error %v; want %s as the first call's %v", i, o.err, tc.wantErr, first.err)
				}
				wantJoined := "rid-0"
				if i == 0 {
					wantJoined = ""
				}
				if o.res.Shared != n || o.res.Attempts != 1 || o.res.JoinedRequestID != wantJoined {
					t.Errorf("call %d: Shared %d, Attempts %d, JoinedRequestID %q; want %d, 1, %q", i, o.res.Shared, o.res.Attempts, o.res.JoinedRequestID, n, wantJoined)
				}
			}
			if got := up.count.Load(); got != 1 {
				t.Errorf("upstream got %d requests; want 1", got)
			}
			if got := sent.Header.Get("X-Request-Id"); got != "rid-0" {
				t.Errorf("the shared request carried X-Request-Id %q; want the first call's, rid-0", got)
			}
		})
	}
}

// TestCoalesce_whatIsShared: reads share a request only with the same
// credentials and the same URL and query.
func TestCoalesce_whatIsShared(t *testing.T) {
	t.Parallel()
	list := func(query url.Values, opts ...modelarts.CallOption) read {
		return read{ep: modelarts.ListNotebooks, params: []string{testProject}, query: query, opts: opts}
	}
	for _, tc := range []struct {
		name  string
		a, b  read
		share bool
	}{
		{"facade credentials", getNotebook(), getNotebook(), true},
		{"the same caller token", getNotebook(modelarts.CallerToken("token-a")), getNotebook(modelarts.CallerToken("token-a")), true},
		{"the same caller token, one call token only", getNotebook(modelarts.CallerToken("token-a")), getNotebook(modelarts.CallerTokenOnly("token-a")), true},
		{"the same query", list(url.Values{"limit": {"10"}, "status": {"RUNNING"}}), list(url.Values{"status": {"RUNNING"}, "limit": {"10"}}), true},
		{"different caller tokens", getNotebook(modelarts.CallerToken("token-a")), getNotebook(modelarts.CallerToken("token-b")), false},
		{"caller token and facade credentials", getNotebook(modelarts.CallerToken("token-a")), getNotebook(), false},
		{"facade credentials and caller token", getNotebook(), getNotebook(modelarts.CallerToken("service-token")), false},
		{"different query", list(url.Values{"limit": {"10"}}), list(url.Values{"limit": {"20"}}), false},
		{"query and none", list(url.Values{"limit": {"10"}}), list(nil), false},
		{"different notebooks", getNotebook(), read{ep: modelarts.GetNotebook, params: []string{testProject, "6b2e5ad0-ad0e-4f4a-a9b7-1c6c3c6e2c11"}}, false},
		{"different projects", getNotebook(), read{ep: modelarts.GetNotebook, params: []string{"fedcba9876543210fedcba9876543210", testNotebook}}, false},
		{"different operations", list(nil), read{ep: modelarts.ListAllNotebooks, params: []string{testProject}}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			up, endpoint := newHeldUpstream(t, notebookJSON)
			c, obs := newCoalescingClient(t, endpoint, modelarts.Options{})
			a := tc.a.start(t.Context(), c)
			<-up.arrived
			b := tc.b.start(t.Context(), c)
			select {
			case r := <-up.arrived:
				if tc.share {
					t.Errorf("the second call sent %s %s; want it to join the first's request", r.Method, r.URL)
				}
			case <-obs.joined:
				if !tc.share {
					t.Error("the second call joined the first's request; want a request of its own")
				}
			}
			up.releaseAll()
			for _, ch := range []<-chan outcome{a, b} {
				if o := <-ch; o.err != nil {
					t.Errorf("call: %v", o.err)
				}
			}
			want := int32(2)
			if tc.share {
				want = 1
			}
			if got := up.count.Load(); got != want {
				t.Errorf("upstream got %d requests; want %d", got, want)
			}
		})
	}
}

// TestCoalesce_firstCallerCancelled: the call that started the shared
// request leaves at once when its context ends, with its own error; the
// request goes on and the others get its answer.
func TestCoalesce_firstCallerCancelled(t *testing.T) {
	t.Parallel()
	up, endpoint := newHeldUpstream(t, notebookJSON)
	c, obs := newCoalescingClient(t, endpoint, modelarts.Options{})
	ctx, cancel := context.WithCancel(t.Context())
	first := getNotebook().start(ctx, c)
	<-up.arrived
	var others []<-chan outcome
	for range 3 {
		others = append(others, getNotebook().start(t.Context(), c))
		expectJoin(t, up, obs)
	}
	cancel()
	if o := await(t, first, "return of the cancelled call"); !errors.Is(o.err, context.Canceled) || o.body != nil {
		t.Errorf("the cancelled call returned %q, %v; want context.Canceled", o.body, o.err)
	} else if o.res.Attempts != 1 {
		t.Errorf("the cancelled call reports %d attempts; want the 1 under way", o.res.Attempts)
	}
	up.releaseAll()
	for i, ch := range others {
		if o := <-ch; o.err != nil || len(o.body) == 0 || o.res.Shared != 3 {
			t.Errorf("call %d: %q, Shared %d, %v; want the answer, shared by 3", i, o.body, o.res.Shared, o.err)
		}
	}
	select {
	case p := <-up.abandoned:
		t.Errorf("the request for %s was abandoned while calls waited for it", p)
	default:
	}
	if got := up.count.Load(); got != 1 {
		t.Errorf("upstream got %d requests; want 1", got)
	}
}

// TestCoalesce_allCancelled: when every call has left, the shared request
// is cancelled, and the next identical call sends a new one.
func TestCoalesce_allCancelled(t *testing.T) {
	t.Parallel()
	up, endpoint := newHeldUpstream(t, notebookJSON)
	c, obs := newCoalescingClient(t, endpoint, modelarts.Options{Timeout: time.Hour, Retry: modelarts.RetryPolicy{AttemptTimeout: options.NoLimit}})
	var cancels []context.CancelFunc
	var outs []<-chan outcome
	for i := range 3 {
		ctx, cancel := context.WithCancel(t.Context())
		cancels = append(cancels, cancel)
		outs = append(outs, getNotebook().start(ctx, c))
		if i == 0 {
			await(t, up.arrived, "request")
		} else {
			expectJoin(t, up, obs)
		}
	}
	for i, cancel := range cancels {
		cancel()
		if o := await(t, outs[i], "return of a cancelled call"); !errors.Is(o.err, context.Canceled) {
			t.Errorf("call %d: %v; want context.Canceled", i, o.err)
		}
	}
	// Nothing but the cancellation ends the request: the client's timeout
	// and the attempts' are far off.
	await(t, up.abandoned, "cancellation of the request")

	next := getNotebook().start(t.Context(), c)
	<-up.arrived
	up.releaseAll()
	if o := <-next; o.err != nil || o.res.Shared != 0 {
		t.Errorf("the next call: Shared %d, %v; want an answer of its own", o.res.Shared, o.err)
	}
}

// TestCoalesce_onlyReads: calls of other methods than GET never share a
// request, however identical; nor do reads with coalescing disabled.
func TestCoalesce_onlyReads(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		call read
		opts modelarts.Options
	}{
		{"DELETE", read{ep: modelarts.DeleteNotebook, params: []string{testProject, testNotebook}}, modelarts.Options{}},
		{"PUT", read{ep: modelarts.UpdateNotebook, params: []string{testProject, testNotebook}}, modelarts.Options{}},
		{"POST", read{ep: modelarts.StartNotebook, params: []string{testProject, testNotebook}}, modelarts.Options{}},
		{"GET, coalescing disabled", getNotebook(), modelarts.Options{DisableCoalescing: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			up, endpoint := newHeldUpstream(t, notebookJSON)
			c, obs := newCoalescingClient(t, endpoint, tc.opts)
			a := tc.call.start(t.Context(), c)
			<-up.arrived
			b := tc.call.start(t.Context(), c)
			select {
			case <-up.arrived:
			case <-obs.joined:
				t.Error("the second call joined the first's request")
			}
			up.releaseAll()
			for _, ch := range []<-chan outcome{a, b} {
				if o := <-ch; o.err != nil || o.res.Shared != 0 {
					t.Errorf("call: Shared %d, %v; want an answer of its own", o.res.Shared, o.err)
				}
			}
		})
	}
}

// TestCoalesce_notAcrossAWrite: a read that starts after a write made
// with the client ended does not join a read that began before it (it
// might not see the write); later reads join the new one.
func TestCoalesce_notAcrossAWrite(t *testing.T) {
	t.Parallel()
	up, endpoint := newHeldUpstream(t, notebookJSON)
	up.hold = func(r *http.Request) bool { return r.Method == http.MethodGet }
	c, obs := newCoalescingClient(t, endpoint, modelarts.Options{})
	before := getNotebook().start(t.Context(), c)
	<-up.arrived
	if o := <-(read{ep: modelarts.StopNotebook, params: []string{testProject, testNotebook}}).start(t.Context(), c); o.err != nil {
		t.Fatalf("the write: %v", o.err)
	}
	<-up.arrived
	after := getNotebook().start(t.Context(), c)
	select {
	case <-up.arrived:
	case <-obs.joined:
		t.Error("a read after the write joined the read from before it")
	}
	later := getNotebook().start(t.Context(), c)
	expectJoin(t, up, obs)
	up.releaseAll()
	for i, ch := range []<-chan outcome{before, after, later} {
		if o := <-ch; o.err != nil {
			t.Errorf("read %d: %v", i, o.err)
		}
	}
	if got := up.count.Load(); got != 3 {
		t.Errorf("upstream got %d requests; want 3 (read, write, read)", got)
	}
}

// TestCoalesce_retriesInsideTheRequest: a shared read's retries are
// made once, for every call waiting.
func TestCoalesce_retriesInsideTheRequest(t *testing.T) {
	t.Parallel()
	up, endpoint := newHeldUpstream(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if n == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		notebookJSON(w, r, n)
	})
	c, obs := newCoalescingClient(t, endpoint, modelarts.Options{Retry: modelarts.RetryPolicy{InitialBackoff: time.Millisecond}})
	var outs []<-chan outcome
	for i := range 5 {
		outs = append(outs, getNotebook().start(t.Context(), c))
		if i == 0 {
			await(t, up.arrived, "request")
		} else {
			expectJoin(t, up, obs)
		}
	}
	up.releaseAll()
	for i, ch := range outs {
		if o := <-ch; o.err != nil || o.res.Attempts != 2 || o.res.Shared != 5 {
			t.Errorf("call %d: Attempts %d, Shared %d, %v; want the second attempt's answer, shared by 5", i, o.res.Attempts, o.res.Shared, o.err)
		}
	}
	if got := up.count.Load(); got != 2 {
		t.Errorf("upstream got %d requests; want 2 (one attempt, one retry)", got)
	}
}

// deadlines records the deadline of each request it carries.
type deadlines struct {
	mu  sync.Mutex
	got []time.Time
}

func (d *deadlines) RoundTrip(r *http.Request) (*http.Response, error) {
	dl, _ := r.Context().Deadline()
	d.mu.Lock()
	d.got = append(d.got, dl)
	d.mu.Unlock()
	return http.DefaultTransport.RoundTrip(r)
}

// TestCoalesce_requestLastsForTheLatestDeadline: a shared read's attempts
// end at the latest deadline of the calls waiting when they start, not at
// the first call's.
func TestCoalesce_requestLastsForTheLatestDeadline(t *testing.T) {
	t.Parallel()
	up, endpoint := newHeldUpstream(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if n == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		notebookJSON(w, r, n)
	})
	rec := &deadlines{}
	obs := newJoinObserver()
	c, err := modelarts.NewClient(&http.Client{Transport: rec}, endpoint, modelarts.Options{Credentials: cloudauth.Token("t"), Observer: obs,
		Timeout: 3 * time.Hour, Retry: modelarts.RetryPolicy{InitialBackoff: time.Millisecond, AttemptTimeout: options.NoLimit}})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	early, cancelEarly := context.WithDeadline(t.Context(), now.Add(time.Hour))
	defer cancelEarly()
	late, cancelLate := context.WithDeadline(t.Context(), now.Add(2*time.Hour))
	defer cancelLate()
	first := getNotebook().start(early, c)
	await(t, up.arrived, "request")
	second := getNotebook().start(late, c)
	expectJoin(t, up, obs)
	up.releaseAll()
	for _, ch := range []<-chan outcome{first, second} {
		if o := <-ch; o.err != nil || o.res.Attempts != 2 {
			t.Fatalf("call: Attempts %d, %v; want the retry's answer", o.res.Attempts, o.err)
		}
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.got) != 2 {
		t.Fatalf("%d requests; want 2", len(rec.got))
	}
	if want, _ := early.Deadline(); !rec.got[0].Equal(want) {
		t.Errorf("the first attempt ends at %v; want the first call's deadline %v", rec.got[0], want)
	}
	if want, _ := late.Deadline(); rec.got[1].Round(0).Sub(want.Round(0)).Abs() > time.Microsecond {
		t.Errorf("the retry ends at %v; want the later call's deadline %v", rec.got[1], want)
	}
}

// TestCoalesce_joinOnTheCallersSpan: a call that joined a read in flight
// says so on its span, with the request ID of the request it joined,
// whose attempts' spans are under another call's span.
func TestCoalesce_joinOnTheCallersSpan(t *testing.T) {
	t.Parallel()
	up, endpoint := newHeldUpstream(t, notebookJSON)
	c, obs := newCoalescingClient(t, endpoint, modelarts.Options{})
	first := getNotebook(modelarts.RequestID("rid-first")).start(t.Context(), c)
	await(t, up.arrived, "request")
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	defer func() { _ = tp.Shutdown(context.Background()) }()
	ctx, span := tp.Tracer("test").Start(t.Context(), "caller")
	second := getNotebook().start(ctx, c)
	expectJoin(t, up, obs)
	up.releaseAll()
	for _, ch := range []<-chan outcome{first, second} {
		if o := <-ch; o.err != nil {
			t.Fatal(o.err)
		}
	}
	span.End()
	ended := rec.Ended()
	if len(ended) != 1 || len(ended[0].Events()) != 1 {
		t.Fatalf("spans %v; want the caller's, with one event", ended)
	}
	ev := ended[0].Events()[0]
	attrs := map[attribute.Key]string{}
	for _, a := range ev.Attributes {
		attrs[a.Key] = a.Value.AsString()
	}
	if ev.Name != "joined an identical read in flight" || attrs["devenv.upstream_request_id"] != "rid-first" || attrs["modelarts.operation"] != "GetNotebook" {
		t.Errorf("event %q %v; want the join, with rid-first and GetNotebook", ev.Name, attrs)
	}
}
