package emulator_test

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"
)

// The new API's paths in the sample project.
const (
	notebooksPath = "/v1/" + project + "/notebooks"
	imagesPath    = "/v1/" + project + "/images"
)

// notebookPath is the path of a notebook, or of one of its sub-resources
// (suffix "/start", "/lease"...).
func notebookPath(id, suffix string) string { return notebooksPath + "/" + id + suffix }

// obj returns the body as a JSON object.
func (r reply) obj(t *testing.T) map[string]any {
	t.Helper()
	m, ok := r.body.(map[string]any)
	if !ok {
		t.Fatalf("the answer is not a JSON object: %d %s", r.status, r.raw)
	}
	return m
}

// msg returns the error_msg of an error answer of the new API.
func (r reply) msg() string {
	m, _ := r.body.(map[string]any)
	s, _ := m["error_msg"].(string)
	return s
}

// wantError fails unless r is an error answer of the new API with this
// status and code, in its shape: error_code and error_msg only.
func wantError(t *testing.T, what string, r reply, status int, code string) {
	t.Helper()
	m, _ := r.body.(map[string]any)
	_, oldName := m["error_message"]
	if r.status != status || r.code() != code || r.msg() == "" || oldName || len(m) != 2 {
		t.Errorf("%s: %d %s; want %d {error_code: %s, error_msg}", what, r.status, r.raw, status, code)
	}
}

// wantOK fails unless r is a 200 answer, and returns its body as an
// object.
func wantOK(t *testing.T, what string, r reply) map[string]any {
	t.Helper()
	if r.status != http.StatusOK {
		t.Fatalf("%s: %d %s; want 200", what, r.status, r.raw)
	}
	return r.obj(t)
}

// createNotebook creates a notebook from edits of a valid create body
// (see notebookBody) and returns its ID.
func (f *fixture) createNotebook(t *testing.T, edits ...any) string {
	t.Helper()
	got := wantOK(t, "create", f.call(t, http.MethodPost, notebooksPath, notebookBody(t, edits...)))
	return str(t, got, "id")
}

// showNotebook returns a notebook's show answer.
func (f *fixture) showNotebook(t *testing.T, id string) map[string]any {
	t.Helper()
	return wantOK(t, "show "+id, f.call(t, http.MethodGet, notebookPath(id, ""), ""))
}

// notebookBody is a valid create request of the new API, changed by the
// edits (dotted paths and values; del removes a field).
func notebookBody(t *testing.T, edits ...any) string {
	t.Helper()
	body := map[string]any{
		"name":        "nb-1",
		"description": "a notebook",
		"flavor":      "modelarts.vm.cpu.2u",
		"image_id":    "e1a07296-22a8-4f05-8bc8-e936c8e54090",
		"volume":      map[string]any{"category": "EFS", "ownership": "MANAGED"},
	}
	return edit(t, body, edits...)
}

// edit applies the edits to a JSON object and encodes it.
func edit(t *testing.T, body map[string]any, edits ...any) string {
	t.Helper()
	for i := 0; i+1 < len(edits); i += 2 {
		setPath(body, edits[i].(string), edits[i+1])
	}
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// setPath sets (or with del removes) the value at a dotted path.
func setPath(m map[string]any, path string, v any) {
	for {
		head, rest, more := cut(path)
		if !more {
			if v == del {
				delete(m, head)
			} else {
				m[head] = v
			}
			return
		}
		next, ok := m[head].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[head] = next
		}
		m, path = next, rest
	}
}

func cut(path string) (head, rest string, more bool) {
	for i := 0; i < len(path); i++ {
		if path[i] == '.' {
			return path[:i], path[i+1:], true
		}
	}
	return path, "", false
}

// millis is the epoch milliseconds of t, as the new API's numbers carry it.
func millis(t time.Time) int64 { return t.UnixMilli() }

// advanceTo moves the fixture's clock forward to when.
func (f *fixture) advanceTo(t *testing.T, when time.Time) {
	t.Helper()
	d := when.Sub(f.clock.Now())
	if d < 0 {
		t.Fatalf("advanceTo %s: the clock is already at %s", when, f.clock.Now())
	}
	f.clock.Advance(d)
}
