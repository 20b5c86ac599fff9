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

// TestNotebookRequests: every notebook API command's flags and arguments
// become the request's fields, and nothing else is set.
func TestNotebookRequests(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		args   []string
		method string
		want   proto.Message
	}{
		{"get", []string{"notebooks", "get", notebookID}, "GetNotebook", &notebookv1.GetNotebookRequest{ProjectId: project, NotebookId: notebookID}},
	}
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

// TestNotebookUsage: mistakes in a notebook API command's line are usage
// errors (exit 2) that send nothing.
func TestNotebookUsage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no_verb", []string{"notebooks"}, "notebooks needs a command: get"},
		{"unknown_verb", []string{"notebooks", "extend", notebookID}, `unknown command "extend" of devenvctl notebooks; want get`},
		{"flag_before_verb", []string{"notebooks", "--name", "x"}, "flags go after the command: devenvctl notebooks COMMAND --name"},
		{"missing_id", []string{"notebooks", "get"}, "devenvctl notebooks get needs NOTEBOOK_ID"},
		{"two_ids", []string{"notebooks", "get", notebookID, notebookID}, "devenvctl notebooks get takes NOTEBOOK_ID; got 2 arguments"},
	}
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

// TestNotebookOutput: the tables show what people look for (the lease's
// stop time among them), and -o json prints the vendor's object.
func TestNotebookOutput(t *testing.T) {
	t.Parallel()
	f := startFake(t, nil)
	tests := []struct {
		name string
		args []string
		want []string // lines (or parts of lines) the output holds
	}{
		{"get", []string{"notebooks", "get", notebookID}, []string{
			"ID:           " + notebookID,
			"Status:       RUNNING",
			"Image:        pytorch1.8:v1 (" + imageID + ")",
			"Storage:      EFS MANAGED 50 GB at /home/ma-user/work/",
			"Mount:        obs://authoring-test/wang/ at /data/wang/ (MOUNTED), id " + mountID,
			"Endpoint:     SSH 192.0.2.1:30000 keys KeyPair-ops from 192.0.2.10",
			"Stops:        at 2021-12-07T03:49:04Z (TIMING)",
			"Created:      2021-12-07T01:49:04Z"}},
	}
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

	// -o json: the vendor's keys and JSON types.
	jsonTests := []struct {
		name string
		args []string
		want map[string]any // top-level keys and values
	}{
		{"get", []string{"notebooks", "get", notebookID}, map[string]any{"id": notebookID, "status": "RUNNING", "create_at": float64(sampleCreateAt)}},
	}
	for _, tt := range jsonTests {
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

// TestNotebookDeadlines: without --timeout, a notebook API call that waits
// (its declaration's wait field set) gets 15 minutes, any other 30s.
func TestNotebookDeadlines(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		want time.Duration
	}{
		{"get", []string{"notebooks", "get", notebookID}, 30 * time.Second},
		{"get_timeout", []string{"notebooks", "get", notebookID, "--timeout", "2m"}, 2 * time.Minute},
	}
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
	f := startFake(t, func(context.Context, string, proto.Message) (proto.Message, error) {
		nb := sampleNotebook()
		nb.Description, nb.Name = proto.String(echo), proto.String(iamToken)
		return &notebookv1.GetNotebookResponse{Notebook: nb}, nil
	})
	env := f.env(map[string]string{"DEVENVCTL_TOKEN": bearerToken, "DEVENVCTL_AUTH_TOKEN": iamToken})
	for _, args := range [][]string{
		{"notebooks", "get", notebookID}, {"notebooks", "get", notebookID, "-o", "json"},
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
