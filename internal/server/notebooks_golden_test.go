package server_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/devenv-facade/devenv-facade/internal/emulator"
)

// TestNotebooks_mirrorGolden walks the samples of the vendor's pages for
// notebooks (create, list, list all, show, update, start, stop, delete,
// and the use case's create and show) through the REST mirror, with the
// page's own request bodies: each request goes to the facade and to a twin
// emulator on the same clock. The mirror's answer must have exactly the
// keys and JSON types of the twin's but the notebook's token (nothing
// lost, nothing invented, the secret gone), and every key of the page's
// sample answer but the token, with its JSON type.
func TestNotebooks_mirrorGolden(t *testing.T) {
	t.Parallel()
	clk := newFakeClock()
	f, _ := startLifecycle(t, clk, nil, emulator.Options{})
	twin := httptest.NewServer(emulator.MustNew(emulator.Options{Clock: clk}))
	t.Cleanup(twin.Close)

	const (
		creating = "f9937afa-631e-4a8f-a8f7-3b6c800585f0" // the show sample's, stays CREATING
		stopped  = "936bea3e-d3df-435e-8b58-d817283284ae" // the start sample's
		deleted  = "f9937afa-ca78-45b6-bc12-7ecf42553c48" // the delete sample's
	)
	steps := []struct {
		method, path, request, sample string
	}{
		{http.MethodPost, "/notebooks", "create-request.json", "create-response.json"},
		{http.MethodPost, "/notebooks", "usecase-create-request.json", "usecase-create-response.json"},
		{http.MethodGet, "/notebooks", "", "list-response.json"},
		{http.MethodGet, "/notebooks?offset=0&limit=10&sort_dir=DESC&workspaceId=0", "", "list-response.json"},
		{http.MethodGet, "/notebooks/all", "", "list-all-response.json"},
		{http.MethodGet, "/notebooks/" + creating, "", "show-response.json"},
		{http.MethodGet, "/notebooks/" + emulator.SampleNotebookID, "", "usecase-show-response.json"},
		{http.MethodPut, "/notebooks/" + stopped, "update-request.json", "update-response.json"},
		{http.MethodPost, "/notebooks/" + stopped + "/start?duration=3600000&type=timing", "start-request.json", "start-response.json"},
		{http.MethodPost, "/notebooks/" + emulator.SampleNotebookID + "/stop", "", "stop-response.json"},
		{http.MethodDelete, "/notebooks/" + deleted, "", "delete-response.json"},
	}
	for _, st := range steps {
		what := st.method + " " + st.path
		body := ""
		if st.request != "" {
			body = notebookSample(t, st.request)
		}
		wantCode, want := mirrorCall(t, st.method, twin.URL+"/v1/"+project+st.path, body)
		code, got := mirrorCall(t, st.method, f.httpURL+"/v1/"+project+st.path, body)
		if code != 200 || wantCode != 200 {
			t.Fatalf("%s: the mirror answered %d %v, the emulator %d %v", what, code, got, wantCode, want)
		}
		withoutTokens(want)
		sameShape(t, what, want, got)
		raw, _ := json.Marshal(got)
		for _, secret := range emulator.SampleNotebookSecrets() {
			if bytes.Contains(raw, []byte(secret)) {
				t.Errorf("%s: the mirror's answer holds the secret %q", what, secret)
			}
		}
		if bytes.Contains(raw, []byte(`"token"`)) {
			t.Errorf("%s: the mirror's answer holds a token member", what)
		}
		var sample map[string]any
		d := json.NewDecoder(bytes.NewReader([]byte(notebookSample(t, st.sample))))
		d.UseNumber()
		if err := d.Decode(&sample); err != nil {
			t.Fatal(err)
		}
		withoutTokens(sample)
		var diffs []string
		sampleKeys("", sample, got, &diffs)
		for _, d := range diffs {
			t.Errorf("%s, against %s: %s", what, st.sample, d)
		}
	}
}

// withoutTokens deletes the notebooks' token members from an answer: a
// notebook, or a list's data.
func withoutTokens(answer map[string]any) {
	delete(answer, "token")
	if data, ok := answer["data"].([]any); ok {
		for _, item := range data {
			if nb, ok := item.(map[string]any); ok {
				delete(nb, "token")
			}
		}
	}
}
