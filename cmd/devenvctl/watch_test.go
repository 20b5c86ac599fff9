package main

import (
	"context"
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
		info.Metadata["resume_token"] = token
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
			end = watchErr(codes.Unavailable, reasonWatchInterrupted, "t2", 2*time.Second)
		case 1: // at least once: t2 again; then the watcher falls behind
			evs = []ev{{modified, aRunning, "t2"}, {deleted, b, "t3"}}
			end = watchErr(codes.ResourceExhausted, reasonWatchTooSlow, "t3", 0)
		case 2: // the facade restarted: t3 is from before
			end = watchErr(codes.OutOfRange, reasonResumeTokenExpired, "", 0)
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
