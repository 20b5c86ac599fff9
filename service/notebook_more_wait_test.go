package service_test

import (
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"

	notebookv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/notebook/v1"
	"github.com/devenv-facade/devenv-facade/internal/emulator"
	"github.com/devenv-facade/devenv-facade/internal/statustest"
)

// TestWait_mountsAndImages: with wait, an attach returns the mount
// MOUNTED, a detach returns once the mount is gone, an image save returns
// the image ACTIVE with the notebook RUNNING again; a failure state ends
// the wait with FAILED_PRECONDITION and what ModelArts says of it. The
// emulator and the service share a clock that moves as the service
// pauses between reads.
func TestWait_mountsAndImages(t *testing.T) {
	t.Parallel()
	clk := advancingClock()
	svc := notebookService(t, emulatorOn(clk), clk)
	ctx := t.Context()

	att, err := svc.AttachStorageMount(ctx, &notebookv1.AttachStorageMountRequest{ProjectId: project, NotebookId: nbRunning,
		Category: "OBS", MountPath: "/data/in", Uri: "obs://bucket-a/in/", Wait: true})
	if err != nil || att.GetStorageMount().GetStatus() != "MOUNTED" {
		t.Fatalf("attach with wait: %v, %v", att, err)
	}
	id := att.GetStorageMount().GetId()

	det, err := svc.DetachStorageMount(ctx, &notebookv1.DetachStorageMountRequest{ProjectId: project, NotebookId: nbRunning, StorageId: id, Wait: true})
	if err != nil || det.GetStorageMount().GetStatus() != "UNMOUNTING" {
		t.Fatalf("detach with wait: %v, %v", det, err)
	}
	_, err = svc.GetStorageMount(ctx, &notebookv1.GetStorageMountRequest{ProjectId: project, NotebookId: nbRunning, StorageId: id})
	wantCode(t, err, codes.NotFound, "ModelArts.6309")

	_, err = svc.AttachStorageMount(ctx, &notebookv1.AttachStorageMountRequest{ProjectId: project, NotebookId: nbRunning,
		Category: "OBS", MountPath: "/data/" + emulator.FailMountPrefix + "-x/", Uri: "obs://bucket-a/in/", Wait: true})
	wantCode(t, err, codes.FailedPrecondition, "")
	if e := statustest.Error(t, err); e.Metadata()["instance_status"] != "MOUNT_FAILED" {
		t.Fatalf("failed attach: %v (metadata %v)", e, e.Metadata())
	}

	saved, err := svc.CreateImage(ctx, &notebookv1.CreateImageRequest{ProjectId: project, NotebookId: nbRunning,
		Name: "saved", Namespace: "org", Tag: proto.String("v1"), Wait: true})
	if err != nil || saved.GetImage().GetStatus() != "ACTIVE" || saved.GetImage().GetSize() == 0 {
		t.Fatalf("image save with wait: %v, %v", saved, err)
	}
	lease, err := svc.GetLease(ctx, &notebookv1.GetLeaseRequest{ProjectId: project, NotebookId: nbRunning})
	if err != nil || lease.StopAt == nil {
		t.Fatalf("after the save the notebook has no lease (not RUNNING?): %v, %v", lease, err)
	}

	_, err = svc.CreateImage(ctx, &notebookv1.CreateImageRequest{ProjectId: project, NotebookId: nbRunning,
		Name: emulator.FailImagePrefix + "-x", Namespace: "org", Wait: true})
	wantCode(t, err, codes.FailedPrecondition, "")
	if e := statustest.Error(t, err); !strings.Contains(e.Message(), "CREATE_FAILED") || !strings.Contains(e.Message(), "emulated failure") {
		t.Fatalf("failed save: %v", e.Message())
	}
}
