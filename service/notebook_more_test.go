package service_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"

	notebookv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/notebook/v1"
	"github.com/devenv-facade/devenv-facade/internal/clock/clocktest"
	"github.com/devenv-facade/devenv-facade/internal/cloudauth"
	"github.com/devenv-facade/devenv-facade/internal/emulator"
	"github.com/devenv-facade/devenv-facade/internal/modelarts"
	"github.com/devenv-facade/devenv-facade/internal/statustest"
	"github.com/devenv-facade/devenv-facade/service"
)

// The lease, flavors, mounts and images of NotebookService, called in
// process against the emulator over loopback HTTP.

const (
	nbRunning = emulator.SampleNotebookID
	nbSSH     = emulator.SampleSSHNotebookID
	nbStopped = "936bea3e-d3df-435e-8b58-d817283284ae"
)

// notebookService returns a service in front of upstream, served over
// loopback HTTP, on clk (nil: the system clock).
func notebookService(t *testing.T, upstream http.Handler, clk *clocktest.Fake) *service.Service {
	t.Helper()
	up := httptest.NewServer(upstream)
	t.Cleanup(up.Close)
	mc, err := modelarts.NewClient(up.Client(), up.URL, modelarts.Options{Credentials: cloudauth.Token("t")})
	if err != nil {
		t.Fatal(err)
	}
	opts := service.Options{}
	if clk != nil {
		opts.Clock = clk
	}
	return newService(t, mc, opts)
}

// emulatorOn is an emulator on clk, with mounts, unmounts and image saves
// that take a minute.
func emulatorOn(clk *clocktest.Fake) *emulator.Server {
	return emulator.MustNew(emulator.Options{Clock: clk, Lifecycle: emulator.Lifecycle{Mount: time.Minute, Unmount: time.Minute, Snapshot: time.Minute}})
}

// wantCode fails the test unless err is the facade's error with code and,
// if vendorCode is not "", that ModelArts code.
func wantCode(t *testing.T, err error, code codes.Code, vendorCode string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %s", code)
	}
	e := statustest.Error(t, err)
	if e.Code() != code || vendorCode != "" && e.VendorCode() != vendorCode {
		t.Fatalf("got %s %q (%s), want %s %s", e.Code(), e.VendorCode(), e.Message(), code, vendorCode)
	}
}

func TestLease_againstEmulator(t *testing.T) {
	t.Parallel()
	clk := clocktest.New(clocktest.Start)
	svc := notebookService(t, emulatorOn(clk), clk)
	ctx := context.Background()

	got, err := svc.GetLease(ctx, &notebookv1.GetLeaseRequest{ProjectId: project, NotebookId: nbRunning})
	if err != nil {
		t.Fatal(err)
	}
	if l := got.GetLease(); got.StopAt == nil || got.GetStopAt() != l.GetCreateAt()+l.GetDuration() {
		t.Fatalf("stop_at = %v, want create_at + duration of %v", got.StopAt, l)
	}
	oldStop := got.GetStopAt()

	// Renewing an hour resets the deadline to now + 1h: it does not add an
	// hour to the 24 hours left.
	clk.Advance(10 * time.Minute)
	now := clk.Now().UnixMilli()
	for _, req := range []*notebookv1.RenewLeaseRequest{
		{ProjectId: project, NotebookId: nbRunning, Lease: &notebookv1.LeaseRequest{Duration: proto.Int64(3_600_000), Type: proto.String("TIMING")}},
		{ProjectId: project, NotebookId: nbRunning, Duration: proto.Int64(3_600_000)},
	} {
		renewed, err := svc.RenewLease(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		if renewed.GetStopAt() != now+3_600_000 {
			t.Fatalf("after renewing 1h at %d, stop_at = %d (was %d), want %d", now, renewed.GetStopAt(), oldStop, now+3_600_000)
		}
		if !strings.EqualFold(renewed.GetLease().GetType(), "TIMING") || !renewed.GetLease().GetEnable() {
			t.Fatalf("renewed lease = %v", renewed.GetLease())
		}
	}
	if again, err := svc.GetLease(ctx, &notebookv1.GetLeaseRequest{ProjectId: project, NotebookId: nbRunning}); err != nil || again.GetStopAt() != now+3_600_000 {
		t.Fatalf("GetLease after renewing: %v, %v", again, err)
	}

	// -1 switches the automatic stop off: there is no stop_at.
	off, err := svc.RenewLease(ctx, &notebookv1.RenewLeaseRequest{ProjectId: project, NotebookId: nbRunning, Lease: &notebookv1.LeaseRequest{Duration: proto.Int64(-1)}})
	if err != nil || off.StopAt != nil || off.GetLease().GetEnable() {
		t.Fatalf("renewing with -1: %v, %v", off, err)
	}

	// Only a running notebook has a lease to show or renew.
	_, err = svc.GetLease(ctx, &notebookv1.GetLeaseRequest{ProjectId: project, NotebookId: nbStopped})
	wantCode(t, err, codes.FailedPrecondition, "ModelArts.6327")
	_, err = svc.RenewLease(ctx, &notebookv1.RenewLeaseRequest{ProjectId: project, NotebookId: nbStopped, Duration: proto.Int64(3_600_000)})
	wantCode(t, err, codes.FailedPrecondition, "ModelArts.6327")
	_, err = svc.GetLease(ctx, &notebookv1.GetLeaseRequest{ProjectId: project, NotebookId: "00000000-0000-0000-0000-000000000000"})
	wantCode(t, err, codes.NotFound, "ModelArts.6309")
}

func TestFlavors_againstEmulator(t *testing.T) {
	t.Parallel()
	svc := notebookService(t, emulator.MustNew(emulator.Options{}), nil)
	ctx := context.Background()

	all, err := svc.ListFlavors(ctx, &notebookv1.ListFlavorsRequest{ProjectId: project})
	if err != nil {
		t.Fatal(err)
	}
	if len(all.GetData()) < 3 || !proto.Equal(&notebookv1.ListFlavorsResponse{Data: all.GetData()}, &notebookv1.ListFlavorsResponse{Data: all.GetFlavors()}) {
		t.Fatalf("data and flavors differ, or too few flavors to page: %v", all)
	}
	if int(all.GetTotal()) != len(all.GetData()) {
		t.Fatalf("total %d, %d flavors", all.GetTotal(), len(all.GetData()))
	}

	gpu, err := svc.ListFlavors(ctx, &notebookv1.ListFlavorsRequest{ProjectId: project, Category: "gpu"})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range gpu.GetData() {
		if f.GetCategory() != "GPU" {
			t.Fatalf("category gpu listed %v", f)
		}
	}

	// AIP-158 pages of 2 list every flavor once, in order.
	var paged []string
	req := &notebookv1.ListFlavorsRequest{ProjectId: project, PageSize: 2}
	for range 50 {
		page, err := svc.ListFlavors(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		if len(page.GetData()) > 2 {
			t.Fatalf("a page of 2 has %d flavors", len(page.GetData()))
		}
		for _, f := range page.GetData() {
			paged = append(paged, f.GetId())
		}
		if page.GetNextPageToken() == "" {
			break
		}
		req.PageToken = page.GetNextPageToken()
	}
	var want []string
	for _, f := range all.GetData() {
		want = append(want, f.GetId())
	}
	if !slices.Equal(paged, want) {
		t.Fatalf("paged %v, want %v", paged, want)
	}

	// A token is bound to the filters it was made for.
	_, err = svc.ListFlavors(ctx, &notebookv1.ListFlavorsRequest{ProjectId: project, Category: "CPU", PageToken: req.GetPageToken()})
	wantCode(t, err, codes.InvalidArgument, "")

	sw, err := svc.ListSwitchableFlavors(ctx, &notebookv1.ListSwitchableFlavorsRequest{ProjectId: project, NotebookId: nbStopped})
	if err != nil || len(sw.GetData()) == 0 || len(sw.GetData()) != len(sw.GetFlavors()) {
		t.Fatalf("switchable flavors: %v, %v", sw, err)
	}
	_, err = svc.ListSwitchableFlavors(ctx, &notebookv1.ListSwitchableFlavorsRequest{ProjectId: project, NotebookId: "00000000-0000-0000-0000-000000000000"})
	wantCode(t, err, codes.NotFound, "ModelArts.6309")
}

func TestMounts_againstEmulator(t *testing.T) {
	t.Parallel()
	clk := clocktest.New(clocktest.Start)
	svc := notebookService(t, emulatorOn(clk), clk)
	ctx := context.Background()

	list, err := svc.ListStorageMounts(ctx, &notebookv1.ListStorageMountsRequest{ProjectId: project, NotebookId: nbSSH})
	if err != nil || len(list.GetData()) != 1 || list.GetData()[0].GetId() != emulator.SampleMountID {
		t.Fatalf("mounts of %s: %v, %v", nbSSH, list, err)
	}
	got, err := svc.GetStorageMount(ctx, &notebookv1.GetStorageMountRequest{ProjectId: project, NotebookId: nbSSH, StorageId: emulator.SampleMountID})
	if err != nil || got.GetStorageMount().GetStatus() != "MOUNTED" || got.GetStorageMount().GetUri() != "obs://authoring-test/wang/" {
		t.Fatalf("GetStorageMount: %v, %v", got, err)
	}

	att, err := svc.AttachStorageMount(ctx, &notebookv1.AttachStorageMountRequest{ProjectId: project, NotebookId: nbRunning,
		Category: "obs", MountPath: "/data/in/", Uri: "obs://bucket-a/data/"})
	if err != nil {
		t.Fatal(err)
	}
	m := att.GetStorageMount()
	if m.GetStatus() != "MOUNTING" || m.GetCategory() != "OBSFS" || m.GetMountPath() != "/data/in/" || m.GetId() == "" {
		t.Fatalf("attached %v", m)
	}
	clk.Advance(time.Minute)
	det, err := svc.DetachStorageMount(ctx, &notebookv1.DetachStorageMountRequest{ProjectId: project, NotebookId: nbRunning, StorageId: m.GetId()})
	if err != nil || det.GetStorageMount().GetStatus() != "UNMOUNTING" {
		t.Fatalf("DetachStorageMount: %v, %v", det, err)
	}
	clk.Advance(time.Minute)
	_, err = svc.GetStorageMount(ctx, &notebookv1.GetStorageMountRequest{ProjectId: project, NotebookId: nbRunning, StorageId: m.GetId()})
	wantCode(t, err, codes.NotFound, "ModelArts.6309")

	// Mounts need a running notebook.
	_, err = svc.AttachStorageMount(ctx, &notebookv1.AttachStorageMountRequest{ProjectId: project, NotebookId: nbStopped,
		Category: "OBS", MountPath: "/data/in/", Uri: "obs://bucket-a/data/"})
	wantCode(t, err, codes.FailedPrecondition, "ModelArts.6327")
}

func TestImages_againstEmulator(t *testing.T) {
	t.Parallel()
	clk := clocktest.New(clocktest.Start)
	svc := notebookService(t, emulatorOn(clk), clk)
	ctx := context.Background()

	all, err := svc.ListImages(ctx, &notebookv1.ListImagesRequest{ProjectId: project})
	if err != nil || len(all.GetData()) < 3 || int(all.GetTotal()) != len(all.GetData()) {
		t.Fatalf("ListImages: %v, %v", all, err)
	}
	var paged []string
	req := &notebookv1.ListImagesRequest{ProjectId: project, PageSize: 2}
	for range 50 {
		page, err := svc.ListImages(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		for _, img := range page.GetData() {
			paged = append(paged, img.GetId())
		}
		if req.PageToken = page.GetNextPageToken(); req.PageToken == "" {
			break
		}
	}
	if len(paged) != len(all.GetData()) {
		t.Fatalf("pages of 2 listed %d images, the list %d", len(paged), len(all.GetData()))
	}

	got, err := svc.GetImage(ctx, &notebookv1.GetImageRequest{ProjectId: project, ImageId: emulator.SampleImageID})
	if err != nil || got.GetImage().GetId() != emulator.SampleImageID || got.GetImage().GetType() != "BUILD_IN" {
		t.Fatalf("GetImage: %v, %v", got, err)
	}

	reg, err := svc.RegisterImage(ctx, &notebookv1.RegisterImageRequest{ProjectId: project,
		SwrPath: "swr.eu-de.otc.t-systems.com/my-org/pytorch_1_8:v1", ResourceCategory: []string{"cpu"}, Arch: proto.String("x86_64")})
	if err != nil {
		t.Fatal(err)
	}
	img := reg.GetImage()
	if img.GetName() != "pytorch_1_8" || img.GetNamespace() != "my-org" || img.GetTag() != "v1" || !slices.Equal(img.GetResourceCategories(), []string{"CPU"}) {
		t.Fatalf("registered %v", img)
	}
	_, err = svc.RegisterImage(ctx, &notebookv1.RegisterImageRequest{ProjectId: project, SwrPath: "swr.eu-de.otc.t-systems.com/my-org/pytorch_1_8:v1"})
	wantCode(t, err, codes.AlreadyExists, "ModelArts.6737")

	groups, err := svc.ListImageGroups(ctx, &notebookv1.ListImageGroupsRequest{ProjectId: project, Namespace: "my-org"})
	if err != nil || len(groups.GetData()) != 1 || groups.GetData()[0].GetName() != "pytorch_1_8" {
		t.Fatalf("ListImageGroups: %v, %v", groups, err)
	}

	del, err := svc.DeleteImage(ctx, &notebookv1.DeleteImageRequest{ProjectId: project, ImageId: img.GetId(), Force: true})
	if err != nil || del.GetImage().GetStatus() != "DELETED" {
		t.Fatalf("DeleteImage: %v, %v", del, err)
	}
	_, err = svc.GetImage(ctx, &notebookv1.GetImageRequest{ProjectId: project, ImageId: img.GetId()})
	wantCode(t, err, codes.NotFound, "ModelArts.6797")

	saved, err := svc.CreateImage(ctx, &notebookv1.CreateImageRequest{ProjectId: project, NotebookId: nbRunning,
		Name: "pytorch1_4", Namespace: "atelier-auto", Tag: proto.String("20221223"), Description: proto.String("save from notebook-x21d")})
	if err != nil {
		t.Fatal(err)
	}
	if s := saved.GetImage(); s.GetStatus() != "INIT" || s.GetOrigin() != "IMAGE_SAVE" || s.GetSwrPath() == "" {
		t.Fatalf("saved %v", s)
	}
	_, err = svc.CreateImage(ctx, &notebookv1.CreateImageRequest{ProjectId: project, NotebookId: nbStopped, Name: "x", Namespace: "y"})
	wantCode(t, err, codes.FailedPrecondition, "ModelArts.6327")
}

// TestNotebookExtras_rejectBadInputBeforeUpstream: every malformed field is
// INVALID_ARGUMENT with one violation per bad field, and nothing reaches
// ModelArts.
func TestNotebookExtras_rejectBadInputBeforeUpstream(t *testing.T) {
	t.Parallel()
	var sent atomic.Int64
	svc := notebookService(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sent.Add(1)
		http.Error(w, "{}", http.StatusTeapot)
	}), nil)
	long := func(n int) string { return strings.Repeat("a", n) }
	type call func(context.Context) error
	tests := []struct {
		name string
		call call
		want []string
	}{
		{"lease_ids", func(ctx context.Context) error {
			_, err := svc.GetLease(ctx, &notebookv1.GetLeaseRequest{ProjectId: "x", NotebookId: "../x"})
			return err
		}, []string{"project_id", "notebook_id"}},
		{"lease_literal_id", func(ctx context.Context) error {
			_, err := svc.GetLease(ctx, &notebookv1.GetLeaseRequest{ProjectId: project, NotebookId: "ALL"})
			return err
		}, []string{"notebook_id"}},
		{"renew_no_duration", func(ctx context.Context) error {
			_, err := svc.RenewLease(ctx, &notebookv1.RenewLeaseRequest{ProjectId: project, NotebookId: nbRunning, Lease: &notebookv1.LeaseRequest{Type: proto.String("idle")}})
			return err
		}, []string{"lease.duration"}},
		{"renew_both_durations", func(ctx context.Context) error {
			_, err := svc.RenewLease(ctx, &notebookv1.RenewLeaseRequest{ProjectId: project, NotebookId: nbRunning, Duration: proto.Int64(3_600_000), Lease: &notebookv1.LeaseRequest{Duration: proto.Int64(3_600_000)}})
			return err
		}, []string{"duration"}},
		{"renew_out_of_range", func(ctx context.Context) error {
			_, err := svc.RenewLease(ctx, &notebookv1.RenewLeaseRequest{ProjectId: project, NotebookId: nbRunning, Lease: &notebookv1.LeaseRequest{Duration: proto.Int64(3600), Type: proto.String("sometimes")}})
			return err
		}, []string{"lease.duration", "lease.type"}},
		{"renew_query_too_long", func(ctx context.Context) error {
			_, err := svc.RenewLease(ctx, &notebookv1.RenewLeaseRequest{ProjectId: project, NotebookId: nbRunning, Duration: proto.Int64(86_400_001)})
			return err
		}, []string{"duration"}},
		{"flavors_filters", func(ctx context.Context) error {
			_, err := svc.ListFlavors(ctx, &notebookv1.ListFlavorsRequest{ProjectId: project, Category: "TPU", Type: "shared", SortDir: "up", SortKey: "a,,b", Limit: 1001, Offset: -1})
			return err
		}, []string{"category", "type", "sort_dir", "sort_key", "offset", "limit"}},
		{"flavors_paging_mixed", func(ctx context.Context) error {
			_, err := svc.ListFlavors(ctx, &notebookv1.ListFlavorsRequest{ProjectId: project, PageSize: 10, Offset: 5})
			return err
		}, []string{"page_token"}},
		{"switchable_id", func(ctx context.Context) error {
			_, err := svc.ListSwitchableFlavors(ctx, &notebookv1.ListSwitchableFlavorsRequest{ProjectId: project, NotebookId: "flavors", PageSize: 1001})
			return err
		}, []string{"notebook_id", "page_size"}},
		{"mount_ids", func(ctx context.Context) error {
			_, err := svc.GetStorageMount(ctx, &notebookv1.GetStorageMountRequest{ProjectId: project, NotebookId: nbSSH, StorageId: "a/b"})
			return err
		}, []string{"storage_id"}},
		{"attach_missing", func(ctx context.Context) error {
			_, err := svc.AttachStorageMount(ctx, &notebookv1.AttachStorageMountRequest{ProjectId: project, NotebookId: nbSSH})
			return err
		}, []string{"category", "mount_path", "uri"}},
		{"attach_malformed", func(ctx context.Context) error {
			_, err := svc.AttachStorageMount(ctx, &notebookv1.AttachStorageMountRequest{ProjectId: project, NotebookId: nbSSH,
				Category: "EVS", MountPath: "/data/../etc/", Uri: "obs://bucket-a/"})
			return err
		}, []string{"category", "mount_path", "uri"}},
		{"attach_outside_data", func(ctx context.Context) error {
			_, err := svc.AttachStorageMount(ctx, &notebookv1.AttachStorageMountRequest{ProjectId: project, NotebookId: nbSSH,
				Category: "OBS", MountPath: "/home/ma-user/", Uri: "s3://bucket-a/dir/"})
			return err
		}, []string{"mount_path", "uri"}},
		{"attach_uri_tricks", func(ctx context.Context) error {
			_, err := svc.AttachStorageMount(ctx, &notebookv1.AttachStorageMountRequest{ProjectId: project, NotebookId: nbSSH,
				Category: "OBS", MountPath: "/data/" + long(260), Uri: "obs://bucket-a/dir/%2e%2e/"})
			return err
		}, []string{"mount_path", "uri"}},
		{"detach_ids", func(ctx context.Context) error {
			_, err := svc.DetachStorageMount(ctx, &notebookv1.DetachStorageMountRequest{ProjectId: project, NotebookId: "a b"})
			return err
		}, []string{"notebook_id", "storage_id"}},
		{"create_image_missing", func(ctx context.Context) error {
			_, err := svc.CreateImage(ctx, &notebookv1.CreateImageRequest{ProjectId: project, NotebookId: nbRunning, Tag: proto.String("")})
			return err
		}, []string{"name", "namespace", "tag"}},
		{"create_image_malformed", func(ctx context.Context) error {
			_, err := svc.CreateImage(ctx, &notebookv1.CreateImageRequest{ProjectId: project, NotebookId: nbRunning, Name: "PyTorch", Namespace: long(65),
				Tag: proto.String("v1/x"), Description: proto.String("a\u202eb"), WorkspaceId: proto.String("ws")})
			return err
		}, []string{"name", "namespace", "tag", "description", "workspace_id"}},
		{"list_images_filters", func(ctx context.Context) error {
			_, err := svc.ListImages(ctx, &notebookv1.ListImagesRequest{ProjectId: project, Name: "A", Namespace: "x/y", ServiceType: "PLAY", Type: "OWN", WorkspaceId: "1"})
			return err
		}, []string{"name", "namespace", "service_type", "type", "workspace_id"}},
		{"register_image", func(ctx context.Context) error {
			_, err := svc.RegisterImage(ctx, &notebookv1.RegisterImageRequest{ProjectId: project, SwrPath: "swr.example.com/org/name",
				Arch: proto.String("arm"), Origin: proto.String(""), ResourceCategory: []string{"CPU", "cpu"}, Services: []string{"NOTEBOOK", "SSH", "WEB_IDE"}})
			return err
		}, []string{"swr_path", "arch", "origin", "resource_category[1]", "services"}},
		{"register_image_paths", func(ctx context.Context) error {
			_, err := svc.RegisterImage(ctx, &notebookv1.RegisterImageRequest{ProjectId: project, SwrPath: "bad_host:99999/org/name:v1"})
			return err
		}, []string{"swr_path"}},
		{"groups", func(ctx context.Context) error {
			_, err := svc.ListImageGroups(ctx, &notebookv1.ListImageGroupsRequest{ProjectId: project, Type: "mine", Name: long(513)})
			return err
		}, []string{"name", "type"}},
		{"image_ids", func(ctx context.Context) error {
			_, err := svc.GetImage(ctx, &notebookv1.GetImageRequest{ProjectId: project, ImageId: "Group"})
			return err
		}, []string{"image_id"}},
		{"delete_image_ids", func(ctx context.Context) error {
			_, err := svc.DeleteImage(ctx, &notebookv1.DeleteImageRequest{ProjectId: project, ImageId: ".."})
			return err
		}, []string{"image_id"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call(context.Background())
			wantCode(t, err, codes.InvalidArgument, "")
			var fields []string
			for _, v := range statustest.Error(t, err).Violations() {
				fields = append(fields, v.GetField())
			}
			if !slices.Equal(fields, tt.want) {
				t.Fatalf("violations %v, want %v", fields, tt.want)
			}
		})
	}
	if n := sent.Load(); n != 0 {
		t.Fatalf("%d requests reached ModelArts", n)
	}
}
