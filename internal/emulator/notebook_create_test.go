package emulator_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/devenv-facade/devenv-facade/internal/emulator"
)

// check is a request and the error it must get.
type check struct {
	name, body, code, msg string
}

// runChecks sends each check's body to method path and checks the error.
func runChecks(t *testing.T, f *fixture, method, path string, checks []check) {
	t.Helper()
	for _, c := range checks {
		got := f.call(t, method, path, c.body)
		status := http.StatusBadRequest
		if c.code == "ModelArts.0108" {
			status = http.StatusForbidden
		}
		wantError(t, c.name, got, status, c.code)
		if c.msg != "" && got.msg() != c.msg {
			t.Errorf("%s: message %q; want %q", c.name, got.msg(), c.msg)
		}
	}
}

// TestNotebookCreate_validation: each create rule, its code and message.
func TestNotebookCreate_validation(t *testing.T) {
	t.Parallel()
	f := newFixture(t, emulator.Options{})
	b := func(edits ...any) string { return notebookBody(t, edits...) }
	sshOnly := "e1a07296-22a8-4f05-8bc8-e936c8e54088" // mindstudio, aarch64, SSH only
	runChecks(t, f, http.MethodPost, notebooksPath, []check{
		{"no body", "", "ModelArts.6400", "Invalid request payload (empty body), please check."},
		{"not JSON", "{", "ModelArts.6400", ""},
		{"an array", "[]", "ModelArts.6400", ""},
		{"name missing", b("name", del), "ModelArts.6335", "'name' is a required property."},
		{"name a number", b("name", 7), "ModelArts.6332", "Incorrect parameter type. The 'name' parameter must be of the 'string' type."},
		{"name with a space", b("name", "a b"), "ModelArts.6334", "Invalid value for name or description. The character ` ` is not allowed."},
		{"name in Chinese", b("name", "笔记"), "ModelArts.6334", ""},
		{"name of 129", b("name", strings.Repeat("n", 129)), "ModelArts.6336", "'name' property value is incorrect."},
		{"description with '", b("description", "it's"), "ModelArts.6334", "Invalid value for name or description. The character `'` is not allowed."},
		{"description of 513", b("description", strings.Repeat("d", 513)), "ModelArts.6336", ""},
		{"flavor missing", b("flavor", del), "ModelArts.6335", "'flavor' is a required property."},
		{"image_id missing", b("image_id", del), "ModelArts.6335", "'image_id' is a required property."},
		{"volume missing", b("volume", del), "ModelArts.6335", "'volume' is a required property."},
		{"category missing", b("volume.category", del), "ModelArts.6335", "'category' is a required property."},
		{"ownership missing", b("volume.ownership", del), "ModelArts.6335", "'ownership' is a required property."},
		{"category OBS", b("volume.category", "OBS"), "ModelArts.6324", "This location type is not supported. Please check it."},
		{"ownership other", b("volume.ownership", "SHARED"), "ModelArts.6336", "'ownership' property value is incorrect."},
		{"dedicated EVS", b("volume.category", "evs", "volume.ownership", "dedicated"), "ModelArts.6336", ""},
		{"dedicated EFS without uri", b("volume.ownership", "DEDICATED"), "ModelArts.6335", "'uri' is a required property."},
		{"dedicated EFS without id", b("volume.ownership", "DEDICATED", "volume.uri", "192.168.0.1:/share/"), "ModelArts.6335", "'id' is a required property."},
		{"EVS of 4", b("volume.category", "EVS", "volume.capacity", 4), "ModelArts.6331", "The evs volume size ranges from 5 GB to 4096 GB."},
		{"EVS of 4097", b("volume.category", "EVS", "volume.capacity", 4097), "ModelArts.6331", ""},
		{"EFS of 0", b("volume.capacity", 0), "ModelArts.6336", "'capacity' property value is incorrect."},
		{"capacity a string", b("volume.capacity", "50"), "ModelArts.6332", "Incorrect parameter type. The 'capacity' parameter must be of the 'integer' type."},
		{"feature other", b("feature", "FREE"), "ModelArts.6336", "'feature' property value is incorrect."},
		{"duration too short", b("duration", 3599999), "ModelArts.6349", "The 'duration' parameter is incorrect. The value ranges from 3600000 to 86400000."},
		{"duration too long", b("duration", 86400001), "ModelArts.6349", ""},
		{"duration -2", b("duration", -2), "ModelArts.6349", ""},
		{"duration a fraction", b("duration", 3600000.5), "ModelArts.6332", ""},
		{"lease too short", b("lease", map[string]any{"duration": 60000}), "ModelArts.6349", ""},
		{"lease type other", b("lease", map[string]any{"type": "weekly"}), "ModelArts.6336", "'type' property value is incorrect."},
		{"six IPs", b("endpoints", []any{map[string]any{"service": "SSH", "allowed_access_ips": []string{"1.1.1.1", "1.1.1.2", "1.1.1.3", "1.1.1.4", "1.1.1.5", "1.1.1.6"}}}), "ModelArts.6336", "'allowed_access_ips' property value is incorrect."},
		{"not an IP", b("endpoints", []any{map[string]any{"allowed_access_ips": []string{"example.com"}}}), "ModelArts.6336", ""},
		{"service other", b("endpoints", []any{map[string]any{"service": "RDP"}}), "ModelArts.6336", "'service' property value is incorrect."},
		{"service twice", b("endpoints", []any{map[string]any{"service": "SSH"}, map[string]any{"dev_service": "ssh"}}), "ModelArts.6336", "'endpoints' property value is incorrect."},
		{"empty key pair", b("endpoints", []any{map[string]any{"key_pair_names": []string{""}}}), "ModelArts.6336", ""},
		{"hook without script", b("hooks", map[string]any{"container_hooks": map[string]any{"pre_start": map[string]any{"type": "SCRIPT"}}}), "ModelArts.6335", "'script' is a required property."},
		{"hook script relative", b("hooks", map[string]any{"container_hooks": map[string]any{"post_start": map[string]any{"script": "run.sh"}}}), "ModelArts.6336", "'script' property value is incorrect."},
		{"hook command not Base64", b("hooks", map[string]any{"container_hooks": map[string]any{"post_start": map[string]any{"script": "echo hi", "type": "command"}}}), "ModelArts.6336", ""},
		{"hook type other", b("hooks", map[string]any{"container_hooks": map[string]any{"post_start": map[string]any{"script": "/a", "type": "BINARY"}}}), "ModelArts.6336", ""},
		{"workspace unknown", b("workspace_id", "ws-1"), "ModelArts.0102", "The workspace does not exist."},
		{"pool_id short", b("pool_id", "p1"), "ModelArts.6336", "'pool_id' property value is incorrect."},
		{"flavor unknown", b("flavor", "modelarts.vm.cpu.64u"), "ModelArts.6323", "The flavor is not supported, please check it."},
		{"free flavor, billed feature", b("flavor", "modelarts.vm.cpu.free"), "ModelArts.6870", "Specified flavor modelarts.vm.cpu.free does not support current instance feature NOTEBOOK."},
		{"billed flavor, free feature", b("feature", "DEFAULT"), "ModelArts.6870", ""},
		{"flavor sold out", b("flavor", "modelarts.vm.gpu.p4"), "ModelArts.6716", "The specified flavor modelarts.vm.gpu.p4 is already sold out."},
		{"flavor without EVS", b("flavor", "modelarts.bm.snt9.xlarge.2", "volume.category", "EVS"), "ModelArts.6324", ""},
		{"image unknown", b("image_id", "00000000-0000-0000-0000-000000000000"), "ModelArts.6797", "Specified image 00000000-0000-0000-0000-000000000000 cannot be found."},
		{"image in ERROR", b("image_id", "836ab55d-4a02-4dbb-b04f-ece555d642a8"), "ModelArts.6797", ""},
		{"GPU image on a CPU flavor", b("image_id", "e1a07296-22a8-4f05-8bc8-e936c8e54103"), "ModelArts.6336", "'image_id' property value is incorrect."},
		{"aarch64 image on x86", b("image_id", sshOnly), "ModelArts.6336", ""},
		{"SSH-only image without SSH", b("image_id", sshOnly, "flavor", "modelarts.bm.snt9.xlarge.2"), "ModelArts.6768",
			"SSH configuration is missing, target image mindstudio5.0.rc1-cann5.1.0-euler2.8.3-aarch64 only support SSH dev service."},
		{"a second free notebook", b("feature", "DEFAULT", "flavor", "modelarts.vm.cpu.free", "volume.category", "EVS"), "ModelArts.0113", "Create Notebook failed. Quota: DEFAULT notebook is exhausted."},
	})
}

// TestNotebookCreate_accepted: what create accepts, and what it stores.
func TestNotebookCreate_accepted(t *testing.T) {
	t.Parallel()
	f := newFixture(t, emulator.Options{NoSamples: true})
	sshOnly := "e1a07296-22a8-4f05-8bc8-e936c8e54088"
	tests := []struct {
		name  string
		edits []any
		check func(t *testing.T, nb emulator.Notebook)
	}{
		{"sfs is efs", []any{"volume.category", "sfs", "volume.ownership", "managed"}, func(t *testing.T, nb emulator.Notebook) {
			if nb.Volume != (emulator.Volume{Category: "EFS", Ownership: "MANAGED", Capacity: 50}) {
				t.Errorf("volume %+v", nb.Volume)
			}
		}},
		{"evs default", []any{"volume.category", "evs"}, func(t *testing.T, nb emulator.Notebook) {
			if nb.Volume.Category != "EVS" || nb.Volume.Capacity != 5 {
				t.Errorf("volume %+v; want EVS of 5 GB", nb.Volume)
			}
		}},
		{"dedicated efs", []any{"volume.ownership", "DEDICATED", "volume.uri", "192.168.0.1:/share/", "volume.id", "sfs-1"}, func(t *testing.T, nb emulator.Notebook) {
			if nb.Volume.URI != "192.168.0.1:/share/" || nb.Volume.ID != "sfs-1" {
				t.Errorf("volume %+v", nb.Volume)
			}
		}},
		{"duplicate name", []any{"name", "nb-1"}, nil},
		{"duration wins over lease", []any{"duration", 7200000, "lease", map[string]any{"duration": 3600000, "type": "idle"}}, func(t *testing.T, nb emulator.Notebook) {
			if nb.Lease.Span.Hours() != 2 || nb.Lease.Type != "TIMING" {
				t.Errorf("lease %+v; want 2h TIMING", nb.Lease)
			}
		}},
		{"2024 endpoint names", []any{"endpoints", []any{map[string]any{"dev_service": "ssh", "ssh_keys": []string{"k1"}, "allowed_access_ips": []string{"2001:db8::1"}}}}, func(t *testing.T, nb emulator.Notebook) {
			if len(nb.Endpoints) != 1 || nb.Endpoints[0].Service != "SSH" || nb.Endpoints[0].KeyPairNames[0] != "k1" {
				t.Errorf("endpoints %+v", nb.Endpoints)
			}
		}},
		{"hooks", []any{"hooks", map[string]any{"container_hooks": map[string]any{"pre_start": map[string]any{"script": "ZWNobyBoaQ==", "type": "COMMAND", "mode": "block"}}}}, func(t *testing.T, nb emulator.Notebook) {
			if nb.Hooks == nil || nb.Hooks.PreStart == nil || nb.Hooks.PreStart.Type != "COMMAND" || nb.Hooks.PostStart != nil {
				t.Errorf("hooks %+v", nb.Hooks)
			}
		}},
		{"SSH-only image with SSH", []any{"image_id", sshOnly, "flavor", "modelarts.bm.snt9.xlarge.2", "endpoints", []any{map[string]any{"service": "SSH", "key_pair_names": []string{"k"}}}}, nil},
		{"workspace and pool", []any{"workspace_id", strings.Repeat("0a", 16), "pool_id", "pool41664192"}, func(t *testing.T, nb emulator.Notebook) {
			if nb.WorkspaceID != strings.Repeat("0a", 16) || nb.PoolID != "pool41664192" {
				t.Errorf("workspace %q pool %q", nb.WorkspaceID, nb.PoolID)
			}
		}},
		{"a free notebook", []any{"feature", "default", "flavor", "modelarts.vm.cpu.free", "volume.category", "EVS"}, nil},
		{"unknown fields and nulls", []any{"custom_spec", map[string]any{"cpu": 1}, "description", nil}, nil},
	}
	for _, tt := range tests {
		got := f.call(t, http.MethodPost, notebooksPath, notebookBody(t, tt.edits...))
		body := wantOK(t, tt.name, got)
		nb, ok := f.emu.Notebook(project, str(t, body, "id"))
		if !ok {
			t.Fatalf("%s: the created notebook is not stored", tt.name)
		}
		if tt.check != nil {
			tt.check(t, nb)
		}
	}
	if n := len(f.emu.Notebooks(project)); n != len(tests) {
		t.Errorf("%d notebooks; want %d", n, len(tests))
	}
	// The pool answers as {id, name}.
	for _, nb := range f.emu.Notebooks(project) {
		if nb.PoolID != "" {
			if got := f.showNotebook(t, nb.ID); str(t, got, "pool.id") != nb.PoolID || str(t, got, "pool.name") == "" {
				t.Errorf("pool of %s: %v", nb.ID, got["pool"])
			}
		}
	}
}

// TestNotebookCreate_quota: Options.InstanceQuota bounds each API's
// store apart: the old API's instances do not count against notebooks.
func TestNotebookCreate_quota(t *testing.T) {
	t.Parallel()
	f := newFixture(t, emulator.Options{NoSamples: true, InstanceQuota: 2})
	f.createNotebook(t)
	f.createNotebook(t)
	wantError(t, "a third notebook", f.call(t, http.MethodPost, notebooksPath, notebookBody(t)), http.StatusBadRequest, "ModelArts.0113")
	if got := f.create(t, createBody(t)); got.status != http.StatusOK {
		t.Errorf("an old-API instance beside two notebooks: %d %s; want 200", got.status, got.raw)
	}
}

// TestNotebookUpdate: what update changes and its own checks.
func TestNotebookUpdate(t *testing.T) {
	t.Parallel()
	f := newFixture(t, emulator.Options{})
	const stopped = "936bea3e-d3df-435e-8b58-d817283284ae"
	nb := wantOK(t, "update", f.call(t, http.MethodPut, notebookPath(stopped, ""), `{"name":"renamed","description":"it's fine here",`+
		`"flavor":"modelarts.vm.cpu.8u","image_id":"278e88d1-5b71-4766-8502-b3ba72e824d9",`+
		`"endpoints":[{"service":"SSH","key_pair_names":["k"],"allowed_access_ips":["1.1.1.1"]}]}`))
	if str(t, nb, "name") != "renamed" || str(t, nb, "description") != "it's fine here" || str(t, nb, "flavor") != "modelarts.vm.cpu.8u" ||
		str(t, nb, "image.id") != "278e88d1-5b71-4766-8502-b3ba72e824d9" || len(nb["endpoints"].([]any)) != 2 {
		t.Errorf("update answered %v", nb)
	}
	if nb := wantOK(t, "empty update", f.call(t, http.MethodPut, notebookPath(stopped, ""), `{}`)); str(t, nb, "name") != "renamed" {
		t.Errorf("an empty update changed the notebook: %v", nb)
	}
	if nb := wantOK(t, "remove endpoints", f.call(t, http.MethodPut, notebookPath(stopped, ""), `{"endpoints":[]}`)); len(nb["endpoints"].([]any)) != 1 {
		t.Errorf("endpoints after setting none: %v; want only the NOTEBOOK one", nb["endpoints"])
	}
	runChecks(t, f, http.MethodPut, notebookPath(stopped, ""), []check{
		{"no body", "", "ModelArts.6400", ""},
		{"name bad", `{"name":"a/b"}`, "ModelArts.6334", ""},
		{"name empty", `{"name":""}`, "ModelArts.6335", ""},
		{"description with /", `{"description":"a/b"}`, "ModelArts.6334", "Invalid value for name or description. The character `/` is not allowed."},
		{"flavor empty", `{"flavor":""}`, "ModelArts.6336", ""},
		{"image_id empty", `{"image_id":""}`, "ModelArts.6336", ""},
		{"storage zero", `{"storage_new_size":0}`, "ModelArts.6336", ""},
		{"storage a string", `{"storage_new_size":"60"}`, "ModelArts.6332", ""},
		{"flavor unknown", `{"flavor":"modelarts.vm.cpu.64u"}`, "ModelArts.6323", ""},
		{"flavor not switchable", `{"flavor":"modelarts.bm.snt9.xlarge.8"}`, "ModelArts.6792",
			"Instance 936bea3e-d3df-435e-8b58-d817283284ae does not support to update flavor to modelarts.bm.snt9.xlarge.8, please try another flavor."},
		{"flavor sold out", `{"flavor":"modelarts.vm.gpu.p4"}`, "ModelArts.6716", ""},
		{"image unknown", `{"image_id":"nope"}`, "ModelArts.6797", ""},
		{"GPU image on a CPU flavor", `{"image_id":"e1a07296-22a8-4f05-8bc8-e936c8e54103"}`, "ModelArts.6336", ""},
		{"seven IPs", `{"endpoints":[{"allowed_access_ips":["1.1.1.1","1.1.1.2","1.1.1.3","1.1.1.4","1.1.1.5","1.1.1.6","1.1.1.7"]}]}`, "ModelArts.6336", ""},
	})
	wantError(t, "update of an unknown notebook", f.call(t, http.MethodPut, notebookPath("missing", ""), `{"name":"x"}`), 400, "ModelArts.6309")
	wantError(t, "body checked before the lookup", f.call(t, http.MethodPut, notebookPath("missing", ""), `{"name":"x y"}`), 400, "ModelArts.6334")
}

// TestNotebook_otherRequestChecks: the checks of start's query, renew,
// create-image, attach, register and delete-image.
func TestNotebook_otherRequestChecks(t *testing.T) {
	t.Parallel()
	f := newFixture(t, emulator.Options{})
	const stopped = "936bea3e-d3df-435e-8b58-d817283284ae"
	running := emulator.SampleNotebookID
	for q, code := range map[string]string{"duration=x": "ModelArts.6332", "duration=60000": "ModelArts.6349", "type=weekly": "ModelArts.6336"} {
		wantError(t, "start?"+q, f.call(t, http.MethodPost, notebookPath(stopped, "/start?"+q), ""), 400, code)
	}
	runChecks(t, f, http.MethodPatch, notebookPath(running, "/lease"), []check{
		{"no body, no query", "", "ModelArts.6348", "The 'duration' parameter is mandatory for enabling auto stop."},
		{"no duration", `{"type":"timing"}`, "ModelArts.6348", ""},
		{"duration a string", `{"duration":"1h"}`, "ModelArts.6332", ""},
		{"duration out of range", `{"duration":100}`, "ModelArts.6349", ""},
		{"type other", `{"duration":3600000,"type":"x"}`, "ModelArts.6336", ""},
	})
	wantError(t, "renew?duration=x", f.call(t, http.MethodPatch, notebookPath(running, "/lease?duration=x"), ""), 400, "ModelArts.6332")
	runChecks(t, f, http.MethodPost, notebookPath(running, "/create-image"), []check{
		{"no body", "", "ModelArts.6400", ""},
		{"no name", `{"namespace":"ns"}`, "ModelArts.6335", "'name' is a required property."},
		{"no namespace", `{"name":"n"}`, "ModelArts.6335", "'namespace' is a required property."},
		{"name upper case", `{"name":"Img","namespace":"ns"}`, "ModelArts.6334", "Invalid value for name or description. The character `I` is not allowed."},
		{"name of 513", `{"name":"` + strings.Repeat("n", 513) + `","namespace":"ns"}`, "ModelArts.6336", ""},
		{"namespace bad", `{"name":"n","namespace":"N S"}`, "ModelArts.6336", "'namespace' property value is incorrect."},
		{"tag bad", `{"name":"n","namespace":"ns","tag":"a:b"}`, "ModelArts.6336", "'tag' property value is incorrect."},
		{"description of 513", `{"name":"n","namespace":"ns","description":"` + strings.Repeat("d", 513) + `"}`, "ModelArts.6336", ""},
		{"workspace unknown", `{"name":"n","namespace":"ns","workspace_id":"x"}`, "ModelArts.0102", ""},
		{"tag of a built-in image", `{"name":"notebook2.0-mul-kernel-cpu-cp36","namespace":"atelier","tag":"3.3.2-release_v1"}`, "ModelArts.6737",
			"Conflict tag 3.3.2-release_v1 for image atelier/notebook2.0-mul-kernel-cpu-cp36, tag cannot be duplicated."},
	})
	runChecks(t, f, http.MethodPost, notebookPath(running, "/storage"), []check{
		{"no body", "", "ModelArts.6400", ""},
		{"no category", `{"mount_path":"/data/a/","uri":"obs://b/a/"}`, "ModelArts.6335", "'category' is a required property."},
		{"no mount_path", `{"category":"OBS","uri":"obs://b/a/"}`, "ModelArts.6335", "'mount_path' is a required property."},
		{"no uri", `{"category":"OBS","mount_path":"/data/a/"}`, "ModelArts.6335", "'uri' is a required property."},
		{"category EVS", `{"category":"EVS","mount_path":"/data/a/","uri":"obs://b/a/"}`, "ModelArts.6324", ""},
		{"outside /data", `{"category":"OBS","mount_path":"/home/a/","uri":"obs://b/a/"}`, "ModelArts.6336", "'mount_path' property value is incorrect."},
		{"/data itself", `{"category":"OBS","mount_path":"/data/","uri":"obs://b/a/"}`, "ModelArts.6336", ""},
		{"dot dot", `{"category":"OBS","mount_path":"/data/../etc/","uri":"obs://b/a/"}`, "ModelArts.6336", ""},
		{"not obs", `{"category":"OBS","mount_path":"/data/a/","uri":"s3://b/a/"}`, "ModelArts.6336", "'uri' property value is incorrect."},
		{"bucket root", `{"category":"OBS","mount_path":"/data/a/","uri":"obs://b/"}`, "ModelArts.6358", ""},
	})
	wantError(t, "attach to an unknown notebook", f.call(t, http.MethodPost, notebookPath("missing", "/storage"), `{"category":"OBS","mount_path":"/data/a/","uri":"obs://b/a/"}`), 400, "ModelArts.6309")
	wantError(t, "an unknown mount", f.call(t, http.MethodGet, notebookPath(running, "/storage/missing"), ""), 400, "ModelArts.6309")
	runChecks(t, f, http.MethodPost, imagesPath, []check{
		{"no body", "", "ModelArts.6400", ""},
		{"no swr_path", `{"arch":"X86_64"}`, "ModelArts.6335", "'swr_path' is a required property."},
		{"no tag", `{"swr_path":"swr.example.com/org/name"}`, "ModelArts.6336", "'swr_path' property value is incorrect."},
		{"no organisation", `{"swr_path":"name:tag"}`, "ModelArts.6336", ""},
		{"too deep", `{"swr_path":"h/a/b/c:tag"}`, "ModelArts.6336", ""},
		{"upper-case name", `{"swr_path":"org/Name:tag"}`, "ModelArts.6336", ""},
		{"arch other", `{"swr_path":"org/name:tag","arch":"riscv"}`, "ModelArts.6336", "'arch' property value is incorrect."},
		{"category other", `{"swr_path":"org/name:tag","resource_category":["TPU"]}`, "ModelArts.6336", "'resource_category' property value is incorrect."},
		{"services other", `{"swr_path":"org/name:tag","services":["FTP"]}`, "ModelArts.6336", ""},
		{"visibility other", `{"swr_path":"org/name:tag","visibility":"SHARED"}`, "ModelArts.6336", ""},
		{"origin other", `{"swr_path":"org/name:tag","origin":"PULLED"}`, "ModelArts.6336", ""},
		{"service_type other", `{"swr_path":"org/name:tag","service_type":"GAME"}`, "ModelArts.6336", ""},
		{"description of 513", `{"swr_path":"org/name:tag","description":"` + strings.Repeat("d", 513) + `"}`, "ModelArts.6336", ""},
		{"taken", `{"swr_path":"swr.xxx.com/mock-service1/mock-service-python:0.0.17"}`, "ModelArts.6737", ""},
	})
	img := wantOK(t, "register", f.call(t, http.MethodPost, imagesPath, `{"swr_path":"org/name:tag","arch":"aarch64","services":["ssh"],"visibility":"public"}`))
	if str(t, img, "arch") != "aarch64" || str(t, img, "visibility") != "PUBLIC" || len(img["dev_services"].([]any)) != 1 ||
		str(t, img, "namespace") != "org" || str(t, img, "name") != "name" || str(t, img, "tag") != "tag" {
		t.Errorf("register answered %v", img)
	}
	runChecks(t, f, http.MethodDelete, imagesPath+"/"+emulator.SampleImageID, []check{
		{"a built-in image", "", "ModelArts.0108", "You are not authorized to perform the (delete image) operation."},
	})
	wantError(t, "force=maybe", f.call(t, http.MethodDelete, imagesPath+"/"+str(t, img, "id")+"?force=maybe", ""), 400, "ModelArts.6332")
	wantError(t, "is_force a string", f.call(t, http.MethodDelete, imagesPath+"/"+str(t, img, "id"), `{"is_force":"yes"}`), 400, "ModelArts.6332")
	if d := wantOK(t, "delete with is_force", f.call(t, http.MethodDelete, imagesPath+"/"+str(t, img, "id"), `{"is_force":true}`)); str(t, d, "status") != "DELETED" {
		t.Errorf("delete answered %v", d)
	}
	wantError(t, "show after the delete", f.call(t, http.MethodGet, imagesPath+"/"+str(t, img, "id"), ""), 400, "ModelArts.6797")
	wantError(t, "delete again", f.call(t, http.MethodDelete, imagesPath+"/"+str(t, img, "id")+"?force=true", ""), 400, "ModelArts.6797")
}
