package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/devenv-facade/devenv-facade/internal/clock/clocktest"
	"github.com/devenv-facade/devenv-facade/internal/emulator"
	"github.com/devenv-facade/devenv-facade/service"
)

// watchE2E is a facade in front of the emulator, both on a clock that
// moves only when the test says, and devenvctl's watches against it.
type watchE2E struct {
	clock *clocktest.Fake
	addr  string
	env   map[string]string
}

func startWatchE2E(t *testing.T) *watchE2E {
	t.Helper()
	clk := clocktest.New(clocktest.Start)
	addr := startRealFacade(t, clk)
	return &watchE2E{clock: clk, addr: addr, env: map[string]string{"DEVENVCTL_ADDR": addr, "DEVENVCTL_PROJECT": emulator.SampleProjectID}}
}

// poll waits until the facade's poller waits on the clock, and moves the
// clock d: the poller reads the list again.
func (e *watchE2E) poll(t *testing.T, d time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	if err := e.clock.BlockUntil(ctx, 1); err != nil {
		t.Fatalf("the poller never waited: %v", err)
	}
	e.clock.Advance(d)
}

// ctl runs a devenvctl command to its end and wants exit 0.
func (e *watchE2E) ctl(t *testing.T, args ...string) result {
	t.Helper()
	r := invoke(t.Context(), e.env, args...)
	if r.code != 0 {
		t.Fatalf("devenvctl %s: exit %d\n%s%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r
}

// watch starts devenvctl with args (a watch) against the facade.
func (e *watchE2E) watch(t *testing.T, args ...string) *watchRun {
	t.Helper()
	return startWatch(t, e.addr, append(args, "--project", emulator.SampleProjectID)...)
}

// TestWatchEndToEnd: devenvctl notebooks watch against the real facade
// and the emulator: the snapshot under the header, a notebook stopped by
// another devenvctl shown MODIFIED once the facade polls; Ctrl-C ends it
// with exit 0. With -o json, the snapshot's end carries a token from
// which --resume-token goes on without a snapshot.
func TestWatchEndToEnd(t *testing.T) {
	t.Parallel()
	e := startWatchE2E(t)
	table := e.watch(t, "notebooks", "watch")
	table.waitFor(t, "ADDED", emulator.SampleNotebookID, "RUNNING")
	js := e.watch(t, "notebooks", "list", "--watch", "--status", "RUNNING", "-o", "json")
	js.waitFor(t, `"type":"SNAPSHOT_COMPLETE"`)

	e.ctl(t, "notebooks", "stop", emulator.SampleNotebookID)
	e.poll(t, service.DefaultWatchSteadyPollInterval)
	// The poll after the steady interval sees it STOPPED: the stop took
	// less (states, not transitions).
	table.waitFor(t, "MODIFIED", emulator.SampleNotebookID, "STOPPED")
	js.waitFor(t, `"type":"DELETED"`, emulator.SampleNotebookID)
	for _, r := range []*watchRun{table, js} {
		if code := r.end(); code != 0 {
			t.Errorf("Ctrl-C: exit %d; want 0\nstderr:\n%s", code, r.stderr.String())
		}
	}
	lines := strings.Split(strings.TrimSuffix(table.stdout.String(), "\n"), "\n")
	if !strings.HasPrefix(lines[0], "EVENT      ID   ") || strings.Count(table.stdout.String(), "EVENT") != 1 {
		t.Errorf("want the header once, first:\n%s", table.stdout.String())
	}
	if last := lines[len(lines)-1]; !strings.HasPrefix(last, "MODIFIED   "+emulator.SampleNotebookID) {
		t.Errorf("last row %q; want the stopped notebook MODIFIED", last)
	}

	// From the token of the -o json watch's snapshot end, a watch goes on
	// without a snapshot: the stop, and the start that follows.
	var token string
	for _, l := range strings.Split(js.stdout.String(), "\n") {
		var ev struct {
			Type  string `json:"type"`
			Token string `json:"resume_token"`
		}
		if json.Unmarshal([]byte(l), &ev) == nil && ev.Type == "SNAPSHOT_COMPLETE" {
			token = ev.Token
		}
	}
	if token == "" {
		t.Fatalf("no SNAPSHOT_COMPLETE with a token:\n%s", js.stdout.String())
	}
	resumed := e.watch(t, "notebooks", "watch", "--status", "RUNNING", "--resume-token", token)
	resumed.waitFor(t, "DELETED", emulator.SampleNotebookID, "STOPPED")
	e.ctl(t, "notebooks", "start", emulator.SampleNotebookID)
	e.poll(t, service.DefaultWatchSteadyPollInterval)
	resumed.waitFor(t, "ADDED", emulator.SampleNotebookID, "RUNNING")
	if code := resumed.end(); code != 0 {
		t.Errorf("Ctrl-C: exit %d; want 0", code)
	}
	if got := resumed.stdout.String(); strings.Count(got, "\n") != 3 {
		t.Errorf("resumed:\n%s\nwant the header, DELETED and ADDED: no snapshot", got)
	}
}

// TestWatchEndToEnd_expiredToken: a token the facade cannot resume (one
// of another facade: another replica, or before a restart) makes
// devenvctl say so and start again from a snapshot.
func TestWatchEndToEnd_expiredToken(t *testing.T) {
	t.Parallel()
	other := startWatchE2E(t)
	js := other.watch(t, "watch", "-o", "json")
	js.waitFor(t, `"type":"SNAPSHOT_COMPLETE"`)
	js.end()
	var token string
	for _, l := range strings.Split(js.stdout.String(), "\n") {
		var ev struct {
			Type  string `json:"type"`
			Token string `json:"resume_token"`
		}
		if json.Unmarshal([]byte(l), &ev) == nil && ev.Type == "SNAPSHOT_COMPLETE" {
			token = ev.Token
		}
	}
	if token == "" {
		t.Fatalf("no SNAPSHOT_COMPLETE with a token:\n%s", js.stdout.String())
	}

	e := startWatchE2E(t)
	r := e.watch(t, "watch", "--resume-token", token)
	r.waitFor(t, "ADDED", instanceID)
	if code := r.end(); code != 0 {
		t.Errorf("exit %d; want 0", code)
	}
	if got := r.stderr.String(); !strings.Contains(got, "devenvctl: the facade no longer has the events after the last one shown (OUT_OF_RANGE, RESUME_TOKEN_EXPIRED") ||
		!strings.Contains(got, "watching again from a snapshot") {
		t.Errorf("stderr:\n%s", got)
	}
}
