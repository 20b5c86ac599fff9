package emulator_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/devenv-facade/devenv-facade/internal/emulator"
)

// page is a decoded page envelope.
type page struct {
	current, pages, size, total int64
	names                       []string
}

// getPage lists path and decodes the envelope, the items' names in order.
func (f *fixture) getPage(t *testing.T, path string) page {
	t.Helper()
	got := wantOK(t, "GET "+path, f.call(t, http.MethodGet, path, ""))
	p := page{current: num(t, got, "current"), pages: num(t, got, "pages"), size: num(t, got, "size"), total: num(t, got, "total"), names: []string{}}
	for _, item := range got["data"].([]any) {
		p.names = append(p.names, str(t, item, "name"))
	}
	return p
}

// TestNotebookList_paging: the envelope for pages of a 23-notebook list:
// size the limit, pages ⌈total/size⌉, current offset/size, newest first.
func TestNotebookList_paging(t *testing.T) {
	t.Parallel()
	f := newFixture(t, emulator.Options{NoSamples: true})
	var names []string
	for i := range 23 {
		names = append(names, fmt.Sprintf("nb-%02d", i))
		f.emu.AddNotebook(project, emulator.Notebook{ID: fmt.Sprintf("id-%02d", i), Name: names[i], Status: emulator.NotebookStopped,
			CreatedAt: f.clock.Now().Add(time.Duration(i) * time.Minute)})
	}
	newest := func(from, n int) []string {
		var out []string
		for i := 22 - from; i >= 0 && len(out) < n; i-- {
			out = append(out, names[i])
		}
		return out
	}
	tests := []struct {
		query string
		want  page
	}{
		{"", page{0, 3, 10, 23, newest(0, 10)}},
		{"?limit=0", page{0, 3, 10, 23, newest(0, 10)}},
		{"?offset=10", page{1, 3, 10, 23, newest(10, 10)}},
		{"?offset=20", page{2, 3, 10, 23, newest(20, 10)}},
		{"?offset=23", page{2, 3, 10, 23, []string{}}},
		{"?offset=1000", page{100, 3, 10, 23, []string{}}},
		{"?limit=5&offset=10", page{2, 5, 5, 23, newest(10, 5)}},
		{"?limit=50", page{0, 1, 50, 23, newest(0, 50)}},
		{"?limit=1&offset=22", page{22, 23, 1, 23, []string{"nb-00"}}},
		{"?limit=2&sort_dir=ASC", page{0, 12, 2, 23, []string{"nb-00", "nb-01"}}},
		{"?limit=2&sort_dir=asc&sort_key=name", page{0, 12, 2, 23, []string{"nb-00", "nb-01"}}},
		{"?limit=2&sort_key=status,name", page{0, 12, 2, 23, []string{"nb-22", "nb-21"}}},
		{"?limit=2&sort_key=update_at", page{0, 12, 2, 23, []string{"nb-22", "nb-21"}}},
	}
	for _, tt := range tests {
		for _, path := range []string{notebooksPath, notebooksPath + "/all"} {
			if diff := cmp.Diff(tt.want, f.getPage(t, path+tt.query), cmp.AllowUnexported(page{})); diff != "" {
				t.Errorf("GET %s%s (-want +got):\n%s", path, tt.query, diff)
			}
		}
	}
	if p := newFixture(t, emulator.Options{NoSamples: true}).getPage(t, notebooksPath); !cmp.Equal(p, page{0, 0, 10, 0, []string{}}, cmp.AllowUnexported(page{})) {
		t.Errorf("an empty list: %+v; want size 10 and nothing else", p)
	}
}

// TestNotebookList_filters: each filter of the notebook lists on the
// sample notebooks.
func TestNotebookList_filters(t *testing.T) {
	t.Parallel()
	f := newFixture(t, emulator.Options{})
	f.emu.AddNotebook(project, emulator.Notebook{ID: "ws", Name: "in-a-workspace", Status: emulator.NotebookStopped,
		WorkspaceID: strings.Repeat("a", 32), PoolID: "pool-1"})
	all := "&sort_key=name&sort_dir=ASC&limit=50"
	tests := []struct {
		path string
		want []string
	}{
		{notebooksPath + "?feature=DEFAULT" + all, []string{"notebook_5ee4bf0e"}},
		{notebooksPath + "?feature=notebook&name=NOTEBOOKS" + all, []string{"notebooks_test", "notebooks_test"}},
		{notebooksPath + "?status=RUNNING" + all, []string{"notebook-ssh", "notebooks_test"}},
		{notebooksPath + "?status=frozen" + all, []string{"notebook-frozen"}},
		{notebooksPath + "?name=colleague" + all, []string{}},
		{notebooksPath + "/all?name=colleague" + all, []string{"notebook-colleague"}},
		{notebooksPath + "/all?owner=" + emulator.SampleColleague.ID + all, []string{"notebook-colleague"}},
		{notebooksPath + "?owner=" + emulator.SampleColleague.ID + "&name=colleague" + all, []string{}},
		{notebooksPath + "?workspaceId=" + strings.Repeat("a", 32) + all, []string{"in-a-workspace"}},
		{notebooksPath + "?workspace_id=" + strings.Repeat("a", 32) + all, []string{"in-a-workspace"}},
		{notebooksPath + "?pool_id=pool-1" + all, []string{}},
		{notebooksPath + "?pool_id=pool-1&workspaceId=" + strings.Repeat("a", 32) + all, []string{"in-a-workspace"}},
	}
	for _, tt := range tests {
		if got := f.getPage(t, tt.path).names; !cmp.Equal(tt.want, got) {
			t.Errorf("GET %s: %v; want %v", tt.path, got, tt.want)
		}
	}
	own, everyone := f.getPage(t, notebooksPath+"?limit=50"), f.getPage(t, notebooksPath+"/all?limit=50")
	if everyone.total != own.total+1 || own.total != int64(len(emulator.SampleNotebooks())-1) {
		t.Errorf("the caller's own list has %d, all users' %d; want the samples but the colleague's, and all of them", own.total, everyone.total)
	}
}

// TestNotebookList_errors: bad query parameters of the notebook lists.
func TestNotebookList_errors(t *testing.T) {
	t.Parallel()
	f := newFixture(t, emulator.Options{})
	tests := []struct {
		query, code, msg string
	}{
		{"limit=x", "ModelArts.6332", "Incorrect parameter type. The 'limit' parameter must be of the 'integer' type."},
		{"offset=1.5", "ModelArts.6332", ""},
		{"limit=-1", "ModelArts.6336", "'limit' property value is incorrect."},
		{"offset=-1", "ModelArts.6336", ""},
		{"sort_key=id", "ModelArts.6303", "The field does not support sorting."},
		{"sort_key=name,", "ModelArts.6303", ""},
		{"sort_dir=UP", "ModelArts.6336", "'sort_dir' property value is incorrect."},
		{"feature=FREE", "ModelArts.6336", ""},
		{"status=RESIZING", "ModelArts.6336", ""},
		{"name=a%20b", "ModelArts.6334", ""},
		{"name=" + strings.Repeat("n", 129), "ModelArts.6336", ""},
		{"owner=nobody", "ModelArts.6336", ""},
	}
	for _, tt := range tests {
		for _, path := range []string{notebooksPath, notebooksPath + "/all"} {
			got := f.call(t, http.MethodGet, path+"?"+tt.query, "")
			wantError(t, "GET "+path+"?"+tt.query, got, http.StatusBadRequest, tt.code)
			if tt.msg != "" && got.msg() != tt.msg {
				t.Errorf("GET %s?%s: message %q; want %q", path, tt.query, got.msg(), tt.msg)
			}
		}
	}
}

// TestImageList: the image list's paging (default 200), filters and
// errors.
func TestImageList(t *testing.T) {
	t.Parallel()
	f := newFixture(t, emulator.Options{})
	all := f.getPage(t, imagesPath)
	if all.size != 200 || all.pages != 1 || all.current != 0 || all.total != int64(len(all.names)) || all.total < 10 {
		t.Errorf("the image list: %+v; want every image on one page of 200", all)
	}
	tests := []struct {
		query string
		want  []string
	}{
		{"?type=DEDICATED&sort_key=name&sort_dir=ASC", []string{"123", "mock-service-python", "tensorflow2_1_1"}},
		{"?namespace=mock-service1", []string{"mock-service-python"}},
		{"?name=mindstudio", []string{"mindstudio5.0.rc1-cann5.1.0-euler2.8.3-aarch64"}},
		{"?name=mindstudio&name_fuzzy_match=false", []string{}},
		{"?name=123&name_fuzzy_match=FALSE", []string{"123"}},
		// Ties (the first two) broken by ID.
		{"?service_type=common&type=build_in&sort_key=updateTime&sort_dir=ASC", []string{"pytorch1.8-cuda10.2-cudnn7-ubuntu18.04", "notebook2.0-mul-kernel-cpu-cp36", "tensorflow2.1-cuda10.1-cudnn7-ubuntu18.04"}},
		{"?workspace_id=" + strings.Repeat("b", 32), []string{}},
	}
	for _, tt := range tests {
		if got := f.getPage(t, imagesPath+tt.query).names; !cmp.Equal(tt.want, got) {
			t.Errorf("GET images%s: %v; want %v", tt.query, got, tt.want)
		}
	}
	p := f.getPage(t, imagesPath+"?limit=2&offset=8")
	if p.current != 4 || p.size != 2 || p.pages != (all.total+1)/2 || len(p.names) != 2 {
		t.Errorf("images?limit=2&offset=8: %+v; want page 4 of size 2, as the list sample", p)
	}
	for q, code := range map[string]string{"limit=x": "ModelArts.6332", "name_fuzzy_match=yes": "ModelArts.6332", "type=PUBLIC": "ModelArts.6336",
		"service_type=x": "ModelArts.6336", "name=UPPER": "ModelArts.6336", "sort_key=size": "ModelArts.6303"} {
		wantError(t, "GET images?"+q, f.call(t, http.MethodGet, imagesPath+"?"+q, ""), http.StatusBadRequest, code)
	}
}

// TestFlavors: the flavor list (unlimited unless asked), its filters, and
// the flavors a notebook may switch to.
func TestFlavors(t *testing.T) {
	t.Parallel()
	f := newFixture(t, emulator.Options{})
	all := f.getPage(t, notebooksPath+"/flavors")
	if all.size != all.total || all.pages != 1 || all.total != 7 {
		t.Errorf("flavors: %+v; want the 7 of the catalog on one page", all)
	}
	got := wantOK(t, "flavors", f.call(t, http.MethodGet, notebooksPath+"/flavors?category=GPU", ""))
	if diff := cmp.Diff(got["data"], got["flavors"]); diff != "" || num(t, got, "total") != 2 {
		t.Errorf("GPU flavors: %v; want 2, under data and flavors alike", got)
	}
	tests := []struct {
		path string
		want []string
	}{
		{notebooksPath + "/flavors?type=DEDICATED&category=cpu", []string{"CPU: 2 vCPUs 8 GB", "CPU: 8 vCPUs 32 GB", "CPU: 48vCPUs 192GB", "CPU: 192vCPUs 768GB"}},
		{notebooksPath + "/flavors?sort_key=vcpus&limit=2", []string{"CPU: 192vCPUs 768GB", "CPU: 48vCPUs 192GB"}},
		{notebooksPath + "/flavors?sort_key=vcpus&sort_dir=ASC&limit=2&offset=1", []string{"CPU: 2 vCPUs 8 GB", "GPU: 1*NVIDIA-V100-NVlink(32GB) | CPU: 8 vCPUs 64 GB"}}, // 8 vCPUs: ties by ID
		{notebookPath("5f4e3d2c-1b0a-4987-a6b5-c4d3e2f1a0b9", "/flavors"), []string{"CPU: 48vCPUs 192GB", "CPU: 192vCPUs 768GB"}},
		{notebookPath("f9937afa-ca78-45b6-bc12-7ecf42553c48", "/flavors"), []string{"CPU: 1 vCPUs 4 GB"}},
		{notebookPath(emulator.SampleSSHNotebookID, "/flavors?limit=1"), []string{"CPU: 2 vCPUs 8 GB"}},
	}
	for _, tt := range tests {
		if got := f.getPage(t, tt.path).names; !cmp.Equal(tt.want, got) {
			t.Errorf("GET %s: %v; want %v", tt.path, got, tt.want)
		}
	}
	for _, q := range []string{"category=TPU", "type=SHARED", "limit=x", "offset=-2", "sort_key=price"} {
		if got := f.call(t, http.MethodGet, notebooksPath+"/flavors?"+q, ""); got.status != http.StatusBadRequest {
			t.Errorf("flavors?%s: %d %s; want 400", q, got.status, got.raw)
		}
	}
	wantError(t, "switchable flavors of an unknown notebook", f.call(t, http.MethodGet, notebookPath("missing", "/flavors"), ""), 400, "ModelArts.6309")
}

// TestImageGroups: the groups aggregate the caller's images by
// organisation and name.
func TestImageGroups(t *testing.T) {
	t.Parallel()
	f := newFixture(t, emulator.Options{})
	for _, tag := range []string{"1", "2"} {
		wantOK(t, "register", f.call(t, http.MethodPost, imagesPath, `{"swr_path":"swr.example.com/team/tool:`+tag+`"}`))
	}
	got := wantOK(t, "groups", f.call(t, http.MethodGet, imagesPath+"/group?namespace=team", ""))
	data := got["data"].([]any)
	if len(data) != 1 || num(t, data[0], "version_count") != 2 || str(t, data[0], "name") != "tool" || num(t, got, "total") != 1 {
		t.Errorf("groups of team: %v; want tool with 2 versions", got)
	}
	if p := f.getPage(t, imagesPath+"/group"); p.total != 4 {
		t.Errorf("groups: %+v; want the 3 sample groups and team/tool", p)
	}
	if p := f.getPage(t, imagesPath+"/group?type=BUILD_IN&name=pytorch"); !cmp.Equal(p.names, []string{"pytorch1.8-cuda10.2-cudnn7-ubuntu18.04"}) {
		t.Errorf("built-in groups named pytorch: %v", p.names)
	}
	wantError(t, "groups?type=x", f.call(t, http.MethodGet, imagesPath+"/group?type=x", ""), 400, "ModelArts.6336")
}
