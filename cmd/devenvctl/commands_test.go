package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

	devenvv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/devenv/v1"
)

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestRequests: every command's flags and arguments become the request's
// fields.
func TestRequests(t *testing.T) {
	t.Parallel()
	const otherProject = "fedcba9876543210fedcba9876543210"
	requestFile := writeFile(t, "request.json", `{
  "project_id": "`+otherProject+`",
  "name": "from-file",
  "description": "",
  "profile_id": "Power-Engine 1.0(python3)",
  "flavor": "modelarts.kat1.xlarge",
  "spec": {
    "storage": {"location": {"path": "/aaaaaaaaa/output/"}, "type": "obs"},
    "auto_stop": {"enable": true, "duration": 3600},
    "annotations": {"team": "ml"},
    "extend_storage": null
  },
  "workspace": {"id": "0"}
}`)
	fromFile := func() *devenvv1.CreateInstanceRequest {
		return &devenvv1.CreateInstanceRequest{
			ProjectId: project, Name: "from-file", Description: proto.String(""), ProfileId: "Power-Engine 1.0(python3)", Flavor: "modelarts.kat1.xlarge",
			Spec: &devenvv1.CreateInstanceSpec{
				Storage:     &devenvv1.Storage{Type: proto.String("obs"), Location: &devenvv1.StorageLocation{Path: proto.String("/aaaaaaaaa/output/")}},
				AutoStop:    &devenvv1.AutoStop{Enable: proto.Bool(true), Duration: proto.Int32(3600)},
				Annotations: map[string]string{"team": "ml"},
			},
			Workspace: &devenvv1.Workspace{Id: proto.String("0")},
		}
	}
	overridden := fromFile()
	overridden.Name, overridden.Flavor, overridden.Wait = "nb-2", "modelarts.vm.cpu.8u", true
	overridden.Spec.Storage.Location.Path = proto.String("/bucket/other/")
	overridden.Spec.AutoStop = &devenvv1.AutoStop{Enable: proto.Bool(true), Duration: proto.Int32(7200)}
	fileProject := fromFile()
	fileProject.ProjectId = otherProject

	tests := []struct {
		name   string
		args   []string
		env    map[string]string
		method string
		want   proto.Message
	}{
		{"list", []string{"list"}, nil, "ListInstances", &devenvv1.ListInstancesRequest{ProjectId: project}},
		{"list_filters", []string{"list", "--status", "RUNNING", "--sortby", "CREATION_TIMESTAMP", "--order", "desc", "--workspace-id", "ws-1",
			"--pool-id", "pool-1", "--ai-project", "default-ai-project", "--show-self", "false", "--de-type", "Notebook", "--provision-type", "Docker"}, nil,
			"ListInstances", &devenvv1.ListInstancesRequest{ProjectId: project, Status: "RUNNING", Sortby: "creation_timestamp", Order: "desc",
				WorkspaceId: "ws-1", PoolId: "pool-1", AiProject: "default-ai-project", ShowSelf: "false", DeType: "Notebook", ProvisionType: "Docker"}},
		{"list_page", []string{"list", "--page-size", "10", "--page-token", "tok-2"}, nil,
			"ListInstances", &devenvv1.ListInstancesRequest{ProjectId: project, PageSize: 10, PageToken: "tok-2"}},
		{"list_vendor_paging", []string{"list", "--offset", "20", "--limit", "5"}, nil,
			"ListInstances", &devenvv1.ListInstancesRequest{ProjectId: project, Offset: 20, Limit: 5}},
		{"list_project_flag_wins", []string{"list", "--project", otherProject}, nil,
			"ListInstances", &devenvv1.ListInstancesRequest{ProjectId: otherProject}},
		{"list_project_from_os_project_id", []string{"list"}, map[string]string{"DEVENVCTL_PROJECT": "", "OS_PROJECT_ID": otherProject},
			"ListInstances", &devenvv1.ListInstancesRequest{ProjectId: otherProject}},
		{"list_devenvctl_project_beats_os_project_id", []string{"list"}, map[string]string{"OS_PROJECT_ID": otherProject},
			"ListInstances", &devenvv1.ListInstancesRequest{ProjectId: project}},
		{"get", []string{"get", instanceID}, nil, "GetInstance", &devenvv1.GetInstanceRequest{ProjectId: project, InstanceId: instanceID}},
		{"get_flags_before_the_id", []string{"get", "-o", "json", instanceID}, nil, "GetInstance", &devenvv1.GetInstanceRequest{ProjectId: project, InstanceId: instanceID}},
		{"create", []string{"create", "--name", "nb-1", "--description", "first", "--profile-id", "Multi-Engine 1.0 (python3)-cpu",
			"--flavor", "modelarts.vm.cpu.2u", "--storage-type", "obs", "--storage-path", "/bucket/nb/", "--auto-stop", "2h",
			"--workspace-id", "ws-1", "--pool-id", "pool-1", "--ai-project", "default-ai-project", "--wait"}, nil,
			"CreateInstance", &devenvv1.CreateInstanceRequest{
				ProjectId: project, Name: "nb-1", Description: proto.String("first"), ProfileId: "Multi-Engine 1.0 (python3)-cpu", Flavor: "modelarts.vm.cpu.2u",
				Spec: &devenvv1.CreateInstanceSpec{
					Storage:  &devenvv1.Storage{Type: proto.String("obs"), Location: &devenvv1.StorageLocation{Path: proto.String("/bucket/nb/")}},
					AutoStop: &devenvv1.AutoStop{Enable: proto.Bool(true), Duration: proto.Int32(7200)},
				},
				Workspace: &devenvv1.Workspace{Id: proto.String("ws-1")}, Pool: &devenvv1.Pool{Id: proto.String("pool-1")},
				AiProject: &devenvv1.AIProject{Id: proto.String("default-ai-project")}, Wait: true,
			}},
		{"create_storage_type_defaults_to_obs", []string{"create", "--name", "nb-1", "--storage-path", "/bucket/nb/"}, nil,
			"CreateInstance", &devenvv1.CreateInstanceRequest{ProjectId: project, Name: "nb-1", Spec: &devenvv1.CreateInstanceSpec{
				Storage: &devenvv1.Storage{Type: proto.String("obs"), Location: &devenvv1.StorageLocation{Path: proto.String("/bucket/nb/")}}}}},
		{"create_nothing_given_sends_nothing_unset", []string{"create"}, nil, "CreateInstance", &devenvv1.CreateInstanceRequest{ProjectId: project}},
		{"create_from_file", []string{"create", "--from-file", requestFile}, nil, "CreateInstance", fromFile()},
		{"create_from_file_flags_replace", []string{"create", "--from-file", requestFile, "--name", "nb-2", "--flavor", "modelarts.vm.cpu.8u",
			"--storage-path", "/bucket/other/", "--auto-stop", "2h", "--wait"}, nil, "CreateInstance", overridden},
		{"create_from_file_its_project", []string{"create", "--from-file", requestFile}, map[string]string{"DEVENVCTL_PROJECT": ""}, "CreateInstance", fileProject},
		{"update_description", []string{"update", instanceID, "--description", "new text"}, nil,
			"UpdateInstance", &devenvv1.UpdateInstanceRequest{ProjectId: project, InstanceId: instanceID, Description: proto.String("new text")}},
		{"update_clear_description", []string{"update", instanceID, "--description", ""}, nil,
			"UpdateInstance", &devenvv1.UpdateInstanceRequest{ProjectId: project, InstanceId: instanceID, Description: proto.String("")}},
		{"update_auto_stop", []string{"update", instanceID, "--auto-stop", "90m"}, nil,
			"UpdateInstance", &devenvv1.UpdateInstanceRequest{ProjectId: project, InstanceId: instanceID,
				Spec: &devenvv1.UpdateInstanceSpec{AutoStop: &devenvv1.AutoStop{Enable: proto.Bool(true), Duration: proto.Int32(5400)}}}},
		{"update_no_auto_stop", []string{"update", "--no-auto-stop", instanceID}, nil,
			"UpdateInstance", &devenvv1.UpdateInstanceRequest{ProjectId: project, InstanceId: instanceID,
				Spec: &devenvv1.UpdateInstanceSpec{AutoStop: &devenvv1.AutoStop{Enable: proto.Bool(false)}}}},
		{"start", []string{"start", instanceID}, nil, "StartInstance", &devenvv1.StartInstanceRequest{ProjectId: project, InstanceId: instanceID}},
		{"start_wait", []string{"start", instanceID, "--wait"}, nil, "StartInstance", &devenvv1.StartInstanceRequest{ProjectId: project, InstanceId: instanceID, Wait: true}},
		{"stop", []string{"stop", instanceID}, nil, "StopInstance", &devenvv1.StopInstanceRequest{ProjectId: project, InstanceId: instanceID}},
		{"stop_wait", []string{"stop", "--wait", instanceID}, nil, "StopInstance", &devenvv1.StopInstanceRequest{ProjectId: project, InstanceId: instanceID, Wait: true}},
		{"delete", []string{"delete", instanceID}, nil, "DeleteInstance", &devenvv1.DeleteInstanceRequest{ProjectId: project, InstanceId: instanceID}},
		{"delete_wait_allow_missing", []string{"delete", instanceID, "--wait", "--allow-missing"}, nil,
			"DeleteInstance", &devenvv1.DeleteInstanceRequest{ProjectId: project, InstanceId: instanceID, Wait: true, AllowMissing: true}},
		{"id_after_terminator", []string{"get", "--", instanceID}, nil, "GetInstance", &devenvv1.GetInstanceRequest{ProjectId: project, InstanceId: instanceID}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := startFake(t, nil)
			r := invoke(t.Context(), f.env(tt.env), tt.args...)
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

// TestListAll: --all follows next_page_token to the end, keeping the
// filters and page size, and prints one document.
func TestListAll(t *testing.T) {
	t.Parallel()
	pages := map[string]*devenvv1.ListInstancesResponse{
		"":   {TotalCount: proto.Int32(4), Instances: sampleList(), NextPageToken: "p2"},
		"p2": {TotalCount: proto.Int32(4), Instances: []*devenvv1.Instance{{Id: proto.String("id-3"), Name: proto.String("third")}}, NextPageToken: "p3"},
		"p3": {TotalCount: proto.Int32(4), Instances: []*devenvv1.Instance{{Id: proto.String("id-4"), Name: proto.String("fourth")}}},
	}
	f := startFake(t, func(_ context.Context, _ string, req proto.Message) (proto.Message, error) {
		return pages[req.(*devenvv1.ListInstancesRequest).GetPageToken()], nil
	})
	r := f.run(t, "list", "--all", "--page-size", "2", "--status", "RUNNING", "-o", "json")
	if r.code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", r.code, r.stderr)
	}
	calls := f.received()
	var tokens []string
	for _, c := range calls {
		req := c.req.(*devenvv1.ListInstancesRequest)
		tokens = append(tokens, req.GetPageToken())
		if req.GetPageSize() != 2 || req.GetStatus() != "RUNNING" {
			t.Errorf("page %q asked for page_size %d status %q; want 2 and RUNNING on every page", req.GetPageToken(), req.GetPageSize(), req.GetStatus())
		}
	}
	if want := []string{"", "p2", "p3"}; !cmp.Equal(tokens, want) {
		t.Errorf("page tokens %q; want %q", tokens, want)
	}
	var got devenvv1.ListInstancesResponse
	if err := protojson.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatalf("stdout is not one ListInstancesResponse: %v\n%s", err, r.stdout)
	}
	var ids []string
	for _, in := range got.GetInstances() {
		ids = append(ids, in.GetId())
	}
	if want := []string{instanceID, "6fa459ea-ee8a-3ca4-894e-db77e160355e", "id-3", "id-4"}; !cmp.Equal(ids, want) || got.GetTotalCount() != 4 || got.GetNextPageToken() != "" {
		t.Errorf("printed ids %q, total_count %d, next_page_token %q; want %q, 4, none", ids, got.GetTotalCount(), got.GetNextPageToken(), want)
	}

	t.Run("table", func(t *testing.T) {
		r := f.run(t, "list", "--all")
		if r.code != 0 {
			t.Fatalf("exit %d; stderr:\n%s", r.code, r.stderr)
		}
		if lines := strings.Split(strings.TrimSpace(r.stdout), "\n"); len(lines) != 5 {
			t.Errorf("table has %d lines; want a header and 4 instances:\n%s", len(lines), r.stdout)
		}
		if strings.Contains(r.stderr, "page-token") {
			t.Errorf("--all printed a next-page hint:\n%s", r.stderr)
		}
	})
}

// TestListAll_tokenLoop: a facade that hands out the same token again
// does not keep devenvctl busy for ever.
func TestListAll_tokenLoop(t *testing.T) {
	t.Parallel()
	f := startFake(t, func(context.Context, string, proto.Message) (proto.Message, error) {
		return &devenvv1.ListInstancesResponse{Instances: sampleList(), NextPageToken: "same"}, nil
	})
	r := f.run(t, "list", "--all")
	if r.code != exitFailure || !strings.Contains(r.stderr, `page token "same" a second time`) {
		t.Errorf("exit %d, stderr %q; want 1 and the repeated token named", r.code, r.stderr)
	}
	if n := len(f.received()); n != 2 {
		t.Errorf("%d calls; want 2 (the token repeats on the second page)", n)
	}
}

// TestTableOutput: people get aligned columns, readable times and a hint
// when there are more pages.
func TestTableOutput(t *testing.T) {
	t.Parallel()
	f := startFake(t, func(_ context.Context, method string, _ proto.Message) (proto.Message, error) {
		if method == "ListInstances" {
			return &devenvv1.ListInstancesResponse{TotalCount: proto.Int32(7), Instances: sampleList(), NextPageToken: "next-2"}, nil
		}
		return nil, nil
	})
	tests := []struct {
		name       string
		args       []string
		wantStdout string // exactly
		wantStderr string // contained
	}{
		{"list", []string{"list", "--page-size", "2"}, "" +
			"ID                                        NAME            STATUS    FLAVOR                  CREATED\n" +
			"DE-7d558ef8-c73d-11ea-964c-0255ac100033   notebook-d115   RUNNING   modelarts.vm.cpu.2u     2020-07-16T08:22:29Z\n" +
			"6fa459ea-ee8a-3ca4-894e-db77e160355e      sample          STOPPED   modelarts.vm.gpu.p100   2023-11-14T22:13:20Z\n",
			"More instances: add --page-token next-2"},
		{"get", []string{"get", instanceID}, "" +
			"ID:           DE-7d558ef8-c73d-11ea-964c-0255ac100033\n" +
			"Name:         notebook-d115\n" +
			"Status:       RUNNING\n" +
			"Description:  nightly training\n" +
			"Flavor:       modelarts.vm.cpu.2u\n" +
			"Profile:      Multi-Engine 1.0 (python3)-cpu\n" +
			"Storage:      obs /bucket/notebooks/\n" +
			"Auto-stop:    after 1h0m0s, at 2020-07-16T09:22:29Z\n" +
			"Workspace:    0\n" +
			"Created:      2020-07-16T08:22:29Z\n" +
			"Updated:      2020-07-16T08:25:56Z\n", ""},
		{"start", []string{"start", instanceID}, "" +
			"ID                                        PREVIOUS   STATUS\n" +
			"DE-7d558ef8-c73d-11ea-964c-0255ac100033   STOPPED    STARTING\n", ""},
		{"stop", []string{"stop", instanceID}, "" +
			"ID                                        PREVIOUS   STATUS\n" +
			"DE-7d558ef8-c73d-11ea-964c-0255ac100033   RUNNING    STOPPING\n", ""},
		{"delete", []string{"delete", instanceID}, "Deleted DE-7d558ef8-c73d-11ea-964c-0255ac100033.\n", ""},
		{"delete_wait", []string{"delete", instanceID, "--wait"}, "Deleted DE-7d558ef8-c73d-11ea-964c-0255ac100033 (gone).\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := f.run(t, tt.args...)
			if r.code != 0 {
				t.Fatalf("exit %d; stderr:\n%s", r.code, r.stderr)
			}
			if r.stdout != tt.wantStdout {
				t.Errorf("stdout:\n%s\nwant:\n%s", r.stdout, tt.wantStdout)
			}
			if !strings.Contains(r.stderr, tt.wantStderr) {
				t.Errorf("stderr %q; want it to contain %q", r.stderr, tt.wantStderr)
			}
		})
	}
}

// TestTableOutput_failedAndHostileText: a failed instance shows why, and
// server text cannot move the terminal's cursor or break the columns.
func TestTableOutput_failedAndHostileText(t *testing.T) {
	t.Parallel()
	in := sampleInstance()
	in.Status = proto.String("CREATE_FAILED")
	in.Name = proto.String("evil\x1b[2J\tname\u202e")
	in.Spec.FailedReasons = &devenvv1.FailedReasons{Code: proto.String("ModelArts.6320"), Message: proto.String("OBS access error")}
	f := startFake(t, func(context.Context, string, proto.Message) (proto.Message, error) {
		return &devenvv1.GetInstanceResponse{Instance: in}, nil
	})
	r := f.run(t, "get", instanceID)
	if r.code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", r.code, r.stderr)
	}
	if !strings.Contains(r.stdout, "Failed:       ModelArts.6320: OBS access error\n") {
		t.Errorf("no failure line:\n%s", r.stdout)
	}
	if strings.ContainsAny(r.stdout, "\x1b\t\u202e") {
		t.Errorf("control or invisible characters reached the terminal: %q", r.stdout)
	}
}

// TestJSONOutput: -o json is one document in the vendor's JSON (snake_case
// names, integers as numbers), holding what the facade answered.
func TestJSONOutput(t *testing.T) {
	t.Parallel()
	f := startFake(t, nil)
	tests := []struct {
		args     []string
		into     proto.Message
		want     proto.Message
		wantKeys []string // top-level keys
	}{
		{[]string{"get", instanceID, "-o", "json"}, &devenvv1.Instance{}, sampleInstance(),
			[]string{"id", "name", "description", "status", "flavor", "creation_timestamp", "latest_update_timestamp", "profile", "spec", "workspace"}},
		{[]string{"create", "--name", "x", "-o", "json"}, &devenvv1.Instance{}, sampleInstance(), nil},
		{[]string{"update", instanceID, "--no-auto-stop", "--output", "json"}, &devenvv1.Instance{}, sampleInstance(), nil},
		{[]string{"list", "-o", "json"}, &devenvv1.ListInstancesResponse{},
			&devenvv1.ListInstancesResponse{TotalCount: proto.Int32(2), Instances: sampleList()}, []string{"total_count", "instances"}},
		{[]string{"start", instanceID, "-o", "json"}, &devenvv1.StartInstanceResponse{},
			&devenvv1.StartInstanceResponse{CurrentStatus: "STARTING", PreviousState: "STOPPED"}, []string{"current_status", "previous_state"}},
		{[]string{"stop", instanceID, "-o", "json"}, &devenvv1.StopInstanceResponse{},
			&devenvv1.StopInstanceResponse{CurrentStatus: "STOPPING", PreviousState: "RUNNING"}, []string{"current_status", "previous_state"}},
		{[]string{"delete", instanceID, "-o", "json"}, &devenvv1.DeleteInstanceResponse{},
			&devenvv1.DeleteInstanceResponse{InstanceId: instanceID}, []string{"instance_id"}},
	}
	for _, tt := range tests {
		t.Run(tt.args[0], func(t *testing.T) {
			t.Parallel()
			r := f.run(t, tt.args...)
			if r.code != 0 {
				t.Fatalf("exit %d; stderr:\n%s", r.code, r.stderr)
			}
			if err := protojson.Unmarshal([]byte(r.stdout), tt.into); err != nil {
				t.Fatalf("stdout is not a %T in protobuf JSON: %v\n%s", tt.into, err, r.stdout)
			}
			if diff := cmp.Diff(tt.want, tt.into, protocmp.Transform()); diff != "" {
				t.Errorf("printed (-want +got):\n%s", diff)
			}
			var doc map[string]any
			if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
				t.Fatalf("stdout is not one JSON object: %v", err)
			}
			var keys []string
			for k := range doc {
				keys = append(keys, k)
			}
			if tt.wantKeys != nil && !cmp.Equal(keys, tt.wantKeys, cmpSorted) {
				t.Errorf("top-level keys %q; want %q", keys, tt.wantKeys)
			}
			if strings.Contains(r.stdout, `"stop_timestamp"`) && !strings.Contains(r.stdout, `"stop_timestamp": 1594891349962`) {
				t.Errorf("stop_timestamp (int64) is not a JSON number as ModelArts sends it:\n%s", r.stdout)
			}
			if regexp.MustCompile(`"[a-z]+[A-Z]\w*":`).MatchString(r.stdout) {
				t.Errorf("a lowerCamelCase key; want the API's snake_case names:\n%s", r.stdout)
			}
		})
	}
}

// cmpSorted compares string slices as sets.
var cmpSorted = cmpopts.SortSlices(func(a, b string) bool { return a < b })

// TestDelete_inferredOutcome: when the facade says ModelArts never
// confirmed the delete, people are told.
func TestDelete_inferredOutcome(t *testing.T) {
	t.Parallel()
	f := startFake(t, func(ctx context.Context, _ string, _ proto.Message) (proto.Message, error) {
		if err := grpc.SetHeader(ctx, metadata.Pairs(mdDeleteOutcome, "inferred")); err != nil {
			return nil, err
		}
		return nil, nil
	})
	r := f.run(t, "delete", instanceID)
	if r.code != 0 || !strings.Contains(r.stdout, "ModelArts did not confirm it") {
		t.Errorf("exit %d, stdout %q; want 0 and the inferred outcome said", r.code, r.stdout)
	}
}

func TestVersion(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"version"}, {"--version"}} {
		r := invoke(t.Context(), nil, args...)
		if r.code != 0 || !regexp.MustCompile(`^devenvctl \S+ \(commit \S+.*, go1\.\d+`).MatchString(r.stdout) {
			t.Errorf("%q: exit %d, stdout %q", args, r.code, r.stdout)
		}
	}
	r := invoke(t.Context(), map[string]string{"DEVENVCTL_OUTPUT": "json"}, "version")
	var v versionJSON
	if err := json.Unmarshal([]byte(r.stdout), &v); err != nil || r.code != 0 || v.Version == "" || !strings.HasPrefix(v.GoVersion, "go1.") {
		t.Errorf("version with DEVENVCTL_OUTPUT=json: exit %d, %q (%v)", r.code, r.stdout, err)
	}
	if r := invoke(t.Context(), nil, "version", "--addr", "x:1"); r.code != exitUsage {
		t.Errorf("version --addr: exit %d; want 2 (version calls nothing)", r.code)
	}
}
