package emulator_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/devenv-facade/devenv-facade/internal/emulator"
	"github.com/devenv-facade/devenv-facade/internal/options"
)

// fuzzTargets are the new API's operations that read a body or a query,
// on sample notebooks and images.
var fuzzTargets = []struct{ method, path string }{
	{http.MethodPost, notebooksPath},
	{http.MethodPut, notebooksPath + "/936bea3e-d3df-435e-8b58-d817283284ae"},
	{http.MethodPut, notebooksPath + "/" + emulator.SampleSSHNotebookID},
	{http.MethodPatch, notebooksPath + "/" + emulator.SampleNotebookID + "/lease"},
	{http.MethodPost, notebooksPath + "/" + emulator.SampleNotebookID + "/create-image"},
	{http.MethodPost, notebooksPath + "/" + emulator.SampleNotebookID + "/storage"},
	{http.MethodPost, notebooksPath + "/936bea3e-d3df-435e-8b58-d817283284ae/start"},
	{http.MethodPost, imagesPath},
	{http.MethodDelete, imagesPath + "/c9ab2b2f-edda-4556-bdbb-494e868d043c"},
	{http.MethodGet, notebooksPath},
	{http.MethodGet, notebooksPath + "/all"},
	{http.MethodGet, notebooksPath + "/flavors"},
	{http.MethodGet, imagesPath},
	{http.MethodGet, imagesPath + "/group"},
}

// FuzzNotebookRequests sends any body and query to the operations that
// read them: the emulator answers 200, or the vendor's error shape with a
// 4xx status and a ModelArts code, and never fails otherwise.
func FuzzNotebookRequests(f *testing.F) {
	for _, name := range []string{"create-request.json", "usecase-create-request.json", "update-request.json", "renew-request.json",
		"create-image-request.json", "attach-request.json", "register-request.json", "start-request.json"} {
		raw, _ := readNotebookSample(f, name)
		for i := range fuzzTargets {
			f.Add(uint8(i), raw, "")
		}
	}
	f.Add(uint8(0), `{"name":"n","flavor":"modelarts.vm.cpu.2u","image_id":"e1a07296-22a8-4f05-8bc8-e936c8e54090","volume":{"category":"EVS","ownership":"MANAGED","capacity":4096},"lease":{"duration":-1},"endpoints":[{"allowed_access_ips":["::1"]}]}`, "")
	f.Add(uint8(3), "", "duration=-1")
	f.Add(uint8(6), "", "duration=86400000&type=IDLE")
	f.Add(uint8(9), "", "limit=3&offset=2&sort_key=name,status&sort_dir=asc&feature=DEFAULT&workspaceId=0&status=RUNNING&name=note")
	f.Add(uint8(12), "", "name=py&name_fuzzy_match=false&type=BUILD_IN&service_type=COMMON&limit=1")
	f.Add(uint8(8), `{"is_force":true}`, "force=true")
	f.Fuzz(func(t *testing.T, target uint8, body, rawQuery string) {
		emu := emulator.MustNew(emulator.Options{RequestLog: options.None}) // fresh: creates do not pile up
		tg := fuzzTargets[int(target)%len(fuzzTargets)]
		req := httptest.NewRequestWithContext(t.Context(), tg.method, "http://emulator.invalid"+tg.path, strings.NewReader(body))
		req.URL.RawQuery = rawQuery
		req.Header.Set("X-Auth-Token", "t")
		w := httptest.NewRecorder()
		emu.ServeHTTP(w, req)
		if w.Code == http.StatusOK {
			if !json.Valid(w.Body.Bytes()) {
				t.Fatalf("%s %s?%s %q: 200 with a body that is not JSON: %q", tg.method, tg.path, rawQuery, body, w.Body)
			}
			return
		}
		var e map[string]string
		if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || w.Code < 400 || w.Code > 499 ||
			!strings.HasPrefix(e["error_code"], "ModelArts.") || e["error_msg"] == "" || len(e) != 2 {
			t.Fatalf("%s %s?%s %q: %d %q; want 200 or a 4xx ModelArts error", tg.method, tg.path, rawQuery, body, w.Code, w.Body)
		}
	})
}
