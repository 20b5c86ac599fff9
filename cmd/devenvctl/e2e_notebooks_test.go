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

// in returns the runner for the subtest t.
func (e *e2e) in(t *testing.T) *e2e { return &e2e{t: t, env: e.env} }

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

// TestNotebookEndToEnd_resources: flavors, OBS mounts and images with
// devenvctl against the real facade and the emulator's samples.
func TestNotebookEndToEnd_resources(t *testing.T) {
	t.Parallel()
	clock := newE2EClock()
	e := newE2E(t, startRealFacade(t, clock))

	t.Run("flavors", func(t *testing.T) {
		e := e.in(t)
		out := e.ctl(0, "flavors", "list").stdout
		if !strings.Contains(out, "modelarts.vm.cpu.2u") || !strings.HasPrefix(out, "ID ") {
			t.Errorf("flavors list:\n%s", out)
		}
		gpu := e.json("flavors", "list", "--category", "GPU")
		data, _ := gpu["data"].([]any)
		if len(data) == 0 {
			t.Errorf("flavors list --category GPU: no data\n%v", gpu)
		}
		for _, f := range data {
			if f.(map[string]any)["category"] != "GPU" {
				t.Errorf("flavors list --category GPU listed %v", f)
			}
		}
		e.ctl(0, "flavors", "switchable", emulator.SampleNotebookID)
	})

	t.Run("storage", func(t *testing.T) {
		e := e.in(t)
		nb := emulator.SampleSSHNotebookID
		if out := e.ctl(0, "storage", "list", nb).stdout; !strings.Contains(out, emulator.SampleMountID) {
			t.Errorf("storage list:\n%s", out)
		}
		m := e.json("storage", "attach", nb, "--uri", "obs://bucket/e2e/", "--mount-path", "/data/e2e/", "--wait")
		mid, _ := m["id"].(string)
		if m["status"] != "MOUNTED" || mid == "" {
			t.Fatalf("storage attach --wait: %v; want MOUNTED with an ID", m)
		}
		if got := e.json("storage", "get", nb, mid); got["mount_path"] != "/data/e2e/" {
			t.Errorf("storage get: %v", got)
		}
		e.ctl(0, "storage", "detach", nb, mid, "--wait")
		e.ctl(4, "storage", "get", nb, mid)
	})

	t.Run("images", func(t *testing.T) {
		e := e.in(t)
		if out := e.ctl(0, "images", "list", "--type", "BUILD_IN").stdout; !strings.Contains(out, emulator.SampleImageID) {
			t.Errorf("images list --type BUILD_IN:\n%s", out)
		}
		if im := e.json("images", "get", emulator.SampleImageID); im["id"] != emulator.SampleImageID {
			t.Errorf("images get: %v", im)
		}
		e.ctl(0, "images", "groups")
		reg := e.json("images", "register", "--swr-path", "swr.eu-de.otc.t-systems.com/e2e-org/tools:v1", "--description", "registered by devenvctl")
		rid, _ := reg["id"].(string)
		if rid == "" {
			t.Fatalf("images register: %v", reg)
		}
		if out := e.ctl(0, "images", "delete", rid).stdout; out != "Deleted image "+rid+".\n" {
			t.Errorf("images delete printed %q", out)
		}
		saved := e.json("images", "create", emulator.SampleNotebookID, "--name", "e2e-saved", "--namespace", "e2e-org", "--tag", "v1", "--wait")
		if saved["status"] != "ACTIVE" {
			t.Errorf("images create --wait: %v; want ACTIVE", saved)
		}
	})
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
