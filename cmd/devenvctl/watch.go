package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"

	watchv1 "github.com/devenv-facade/devenv-facade/gen/devenvfacade/watch/v1"
	"github.com/devenv-facade/devenv-facade/internal/apierror"
	"github.com/devenv-facade/devenv-facade/internal/envflag"
	"github.com/devenv-facade/devenv-facade/internal/scrub"
	"github.com/devenv-facade/devenv-facade/internal/vendorjson"
	"github.com/devenv-facade/devenv-facade/service"
)

// How a watch tries again after its call failed: the pause doubles from
// watchRetryFirst up to watchRetryMax (each a random time between half of
// it and all of it, so that watchers cut off together do not come back
// together), or is the delay the facade asked for (RetryInfo) if that is
// longer; after maxWatchRetries failures in a row with no event between
// them the watch fails with the last error.
const (
	watchRetryFirst = 500 * time.Millisecond
	watchRetryMax   = 30 * time.Second
	maxWatchRetries = 10
	// maxWatchRetryInfo bounds the delay a RetryInfo may ask for.
	maxWatchRetryInfo = 5 * time.Minute
)

// watchEvent is one event of a watch, of either API.
type watchEvent struct {
	typ   watchv1.EventType
	token string
	// id and obj are the object's ID and the object (a notebook, an
	// instance); obj is nil for BOOKMARK and SNAPSHOT_COMPLETE.
	id  string
	obj proto.Message
}

// watchAPI is what a watch of one API needs: how to open it and how to
// show its objects.
type watchAPI struct {
	// objectKey is the object's name in -o json's lines: "notebook".
	objectKey string
	// header is the table's header, after EVENT.
	header []string
	// row returns the table's cells of an object, after the event type.
	row func(s *session, obj proto.Message) []string
	// open starts the watch after token ("": from a snapshot) and returns
	// the function that reads its next event.
	open func(ctx context.Context, s *session, token string, opts ...grpc.CallOption) (func() (watchEvent, error), error)
}

// watchFlags are the flags of a watch: its filters, as the RPC has them,
// and where it starts.
type watchFlags struct {
	status, name, workspaceID, resumeToken string
}

// define defines the filters on fs; withName adds --name (the notebooks'
// watch has it, the instances' does not).
func (f *watchFlags) define(fs *envflag.Set, what, statuses string, withName bool) {
	fs.String(&f.status, "status", "", "", "only "+what+" in this status: "+statuses+"; one entering it is shown ADDED, one leaving it DELETED")
	if withName {
		fs.String(&f.name, "name", "", "", "only "+what+" whose name contains this")
	}
	fs.String(&f.workspaceID, "workspace-id", "", "", "only "+what+" of this workspace (ModelArts' default: 0)")
}

// watcher runs one watch command: the calls, one after the other as
// they fail, and what it prints.
type watcher struct {
	s   *session
	api watchAPI
	out watchOutput
	// token is where the next call starts: the last event's resume token,
	// or "" for a snapshot.
	token string
	// snapshot says the call running sends a snapshot first: the events
	// until SNAPSHOT_COMPLETE are gathered in pending, then shown as what
	// changed from known.
	snapshot bool
	pending  []watchEvent
	// known holds the objects the watch has shown, by ID, as last shown;
	// complete says a snapshot made it the whole set (not so for a watch
	// that started from --resume-token until a snapshot completes).
	known    map[string]proto.Message
	complete bool
}

// runWatch watches with api from token ("": from a snapshot) until ctx
// ends (Ctrl-C, or --timeout if given: both end it successfully), or a
// call fails in a way that trying again cannot mend.
func (s *session) runWatch(ctx context.Context, api watchAPI, token string) error {
	if s.g.timeout > 0 {
		// How long to watch, not a deadline: the calls carry none (the
		// facade would end them with DEADLINE_EXCEEDED first), they are
		// cancelled once it has passed.
		var cancel context.CancelFunc
		ctx, cancel = context.WithCancel(ctx)
		defer cancel()
		timer := time.AfterFunc(s.g.timeout, cancel)
		defer timer.Stop()
	}
	ctx = metadata.NewOutgoingContext(ctx, s.md)
	w := &watcher{s: s, api: api, token: token, known: map[string]proto.Message{}}
	if s.g.output == outputJSON {
		w.out = &jsonLines{s: s, key: api.objectKey}
	} else {
		w.out = &liveTable{w: s.stdout, header: append([]string{"EVENT"}, api.header...),
			rowOf: func(obj proto.Message) []string { return api.row(s, obj) }}
	}
	failures := 0
	for {
		progressed, err := w.attempt(ctx)
		var oe *outputError
		switch {
		case errors.As(err, &oe):
			return oe.err
		case ctx.Err() != nil:
			// Ctrl-C, or --timeout: the watch ends as asked.
			return nil
		}
		if progressed {
			failures = 0
		}
		failures++
		e, _ := service.ErrorFrom(err)
		if e != nil && e.Code() == codes.OutOfRange && e.Reason() == apierror.ReasonResumeTokenExpired && failures <= maxWatchRetries {
			w.token = ""
			fmt.Fprintf(s.stderr, "devenvctl: the facade no longer has the events after the last one shown (%s); watching again from a snapshot: the rows after it are what changed meanwhile\n",
				s.errorBrief(e))
			continue
		}
		switch {
		case !watchRetryable(err, e):
			return s.callFailed(err, 0)
		case failures <= maxWatchRetries:
		case errors.Is(err, io.EOF):
			return fmt.Errorf("%s: the facade ended the watch %d times in a row without an event", s.g.addr, failures)
		default:
			return s.callFailed(err, 0)
		}
		delay := watchRetryDelay(failures)
		if e != nil && e.RetryDelay() > delay {
			delay = min(e.RetryDelay(), maxWatchRetryInfo)
		}
		from := "the last event shown"
		if w.token == "" {
			from = "a snapshot"
		}
		what := "the facade ended the watch"
		if e != nil {
			what = s.errorBrief(e)
		}
		fmt.Fprintf(s.stderr, "devenvctl: the watch was interrupted (%s); watching again in %s from %s\n",
			what, delay.Round(time.Millisecond), from)
		if err := s.clock.Sleep(ctx, delay); err != nil {
			return nil // Ctrl-C, or --timeout, during the pause
		}
	}
}

// watchRetryDelay returns the pause before the attempt after the
// failures-th failure in a row: up to watchRetryFirst, doubling, at most
// watchRetryMax, and at least half of that.
func watchRetryDelay(failures int) time.Duration {
	d := watchRetryMax
	if failures < 16 {
		d = min(watchRetryMax, watchRetryFirst<<(failures-1))
	}
	return d/2 + rand.N(d/2+1)
}

// watchRetryable reports whether a watch that failed with err (e, its
// facade error, if any) may go on with another call: the facade
// interrupted it (UNAVAILABLE: shutting down, --max-connection-age, or
// unreachable), the caller fell behind (WATCH_TOO_SLOW), the facade
// serves too many watches (OVERLOADED), the connection failed under it
// (a status without the facade's ErrorInfo), or the facade ended it
// without a status (io.EOF).
func watchRetryable(err error, e *service.Error) bool {
	if errors.Is(err, io.EOF) {
		return true
	}
	if e == nil {
		return false
	}
	switch e.Code() {
	case codes.Unavailable:
		return true
	case codes.ResourceExhausted:
		return e.Reason() == apierror.ReasonWatchTooSlow || e.Reason() == apierror.ReasonOverloaded
	case codes.Internal, codes.Unknown, codes.Canceled:
		// The facade's own errors carry ErrorInfo; these come from the
		// transport (a stream reset, a connection cut).
		return e.Domain() == ""
	}
	return false
}

// errorBrief describes a facade error in one short phrase: "UNAVAILABLE,
// WATCH_INTERRUPTED: the facade is shutting down".
func (s *session) errorBrief(e *service.Error) string {
	text := codeName(e.Code())
	if e.Reason() != "" {
		text += ", " + e.Reason()
	}
	if msg := scrub.Text(e.Message(), maxErrorText, s.secrets); msg != "" {
		text += ": " + msg
	}
	return text
}

// outputError is a failure to write the output: the watch ends with it.
type outputError struct{ err error }

func (e *outputError) Error() string { return e.err.Error() }
func (e *outputError) Unwrap() error { return e.err }

// attempt runs one call of the watch until it fails (or ctx ends) and
// returns its error, an *outputError if writing failed; progressed says
// whether it received an event.
func (w *watcher) attempt(ctx context.Context) (progressed bool, err error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // ends the call when it stops early (a write failed)
	w.snapshot, w.pending = w.token == "", nil
	next, err := w.api.open(ctx, w.s, w.token)
	if err != nil {
		return false, err
	}
	for {
		ev, err := next()
		if err != nil {
			return progressed, err
		}
		progressed = true
		if err := w.handle(ev); err != nil {
			return progressed, &outputError{err}
		}
	}
}

// handle shows one event, or, during a snapshot, keeps it for later.
func (w *watcher) handle(ev watchEvent) error {
	switch ev.typ {
	case watchv1.EventType_EVENT_TYPE_SNAPSHOT_COMPLETE:
		if !w.snapshot {
			return nil // only a watch without a token gets one
		}
		changes := w.snapshotChanges(ev.token)
		w.snapshot, w.pending, w.token, w.complete = false, nil, ev.token, true
		return w.out.snapshot(changes, ev)
	case watchv1.EventType_EVENT_TYPE_BOOKMARK:
		if w.snapshot {
			return nil
		}
		w.token = ev.token
		return w.out.bookmark(ev)
	case watchv1.EventType_EVENT_TYPE_ADDED, watchv1.EventType_EVENT_TYPE_MODIFIED, watchv1.EventType_EVENT_TYPE_DELETED:
	default:
		return nil // a kind this devenvctl does not know
	}
	if w.snapshot {
		// Every event of the snapshot carries the same token, which
		// resumes after the snapshot: the watch adopts a token only once
		// the snapshot is complete, so that one interrupted halfway starts
		// over.
		w.pending = append(w.pending, ev)
		return nil
	}
	w.token = ev.token
	old, seen := w.known[ev.id]
	if ev.typ == watchv1.EventType_EVENT_TYPE_DELETED {
		if !seen && w.complete {
			return nil // already shown gone (a resumed watch sends events again)
		}
		delete(w.known, ev.id)
	} else {
		if seen && proto.Equal(old, ev.obj) {
			return nil // shown already, as it is
		}
		w.known[ev.id] = ev.obj
	}
	return w.out.events([]watchEvent{ev})
}

// snapshotChanges returns what a completed snapshot (w.pending) changes
// in what the watch has shown: the objects new to it ADDED, those that
// differ MODIFIED, in the snapshot's order, then those the snapshot no
// longer holds DELETED, as last shown; all carry token. It updates known.
// The first snapshot changes everything: all ADDED.
func (w *watcher) snapshotChanges(token string) []watchEvent {
	var changes []watchEvent
	inSnapshot := make(map[string]bool, len(w.pending))
	for _, ev := range w.pending {
		if ev.typ == watchv1.EventType_EVENT_TYPE_DELETED {
			continue // a snapshot has none
		}
		inSnapshot[ev.id] = true
		old, seen := w.known[ev.id]
		switch {
		case !seen:
			ev.typ = watchv1.EventType_EVENT_TYPE_ADDED
		case !proto.Equal(old, ev.obj):
			ev.typ = watchv1.EventType_EVENT_TYPE_MODIFIED
		default:
			continue
		}
		w.known[ev.id] = ev.obj
		changes = append(changes, ev)
	}
	var gone []string
	for id := range w.known {
		if !inSnapshot[id] {
			gone = append(gone, id)
		}
	}
	slices.Sort(gone)
	for _, id := range gone {
		changes = append(changes, watchEvent{typ: watchv1.EventType_EVENT_TYPE_DELETED, token: token, id: id, obj: w.known[id]})
		delete(w.known, id)
	}
	return changes
}

// watchOutput is how a watch prints: a live table, or JSON lines.
type watchOutput interface {
	// events prints events that changed an object.
	events(evs []watchEvent) error
	// snapshot prints what a completed snapshot changed, then the
	// SNAPSHOT_COMPLETE event.
	snapshot(changes []watchEvent, complete watchEvent) error
	// bookmark prints a BOOKMARK event.
	bookmark(ev watchEvent) error
}

// liveTable prints a watch as kubectl get -w does: the header once, then
// a row per event, its type first. The columns are as wide as the header
// and the first rows printed with it (the snapshot) need, and at least
// minColumnWidths; a later cell that does not fit widens its column from
// then on.
type liveTable struct {
	w       io.Writer
	header  []string
	widths  []int
	started bool
	rowOf   func(obj proto.Message) []string
}

func (t *liveTable) events(evs []watchEvent) error {
	rows := make([][]string, 0, len(evs))
	for _, ev := range evs {
		rows = append(rows, append([]string{eventName(ev.typ)}, t.rowOf(ev.obj)...))
	}
	return t.print(rows)
}

func (t *liveTable) snapshot(changes []watchEvent, _ watchEvent) error { return t.events(changes) }

func (t *liveTable) bookmark(watchEvent) error { return nil }

// minColumnWidths are the widths columns start with, by header, so that
// the values a watch shows most often fit from the start: every event
// type, and the states an object passes through (STARTING, STOPPING,
// CREATING, DELETING) besides RUNNING and STOPPED.
var minColumnWidths = map[string]int{"EVENT": len("MODIFIED"), "STATUS": len("STOPPING")}

// print writes rows, and the header first if it was not written yet.
func (t *liveTable) print(rows [][]string) error {
	if !t.started {
		t.started = true
		rows = append([][]string{t.header}, rows...)
		t.widths = make([]int, len(t.header))
		for i, h := range t.header {
			t.widths[i] = minColumnWidths[h]
		}
	}
	for _, r := range rows {
		for i, c := range r {
			if i < len(t.widths) {
				t.widths[i] = max(t.widths[i], utf8.RuneCountInString(c))
			}
		}
	}
	var b strings.Builder
	for _, r := range rows {
		var line strings.Builder
		for i, c := range r {
			line.WriteString(c)
			if i < len(r)-1 {
				line.WriteString(strings.Repeat(" ", t.widths[i]-utf8.RuneCountInString(c)+3))
			}
		}
		b.WriteString(strings.TrimRight(line.String(), " "))
		b.WriteByte('\n')
	}
	_, err := io.WriteString(t.w, b.String())
	return err
}

// eventName returns an event type as the output shows it: ADDED.
func eventName(t watchv1.EventType) string {
	return strings.TrimPrefix(t.String(), "EVENT_TYPE_")
}

// jsonLines prints a watch with -o json: one JSON object a line per
// event, {"type": "ADDED", "notebook": {...}, "resume_token": "..."}, the
// object in the vendor's JSON as the other commands print it; BOOKMARK and
// SNAPSHOT_COMPLETE without one.
type jsonLines struct {
	s   *session
	key string // the object's name: "notebook", "instance"
}

func (j *jsonLines) events(evs []watchEvent) error {
	for _, ev := range evs {
		if err := j.line(ev); err != nil {
			return err
		}
	}
	return nil
}

func (j *jsonLines) snapshot(changes []watchEvent, complete watchEvent) error {
	if err := j.events(changes); err != nil {
		return err
	}
	return j.line(complete)
}

func (j *jsonLines) bookmark(ev watchEvent) error { return j.line(ev) }

// line writes one event as a line of JSON.
func (j *jsonLines) line(ev watchEvent) error {
	var b bytes.Buffer
	b.WriteString(`{"type":`)
	name, _ := json.Marshal(eventName(ev.typ))
	b.Write(name)
	if ev.obj != nil {
		obj, err := vendorjson.Marshal(ev.obj)
		if err != nil {
			return fmt.Errorf("encoding the event as JSON: %w", err)
		}
		fmt.Fprintf(&b, ",%q:", j.key)
		b.Write(obj)
	}
	if ev.token != "" {
		token, _ := json.Marshal(ev.token)
		b.WriteString(`,"resume_token":`)
		b.Write(token)
	}
	b.WriteString("}\n")
	_, err := j.s.stdout.Write(j.s.redact(b.Bytes()))
	return err
}
