package emulator_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/devenv-facade/devenv-facade/internal/emulator"
	"github.com/devenv-facade/devenv-facade/internal/options"
)

// TestCreate_validation sends bodies that break each of the reference's
// create rules and checks the vendor code and message; valid variants
// must succeed. A refused create stores nothing.
func TestCreate_validation(t *testing.T) {
	t.Parallel()
	f := newFixture(t, emulator.Options{NoSamples: true})
	long := func(n int, s string) string { return strings.Repeat(s, n) }
	const (
		payload  = "ModelArts.6400"
		typ      = "ModelArts.6332"
		char     = "ModelArts.6334"
		required = "ModelArts.6335"
		value    = "ModelArts.6336"
	)
	tests := []struct {
		name     string
		body     string
		wantCode string // "" for a successful create
		wantMsg  string // the whole message; for 6400, its start
	}{
		// The body.
		{"empty_body", "", payload, "Invalid request payload "},
		{"malformed_json", `{"name":`, payload, "Invalid request payload "},
		{"trailing_garbage", createBody(t) + "x", payload, "Invalid request payload "},
		{"not_an_object", `["nb-1"]`, payload, "Invalid request payload (not a JSON object), please check."},
		{"name_not_a_string", createBody(t, "name", 5), typ, "Incorrect parameter type. The 'name' parameter must be of the 'string' type."},
		{"spec_not_an_object", createBody(t, "spec", "obs"), typ, "Incorrect parameter type. The 'spec' parameter must be of the 'object' type."},
		{"duration_not_an_integer", createBody(t, "spec.auto_stop.duration", "3600"), typ, "Incorrect parameter type. The 'duration' parameter must be of the 'integer' type."},
		{"duration_fractional", createBody(t, "spec.auto_stop.duration", 3600.5), typ, "Incorrect parameter type. The 'duration' parameter must be of the 'integer' type."},
		{"enable_not_a_boolean", createBody(t, "spec.auto_stop.enable", "true"), typ, "Incorrect parameter type. The 'enable' parameter must be of the 'boolean' type."},
		// name
		{"name_missing", createBody(t, "name", del), required, "'name' is a required property."},
		{"name_null", createBody(t, "name", nil), required, "'name' is a required property."},
		{"name_empty", createBody(t, "name", ""), required, "'name' is a required property."},
		{"name_space", createBody(t, "name", "nb 1"), char, "Invalid value for name or description. The character ` ` is not allowed."},
		{"name_dot", createBody(t, "name", "nb.1"), char, "Invalid value for name or description. The character `.` is not allowed."},
		{"name_non_ascii", createBody(t, "name", "nbé"), char, "Invalid value for name or description. The character `é` is not allowed."},
		{"name_65", createBody(t, "name", long(65, "n")), value, "'name' property value is incorrect."},
		{"name_64", createBody(t, "name", long(64, "n")), "", ""},
		{"name_all_kinds", createBody(t, "name", "Nb_9-x"), "", ""},
		// description
		{"description_amp", createBody(t, "description", "a&b"), char, "Invalid value for name or description. The character `&` is not allowed."},
		{"description_lt", createBody(t, "description", "a<b"), char, "Invalid value for name or description. The character `<` is not allowed."},
		{"description_gt", createBody(t, "description", "a>b"), char, "Invalid value for name or description. The character `>` is not allowed."},
		{"description_quote", createBody(t, "description", `a"b`), char, "Invalid value for name or description. The character `\"` is not allowed."},
		{"description_apostrophe", createBody(t, "description", "a'b"), char, "Invalid value for name or description. The character `'` is not allowed."},
		{"description_slash", createBody(t, "description", "a/b"), char, "Invalid value for name or description. The character `/` is not allowed."},
		{"description_513", createBody(t, "name", "d513", "description", long(513, "d")), value, "'description' property value is incorrect."},
		{"description_512_characters", createBody(t, "name", "d512", "description", long(512, "é")), "", ""},
		{"description_absent", createBody(t, "name", "nodesc", "description", del), "", ""},
		// profile_id and flavor
		{"profile_missing", createBody(t, "profile_id", del), required, "'profile_id' is a required property."},
		{"flavor_missing", createBody(t, "flavor", del), required, "'flavor' is a required property."},
		{"flavor_unknown", createBody(t, "flavor", "modelarts.vm.cpu.999u"), "ModelArts.6323", "The flavor is not supported, please check it."},
		{"gpu_profile_on_cpu_flavor", createBody(t, "profile_id", "Multi-Engine 1.0 (python3)-gpu"), "ModelArts.6330", "The flavor type of profile does not match the type of flavor. Please check it."},
		{"other_profile", createBody(t, "name", "other-profile", "profile_id", "My profile 1.0"), "", ""},
		// spec.storage
		{"spec_missing", createBody(t, "spec", del), "ModelArts.6316", "The param 'storage' is needed for creating notebook instance."},
		{"storage_missing", createBody(t, "spec.storage", del), "ModelArts.6316", "The param 'storage' is needed for creating notebook instance."},
		{"storage_type_missing", createBody(t, "spec.storage.type", del), required, "'type' is a required property."},
		{"storage_type_evs", createBody(t, "spec.storage.type", "evs"), "ModelArts.6324", "This location type is not supported. Please check it."},
		{"location_missing", createBody(t, "spec.storage.location", del), "ModelArts.6317", "The 'path' parameter is required when the storage type is OBS."},
		{"path_missing", createBody(t, "spec.storage.location.path", del), "ModelArts.6317", "The 'path' parameter is required when the storage type is OBS."},
		{"path_empty", createBody(t, "spec.storage.location.path", ""), "ModelArts.6317", "The 'path' parameter is required when the storage type is OBS."},
		{"path_without_slash", createBody(t, "spec.storage.location.path", "/bucket/dir"), "ModelArts.6318", "The param 'path' needs to end with /."},
		{"path_bucket_root", createBody(t, "spec.storage.location.path", "/bucket/"), "ModelArts.6358", "The path parameter is incorrect. It cannot be the root directory of an OBS bucket, but must be a specific directory in the OBS bucket."},
		{"path_bucket_root_no_lead", createBody(t, "spec.storage.location.path", "bucket/"), "ModelArts.6358", "The path parameter is incorrect. It cannot be the root directory of an OBS bucket, but must be a specific directory in the OBS bucket."},
		{"path_bucket_root_obs_url", createBody(t, "spec.storage.location.path", "obs://bucket/"), "ModelArts.6358", "The path parameter is incorrect. It cannot be the root directory of an OBS bucket, but must be a specific directory in the OBS bucket."},
		{"path_slash", createBody(t, "spec.storage.location.path", "/"), "ModelArts.6358", "The path parameter is incorrect. It cannot be the root directory of an OBS bucket, but must be a specific directory in the OBS bucket."},
		{"path_obs_url", createBody(t, "name", "obs-url", "spec.storage.location.path", "obs://bucket/a/b/"), "", ""},
		// spec.auto_stop
		{"enabled_without_duration", createBody(t, "spec.auto_stop.duration", del), "ModelArts.6348", "The 'duration' parameter is mandatory for enabling auto stop."},
		{"duration_3599", createBody(t, "spec.auto_stop.duration", 3599), "ModelArts.6349", "The 'duration' parameter is incorrect. The value ranges from 3600 to 86400."},
		{"duration_86401", createBody(t, "spec.auto_stop.duration", 86401), "ModelArts.6349", "The 'duration' parameter is incorrect. The value ranges from 3600 to 86400."},
		{"duration_out_of_range_while_disabled", createBody(t, "spec.auto_stop.enable", false, "spec.auto_stop.duration", 60), "ModelArts.6349", "The 'duration' parameter is incorrect. The value ranges from 3600 to 86400."},
		{"duration_86400", createBody(t, "name", "max-stop", "spec.auto_stop.duration", 86400), "", ""},
		{"disabled_without_duration", createBody(t, "name", "no-stop", "spec.auto_stop", map[string]any{"enable": false}), "", ""},
		{"auto_stop_absent", createBody(t, "name", "no-auto-stop", "spec.auto_stop", del), "", ""},
		// pool
		{"pool_without_id", createBody(t, "pool", map[string]any{"name": "p"}), required, "'id' is a required property."},
		// The order: the first rule broken answers.
		{"name_checked_before_storage", createBody(t, "name", "a b", "spec", del), char, "Invalid value for name or description. The character ` ` is not allowed."},
	}
	created := 0
	for _, tt := range tests {
		got := f.create(t, tt.body)
		if tt.wantCode == "" {
			created++
			if got.status != http.StatusOK || str(t, got.body, "status") != "CREATING" {
				t.Errorf("%s: %d %s; want 200 with a CREATING instance", tt.name, got.status, got.raw)
			}
			continue
		}
		okMsg := got.message() == tt.wantMsg || (tt.wantCode == payload && strings.HasPrefix(got.message(), tt.wantMsg) && strings.HasSuffix(got.message(), ", please check."))
		if got.status != http.StatusBadRequest || got.code() != tt.wantCode || !okMsg {
			t.Errorf("%s: %d %s; want 400 %s %q", tt.name, got.status, got.raw, tt.wantCode, tt.wantMsg)
		}
	}
	if n := len(f.emu.Instances(project)); n != created {
		t.Errorf("%d instances stored; want the %d valid creates only", n, created)
	}
}

// TestCreate_lifecycle: create answers CREATING, the instance stays
// CREATING until the create delay has passed on the clock, then is RUNNING.
func TestCreate_lifecycle(t *testing.T) {
	t.Parallel()
	f := newFixture(t, emulator.Options{NoSamples: true})
	t0 := f.clock.Now()
	got := f.create(t, createBody(t, "name", "life", "spec.annotations", map[string]any{"team": "a"}))
	if got.status != http.StatusOK {
		t.Fatalf("create: %d %s", got.status, got.raw)
	}
	id := str(t, got.body, "id")
	if !strings.HasPrefix(id, "DE-") || len(id) != len("DE-")+36 {
		t.Errorf("id %q; want DE-<uuid>", id)
	}
	want := map[string]any{
		"status": "CREATING", "name": "life", "description": "a notebook", "flavor": "modelarts.vm.cpu.2u",
		"creation_timestamp": ms(t0), "latest_update_timestamp": ms(t0),
		"profile.id": "Multi-Engine 1.0 (python3)-cpu", "profile.flavor_type": "CPU", "profile.de_type": "Notebook",
		"profile.provision.type": "Docker", "profile.provision.spec.engine": "CCE",
		"flavor_details.name": "modelarts.vm.cpu.2u", "flavor_details.type": "CPU", "flavor_details.status": "onSale",
		"spec.storage.type": "obs", "spec.storage.location.path": "/bucket/dir/",
		"spec.annotations.team": "a", "spec.annotations.url": "",
		"workspace.id": "0", "user.id": emulator.SampleUser.ID, "user.name": emulator.SampleUser.Name,
	}
	for path, w := range want {
		if g := str(t, got.body, path); g != w {
			t.Errorf("create answer %s = %q; want %q", path, g, w)
		}
	}
	if num(t, got.body, "spec.auto_stop.duration") != 3600 || at(t, got.body, "spec.auto_stop.enable") != true || at(t, got.body, "spec.auto_stop.prompt") != true {
		t.Errorf("create answer spec.auto_stop = %v; want enable, 3600, prompt (the default)", at(t, got.body, "spec.auto_stop"))
	}

	steps := []struct {
		advance time.Duration
		want    string
	}{
		{0, "CREATING"},
		{testLifecycle.Create - time.Millisecond, "CREATING"},
		{time.Millisecond, "RUNNING"},
	}
	for _, st := range steps {
		f.clock.Advance(st.advance)
		g := f.get(t, id)
		if g.status != http.StatusOK || str(t, g.body, "status") != st.want {
			t.Fatalf("after %v: %d %s; want %s", f.clock.Now().Sub(t0), g.status, g.raw, st.want)
		}
		if inst, _ := f.emu.Instance(project, id); string(inst.Status) != st.want {
			t.Errorf("Instance() says %s; want %s", inst.Status, st.want)
		}
	}
	g := f.get(t, id)
	running := t0.Add(testLifecycle.Create)
	if u := str(t, g.body, "latest_update_timestamp"); u != ms(running) {
		t.Errorf("latest_update_timestamp %s; want the time it became RUNNING, %s", u, ms(running))
	}
	if u := str(t, g.body, "spec.annotations.url"); !strings.HasSuffix(u, "/"+id) {
		t.Errorf("spec.annotations.url %q; want the notebook's URL once RUNNING", u)
	}
	if l := f.list(t, "de_type=Notebook&status=RUNNING"); num(t, l.body, "total_count") != 1 {
		t.Errorf("list of RUNNING: %s; want the new instance", l.raw)
	}
}

// TestCreate_failure: a name with the fail-create prefix ends CREATE_FAILED
// with failed_reasons.
func TestCreate_failure(t *testing.T) {
	t.Parallel()
	f := newFixture(t, emulator.Options{NoSamples: true})
	got := f.create(t, createBody(t, "name", emulator.FailCreatePrefix+"-1"))
	if got.status != http.StatusOK || str(t, got.body, "status") != "CREATING" {
		t.Fatalf("create: %d %s; want 200 CREATING", got.status, got.raw)
	}
	id := str(t, got.body, "id")
	if g := f.get(t, id); at(t, g.body, "spec.failed_reasons") != nil {
		t.Errorf("failed_reasons while CREATING: %v; want null", at(t, g.body, "spec.failed_reasons"))
	}
	f.clock.Advance(testLifecycle.Create)
	g := f.get(t, id)
	if str(t, g.body, "status") != "CREATE_FAILED" {
		t.Fatalf("after the create delay: %s; want CREATE_FAILED", g.raw)
	}
	code, msg := str(t, g.body, "spec.failed_reasons.code"), str(t, g.body, "spec.failed_reasons.message")
	if !strings.HasPrefix(code, "ModelArts.") || msg == "" || str(t, g.body, "spec.failed_reasons.detail.reason") == "" {
		t.Errorf("failed_reasons %v; want a code, a message and a detail", at(t, g.body, "spec.failed_reasons"))
	}
	if str(t, g.body, "error_code") != code {
		t.Errorf("error_code %v; want failed_reasons.code %s", at(t, g.body, "error_code"), code)
	}
	if inst, _ := f.emu.Instance(project, id); inst.FailedReasons == nil || inst.FailedReasons.Code != code {
		t.Errorf("Instance().FailedReasons = %+v; want code %s", inst.FailedReasons, code)
	}
	if a := f.action(t, id, "start"); a.code() != "ModelArts.6357" {
		t.Errorf("start of a CREATE_FAILED instance: %s; want 6357", a.raw)
	}
	if d := f.delete(t, id); d.status != http.StatusOK {
		t.Errorf("delete of a CREATE_FAILED instance: %s; want 200", d.raw)
	}
}

// TestCreate_uniqueNameAndQuota: a name is unique in its project (6301),
// and a project holds at most the quota (6302).
func TestCreate_uniqueNameAndQuota(t *testing.T) {
	t.Parallel()
	f := newFixture(t, emulator.Options{InstanceQuota: len(emulator.Samples()) + 2})
	other := "/v1/" + strings.Repeat("e", 32) + "/demanager/instances"
	steps := []struct {
		name, path, body string
		wantCode         string
	}{
		{"new_name", instancesPath, createBody(t, "name", "q1"), ""},
		{"sample_name_taken", instancesPath, createBody(t, "name", "notebook-d115"), "ModelArts.6301"},
		{"created_name_taken", instancesPath, createBody(t, "name", "q1"), "ModelArts.6301"},
		{"same_name_other_project", other, createBody(t, "name", "q1"), ""},
		{"case_differs", instancesPath, createBody(t, "name", "Q1"), ""},
		{"over_quota", instancesPath, createBody(t, "name", "q3"), "ModelArts.6302"},
	}
	for _, st := range steps {
		got := f.call(t, http.MethodPost, st.path, st.body)
		switch {
		case st.wantCode == "" && got.status != http.StatusOK:
			t.Errorf("%s: %d %s; want 200", st.name, got.status, got.raw)
		case st.wantCode != "" && (got.status != http.StatusBadRequest || got.code() != st.wantCode):
			t.Errorf("%s: %d %s; want 400 %s", st.name, got.status, got.raw, st.wantCode)
		}
	}
	// Deleting makes room again.
	if d := f.delete(t, "6fa459ea-ee8a-3ca4-894e-db77e160355e"); d.status != http.StatusOK {
		t.Fatalf("delete: %s", d.raw)
	}
	if got := f.create(t, createBody(t, "name", "q3")); got.status != http.StatusOK {
		t.Errorf("create after a delete: %s; want 200", got.raw)
	}
}

// TestCreate_noQuota: WithInstanceQuota(0) lifts the limit.
func TestCreate_noQuota(t *testing.T) {
	t.Parallel()
	f := newFixture(t, emulator.Options{NoSamples: true, InstanceQuota: options.NoLimit})
	for i := range 3 {
		if got := f.create(t, createBody(t, "name", "n"+strings.Repeat("x", i))); got.status != http.StatusOK {
			t.Fatalf("create %d: %s", i, got.raw)
		}
	}
}

// TestCreate_optionalFields: workspace, pool, ai_project, extend_storage
// and annotations are kept and answered, and the list filters find them.
func TestCreate_optionalFields(t *testing.T) {
	t.Parallel()
	f := newFixture(t, emulator.Options{NoSamples: true})
	got := f.create(t, createBody(t,
		"workspace.id", "ws-1",
		"pool", map[string]any{"id": "pool-9", "type": "USER_DEFINED", "name": "gpus", "owner": map[string]any{"project_id": project}},
		"ai_project", map[string]any{"id": "proj-9"},
		"spec.extend_storage", []any{map[string]any{"type": "obsfs", "location": map[string]any{"path": "/fs/dir/"}}},
		"spec.annotations", map[string]any{"k": "v"},
		"spec.auto_stop.prompt", false,
	))
	if got.status != http.StatusOK {
		t.Fatalf("create: %s", got.raw)
	}
	id := str(t, got.body, "id")
	g := f.get(t, id)
	for path, want := range map[string]string{
		"workspace.id": "ws-1", "pool.id": "pool-9", "pool.type": "USER_DEFINED", "pool.name": "gpus", "pool.owner.project_id": project,
		"ai_project.id": "proj-9", "spec.annotations.k": "v",
	} {
		if s := str(t, g.body, path); s != want {
			t.Errorf("%s = %q; want %q", path, s, want)
		}
	}
	ext, ok := at(t, g.body, "spec.extend_storage").([]any)
	if !ok || len(ext) != 1 || str(t, ext[0], "type") != "obsfs" || str(t, ext[0], "location.path") != "/fs/dir/" {
		t.Errorf("spec.extend_storage = %v; want the obsfs entry", at(t, g.body, "spec.extend_storage"))
	}
	if at(t, g.body, "spec.auto_stop.prompt") != false {
		t.Errorf("spec.auto_stop.prompt = %v; want false", at(t, g.body, "spec.auto_stop.prompt"))
	}
	for _, q := range []string{"workspace_id=ws-1", "workspace_id=ws-1&pool_id=pool-9", "workspace_id=ws-1&ai_project=proj-9"} {
		if l := f.list(t, "de_type=Notebook&"+q); num(t, l.body, "total_count") != 1 {
			t.Errorf("list %s: %s; want the instance", q, l.raw)
		}
	}
	if l := f.list(t, "de_type=Notebook"); num(t, l.body, "total_count") != 0 {
		t.Errorf("list of workspace 0: %s; want nothing", l.raw)
	}
}

// TestCreate_concurrentSameName: of concurrent creates with one name,
// exactly one succeeds.
func TestCreate_concurrentSameName(t *testing.T) {
	t.Parallel()
	f := newFixture(t, emulator.Options{NoSamples: true})
	const n = 8
	statuses := make(chan string, n)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, f.srv.URL+instancesPath, strings.NewReader(createBody(t, "name", "race")))
			if err != nil {
				statuses <- err.Error()
				return
			}
			req.Header.Set("X-Auth-Token", "t")
			resp, err := f.srv.Client().Do(req)
			if err != nil {
				statuses <- err.Error()
				return
			}
			resp.Body.Close()
			statuses <- resp.Status
		})
	}
	wg.Wait()
	close(statuses)
	count := map[string]int{}
	for s := range statuses {
		count[s]++
	}
	if count["200 OK"] != 1 || count["400 Bad Request"] != n-1 {
		t.Errorf("statuses %v; want one 200 and %d 400s", count, n-1)
	}
	if insts := f.emu.Instances(project); len(insts) != 1 {
		t.Errorf("%d instances; want 1", len(insts))
	}
}
