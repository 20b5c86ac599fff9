package emulator_test

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/devenv-facade/devenv-facade/internal/emulator"
)

// notebookEndpoint is one of the new API's 22 operations.
type notebookEndpoint struct {
	name, method, path, body string
}

// notebookEndpoints returns the 22 operations on notebook id and image
// image.
func notebookEndpoints(t *testing.T, id, image string) []notebookEndpoint {
	return []notebookEndpoint{
		{"create", http.MethodPost, notebooksPath, notebookBody(t)},
		{"list", http.MethodGet, notebooksPath, ""},
		{"list all", http.MethodGet, notebooksPath + "/all", ""},
		{"flavors", http.MethodGet, notebooksPath + "/flavors", ""},
		{"register image", http.MethodPost, imagesPath, `{"swr_path":"org/name:tag"}`},
		{"image groups", http.MethodGet, imagesPath + "/group", ""},
		{"list images", http.MethodGet, imagesPath, ""},
		// With an ID: the ones below take per-ID faults.
		{"show", http.MethodGet, notebookPath(id, ""), ""},
		{"update", http.MethodPut, notebookPath(id, ""), `{"description":"x"}`},
		{"delete", http.MethodDelete, notebookPath(id, ""), ""},
		{"start", http.MethodPost, notebookPath(id, "/start"), ""},
		{"stop", http.MethodPost, notebookPath(id, "/stop"), ""},
		{"show lease", http.MethodGet, notebookPath(id, "/lease"), ""},
		{"renew lease", http.MethodPatch, notebookPath(id, "/lease"), `{"duration":3600000}`},
		{"switchable flavors", http.MethodGet, notebookPath(id, "/flavors"), ""},
		{"create image", http.MethodPost, notebookPath(id, "/create-image"), `{"name":"n","namespace":"ns"}`},
		{"list mounts", http.MethodGet, notebookPath(id, "/storage"), ""},
		{"attach", http.MethodPost, notebookPath(id, "/storage"), `{"category":"OBS","mount_path":"/data/q/","uri":"obs://b/q/"}`},
		{"show mount", http.MethodGet, notebookPath(id, "/storage/"+emulator.SampleMountID), ""},
		{"detach", http.MethodDelete, notebookPath(id, "/storage/"+emulator.SampleMountID), ""},
		{"show image", http.MethodGet, imagesPath + "/" + image, ""},
		{"delete image", http.MethodDelete, imagesPath + "/" + image, ""},
	}
}

// TestNotebookFaults_everyEndpoint: the header fault reaches each of the
// 22 operations, a fault ID those with an ID, a fault name the create;
// fault answers have the new API's error shape (error_msg).
func TestNotebookFaults_everyEndpoint(t *testing.T) {
	t.Parallel()
	f := newFixture(t, emulator.Options{})
	before := len(f.emu.Notebooks(project))
	list := notebookEndpoints(t, emulator.SampleSSHNotebookID, emulator.SampleImageID)
	if len(list) != 22 {
		t.Fatalf("%d endpoints; want 22", len(list))
	}
	for _, e := range list {
		got := f.call(t, e.method, e.path, e.body, "X-Emulator-Fault", "s503-c6200")
		wantError(t, e.name+" with a header fault", got, http.StatusServiceUnavailable, "ModelArts.6200")
	}
	for _, e := range notebookEndpoints(t, "fault-s500-c6102-x1", "fault-s500-c6102-x2")[7:] {
		got := f.call(t, e.method, e.path, e.body)
		wantError(t, e.name+" of a fault ID", got, http.StatusInternalServerError, "ModelArts.6102")
	}
	if n := len(f.emu.Notebooks(project)); n != before {
		t.Errorf("%d notebooks after the faults; want %d", n, before)
	}

	// A fault notebook that no fault hits: an existing, stopped notebook,
	// never kept.
	const quiet = "fault-lat1ms-x3"
	codes := map[string]string{}
	for _, e := range notebookEndpoints(t, quiet, "fault-lat1ms-x4")[7:] {
		got := f.call(t, e.method, e.path, e.body)
		codes[e.name] = strconv.Itoa(got.status) + " " + got.code()
	}
	want := map[string]string{
		"show": "200 ", "update": "200 ", "delete": "200 ", "start": "200 ", "stop": "400 ModelArts.6357",
		"show lease": "400 ModelArts.6327", "renew lease": "400 ModelArts.6327", "switchable flavors": "200 ",
		"create image": "400 ModelArts.6327", "list mounts": "200 ", "attach": "400 ModelArts.6327",
		"show mount": "400 ModelArts.6309", "detach": "400 ModelArts.6327", "show image": "200 ", "delete image": "200 ",
	}
	if diff := cmp.Diff(want, codes); diff != "" {
		t.Errorf("a quiet fault notebook and image (-want +got):\n%s", diff)
	}
	if nb := f.showNotebook(t, quiet); str(t, nb, "status") != "STOPPED" || str(t, nb, "id") != quiet {
		t.Errorf("show of %s: %v; want it STOPPED", quiet, nb)
	}
	if n := len(f.emu.Notebooks(project)); n != before {
		t.Errorf("%d notebooks after the quiet faults; want %d: a fault notebook is never stored", n, before)
	}

	// A created name: N failures, then creates (names may repeat).
	const name = "fault-s503-c6200-fail1-x5"
	var statuses []int
	for range 3 {
		statuses = append(statuses, f.call(t, http.MethodPost, notebooksPath, notebookBody(t, "name", name)).status)
	}
	if diff := cmp.Diff([]int{503, 200, 200}, statuses); diff != "" {
		t.Errorf("creates named %s (-want +got):\n%s", name, diff)
	}
	if got := f.call(t, http.MethodPost, notebooksPath, notebookBody(t, "name", "fault-zzz")); got.status != 400 || !strings.Contains(got.raw, `"zzz"`) {
		t.Errorf("a create named with a bad spec: %d %s; want 400 naming the token", got.status, got.raw)
	}
}

// TestNotebookFaults_global: the global fault reaches the new API, with
// its error shape.
func TestNotebookFaults_global(t *testing.T) {
	t.Parallel()
	f := newFixture(t, emulator.Options{Fault: emulator.MustParseFault("s429-c6101")})
	wantError(t, "list under a global fault", f.call(t, http.MethodGet, notebooksPath, ""), http.StatusTooManyRequests, "ModelArts.6101")
	if got := f.list(t, "de_type=Notebook"); got.message() == "" || got.msg() != "" {
		t.Errorf("the old API under the same fault: %s; want error_message", got.raw)
	}
}

// TestNotebookAPI_gateway: paths and methods the new API does not publish
// answer 404 APIGW.0101, as the gateway does; credentials are checked on
// every route, with the new API's error shape.
func TestNotebookAPI_gateway(t *testing.T) {
	t.Parallel()
	f := newFixture(t, emulator.Options{Tokens: map[string]string{"t": project}})
	for _, c := range []struct{ method, path string }{
		{http.MethodPatch, notebooksPath},
		{http.MethodPost, notebooksPath + "/all"},
		{http.MethodPost, notebookPath(emulator.SampleNotebookID, "/restart")},
		{http.MethodGet, notebookPath(emulator.SampleNotebookID, "/storage/a/b")},
		{http.MethodGet, notebooksPath + "/"},
		{http.MethodPut, imagesPath + "/group"},
		{http.MethodGet, "/v2/" + project + "/notebooks"},
	} {
		got := f.call(t, c.method, c.path, "")
		if got.status != http.StatusNotFound || got.code() != "APIGW.0101" || got.msg() == "" {
			t.Errorf("%s %s: %d %s; want 404 APIGW.0101", c.method, c.path, got.status, got.raw)
		}
	}
	for _, e := range notebookEndpoints(t, emulator.SampleNotebookID, emulator.SampleImageID) {
		req := httptest.NewRequestWithContext(t.Context(), e.method, e.path, strings.NewReader(e.body))
		w := httptest.NewRecorder()
		f.emu.ServeHTTP(w, req)
		if w.Code != http.StatusUnauthorized || !strings.Contains(w.Body.String(), `"error_code":"ModelArts.0205"`) || !strings.Contains(w.Body.String(), `"error_msg"`) {
			t.Errorf("%s without a token: %d %s; want 401 ModelArts.0205 with error_msg", e.name, w.Code, w.Body)
		}
	}
	wantError(t, "a token of another project", f.call(t, http.MethodGet, "/v1/"+strings.Repeat("f", 32)+"/notebooks", ""), http.StatusForbidden, "ModelArts.0210")
}

// TestNotebookAPI_storesApart: the old API's instances and the new API's
// notebooks never show in each other's lists (§9.20), and an ID of one is
// unknown to the other.
func TestNotebookAPI_storesApart(t *testing.T) {
	t.Parallel()
	f := newFixture(t, emulator.Options{NoSamples: true})
	id := f.createNotebook(t)
	old := f.create(t, createBody(t))
	oldID := str(t, old.body, "id")
	if got := f.list(t, "de_type=Notebook"); num(t, got.body, "total_count") != 1 {
		t.Errorf("the old list: %s; want only the old instance", got.raw)
	}
	if p := f.getPage(t, notebooksPath+"/all"); p.total != 1 {
		t.Errorf("the new list: %+v; want only the notebook", p)
	}
	if got := f.get(t, id); got.code() != "ModelArts.6309" {
		t.Errorf("the old API's get of a notebook: %s; want 6309", got.raw)
	}
	wantError(t, "the new API's show of an old instance", f.call(t, http.MethodGet, notebookPath(oldID, ""), ""), 400, "ModelArts.6309")
	if len(f.emu.Instances(project)) != 1 || len(f.emu.Notebooks(project)) != 1 {
		t.Errorf("%d instances and %d notebooks; want one each", len(f.emu.Instances(project)), len(f.emu.Notebooks(project)))
	}
}
