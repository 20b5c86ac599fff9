package server_test

import (
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
