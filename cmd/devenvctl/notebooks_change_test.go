package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	notebookv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/notebook/v1"
)

// TestNotebookChangeRequests: the flags and arguments of notebooks list,
// create, update, start, stop and delete become the request's fields, and
// nothing else is set.
func TestNotebookChangeRequests(t *testing.T) {
	t.Parallel()
	createFile := writeFile(t, "create.json", `{
  "name": "from-file",
  "description": "from a file",
  "flavor": "modelarts.vm.cpu.2u",
  "image_id": "`+imageID+`",
  "volume": {"category": "EFS", "ownership": "MANAGED", "capacity": 50},
  "hooks": {"container_hooks": {"post_start": {"script": "/home/ma-user/work/start.sh", "type": "SCRIPT"}}},
  "lease": {"duration": 7200000, "type": "timing"}
}`)
	updateFile := writeFile(t, "update.json", `{"hooks": {"container_hooks": {"pre_start": {"script": "/home/ma-user/work/pre.sh"}}}}`)
	fromFile := func() *notebookv1.CreateNotebookRequest {
		return &notebookv1.CreateNotebookRequest{ProjectId: project, Name: "from-file", Description: proto.String("from a file"),
			Flavor: "modelarts.vm.cpu.2u", ImageId: imageID,
			Volume: &notebookv1.VolumeRequest{Category: "EFS", Ownership: "MANAGED", Capacity: proto.Int32(50)},
			Hooks: &notebookv1.CustomHooks{ContainerHooks: &notebookv1.ContainerHooks{
				PostStart: &notebookv1.HookConfig{Script: proto.String("/home/ma-user/work/start.sh"), Type: proto.String("SCRIPT")}}},
			Lease: &notebookv1.LeaseRequest{Duration: proto.Int64(7200000), Type: proto.String("timing")}}
	}
	overridden := fromFile()
	overridden.Name, overridden.Volume.Capacity, overridden.Wait = "nb-2", proto.Int32(100), true
	overridden.Lease = &notebookv1.LeaseRequest{Duration: proto.Int64(-1)}

	checkRequests(t, []requestCase{
		{"list", []string{"notebooks", "list"}, "ListNotebooks", &notebookv1.ListNotebooksRequest{ProjectId: project}},
		{"list_filters", []string{"notebooks", "list", "--status", "RUNNING", "--name", "nb", "--feature", "NOTEBOOK", "--pool-id", "pool41664192",
			"--owner", "2c9e8f7a6b5d4c3e2f1a0b9c8d7e6f5a", "--sort-dir", "ASC", "--sort-key", "create_at", "--workspace-id", "0"},
			"ListNotebooks", &notebookv1.ListNotebooksRequest{ProjectId: project, Status: "RUNNING", Name: "nb", Feature: "NOTEBOOK",
				PoolId: "pool41664192", Owner: "2c9e8f7a6b5d4c3e2f1a0b9c8d7e6f5a", SortDir: "ASC", SortKey: "create_at", WorkspaceId: "0"}},
		{"list_page", []string{"notebooks", "list", "--page-size", "10", "--page-token", "tok-2"},
			"ListNotebooks", &notebookv1.ListNotebooksRequest{ProjectId: project, PageSize: 10, PageToken: "tok-2"}},
		{"list_vendor_paging", []string{"notebooks", "list", "--offset", "20", "--limit", "5"},
			"ListNotebooks", &notebookv1.ListNotebooksRequest{ProjectId: project, Offset: 20, Limit: 5}},
		{"list_all_users", []string{"notebooks", "list", "--all-users", "--status", "STOPPED", "--limit", "5"},
			"ListAllNotebooks", &notebookv1.ListAllNotebooksRequest{ProjectId: project, Status: "STOPPED", Limit: 5}},
		{"create", []string{"notebooks", "create", "--name", "nb-1", "--description", "first", "--flavor", "modelarts.vm.cpu.2u", "--image-id", imageID,
			"--volume-capacity", "50", "--feature", "NOTEBOOK", "--pool-id", "pool41664192", "--workspace-id", "0", "--lease", "2h", "--lease-type", "idle",
			"--ssh-key-pairs", "KeyPair-a, KeyPair-b", "--ssh-allowed-ips", "192.0.2.1,192.0.2.2", "--wait"},
			"CreateNotebook", &notebookv1.CreateNotebookRequest{ProjectId: project, Name: "nb-1", Description: proto.String("first"),
				Flavor: "modelarts.vm.cpu.2u", ImageId: imageID, Volume: &notebookv1.VolumeRequest{Category: "EVS", Ownership: "MANAGED", Capacity: proto.Int32(50)},
				Feature: proto.String("NOTEBOOK"), PoolId: proto.String("pool41664192"), WorkspaceId: proto.String("0"),
				Lease: &notebookv1.LeaseRequest{Duration: proto.Int64(7200000), Type: proto.String("idle")},
				Endpoints: []*notebookv1.EndpointRequest{{Service: proto.String("SSH"), KeyPairNames: []string{"KeyPair-a", "KeyPair-b"},
					AllowedAccessIps: []string{"192.0.2.1", "192.0.2.2"}}}, Wait: true}},
		{"create_dedicated_volume", []string{"notebooks", "create", "--name", "nb-1", "--volume-category", "SFS", "--volume-ownership", "DEDICATED",
			"--volume-uri", "192.168.0.1:/user-1/mount/", "--volume-id", "sfs-1", "--no-auto-stop"},
			"CreateNotebook", &notebookv1.CreateNotebookRequest{ProjectId: project, Name: "nb-1",
				Volume: &notebookv1.VolumeRequest{Category: "SFS", Ownership: "DEDICATED", Uri: proto.String("192.168.0.1:/user-1/mount/"), Id: proto.String("sfs-1")},
				Lease:  &notebookv1.LeaseRequest{Duration: proto.Int64(-1)}}},
		{"create_from_file", []string{"notebooks", "create", "--from-file", createFile}, "CreateNotebook", fromFile()},
		{"create_from_file_flags_replace", []string{"notebooks", "create", "--from-file", createFile, "--name", "nb-2", "--volume-capacity", "100",
			"--no-auto-stop", "--wait"}, "CreateNotebook", overridden},
		{"update", []string{"notebooks", "update", notebookID, "--name", "renamed", "--description", "", "--flavor", "modelarts.vm.cpu.8u",
			"--image-id", imageID, "--storage-size", "100", "--ssh-key-pairs", "KeyPair-a"},
			"UpdateNotebook", &notebookv1.UpdateNotebookRequest{ProjectId: project, NotebookId: notebookID, Name: proto.String("renamed"),
				Description: proto.String(""), Flavor: proto.String("modelarts.vm.cpu.8u"), ImageId: proto.String(imageID), StorageNewSize: proto.Int32(100),
				Endpoints: []*notebookv1.EndpointRequest{{Service: proto.String("SSH"), KeyPairNames: []string{"KeyPair-a"}}}}},
		{"update_from_file", []string{"notebooks", "update", notebookID, "--from-file", updateFile},
			"UpdateNotebook", &notebookv1.UpdateNotebookRequest{ProjectId: project, NotebookId: notebookID, Hooks: &notebookv1.CustomHooks{
				ContainerHooks: &notebookv1.ContainerHooks{PreStart: &notebookv1.HookConfig{Script: proto.String("/home/ma-user/work/pre.sh")}}}}},
		{"start", []string{"notebooks", "start", notebookID}, "StartNotebook", &notebookv1.StartNotebookRequest{ProjectId: project, NotebookId: notebookID}},
		{"start_lease_wait", []string{"notebooks", "start", notebookID, "--lease", "90m", "--lease-type", "TIMING", "--wait"},
			"StartNotebook", &notebookv1.StartNotebookRequest{ProjectId: project, NotebookId: notebookID, Duration: proto.Int64(5400000),
				Type: proto.String("TIMING"), Wait: true}},
		{"stop", []string{"notebooks", "stop", "--wait", notebookID}, "StopNotebook", &notebookv1.StopNotebookRequest{ProjectId: project, NotebookId: notebookID, Wait: true}},
		{"delete", []string{"notebooks", "delete", notebookID}, "DeleteNotebook", &notebookv1.DeleteNotebookRequest{ProjectId: project, NotebookId: notebookID}},
		{"delete_wait", []string{"notebooks", "delete", notebookID, "--wait"}, "DeleteNotebook", &notebookv1.DeleteNotebookRequest{ProjectId: project, NotebookId: notebookID, Wait: true}},
	})
}

// TestNotebookChangeUsage: mistakes in the command lines of notebooks
// list, create, update, start, stop and delete are usage errors (exit 2)
// that send nothing.
func TestNotebookChangeUsage(t *testing.T) {
	t.Parallel()
	checkUsage(t, []usageCase{
		{"no_verb", []string{"notebooks"}, "notebooks needs a command: list, watch, get, create, update, start, stop or delete"},
		{"paging_mixed", []string{"notebooks", "list", "--offset", "1", "--page-size", "2"}, "--offset and --limit (the vendor's paging) do not go with --page-size"},
		{"lease_contradiction", []string{"notebooks", "start", notebookID, "--lease", "1h", "--no-auto-stop"}, "--lease and --no-auto-stop contradict each other"},
		{"lease_not_positive", []string{"notebooks", "create", "--lease", "-1h"}, "--lease -1h0m0s: want a positive duration"},
		{"ips_without_keys", []string{"notebooks", "update", notebookID, "--ssh-allowed-ips", "192.0.2.1"}, "--ssh-allowed-ips goes with --ssh-key-pairs"},
		{"update_nothing", []string{"notebooks", "update", notebookID}, "nothing to update"},
		{"bad_file", []string{"notebooks", "create", "--from-file", "/nonexistent/body.json"}, "--from-file: open /nonexistent/body.json"},
	})
}

// TestNotebookChangeOutput: notebooks list's table (with when each
// running notebook stops) and its JSON envelope; what delete says.
func TestNotebookChangeOutput(t *testing.T) {
	t.Parallel()
	f := startFake(t, nil)
	checkOutput(t, f, []outputCase{
		{"list", []string{"notebooks", "list"}, []string{
			"ID                                     NAME             STATUS    FLAVOR                IMAGE        CREATED                STOPS",
			notebookID + "   notebooks_test   RUNNING   modelarts.vm.cpu.2u   pytorch1.8   2021-12-07T01:49:04Z   2021-12-07T03:49:04Z"}},
		{"delete", []string{"notebooks", "delete", notebookID}, []string{"Deleted notebook " + notebookID + " (DELETING)."}},
	})
	checkJSON(t, f, []jsonCase{
		{"list", []string{"notebooks", "list"}, map[string]any{"total": float64(1)}},
	})
}

// TestNotebookListAll: --all follows next_page_token (100 a page unless
// --page-size says otherwise) and prints one document with every record.
func TestNotebookListAll(t *testing.T) {
	t.Parallel()
	nb := func(id string) *notebookv1.Notebook { return &notebookv1.Notebook{Id: proto.String(id)} }
	pages := map[string]*notebookv1.ListNotebooksResponse{
		"":   {Data: []*notebookv1.Notebook{nb("a"), nb("b")}, Total: proto.Int64(3), Current: proto.Int32(0), NextPageToken: "p2"},
		"p2": {Data: []*notebookv1.Notebook{nb("c")}, Total: proto.Int64(3), Current: proto.Int32(1)},
	}
	f := startFake(t, func(_ context.Context, _ string, req proto.Message) (proto.Message, error) {
		return pages[req.(*notebookv1.ListNotebooksRequest).GetPageToken()], nil
	})
	r := f.run(t, "notebooks", "list", "--all", "--status", "RUNNING", "-o", "json")
	if r.code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", r.code, r.stderr)
	}
	var tokens []string
	for _, c := range f.received() {
		req := c.req.(*notebookv1.ListNotebooksRequest)
		tokens = append(tokens, req.GetPageToken())
		if req.GetPageSize() != 100 || req.GetStatus() != "RUNNING" {
			t.Errorf("page %q: page_size %d, status %q; want 100 and RUNNING", req.GetPageToken(), req.GetPageSize(), req.GetStatus())
		}
	}
	if want := []string{"", "p2"}; !cmp.Equal(tokens, want) {
		t.Errorf("page tokens %q; want %q", tokens, want)
	}
	var got struct {
		Data []struct {
			ID string `json:"id"`
		} `json:"data"`
		Total   *int64 `json:"total"`
		Current *int32 `json:"current"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Data) != 3 || got.Data[2].ID != "c" || got.Total == nil || *got.Total != 3 || got.Current != nil {
		t.Errorf("printed %s; want the 3 notebooks, total 3 and no current", r.stdout)
	}

	// Without --all, the next page's token is a hint on stderr.
	r = f.run(t, "notebooks", "list")
	if !strings.Contains(r.stderr, "More notebooks: add --page-token p2 (or use --all).") {
		t.Errorf("stderr %q; want the next-page hint", r.stderr)
	}
}

// TestNotebookChangeDeadlines: notebooks start, create and delete wait
// with --wait, and get the long deadline then.
func TestNotebookChangeDeadlines(t *testing.T) {
	t.Parallel()
	checkDeadlines(t, []deadlineCase{
		{"start", []string{"notebooks", "start", notebookID}, 30 * time.Second},
		{"start_wait", []string{"notebooks", "start", notebookID, "--wait"}, 15 * time.Minute},
		{"create_wait", []string{"notebooks", "create", "--name", "x", "--wait"}, 15 * time.Minute},
		{"delete_wait_timeout", []string{"notebooks", "delete", notebookID, "--wait", "--timeout", "2m"}, 2 * time.Minute},
	})
}

// TestNotebookCreateWait_cutShortSaysCreated: notebooks create --wait
// says which notebook it waits for once the facade announces it, and, when
// the wait is cut short, that the notebook was created and how to see it.
func TestNotebookCreateWait_cutShortSaysCreated(t *testing.T) {
	t.Parallel()
	f := startFake(t, func(ctx context.Context, _ string, _ proto.Message) (proto.Message, error) {
		_ = grpc.SendHeader(ctx, metadata.Pairs(mdInstanceID, notebookID))
		return nil, status.Error(codes.DeadlineExceeded, "context deadline exceeded")
	})
	r := f.run(t, "notebooks", "create", "--name", "x", "--wait")
	for _, want := range []string{
		"devenvctl: created notebook " + notebookID + "; waiting until it is RUNNING (Ctrl-C stops the wait, not the notebook)\n",
		"devenvctl: DEADLINE_EXCEEDED: context deadline exceeded (--timeout 15m0s passed while waiting for the notebook)",
		"  notebook " + notebookID + " was created: ModelArts accepted the create, only the wait did not finish; see it with: devenvctl notebooks get " + notebookID + "\n",
	} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr:\n%s\nwant %q", r.stderr, want)
		}
	}
	if r.code != 9 {
		t.Errorf("exit %d; want 9", r.code)
	}
}

// TestNotebookInferred: an answer the facade inferred (x-outcome:
// inferred: a lost create found by reading) is said so on stderr.
func TestNotebookInferred(t *testing.T) {
	t.Parallel()
	f := startFake(t, func(ctx context.Context, _ string, _ proto.Message) (proto.Message, error) {
		_ = grpc.SetHeader(ctx, metadata.Pairs(mdOutcome, "inferred"))
		return nil, nil
	})
	r := f.run(t, "notebooks", "create", "--name", "x", "-o", "json")
	if r.code != 0 || !strings.Contains(r.stderr, "ModelArts did not confirm this") || !strings.Contains(r.stdout, notebookID) {
		t.Errorf("exit %d, stdout %q, stderr %q; want the notebook and the note", r.code, r.stdout, r.stderr)
	}
}
