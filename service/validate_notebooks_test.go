package service_test

import (
	"slices"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"

	notebookv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/notebook/v1"
	"github.com/devenv-facade/devenv-facade/internal/cloudauth"
	"github.com/devenv-facade/devenv-facade/internal/emulator"
	"github.com/devenv-facade/devenv-facade/internal/modelarts"
	"github.com/devenv-facade/devenv-facade/internal/statustest"
)

// TestNotebookValidation: each bad field of the notebook calls fails with
// INVALID_ARGUMENT and one violation naming it, and nothing reaches
// ModelArts; the vendor's spellings that drift in case pass.
func TestNotebookValidation(t *testing.T) {
	t.Parallel()
	emu := emulator.MustNew(emulator.Options{})
	h := start(t, emu, modelarts.Options{Credentials: cloudauth.Token("t")})
	create := func(edit func(*notebookv1.CreateNotebookRequest)) func() error {
		return func() error {
			req := createNotebookRequest("valid")
			edit(req)
			_, err := h.notebooks.CreateNotebook(t.Context(), req)
			return err
		}
	}
	list := func(req *notebookv1.ListNotebooksRequest) func() error {
		return func() error {
			req.ProjectId = project
			_, err := h.notebooks.ListNotebooks(t.Context(), req)
			return err
		}
	}
	update := func(req *notebookv1.UpdateNotebookRequest) func() error {
		return func() error {
			req.ProjectId, req.NotebookId = project, notebookStopped
			_, err := h.notebooks.UpdateNotebook(t.Context(), req)
			return err
		}
	}
	start := func(req *notebookv1.StartNotebookRequest) func() error {
		return func() error {
			req.ProjectId = project
			if req.NotebookId == "" {
				req.NotebookId = notebookStopped
			}
			_, err := h.notebooks.StartNotebook(t.Context(), req)
			return err
		}
	}
	ep := func(service string, keys, ips []string) *notebookv1.EndpointRequest {
		return &notebookv1.EndpointRequest{Service: proto.String(service), KeyPairNames: keys, AllowedAccessIps: ips}
	}
	hook := func(typ, script string) *notebookv1.CustomHooks {
		return &notebookv1.CustomHooks{ContainerHooks: &notebookv1.ContainerHooks{PreStart: &notebookv1.HookConfig{Type: proto.String(typ), Script: proto.String(script)}}}
	}
	tests := []struct {
		name  string
		call  func() error
		field string
	}{
		{"create_name_missing", create(func(r *notebookv1.CreateNotebookRequest) { r.Name = "" }), "name"},
		{"create_name_129", create(func(r *notebookv1.CreateNotebookRequest) { r.Name = strings.Repeat("n", 129) }), "name"},
		{"create_name_dot", create(func(r *notebookv1.CreateNotebookRequest) { r.Name = "a.b" }), "name"},
		{"create_description_quote", create(func(r *notebookv1.CreateNotebookRequest) { r.Description = proto.String("it's") }), "description"},
		{"create_description_bidi", create(func(r *notebookv1.CreateNotebookRequest) { r.Description = proto.String("a\u202eb") }), "description"},
		{"create_flavor_missing", create(func(r *notebookv1.CreateNotebookRequest) { r.Flavor = "" }), "flavor"},
		{"create_flavor_slash", create(func(r *notebookv1.CreateNotebookRequest) { r.Flavor = "a/b" }), "flavor"},
		{"create_image_missing", create(func(r *notebookv1.CreateNotebookRequest) { r.ImageId = "" }), "image_id"},
		{"create_image_traversal", create(func(r *notebookv1.CreateNotebookRequest) { r.ImageId = "../x" }), "image_id"},
		{"create_volume_missing", create(func(r *notebookv1.CreateNotebookRequest) { r.Volume = nil }), "volume"},
		{"create_volume_category", create(func(r *notebookv1.CreateNotebookRequest) { r.Volume.Category = "OBS" }), "volume.category"},
		{"create_volume_ownership", create(func(r *notebookv1.CreateNotebookRequest) { r.Volume.Ownership = "mine" }), "volume.ownership"},
		{"create_volume_evs_dedicated", create(func(r *notebookv1.CreateNotebookRequest) {
			r.Volume.Ownership, r.Volume.Uri, r.Volume.Id = "DEDICATED", proto.String("192.168.0.1:/a/"), proto.String("sfs1")
		}), "volume.ownership"},
		{"create_volume_dedicated_no_uri", create(func(r *notebookv1.CreateNotebookRequest) {
			r.Volume.Category, r.Volume.Ownership, r.Volume.Id = "efs", "dedicated", proto.String("sfs1")
		}), "volume.uri"},
		{"create_volume_managed_with_id", create(func(r *notebookv1.CreateNotebookRequest) { r.Volume.Id = proto.String("sfs1") }), "volume.id"},
		{"create_volume_evs_4", create(func(r *notebookv1.CreateNotebookRequest) { r.Volume.Capacity = proto.Int32(4) }), "volume.capacity"},
		{"create_volume_4097", create(func(r *notebookv1.CreateNotebookRequest) { r.Volume.Capacity = proto.Int32(4097) }), "volume.capacity"},
		{"create_feature", create(func(r *notebookv1.CreateNotebookRequest) { r.Feature = proto.String("FREE") }), "feature"},
		{"create_pool_upper", create(func(r *notebookv1.CreateNotebookRequest) { r.PoolId = proto.String("POOL1234") }), "pool_id"},
		{"create_workspace", create(func(r *notebookv1.CreateNotebookRequest) { r.WorkspaceId = proto.String("ws1") }), "workspace_id"},
		{"create_endpoint_service", create(func(r *notebookv1.CreateNotebookRequest) {
			r.Endpoints = []*notebookv1.EndpointRequest{ep("RDP", nil, nil)}
		}), "endpoints[0].service"},
		{"create_endpoint_service_twice", create(func(r *notebookv1.CreateNotebookRequest) {
			r.Endpoints = []*notebookv1.EndpointRequest{ep("SSH", nil, nil), ep("ssh", nil, nil)}
		}), "endpoints[1].service"},
		{"create_endpoint_ip", create(func(r *notebookv1.CreateNotebookRequest) {
			r.Endpoints = []*notebookv1.EndpointRequest{ep("SSH", nil, []string{"192.0.2.1/24"})}
		}), "endpoints[0].allowed_access_ips[0]"},
		{"create_endpoint_ip_leading_zero", create(func(r *notebookv1.CreateNotebookRequest) {
			r.Endpoints = []*notebookv1.EndpointRequest{ep("SSH", nil, []string{"192.0.2.01"})}
		}), "endpoints[0].allowed_access_ips[0]"},
		{"create_endpoint_ip_twice", create(func(r *notebookv1.CreateNotebookRequest) {
			r.Endpoints = []*notebookv1.EndpointRequest{ep("SSH", nil, []string{"192.0.2.1", "192.0.2.1"})}
		}), "endpoints[0].allowed_access_ips[1]"},
		{"create_endpoint_6_ips", create(func(r *notebookv1.CreateNotebookRequest) {
			r.Endpoints = []*notebookv1.EndpointRequest{ep("SSH", nil, []string{"192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4", "192.0.2.5", "192.0.2.6"})}
		}), "endpoints[0].allowed_access_ips"},
		{"create_endpoint_key", create(func(r *notebookv1.CreateNotebookRequest) {
			r.Endpoints = []*notebookv1.EndpointRequest{ep("SSH", []string{"my key"}, nil)}
		}), "endpoints[0].key_pair_names[0]"},
		{"create_hook_relative", create(func(r *notebookv1.CreateNotebookRequest) { r.Hooks = hook("SCRIPT", "start.sh") }), "hooks.container_hooks.pre_start.script"},
		{"create_hook_base64", create(func(r *notebookv1.CreateNotebookRequest) { r.Hooks = hook("command", "not base64!") }), "hooks.container_hooks.pre_start.script"},
		{"create_hook_type", create(func(r *notebookv1.CreateNotebookRequest) { r.Hooks = hook("SHELL", "/a.sh") }), "hooks.container_hooks.pre_start.type"},
		{"create_lease_short", create(func(r *notebookv1.CreateNotebookRequest) {
			r.Lease = &notebookv1.LeaseRequest{Duration: proto.Int64(60_000)}
		}), "lease.duration"},
		{"create_lease_type", create(func(r *notebookv1.CreateNotebookRequest) {
			r.Lease = &notebookv1.LeaseRequest{Type: proto.String("forever")}
		}), "lease.type"},
		{"create_duration_long", create(func(r *notebookv1.CreateNotebookRequest) { r.Duration = proto.Int64(86_400_001) }), "duration"},
		{"create_duration_and_lease", create(func(r *notebookv1.CreateNotebookRequest) {
			r.Duration, r.Lease = proto.Int64(3_600_000), &notebookv1.LeaseRequest{Type: proto.String("timing")}
		}), "duration"},
		{"list_feature", list(&notebookv1.ListNotebooksRequest{Feature: "x"}), "feature"},
		{"list_limit", list(&notebookv1.ListNotebooksRequest{Limit: 1001}), "limit"},
		{"list_offset", list(&notebookv1.ListNotebooksRequest{Offset: -1}), "offset"},
		{"list_name", list(&notebookv1.ListNotebooksRequest{Name: "a b"}), "name"},
		{"list_owner", list(&notebookv1.ListNotebooksRequest{Owner: "ABC"}), "owner"},
		// Another user's notebooks are ListAllNotebooks' (ACCESS_READ_ALL_USERS),
		// which callers who may only read a project may not call: ModelArts
		// honours owner on the caller's own list too, for admin accounts
		// (such as the facade's), so it is refused there.
		{"list_owner_other_user", list(&notebookv1.ListNotebooksRequest{Owner: "0123456789abcdef0123456789abcdef"}), "owner"},
		{"list_sort_dir", list(&notebookv1.ListNotebooksRequest{SortDir: "up"}), "sort_dir"},
		{"list_sort_key", list(&notebookv1.ListNotebooksRequest{SortKey: "create_at,,name"}), "sort_key"},
		{"list_status", list(&notebookv1.ListNotebooksRequest{Status: "ASLEEP"}), "status"},
		{"list_workspace", list(&notebookv1.ListNotebooksRequest{WorkspaceId: "1"}), "workspace_id"},
		{"list_page_and_offset", list(&notebookv1.ListNotebooksRequest{PageSize: 5, Offset: 5}), "page_token"},
		{"list_page_token", list(&notebookv1.ListNotebooksRequest{PageToken: "nope"}), "page_token"},
		{"update_name", update(&notebookv1.UpdateNotebookRequest{Name: proto.String("")}), "name"},
		{"update_description_slash", update(&notebookv1.UpdateNotebookRequest{Description: proto.String("a/b")}), "description"},
		{"update_size", update(&notebookv1.UpdateNotebookRequest{StorageNewSize: proto.Int32(5000)}), "storage_new_size"},
		{"update_image", update(&notebookv1.UpdateNotebookRequest{ImageId: proto.String("a b")}), "image_id"},
		{"start_duration", start(&notebookv1.StartNotebookRequest{Duration: proto.Int64(0)}), "duration"},
		{"start_type", start(&notebookv1.StartNotebookRequest{Type: proto.String("sometimes")}), "type"},
		{"start_literal_id", start(&notebookv1.StartNotebookRequest{NotebookId: "flavors"}), "notebook_id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := statustest.Error(t, tt.call())
			if e.Code() != codes.InvalidArgument {
				t.Fatalf("code %v (%s); want InvalidArgument", e.Code(), e.Message())
			}
			var fields []string
			for _, v := range e.Violations() {
				fields = append(fields, v.GetField())
			}
			if !slices.Equal(fields, []string{tt.field}) {
				t.Errorf("violations %v; want exactly %s", fields, tt.field)
			}
		})
	}
	if n := emu.RequestCount(); n != 0 {
		t.Errorf("ModelArts got %d requests; want none", n)
	}
}

// TestNotebookValidation_vendorSpellings: the spellings of the vendor's
// samples (lower case, "efs", "idle") and a valid value of every field
// pass validation and reach ModelArts.
func TestNotebookValidation_vendorSpellings(t *testing.T) {
	t.Parallel()
	emu := emulator.MustNew(emulator.Options{})
	h := start(t, emu, modelarts.Options{Credentials: cloudauth.Token("t")})
	req := createNotebookRequest("spellings")
	req.Description, req.Feature, req.WorkspaceId = proto.String("api-test"), proto.String("notebook"), proto.String("0")
	req.Volume = &notebookv1.VolumeRequest{Category: "efs", Ownership: "managed", Capacity: proto.Int32(50)}
	req.Endpoints = []*notebookv1.EndpointRequest{{Service: proto.String("ssh"), KeyPairNames: []string{"KeyPair-1"}, AllowedAccessIps: []string{"192.0.2.1", "2001:db8::1"}}}
	req.Hooks = &notebookv1.CustomHooks{ContainerHooks: &notebookv1.ContainerHooks{
		PreStart:  &notebookv1.HookConfig{Type: proto.String("script"), Script: proto.String("/home/ma-user/work/start.sh")},
		PostStart: &notebookv1.HookConfig{Type: proto.String("COMMAND"), Script: proto.String("ZWNobyBoaQ==")}}}
	req.Lease = &notebookv1.LeaseRequest{Duration: proto.Int64(-1), Type: proto.String("idle")}
	if _, err := h.notebooks.CreateNotebook(t.Context(), req); err != nil && statustest.Error(t, err).Code() == codes.InvalidArgument {
		t.Fatalf("the vendor's spellings were refused: %v", err)
	}
	if _, err := h.notebooks.ListNotebooks(t.Context(), &notebookv1.ListNotebooksRequest{ProjectId: project, Feature: "default", SortDir: "asc", SortKey: "create_at,name", Status: "running", WorkspaceId: "0"}); err != nil {
		t.Fatalf("list with the vendor's spellings: %v", err)
	}
}
