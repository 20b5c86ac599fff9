package service_test

import (
	"fmt"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	devenvv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/devenv/v1"
)

// The tests of this file and validate_create_test.go (helpers in
// validate_fixture_test.go) prove the input rules of docs/api.md's "Input rules"
// (spec §1.1-§1.2) for every instance RPC: each bad request fails with
// INVALID_ARGUMENT, a BadRequest naming exactly its bad fields (with the
// reason REQUIRED or MALFORMED) and ErrorInfo reason INVALID_ARGUMENT, and
// reaches no upstream; each valid one, boundaries included, reaches the
// emulator.

func TestListInstances_validation(t *testing.T) {
	t.Parallel()
	f := startValidation(t)
	var cases []valCase[*devenvv1.ListInstancesRequest]
	add := func(name string, bad []string, r *devenvv1.ListInstancesRequest) {
		if r.ProjectId == "-" {
			r.ProjectId = ""
		} else if r.ProjectId == "" {
			r.ProjectId = project
		}
		cases = append(cases, valCase[*devenvv1.ListInstancesRequest]{name: name, req: r, bad: bad})
	}
	ok := func(name string, r *devenvv1.ListInstancesRequest) { add(name, nil, r) }

	ok("no_filters", &devenvv1.ListInstancesRequest{})
	ok("every_filter", &devenvv1.ListInstancesRequest{DeType: "Notebook", ProvisionType: "Docker", Status: "RUNNING", Sortby: "creation_timestamp",
		Order: "desc", Offset: 1, Limit: 10, WorkspaceId: "0", ShowSelf: "false", PoolId: "pool-1", AiProject: "default-ai-project"})

	// project_id.
	add("project_empty", []string{required("project_id")}, &devenvv1.ListInstancesRequest{ProjectId: "-"})
	for _, p := range badProject {
		add("project_"+p.name, []string{malformed("project_id")}, &devenvv1.ListInstancesRequest{ProjectId: p.id})
	}

	// The enumerations.
	enums := []struct {
		field     string
		set       func(r *devenvv1.ListInstancesRequest, v string)
		good, bad []string
	}{
		{"de_type", func(r *devenvv1.ListInstancesRequest, v string) { r.DeType = v },
			[]string{"Notebook"}, []string{"notebook", "NOTEBOOK", "Notebooks", "Notebook ", "Docker"}},
		{"provision_type", func(r *devenvv1.ListInstancesRequest, v string) { r.ProvisionType = v },
			[]string{"Docker"}, []string{"docker", "VM", "Notebook"}},
		{"status", func(r *devenvv1.ListInstancesRequest, v string) { r.Status = v },
			[]string{"CREATING", "CREATE_FAILED", "STARTING", "RESTARTING", "START_FAILED", "RUNNING",
				"STOPPING", "STOPPED", "UNAVAILABLE", "DELETED", "RESIZING", "RESIZE_FAILED"},
			[]string{"running", "CREATE_QUEUING", "ERROR", "RUNNING,STOPPED"}},
		{"sortby", func(r *devenvv1.ListInstancesRequest, v string) { r.Sortby = v },
			[]string{"name", "creation_timestamp"}, []string{"bad", "Name", "creationTimestamp", "status", "sort_by"}},
		{"order", func(r *devenvv1.ListInstancesRequest, v string) { r.Order = v },
			[]string{"asc", "desc"}, []string{"ASC", "descending", "up"}},
		{"show_self", func(r *devenvv1.ListInstancesRequest, v string) { r.ShowSelf = v },
			[]string{"true", "false", "True", "False", "TRUE", "fAlSe"}, []string{"1", "yes", "t", "true ", "truee", "falſe", "\u0000rue", "tru\u0005"}},
	}
	for _, e := range enums {
		for _, v := range e.good {
			r := &devenvv1.ListInstancesRequest{}
			e.set(r, v)
			ok(e.field+"_"+v, r)
		}
		for _, v := range append(e.bad, notUTF8) {
			r := &devenvv1.ListInstancesRequest{}
			e.set(r, v)
			add(fmt.Sprintf("%s_%q", e.field, v), []string{malformed(e.field)}, r)
		}
	}

	// workspace_id, pool_id, ai_project: 1 to 64 of A-Z a-z 0-9 . - _.
	ids := []struct {
		field string
		set   func(r *devenvv1.ListInstancesRequest, v string)
	}{
		{"workspace_id", func(r *devenvv1.ListInstancesRequest, v string) { r.WorkspaceId = v }},
		{"pool_id", func(r *devenvv1.ListInstancesRequest, v string) { r.PoolId = v }},
		{"ai_project", func(r *devenvv1.ListInstancesRequest, v string) { r.AiProject = v }},
	}
	for _, id := range ids {
		for _, v := range []string{"a", "0", id64, "a.b-c_D"} {
			r := &devenvv1.ListInstancesRequest{}
			id.set(r, v)
			ok(fmt.Sprintf("%s_%.10s", id.field, v), r)
		}
		for _, v := range []string{id65, "a/b", "a&b=c", "a b", "é", notUTF8, "..", ".", "-a"} {
			r := &devenvv1.ListInstancesRequest{}
			id.set(r, v)
			add(fmt.Sprintf("%s_%.12q", id.field, v), []string{malformed(id.field)}, r)
		}
	}

	// offset 0 to 1,000,000; limit and page_size 0 to 1000.
	ok("offset_0", &devenvv1.ListInstancesRequest{Offset: 0})
	ok("offset_max", &devenvv1.ListInstancesRequest{Offset: 1_000_000})
	add("offset_negative", []string{malformed("offset")}, &devenvv1.ListInstancesRequest{Offset: -1})
	add("offset_above_max", []string{malformed("offset")}, &devenvv1.ListInstancesRequest{Offset: 1_000_001})
	ok("limit_1", &devenvv1.ListInstancesRequest{Limit: 1})
	ok("limit_1000", &devenvv1.ListInstancesRequest{Limit: 1000})
	add("limit_negative", []string{malformed("limit")}, &devenvv1.ListInstancesRequest{Limit: -1})
	add("limit_1001", []string{malformed("limit")}, &devenvv1.ListInstancesRequest{Limit: 1001})
	ok("page_size_1", &devenvv1.ListInstancesRequest{PageSize: 1})
	ok("page_size_1000", &devenvv1.ListInstancesRequest{PageSize: 1000})
	add("page_size_negative", []string{malformed("page_size")}, &devenvv1.ListInstancesRequest{PageSize: -1})
	add("page_size_1001", []string{malformed("page_size")}, &devenvv1.ListInstancesRequest{PageSize: 1001})

	// page_size and page_token page on their own.
	ok("offset_and_limit", &devenvv1.ListInstancesRequest{Offset: 2, Limit: 2})
	ok("page_size_with_filters", &devenvv1.ListInstancesRequest{PageSize: 2, Status: "STOPPED", Sortby: "name", Order: "desc"})
	add("page_size_with_offset", []string{malformed("page_token")}, &devenvv1.ListInstancesRequest{PageSize: 10, Offset: 1})
	add("page_size_with_limit", []string{malformed("page_token")}, &devenvv1.ListInstancesRequest{PageSize: 10, Limit: 10})
	add("page_token_with_offset", []string{malformed("page_token")}, &devenvv1.ListInstancesRequest{PageToken: "x", Offset: 5})
	add("page_token_with_limit", []string{malformed("page_token")}, &devenvv1.ListInstancesRequest{PageToken: "x", Limit: 5})
	// A page token the facade did not issue fails before ModelArts too.
	add("page_token_forged", []string{malformed("page_token")}, &devenvv1.ListInstancesRequest{PageToken: "not-a-token"})

	// Several bad fields, one violation each.
	add("sortby_and_order", []string{malformed("sortby"), malformed("order")}, &devenvv1.ListInstancesRequest{Sortby: "bad", Order: "up"})
	add("offset_negative_with_page_size", []string{malformed("offset"), malformed("page_token")},
		&devenvv1.ListInstancesRequest{Offset: -1, PageSize: 5})
	add("everything_bad", []string{malformed("project_id"), malformed("de_type"), malformed("provision_type"), malformed("status"),
		malformed("sortby"), malformed("order"), malformed("show_self"), malformed("workspace_id"), malformed("pool_id"),
		malformed("ai_project"), malformed("offset"), malformed("limit"), malformed("page_size"), malformed("page_token")},
		&devenvv1.ListInstancesRequest{ProjectId: "X", DeType: "x", ProvisionType: "x", Status: "x", Sortby: "x", Order: "x",
			ShowSelf: "x", WorkspaceId: "/", PoolId: "/", AiProject: "/", Offset: -1, Limit: -1, PageSize: -1})

	runValCases(t, f, f.client.ListInstances, f.svc.ListInstances, cases)
}

func TestGetInstance_validation(t *testing.T) {
	t.Parallel()
	f := startValidation(t)
	var cases []valCase[*devenvv1.GetInstanceRequest]
	for _, c := range badIDs() {
		cases = append(cases, valCase[*devenvv1.GetInstanceRequest]{name: c.name,
			req: &devenvv1.GetInstanceRequest{ProjectId: c.project, InstanceId: c.instance}, bad: c.bad})
	}
	for _, c := range []struct{ name, id, upstream string }{
		{"stopped", stopped, ""},
		{"running", running, ""},
		{"instance_64", id64, "ModelArts.6309"},
		{"instance_1", "x", "ModelArts.6309"},
		{"instance_all_classes", "AZaz09-_", "ModelArts.6309"},
	} {
		cases = append(cases, valCase[*devenvv1.GetInstanceRequest]{name: c.name,
			req: &devenvv1.GetInstanceRequest{ProjectId: project, InstanceId: c.id}, upstream: c.upstream})
	}
	runValCases(t, f, f.client.GetInstance, f.svc.GetInstance, cases)
}

func TestUpdateInstance_validation(t *testing.T) {
	t.Parallel()
	f := startValidation(t)
	var cases []valCase[*devenvv1.UpdateInstanceRequest]
	add := func(name string, bad []string, r *devenvv1.UpdateInstanceRequest) {
		if r.ProjectId == "" && r.InstanceId == "" {
			r.ProjectId, r.InstanceId = project, stopped
		}
		cases = append(cases, valCase[*devenvv1.UpdateInstanceRequest]{name: name, req: r, bad: bad})
	}
	ok := func(name string, r *devenvv1.UpdateInstanceRequest) { add(name, nil, r) }
	desc := func(d string) *devenvv1.UpdateInstanceRequest {
		return &devenvv1.UpdateInstanceRequest{Description: proto.String(d)}
	}
	autoStop := func(as *devenvv1.AutoStop) *devenvv1.UpdateInstanceRequest {
		return &devenvv1.UpdateInstanceRequest{Spec: &devenvv1.UpdateInstanceSpec{AutoStop: as}}
	}
	duration := func(enable bool, d int32) *devenvv1.UpdateInstanceRequest {
		return autoStop(&devenvv1.AutoStop{Enable: proto.Bool(enable), Duration: proto.Int32(d)})
	}
	const fDuration = "spec.auto_stop.duration"

	for _, c := range badIDs() {
		if c.project == "" && c.instance == "" {
			c.name = "ids_empty_with_description"
		}
		r := desc("x")
		r.ProjectId, r.InstanceId = c.project, c.instance
		cases = append(cases, valCase[*devenvv1.UpdateInstanceRequest]{name: c.name, req: r, bad: c.bad})
	}

	// Only some fields: unset ones keep their values.
	ok("nothing", &devenvv1.UpdateInstanceRequest{})
	ok("empty_spec", &devenvv1.UpdateInstanceRequest{Spec: &devenvv1.UpdateInstanceSpec{}})
	ok("description_only", desc("new description"))
	ok("auto_stop_only", duration(true, 7200))
	ok("prompt_only", autoStop(&devenvv1.AutoStop{Prompt: proto.Bool(false)}))
	ok("both", &devenvv1.UpdateInstanceRequest{Description: proto.String("both"),
		Spec: &devenvv1.UpdateInstanceSpec{AutoStop: &devenvv1.AutoStop{Enable: proto.Bool(true), Duration: proto.Int32(3600)}}})
	ok("running_instance", &devenvv1.UpdateInstanceRequest{ProjectId: project, InstanceId: running, Description: proto.String("x")})
	add("absent_instance", nil, &devenvv1.UpdateInstanceRequest{ProjectId: project, InstanceId: id64, Description: proto.String("x")})
	cases[len(cases)-1].upstream = "ModelArts.6309"

	// description.
	ok("description_empty", desc(""))
	ok("description_512_ascii", desc(strings.Repeat("d", 512)))
	ok("description_512_two_byte", desc(strings.Repeat("ü", 512)))
	ok("description_512_three_byte", desc(strings.Repeat("名", 512)))
	add("description_513_ascii", []string{malformed("description")}, desc(strings.Repeat("d", 513)))
	add("description_513_two_byte", []string{malformed("description")}, desc(strings.Repeat("ü", 513)))
	add("description_513_three_byte", []string{malformed("description")}, desc(strings.Repeat("名", 513)))
	for _, c := range `&<>"'/` {
		add(fmt.Sprintf("description_%c", c), []string{malformed("description")}, desc(string(c)))
	}
	for _, s := range []string{"\n", "\t", "\x00", "\x7f", "\u0080", notUTF8, "\u202e", "\u200b", "\ufeff", "\u2028", "\u2029"} {
		add(fmt.Sprintf("description_%q", s), []string{malformed("description")}, desc("a"+s))
	}

	// spec.auto_stop.
	ok("auto_stop_3600", duration(true, 3600))
	ok("auto_stop_86400", duration(true, 86400))
	ok("auto_stop_disable", autoStop(&devenvv1.AutoStop{Enable: proto.Bool(false)}))
	ok("auto_stop_duration_only", autoStop(&devenvv1.AutoStop{Duration: proto.Int32(4000)}))
	add("auto_stop_3599", []string{malformed(fDuration)}, duration(true, 3599))
	add("auto_stop_86401", []string{malformed(fDuration)}, duration(true, 86401))
	add("auto_stop_disabled_86401", []string{malformed(fDuration)}, duration(false, 86401))
	add("auto_stop_duration_only_3599", []string{malformed(fDuration)}, autoStop(&devenvv1.AutoStop{Duration: proto.Int32(3599)}))
	add("auto_stop_enable_without_duration", []string{required(fDuration)}, autoStop(&devenvv1.AutoStop{Enable: proto.Bool(true)}))
	add("auto_stop_stop_timestamp", []string{malformed("spec.auto_stop")}, autoStop(&devenvv1.AutoStop{StopTimestamp: proto.Int64(1)}))
	add("auto_stop_remain_time", []string{malformed("spec.auto_stop")}, autoStop(&devenvv1.AutoStop{RemainTime: proto.Int32(1)}))

	// Several bad fields.
	add("description_and_duration", []string{malformed("description"), malformed(fDuration)},
		&devenvv1.UpdateInstanceRequest{Description: proto.String("a/b"),
			Spec: &devenvv1.UpdateInstanceSpec{AutoStop: &devenvv1.AutoStop{Enable: proto.Bool(true), Duration: proto.Int32(1)}}})
	add("all_bad", []string{malformed("project_id"), malformed("instance_id"), malformed("description"), required(fDuration)},
		&devenvv1.UpdateInstanceRequest{ProjectId: "p", InstanceId: "..", Description: proto.String("<"),
			Spec: &devenvv1.UpdateInstanceSpec{AutoStop: &devenvv1.AutoStop{Enable: proto.Bool(true)}}})

	runValCases(t, f, f.client.UpdateInstance, f.svc.UpdateInstance, cases)
}

func TestStartInstance_validation(t *testing.T) {
	t.Parallel()
	f := startValidation(t)
	var cases []valCase[*devenvv1.StartInstanceRequest]
	for _, c := range badIDs() {
		for _, wait := range []bool{false, true} {
			name := c.name
			if wait {
				name += "_wait"
			}
			cases = append(cases, valCase[*devenvv1.StartInstanceRequest]{name: name,
				req: &devenvv1.StartInstanceRequest{ProjectId: c.project, InstanceId: c.instance, Wait: wait}, bad: c.bad})
		}
	}
	cases = append(cases,
		valCase[*devenvv1.StartInstanceRequest]{name: "stopped", req: &devenvv1.StartInstanceRequest{ProjectId: project, InstanceId: stopped}},
		valCase[*devenvv1.StartInstanceRequest]{name: "running", req: &devenvv1.StartInstanceRequest{ProjectId: project, InstanceId: running},
			upstream: "ModelArts.6305"},
		valCase[*devenvv1.StartInstanceRequest]{name: "instance_64", req: &devenvv1.StartInstanceRequest{ProjectId: project, InstanceId: id64},
			upstream: "ModelArts.6309"},
	)
	runValCases(t, f, f.client.StartInstance, f.svc.StartInstance, cases)
}

func TestStopInstance_validation(t *testing.T) {
	t.Parallel()
	f := startValidation(t)
	var cases []valCase[*devenvv1.StopInstanceRequest]
	for _, c := range badIDs() {
		for _, wait := range []bool{false, true} {
			name := c.name
			if wait {
				name += "_wait"
			}
			cases = append(cases, valCase[*devenvv1.StopInstanceRequest]{name: name,
				req: &devenvv1.StopInstanceRequest{ProjectId: c.project, InstanceId: c.instance, Wait: wait}, bad: c.bad})
		}
	}
	cases = append(cases,
		valCase[*devenvv1.StopInstanceRequest]{name: "running", req: &devenvv1.StopInstanceRequest{ProjectId: project, InstanceId: running}},
		valCase[*devenvv1.StopInstanceRequest]{name: "stopped", req: &devenvv1.StopInstanceRequest{ProjectId: project, InstanceId: stopped},
			upstream: "ModelArts.6307"},
		valCase[*devenvv1.StopInstanceRequest]{name: "instance_64", req: &devenvv1.StopInstanceRequest{ProjectId: project, InstanceId: id64},
			upstream: "ModelArts.6309"},
	)
	runValCases(t, f, f.client.StopInstance, f.svc.StopInstance, cases)
}

func TestActOnInstance_validation(t *testing.T) {
	t.Parallel()
	f := startValidation(t)
	var cases []valCase[*devenvv1.ActOnInstanceRequest]
	for _, c := range badIDs() {
		cases = append(cases, valCase[*devenvv1.ActOnInstanceRequest]{name: c.name,
			req: &devenvv1.ActOnInstanceRequest{ProjectId: c.project, InstanceId: c.instance, Action: "start"}, bad: c.bad})
	}
	act := func(name, action string, bad []string) {
		cases = append(cases, valCase[*devenvv1.ActOnInstanceRequest]{name: name,
			req: &devenvv1.ActOnInstanceRequest{ProjectId: project, InstanceId: stopped, Action: action}, bad: bad})
	}
	act("action_missing", "", []string{required("action")})
	for _, a := range []string{"restart", "START", "Start", " start", "stop\n", "queue", "dequeue", "delete", notUTF8} {
		act(fmt.Sprintf("action_%q", a), a, []string{malformed("action")})
	}
	cases = append(cases,
		valCase[*devenvv1.ActOnInstanceRequest]{name: "ids_and_action_missing",
			req: &devenvv1.ActOnInstanceRequest{}, bad: []string{required("project_id"), required("instance_id"), required("action")}},
		valCase[*devenvv1.ActOnInstanceRequest]{name: "ids_and_action_bad",
			req: &devenvv1.ActOnInstanceRequest{ProjectId: "P", InstanceId: "a b", Action: "restart"},
			bad: []string{malformed("project_id"), malformed("instance_id"), malformed("action")}},
		valCase[*devenvv1.ActOnInstanceRequest]{name: "start_stopped",
			req: &devenvv1.ActOnInstanceRequest{ProjectId: project, InstanceId: stopped, Action: "start"}},
		valCase[*devenvv1.ActOnInstanceRequest]{name: "stop_running",
			req: &devenvv1.ActOnInstanceRequest{ProjectId: project, InstanceId: running, Action: "stop"}},
		valCase[*devenvv1.ActOnInstanceRequest]{name: "stop_absent",
			req: &devenvv1.ActOnInstanceRequest{ProjectId: project, InstanceId: id64, Action: "stop"}, upstream: "ModelArts.6309"},
	)
	runValCases(t, f, f.client.ActOnInstance, f.svc.ActOnInstance, cases)
}

// TestDeleteInstance_validationWithWait: wait and allow_missing change
// nothing about the checks (TestDeleteInstance_rejectsBadInputBeforeUpstream
// has the IDs without them), and a valid delete with wait reaches ModelArts
// and returns once the instance is gone.
func TestDeleteInstance_validationWithWait(t *testing.T) {
	t.Parallel()
	f := startValidation(t)
	var cases []valCase[*devenvv1.DeleteInstanceRequest]
	for _, c := range badIDs() {
		cases = append(cases, valCase[*devenvv1.DeleteInstanceRequest]{name: c.name,
			req: &devenvv1.DeleteInstanceRequest{ProjectId: c.project, InstanceId: c.instance, Wait: true, AllowMissing: true}, bad: c.bad})
	}
	cases = append(cases,
		valCase[*devenvv1.DeleteInstanceRequest]{name: "stopped_wait",
			req: &devenvv1.DeleteInstanceRequest{ProjectId: project, InstanceId: stopped, Wait: true}},
		valCase[*devenvv1.DeleteInstanceRequest]{name: "absent_wait_allow_missing",
			req: &devenvv1.DeleteInstanceRequest{ProjectId: project, InstanceId: id64, Wait: true, AllowMissing: true}},
		valCase[*devenvv1.DeleteInstanceRequest]{name: "running_wait",
			req: &devenvv1.DeleteInstanceRequest{ProjectId: project, InstanceId: running, Wait: true}, upstream: "ModelArts.6304"},
	)
	runValCases(t, f, f.client.DeleteInstance, f.svc.DeleteInstance, cases)
	if _, ok := f.emu.Instance(project, stopped); ok {
		t.Error("the stopped instance still exists after a delete with wait")
	}
}
