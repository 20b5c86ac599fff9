package emulator_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/devenv-facade/devenv-facade/internal/emulator"
)

// TestNotebookErrorsMatchVendorTable checks every ModelArts error the new
// API's routes can send against the vendor's error-code table: same HTTP
// status, same code, same message (placeholders filled). The one
// exception is 6768, which the table gives HTTP "100", no final status:
// the emulator answers 400.
func TestNotebookErrorsMatchVendorTable(t *testing.T) {
	t.Parallel()
	table := readVendorTable(t)
	f := newFixture(t, emulator.Options{})
	const (
		stopped = "936bea3e-d3df-435e-8b58-d817283284ae"
		frozen  = "4d5e6f70-8192-4a3b-bc4d-5e6f708192a3"
		sshOnly = "e1a07296-22a8-4f05-8bc8-e936c8e54088"
	)
	running, ssh := emulator.SampleNotebookID, emulator.SampleSSHNotebookID
	f.emu.AddNotebook(project, emulator.Notebook{ID: "starting", Status: emulator.NotebookStarting})
	f.emu.AddNotebook(project, emulator.Notebook{ID: "stopping", Status: emulator.NotebookStopping})
	var mounts []emulator.Mount
	for i := range emulator.MaxMounts {
		mounts = append(mounts, emulator.Mount{ID: strconv.Itoa(i), MountPath: "/data/" + strconv.Itoa(i) + "/", Status: emulator.MountMounted})
	}
	f.emu.AddNotebook(project, emulator.Notebook{ID: "full", Status: emulator.NotebookRunning, Mounts: mounts})
	type req struct{ method, path, body string }
	reqs := []req{
		{"GET", notebookPath("missing", ""), ""},                                                                                    // 6309
		{"POST", notebooksPath, ""},                                                                                                 // 6400
		{"POST", notebooksPath, notebookBody(t, "name", 1)},                                                                         // 6332
		{"POST", notebooksPath, notebookBody(t, "name", "a b")},                                                                     // 6334
		{"POST", notebooksPath, notebookBody(t, "name", del)},                                                                       // 6335
		{"POST", notebooksPath, notebookBody(t, "feature", "x")},                                                                    // 6336
		{"POST", notebooksPath, notebookBody(t, "volume.category", "x")},                                                            // 6324
		{"POST", notebooksPath, notebookBody(t, "volume.category", "evs", "volume.capacity", 1)},                                    // 6331
		{"POST", notebooksPath, notebookBody(t, "duration", 1)},                                                                     // 6349
		{"POST", notebooksPath, notebookBody(t, "workspace_id", "x")},                                                               // 0102
		{"POST", notebooksPath, notebookBody(t, "flavor", "x")},                                                                     // 6323
		{"POST", notebooksPath, notebookBody(t, "flavor", "modelarts.vm.gpu.p4")},                                                   // 6716
		{"POST", notebooksPath, notebookBody(t, "feature", "DEFAULT")},                                                              // 6870
		{"POST", notebooksPath, notebookBody(t, "image_id", "x")},                                                                   // 6797
		{"POST", notebooksPath, notebookBody(t, "image_id", sshOnly, "flavor", "modelarts.bm.snt9.xlarge.2")},                       // 6768
		{"POST", notebooksPath, notebookBody(t, "feature", "DEFAULT", "flavor", "modelarts.vm.cpu.free", "volume.category", "EVS")}, // 0113
		{"GET", notebooksPath + "?sort_key=x", ""},                                                                                  // 6303
		{"POST", notebookPath(running, "/start"), ""},                                                                               // 6305
		{"POST", notebookPath("starting", "/start"), ""},                                                                            // 6306
		{"POST", notebookPath("stopping", "/stop"), ""},                                                                             // 6308
		{"POST", notebookPath(stopped, "/stop"), ""},                                                                                // 6357
		{"POST", notebookPath(frozen, "/start"), ""},                                                                                // 6326
		{"GET", notebookPath(stopped, "/lease"), ""},                                                                                // 6327
		{"PATCH", notebookPath(running, "/lease"), "{}"},                                                                            // 6348
		{"PUT", notebookPath(running, ""), `{"flavor":"modelarts.vm.cpu.8u"}`},                                                      // 6347
		{"PUT", notebookPath(stopped, ""), `{"flavor":"modelarts.bm.snt9.xlarge.2"}`},                                               // 6792
		{"PUT", notebookPath(ssh, ""), `{"storage_new_size":1000}`},                                                                 // 6331
		{"POST", notebookPath(running, "/create-image"), `{"name":"notebook2.0-mul-kernel-cpu-cp36","namespace":"atelier","tag":"3.3.2-release_v1"}`}, // 6737
		{"POST", notebookPath(running, "/storage"), `{"category":"OBS","mount_path":"/data/a/","uri":"obs://b/"}`},                                    // 6358
		{"POST", notebookPath("full", "/storage"), `{"category":"OBS","mount_path":"/data/a/","uri":"obs://b/a/"}`},                                   // 0118
		{"DELETE", imagesPath + "/" + emulator.SampleImageID, ""},                                                                                     // 0108
		{"GET", imagesPath + "/x", ""},           // 6797
		{"GET", notebooksPath + "?limit=-1", ""}, // 6336
	}
	codes := map[string]bool{}
	for _, r := range reqs {
		got := f.call(t, r.method, r.path, r.body)
		what := r.method + " " + r.path
		if got.status < 400 || got.code() == "" {
			t.Errorf("%s: %d %s; want an error", what, got.status, got.raw)
			continue
		}
		wantError(t, what, got, got.status, got.code())
		codes[got.code()] = true
		status := strconv.Itoa(got.status)
		if got.code() == "ModelArts.6768" && got.status == http.StatusBadRequest {
			status = "100"
		}
		msg, ok := table[status+"\t"+got.code()]
		if !ok {
			t.Errorf("%s: HTTP %d %s is not in the vendor table", what, got.status, got.code())
			continue
		}
		if !messagePattern(msg).MatchString(got.msg()) || strings.Contains(got.msg(), "{") {
			t.Errorf("%s: message %q; vendor table says %q", what, got.msg(), msg)
		}
	}
	for _, c := range []string{"0102", "0108", "0113", "0118", "6303", "6305", "6306", "6308", "6309", "6323", "6324", "6326", "6327",
		"6331", "6332", "6334", "6335", "6336", "6347", "6348", "6349", "6357", "6358", "6400", "6716", "6737", "6768", "6792", "6797", "6870"} {
		if !codes["ModelArts."+c] {
			t.Errorf("ModelArts.%s was not checked against the table", c)
		}
	}
}
