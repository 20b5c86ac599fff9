package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/devenv-facade/devenv-facade/internal/clock/clocktest"
	"github.com/devenv-facade/devenv-facade/internal/emulator"
	"github.com/devenv-facade/devenv-facade/internal/logbuf"
)

// status returns a notebook's status as notebooks get prints it.
func (e *e2e) status(id string) any {
	e.t.Helper()
	return e.json("notebooks", "get", id)["status"]
}

// ms returns a JSON number (float64) as milliseconds.
func ms(v any) int64 {
	f, _ := v.(float64)
	return int64(f)
}

// TestNotebookEndToEnd walks a notebook through its life with devenvctl
// against the real facade, the emulator behind it on a fake clock:
// create, get (CREATING, then RUNNING), list, update, the lease shown and
// renewed (reset to now + the duration), stop --wait, start --wait with a
// lease of an hour, the lease running out (the notebook stops by itself),
// delete --wait, get (exit 4).
func TestNotebookEndToEnd(t *testing.T) {
	t.Parallel()
	clock := newE2EClock()
	e := newE2E(t, startRealFacade(t, clock))

	nb := e.json("notebooks", "create", "--name", "e2e-ctl", "--flavor", "modelarts.vm.cpu.2u", "--image-id", emulator.SampleImageID,
		"--volume-capacity", "5", "--lease", "2h")
	id, _ := nb["id"].(string)
	if nb["status"] != "CREATING" || id == "" {
		t.Fatalf("created %v; want CREATING with an ID", nb)
	}
	if _, ok := nb["token"]; ok {
		t.Errorf("create printed the notebook's token: %v", nb)
	}
	clock.Advance(emulator.DefaultLifecycle().Create)
	if s := e.status(id); s != "RUNNING" {
		t.Fatalf("get after the create delay: %v; want RUNNING", s)
	}
	table := e.ctl(0, "notebooks", "list", "--name", "e2e-ctl", "--status", "RUNNING").stdout
	if lines := strings.Split(strings.TrimSpace(table), "\n"); len(lines) != 2 || !strings.HasPrefix(lines[0], "ID") || !strings.Contains(lines[1], id) {
		t.Errorf("notebooks list --name e2e-ctl: want a header and our notebook:\n%s", table)
	}
	if up := e.json("notebooks", "update", id, "--description", "updated by devenvctl"); up["description"] != "updated by devenvctl" {
		t.Errorf("update: %v", up)
	}

	// The lease: shown with when the notebook stops; renewing resets the
	// deadline to now + the duration.
	lease := e.json("lease", "show", id)
	l, _ := lease["lease"].(map[string]any)
	if got, want := ms(lease["stop_at"]), ms(l["create_at"])+ms(l["duration"]); got == 0 || got != want {
		t.Errorf("lease show: stop_at %d; want create_at + duration = %d\n%v", got, want, lease)
	}
	before := clock.Now()
	renewed := e.json("lease", "renew", id, "--duration", "4h")
	after := clock.Now()
	if at := ms(renewed["stop_at"]); at < before.Add(4*time.Hour).UnixMilli() || at > after.Add(4*time.Hour).UnixMilli() {
		t.Errorf("lease renew --duration 4h: stop_at %d; want now + 4h (%d)", at, before.Add(4*time.Hour).UnixMilli())
	}
	if out := e.ctl(0, "lease", "show", id).stdout; !strings.Contains(out, "Stops:") || !strings.Contains(out, before.Add(4*time.Hour).UTC().Format("2006-01-02T15")) {
		t.Errorf("lease show (table): want the stop time about 4h from now:\n%s", out)
	}

	if out := e.ctl(0, "notebooks", "stop", id, "--wait").stdout; !strings.Contains(out, "Status:       STOPPED") ||
		!strings.Contains(out, "Stops:        not running") {
		t.Errorf("stop --wait printed:\n%s\nwant STOPPED, not running", out)
	}
	if out := e.ctl(0, "notebooks", "start", id, "--wait", "--lease", "1h").stdout; !strings.Contains(out, "RUNNING") {
		t.Errorf("start --wait printed:\n%s\nwant RUNNING", out)
	}
	// An hour later the lease has run out: the notebook stops by itself.
	clock.Advance(time.Hour + time.Second)
	clock.Advance(emulator.DefaultLifecycle().Stop)
	if s := e.status(id); s != "STOPPED" {
		t.Errorf("get after the lease ran out: %v; want STOPPED", s)
	}

	if out := e.ctl(0, "notebooks", "delete", id, "--wait").stdout; !strings.Contains(out, "Deleted notebook "+id+" (gone).") {
		t.Errorf("delete --wait printed %q", out)
	}
	r := e.ctl(4, "notebooks", "get", id)
	if !strings.Contains(r.stderr, "NOT_FOUND") || !strings.Contains(r.stderr, "ModelArts.") {
		t.Errorf("get after delete: stderr %q; want NOT_FOUND and a ModelArts code", r.stderr)
	}
	r = e.ctl(3, "notebooks", "get", "not/an/id")
	if !strings.Contains(r.stderr, "INVALID_ARGUMENT") || !strings.Contains(r.stderr, "  field notebook_id: ") {
		t.Errorf("get with a bad ID: stderr %q; want INVALID_ARGUMENT naming notebook_id", r.stderr)
	}
}

// TestNotebookEndToEnd_createWaitInterrupted: Ctrl-C during notebooks
// create --wait stops the wait, not the create: devenvctl said which
// notebook it waits for as soon as the facade had it, and the error says
// the notebook was created and how to see it; it is there.
func TestNotebookEndToEnd_createWaitInterrupted(t *testing.T) {
	t.Parallel()
	// The clock moves only when told: the notebook stays CREATING and the
	// pause between reads lasts until the call is cancelled.
	e := newE2E(t, startRealFacade(t, clocktest.New(clocktest.Start)))
	lookup := func(k string) (string, bool) { v, ok := e.env[k]; return v, ok }

	ctx, interrupt := context.WithCancel(t.Context())
	defer interrupt()
	var stdout strings.Builder
	var stderr logbuf.Buffer
	// The line is awaited until devenvctl ends, or for 30s at most: a
	// bound, not a pause.
	wctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"notebooks", "create", "--name", "interrupted", "--flavor", "modelarts.vm.cpu.2u",
			"--image-id", emulator.SampleImageID, "--wait"}, lookup, &stdout, &stderr)
		cancel()
	}()
	line, err := stderr.WaitFor(wctx, "devenvctl: created notebook ", "; waiting until it is RUNNING")
	if err != nil {
		t.Fatalf("devenvctl did not say which notebook it waits for (%v); stderr:\n%s", err, stderr.String())
	}
	id := strings.TrimSuffix(strings.Fields(strings.TrimPrefix(line, "devenvctl: created notebook "))[0], ";")
	interrupt() // Ctrl-C
	if code := exitCode(<-done); code != 130 {
		t.Errorf("exit %d; want 130 (CANCELLED)", code)
	}
	want := "  notebook " + id + " was created: ModelArts accepted the create, only the wait did not finish; see it with: devenvctl notebooks get " + id + "\n"
	if got := stderr.String(); !strings.Contains(got, "devenvctl: CANCELLED: ") || !strings.HasSuffix(got, want) {
		t.Errorf("stderr:\n%s\nwant CANCELLED, then:\n%s", got, want)
	}
	if stdout.String() != "" {
		t.Errorf("stdout %q; want nothing", stdout.String())
	}
	if nb := e.json("notebooks", "get", id); nb["name"] != "interrupted" {
		t.Errorf("notebooks get %s: %v; want the notebook created", id, nb)
	}
}
