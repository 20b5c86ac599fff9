package server_test

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"

	notebookv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/notebook/v1"
	"github.com/devenv-facade/devenv-facade/internal/callerauth"
	"github.com/devenv-facade/devenv-facade/internal/clock/clocktest"
	"github.com/devenv-facade/devenv-facade/internal/cloudauth"
	"github.com/devenv-facade/devenv-facade/internal/emulator"
	"github.com/devenv-facade/devenv-facade/internal/server"
	"github.com/devenv-facade/devenv-facade/internal/vendorjson"
	"github.com/devenv-facade/devenv-facade/service"
)

// restWatchFacade is the whole facade in front of the emulator, both on a
// fake clock, with caller authentication on (alice may change the project,
// bob another one) and no admin listener.
type restWatchFacade struct {
	*instance
	clock *clocktest.Fake
}

func startRESTWatch(t *testing.T) *restWatchFacade {
	t.Helper()
	sum := func(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }
	path := filepath.Join(t.TempDir(), "callers.yaml")
	writeTestFile(t, path, "callers:\n"+
		"  - {name: alice, token_sha256: "+sum("alice-bearer")+", projects: [\""+project+"\"]}\n"+
		"  - {name: bob, token_sha256: "+sum("bob-bearer")+", projects: [\""+strings.Repeat("9", 32)+"\"]}\n")
	callers, err := callerauth.Load(path, callerauth.Options{})
	if err != nil {
		t.Fatal(err)
	}
	clk := clocktest.New(clocktest.Start)
	f := startFacade(t, emulator.MustNew(emulator.Options{Clock: clk, NoSamples: true}), func(o *server.Options) {
		o.Credentials, o.Callers, o.Clock = cloudauth.Token("service-token"), callers, clk
		// The API's listeners alone.
		o.AdminListener.Close()
		o.AdminListener = nil
	})
	return &restWatchFacade{instance: f, clock: clk}
}

// poll waits until the notebooks' poller waits on the clock, moves the
// clock d, and waits until it waits again: it polled once and sent what
// it saw.
func (f *restWatchFacade) poll(t *testing.T, d time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := f.clock.BlockUntil(ctx, 1); err != nil {
		t.Fatalf("the poller never waited: %v", err)
	}
	f.clock.Advance(d)
	if err := f.clock.BlockUntil(ctx, 1); err != nil {
		t.Fatalf("the poller never waited again: %v", err)
	}
}

// get sends a GET to the mirror as a caller (bearer token) with header.
func (f *restWatchFacade) get(t *testing.T, path, bearer string, header map[string]string) *http.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, f.httpURL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// restEvent is an SSE event as a client reads it.
type restEvent struct{ name, id, data, retry string }

// nextEvent reads the next event of an event stream, skipping comments.
func nextEvent(t *testing.T, br *bufio.Reader) restEvent {
	t.Helper()
	var ev restEvent
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatalf("reading the event stream: %v (after %q)", err, line)
		}
		line = strings.TrimSuffix(line, "\n")
		field, value, _ := strings.Cut(line, ": ")
		switch {
		case line == "" && ev.name != "":
			return ev
		case line == "" || strings.HasPrefix(line, ":"):
		case field == "event":
			ev.name = value
		case field == "id":
			ev.id = value
		case field == "data":
			ev.data = value
		case field == "retry":
			ev.retry = value
		default:
			t.Fatalf("unexpected line %q", line)
		}
	}
}

// describe is an event as "NAME name/STATUS", or its name alone.
func describe(t *testing.T, ev restEvent) string {
	t.Helper()
	var nb notebookv1.Notebook
	if err := vendorjson.Unmarshal([]byte(ev.data), &nb); err != nil {
		t.Fatalf("event %s: data %q: %v", ev.name, ev.data, err)
	}
	if nb.Name == nil {
		return ev.name
	}
	return ev.name + " " + nb.GetName() + "/" + nb.GetStatus()
}

// expectEvents reads len(want) events and checks them; resumed says the
// watch's snapshot is over (or it had none).
func expectEvents(t *testing.T, br *bufio.Reader, resumed bool, want ...string) []restEvent {
	t.Helper()
	var got []restEvent
	for _, w := range want {
		ev := nextEvent(t, br)
		if d := describe(t, ev); d != w {
			t.Fatalf("event %d: %s (%+v); want %s", len(got), d, ev, w)
		}
		// The snapshot's ADDED events have no id (their token cannot be
		// resumed from), every other event has one.
		if snapshot := strings.HasPrefix(w, "ADDED") && !resumed; (ev.id == "") != snapshot {
			t.Fatalf("event %d (%s) has id %q", len(got), w, ev.id)
		}
		if w == "SNAPSHOT_COMPLETE" {
			resumed = true
		}
		got = append(got, ev)
	}
	return got
}

// TestWatch_REST: a watch over the REST mirror of the whole facade, with
// caller authentication on and only the API's listeners: the snapshot and
// its marker, then changes as the emulator's notebook changes on the clock,
// each event's data the notebook the mirror's GET answers; resuming with
// Last-Event-ID (no snapshot, what came after); the refusals before the
// first event as ordinary REST answers (401, 403, a foreign token's 410, a
// malformed token's 400); grpc-gateway's newline-delimited JSON beside
// it; and the facade's drain ending an open event stream with a
// resumable error event.
func TestWatch_REST(t *testing.T) {
	t.Parallel()
	f := startRESTWatch(t)
	alice := metadata.AppendToOutgoingContext(t.Context(), "authorization", "Bearer alice-bearer")
	created, err := f.notebooks.CreateNotebook(alice, &notebookv1.CreateNotebookRequest{ProjectId: project, Name: "first", Flavor: "modelarts.vm.cpu.2u",
		ImageId: emulator.SampleImageID, Volume: &notebookv1.VolumeRequest{Category: "EVS", Ownership: "MANAGED", Capacity: proto.Int32(5)}})
	if err != nil {
		t.Fatal(err)
	}
	id := created.GetNotebook().GetId()
	watchPath := "/v1/" + project + "/notebooks:watch"
	sse := map[string]string{"Accept": "text/event-stream"}

	resp := f.get(t, watchPath, "alice-bearer", sse)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("watch: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	br := bufio.NewReader(resp.Body)
	expectEvents(t, br, false, "ADDED first/CREATING", "SNAPSHOT_COMPLETE")
	f.poll(t, emulator.DefaultLifecycle().Create)
	running := expectEvents(t, br, true, "MODIFIED first/RUNNING")[0]

	// The event's notebook is the one a GET answers (byte for byte:
	// TestWatch_restEventsAsGET).
	got, err := io.ReadAll(f.get(t, "/v1/"+project+"/notebooks/"+id, "alice-bearer", nil).Body)
	if err != nil {
		t.Fatal(err)
	}
	var fromGet, fromEvent notebookv1.Notebook
	if err := vendorjson.Unmarshal(got, &fromGet); err != nil {
		t.Fatal(err)
	}
	if err := vendorjson.Unmarshal([]byte(running.data), &fromEvent); err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(&fromGet, &fromEvent) {
		t.Errorf("the event's notebook\n%s\nis not the GET's\n%s", running.data, got)
	}

	if _, err := f.notebooks.StopNotebook(alice, &notebookv1.StopNotebookRequest{ProjectId: project, NotebookId: id}); err != nil {
		t.Fatal(err)
	}
	f.poll(t, service.DefaultWatchSteadyPollInterval)
	stopped := expectEvents(t, br, true, "MODIFIED first/STOPPED")[0]

	// An EventSource that reconnects sends the last id it saw.
	resumed := bufio.NewReader(f.get(t, watchPath, "alice-bearer", map[string]string{"Accept": "text/event-stream", "Last-Event-ID": running.id}).Body)
	if ev := expectEvents(t, resumed, true, "MODIFIED first/STOPPED")[0]; ev.id != stopped.id {
		t.Errorf("the resumed watch's event has id %s; the first watch's %s", ev.id, stopped.id)
	}

	// A watch resumed from the last event has nothing to send until the
	// next poll finds a change (or the bookmark interval passes), yet its
	// answer's status and headers come at once.
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, f.httpURL+watchPath, nil)
	req.Header.Set("Authorization", "Bearer alice-bearer")
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Last-Event-ID", stopped.id)
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	if quiet, err := (&http.Client{Transport: tr}).Do(req); err != nil || quiet.StatusCode != http.StatusOK {
		t.Errorf("a quiet resumed watch: %v; want its answer's status at once", err)
	} else {
		quiet.Body.Close()
	}

	// Newline-delimited JSON, as any client that does not ask for events
	// gets it.
	ndjson := f.get(t, "/v1/"+project+"/demanager/instances:watch", "alice-bearer", nil)
	line, err := bufio.NewReader(ndjson.Body).ReadString('\n')
	var first struct {
		Result struct {
			Type        string
			ResumeToken string `json:"resume_token"`
		}
	}
	if ndjson.StatusCode != http.StatusOK || err != nil || json.Unmarshal([]byte(line), &first) != nil ||
		first.Result.Type != "EVENT_TYPE_SNAPSHOT_COMPLETE" || first.Result.ResumeToken == "" {
		t.Errorf("instances, newline-delimited JSON: %d %q (%v); want the marker of an empty snapshot", ndjson.StatusCode, line, err)
	}

	for _, tt := range []struct {
		name, bearer, lastEventID string
		status                    int
		code                      string
	}{
		{"no_caller", "", "", http.StatusUnauthorized, "Facade.CALLER_UNAUTHENTICATED"},
		{"other_project", "bob-bearer", "", http.StatusForbidden, "Facade.PROJECT_NOT_PERMITTED"},
		{"foreign_token", "alice-bearer", first.Result.ResumeToken, http.StatusGone, "Facade.RESUME_TOKEN_EXPIRED"},
		{"malformed_token", "alice-bearer", "not-a-token", http.StatusBadRequest, "Facade.INVALID_ARGUMENT"},
	} {
		h := map[string]string{"Accept": "text/event-stream"}
		if tt.lastEventID != "" {
			h["Last-Event-ID"] = tt.lastEventID
		}
		resp := f.get(t, watchPath, tt.bearer, h)
		raw, _ := io.ReadAll(resp.Body)
		var body map[string]string
		if err := json.Unmarshal(raw, &body); err != nil || resp.StatusCode != tt.status || body["error_code"] != tt.code || body["error_msg"] == "" ||
			resp.Header.Get("Content-Type") != "application/json" {
			t.Errorf("%s: %d %s %s; want %d, error_code %s and error_msg", tt.name, resp.StatusCode, resp.Header.Get("Content-Type"), raw, tt.status, tt.code)
		}
	}

	// The drain asks the watches to end: the event stream gets an error
	// event it can resume from, then its end.
	if err := f.stop(); err != nil {
		t.Fatal(err)
	}
	ev := nextEvent(t, br)
	var body map[string]string
	if err := json.Unmarshal([]byte(ev.data), &body); err != nil || ev.name != "error" || body["error_code"] != "Facade.WATCH_INTERRUPTED" || ev.retry == "" {
		t.Errorf("at the drain: %+v; want an error event with Facade.WATCH_INTERRUPTED and a retry delay", ev)
	}
	if rest, err := io.ReadAll(br); err != nil || len(rest) != 0 {
		t.Errorf("after the error event: %q (%v); want the end of the stream", rest, err)
	}
}
