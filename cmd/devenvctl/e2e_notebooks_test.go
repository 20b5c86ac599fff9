package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/devenv-facade/devenv-facade/internal/emulator"
)

// e2e runs devenvctl against a facade started by startRealFacade.
type e2e struct {
	t   *testing.T
	env map[string]string
}

// newE2E returns a runner of devenvctl against the facade at addr, in the
// emulator's sample project.
func newE2E(t *testing.T, addr string) *e2e {
	return &e2e{t: t, env: map[string]string{"DEVENVCTL_ADDR": addr, "DEVENVCTL_PROJECT": emulator.SampleProjectID}}
}

// ctl runs devenvctl with args and fails the test unless it exits want.
func (e *e2e) ctl(want int, args ...string) result {
	e.t.Helper()
	r := invoke(e.t.Context(), e.env, args...)
	if r.code != want {
		e.t.Fatalf("devenvctl %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.code, want, r.stdout, r.stderr)
	}
	return r
}

// json runs devenvctl with args and -o json, wanting success, and returns
// the object it printed.
func (e *e2e) json(args ...string) map[string]any {
	e.t.Helper()
	r := e.ctl(0, append(args, "-o", "json")...)
	var obj map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &obj); err != nil {
		e.t.Fatalf("devenvctl %s: not one JSON object: %v\n%s", strings.Join(args, " "), err, r.stdout)
	}
	return obj
}

// TestNotebookEndToEnd_get: notebooks get against the real facade, the
// emulator behind it: a sample notebook in a table and in the vendor's
// JSON (without its token), a notebook that does not exist (exit 4, the
// ModelArts code) and a malformed ID (exit 3, the field named).
func TestNotebookEndToEnd_get(t *testing.T) {
	t.Parallel()
	clock := newE2EClock()
	e := newE2E(t, startRealFacade(t, clock))

	out := e.ctl(0, "notebooks", "get", emulator.SampleSSHNotebookID).stdout
	for _, want := range []string{"ID:           " + emulator.SampleSSHNotebookID, "Status:       RUNNING",
		"Endpoint:     SSH", "keys KeyPair-ops from 192.0.2.10", "Stops:        at "} {
		if !strings.Contains(out, want) {
			t.Errorf("notebooks get: lacks %q:\n%s", want, out)
		}
	}
	nb := e.json("notebooks", "get", emulator.SampleNotebookID)
	if nb["id"] != emulator.SampleNotebookID || nb["status"] != "RUNNING" {
		t.Errorf("notebooks get -o json: %v", nb)
	}
	if _, ok := nb["create_at"].(float64); !ok {
		t.Errorf("create_at is %T; want a JSON number", nb["create_at"])
	}
	raw := e.ctl(0, "notebooks", "get", emulator.SampleNotebookID, "-o", "json").stdout
	for _, secret := range emulator.SampleNotebookSecrets() {
		if strings.Contains(raw, secret) {
			t.Errorf("notebooks get printed the notebook's token:\n%s", raw)
		}
	}
	r := e.ctl(4, "notebooks", "get", "0badc0de-0000-4000-8000-000000000000")
	if !strings.Contains(r.stderr, "NOT_FOUND") || !strings.Contains(r.stderr, "ModelArts.") {
		t.Errorf("get of a notebook that does not exist: stderr %q; want NOT_FOUND and a ModelArts code", r.stderr)
	}
	r = e.ctl(3, "notebooks", "get", "not.an.id")
	if !strings.Contains(r.stderr, "INVALID_ARGUMENT") || !strings.Contains(r.stderr, "  field notebook_id: ") {
		t.Errorf("get with a bad ID: stderr %q; want INVALID_ARGUMENT naming notebook_id", r.stderr)
	}
}
