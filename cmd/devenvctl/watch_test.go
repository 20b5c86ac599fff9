package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"

	watchv1 "github.com/devenv-facade/devenv-facade/gen/devenvfacade/watch/v1"
	devenvv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/devenv/v1"
	notebookv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/notebook/v1"
	"github.com/devenv-facade/devenv-facade/internal/apierror"
	"github.com/devenv-facade/devenv-facade/internal/clock/clocktest"
	"github.com/devenv-facade/devenv-facade/internal/logbuf"
)

// The event types, short.
const (
	added    = watchv1.EventType_EVENT_TYPE_ADDED
	modified = watchv1.EventType_EVENT_TYPE_MODIFIED
	deleted  = watchv1.EventType_EVENT_TYPE_DELETED
	bookmark = watchv1.EventType_EVENT_TYPE_BOOKMARK
	complete = watchv1.EventType_EVENT_TYPE_SNAPSHOT_COMPLETE
)

// watchScript plays one call of a watch on the fake: n counts the calls
// of the watch from 0, req is the call's request (a WatchNotebooksRequest
// or a WatchInstancesRequest) and send sends one event. What it returns
// ends the call.
type watchScript func(ctx context.Context, n int, req proto.Message, send func(typ watchv1.EventType, obj proto.Message, token string) error) error

// watchFake is a fakeServer whose watches play a script.
type watchFake struct {
	*fakeServer
	script watchScript

	mu    sync.Mutex
	calls []proto.Message // the watch requests received
}

// startWatchFake serves a fake whose WatchNotebooks and WatchInstances
// play script.
func startWatchFake(t *testing.T, script watchScript) *watchFake {
	t.Helper()
	w := &watchFake{script: script, fakeServer: startFake(t, nil)}
	w.fakeServer.mu.Lock()
	w.fakeServer.watch = w.play
	w.fakeServer.mu.Unlock()
	return w
}

// requests returns the watch requests received so far.
func (w *watchFake) requests() []proto.Message {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]proto.Message(nil), w.calls...)
}

// tokens returns the resume token of each watch request so far.
func (w *watchFake) tokens() []string {
	var out []string
	for _, r := range w.requests() {
		switch r := r.(type) {
		case *notebookv1.WatchNotebooksRequest:
			out = append(out, r.GetResumeToken())
		case *devenvv1.WatchInstancesRequest:
			out = append(out, r.GetResumeToken())
		}
	}
	return out
}

// play records req and plays the script's next call.
func (w *watchFake) play(ctx context.Context, req proto.Message, send func(typ watchv1.EventType, obj proto.Message, token string) error) error {
	w.mu.Lock()
	n := len(w.calls)
	w.calls = append(w.calls, proto.Clone(req))
	w.mu.Unlock()
	return w.script(ctx, n, req, send)
}

// watchErr returns a watch's error as the facade makes it: code, reason,
// ErrorInfo metadata resume_token when token is not empty, and a
// RetryInfo when retry is not 0.
func watchErr(c codes.Code, reason, token string, retry time.Duration) error {
	info := &errdetails.ErrorInfo{Domain: apierror.DomainFacade, Reason: reason, Metadata: map[string]string{"error_code": "Facade." + reason}}
	if token != "" {
		info.Metadata[apierror.MetadataResumeToken] = token
	}
	st, err := status.New(c, strings.ToLower(reason)).WithDetails(info)
	if err != nil {
		panic(err)
	}
	if retry > 0 {
		if st, err = st.WithDetails(&errdetails.RetryInfo{RetryDelay: durationpb.New(retry)}); err != nil {
			panic(err)
		}
	}
	return st.Err()
}

// nb returns a notebook with id, name and status.
func nb(id, name, st string) *notebookv1.Notebook {
	return &notebookv1.Notebook{Id: proto.String(id), Name: proto.String(name), Status: proto.String(st),
		Flavor: proto.String("modelarts.vm.cpu.2u"), CreateAt: proto.Int64(sampleCreateAt)}
}

// watchRun is devenvctl running in the background, as a user at a
// terminal runs a watch.
type watchRun struct {
	stdout, stderr logbuf.Buffer
	clock          *clocktest.Fake
	interrupt      context.CancelFunc
	done           chan struct{} // closed once devenvctl ended, err set
	err            error
}

// startWatch runs devenvctl with args against addr in the background,
// its pauses on a fake clock that moves as they start; Ctrl-C is
// interrupt.
func startWatch(t *testing.T, addr string, args ...string) *watchRun {
	t.Helper()
	r := &watchRun{clock: clocktest.New(clocktest.Start), done: make(chan struct{})}
	r.clock.AdvanceOnWait(true)
	env := map[string]string{"DEVENVCTL_ADDR": addr, "DEVENVCTL_PROJECT": project}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	ctx, interrupt := context.WithCancel(t.Context())
	r.interrupt = interrupt
	go func() {
		defer close(r.done)
		r.err = runClock(ctx, r.clock, args, lookup, &r.stdout, &r.stderr)
	}()
	t.Cleanup(func() {
		interrupt()
		<-r.done
	})
	return r
}

// waitFor waits until a line of stdout holds every one of subs, failing
// the test if devenvctl ends first (or after 30s, a bound, not a pause).
func (r *watchRun) waitFor(t *testing.T, subs ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	go func() {
		select {
		case <-r.done:
			cancel()
		case <-ctx.Done():
		}
	}()
	if _, err := r.stdout.WaitFor(ctx, subs...); err != nil {
		t.Fatalf("no line with %q on stdout (%v):\n%s\nstderr:\n%s", subs, err, r.stdout.String(), r.stderr.String())
	}
}

// end sends Ctrl-C and returns the exit status.
func (r *watchRun) end() int {
	r.interrupt()
	<-r.done
	return exitCode(r.err)
}

// wait waits for devenvctl to end by itself and returns its exit status.
func (r *watchRun) wait(t *testing.T) int {
	t.Helper()
	select {
	case <-r.done:
		return exitCode(r.err)
	case <-time.After(30 * time.Second):
		t.Fatalf("devenvctl did not end within 30s; stdout:\n%s\nstderr:\n%s", r.stdout.String(), r.stderr.String())
		return 0
	}
}

// TestWatch_resumesAndStartsAgain: notebooks watch shows the snapshot
// under a header, then each change, and goes on across the facade's
// interruptions: after WATCH_INTERRUPTED and WATCH_TOO_SLOW from the last
// event shown (after the pause RetryInfo asks for, or its own), after
// RESUME_TOKEN_EXPIRED from a snapshot, showing only what changed
// meanwhile; events sent again are not shown twice, bookmarks not at all.
// Ctrl-C ends it with exit 0.
func TestWatch_resumesAndStartsAgain(t *testing.T) {
	t.Parallel()
	a, b, c := nb("aaaaaaaa-0000-0000-0000-000000000001", "alpha", "STARTING"), nb("bbbbbbbb-0000-0000-0000-000000000002", "beta", "STOPPED"),
		nb("cccccccc-0000-0000-0000-000000000003", "a-much-longer-name-than-the-others", "CREATING")
	aRunning := proto.Clone(a).(*notebookv1.Notebook)
	aRunning.Status = proto.String("RUNNING")
	aStopping := proto.Clone(a).(*notebookv1.Notebook)
	aStopping.Status = proto.String("STOPPING")
	f := startWatchFake(t, func(ctx context.Context, n int, _ proto.Message, send func(watchv1.EventType, proto.Message, string) error) error {
		type ev struct {
			typ   watchv1.EventType
			obj   proto.Message
			token string
		}
		var evs []ev
		var end error
		switch n {
		case 0: // the snapshot, a change, then the facade drains
			evs = []ev{{added, a, "s1"}, {added, b, "s1"}, {complete, nil, "s1"}, {bookmark, nil, "t1"}, {modified, aRunning, "t2"}}
			end = watchErr(codes.Unavailable, apierror.ReasonWatchInterrupted, "t2", 2*time.Second)
		case 1: // at least once: t2 again; then the watcher falls behind
			evs = []ev{{modified, aRunning, "t2"}, {deleted, b, "t3"}}
			end = watchErr(codes.ResourceExhausted, apierror.ReasonWatchTooSlow, "t3", 0)
		case 2: // the facade restarted: t3 is from before
			end = watchErr(codes.OutOfRange, apierror.ReasonResumeTokenExpired, "", 0)
		case 3: // a new snapshot: a changed, c is new
			evs = []ev{{added, aStopping, "u1"}, {added, c, "u1"}, {complete, nil, "u1"}}
		}
		for _, e := range evs {
			if err := send(e.typ, e.obj, e.token); err != nil {
				return err
			}
		}
		if end != nil {
			return end
		}
		<-ctx.Done()
		return ctx.Err()
	})
	r := startWatch(t, f.addr, "notebooks", "watch")
	r.waitFor(t, "ADDED", "a-much-longer-name-than-the-others")
	if code := r.end(); code != 0 {
		t.Errorf("Ctrl-C: exit %d; want 0", code)
	}
	// The columns are as wide as the snapshot needs; c's name, longer,
	// widens its column from its row on.
	want := `EVENT      ID                                     NAME    STATUS     FLAVOR                IMAGE   CREATED                STOPS
ADDED      aaaaaaaa-0000-0000-0000-000000000001   alpha   STARTING   modelarts.vm.cpu.2u   -       2021-12-07T01:49:04Z   -
ADDED      bbbbbbbb-0000-0000-0000-000000000002   beta    STOPPED    modelarts.vm.cpu.2u   -       2021-12-07T01:49:04Z   -
MODIFIED   aaaaaaaa-0000-0000-0000-000000000001   alpha   RUNNING    modelarts.vm.cpu.2u   -       2021-12-07T01:49:04Z   -
DELETED    bbbbbbbb-0000-0000-0000-000000000002   beta    STOPPED    modelarts.vm.cpu.2u   -       2021-12-07T01:49:04Z   -
MODIFIED   aaaaaaaa-0000-0000-0000-000000000001   alpha                                STOPPING   modelarts.vm.cpu.2u   -       2021-12-07T01:49:04Z   -
ADDED      cccccccc-0000-0000-0000-000000000003   a-much-longer-name-than-the-others   CREATING   modelarts.vm.cpu.2u   -       2021-12-07T01:49:04Z   -
`
	if got := r.stdout.String(); got != want {
		t.Errorf("stdout:\n%s\nwant:\n%s", got, want)
	}
	if got, want := f.tokens(), []string{"", "t2", "t3", ""}; !slices.Equal(got, want) {
		t.Errorf("resume tokens sent %q; want %q", got, want)
	}
	stderr := r.stderr.String()
	for _, want := range []string{
		"devenvctl: the watch was interrupted (UNAVAILABLE, WATCH_INTERRUPTED: watch_interrupted); watching again in 2s from the last event shown\n",
		"devenvctl: the watch was interrupted (RESOURCE_EXHAUSTED, WATCH_TOO_SLOW: watch_too_slow); watching again in ",
		"devenvctl: the facade no longer has the events after the last one shown (OUT_OF_RANGE, RESUME_TOKEN_EXPIRED: resume_token_expired); watching again from a snapshot",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	// The pauses: RetryInfo's 2s, then the first of its own (the failures
	// in a row start again after an event): 250ms to 500ms.
	pauses := r.clock.Started()
	if len(pauses) != 2 || pauses[0] != 2*time.Second || pauses[1] < watchRetryFirst/2 || pauses[1] > watchRetryFirst {
		t.Errorf("pauses %v; want [2s, 250ms..500ms]", pauses)
	}
}

// script returns a watchScript that plays calls[n]: its events, then its
// end (nil: the call stays open until the watcher leaves); the calls
// after the last play the last again.
func script(calls ...scriptedCall) watchScript {
	return func(ctx context.Context, n int, _ proto.Message, send func(watchv1.EventType, proto.Message, string) error) error {
		c := calls[min(n, len(calls)-1)]
		for _, e := range c.events {
			if err := send(e.typ, e.obj, e.token); err != nil {
				return err
			}
		}
		if c.end != nil {
			return c.end
		}
		<-ctx.Done()
		return ctx.Err()
	}
}

// scriptedCall is one call of a script.
type scriptedCall struct {
	events []scriptedEvent
	end    error
}

// scriptedEvent is one event of a scripted call.
type scriptedEvent struct {
	typ   watchv1.EventType
	obj   proto.Message
	token string
}

// TestWatch_snapshotInterruptedStartsOver: a watch cut off halfway through
// its snapshot (by the transport: a status without ErrorInfo) starts over
// without a token, since the snapshot's token resumes after the whole
// snapshot; what the first call sent of it is never shown.
func TestWatch_snapshotInterruptedStartsOver(t *testing.T) {
	t.Parallel()
	a, b := nb("a1", "alpha", "RUNNING"), nb("b1", "beta", "RUNNING")
	f := startWatchFake(t, script(
		scriptedCall{events: []scriptedEvent{{added, a, "s1"}}, end: status.Error(codes.Unavailable, "connection reset")},
		scriptedCall{events: []scriptedEvent{{added, b, "s2"}, {complete, nil, "s2"}}},
	))
	r := startWatch(t, f.addr, "notebooks", "list", "--watch")
	r.waitFor(t, "ADDED", "beta")
	if code := r.end(); code != 0 {
		t.Errorf("exit %d; want 0", code)
	}
	if got := r.stdout.String(); strings.Contains(got, "alpha") || strings.Count(got, "\n") != 2 {
		t.Errorf("stdout:\n%s\nwant the header and beta's row only", got)
	}
	if got, want := f.tokens(), []string{"", ""}; !slices.Equal(got, want) {
		t.Errorf("resume tokens sent %q; want %q", got, want)
	}
	if got := r.stderr.String(); !strings.Contains(got, "(UNAVAILABLE: connection reset); watching again in ") || !strings.Contains(got, " from a snapshot\n") {
		t.Errorf("stderr:\n%s", got)
	}
}

// TestWatch_jsonLines: with -o json a watch prints one JSON object a line
// per event (bookmarks and the snapshot's end included), the object in
// the vendor's JSON; a snapshot after RESUME_TOKEN_EXPIRED shows what
// changed, an object gone meanwhile as DELETED.
func TestWatch_jsonLines(t *testing.T) {
	t.Parallel()
	in1, in2 := sampleList()[0], sampleList()[1]
	in2Running := proto.Clone(in2).(*devenvv1.Instance)
	in2Running.Status = proto.String("RUNNING")
	f := startWatchFake(t, script(
		scriptedCall{events: []scriptedEvent{{added, in1, "s1"}, {added, in2, "s1"}, {complete, nil, "s1"}, {bookmark, nil, "t1"}},
			end: watchErr(codes.OutOfRange, apierror.ReasonResumeTokenExpired, "", 0)},
		scriptedCall{events: []scriptedEvent{{added, in2Running, "u1"}, {complete, nil, "u1"}}},
	))
	r := startWatch(t, f.addr, "watch", "-o", "json")
	r.waitFor(t, `"type":"SNAPSHOT_COMPLETE"`, `"resume_token":"u1"`)
	if code := r.end(); code != 0 {
		t.Errorf("exit %d; want 0", code)
	}
	type line struct {
		Type     string         `json:"type"`
		Instance map[string]any `json:"instance"`
		Token    string         `json:"resume_token"`
	}
	var got []string
	for _, l := range strings.Split(strings.TrimSuffix(r.stdout.String(), "\n"), "\n") {
		var ln line
		if err := json.Unmarshal([]byte(l), &ln); err != nil {
			t.Fatalf("not a JSON line: %v\n%s", err, l)
		}
		got = append(got, strings.TrimSpace(ln.Type+" "+fmt.Sprint(ln.Instance["id"], "/", ln.Instance["status"])+" "+ln.Token))
	}
	want := []string{
		"ADDED " + instanceID + "/RUNNING s1",
		"ADDED 6fa459ea-ee8a-3ca4-894e-db77e160355e/STOPPED s1",
		"SNAPSHOT_COMPLETE <nil>/<nil> s1",
		"BOOKMARK <nil>/<nil> t1",
		"MODIFIED 6fa459ea-ee8a-3ca4-894e-db77e160355e/RUNNING u1",
		"DELETED " + instanceID + "/RUNNING u1",
		"SNAPSHOT_COMPLETE <nil>/<nil> u1",
	}
	if !slices.Equal(got, want) {
		t.Errorf("lines:\n%s\nwant:\n%s\nstdout:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"), r.stdout.String())
	}
	if !strings.Contains(r.stdout.String(), `"creation_timestamp":"1594887749962"`) {
		t.Errorf("the instance is not in the vendor's JSON:\n%s", r.stdout.String())
	}
}

// TestWatch_givesUp: a watch whose calls keep failing with nothing
// received pauses longer each time (doubling from 0.5s, jittered, at most
// 30s) and gives up after maxWatchRetries failures in a row, with the
// last error and its exit status; a facade that ends the call without
// an error (and without an event) counts as a failure too.
func TestWatch_givesUp(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		end     error
		code    int
		lastErr string
	}{
		{"unavailable", watchErr(codes.Unavailable, "UPSTREAM_UNAVAILABLE", "", 0), 8, "devenvctl: UNAVAILABLE: Facade.UPSTREAM_UNAVAILABLE: upstream_unavailable\n"},
		{"overloaded", watchErr(codes.ResourceExhausted, apierror.ReasonOverloaded, "", 0), 8, "devenvctl: RESOURCE_EXHAUSTED: Facade.OVERLOADED: overloaded\n"},
		{"ended_without_error", nil, 1, " the facade ended the watch 11 times in a row without an event\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := startWatchFake(t, func(context.Context, int, proto.Message, func(watchv1.EventType, proto.Message, string) error) error {
				return tt.end
			})
			r := startWatch(t, f.addr, "notebooks", "watch")
			if code := r.wait(t); code != tt.code {
				t.Errorf("exit %d; want %d", code, tt.code)
			}
			if n := len(f.requests()); n != maxWatchRetries+1 {
				t.Errorf("%d calls; want %d", n, maxWatchRetries+1)
			}
			pauses := r.clock.Started()
			if len(pauses) != maxWatchRetries {
				t.Fatalf("pauses %v; want %d", pauses, maxWatchRetries)
			}
			for i, p := range pauses {
				full := min(watchRetryMax, watchRetryFirst<<i)
				if p < full/2 || p > full {
					t.Errorf("pause %d: %s; want %s to %s", i+1, p, full/2, full)
				}
			}
			if got := r.stderr.String(); !strings.HasSuffix(got, tt.lastErr) {
				t.Errorf("stderr ends:\n%s\nwant %q", got[max(0, len(got)-300):], tt.lastErr)
			}
		})
	}
}

// TestWatch_failsAtOnce: errors that another call would not mend end the
// watch at the first, with their exit status.
func TestWatch_failsAtOnce(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  error
		code int
	}{
		{"permission_denied", watchErr(codes.PermissionDenied, apierror.ReasonProjectNotPermitted, "", 0), 7},
		{"malformed_token", watchErr(codes.InvalidArgument, apierror.ReasonInvalidArgument, "", 0), 3},
		{"throttled_for_good", watchErr(codes.ResourceExhausted, "QUOTA", "", 0), 8},
		{"unimplemented", status.Error(codes.Unimplemented, "unknown method"), 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := startWatchFake(t, script(scriptedCall{end: tt.err}))
			r := startWatch(t, f.addr, "watch", "--resume-token", "tok")
			if code := r.wait(t); code != tt.code {
				t.Errorf("exit %d; want %d\nstderr:\n%s", code, tt.code, r.stderr.String())
			}
			if n := len(f.requests()); n != 1 {
				t.Errorf("%d calls; want 1", n)
			}
			if len(r.clock.Started()) != 0 || strings.Contains(r.stderr.String(), "watching again") {
				t.Errorf("it tried again:\n%s", r.stderr.String())
			}
		})
	}
}

// TestWatch_requests: the watch commands send the filters and the token
// they were given, in the project.
func TestWatch_requests(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args []string
		want proto.Message
	}{
		{[]string{"notebooks", "watch", "--status", "RUNNING", "--name", "train", "--workspace-id", "ws-1", "--resume-token", "tok-1"},
			&notebookv1.WatchNotebooksRequest{ProjectId: project, Status: "RUNNING", Name: "train", WorkspaceId: "ws-1", ResumeToken: "tok-1"}},
		{[]string{"notebooks", "list", "-w", "--status", "STOPPED", "--name", "x", "--workspace-id", "ws-2"},
			&notebookv1.WatchNotebooksRequest{ProjectId: project, Status: "STOPPED", Name: "x", WorkspaceId: "ws-2"}},
		{[]string{"watch", "--status", "RUNNING", "--workspace-id", "ws-3", "--resume-token", "tok-3"},
			&devenvv1.WatchInstancesRequest{ProjectId: project, Status: "RUNNING", WorkspaceId: "ws-3", ResumeToken: "tok-3"}},
		{[]string{"list", "--watch", "--status", "CREATING"},
			&devenvv1.WatchInstancesRequest{ProjectId: project, Status: "CREATING"}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args[:2], "_"), func(t *testing.T) {
			t.Parallel()
			f := startWatchFake(t, script(scriptedCall{end: watchErr(codes.PermissionDenied, apierror.ReasonProjectNotPermitted, "", 0)}))
			r := startWatch(t, f.addr, tt.args...)
			r.wait(t)
			reqs := f.requests()
			if len(reqs) != 1 || !proto.Equal(reqs[0], tt.want) {
				t.Errorf("requests %v; want %v", reqs, tt.want)
			}
		})
	}
}

// TestWatch_usage: a list given --watch takes only the filters the watch
// has; nothing is sent otherwise.
func TestWatch_usage(t *testing.T) {
	t.Parallel()
	f := startFake(t, nil)
	for _, args := range [][]string{
		{"list", "--watch", "--sortby", "name"},
		{"list", "-w", "--page-size", "5"},
		{"list", "--watch", "--all"},
		{"notebooks", "list", "--watch", "--all-users"},
		{"notebooks", "list", "--watch", "--sort-key", "create_at"},
		{"notebooks", "list", "-w", "--offset", "10"},
		{"notebooks", "watch", "--page-size", "5"},
		{"watch", "--name", "x"},
		{"watch", "extra-argument"},
	} {
		r := f.run(t, args...)
		if r.code != 2 {
			t.Errorf("%q: exit %d, stderr %q; want 2", args, r.code, r.stderr)
		}
	}
	if n := len(f.received()); n != 0 {
		t.Errorf("the fake received %d calls; want none", n)
	}
	r := f.run(t, "list", "--watch", "--sortby", "name")
	if want := "devenvctl: --sortby does not go with --watch: the watch filters only by --status, --workspace-id\n"; r.stderr != want {
		t.Errorf("stderr %q; want %q", r.stderr, want)
	}
}

// TestWatch_timeout: --timeout ends a watch as Ctrl-C does, with exit 0
// and nothing on stderr. It is how long to watch, not the call's
// deadline: with one, the facade could end the call first with
// DEADLINE_EXCEEDED.
func TestWatch_timeout(t *testing.T) {
	t.Parallel()
	deadlines := make(chan bool, 2)
	f := startWatchFake(t, func(ctx context.Context, _ int, _ proto.Message, send func(watchv1.EventType, proto.Message, string) error) error {
		_, has := ctx.Deadline()
		deadlines <- has
		if err := send(complete, nil, "s1"); err != nil {
			return err
		}
		<-ctx.Done()
		return ctx.Err()
	})
	r := startWatch(t, f.addr, "notebooks", "watch", "--timeout", "20ms")
	if code := r.wait(t); code != 0 || r.stderr.String() != "" {
		t.Errorf("exit %d, stderr %q; want 0 and nothing", code, r.stderr.String())
	}
	// An hour: the call surely arrives before the watch ends.
	r = startWatch(t, f.addr, "notebooks", "watch", "--timeout", "1h")
	if <-deadlines {
		t.Error("the call had a deadline")
	}
	if code := r.end(); code != 0 {
		t.Errorf("Ctrl-C: exit %d; want 0", code)
	}
}

// TestWatch_emptySnapshot: a watch of nothing shows the header once the
// snapshot is complete.
func TestWatch_emptySnapshot(t *testing.T) {
	t.Parallel()
	f := startWatchFake(t, script(scriptedCall{events: []scriptedEvent{{complete, nil, "s1"}, {bookmark, nil, "t1"}}}))
	r := startWatch(t, f.addr, "watch")
	r.waitFor(t, "EVENT")
	if code := r.end(); code != 0 {
		t.Errorf("exit %d; want 0", code)
	}
	if got, want := r.stdout.String(), "EVENT      ID   NAME   STATUS     FLAVOR   CREATED\n"; got != want {
		t.Errorf("stdout %q; want %q", got, want)
	}
}

// failingWriter fails every write.
type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("broken pipe") }

// TestWatch_outputFails: a watch whose output cannot be written (a closed
// pipe) ends with exit 1, and its call with it.
func TestWatch_outputFails(t *testing.T) {
	t.Parallel()
	ended := make(chan struct{})
	f := startWatchFake(t, func(ctx context.Context, _ int, _ proto.Message, send func(watchv1.EventType, proto.Message, string) error) error {
		defer close(ended)
		if err := send(added, nb("a1", "alpha", "RUNNING"), "s1"); err != nil {
			return err
		}
		if err := send(complete, nil, "s1"); err != nil {
			return err
		}
		<-ctx.Done()
		return ctx.Err()
	})
	env := f.env(nil)
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	var stderr strings.Builder
	err := run(t.Context(), []string{"notebooks", "watch"}, lookup, failingWriter{}, &stderr)
	if code := exitCode(err); code != 1 || !strings.Contains(stderr.String(), "broken pipe") {
		t.Errorf("exit %d, stderr %q; want 1 and the write's error", code, stderr.String())
	}
	<-ended // the facade saw the call end
}

// TestWatch_secretsNeverPrinted: a token the facade echoes in an object
// is printed redacted, in the table and in JSON lines.
func TestWatch_secretsNeverPrinted(t *testing.T) {
	t.Parallel()
	const secret = "h1dden-bearer-token-value"
	f := startWatchFake(t, script(scriptedCall{events: []scriptedEvent{{added, nb("a1", "name-"+secret, "RUNNING"), "s1"}, {complete, nil, "s1"}}}))
	for _, output := range []string{"table", "json"} {
		env := map[string]string{"DEVENVCTL_ADDR": f.addr, "DEVENVCTL_PROJECT": project, "DEVENVCTL_TOKEN": secret}
		lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
		var stdout, stderr logbuf.Buffer
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- run(ctx, []string{"notebooks", "watch", "-o", output}, lookup, &stdout, &stderr) }()
		wctx, wcancel := context.WithTimeout(t.Context(), 30*time.Second)
		_, err := stdout.WaitFor(wctx, "name-")
		wcancel()
		cancel()
		<-done
		if err != nil {
			t.Fatalf("-o %s: no row (%v); stderr:\n%s", output, err, stderr.String())
		}
		if got := stdout.String() + stderr.String(); strings.Contains(got, secret) || !strings.Contains(got, "[REDACTED]") {
			t.Errorf("-o %s printed:\n%s\nwant the token redacted", output, got)
		}
	}
}
