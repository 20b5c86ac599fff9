package emulator_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/devenv-facade/devenv-facade/internal/emulator"
)

// TestAction_guards tries start and stop on an instance in each status.
func TestAction_guards(t *testing.T) {
	t.Parallel()
	f := newFixture(t, emulator.Options{NoSamples: true})
	const ok = ""
	tests := []struct {
		status            emulator.Status
		startCode, stopOK string
	}{
		{emulator.StatusStopped, ok, "ModelArts.6307"},
		{emulator.StatusRunning, "ModelArts.6305", ok},
		{emulator.StatusStarting, "ModelArts.6306", "ModelArts.6306"},
		{emulator.StatusRestarting, "ModelArts.6306", "ModelArts.6306"},
		{emulator.StatusStopping, "ModelArts.6308", "ModelArts.6308"},
		{emulator.StatusCreating, "ModelArts.6357", "ModelArts.6357"},
		{emulator.StatusResizing, "ModelArts.6357", "ModelArts.6357"},
		{emulator.StatusStartFailed, ok, "ModelArts.6327"},
		{emulator.StatusCreateFailed, "ModelArts.6357", "ModelArts.6327"},
		{emulator.StatusUnavailable, "ModelArts.6357", "ModelArts.6327"},
		{emulator.StatusResizeFailed, "ModelArts.6357", "ModelArts.6327"},
	}
	for _, tt := range tests {
		for action, wantCode := range map[string]string{"start": tt.startCode, "stop": tt.stopOK} {
			id := "i-" + action + "-" + string(tt.status)
			f.emu.AddInstance(project, emulator.Instance{ID: id, Name: id, Status: tt.status})
			got := f.action(t, id, action)
			if wantCode != ok {
				if got.status != http.StatusBadRequest || got.code() != wantCode {
					t.Errorf("%s while %s: %d %s; want 400 %s", action, tt.status, got.status, got.raw, wantCode)
				}
				if inst, _ := f.emu.Instance(project, id); inst.Status != tt.status {
					t.Errorf("%s while %s refused, yet the status is now %s", action, tt.status, inst.Status)
				}
				continue
			}
			want := map[string]any{"current_status": "STARTING", "previous_state": string(tt.status)}
			if action == "stop" {
				want["current_status"] = "STOPPING"
			}
			if diff := cmp.Diff(want, got.body); got.status != http.StatusOK || diff != "" {
				t.Errorf("%s while %s: %d (-want +got):\n%s", action, tt.status, got.status, diff)
			}
		}
	}
}

func TestAction_badRequests(t *testing.T) {
	t.Parallel()
	f := newFixture(t, emulator.Options{})
	path := instancesPath + "/" + stopped + "/action"
	tests := []struct {
		name, path, body, code, msg string
	}{
		{"no_body", path, "", "ModelArts.6400", ""},
		{"malformed", path, `{"action":`, "ModelArts.6400", ""},
		{"action_missing", path, `{}`, "ModelArts.6335", "'action' is a required property."},
		{"action_null", path, `{"action":null}`, "ModelArts.6335", "'action' is a required property."},
		{"action_restart", path, `{"action":"restart"}`, "ModelArts.6336", "'action' property value is incorrect."},
		{"action_upper", path, `{"action":"START"}`, "ModelArts.6336", "'action' property value is incorrect."},
		{"action_number", path, `{"action":1}`, "ModelArts.6332", "Incorrect parameter type. The 'action' parameter must be of the 'string' type."},
		{"unknown_instance", instancesPath + "/missing/action", `{"action":"start"}`, "ModelArts.6309", "The instance does not exist."},
		{"body_checked_first", instancesPath + "/missing/action", `{"action":"restart"}`, "ModelArts.6336", "'action' property value is incorrect."},
	}
	for _, tt := range tests {
		got := f.call(t, http.MethodPost, tt.path, tt.body)
		if got.status != http.StatusBadRequest || got.code() != tt.code || (tt.msg != "" && got.message() != tt.msg) {
			t.Errorf("%s: %d %s; want 400 %s %q", tt.name, got.status, got.raw, tt.code, tt.msg)
		}
	}
	if inst, _ := f.emu.Instance(project, stopped); inst.Status != emulator.StatusStopped {
		t.Errorf("the stopped sample is %s after refused actions", inst.Status)
	}
}

// TestAction_startStop: start passes through STARTING to RUNNING after the
// start delay, stop through STOPPING to STOPPED after the stop delay, and
// the guards apply on the way.
func TestAction_startStop(t *testing.T) {
	t.Parallel()
	f := newFixture(t, emulator.Options{})
	id := stopped
	expect := func(step, want string) {
		t.Helper()
		if g := f.get(t, id); str(t, g.body, "status") != want {
			t.Fatalf("%s: status %s; want %s", step, str(t, g.body, "status"), want)
		}
	}
	t0 := f.clock.Now()
	if a := f.action(t, id, "start"); a.status != http.StatusOK {
		t.Fatalf("start: %s", a.raw)
	}
	expect("right after start", "STARTING")
	if g := f.get(t, id); str(t, g.body, "latest_update_timestamp") != ms(t0) {
		t.Errorf("latest_update_timestamp %s; want the start time %s", str(t, g.body, "latest_update_timestamp"), ms(t0))
	}
	if a := f.action(t, id, "start"); a.code() != "ModelArts.6306" {
		t.Errorf("start while STARTING: %s; want 6306", a.raw)
	}
	if a := f.action(t, id, "stop"); a.code() != "ModelArts.6306" {
		t.Errorf("stop while STARTING: %s; want 6306", a.raw)
	}
	if d := f.delete(t, id); d.code() != "ModelArts.6306" {
		t.Errorf("delete while STARTING: %s; want 6306", d.raw)
	}
	f.clock.Advance(testLifecycle.Start - time.Millisecond)
	expect("just before the start delay", "STARTING")
	f.clock.Advance(time.Millisecond)
	expect("after the start delay", "RUNNING")
	if a := f.action(t, id, "start"); a.code() != "ModelArts.6305" {
		t.Errorf("start while RUNNING: %s; want 6305", a.raw)
	}
	if d := f.delete(t, id); d.code() != "ModelArts.6304" {
		t.Errorf("delete while RUNNING: %s; want 6304", d.raw)
	}
	a := f.action(t, id, "stop")
	if diff := cmp.Diff(map[string]any{"current_status": "STOPPING", "previous_state": "RUNNING"}, a.body); diff != "" {
		t.Fatalf("stop (-want +got):\n%s", diff)
	}
	expect("right after stop", "STOPPING")
	if a := f.action(t, id, "stop"); a.code() != "ModelArts.6308" {
		t.Errorf("stop while STOPPING: %s; want 6308", a.raw)
	}
	if a := f.action(t, id, "start"); a.code() != "ModelArts.6308" {
		t.Errorf("start while STOPPING: %s; want 6308", a.raw)
	}
	if d := f.delete(t, id); d.code() != "ModelArts.6308" {
		t.Errorf("delete while STOPPING: %s; want 6308", d.raw)
	}
	f.clock.Advance(testLifecycle.Stop - time.Millisecond)
	expect("just before the stop delay", "STOPPING")
	f.clock.Advance(time.Millisecond)
	expect("after the stop delay", "STOPPED")
	if a := f.action(t, id, "stop"); a.code() != "ModelArts.6307" {
		t.Errorf("stop while STOPPED: %s; want 6307", a.raw)
	}
	if d := f.delete(t, id); d.status != http.StatusOK {
		t.Errorf("delete while STOPPED: %s; want 200", d.raw)
	}
	if g := f.get(t, id); g.code() != "ModelArts.6309" {
		t.Errorf("get after delete: %s; want 6309", g.raw)
	}
}

// TestAction_startFails: an instance named with the fail-start prefix is
// created fine, but its starts end START_FAILED with failed_reasons, from
// which it can be started again.
func TestAction_startFails(t *testing.T) {
	t.Parallel()
	f := newFixture(t, emulator.Options{NoSamples: true})
	c := f.create(t, createBody(t, "name", emulator.FailStartPrefix+"-x"))
	id := str(t, c.body, "id")
	f.clock.Advance(testLifecycle.Create)
	if g := f.get(t, id); str(t, g.body, "status") != "RUNNING" {
		t.Fatalf("after create: %s; want RUNNING", g.raw)
	}
	f.action(t, id, "stop")
	f.clock.Advance(testLifecycle.Stop)
	for round := range 2 {
		a := f.action(t, id, "start")
		if a.status != http.StatusOK || str(t, a.body, "current_status") != "STARTING" {
			t.Fatalf("start %d: %s", round, a.raw)
		}
		if g := f.get(t, id); at(t, g.body, "spec.failed_reasons") != nil {
			t.Errorf("start %d: failed_reasons while STARTING: %v; want null", round, at(t, g.body, "spec.failed_reasons"))
		}
		f.clock.Advance(testLifecycle.Start)
		g := f.get(t, id)
		if str(t, g.body, "status") != "START_FAILED" || !strings.HasPrefix(str(t, g.body, "spec.failed_reasons.code"), "ModelArts.") ||
			str(t, g.body, "spec.failed_reasons.message") == "" || str(t, g.body, "error_code") != str(t, g.body, "spec.failed_reasons.code") {
			t.Fatalf("start %d, after the start delay: %s; want START_FAILED with failed_reasons", round, g.raw)
		}
		if a := f.action(t, id, "stop"); a.code() != "ModelArts.6327" {
			t.Errorf("stop while START_FAILED: %s; want 6327", a.raw)
		}
	}
}

// TestAutoStop: a RUNNING instance with auto-stop stops once it has run
// for its duration, counted from when it became RUNNING; every start
// counts again.
func TestAutoStop(t *testing.T) {
	t.Parallel()
	f := newFixture(t, emulator.Options{NoSamples: true})
	id := str(t, f.create(t, createBody(t, "name", "auto", "spec.auto_stop.duration", 7200)).body, "id")
	if g := f.get(t, id); at(t, g.body, "spec.auto_stop") == nil || hasKey(at(t, g.body, "spec.auto_stop"), "stop_timestamp") {
		t.Errorf("auto_stop while CREATING: %v; want no stop_timestamp", at(t, g.body, "spec.auto_stop"))
	}
	f.clock.Advance(testLifecycle.Create)
	runningAt := f.clock.Now()
	stopAt := runningAt.Add(2 * time.Hour)
	g := f.get(t, id)
	if num(t, g.body, "spec.auto_stop.stop_timestamp") != stopAt.UnixMilli() || num(t, g.body, "spec.auto_stop.remain_time") != 7200 {
		t.Errorf("auto_stop when RUNNING: %v; want stop_timestamp %d and remain_time 7200", at(t, g.body, "spec.auto_stop"), stopAt.UnixMilli())
	}
	f.clock.Advance(2*time.Hour - 1500*time.Millisecond)
	g = f.get(t, id)
	if str(t, g.body, "status") != "RUNNING" || num(t, g.body, "spec.auto_stop.remain_time") != 1 {
		t.Errorf("1.5s before the stop: %s %v; want RUNNING, remain_time 1", str(t, g.body, "status"), at(t, g.body, "spec.auto_stop"))
	}
	f.clock.Advance(1500 * time.Millisecond)
	g = f.get(t, id)
	if str(t, g.body, "status") != "STOPPED" || str(t, g.body, "latest_update_timestamp") != ms(stopAt) || hasKey(at(t, g.body, "spec.auto_stop"), "stop_timestamp") {
		t.Fatalf("at the stop time: %s; want STOPPED since %s without stop_timestamp", g.raw, ms(stopAt))
	}
	// A start counts the duration again, from RUNNING.
	f.action(t, id, "start")
	f.clock.Advance(testLifecycle.Start)
	if g := f.get(t, id); num(t, g.body, "spec.auto_stop.stop_timestamp") != f.clock.Now().Add(2*time.Hour).UnixMilli() {
		t.Errorf("after a restart: %v; want a stop 2h from now", at(t, g.body, "spec.auto_stop"))
	}
	// Auto-stop lands in the past when the clock jumps: still STOPPED.
	f.clock.Advance(48 * time.Hour)
	if inst, _ := f.emu.Instance(project, id); inst.Status != emulator.StatusStopped || !inst.AutoStop.StopAt.IsZero() {
		t.Errorf("two days later: %s, StopAt %v; want STOPPED with no stop scheduled", inst.Status, inst.AutoStop.StopAt)
	}
}

// TestAutoStop_sample: the running sample stops a day after the server
// started, as its auto_stop says.
func TestAutoStop_sample(t *testing.T) {
	t.Parallel()
	f := newFixture(t, emulator.Options{})
	g := f.get(t, running)
	if num(t, g.body, "spec.auto_stop.stop_timestamp") != f.clock.Now().Add(24*time.Hour).UnixMilli() || num(t, g.body, "spec.auto_stop.remain_time") != 86400 {
		t.Errorf("the running sample's auto_stop: %v; want a stop in a day", at(t, g.body, "spec.auto_stop"))
	}
	f.clock.Advance(24*time.Hour - time.Second)
	if g := f.get(t, running); str(t, g.body, "status") != "RUNNING" {
		t.Errorf("a second before: %s; want RUNNING", str(t, g.body, "status"))
	}
	f.clock.Advance(time.Second)
	if g := f.get(t, running); str(t, g.body, "status") != "STOPPED" {
		t.Errorf("a day later: %s; want STOPPED", str(t, g.body, "status"))
	}
}

func hasKey(v any, key string) bool {
	m, _ := v.(map[string]any)
	_, ok := m[key]
	return ok
}

func TestUpdate(t *testing.T) {
	t.Parallel()
	f := newFixture(t, emulator.Options{})
	f.clock.Advance(time.Minute)
	steps := []struct {
		name, id, body string
		wantCode       string
		check          map[string]any // dotted path → want (string or int64 or bool)
	}{
		{"description", stopped, `{"description":"This is for test."}`, "", map[string]any{
			"description": "This is for test.", "spec.auto_stop.enable": true, "spec.auto_stop.duration": int64(3600), "status": "STOPPED",
		}},
		{"auto_stop_duration_only", stopped, `{"spec":{"auto_stop":{"duration":7200}}}`, "", map[string]any{
			"description": "This is for test.", "spec.auto_stop.enable": true, "spec.auto_stop.duration": int64(7200), "spec.auto_stop.prompt": true,
		}},
		{"auto_stop_off", stopped, `{"spec":{"auto_stop":{"enable":false,"prompt":false}}}`, "", map[string]any{
			"spec.auto_stop.enable": false, "spec.auto_stop.duration": int64(7200), "spec.auto_stop.prompt": false,
		}},
		{"enable_uses_stored_duration", stopped, `{"spec":{"auto_stop":{"enable":true}}}`, "", map[string]any{
			"spec.auto_stop.enable": true, "spec.auto_stop.duration": int64(7200),
		}},
		{"empty_update", stopped, `{}`, "", map[string]any{"description": "This is for test."}},
		{"enable_without_any_duration", "DE-2b1f6c3e-5a4d-11ee-8c99-0242ac120002", `{"spec":{"auto_stop":{"enable":true}}}`, "ModelArts.6348", nil},
		{"duration_too_short", stopped, `{"spec":{"auto_stop":{"duration":3599}}}`, "ModelArts.6349", nil},
		{"duration_too_long", stopped, `{"spec":{"auto_stop":{"enable":false,"duration":86401}}}`, "ModelArts.6349", nil},
		{"duration_wrong_type", stopped, `{"spec":{"auto_stop":{"duration":"1h"}}}`, "ModelArts.6332", nil},
		{"description_forbidden", stopped, `{"description":"a/b"}`, "ModelArts.6334", nil},
		{"description_too_long", stopped, `{"description":"` + strings.Repeat("x", 513) + `"}`, "ModelArts.6336", nil},
		{"malformed", stopped, `{"description":`, "ModelArts.6400", nil},
		{"no_body", stopped, ``, "ModelArts.6400", nil},
		{"unknown_instance", "missing", `{"description":"x"}`, "ModelArts.6309", nil},
		{"while_creating", "", `{"description":"during creation"}`, "", map[string]any{"description": "during creation", "status": "CREATING"}},
	}
	creating := str(t, f.create(t, createBody(t, "name", "upd")).body, "id")
	for _, st := range steps {
		id := st.id
		if id == "" {
			id = creating
		}
		got := f.update(t, id, st.body)
		if st.wantCode != "" {
			if got.status != http.StatusBadRequest || got.code() != st.wantCode {
				t.Errorf("%s: %d %s; want 400 %s", st.name, got.status, got.raw, st.wantCode)
			}
			continue
		}
		if got.status != http.StatusOK {
			t.Errorf("%s: %d %s; want 200", st.name, got.status, got.raw)
			continue
		}
		for path, want := range st.check {
			var g any
			switch want.(type) {
			case string:
				g = str(t, got.body, path)
			case int64:
				g = num(t, got.body, path)
			default:
				g = at(t, got.body, path)
			}
			if g != want {
				t.Errorf("%s: %s = %v; want %v", st.name, path, g, want)
			}
		}
		if u := str(t, got.body, "latest_update_timestamp"); u != ms(f.clock.Now()) {
			t.Errorf("%s: latest_update_timestamp %s; want now, %s", st.name, u, ms(f.clock.Now()))
		}
		if diff := cmp.Diff(f.get(t, id).body, got.body); diff != "" {
			t.Errorf("%s: the update's answer differs from get (-get +update):\n%s", st.name, diff)
		}
	}
	if g := f.get(t, stopped); str(t, g.body, "description") != "This is for test." {
		t.Errorf("after the refused updates: %s; want the last accepted state", g.raw)
	}
}

// TestUpdate_autoStopWhileRunning: a duration changed while RUNNING
// applies from the next start; disabling cancels the pending stop;
// enabling schedules one.
func TestUpdate_autoStopWhileRunning(t *testing.T) {
	t.Parallel()
	f := newFixture(t, emulator.Options{})
	stopAt := f.clock.Now().Add(24 * time.Hour) // the running sample's
	f.clock.Advance(10 * time.Minute)
	autoStop := func() any {
		t.Helper()
		return at(t, f.get(t, running).body, "spec.auto_stop")
	}
	f.update(t, running, `{"spec":{"auto_stop":{"duration":7200}}}`)
	if a := autoStop(); num(t, a, "stop_timestamp") != stopAt.UnixMilli() || num(t, a, "duration") != 7200 {
		t.Errorf("after a duration change while RUNNING: %v; want the stop unchanged at %d, duration 7200", a, stopAt.UnixMilli())
	}
	f.update(t, running, `{"spec":{"auto_stop":{"enable":false}}}`)
	if a := autoStop(); hasKey(a, "stop_timestamp") || hasKey(a, "remain_time") {
		t.Errorf("after disabling: %v; want no stop_timestamp nor remain_time", a)
	}
	f.clock.Advance(24 * time.Hour)
	if inst, _ := f.emu.Instance(project, running); inst.Status != emulator.StatusRunning {
		t.Errorf("disabled auto-stop, past the old stop time: %s; want RUNNING", inst.Status)
	}
	f.update(t, running, `{"spec":{"auto_stop":{"enable":true}}}`)
	if a := autoStop(); num(t, a, "stop_timestamp") != f.clock.Now().Add(2*time.Hour).UnixMilli() {
		t.Errorf("after enabling while RUNNING: %v; want a stop 2h from now", a)
	}
	// The new duration counts from the next start.
	f.action(t, running, "stop")
	f.clock.Advance(testLifecycle.Stop)
	f.action(t, running, "start")
	f.clock.Advance(testLifecycle.Start)
	if a := autoStop(); num(t, a, "stop_timestamp") != f.clock.Now().Add(2*time.Hour).UnixMilli() || num(t, a, "remain_time") != 7200 {
		t.Errorf("after a restart: %v; want a stop 2h from now", a)
	}
}

// TestInstanceAccessors: Instance and Instances show the state as of the
// clock, and copies that do not alias the server's.
func TestInstanceAccessors(t *testing.T) {
	t.Parallel()
	f := newFixture(t, emulator.Options{})
	inst, ok := f.emu.Instance(project, emulator.SampleCredentialInstanceID)
	if !ok || inst.Credential == nil || inst.Repository == nil || inst.Repository.Credential == nil {
		t.Fatalf("Instance(credential sample) = %+v, %v; want its credentials", inst, ok)
	}
	inst.Credential.AccessToken = "changed"
	inst.Repository.Credential.SSHPrivateKey = "changed"
	again, _ := f.emu.Instance(project, emulator.SampleCredentialInstanceID)
	if again.Credential.AccessToken == "changed" || again.Repository.Credential.SSHPrivateKey == "changed" {
		t.Error("changing a returned instance changed the server's")
	}
	all := f.emu.Instances(project)
	var got []string
	for _, i := range all {
		got = append(got, i.ID)
	}
	want := []string{stopped, "DE-2b1f6c3e-5a4d-11ee-8c99-0242ac120002", starting, failed, running, emulator.SampleCredentialInstanceID}
	slices.Sort(want)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Instances, sorted by ID (-want +got):\n%s", diff)
	}
	if n := len(f.emu.Instances(strings.Repeat("f", 32))); n != 0 {
		t.Errorf("Instances of an empty project: %d", n)
	}
	// AddInstance fills in defaults.
	f.emu.AddInstance(project, emulator.Instance{ID: "bare", Status: emulator.StatusStopped})
	bare, _ := f.emu.Instance(project, "bare")
	if !bare.CreatedAt.Equal(f.clock.Now()) || !bare.UpdatedAt.Equal(bare.CreatedAt) || bare.WorkspaceID != "0" || bare.User != emulator.SampleUser {
		t.Errorf("AddInstance defaults: %+v; want created now, workspace 0, the sample user", bare)
	}
	if g := f.get(t, "bare"); g.status != http.StatusOK || str(t, g.body, "profile.id") != "Multi-Engine 1.0 (python3)-cpu" || jsonKind(at(t, g.body, "flavor_details.params")) != "object" {
		t.Errorf("get of a bare instance: %s; want a default profile and flavor_details", g.raw)
	}
	// A transition given to AddInstance happens on the clock.
	f.emu.AddInstance(project, emulator.Instance{ID: "next", Name: "next", Status: emulator.StatusCreating,
		Next: &emulator.Transition{To: emulator.StatusRunning, At: f.clock.Now().Add(time.Second)}})
	if i, _ := f.emu.Instance(project, "next"); i.Status != emulator.StatusCreating || i.Next == nil {
		t.Errorf("before its time: %+v; want CREATING with Next", i)
	}
	f.clock.Advance(time.Second)
	if i, _ := f.emu.Instance(project, "next"); i.Status != emulator.StatusRunning || i.Next != nil || !i.UpdatedAt.Equal(f.clock.Now()) {
		t.Errorf("at its time: %+v; want RUNNING since now", i)
	}
}
