package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

	notebookv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/notebook/v1"
)

// The notebook, mount and image the notebook API's tests act on.
const (
	notebookID = "f9937afa-4451-42db-a76b-72d624749f66"
	mountID    = "91dd2d3f-2d92-475f-a375-04636af26cc9"
	imageID    = "278e88d1-5b71-4766-8502-b3ba72e824d9"
)

// Times of the samples: milliseconds since the epoch.
const (
	sampleCreateAt = 1638841744515                 // 2021-12-07T01:49:04Z
	sampleHour     = 3600 * 1000                   // an hour, in milliseconds
	sampleStopAt   = sampleCreateAt + 2*sampleHour // 2021-12-07T03:49:04Z
)

// sampleNotebook is the notebook the fake answers by default: RUNNING,
// stopping by itself two hours after its creation.
func sampleNotebook() *notebookv1.Notebook {
	return &notebookv1.Notebook{
		Id: proto.String(notebookID), Name: proto.String("notebooks_test"), Description: proto.String("api-test"),
		Status: proto.String("RUNNING"), Flavor: proto.String("modelarts.vm.cpu.2u"), Feature: proto.String("NOTEBOOK"),
		WorkspaceId: proto.String("0"), Url: proto.String("https://authoring.example/lab"),
		Image: &notebookv1.Image{Id: proto.String(imageID), Name: proto.String("pytorch1.8"), Tag: proto.String("v1")},
		Lease: &notebookv1.Lease{CreateAt: proto.Int64(sampleCreateAt), Duration: proto.Int64(2 * sampleHour), Enable: proto.Bool(true),
			Type: proto.String("TIMING"), UpdateAt: proto.Int64(sampleCreateAt)},
		Volume:      &notebookv1.Volume{Category: proto.String("EFS"), Ownership: proto.String("MANAGED"), Capacity: proto.Int32(50), MountPath: proto.String("/home/ma-user/work/")},
		Endpoints:   []*notebookv1.Endpoint{{Service: proto.String("SSH"), Uri: proto.String("192.0.2.1:30000"), KeyPairNames: []string{"KeyPair-ops"}, AllowedAccessIps: []string{"192.0.2.10"}}},
		DataVolumes: []*notebookv1.StorageMount{sampleMount()},
		CreateAt:    proto.Int64(sampleCreateAt), UpdateAt: proto.Int64(sampleCreateAt + 120000),
	}
}

// sampleMount is the mount the fake answers by default.
func sampleMount() *notebookv1.StorageMount {
	return &notebookv1.StorageMount{Id: proto.String(mountID), Category: proto.String("OBSFS"), MountPath: proto.String("/data/wang/"),
		Uri: proto.String("obs://authoring-test/wang/"), Status: proto.String("MOUNTED")}
}

// sampleImage is the image the fake answers by default.
func sampleImage() *notebookv1.Image {
	return &notebookv1.Image{Id: proto.String(imageID), Name: proto.String("pytorch1.8"), Tag: proto.String("v1"), Status: proto.String("ACTIVE"),
		Type: proto.String("BUILD_IN"), Arch: proto.String("x86_64"), SwrPath: proto.String("swr.example/atelier/pytorch_1_8:v1"),
		DevServices: []string{"NOTEBOOK", "SSH"}, ResourceCategories: []string{"GPU", "CPU"}, CreateAt: proto.Int64(sampleCreateAt)}
}

// sampleFlavor is the flavor the fake answers by default.
func sampleFlavor() *notebookv1.Flavor {
	return &notebookv1.Flavor{Id: proto.String("modelarts.vm.gpu.p100"), Category: proto.String("GPU"), Arch: proto.String("x86_64"),
		Vcpus: proto.Int32(8), Memory: proto.Int64(64 << 20), Free: proto.Bool(false), SoldOut: proto.Bool(true),
		Gpu: &notebookv1.FlavorGPU{Gpu: proto.Float64(1), Type: proto.String("P100"), GpuMemory: proto.String("16")}}
}

func sampleLease() *notebookv1.Lease { return sampleNotebook().GetLease() }

func (f *fakeServer) CreateNotebook(ctx context.Context, req *notebookv1.CreateNotebookRequest) (*notebookv1.CreateNotebookResponse, error) {
	return handle(f, ctx, "CreateNotebook", req, &notebookv1.CreateNotebookResponse{Notebook: sampleNotebook()})
}

func (f *fakeServer) ListNotebooks(ctx context.Context, req *notebookv1.ListNotebooksRequest) (*notebookv1.ListNotebooksResponse, error) {
	return handle(f, ctx, "ListNotebooks", req, &notebookv1.ListNotebooksResponse{Data: []*notebookv1.Notebook{sampleNotebook()}, Total: proto.Int64(1)})
}

func (f *fakeServer) ListAllNotebooks(ctx context.Context, req *notebookv1.ListAllNotebooksRequest) (*notebookv1.ListAllNotebooksResponse, error) {
	return handle(f, ctx, "ListAllNotebooks", req, &notebookv1.ListAllNotebooksResponse{Data: []*notebookv1.Notebook{sampleNotebook()}, Total: proto.Int64(1)})
}

func (f *fakeServer) GetNotebook(ctx context.Context, req *notebookv1.GetNotebookRequest) (*notebookv1.GetNotebookResponse, error) {
	return handle(f, ctx, "GetNotebook", req, &notebookv1.GetNotebookResponse{Notebook: sampleNotebook()})
}

func (f *fakeServer) UpdateNotebook(ctx context.Context, req *notebookv1.UpdateNotebookRequest) (*notebookv1.UpdateNotebookResponse, error) {
	return handle(f, ctx, "UpdateNotebook", req, &notebookv1.UpdateNotebookResponse{Notebook: sampleNotebook()})
}

func (f *fakeServer) DeleteNotebook(ctx context.Context, req *notebookv1.DeleteNotebookRequest) (*notebookv1.DeleteNotebookResponse, error) {
	nb := sampleNotebook()
	nb.Status = proto.String("DELETING")
	return handle(f, ctx, "DeleteNotebook", req, &notebookv1.DeleteNotebookResponse{Notebook: nb})
}

func (f *fakeServer) StartNotebook(ctx context.Context, req *notebookv1.StartNotebookRequest) (*notebookv1.StartNotebookResponse, error) {
	return handle(f, ctx, "StartNotebook", req, &notebookv1.StartNotebookResponse{Notebook: sampleNotebook()})
}

func (f *fakeServer) StopNotebook(ctx context.Context, req *notebookv1.StopNotebookRequest) (*notebookv1.StopNotebookResponse, error) {
	return handle(f, ctx, "StopNotebook", req, &notebookv1.StopNotebookResponse{Notebook: sampleNotebook()})
}

func (f *fakeServer) GetLease(ctx context.Context, req *notebookv1.GetLeaseRequest) (*notebookv1.GetLeaseResponse, error) {
	return handle(f, ctx, "GetLease", req, &notebookv1.GetLeaseResponse{Lease: sampleLease(), StopAt: proto.Int64(sampleStopAt)})
}

func (f *fakeServer) RenewLease(ctx context.Context, req *notebookv1.RenewLeaseRequest) (*notebookv1.RenewLeaseResponse, error) {
	return handle(f, ctx, "RenewLease", req, &notebookv1.RenewLeaseResponse{Lease: sampleLease(), StopAt: proto.Int64(sampleStopAt)})
}

func (f *fakeServer) ListFlavors(ctx context.Context, req *notebookv1.ListFlavorsRequest) (*notebookv1.ListFlavorsResponse, error) {
	fl := []*notebookv1.Flavor{sampleFlavor()}
	return handle(f, ctx, "ListFlavors", req, &notebookv1.ListFlavorsResponse{Data: fl, Flavors: fl, Total: proto.Int64(1)})
}

func (f *fakeServer) ListSwitchableFlavors(ctx context.Context, req *notebookv1.ListSwitchableFlavorsRequest) (*notebookv1.ListSwitchableFlavorsResponse, error) {
	fl := []*notebookv1.Flavor{sampleFlavor()}
	return handle(f, ctx, "ListSwitchableFlavors", req, &notebookv1.ListSwitchableFlavorsResponse{Data: fl, Flavors: fl, Total: proto.Int64(1)})
}

func (f *fakeServer) ListStorageMounts(ctx context.Context, req *notebookv1.ListStorageMountsRequest) (*notebookv1.ListStorageMountsResponse, error) {
	return handle(f, ctx, "ListStorageMounts", req, &notebookv1.ListStorageMountsResponse{Data: []*notebookv1.StorageMount{sampleMount()}, Total: proto.Int64(1)})
}

func (f *fakeServer) AttachStorageMount(ctx context.Context, req *notebookv1.AttachStorageMountRequest) (*notebookv1.AttachStorageMountResponse, error) {
	return handle(f, ctx, "AttachStorageMount", req, &notebookv1.AttachStorageMountResponse{StorageMount: sampleMount()})
}

func (f *fakeServer) GetStorageMount(ctx context.Context, req *notebookv1.GetStorageMountRequest) (*notebookv1.GetStorageMountResponse, error) {
	return handle(f, ctx, "GetStorageMount", req, &notebookv1.GetStorageMountResponse{StorageMount: sampleMount()})
}

func (f *fakeServer) DetachStorageMount(ctx context.Context, req *notebookv1.DetachStorageMountRequest) (*notebookv1.DetachStorageMountResponse, error) {
	m := sampleMount()
	m.Status = proto.String("UNMOUNTING")
	return handle(f, ctx, "DetachStorageMount", req, &notebookv1.DetachStorageMountResponse{StorageMount: m})
}

func (f *fakeServer) CreateImage(ctx context.Context, req *notebookv1.CreateImageRequest) (*notebookv1.CreateImageResponse, error) {
	return handle(f, ctx, "CreateImage", req, &notebookv1.CreateImageResponse{Image: sampleImage()})
}

func (f *fakeServer) ListImages(ctx context.Context, req *notebookv1.ListImagesRequest) (*notebookv1.ListImagesResponse, error) {
	return handle(f, ctx, "ListImages", req, &notebookv1.ListImagesResponse{Data: []*notebookv1.Image{sampleImage()}, Total: proto.Int64(1)})
}

func (f *fakeServer) RegisterImage(ctx context.Context, req *notebookv1.RegisterImageRequest) (*notebookv1.RegisterImageResponse, error) {
	return handle(f, ctx, "RegisterImage", req, &notebookv1.RegisterImageResponse{Image: sampleImage()})
}

func (f *fakeServer) ListImageGroups(ctx context.Context, req *notebookv1.ListImageGroupsRequest) (*notebookv1.ListImageGroupsResponse, error) {
	return handle(f, ctx, "ListImageGroups", req, &notebookv1.ListImageGroupsResponse{Data: []*notebookv1.ImageGroup{{Name: proto.String("pytorch1.8"),
		Namespace: proto.String("my-org"), VersionCount: proto.Int32(3), CreateAt: proto.Int64(sampleCreateAt)}}, Total: proto.Int64(1)})
}

func (f *fakeServer) GetImage(ctx context.Context, req *notebookv1.GetImageRequest) (*notebookv1.GetImageResponse, error) {
	return handle(f, ctx, "GetImage", req, &notebookv1.GetImageResponse{Image: sampleImage()})
}

func (f *fakeServer) DeleteImage(ctx context.Context, req *notebookv1.DeleteImageRequest) (*notebookv1.DeleteImageResponse, error) {
	return handle(f, ctx, "DeleteImage", req, &notebookv1.DeleteImageResponse{Image: sampleImage()})
}

// requestCase is a command line and the one request it must send.
type requestCase struct {
	name   string
	args   []string
	method string
	want   proto.Message
}

// checkRequests runs each case against a fake of its own and checks the
// one request it received.
func checkRequests(t *testing.T, tests []requestCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := startFake(t, nil)
			r := f.run(t, tt.args...)
			if r.code != 0 {
				t.Fatalf("exit %d; stderr:\n%s", r.code, r.stderr)
			}
			got := f.only(t)
			if got.method != tt.method {
				t.Fatalf("called %s; want %s", got.method, tt.method)
			}
			if diff := cmp.Diff(tt.want, got.req, protocmp.Transform()); diff != "" {
				t.Errorf("request (-want +got):\n%s", diff)
			}
		})
	}
}

// TestNotebookRequests: the flags and arguments of notebooks get and of
// the lease, flavors, storage and images commands become the request's
// fields, and nothing else is set.
func TestNotebookRequests(t *testing.T) {
	t.Parallel()
	checkRequests(t, []requestCase{
		{"get", []string{"notebooks", "get", notebookID}, "GetNotebook", &notebookv1.GetNotebookRequest{ProjectId: project, NotebookId: notebookID}},
		{"lease_show", []string{"lease", "show", notebookID}, "GetLease", &notebookv1.GetLeaseRequest{ProjectId: project, NotebookId: notebookID}},
		{"lease_renew", []string{"lease", "renew", notebookID, "--duration", "4h"},
			"RenewLease", &notebookv1.RenewLeaseRequest{ProjectId: project, NotebookId: notebookID, Lease: &notebookv1.LeaseRequest{Duration: proto.Int64(4 * sampleHour)}}},
		{"lease_renew_idle", []string{"lease", "renew", notebookID, "--duration", "1h", "--type", "idle"},
			"RenewLease", &notebookv1.RenewLeaseRequest{ProjectId: project, NotebookId: notebookID,
				Lease: &notebookv1.LeaseRequest{Duration: proto.Int64(sampleHour), Type: proto.String("idle")}}},
		{"lease_renew_forever", []string{"lease", "renew", notebookID, "--no-auto-stop"},
			"RenewLease", &notebookv1.RenewLeaseRequest{ProjectId: project, NotebookId: notebookID, Lease: &notebookv1.LeaseRequest{Duration: proto.Int64(-1)}}},
		{"flavors_list", []string{"flavors", "list", "--category", "GPU", "--type", "NOTEBOOK", "--sort-dir", "ASC", "--sort-key", "vcpus", "--limit", "50"},
			"ListFlavors", &notebookv1.ListFlavorsRequest{ProjectId: project, Category: "GPU", Type: "NOTEBOOK", SortDir: "ASC", SortKey: "vcpus", Limit: 50}},
		{"flavors_switchable", []string{"flavors", "switchable", notebookID, "--page-size", "5"},
			"ListSwitchableFlavors", &notebookv1.ListSwitchableFlavorsRequest{ProjectId: project, NotebookId: notebookID, PageSize: 5}},
		{"storage_list", []string{"storage", "list", notebookID}, "ListStorageMounts", &notebookv1.ListStorageMountsRequest{ProjectId: project, NotebookId: notebookID}},
		{"storage_attach", []string{"storage", "attach", notebookID, "--uri", "obs://bucket/data/", "--mount-path", "/data/d/", "--wait"},
			"AttachStorageMount", &notebookv1.AttachStorageMountRequest{ProjectId: project, NotebookId: notebookID, Category: "OBS",
				Uri: "obs://bucket/data/", MountPath: "/data/d/", Wait: true}},
		{"storage_attach_category", []string{"storage", "attach", notebookID, "--uri", "obs://bucket/data/", "--mount-path", "/data/d/", "--category", "OBSFS"},
			"AttachStorageMount", &notebookv1.AttachStorageMountRequest{ProjectId: project, NotebookId: notebookID, Category: "OBSFS",
				Uri: "obs://bucket/data/", MountPath: "/data/d/"}},
		{"storage_get", []string{"storage", "get", notebookID, mountID},
			"GetStorageMount", &notebookv1.GetStorageMountRequest{ProjectId: project, NotebookId: notebookID, StorageId: mountID}},
		{"storage_detach", []string{"storage", "detach", notebookID, mountID, "--wait"},
			"DetachStorageMount", &notebookv1.DetachStorageMountRequest{ProjectId: project, NotebookId: notebookID, StorageId: mountID, Wait: true}},
		{"images_list", []string{"images", "list", "--name", "pytorch", "--exact-name", "--namespace", "my-org", "--service-type", "COMMON",
			"--sort-dir", "ASC", "--sort-key", "updateTime", "--type", "BUILD_IN", "--workspace-id", "0", "--offset", "10"},
			"ListImages", &notebookv1.ListImagesRequest{ProjectId: project, Name: "pytorch", NameFuzzyMatch: proto.Bool(false), Namespace: "my-org",
				ServiceType: "COMMON", SortDir: "ASC", SortKey: "updateTime", Type: "BUILD_IN", WorkspaceId: "0", Offset: 10}},
		{"images_get", []string{"images", "get", imageID}, "GetImage", &notebookv1.GetImageRequest{ProjectId: project, ImageId: imageID}},
		{"images_register", []string{"images", "register", "--swr-path", "swr.example/my-org/pytorch:v1", "--arch", "AARCH64", "--description", "mine",
			"--origin", "CUSTOMIZE", "--resource-categories", "CPU,GPU", "--service-type", "DEV", "--services", "NOTEBOOK", "--visibility", "PRIVATE",
			"--workspace-id", "0"},
			"RegisterImage", &notebookv1.RegisterImageRequest{ProjectId: project, SwrPath: "swr.example/my-org/pytorch:v1", Arch: proto.String("AARCH64"),
				Description: proto.String("mine"), Origin: proto.String("CUSTOMIZE"), ResourceCategory: []string{"CPU", "GPU"}, ServiceType: proto.String("DEV"),
				Services: []string{"NOTEBOOK"}, Visibility: proto.String("PRIVATE"), WorkspaceId: proto.String("0")}},
		{"images_create", []string{"images", "create", notebookID, "--name", "my-env", "--namespace", "my-org", "--tag", "v1", "--description", "saved",
			"--workspace-id", "0", "--wait"},
			"CreateImage", &notebookv1.CreateImageRequest{ProjectId: project, NotebookId: notebookID, Name: "my-env", Namespace: "my-org",
				Tag: proto.String("v1"), Description: proto.String("saved"), WorkspaceId: proto.String("0"), Wait: true}},
		{"images_groups", []string{"images", "groups", "--name", "pytorch", "--namespace", "my-org", "--type", "DEDICATED"},
			"ListImageGroups", &notebookv1.ListImageGroupsRequest{ProjectId: project, Name: "pytorch", Namespace: "my-org", Type: "DEDICATED"}},
		{"images_delete", []string{"images", "delete", imageID, "--force"}, "DeleteImage", &notebookv1.DeleteImageRequest{ProjectId: project, ImageId: imageID, Force: true}},
	})
}

// usageCase is a command line that is a usage error, and what the error
// says.
type usageCase struct {
	name string
	args []string
	want string
}

// checkUsage checks that each case exits 2 saying what it must, and sends
// nothing.
func checkUsage(t *testing.T, tests []usageCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := startFake(t, nil)
			r := f.run(t, tt.args...)
			if r.code != exitUsage || !strings.Contains(r.stderr, tt.want) {
				t.Errorf("exit %d, stderr:\n%s\nwant exit 2 and %q", r.code, r.stderr, tt.want)
			}
			if n := len(f.received()); n != 0 {
				t.Errorf("sent %d calls; want none", n)
			}
		})
	}
}

// TestNotebookUsage: mistakes in a notebook API command's line are usage
// errors (exit 2) that send nothing.
func TestNotebookUsage(t *testing.T) {
	t.Parallel()
	checkUsage(t, []usageCase{
		{"unknown_verb", []string{"lease", "extend", notebookID}, `unknown command "extend" of devenvctl lease; want show or renew`},
		{"flag_before_verb", []string{"images", "--name", "x"}, "flags go after the command: devenvctl images COMMAND --name"},
		{"missing_id", []string{"notebooks", "get"}, "devenvctl notebooks get needs NOTEBOOK_ID"},
		{"missing_storage_id", []string{"storage", "get", notebookID}, "devenvctl storage get takes NOTEBOOK_ID STORAGE_ID; got 1 arguments"},
		{"lease_sub_millisecond", []string{"lease", "renew", notebookID, "--duration", "1h0.5ms"}, "want whole milliseconds"},
		{"renew_without_duration", []string{"lease", "renew", notebookID, "--type", "idle"}, "devenvctl lease renew needs --duration (such as 2h) or --no-auto-stop"},
		{"attach_without_uri", []string{"storage", "attach", notebookID, "--mount-path", "/data/x/"}, "needs --uri and --mount-path"},
		{"register_without_path", []string{"images", "register"}, "needs --swr-path"},
		{"image_without_namespace", []string{"images", "create", notebookID, "--name", "x"}, "needs --name and --namespace"},
	})
}

// outputCase is a command line and what its table output holds: lines,
// or parts of lines.
type outputCase struct {
	name string
	args []string
	want []string
}

// checkOutput runs each case against f and checks its output.
func checkOutput(t *testing.T, f *fakeServer, tests []outputCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := f.run(t, tt.args...)
			if r.code != 0 {
				t.Fatalf("exit %d; stderr:\n%s", r.code, r.stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(r.stdout, w) {
					t.Errorf("output lacks %q:\n%s", w, r.stdout)
				}
			}
		})
	}
}

// jsonCase is a command line and top-level keys and values of what it
// prints with -o json.
type jsonCase struct {
	name string
	args []string
	want map[string]any
}

// checkJSON runs each case with -o json against f and checks the keys'
// values and JSON types.
func checkJSON(t *testing.T, f *fakeServer, tests []jsonCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run("json_"+tt.name, func(t *testing.T) {
			t.Parallel()
			r := f.run(t, append(tt.args, "-o", "json")...)
			if r.code != 0 {
				t.Fatalf("exit %d; stderr:\n%s", r.code, r.stderr)
			}
			var got map[string]any
			if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
				t.Fatalf("not one JSON object: %v\n%s", err, r.stdout)
			}
			for k, v := range tt.want {
				if got[k] != v {
					t.Errorf("%s: %v (%T); want %v (%T)\n%s", k, got[k], got[k], v, v, r.stdout)
				}
			}
		})
	}
}

// TestNotebookOutput: the tables show what people look for (the lease's
// stop time among them), and -o json prints the vendor's object.
func TestNotebookOutput(t *testing.T) {
	t.Parallel()
	f := startFake(t, nil)
	checkOutput(t, f, []outputCase{
		{"get", []string{"notebooks", "get", notebookID}, []string{
			"ID:           " + notebookID,
			"Status:       RUNNING",
			"Image:        pytorch1.8:v1 (" + imageID + ")",
			"Storage:      EFS MANAGED 50 GB at /home/ma-user/work/",
			"Mount:        obs://authoring-test/wang/ at /data/wang/ (MOUNTED), id " + mountID,
			"Endpoint:     SSH 192.0.2.1:30000 keys KeyPair-ops from 192.0.2.10",
			"Stops:        at 2021-12-07T03:49:04Z (TIMING)",
			"Created:      2021-12-07T01:49:04Z"}},
		{"lease_show", []string{"lease", "show", notebookID}, []string{
			"Notebook:  " + notebookID,
			"Stops:     at 2021-12-07T03:49:04Z (TIMING)",
			"Renewed:   2021-12-07T01:49:04Z, for 2h0m0s"}},
		{"flavors", []string{"flavors", "list"}, []string{
			"ID                      CATEGORY   ARCH     VCPUS   MEMORY   GPU              FREE   SOLD OUT",
			"modelarts.vm.gpu.p100   GPU        x86_64   8       64 GB    1 x P100 16 GB   no     yes"}},
		{"storage_list", []string{"storage", "list", notebookID}, []string{
			mountID + "   OBSFS      /data/wang/   obs://authoring-test/wang/   MOUNTED"}},
		{"storage_detach", []string{"storage", "detach", notebookID, mountID}, []string{"Unmounted " + mountID + " from notebook " + notebookID + " (UNMOUNTING)."}},
		{"images_list", []string{"images", "list"}, []string{
			imageID + "   pytorch1.8:v1   BUILD_IN   ACTIVE   x86_64   NOTEBOOK,SSH   2021-12-07T01:49:04Z"}},
		{"images_groups", []string{"images", "groups"}, []string{"pytorch1.8   my-org      3          2021-12-07T01:49:04Z   -"}},
	})
	checkJSON(t, f, []jsonCase{
		{"get", []string{"notebooks", "get", notebookID}, map[string]any{"id": notebookID, "status": "RUNNING", "create_at": float64(sampleCreateAt)}},
		{"lease", []string{"lease", "show", notebookID}, map[string]any{"stop_at": float64(sampleStopAt)}},
		{"mount", []string{"storage", "get", notebookID, mountID}, map[string]any{"id": mountID, "mount_path": "/data/wang/"}},
		{"image", []string{"images", "get", imageID}, map[string]any{"id": imageID, "swr_path": "swr.example/atelier/pytorch_1_8:v1"}},
	})
}

// TestNotebookErrors: a failed call of the notebook API prints the code,
// and a create --wait whose wait is cut short names the notebook and the
// command that shows it.
func TestNotebookErrors(t *testing.T) {
	t.Parallel()
	f := startFake(t, func(context.Context, string, proto.Message) (proto.Message, error) {
		return nil, status.Error(codes.NotFound, "no such notebook")
	})
	r := f.run(t, "notebooks", "get", notebookID)
	if r.code != 4 || !strings.Contains(r.stderr, "devenvctl: NOT_FOUND: no such notebook") {
		t.Errorf("exit %d, stderr %q; want 4 and NOT_FOUND", r.code, r.stderr)
	}
}

// deadlineCase is a command line and the deadline its call must carry.
type deadlineCase struct {
	name string
	args []string
	want time.Duration
}

// checkDeadlines runs each case against a fake of its own and checks the
// deadline the call arrived with.
func checkDeadlines(t *testing.T, tests []deadlineCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := startFake(t, nil)
			r := f.run(t, tt.args...)
			if r.code != 0 {
				t.Fatalf("exit %d; stderr:\n%s", r.code, r.stderr)
			}
			got := f.only(t)
			if !got.hasDeadline || got.deadline > tt.want || got.deadline < tt.want-10*time.Second {
				t.Errorf("the call arrived with %v left (deadline %v); want just under %v", got.deadline, got.hasDeadline, tt.want)
			}
		})
	}
}

// TestNotebookDeadlines: without --timeout, a notebook API call that waits
// (its declaration's wait field set) gets 15 minutes, any other 30s.
func TestNotebookDeadlines(t *testing.T) {
	t.Parallel()
	checkDeadlines(t, []deadlineCase{
		{"get", []string{"notebooks", "get", notebookID}, 30 * time.Second},
		{"renew", []string{"lease", "renew", notebookID, "--duration", "1h"}, 30 * time.Second},
		{"attach_wait", []string{"storage", "attach", notebookID, "--uri", "obs://b/d/", "--mount-path", "/data/d/", "--wait"}, 15 * time.Minute},
		{"detach_wait", []string{"storage", "detach", notebookID, mountID, "--wait"}, 15 * time.Minute},
		{"image_wait", []string{"images", "create", notebookID, "--name", "x", "--namespace", "y", "--wait"}, 15 * time.Minute},
	})
}

// TestNotebookHelp: the top help lists every notebook API command; each
// has its help, by --help, -h after its arguments and help NOUN VERB; a
// noun alone with --help lists its commands.
func TestNotebookHelp(t *testing.T) {
	t.Parallel()
	top := invoke(t.Context(), nil, "--help")
	for _, want := range []string{"devenvctl NOUN COMMAND [flags] [ARGS]", "Commands of the notebook API (NotebookService):",
		"Commands of the historical API (DevEnvService, /demanager/instances):"} {
		if !strings.Contains(top.stdout, want) {
			t.Errorf("--help lacks %q", want)
		}
	}
	for _, g := range groups {
		for _, args := range [][]string{{g.name, "--help"}, {"help", g.name}, {g.name, "help"}} {
			r := invoke(t.Context(), nil, args...)
			if r.code != 0 || !strings.HasPrefix(r.stdout, "Usage: devenvctl "+g.name+" COMMAND") {
				t.Errorf("%q: exit %d, stdout %q", args, r.code, r.stdout)
			}
			for _, cmd := range g.commands {
				if !strings.Contains(r.stdout, "  "+cmd.name) {
					t.Errorf("%q does not list %s", args, cmd.name)
				}
			}
		}
		for _, cmd := range g.commands {
			if !strings.Contains(top.stdout, "  "+cmd.name+" ") {
				t.Errorf("--help does not list %s", cmd.name)
			}
			verb := strings.TrimPrefix(cmd.name, g.name+" ")
			withArgs := append([]string{g.name, verb}, cmd.args...)
			for _, args := range [][]string{{g.name, verb, "--help"}, {"help", g.name, verb}, append(withArgs, "-h")} {
				r := invoke(t.Context(), nil, args...)
				if r.code != 0 || !strings.HasPrefix(r.stdout, "Usage: devenvctl "+cmd.name+" [flags]") || !strings.Contains(r.stdout, "--addr") {
					t.Errorf("%q: exit %d, stdout %q", args, r.code, r.stdout)
				}
			}
		}
	}
}

// TestNotebookSecrets_neverPrinted: tokens echoed in a notebook API
// answer are printed redacted, in tables and in JSON.
func TestNotebookSecrets_neverPrinted(t *testing.T) {
	t.Parallel()
	echo := "tokens " + bearerToken + " and " + iamToken
	f := startFake(t, func(_ context.Context, method string, _ proto.Message) (proto.Message, error) {
		nb := sampleNotebook()
		nb.Description, nb.Name = proto.String(echo), proto.String(iamToken)
		switch method {
		case "GetImage":
			return &notebookv1.GetImageResponse{Image: &notebookv1.Image{Description: proto.String(echo)}}, nil
		}
		return &notebookv1.GetNotebookResponse{Notebook: nb}, nil
	})
	env := f.env(map[string]string{"DEVENVCTL_TOKEN": bearerToken, "DEVENVCTL_AUTH_TOKEN": iamToken})
	for _, args := range [][]string{
		{"notebooks", "get", notebookID}, {"notebooks", "get", notebookID, "-o", "json"},
		{"images", "get", imageID}, {"images", "get", imageID, "-o", "json"},
	} {
		r := invoke(t.Context(), env, args...)
		out := r.stdout + r.stderr
		if strings.Contains(out, "S3CRET") {
			t.Errorf("%q printed a token:\n%s", args, out)
		}
		if !strings.Contains(out, "[REDACTED]") {
			t.Errorf("%q: the echo was not printed redacted; the test proves nothing:\n%s", args, out)
		}
	}
}

// TestNotebookStops: a notebook's lease is shown while it runs; a
// notebook not running is said so, whatever its lease holds.
func TestNotebookStops(t *testing.T) {
	t.Parallel()
	for status, want := range map[string]string{
		"RUNNING":      "at 2021-12-07T03:49:04Z (TIMING)",
		"SNAPSHOTTING": "at 2021-12-07T03:49:04Z (TIMING)",
		"STOPPED":      "not running",
		"CREATING":     "not running",
		"":             "",
	} {
		nb := sampleNotebook()
		nb.Status = proto.String(status)
		if got := notebookStops(nb); got != want {
			t.Errorf("%q: %q; want %q", status, got, want)
		}
	}
}

// TestLeaseText: when a lease stops its notebook, as tables show it.
func TestLeaseText(t *testing.T) {
	t.Parallel()
	at := func(ms int64) *int64 { return &ms }
	tests := []struct {
		name   string
		lease  *notebookv1.Lease
		stopAt *int64
		want   string
	}{
		{"timing", sampleLease(), nil, "at 2021-12-07T03:49:04Z (TIMING)"},
		{"the_facade's_stop_at", sampleLease(), at(sampleStopAt + sampleHour), "at 2021-12-07T04:49:04Z (TIMING)"},
		{"no_type", &notebookv1.Lease{CreateAt: proto.Int64(sampleCreateAt), Duration: proto.Int64(sampleHour), Enable: proto.Bool(true)},
			nil, "at 2021-12-07T02:49:04Z (TIMING)"},
		{"off", &notebookv1.Lease{Enable: proto.Bool(false), Duration: proto.Int64(-1)}, nil, "never (the lease is off)"},
		{"idle_renewed", &notebookv1.Lease{CreateAt: proto.Int64(sampleCreateAt), UpdateAt: proto.Int64(sampleCreateAt + 5*sampleHour),
			Duration: proto.Int64(6 * sampleHour), Enable: proto.Bool(true), Type: proto.String("IDLE")}, nil, "after 1h0m0s without activity (IDLE)"},
		{"incomplete", &notebookv1.Lease{Enable: proto.Bool(true), Type: proto.String("TIMING")}, nil, "unknown TIMING"},
		{"none", nil, nil, ""},
	}
	for _, tt := range tests {
		if got := leaseText(tt.lease, tt.stopAt); got != tt.want {
			t.Errorf("%s: %q; want %q", tt.name, got, tt.want)
		}
	}
}

// TestImagesListAll: images list --all follows next_page_token (100 a
// page unless --page-size says otherwise) and prints one document with
// every image; the facade answering a page token twice stops it.
func TestImagesListAll(t *testing.T) {
	t.Parallel()
	im := func(id string) *notebookv1.Image { return &notebookv1.Image{Id: proto.String(id)} }
	pages := map[string]*notebookv1.ListImagesResponse{
		"":   {Data: []*notebookv1.Image{im("a"), im("b")}, Total: proto.Int64(3), Size: proto.Int32(2), NextPageToken: "p2"},
		"p2": {Data: []*notebookv1.Image{im("c")}, Total: proto.Int64(3), Size: proto.Int32(2)},
	}
	f := startFake(t, func(_ context.Context, _ string, req proto.Message) (proto.Message, error) {
		return pages[req.(*notebookv1.ListImagesRequest).GetPageToken()], nil
	})
	r := f.run(t, "images", "list", "--all", "--page-size", "2", "--type", "DEDICATED", "-o", "json")
	if r.code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", r.code, r.stderr)
	}
	var tokens []string
	for _, c := range f.received() {
		req := c.req.(*notebookv1.ListImagesRequest)
		tokens = append(tokens, req.GetPageToken())
		if req.GetPageSize() != 2 || req.GetType() != "DEDICATED" {
			t.Errorf("page %q: page_size %d, type %q; want 2 and DEDICATED", req.GetPageToken(), req.GetPageSize(), req.GetType())
		}
	}
	if want := []string{"", "p2"}; !cmp.Equal(tokens, want) {
		t.Errorf("page tokens %q; want %q", tokens, want)
	}
	var got struct {
		Data []struct {
			ID string `json:"id"`
		} `json:"data"`
		Total *int64 `json:"total"`
		Size  *int32 `json:"size"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Data) != 3 || got.Data[2].ID != "c" || got.Total == nil || *got.Total != 3 || got.Size != nil {
		t.Errorf("printed %s; want the 3 images, total 3 and no size", r.stdout)
	}

	loop := startFake(t, func(context.Context, string, proto.Message) (proto.Message, error) {
		return &notebookv1.ListImagesResponse{NextPageToken: "again"}, nil
	})
	r = loop.run(t, "images", "list", "--all")
	if r.code != exitFailure || !strings.Contains(r.stderr, `--all: the facade returned the page token "again" a second time; stopping`) {
		t.Errorf("a page token answered twice: exit %d, stderr %q", r.code, r.stderr)
	}
}
