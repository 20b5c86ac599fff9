package server_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/devenv-facade/devenv-facade/internal/emulator"
)

// TestNotebookExtras_mirrorWaits: over the REST mirror, wait goes in the
// body of an attach and of an image save (beside the vendor's fields) and
// in the query of a detach; the answers are the vendor's objects in their
// final states, on a fake clock that moves as the facade waits.
func TestNotebookExtras_mirrorWaits(t *testing.T) {
	t.Parallel()
	f, _ := startLifecycle(t, newFakeClock(), nil, emulator.Options{Lifecycle: emulator.Lifecycle{Mount: time.Minute, Unmount: time.Minute, Snapshot: time.Minute}})
	base := f.httpURL + "/v1/" + project + "/notebooks/" + emulator.SampleNotebookID

	code, m := mirrorCall(t, http.MethodPost, base+"/storage", `{"category":"OBS","mount_path":"/data/wang/","uri":"obs://authoring-test/wang/","wait":true}`)
	if code != 200 || m["status"] != "MOUNTED" || m["category"] != "OBSFS" {
		t.Fatalf("attach with wait: %d %v; want the mount MOUNTED", code, m)
	}
	if _, ok := m["wait"]; ok {
		t.Errorf("the answer carries wait: %v", m)
	}
	id, _ := m["id"].(string)
	code, m = mirrorCall(t, http.MethodDelete, base+"/storage/"+id+"?wait=true", "")
	if code != 200 || m["status"] != "UNMOUNTING" || m["id"] != id {
		t.Fatalf("detach with wait: %d %v; want the unmount's answer", code, m)
	}
	code, m = mirrorCall(t, http.MethodGet, base+"/storage/"+id, "")
	if code != 400 || m["error_code"] != "ModelArts.6309" {
		t.Fatalf("the detached mount: %d %v; want 400 ModelArts.6309", code, m)
	}

	code, m = mirrorCall(t, http.MethodPost, base+"/create-image", `{"name":"pytorch1_4","namespace":"atelier-auto","tag":"20221223","description":"save from notebook-x21d","workspace_id":"0","wait":true}`)
	if code != 200 || m["status"] != "ACTIVE" || m["origin"] != "IMAGE_SAVE" {
		t.Fatalf("image save with wait: %d %v; want the image ACTIVE", code, m)
	}
	code, m = mirrorCall(t, http.MethodGet, base, "")
	if code != 200 || m["status"] != "RUNNING" {
		t.Fatalf("the notebook after the save: %d %v; want RUNNING", code, m["status"])
	}
}
