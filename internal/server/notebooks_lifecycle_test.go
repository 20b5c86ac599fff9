package server_test

import (
	"net/http"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"

	notebookv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/notebook/v1"
	"github.com/devenv-facade/devenv-facade/internal/emulator"
	"github.com/devenv-facade/devenv-facade/internal/statustest"
)

// TestNotebookLifecycle_gRPC walks a notebook through its whole life over
// gRPC against the emulator, on a fake clock the facade's waits move:
// create and wait, get, stop and wait, start with a one-hour lease and
// wait, the lease's deadline passing (the notebook stops by itself), a
// stop of the stopped notebook refused, delete and wait, then NOT_FOUND.
func TestNotebookLifecycle_gRPC(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	f, _ := startLifecycle(t, clock, nil, emulator.Options{NoSamples: true})
	ctx, c := t.Context(), f.notebooks

	created, err := c.CreateNotebook(ctx, &notebookv1.CreateNotebookRequest{ProjectId: project, Name: "e2e-notebook", Flavor: "modelarts.vm.cpu.2u",
		ImageId: emulator.SampleImageID, Volume: &notebookv1.VolumeRequest{Category: "EVS", Ownership: "MANAGED", Capacity: proto.Int32(5)}, Wait: true})
	if err != nil || created.GetNotebook().GetStatus() != "RUNNING" {
		t.Fatalf("create with wait: %v, %v; want RUNNING", created.GetNotebook(), err)
	}
	id := created.GetNotebook().GetId()
	got, err := c.GetNotebook(ctx, &notebookv1.GetNotebookRequest{ProjectId: project, NotebookId: id})
	if err != nil || got.GetNotebook().GetName() != "e2e-notebook" || got.GetNotebook().GetVolume().GetCategory() != "EVS" {
		t.Fatalf("get: %v, %v", got.GetNotebook(), err)
	}

	stopped, err := c.StopNotebook(ctx, &notebookv1.StopNotebookRequest{ProjectId: project, NotebookId: id, Wait: true})
	if err != nil || stopped.GetNotebook().GetStatus() != "STOPPED" {
		t.Fatalf("stop with wait: %v, %v; want STOPPED", stopped.GetNotebook().GetStatus(), err)
	}
	started, err := c.StartNotebook(ctx, &notebookv1.StartNotebookRequest{ProjectId: project, NotebookId: id, Duration: proto.Int64(3_600_000), Wait: true})
	if err != nil || started.GetNotebook().GetStatus() != "RUNNING" {
		t.Fatalf("start with wait: %v, %v; want RUNNING", started.GetNotebook().GetStatus(), err)
	}
	lease := started.GetNotebook().GetLease()
	deadline := time.UnixMilli(lease.GetCreateAt() + lease.GetDuration())
	if left := deadline.Sub(clock.Now()); left <= 0 || left > time.Hour {
		t.Fatalf("lease %v: %s left; want up to an hour", lease, left)
	}
	if l, err := c.GetLease(ctx, &notebookv1.GetLeaseRequest{ProjectId: project, NotebookId: id}); err != nil || l.GetStopAt() != deadline.UnixMilli() {
		t.Errorf("GetLease: stop_at %d, %v; want %d, the lease's deadline", l.GetStopAt(), err, deadline.UnixMilli())
	}

	// The lease runs out: the notebook stops by itself.
	clock.Advance(deadline.Sub(clock.Now()) + emulator.DefaultLifecycle().Stop + time.Second)
	got, err = c.GetNotebook(ctx, &notebookv1.GetNotebookRequest{ProjectId: project, NotebookId: id})
	if err != nil || got.GetNotebook().GetStatus() != "STOPPED" {
		t.Fatalf("after the lease's deadline: %v, %v; want STOPPED", got.GetNotebook().GetStatus(), err)
	}
	_, err = c.StopNotebook(ctx, &notebookv1.StopNotebookRequest{ProjectId: project, NotebookId: id})
	if e := statustest.Error(t, err); e.Code() != codes.Aborted || e.VendorCode() != "ModelArts.6357" {
		t.Errorf("stop of the stopped notebook: %v %s; want ABORTED ModelArts.6357, reported as an error", e.Code(), e.VendorCode())
	}

	deleted, err := c.DeleteNotebook(ctx, &notebookv1.DeleteNotebookRequest{ProjectId: project, NotebookId: id, Wait: true})
	if err != nil || deleted.GetNotebook().GetId() != id {
		t.Fatalf("delete with wait: %v, %v", deleted.GetNotebook(), err)
	}
	_, err = c.GetNotebook(ctx, &notebookv1.GetNotebookRequest{ProjectId: project, NotebookId: id})
	if e := statustest.Error(t, err); e.Code() != codes.NotFound || e.VendorCode() != "ModelArts.6309" {
		t.Errorf("get after delete: %v %s; want NOT_FOUND ModelArts.6309", e.Code(), e.VendorCode())
	}
}

// TestNotebookLifecycle_mirror walks a notebook's life through the REST
// mirror as a vendor client would, with the facade's wait where it goes:
// in the create's body, and as the query parameter of start, stop and
// delete. Every answer is the notebook, without its token.
func TestNotebookLifecycle_mirror(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	f, _ := startLifecycle(t, clock, nil, emulator.Options{NoSamples: true})
	base := f.httpURL + "/v1/" + project + "/notebooks"
	check := func(what string, code int, nb map[string]any, status string) {
		t.Helper()
		if code != 200 || nb["status"] != status {
			t.Fatalf("%s: %d %v; want 200 %s", what, code, nb, status)
		}
		if _, ok := nb["token"]; ok {
			t.Errorf("%s: the answer holds the notebook's token", what)
		}
	}
	code, nb := mirrorCall(t, http.MethodPost, base, `{"name":"rest-notebook","flavor":"modelarts.vm.cpu.2u","image_id":"`+emulator.SampleImageID+
		`","volume":{"category":"efs","ownership":"managed"},"lease":{"duration":3600000,"type":"timing"},"wait":true}`)
	check("create with wait", code, nb, "RUNNING")
	id, _ := nb["id"].(string)
	code, nb = mirrorCall(t, http.MethodPost, base+"/"+id+"/stop?wait=true", "")
	check("stop with wait", code, nb, "STOPPED")
	code, nb = mirrorCall(t, http.MethodPost, base+"/"+id+"/start?duration=7200000&type=timing&wait=true", "{ }")
	check("start with wait", code, nb, "RUNNING")
	code, nb = mirrorCall(t, http.MethodDelete, base+"/"+id+"?wait=true", "")
	check("delete with wait", code, nb, "DELETING")
	code, nb = mirrorCall(t, http.MethodGet, base+"/"+id, "")
	if code != 400 || nb["error_code"] != "ModelArts.6309" || nb["error_msg"] == nil {
		t.Errorf("get after delete: %d %v; want 400 ModelArts.6309 with error_msg", code, nb)
	}
}
