package server_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/devenv-facade/devenv-facade/internal/emulator"
)

// mirrorCall sends a request with a JSON body (or none) and returns the
// status and the decoded body.
func mirrorCall(t *testing.T, method, url, body string) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Auth-Token", "caller-token")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	if err := d.Decode(&out); err != nil {
		t.Fatalf("%s %s: answer is not a JSON object: %v\n%s", method, url, err, raw)
	}
	return resp.StatusCode, out
}

// referenceBody returns a request sample from the vendor's reference pages.
func referenceBody(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile("../emulator/testdata/reference/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestInstanceLifecycle_mirror walks the same life through the REST
// mirror with the vendor's own request bodies, as a client written for
// ModelArts would, and checks every answer has the shape of the emulator's
// own answer to the same request: the same keys with the same JSON types,
// credentials removed.
func TestInstanceLifecycle_mirror(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	f, direct := startLifecycle(t, clock, nil, emulator.Options{NoSamples: true})
	base := f.httpURL + "/v1/" + project + "/demanager/instances"

	code, in := mirrorCall(t, http.MethodPost, base, referenceBody(t, "create-request.json"))
	id, _ := in["id"].(string)
	if code != 200 || in["status"] != "CREATING" || id == "" {
		t.Fatalf("create: %d %v; want 200 CREATING", code, in)
	}
	get := func() map[string]any {
		t.Helper()
		code, in := mirrorCall(t, http.MethodGet, base+"/"+id, "")
		if code != 200 {
			t.Fatalf("get: %d %v", code, in)
		}
		return in
	}
	if s := get()["status"]; s != "CREATING" {
		t.Fatalf("get right after create: %v; want CREATING", s)
	}
	clock.Advance(emulator.DefaultLifecycle().Create)
	got := get()
	if got["status"] != "RUNNING" {
		t.Fatalf("get after the create delay: %v; want RUNNING", got["status"])
	}
	sameShape(t, "get", fetchDirect(t, direct+"/v1/"+project+"/demanager/instances/"+id), got)
	stopAt := got["spec"].(map[string]any)["auto_stop"].(map[string]any)["stop_timestamp"]
	if n, ok := stopAt.(json.Number); !ok || len(n.String()) != 13 {
		t.Errorf("spec.auto_stop.stop_timestamp = %#v; want a 13-digit JSON number", stopAt)
	}

	query := "?de_type=Notebook&status=RUNNING&sortby=name&order=asc&offset=0&limit=10"
	code, list := mirrorCall(t, http.MethodGet, base+query, "")
	if code != 200 || list["total_count"] != json.Number("1") || len(list["instances"].([]any)) != 1 {
		t.Fatalf("list: %d %v; want total_count 1 and one instance", code, list)
	}
	sameShape(t, "list", fetchDirect(t, direct+"/v1/"+project+"/demanager/instances"+query), list)

	code, up := mirrorCall(t, http.MethodPut, base+"/"+id, referenceBody(t, "update-request.json"))
	if code != 200 || up["id"] != id {
		t.Fatalf("update: %d %v", code, up)
	}
	sameShape(t, "update", fetchDirect(t, direct+"/v1/"+project+"/demanager/instances/"+id), up)

	code, e := mirrorCall(t, http.MethodDelete, base+"/"+id, "")
	if code != 400 || e["error_code"] != "ModelArts.6304" {
		t.Fatalf("delete while running: %d %v; want 400 ModelArts.6304", code, e)
	}

	code, act := mirrorCall(t, http.MethodPost, base+"/"+id+"/action", `{"action": "stop"}`)
	if want := map[string]any{"current_status": "STOPPING", "previous_state": "RUNNING"}; code != 200 || fmt.Sprint(act) != fmt.Sprint(want) {
		t.Fatalf("stop: %d %v; want 200 %v", code, act, want)
	}
	code, e = mirrorCall(t, http.MethodDelete, base+"/"+id, "")
	if code != 400 || e["error_code"] != "ModelArts.6308" {
		t.Errorf("delete while stopping: %d %v; want 400 ModelArts.6308", code, e)
	}
	clock.Advance(emulator.DefaultLifecycle().Stop)
	if s := get()["status"]; s != "STOPPED" {
		t.Fatalf("after the stop delay: %v; want STOPPED", s)
	}

	// The facade's own query parameter: wait until it is gone.
	code, del := mirrorCall(t, http.MethodDelete, base+"/"+id+"?wait=true", "")
	if code != 200 || del["instance_id"] != id {
		t.Fatalf("delete: %d %v", code, del)
	}
	code, e = mirrorCall(t, http.MethodGet, base+"/"+id, "")
	if code != 400 || e["error_code"] != "ModelArts.6309" {
		t.Errorf("get after delete: %d %v; want 400 ModelArts.6309", code, e)
	}
}

// TestMirrorAnswersHaveTheVendorsShape: for every sample instance the
// emulator holds, including one with credentials, the mirror's get and
// list answers have the keys and JSON types of ModelArts' own, its nulls
// included, minus credentials, and no secret.
func TestMirrorAnswersHaveTheVendorsShape(t *testing.T) {
	t.Parallel()
	f, direct := startLifecycle(t, newFakeClock(), nil, emulator.Options{})
	path := "/v1/" + project + "/demanager/instances"
	for _, inst := range emulator.Samples() {
		code, got := mirrorCall(t, http.MethodGet, f.httpURL+path+"/"+inst.ID, "")
		if code != 200 {
			t.Errorf("get %s: %d %v", inst.ID, code, got)
			continue
		}
		sameShape(t, "get "+inst.ID, fetchDirect(t, direct+path+"/"+inst.ID), got)
	}
	code, got := mirrorCall(t, http.MethodGet, f.httpURL+path+"?de_type=Notebook", "")
	if code != 200 {
		t.Fatalf("list: %d %v", code, got)
	}
	sameShape(t, "list", fetchDirect(t, direct+path+"?de_type=Notebook"), got)
	raw, _ := json.Marshal(got)
	for _, secret := range emulator.SampleSecrets() {
		if bytes.Contains(raw, []byte(secret)) {
			t.Errorf("the mirror's list holds the secret %q", secret)
		}
	}
}

// fetchDirect GETs url from the emulator itself.
func fetchDirect(t *testing.T, url string) map[string]any {
	t.Helper()
	code, body := mirrorCall(t, http.MethodGet, url, "")
	if code != 200 {
		t.Fatalf("emulator GET %s: %d %v", url, code, body)
	}
	return body
}

// sameShape fails the test unless got has exactly the keys of want, with
// the same JSON types, recursively, want's nulls included; want's
// credential objects must be absent.
func sameShape(t *testing.T, what string, want, got map[string]any) {
	t.Helper()
	var diffs []string
	compareShape("", want, got, &diffs)
	for _, d := range diffs {
		t.Errorf("%s: %s", what, d)
	}
}

func compareShape(path string, want, got any, diffs *[]string) {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			*diffs = append(*diffs, fmt.Sprintf("%s: got %T, want an object", path, got))
			return
		}
		for k, wv := range w {
			gv, present := g[k]
			switch {
			case k == "credential":
				if present {
					*diffs = append(*diffs, fmt.Sprintf("%s.%s: a credential reached the caller", path, k))
				}
			case !present:
				*diffs = append(*diffs, fmt.Sprintf("%s.%s: missing", path, k))
			case wv == nil && gv != nil:
				*diffs = append(*diffs, fmt.Sprintf("%s.%s: %v; ModelArts sent null", path, k, gv))
			case wv != nil:
				compareShape(path+"."+k, wv, gv, diffs)
			}
		}
		for k := range g {
			if _, ok := w[k]; !ok {
				*diffs = append(*diffs, fmt.Sprintf("%s.%s: not in ModelArts' answer", path, k))
			}
		}
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			*diffs = append(*diffs, fmt.Sprintf("%s: got %T of %d, want an array of %d", path, got, lenOf(got), len(w)))
			return
		}
		for i := range w {
			compareShape(fmt.Sprintf("%s[%d]", path, i), w[i], g[i], diffs)
		}
	default:
		if fmt.Sprintf("%T", want) != fmt.Sprintf("%T", got) {
			*diffs = append(*diffs, fmt.Sprintf("%s: got %T %v, want %T %v", path, got, got, want, want))
		}
	}
}

func lenOf(v any) int {
	if a, ok := v.([]any); ok {
		return len(a)
	}
	return -1
}
