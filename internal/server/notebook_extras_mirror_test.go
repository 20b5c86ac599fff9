package server_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/devenv-facade/devenv-facade/internal/emulator"
)

// TestNotebookExtras_mirrorGolden walks the samples of the vendor's pages
// for the lease, flavors, OBS mounts and images through the REST mirror:
// each request (with the page's own body where it has one) goes to the
// facade and to a twin emulator on the same clock. The mirror's answer
// must have exactly the keys and JSON types of the twin's (nothing lost,
// nothing invented), and every key of the page's sample answer, with its
// JSON type.
func TestNotebookExtras_mirrorGolden(t *testing.T) {
	t.Parallel()
	clk := newFakeClock()
	opts := emulator.Options{Lifecycle: emulator.Lifecycle{Mount: time.Minute, Unmount: time.Minute, Snapshot: time.Minute}}
	f, _ := startLifecycle(t, clk, nil, opts)
	opts.Clock = clk
	twin := httptest.NewServer(emulator.MustNew(opts))
	t.Cleanup(twin.Close)

	nb, ssh, stopped := emulator.SampleNotebookID, emulator.SampleSSHNotebookID, "936bea3e-d3df-435e-8b58-d817283284ae"
	dedicated := emulator.SampleImages()[0].ID
	steps := []struct {
		method, path, request, sample string
	}{
		{http.MethodGet, "/notebooks/" + nb + "/lease", "", "lease-response.json"},
		{http.MethodPatch, "/notebooks/" + nb + "/lease", "renew-request.json", "renew-response.json"},
		{http.MethodPatch, "/notebooks/" + nb + "/lease", "usecase-renew-request.json", "usecase-renew-response.json"},
		{http.MethodPatch, "/notebooks/" + nb + "/lease?duration=3600000", "", "renew-response.json"},
		{http.MethodGet, "/notebooks/flavors", "", "flavors-response.json"},
		{http.MethodGet, "/notebooks/" + stopped + "/flavors", "", "switchable-flavors-response.json"},
		{http.MethodGet, "/notebooks/" + ssh + "/storage", "", "storage-list-response.json"},
		{http.MethodGet, "/notebooks/" + ssh + "/storage/" + emulator.SampleMountID, "", "storage-show-response.json"},
		{http.MethodPost, "/notebooks/" + nb + "/storage", "attach-request.json", "attach-response.json"},
		{http.MethodDelete, "/notebooks/" + ssh + "/storage/" + emulator.SampleMountID, "", "detach-response.json"},
		{http.MethodPost, "/notebooks/" + nb + "/create-image", "create-image-request.json", "create-image-response.json"},
		{http.MethodGet, "/images", "", "images-response.json"},
		{http.MethodPost, "/images", "register-request.json", "register-response.json"},
		{http.MethodGet, "/images/group", "", "image-groups-response.json"},
		{http.MethodGet, "/images/" + emulator.SampleImageID, "", "image-show-response.json"},
		{http.MethodDelete, "/images/" + dedicated + "?force=true", "", "image-delete-response.json"},
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
		sameShape(t, what, want, got)
		var sample map[string]any
		d := json.NewDecoder(bytes.NewReader([]byte(notebookSample(t, st.sample))))
		d.UseNumber()
		if err := d.Decode(&sample); err != nil {
			t.Fatal(err)
		}
		var diffs []string
		sampleKeys("", sample, got, &diffs)
		for _, d := range diffs {
			t.Errorf("%s, against %s: %s", what, st.sample, d)
		}
	}
}

// notebookSample returns a sample of the new API's reference pages.
func notebookSample(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile("../emulator/testdata/notebook-reference/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// sampleKeys reports every key of sample missing from got or holding
// another JSON type, recursively (an array's items against the sample's
// first item).
func sampleKeys(path string, sample, got any, diffs *[]string) {
	if kind(sample) != kind(got) {
		*diffs = append(*diffs, fmt.Sprintf("%s: %s, the sample has %s", path, kind(got), kind(sample)))
		return
	}
	switch s := sample.(type) {
	case map[string]any:
		g := got.(map[string]any)
		for k, sv := range s {
			gv, ok := g[k]
			if !ok {
				*diffs = append(*diffs, fmt.Sprintf("%s.%s: missing", path, k))
				continue
			}
			sampleKeys(path+"."+k, sv, gv, diffs)
		}
	case []any:
		if g := got.([]any); len(s) > 0 && len(g) > 0 {
			sampleKeys(path+"[0]", s[0], g[0], diffs)
		}
	}
}

// kind is a JSON value's type.
func kind(v any) string {
	switch v.(type) {
	case map[string]any:
		return "object"
	case []any:
		return "array"
	case string:
		return "string"
	case json.Number:
		return "number"
	case bool:
		return "bool"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", v)
}
