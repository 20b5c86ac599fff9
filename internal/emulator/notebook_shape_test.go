package emulator_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/devenv-facade/devenv-facade/internal/emulator"
)

// The fields the new API's reference documents for each object: its
// response tables' fields and those its samples show (create_at,
// update_at, user_id, tags and data_volumes of a notebook). An answer may
// carry a documented field a given sample leaves out (the samples
// disagree with each other: the page's create answer has no create_at,
// the use case's has it), never one outside these lists.
var (
	notebookFields = map[string][]string{
		"": {"action_progress", "billing_items", "create_at", "data_volumes", "description", "endpoints", "fail_reason",
			"feature", "flavor", "id", "image", "lease", "name", "pool", "status", "tags", "token", "update_at", "url",
			"user", "user_id", "volume", "workspace_id"},
		"action_progress[]": {"description", "notebook_id", "status", "step", "step_description"},
		// key_pair_names: the request's name for ssh_keys, sent too (§9.12).
		"endpoints[]": {"allowed_access_ips", "dev_service", "key_pair_names", "service", "ssh_keys", "uri"},
		"image":       {"description", "id", "name", "swr_path", "tag", "type"},
		"lease":       leaseFields,
		"pool":        {"id", "name"},
		"user":        {"domain", "id", "name"},
		"user.domain": {"id", "name"},
		"volume":      {"capacity", "category", "mount_path", "ownership", "read_only", "status"},
	}
	leaseFields = []string{"create_at", "duration", "enable", "type", "update_at"}
	imageFields = []string{"arch", "create_at", "description", "dev_services", "id", "name", "namespace", "origin",
		"resource_categories", "service_type", "size", "status", "status_message", "support_res_categories", "swr_path",
		"tag", "tags", "type", "update_at", "visibility", "workspace_id"}
	flavorFields = []string{"arch", "billing", "category", "description", "feature", "free", "gpu", "id", "memory", "name",
		"sold_out", "storages", "vcpus"}
	mountFields = []string{"category", "id", "mount_path", "status", "uri"}
	groupFields = []string{"create_at", "name", "namespace", "update_at", "version_count"}
	pageFields  = []string{"current", "data", "pages", "size", "total"}
)

// documented returns the documented fields of an object kind, at the top
// (prefix "") or under a prefix (such as "data[]." for a page's items).
func documented(object map[string][]string, prefix string) map[string][]string {
	out := map[string][]string{}
	for k, v := range object {
		out[strings.TrimSuffix(prefix+k, ".")] = v
	}
	return out
}

// pageOf returns the documented fields of a page of items.
func pageOf(items map[string][]string, extra ...string) map[string][]string {
	out := documented(items, "data[].")
	out[""] = append(slices.Clone(pageFields), extra...)
	return out
}

// flavorPageFields are the documented fields of a flavor list: a page
// whose items are under data and under flavors (§9.12).
var flavorPageFields = func() map[string][]string {
	flavor := map[string][]string{"": flavorFields, "billing": {"code", "unit_num"}, "gpu": {"gpu", "gpu_memory", "type"}}
	out := pageOf(flavor, "flavors")
	for k, v := range documented(flavor, "flavors[].") {
		out[k] = v
	}
	return out
}()

// shapeDiffs reports every difference between a sample answer and an
// answer: a key of the sample missing from the answer, a value of another
// JSON type, a key of the answer that the reference does not document.
// An array's items are compared with the sample's first; a sample item's
// keys must all be in at least one of the answer's items.
func shapeDiffs(path string, sample, got any, fields map[string][]string) []string {
	if jsonKind(sample) != jsonKind(got) {
		return []string{path + ": " + jsonKind(got) + "; the sample has " + jsonKind(sample)}
	}
	var diffs []string
	switch s := sample.(type) {
	case map[string]any:
		g := got.(map[string]any)
		for k, sv := range s {
			gv, ok := g[k]
			if !ok {
				diffs = append(diffs, join(path, k)+": missing")
				continue
			}
			diffs = append(diffs, shapeDiffs(join(path, k), sv, gv, fields)...)
		}
		for k, gv := range g {
			if _, inSample := s[k]; inSample {
				continue
			}
			if !slices.Contains(fields[path], k) {
				diffs = append(diffs, join(path, k)+": not documented")
				continue
			}
			diffs = append(diffs, undocumented(join(path, k), gv, fields)...)
		}
	case []any:
		g := got.([]any)
		if len(s) == 0 {
			for _, gv := range g {
				diffs = append(diffs, undocumented(path+"[]", gv, fields)...)
			}
			break
		}
		if len(g) == 0 {
			break
		}
		best := []string(nil)
		for i, gv := range g {
			d := shapeDiffs(path+"[]", s[0], gv, fields)
			if i == 0 || len(d) < len(best) {
				best = d
			}
		}
		diffs = append(diffs, best...)
	}
	return diffs
}

// undocumented reports the keys of a value the sample does not show that
// the reference does not document either.
func undocumented(path string, v any, fields map[string][]string) []string {
	var diffs []string
	switch v := v.(type) {
	case map[string]any:
		for k, gv := range v {
			if !slices.Contains(fields[path], k) {
				diffs = append(diffs, join(path, k)+": not documented")
				continue
			}
			diffs = append(diffs, undocumented(join(path, k), gv, fields)...)
		}
	case []any:
		for _, gv := range v {
			diffs = append(diffs, undocumented(path+"[]", gv, fields)...)
		}
	}
	return diffs
}

func join(path, k string) string {
	if path == "" {
		return k
	}
	return path + "." + k
}

// readNotebookSample reads a sample of the new API's reference pages,
// numbers as json.Number.
func readNotebookSample(t testing.TB, name string) (raw string, v any) {
	t.Helper()
	b, err := os.ReadFile("testdata/notebook-reference/" + name)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		t.Fatal(err)
	}
	return string(b), v
}

// TestNotebookShape_samples sends each sample request of the new API's
// pages (or the call the page shows) to the sample fixture and checks the
// answer against the page's sample answer: the same keys with the same
// JSON types (timestamps numbers, never strings), nothing undocumented,
// and the same status where the sample shows one.
func TestNotebookShape_samples(t *testing.T) {
	t.Parallel()
	nb := documented(notebookFields, "")
	image := map[string][]string{"": imageFields}
	const (
		stopped   = "936bea3e-d3df-435e-8b58-d817283284ae"
		creating  = "f9937afa-631e-4a8f-a8f7-3b6c800585f0"
		free      = "f9937afa-ca78-45b6-bc12-7ecf42553c48"
		ascend    = "5f4e3d2c-1b0a-4987-a6b5-c4d3e2f1a0b9"
		mockImage = "c9ab2b2f-edda-4556-bdbb-494e868d043c"
	)
	tests := []struct {
		name, method, path, request, sample string
		fields                              map[string][]string
		before                              func(*testing.T, *fixture)
	}{
		{"create", "POST", notebooksPath, "create-request.json", "create-response.json", nb, nil},
		{"create_use_case", "POST", notebooksPath, "usecase-create-request.json", "usecase-create-response.json", nb, nil},
		{"list", "GET", notebooksPath, "", "list-response.json", pageOf(notebookFields), nil},
		{"list_all", "GET", notebooksPath + "/all", "", "list-all-response.json", pageOf(notebookFields), nil},
		{"show", "GET", notebookPath(creating, ""), "", "show-response.json", nb, nil},
		{"show_use_case", "GET", notebookPath(emulator.SampleNotebookID, ""), "", "usecase-show-response.json", nb, nil},
		{"update", "PUT", notebookPath(stopped, ""), "update-request.json", "update-response.json", nb, nil},
		{"delete", "DELETE", notebookPath(free, ""), "", "delete-response.json", nb, nil},
		{"start", "POST", notebookPath(stopped, "/start"), "start-request.json", "start-response.json", nb, nil},
		{"start_use_case", "POST", notebookPath(stopped, "/start"), "", "usecase-start-response.json", nb, nil},
		{"stop", "POST", notebookPath(emulator.SampleNotebookID, "/stop"), "", "stop-response.json", nb, nil},
		{"stop_use_case", "POST", notebookPath(emulator.SampleNotebookID, "/stop"), "", "usecase-stop-response.json", nb, nil},
		{"show_lease", "GET", notebookPath(emulator.SampleNotebookID, "/lease"), "", "lease-response.json", map[string][]string{"": leaseFields}, nil},
		{"renew_lease", "PATCH", notebookPath(emulator.SampleNotebookID, "/lease"), "renew-request.json", "renew-response.json", map[string][]string{"": leaseFields}, nil},
		{"renew_lease_use_case", "PATCH", notebookPath(emulator.SampleNotebookID, "/lease"), "usecase-renew-request.json", "usecase-renew-response.json", map[string][]string{"": leaseFields}, nil},
		{"create_image", "POST", notebookPath(emulator.SampleNotebookID, "/create-image"), "create-image-request.json", "create-image-response.json", image, nil},
		{"flavors", "GET", notebooksPath + "/flavors", "", "flavors-response.json", flavorPageFields, nil},
		{"switchable_flavors", "GET", notebookPath(ascend, "/flavors"), "", "switchable-flavors-response.json", flavorPageFields, nil},
		{"list_mounts", "GET", notebookPath(emulator.SampleSSHNotebookID, "/storage"), "", "storage-list-response.json", pageOf(map[string][]string{"": mountFields}), nil},
		{"attach", "POST", notebookPath(emulator.SampleNotebookID, "/storage"), "attach-request.json", "attach-response.json", map[string][]string{"": mountFields}, nil},
		{"show_mount", "GET", notebookPath(emulator.SampleSSHNotebookID, "/storage/"+emulator.SampleMountID), "", "storage-show-response.json", map[string][]string{"": mountFields}, nil},
		{"detach", "DELETE", notebookPath(emulator.SampleSSHNotebookID, "/storage/"+emulator.SampleMountID), "", "detach-response.json", map[string][]string{"": mountFields}, nil},
		{"list_images", "GET", imagesPath, "", "images-response.json", pageOf(image), nil},
		{"list_images_use_case", "GET", imagesPath, "", "usecase-images-response.json", pageOf(image), nil},
		{"register_image", "POST", imagesPath, "register-request.json", "register-response.json", image, nil},
		{"image_groups", "GET", imagesPath + "/group", "", "image-groups-response.json", pageOf(map[string][]string{"": groupFields}),
			func(t *testing.T, f *fixture) {
				wantOK(t, "register", f.call(t, "POST", imagesPath, mustRead(t, "register-request.json")))
			}},
		{"show_image", "GET", imagesPath + "/278e88d1-5b71-4766-8502-b3ba72e824d9", "", "image-show-response.json", image, nil},
		{"delete_image", "DELETE", imagesPath + "/" + mockImage, "", "image-delete-response.json", image, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, emulator.Options{})
			if tt.before != nil {
				tt.before(t, f)
			}
			var body string
			if tt.request != "" {
				body = mustRead(t, tt.request)
			}
			if tt.name == "stop" || tt.name == "stop_use_case" || tt.name == "start" || tt.name == "start_use_case" {
				// The start and stop samples come from a notebook that
				// was stopped, or running, for a while.
				f.clock.Advance(testLifecycle.Stop)
			}
			got := f.call(t, tt.method, tt.path, body)
			if got.status != http.StatusOK {
				t.Fatalf("%s %s: %d %s", tt.method, tt.path, got.status, got.raw)
			}
			_, sample := readNotebookSample(t, tt.sample)
			for _, d := range shapeDiffs("", sample, got.body, tt.fields) {
				t.Errorf("%s: %s\nanswer: %s", tt.sample, d, got.raw)
			}
			s, _ := sample.(map[string]any)
			g := got.obj(t)
			// The use case's create answers RUNNING; the emulator answers
			// CREATING, as the create page does (§9.16).
			if st, ok := s["status"]; ok && g["status"] != st && tt.name != "create_use_case" {
				t.Errorf("status %v; the sample has %v", g["status"], st)
			}
			for _, k := range []string{"create_at", "update_at"} {
				if v, ok := g[k].(json.Number); ok && len(v.String()) != 13 {
					t.Errorf("%s = %s; want 13-digit epoch milliseconds", k, v)
				}
			}
		})
	}
}

// mustRead reads a sample file as it is.
func mustRead(t *testing.T, name string) string {
	t.Helper()
	raw, _ := readNotebookSample(t, name)
	return raw
}

// TestNotebookShape_noNulls: no answer of the new API carries a JSON null
// (its samples leave absent fields out, unlike the old API's).
func TestNotebookShape_noNulls(t *testing.T) {
	t.Parallel()
	f := newFixture(t, emulator.Options{})
	for _, path := range []string{notebooksPath + "/all?limit=50", imagesPath, notebooksPath + "/flavors",
		notebookPath(emulator.SampleSSHNotebookID, "/storage"), imagesPath + "/group?type=BUILD_IN"} {
		got := f.call(t, http.MethodGet, path, "")
		if got.status != http.StatusOK || strings.Contains(got.raw, "null") {
			t.Errorf("GET %s: %d %s; want 200 without null", path, got.status, got.raw)
		}
	}
}
