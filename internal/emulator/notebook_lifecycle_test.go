package emulator_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/devenv-facade/devenv-facade/internal/emulator"
)

// progress returns a notebook answer's action_progress as "step:status"
// from step 4 down, or nil without one.
func progress(t *testing.T, nb map[string]any) []string {
	t.Helper()
	list, ok := nb["action_progress"].([]any)
	if !ok {
		return nil
	}
	var out []string
	for _, p := range list {
		out = append(out, strconv.FormatInt(num(t, p, "step"), 10)+":"+str(t, p, "status"))
	}
	return out
}

// leaseOf returns a lease's create_at, duration and update_at.
func leaseOf(t *testing.T, lease any) (created, duration, updated int64) {
	t.Helper()
	return num(t, lease, "create_at"), num(t, lease, "duration"), num(t, lease, "update_at")
}

// TestNotebook_create: a created notebook is CREATING, its progress
// advancing with the clock, then RUNNING after the create delay, when its
// lease is armed again (deadline = RUNNING + the duration).
func TestNotebook_create(t *testing.T) {
	t.Parallel()
	f := newFixture(t, emulator.Options{NoSamples: true})
	t0 := f.clock.Now()
	created := wantOK(t, "create", f.call(t, http.MethodPost, notebooksPath, notebookBody(t, "lease", map[string]any{"duration": 7200000})))
	id := str(t, created, "id")
	if _, ok := created["url"]; ok || str(t, created, "status") != "CREATING" || str(t, created, "token") == "" || strings.HasPrefix(id, "DE-") {
		t.Errorf("create answered %v; want CREATING, a token, a bare UUID and no url", created)
	}
	if c, d, u := leaseOf(t, created["lease"]); c != millis(t0) || d != 7200000 || u != millis(t0) {
		t.Errorf("lease at create: create_at %d duration %d update_at %d; want %d 7200000 %d", c, d, u, millis(t0), millis(t0))
	}
	steps := []struct {
		after time.Duration
		want  []string
	}{
		{0, []string{"4:WAITING", "3:WAITING", "2:WAITING", "1:PROCESSING"}},
		{testLifecycle.Create / 2, []string{"4:WAITING", "3:PROCESSING", "2:COMPLETED", "1:COMPLETED"}},
		{testLifecycle.Create - time.Millisecond, []string{"4:PROCESSING", "3:COMPLETED", "2:COMPLETED", "1:COMPLETED"}},
	}
	for _, s := range steps {
		f.advanceTo(t, t0.Add(s.after))
		nb := f.showNotebook(t, id)
		if diff := cmp.Diff(s.want, progress(t, nb)); str(t, nb, "status") != "CREATING" || diff != "" {
			t.Errorf("after %s: %s, action_progress (-want +got):\n%s", s.after, str(t, nb, "status"), diff)
		}
	}
	running := t0.Add(testLifecycle.Create)
	f.advanceTo(t, running)
	nb := f.showNotebook(t, id)
	if str(t, nb, "status") != "RUNNING" || progress(t, nb) != nil || num(t, nb, "update_at") != millis(running) ||
		str(t, nb, "url") == "" || at(t, nb, "billing_items").([]any)[0] != "COMPUTE" {
		t.Errorf("after the create delay: %v; want RUNNING since %d, with a url, billed for compute", nb, millis(running))
	}
	if c, d, u := leaseOf(t, nb["lease"]); c != millis(t0) || u != millis(running) || c+d != millis(running.Add(2*time.Hour)) {
		t.Errorf("lease when RUNNING: create_at %d duration %d update_at %d; want the deadline two hours after %d", c, d, u, millis(running))
	}
}

// TestNotebook_leaseExpires: a RUNNING notebook stops by itself at its
// lease's deadline: STOPPING at the deadline, STOPPED after the stop
// delay, whichever call looks at it.
func TestNotebook_leaseExpires(t *testing.T) {
	t.Parallel()
	f := newFixture(t, emulator.Options{NoSamples: true})
	id := f.createNotebook(t, "duration", 3600000)
	f.clock.Advance(testLifecycle.Create)
	deadline := f.clock.Now().Add(time.Hour)
	lease := wantOK(t, "show lease", f.call(t, http.MethodGet, notebookPath(id, "/lease"), ""))
	if c, d, _ := leaseOf(t, lease); c+d != millis(deadline) || str(t, lease, "type") != "TIMING" || lease["enable"] != true {
		t.Fatalf("lease %v; want an enabled TIMING lease ending at %d", lease, millis(deadline))
	}
	f.advanceTo(t, deadline.Add(-time.Millisecond))
	if got := str(t, f.showNotebook(t, id), "status"); got != "RUNNING" {
		t.Fatalf("a millisecond before the deadline: %s; want RUNNING", got)
	}
	f.advanceTo(t, deadline)
	list := wantOK(t, "list", f.call(t, http.MethodGet, notebooksPath, ""))
	nb := list["data"].([]any)[0]
	if str(t, nb, "status") != "STOPPING" || num(t, nb, "update_at") != millis(deadline) {
		t.Errorf("at the deadline, the list shows %s since %d; want STOPPING since %d", str(t, nb, "status"), num(t, nb, "update_at"), millis(deadline))
	}
	wantError(t, "show lease while STOPPING", f.call(t, http.MethodGet, notebookPath(id, "/lease"), ""), 400, "ModelArts.6327")
	f.advanceTo(t, deadline.Add(testLifecycle.Stop))
	if nb := f.showNotebook(t, id); str(t, nb, "status") != "STOPPED" || num(t, nb, "update_at") != millis(deadline.Add(testLifecycle.Stop)) {
		t.Errorf("after the stop delay: %v; want STOPPED", nb)
	}
	// Long after, nothing more happens.
	f.clock.Advance(48 * time.Hour)
	if got := str(t, f.showNotebook(t, id), "status"); got != "STOPPED" {
		t.Errorf("two days later: %s; want STOPPED", got)
	}
}

// TestNotebook_renewResets: renewing sets the deadline to now + the
// duration (not the old deadline + the duration); the query's duration
// wins over the body and makes the lease TIMING.
func TestNotebook_renewResets(t *testing.T) {
	t.Parallel()
	f := newFixture(t, emulator.Options{NoSamples: true})
	id := f.createNotebook(t, "lease", map[string]any{"duration": 7200000, "type": "timing"})
	f.clock.Advance(testLifecycle.Create + 30*time.Minute)
	renewed := f.clock.Now()
	lease := wantOK(t, "renew", f.call(t, http.MethodPatch, notebookPath(id, "/lease"), `{"duration":3600000,"type":"timing"}`))
	if c, d, u := leaseOf(t, lease); u != millis(renewed) || c+d != millis(renewed.Add(time.Hour)) {
		t.Errorf("renewed lease: create_at %d duration %d update_at %d; want update_at %d and the deadline an hour later", c, d, u, millis(renewed))
	}
	// The old deadline was 90 minutes away; the renewal brought it to 60.
	f.advanceTo(t, renewed.Add(time.Hour-time.Millisecond))
	if got := str(t, f.showNotebook(t, id), "status"); got != "RUNNING" {
		t.Fatalf("before the new deadline: %s", got)
	}
	f.advanceTo(t, renewed.Add(time.Hour))
	if got := str(t, f.showNotebook(t, id), "status"); got != "STOPPING" {
		t.Errorf("at the new deadline (before the old one): %s; want STOPPING", got)
	}

	id = f.createNotebook(t, "name", "nb-2")
	f.clock.Advance(testLifecycle.Create)
	now := f.clock.Now()
	lease = wantOK(t, "renew by query", f.call(t, http.MethodPatch, notebookPath(id, "/lease?duration=5400000"), `{"duration":3600000,"type":"idle"}`))
	if c, d, _ := leaseOf(t, lease); c+d != millis(now.Add(90*time.Minute)) || str(t, lease, "type") != "TIMING" {
		t.Errorf("renewed by query: %v; want TIMING until %d", lease, millis(now.Add(90*time.Minute)))
	}
}

// TestNotebook_startStop: stop and start pass through STOPPING and
// STARTING; start rotates the token and re-arms the lease with the
// query's duration (an hour without one), again when RUNNING.
func TestNotebook_startStop(t *testing.T) {
	t.Parallel()
	f := newFixture(t, emulator.Options{NoSamples: true})
	id := f.createNotebook(t)
	f.clock.Advance(testLifecycle.Create)
	first := f.showNotebook(t, id)

	stopping := wantOK(t, "stop", f.call(t, http.MethodPost, notebookPath(id, "/stop"), ""))
	if str(t, stopping, "status") != "STOPPING" {
		t.Errorf("stop answered %s; want STOPPING", str(t, stopping, "status"))
	}
	f.clock.Advance(testLifecycle.Stop)
	if got := str(t, f.showNotebook(t, id), "status"); got != "STOPPED" {
		t.Fatalf("after the stop delay: %s", got)
	}
	f.clock.Advance(time.Hour)
	started := f.clock.Now()
	starting := wantOK(t, "start", f.call(t, http.MethodPost, notebookPath(id, "/start?duration=7200000&type=timing"), "{ }"))
	if str(t, starting, "status") != "STARTING" || str(t, starting, "token") == str(t, first, "token") {
		t.Errorf("start answered %s with token %s; want STARTING with a new token", str(t, starting, "status"), str(t, starting, "token"))
	}
	if c, d, u := leaseOf(t, starting["lease"]); u != millis(started) || c+d != millis(started.Add(2*time.Hour)) {
		t.Errorf("lease at start: %d %d %d; want armed now for two hours", c, d, u)
	}
	f.clock.Advance(testLifecycle.Start - time.Millisecond)
	if got := str(t, f.showNotebook(t, id), "status"); got != "STARTING" {
		t.Errorf("a millisecond before the start delay: %s", got)
	}
	f.clock.Advance(time.Millisecond)
	nb := f.showNotebook(t, id)
	if c, d, _ := leaseOf(t, nb["lease"]); str(t, nb, "status") != "RUNNING" || c+d != millis(f.clock.Now().Add(2*time.Hour)) {
		t.Errorf("after the start delay: %v; want RUNNING, the lease armed again", nb)
	}

	// Without a duration, the lease is an hour.
	wantOK(t, "stop", f.call(t, http.MethodPost, notebookPath(id, "/stop"), ""))
	f.clock.Advance(testLifecycle.Stop)
	starting = wantOK(t, "start", f.call(t, http.MethodPost, notebookPath(id, "/start"), ""))
	if c, d, u := leaseOf(t, starting["lease"]); c+d != u+3600000 {
		t.Errorf("lease of a start without duration: %d %d %d; want an hour", c, d, u)
	}
}

// TestNotebook_autoStopOff: a duration of -1 switches auto-stop off; an
// idle lease is stored but never stops the notebook.
func TestNotebook_autoStopOff(t *testing.T) {
	t.Parallel()
	f := newFixture(t, emulator.Options{NoSamples: true})
	off := f.createNotebook(t, "duration", -1)
	idle := f.createNotebook(t, "name", "idle", "lease", map[string]any{"duration": 3600000, "type": "IDLE"})
	f.clock.Advance(48 * time.Hour)
	for _, id := range []string{off, idle} {
		if nb := f.showNotebook(t, id); str(t, nb, "status") != "RUNNING" {
			t.Errorf("notebook %s two days later: %s; want RUNNING", id, str(t, nb, "status"))
		}
	}
	if l := f.showNotebook(t, off)["lease"]; at(t, l, "enable") != false {
		t.Errorf("lease with duration -1: %v; want enable false", l)
	}
	if l := f.showNotebook(t, idle)["lease"]; str(t, l, "type") != "IDLE" {
		t.Errorf("idle lease: %v; want type IDLE", l)
	}
	// Renewing with -1 switches it off too; with a duration, back on.
	id := f.createNotebook(t, "name", "renewed")
	f.clock.Advance(testLifecycle.Create)
	if l := wantOK(t, "renew -1", f.call(t, http.MethodPatch, notebookPath(id, "/lease?duration=-1"), "")); l["enable"] != false {
		t.Errorf("renewed with -1: %v; want enable false", l)
	}
	f.clock.Advance(48 * time.Hour)
	if got := str(t, f.showNotebook(t, id), "status"); got != "RUNNING" {
		t.Errorf("two days after switching auto-stop off: %s", got)
	}
}

// TestNotebook_failures: names make creates, starts and deletes fail,
// with a fail_reason; a start after a failed start is allowed.
func TestNotebook_failures(t *testing.T) {
	t.Parallel()
	f := newFixture(t, emulator.Options{NoSamples: true})
	id := f.createNotebook(t, "name", emulator.FailCreatePrefix+"-1")
	f.clock.Advance(testLifecycle.Create)
	nb := f.showNotebook(t, id)
	if str(t, nb, "status") != "CREATE_FAILED" || !strings.Contains(str(t, nb, "fail_reason"), "ModelArts.6200") ||
		!cmp.Equal(progress(t, nb), []string{"4:WAITING", "3:WAITING", "2:FAILED", "1:COMPLETED"}) {
		t.Errorf("failed create: %v", nb)
	}

	id = f.createNotebook(t, "name", emulator.FailStartPrefix+"-1")
	f.clock.Advance(testLifecycle.Create)
	wantOK(t, "stop", f.call(t, http.MethodPost, notebookPath(id, "/stop"), ""))
	f.clock.Advance(testLifecycle.Stop)
	for range 2 {
		wantOK(t, "start", f.call(t, http.MethodPost, notebookPath(id, "/start"), ""))
		f.clock.Advance(testLifecycle.Start)
		if nb := f.showNotebook(t, id); str(t, nb, "status") != "START_FAILED" || !strings.Contains(str(t, nb, "fail_reason"), "6360") {
			t.Errorf("failed start: %v", nb)
		}
	}

	id = f.createNotebook(t, "name", emulator.FailDeletePrefix+"-1")
	f.clock.Advance(testLifecycle.Create)
	for range 2 {
		wantOK(t, "delete", f.call(t, http.MethodDelete, notebookPath(id, ""), ""))
		f.clock.Advance(testLifecycle.Delete)
		if nb := f.showNotebook(t, id); str(t, nb, "status") != "DELETE_FAILED" || str(t, nb, "fail_reason") == "" {
			t.Errorf("failed delete: %v", nb)
		}
	}
}

// TestNotebook_delete: a RUNNING notebook can be deleted; it is DELETING
// for the delete delay, then gone (6309), from the lists too.
func TestNotebook_delete(t *testing.T) {
	t.Parallel()
	f := newFixture(t, emulator.Options{NoSamples: true})
	id := f.createNotebook(t)
	f.clock.Advance(testLifecycle.Create)
	deleting := wantOK(t, "delete", f.call(t, http.MethodDelete, notebookPath(id, ""), ""))
	if str(t, deleting, "status") != "DELETING" {
		t.Errorf("delete answered %s; want DELETING", str(t, deleting, "status"))
	}
	wantError(t, "a second delete", f.call(t, http.MethodDelete, notebookPath(id, ""), ""), 400, "ModelArts.6357")
	f.clock.Advance(testLifecycle.Delete - time.Millisecond)
	if got := str(t, f.showNotebook(t, id), "status"); got != "DELETING" {
		t.Errorf("before the delete delay: %s", got)
	}
	f.clock.Advance(time.Millisecond)
	wantError(t, "show after the delete", f.call(t, http.MethodGet, notebookPath(id, ""), ""), 400, "ModelArts.6309")
	for _, q := range []string{"", "?status=DELETED"} {
		if l := wantOK(t, "list", f.call(t, http.MethodGet, notebooksPath+q, "")); num(t, l, "total") != 0 {
			t.Errorf("list%s after the delete: %v; want none", q, l)
		}
	}
	if _, ok := f.emu.Notebook(project, id); ok {
		t.Error("Server.Notebook still finds the deleted notebook")
	}
}

// TestNotebook_saveImage: saving an image makes the notebook SNAPSHOTTING
// and the image INIT, CREATING, then ACTIVE (with a size), the notebook
// RUNNING again; a name with fail-image ends CREATE_FAILED. The saved
// image can then be used.
func TestNotebook_saveImage(t *testing.T) {
	t.Parallel()
	f := newFixture(t, emulator.Options{NoSamples: true})
	id := f.createNotebook(t)
	f.clock.Advance(testLifecycle.Create)
	img := wantOK(t, "create image", f.call(t, http.MethodPost, notebookPath(id, "/create-image"),
		`{"name":"mine","namespace":"team","tag":"v1","description":"saved"}`))
	imgID := str(t, img, "id")
	if str(t, img, "status") != "INIT" || str(t, img, "origin") != "IMAGE_SAVE" || str(t, img, "type") != "DEDICATED" ||
		str(t, img, "swr_path") != "swr.emulator.invalid/team/mine:v1" {
		t.Errorf("create image answered %v", img)
	}
	showImage := func() map[string]any {
		return wantOK(t, "show image", f.call(t, http.MethodGet, imagesPath+"/"+imgID, ""))
	}
	steps := []struct {
		after              time.Duration
		notebook, image    string
		wantSize, wantMore bool
	}{
		{0, "SNAPSHOTTING", "INIT", false, true},
		{testLifecycle.Snapshot / 2, "SNAPSHOTTING", "CREATING", false, true},
		{testLifecycle.Snapshot, "RUNNING", "ACTIVE", true, false},
	}
	t0 := f.clock.Now()
	for _, s := range steps {
		f.advanceTo(t, t0.Add(s.after))
		im := showImage()
		_, sized := im["size"]
		if got := str(t, f.showNotebook(t, id), "status"); got != s.notebook || str(t, im, "status") != s.image || sized != s.wantSize {
			t.Errorf("after %s: notebook %s, image %v; want %s and %s", s.after, got, im, s.notebook, s.image)
		}
	}
	wantError(t, "saving the same tag again", f.call(t, http.MethodPost, notebookPath(id, "/create-image"), `{"name":"mine","namespace":"team","tag":"v1"}`), 400, "ModelArts.6737")
	f.createNotebook(t, "name", "from-saved", "image_id", imgID)

	wantOK(t, "create image", f.call(t, http.MethodPost, notebookPath(id, "/create-image"), `{"name":"`+emulator.FailImagePrefix+`-x","namespace":"team"}`))
	f.clock.Advance(testLifecycle.Snapshot)
	var failed map[string]any
	for _, im := range wantOK(t, "list images", f.call(t, http.MethodGet, imagesPath+"?type=DEDICATED&name=fail-image", ""))["data"].([]any) {
		failed = im.(map[string]any)
	}
	if failed == nil || str(t, failed, "status") != "CREATE_FAILED" || str(t, failed, "status_message") == "" || str(t, failed, "tag") == "" {
		t.Errorf("failed save: %v; want CREATE_FAILED with a status_message and a default tag", failed)
	}
	if got := str(t, f.showNotebook(t, id), "status"); got != "RUNNING" {
		t.Errorf("notebook after a failed save: %s; want RUNNING", got)
	}
}

// TestNotebook_mounts: a mount is MOUNTING then MOUNTED; unmounting makes
// it UNMOUNTING then gone; a fail-mount directory ends MOUNT_FAILED; at
// most ten, each path once.
func TestNotebook_mounts(t *testing.T) {
	t.Parallel()
	f := newFixture(t, emulator.Options{NoSamples: true})
	id := f.createNotebook(t)
	f.clock.Advance(testLifecycle.Create)
	storage := notebookPath(id, "/storage")
	m := wantOK(t, "attach", f.call(t, http.MethodPost, storage, `{"category":"obs","mount_path":"/data/a/","uri":"obs://bucket/a/"}`))
	mid := str(t, m, "id")
	if str(t, m, "status") != "MOUNTING" || str(t, m, "category") != "OBSFS" {
		t.Errorf("attach answered %v; want MOUNTING, OBSFS", m)
	}
	f.clock.Advance(testLifecycle.Mount)
	if m := wantOK(t, "show mount", f.call(t, http.MethodGet, storage+"/"+mid, "")); str(t, m, "status") != "MOUNTED" {
		t.Errorf("after the mount delay: %v", m)
	}
	wantError(t, "the same path again", f.call(t, http.MethodPost, storage, `{"category":"OBS","mount_path":"/data/a","uri":"obs://bucket/b/"}`), 400, "ModelArts.6336")
	if m := wantOK(t, "detach", f.call(t, http.MethodDelete, storage+"/"+mid, "")); str(t, m, "status") != "UNMOUNTING" {
		t.Errorf("detach answered %v", m)
	}
	wantError(t, "detach while UNMOUNTING", f.call(t, http.MethodDelete, storage+"/"+mid, ""), 400, "ModelArts.6357")
	f.clock.Advance(testLifecycle.Unmount)
	wantError(t, "show after the unmount", f.call(t, http.MethodGet, storage+"/"+mid, ""), 400, "ModelArts.6309")

	failed := wantOK(t, "attach", f.call(t, http.MethodPost, storage, `{"category":"OBS","mount_path":"/data/`+emulator.FailMountPrefix+`/","uri":"obs://bucket/f/"}`))
	f.clock.Advance(testLifecycle.Mount)
	if m := wantOK(t, "show mount", f.call(t, http.MethodGet, storage+"/"+str(t, failed, "id"), "")); str(t, m, "status") != "MOUNT_FAILED" {
		t.Errorf("a fail-mount mount: %v; want MOUNT_FAILED", m)
	}
	for i := 1; i < emulator.MaxMounts; i++ {
		wantOK(t, "attach", f.call(t, http.MethodPost, storage, `{"category":"OBS","mount_path":"/data/d`+string(rune('a'+i))+`/","uri":"obs://bucket/d/"}`))
	}
	wantError(t, "an eleventh mount", f.call(t, http.MethodPost, storage, `{"category":"OBS","mount_path":"/data/z/","uri":"obs://bucket/z/"}`), 400, "ModelArts.0118")
	if l := wantOK(t, "list mounts", f.call(t, http.MethodGet, storage, "")); num(t, l, "total") != emulator.MaxMounts {
		t.Errorf("list of mounts: total %d; want %d", num(t, l, "total"), emulator.MaxMounts)
	}
}

// TestNotebook_resize: an EVS volume grows while RUNNING, RESIZING for
// the resize delay, at most 100 GB a step and 4096 in all.
func TestNotebook_resize(t *testing.T) {
	t.Parallel()
	f := newFixture(t, emulator.Options{})
	id := emulator.SampleSSHNotebookID // RUNNING, EVS 100 GB
	nb := wantOK(t, "resize", f.call(t, http.MethodPut, notebookPath(id, ""), `{"storage_new_size":150}`))
	if num(t, nb, "volume.capacity") != 150 || str(t, nb, "volume.status") != "RESIZING" {
		t.Errorf("resize answered volume %v; want 150 GB RESIZING", nb["volume"])
	}
	wantError(t, "a resize while RESIZING", f.call(t, http.MethodPut, notebookPath(id, ""), `{"storage_new_size":160}`), 400, "ModelArts.6357")
	f.clock.Advance(testLifecycle.Resize)
	if v := f.showNotebook(t, id)["volume"]; v.(map[string]any)["status"] != nil {
		t.Errorf("after the resize delay: %v; want no status", v)
	}
	r := f.call(t, http.MethodPut, notebookPath(id, ""), `{"storage_new_size":251}`)
	wantError(t, "a step over 100 GB", r, 400, "ModelArts.6331")
	if r.msg() != "The evs volume size ranges from 151 GB to 250 GB." {
		t.Errorf("message %q; want the allowed range", r.msg())
	}
	wantError(t, "shrinking", f.call(t, http.MethodPut, notebookPath(id, ""), `{"storage_new_size":100}`), 400, "ModelArts.6331")
	wantError(t, "an EFS volume", f.call(t, http.MethodPut, notebookPath(emulator.SampleNotebookID, ""), `{"storage_new_size":100}`), 400, "ModelArts.6324")
}
