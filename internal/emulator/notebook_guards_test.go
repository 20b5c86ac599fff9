package emulator_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/devenv-facade/devenv-facade/internal/emulator"
)

// TestNotebook_guards tries every state-dependent operation on a notebook
// in each of the 14 statuses: the codes of the fact sheet's §3.3 (and the
// choices of §9.3, §9.4, §9.18), and a refused operation changes nothing.
func TestNotebook_guards(t *testing.T) {
	t.Parallel()
	const ok = "ok"
	type op struct {
		name, method, suffix, body string
	}
	ops := []op{
		{"start", http.MethodPost, "/start", ""},
		{"stop", http.MethodPost, "/stop", ""},
		{"delete", http.MethodDelete, "", ""},
		{"renew", http.MethodPatch, "/lease", `{"duration":3600000}`},
		{"lease", http.MethodGet, "/lease", ""},
		{"image", http.MethodPost, "/create-image", `{"name":"img","namespace":"ns","tag":"t"}`},
		{"attach", http.MethodPost, "/storage", `{"category":"OBS","mount_path":"/data/x/","uri":"obs://b/x/"}`},
		{"detach", http.MethodDelete, "/storage/m-1", ""},
		{"name", http.MethodPut, "", `{"name":"renamed"}`},
		{"hooks", http.MethodPut, "", `{"hooks":{"container_hooks":{"pre_start":{"script":"/home/ma-user/pre.sh"}}}}`},
		{"flavor", http.MethodPut, "", `{"flavor":"modelarts.vm.cpu.8u"}`},
		{"image_id", http.MethodPut, "", `{"image_id":"278e88d1-5b71-4766-8502-b3ba72e824d9"}`},
		{"endpoints", http.MethodPut, "", `{"endpoints":[{"service":"SSH","key_pair_names":["k"]}]}`},
		{"storage", http.MethodPut, "", `{"storage_new_size":60}`},
		{"show", http.MethodGet, "", ""},
		{"switchable", http.MethodGet, "/flavors", ""},
		{"mounts", http.MethodGet, "/storage", ""},
	}
	//                                       start  stop   delete renew  lease  image  attach detach name   hooks  flavor image  endp.  storage
	busy := []string{"6357", "6357", "6357", "6357", "6327", "6357", "6357", "6357", "6357", "6357", "6357", "6357", "6357", "6357"}
	failed := []string{"6357", "6357", ok, "6327", "6327", "6327", "6327", "6327", "6347", "6347", "6347", "6347", "6347", "6347"}
	tests := []struct {
		status emulator.NotebookStatus
		codes  []string
	}{
		{emulator.NotebookInit, busy},
		{emulator.NotebookCreating, busy},
		{emulator.NotebookStarting, []string{"6306", "6306", "6357", "6357", "6327", "6357", "6357", "6357", "6357", "6357", "6357", "6357", "6357", "6357"}},
		{emulator.NotebookRunning, []string{"6305", ok, ok, ok, ok, ok, ok, ok, ok, ok, "6347", "6347", "6347", ok}},
		{emulator.NotebookStopping, []string{"6308", "6308", "6357", "6357", "6327", "6357", "6357", "6357", "6357", "6357", "6357", "6357", "6357", "6357"}},
		{emulator.NotebookStopped, []string{ok, "6357", ok, "6327", "6327", "6327", "6327", "6327", ok, ok, ok, ok, ok, "6347"}},
		{emulator.NotebookSnapshotting, busy},
		{emulator.NotebookDeleting, busy},
		{emulator.NotebookDeleted, failed},
		{emulator.NotebookCreateFailed, failed},
		{emulator.NotebookStartFailed, append([]string{ok}, failed[1:]...)},
		{emulator.NotebookDeleteFailed, failed},
		{emulator.NotebookError, failed},
		{emulator.NotebookFrozen, []string{"6326", "6326", "6326", "6326", "6327", "6326", "6326", "6326", "6326", "6326", "6326", "6326", "6326", "6326"}},
	}
	f := newFixture(t, emulator.Options{NoSamples: true})
	for _, tt := range tests {
		// Reads work in any status.
		codes := slices.Concat(tt.codes, []string{ok, ok, ok})
		for i, o := range ops {
			id := strings.ToLower(string(tt.status)) + "-" + o.name
			f.emu.AddNotebook(project, emulator.Notebook{ID: id, Name: id, Status: tt.status,
				Volume: emulator.Volume{Category: "EVS", Ownership: "MANAGED", Capacity: 50},
				Mounts: []emulator.Mount{{ID: "m-1", Category: "OBSFS", MountPath: "/data/m/", URI: "obs://b/m/", Status: emulator.MountMounted}}})
			got := f.call(t, o.method, notebookPath(id, o.suffix), o.body)
			what := o.name + " while " + string(tt.status)
			if codes[i] == ok {
				if got.status != http.StatusOK {
					t.Errorf("%s: %d %s; want 200", what, got.status, got.raw)
				}
				continue
			}
			wantError(t, what, got, http.StatusBadRequest, "ModelArts."+codes[i])
			if nb, _ := f.emu.Notebook(project, id); nb.Status != tt.status || nb.Name != id || nb.Flavor != "modelarts.vm.cpu.2u" ||
				len(nb.Mounts) != 1 || nb.Mounts[0].Status != emulator.MountMounted || nb.Volume.Capacity != 50 {
				t.Errorf("%s was refused, yet the notebook changed: %+v", what, nb)
			}
		}
	}
}

// TestNotebook_fieldLockedMessage: 6347 names the status and the field.
func TestNotebook_fieldLockedMessage(t *testing.T) {
	t.Parallel()
	f := newFixture(t, emulator.Options{})
	got := f.call(t, http.MethodPut, notebookPath(emulator.SampleNotebookID, ""), `{"description":"ok","flavor":"modelarts.vm.cpu.8u"}`)
	wantError(t, "flavor while RUNNING", got, http.StatusBadRequest, "ModelArts.6347")
	if want := "When the instance is in the 'RUNNING' status, the 'flavor' parameter cannot be modified."; got.msg() != want {
		t.Errorf("message %q; want %q", got.msg(), want)
	}
	if nb := f.showNotebook(t, emulator.SampleNotebookID); str(t, nb, "description") != "api-test" {
		t.Errorf("a refused update changed the description to %q", str(t, nb, "description"))
	}
}
