package emulator_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/devenv-facade/devenv-facade/internal/clock/clocktest"
	"github.com/devenv-facade/devenv-facade/internal/emulator"
)

// testLifecycle is the lifecycle the tests run with: distinct delays, so
// that a test can tell which one applied.
var testLifecycle = emulator.Lifecycle{Create: 10 * time.Second, Start: 5 * time.Second, Stop: 3 * time.Second,
	Delete: 7 * time.Second, Snapshot: 8 * time.Second, Mount: 4 * time.Second, Unmount: 6 * time.Second, Resize: 9 * time.Second}

// fixture is an emulator on a fake clock, served over loopback.
type fixture struct {
	emu   *emulator.Server
	srv   *httptest.Server
	clock *clocktest.Fake
}

// newFixture starts an emulator with opts, on a fake clock and with the
// test lifecycle unless opts set them.
func newFixture(t *testing.T, opts emulator.Options) *fixture {
	t.Helper()
	c := clocktest.New(time.Date(2026, 3, 4, 5, 6, 7, 890_000_000, time.UTC))
	opts.Clock = c
	if opts.Lifecycle == (emulator.Lifecycle{}) {
		opts.Lifecycle = testLifecycle
	}
	emu := emulator.MustNew(opts)
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	return &fixture{emu: emu, srv: srv, clock: c}
}

// reply is a decoded answer: its status and its JSON body, numbers kept as
// json.Number so that tests can tell their JSON type.
type reply struct {
	status int
	body   any
	raw    string
}

// code returns the error_code of an error answer.
func (r reply) code() string {
	m, _ := r.body.(map[string]any)
	s, _ := m["error_code"].(string)
	return s
}

// message returns the error_message of an error answer.
func (r reply) message() string {
	m, _ := r.body.(map[string]any)
	s, _ := m["error_message"].(string)
	return s
}

// call sends a request with a token, as any ModelArts client would, and
// decodes the answer.
func (f *fixture) call(t *testing.T, method, path, body string, header ...string) reply {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, f.srv.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Auth-Token", "t")
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := f.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	r := reply{status: resp.StatusCode, raw: string(raw)}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		if err := dec.Decode(&r.body); err != nil {
			t.Fatalf("%s %s: decoding %q: %v", method, path, raw, err)
		}
	}
	return r
}

const instancesPath = "/v1/" + project + "/demanager/instances"

// Calls of the six operations.

func (f *fixture) create(t *testing.T, body string) reply {
	t.Helper()
	return f.call(t, http.MethodPost, instancesPath, body)
}

func (f *fixture) list(t *testing.T, query string) reply {
	t.Helper()
	return f.call(t, http.MethodGet, instancesPath+"?"+query, "")
}

func (f *fixture) get(t *testing.T, id string) reply {
	t.Helper()
	return f.call(t, http.MethodGet, instancesPath+"/"+id, "")
}

func (f *fixture) update(t *testing.T, id, body string) reply {
	t.Helper()
	return f.call(t, http.MethodPut, instancesPath+"/"+id, body)
}

func (f *fixture) action(t *testing.T, id, action string) reply {
	t.Helper()
	return f.call(t, http.MethodPost, instancesPath+"/"+id+"/action", `{"action":"`+action+`"}`)
}

func (f *fixture) delete(t *testing.T, id string) reply {
	t.Helper()
	return f.call(t, http.MethodDelete, instancesPath+"/"+id, "")
}

// createBody is a valid create request, changed by the edits: each edit
// is a dotted path and a value; the value del removes the field.
func createBody(t *testing.T, edits ...any) string {
	t.Helper()
	body := map[string]any{
		"name":        "nb-1",
		"description": "a notebook",
		"profile_id":  "Multi-Engine 1.0 (python3)-cpu",
		"flavor":      "modelarts.vm.cpu.2u",
		"spec": map[string]any{
			"storage":   map[string]any{"type": "obs", "location": map[string]any{"path": "/bucket/dir/"}},
			"auto_stop": map[string]any{"enable": true, "duration": 3600},
		},
		"workspace": map[string]any{"id": "0"},
	}
	for i := 0; i+1 < len(edits); i += 2 {
		parts := strings.Split(edits[i].(string), ".")
		m := body
		for _, p := range parts[:len(parts)-1] {
			next, ok := m[p].(map[string]any)
			if !ok {
				next = map[string]any{}
				m[p] = next
			}
			m = next
		}
		last := parts[len(parts)-1]
		if edits[i+1] == del {
			delete(m, last)
		} else {
			m[last] = edits[i+1]
		}
	}
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// del, as an edit's value, removes the field.
var del = new(int)

// at returns the value at a dotted path of a decoded JSON object.
func at(t *testing.T, v any, path string) any {
	t.Helper()
	for _, p := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			t.Fatalf("%s: %q is not inside an object", path, p)
		}
		if v, ok = m[p]; !ok {
			t.Fatalf("%s: no %q", path, p)
		}
	}
	return v
}

// str returns the string at a dotted path, failing if it is not a string.
func str(t *testing.T, v any, path string) string {
	t.Helper()
	s, ok := at(t, v, path).(string)
	if !ok {
		t.Fatalf("%s = %#v; want a JSON string", path, at(t, v, path))
	}
	return s
}

// num returns the integer at a dotted path, failing if it is not a JSON
// number.
func num(t *testing.T, v any, path string) int64 {
	t.Helper()
	n, ok := at(t, v, path).(json.Number)
	if !ok {
		t.Fatalf("%s = %#v; want a JSON number", path, at(t, v, path))
	}
	i, err := n.Int64()
	if err != nil {
		t.Fatalf("%s = %s; want an integer", path, n)
	}
	return i
}

// ms is t as the wire's epoch milliseconds.
func ms(t time.Time) string { return strconv.FormatInt(t.UnixMilli(), 10) }

// jsonString is s as a JSON string, quotes included, as it appears in an
// answer.
func jsonString(t *testing.T, s string) string {
	t.Helper()
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
