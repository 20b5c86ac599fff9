package rpcdecl_test

import (
	"strings"
	"testing"

	"google.golang.org/genproto/googleapis/api/annotations"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	rpcv1 "github.com/devenv-facade/devenv-facade/gen/devenvfacade/rpc/v1"
	devenvv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/devenv/v1"
	notebookv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/notebook/v1"
	"github.com/devenv-facade/devenv-facade/internal/rpcdecl"
	"github.com/devenv-facade/devenv-facade/internal/rpcdecl/rpcdecltest"
)

// TestServedDeclared: every RPC the facade serves has a complete
// declaration. (internal/server checks that the table covers every
// service its gRPC server registers.)
func TestServedDeclared(t *testing.T) {
	t.Parallel()
	table := rpcdecl.Served()
	if err := table.Err(); err != nil {
		t.Fatalf("declarations missing or wrong:\n%v", err)
	}
	for _, svc := range []*grpc.ServiceDesc{&devenvv1.DevEnvService_ServiceDesc, &notebookv1.NotebookService_ServiceDesc} {
		for _, m := range svc.Methods {
			name := "/" + svc.ServiceName + "/" + m.MethodName
			if !table.Lookup(name).Declared() {
				t.Errorf("%s is not declared", name)
			}
		}
	}
	for _, r := range table.RPCs() {
		if !r.Declared() {
			t.Errorf("%s is not declared", r.FullMethod)
		}
	}
}

// TestDevEnvService: what the table answers of DevEnvService's requests.
func TestDevEnvService(t *testing.T) {
	t.Parallel()
	const project, instance = "0123456789abcdef0123456789abcdef", "DE-1"
	for _, tt := range []struct {
		method            string
		req               proto.Message
		project, instance string
		readOnly, waits   bool
		route             bool
	}{
		{devenvv1.DevEnvService_CreateInstance_FullMethodName, &devenvv1.CreateInstanceRequest{ProjectId: project}, project, "", false, false, true},
		{devenvv1.DevEnvService_CreateInstance_FullMethodName, &devenvv1.CreateInstanceRequest{ProjectId: project, Wait: true}, project, "", false, true, true},
		{devenvv1.DevEnvService_ListInstances_FullMethodName, &devenvv1.ListInstancesRequest{ProjectId: project}, project, "", true, false, true},
		{devenvv1.DevEnvService_GetInstance_FullMethodName, &devenvv1.GetInstanceRequest{ProjectId: project, InstanceId: instance}, project, instance, true, false, true},
		{devenvv1.DevEnvService_UpdateInstance_FullMethodName, &devenvv1.UpdateInstanceRequest{ProjectId: project, InstanceId: instance}, project, instance, false, false, true},
		{devenvv1.DevEnvService_StartInstance_FullMethodName, &devenvv1.StartInstanceRequest{ProjectId: project, InstanceId: instance, Wait: true}, project, instance, false, true, false},
		{devenvv1.DevEnvService_StopInstance_FullMethodName, &devenvv1.StopInstanceRequest{ProjectId: project, InstanceId: instance}, project, instance, false, false, false},
		{devenvv1.DevEnvService_ActOnInstance_FullMethodName, &devenvv1.ActOnInstanceRequest{ProjectId: project, InstanceId: instance}, project, instance, false, false, true},
		{devenvv1.DevEnvService_DeleteInstance_FullMethodName, &devenvv1.DeleteInstanceRequest{ProjectId: project, InstanceId: instance, Wait: true}, project, instance, false, true, true},
	} {
		r := rpcdecl.Served().Lookup(tt.method)
		if !rpcdecl.Served().IsRequest(tt.req) {
			t.Errorf("%s: IsRequest is false", tt.method)
		}
		if got := rpcdecl.Served().ForRequest(tt.req); got != r {
			t.Errorf("%s: ForRequest is %v, not the RPC", tt.method, got)
		}
		if !r.NamesProject() || r.NamesNoProject() {
			t.Errorf("%s: NamesProject %v, NamesNoProject %v; want true, false", tt.method, r.NamesProject(), r.NamesNoProject())
		}
		if got := r.ProjectID(tt.req); got != tt.project {
			t.Errorf("%s: ProjectID %q, want %q", tt.method, got, tt.project)
		}
		if r.NamesInstance() != (tt.instance != "") {
			t.Errorf("%s: NamesInstance %v", tt.method, r.NamesInstance())
		}
		if r.WaitsOnRequest() != (r.Wait == rpcv1.Wait_WAIT_ON_REQUEST) {
			t.Errorf("%s: WaitsOnRequest %v", tt.method, r.WaitsOnRequest())
		}
		if got := r.InstanceID(tt.req); got != tt.instance {
			t.Errorf("%s: InstanceID %q, want %q", tt.method, got, tt.instance)
		}
		if r.ReadOnly() != tt.readOnly || r.ReadsAllUsers() {
			t.Errorf("%s: ReadOnly %v, ReadsAllUsers %v; want %v, false", tt.method, r.ReadOnly(), r.ReadsAllUsers(), tt.readOnly)
		}
		if r.Waits(tt.req) != tt.waits {
			t.Errorf("%s: Waits %v, want %v", tt.method, r.Waits(tt.req), tt.waits)
		}
		if (r.HTTP != nil) != tt.route {
			t.Errorf("%s: HTTP rule %v, want one: %v", tt.method, r.HTTP, tt.route)
		}
		// A request of another RPC names nothing, and is taken to wait
		// if the RPC waits on request.
		other := &devenvv1.ErrorBody{}
		if r.ProjectID(other) != "" || r.InstanceID(other) != "" || r.Waits(other) != (r.Wait != rpcv1.Wait_WAIT_NEVER) {
			t.Errorf("%s: another message: ProjectID %q, InstanceID %q, Waits %v", tt.method, r.ProjectID(other), r.InstanceID(other), r.Waits(other))
		}
	}
	if rpcdecl.Served().IsRequest(&devenvv1.ErrorBody{}) || rpcdecl.Served().IsRequest(&devenvv1.GetInstanceResponse{}) || rpcdecl.Served().IsRequest(nil) {
		t.Error("IsRequest is true for a message that is no RPC's request")
	}
	for _, name := range []string{"/grpc.health.v1.Health/Check", "/grpc.health.v1.Health/Watch",
		"/grpc.reflection.v1.ServerReflection/ServerReflectionInfo", "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo"} {
		if r := rpcdecl.Served().Lookup(name); !r.NamesNoProject() || !r.ReadOnly() || r.Waits(nil) {
			t.Errorf("%s: NamesNoProject %v, ReadOnly %v, Waits %v; want true, true, false", name, r.NamesNoProject(), r.ReadOnly(), r.Waits(nil))
		}
	}
}

// TestNotebookService: the declarations of NotebookService's 22 RPCs, as
// the table reads them: what each acts on, whether it only reads (and
// whose notebooks), whether it waits, and its route on the vendor's path.
func TestNotebookService(t *testing.T) {
	t.Parallel()
	const (
		project  = "0123456789abcdef0123456789abcdef"
		notebook = "f9937afa-4451-42db-a76b-72d624749f66"
	)
	const (
		instanceScope = rpcv1.Scope_SCOPE_INSTANCE
		projectScope  = rpcv1.Scope_SCOPE_PROJECT
		read          = rpcv1.Access_ACCESS_READ
		write         = rpcv1.Access_ACCESS_WRITE
		allUsers      = rpcv1.Access_ACCESS_READ_ALL_USERS
		never         = rpcv1.Wait_WAIT_NEVER
		onRequest     = rpcv1.Wait_WAIT_ON_REQUEST
	)
	p := "/v1/{project_id}"
	nb := p + "/notebooks/{notebook_id}"
	for _, tt := range []struct {
		method string
		// req names the project (and the notebook, for SCOPE_INSTANCE);
		// waiting is req asking to wait, for WAIT_ON_REQUEST.
		req, waiting proto.Message
		scope        rpcv1.Scope
		access       rpcv1.Access
		wait         rpcv1.Wait
		verb, path   string
	}{
		{notebookv1.NotebookService_CreateNotebook_FullMethodName, &notebookv1.CreateNotebookRequest{ProjectId: project},
			&notebookv1.CreateNotebookRequest{ProjectId: project, Wait: true}, projectScope, write, onRequest, "POST", p + "/notebooks"},
		{notebookv1.NotebookService_ListNotebooks_FullMethodName, &notebookv1.ListNotebooksRequest{ProjectId: project},
			nil, projectScope, read, never, "GET", p + "/notebooks"},
		{notebookv1.NotebookService_GetNotebook_FullMethodName, &notebookv1.GetNotebookRequest{ProjectId: project, NotebookId: notebook},
			nil, instanceScope, read, never, "GET", nb},
		{notebookv1.NotebookService_ListAllNotebooks_FullMethodName, &notebookv1.ListAllNotebooksRequest{ProjectId: project},
			nil, projectScope, allUsers, never, "GET", p + "/notebooks/all"},
		{notebookv1.NotebookService_UpdateNotebook_FullMethodName, &notebookv1.UpdateNotebookRequest{ProjectId: project, NotebookId: notebook},
			nil, instanceScope, write, never, "PUT", nb},
		{notebookv1.NotebookService_DeleteNotebook_FullMethodName, &notebookv1.DeleteNotebookRequest{ProjectId: project, NotebookId: notebook},
			&notebookv1.DeleteNotebookRequest{ProjectId: project, NotebookId: notebook, Wait: true}, instanceScope, write, onRequest, "DELETE", nb},
		{notebookv1.NotebookService_StartNotebook_FullMethodName, &notebookv1.StartNotebookRequest{ProjectId: project, NotebookId: notebook},
			&notebookv1.StartNotebookRequest{ProjectId: project, NotebookId: notebook, Wait: true}, instanceScope, write, onRequest, "POST", nb + "/start"},
		{notebookv1.NotebookService_StopNotebook_FullMethodName, &notebookv1.StopNotebookRequest{ProjectId: project, NotebookId: notebook},
			&notebookv1.StopNotebookRequest{ProjectId: project, NotebookId: notebook, Wait: true}, instanceScope, write, onRequest, "POST", nb + "/stop"},
		{notebookv1.NotebookService_GetLease_FullMethodName, &notebookv1.GetLeaseRequest{ProjectId: project, NotebookId: notebook},
			nil, instanceScope, read, never, "GET", nb + "/lease"},
		{notebookv1.NotebookService_RenewLease_FullMethodName, &notebookv1.RenewLeaseRequest{ProjectId: project, NotebookId: notebook},
			nil, instanceScope, write, never, "PATCH", nb + "/lease"},
		{notebookv1.NotebookService_ListSwitchableFlavors_FullMethodName, &notebookv1.ListSwitchableFlavorsRequest{ProjectId: project, NotebookId: notebook},
			nil, instanceScope, read, never, "GET", nb + "/flavors"},
		{notebookv1.NotebookService_ListFlavors_FullMethodName, &notebookv1.ListFlavorsRequest{ProjectId: project},
			nil, projectScope, read, never, "GET", p + "/notebooks/flavors"},
		{notebookv1.NotebookService_ListStorageMounts_FullMethodName, &notebookv1.ListStorageMountsRequest{ProjectId: project, NotebookId: notebook},
			nil, instanceScope, read, never, "GET", nb + "/storage"},
		{notebookv1.NotebookService_AttachStorageMount_FullMethodName, &notebookv1.AttachStorageMountRequest{ProjectId: project, NotebookId: notebook},
			&notebookv1.AttachStorageMountRequest{ProjectId: project, NotebookId: notebook, Wait: true}, instanceScope, write, onRequest, "POST", nb + "/storage"},
		{notebookv1.NotebookService_GetStorageMount_FullMethodName, &notebookv1.GetStorageMountRequest{ProjectId: project, NotebookId: notebook},
			nil, instanceScope, read, never, "GET", nb + "/storage/{storage_id}"},
		{notebookv1.NotebookService_DetachStorageMount_FullMethodName, &notebookv1.DetachStorageMountRequest{ProjectId: project, NotebookId: notebook},
			&notebookv1.DetachStorageMountRequest{ProjectId: project, NotebookId: notebook, Wait: true}, instanceScope, write, onRequest, "DELETE", nb + "/storage/{storage_id}"},
		{notebookv1.NotebookService_CreateImage_FullMethodName, &notebookv1.CreateImageRequest{ProjectId: project, NotebookId: notebook},
			&notebookv1.CreateImageRequest{ProjectId: project, NotebookId: notebook, Wait: true}, instanceScope, write, onRequest, "POST", nb + "/create-image"},
		{notebookv1.NotebookService_ListImages_FullMethodName, &notebookv1.ListImagesRequest{ProjectId: project},
			nil, projectScope, read, never, "GET", p + "/images"},
		{notebookv1.NotebookService_RegisterImage_FullMethodName, &notebookv1.RegisterImageRequest{ProjectId: project},
			nil, projectScope, write, never, "POST", p + "/images"},
		{notebookv1.NotebookService_GetImage_FullMethodName, &notebookv1.GetImageRequest{ProjectId: project, ImageId: "i-1"},
			nil, projectScope, read, never, "GET", p + "/images/{image_id}"},
		{notebookv1.NotebookService_ListImageGroups_FullMethodName, &notebookv1.ListImageGroupsRequest{ProjectId: project},
			nil, projectScope, read, never, "GET", p + "/images/group"},
		{notebookv1.NotebookService_DeleteImage_FullMethodName, &notebookv1.DeleteImageRequest{ProjectId: project, ImageId: "i-1"},
			nil, projectScope, write, never, "DELETE", p + "/images/{image_id}"},
	} {
		table := rpcdecl.Served()
		r := table.Lookup(tt.method)
		if !r.Declared() {
			t.Errorf("%s is not declared", tt.method)
			continue
		}
		if r.Scope != tt.scope || r.Access != tt.access || r.Wait != tt.wait {
			t.Errorf("%s: declared %v, %v, %v; want %v, %v, %v", tt.method, r.Scope, r.Access, r.Wait, tt.scope, tt.access, tt.wait)
		}
		if !table.IsRequest(tt.req) || table.ForRequest(tt.req) != r {
			t.Errorf("%s: IsRequest %v, ForRequest %v; want the RPC", tt.method, table.IsRequest(tt.req), table.ForRequest(tt.req))
		}
		if !r.NamesProject() || r.NamesNoProject() || r.ProjectID(tt.req) != project {
			t.Errorf("%s: NamesProject %v, NamesNoProject %v, ProjectID %q", tt.method, r.NamesProject(), r.NamesNoProject(), r.ProjectID(tt.req))
		}
		wantInstance := ""
		if tt.scope == instanceScope {
			wantInstance = notebook
		}
		if r.NamesInstance() != (wantInstance != "") || r.InstanceID(tt.req) != wantInstance {
			t.Errorf("%s: NamesInstance %v, InstanceID %q; want %q", tt.method, r.NamesInstance(), r.InstanceID(tt.req), wantInstance)
		}
		if r.ReadOnly() != (tt.access != write) || r.ReadsAllUsers() != (tt.access == allUsers) {
			t.Errorf("%s: ReadOnly %v, ReadsAllUsers %v", tt.method, r.ReadOnly(), r.ReadsAllUsers())
		}
		if r.Waits(tt.req) || (tt.waiting != nil) != r.WaitsOnRequest() || tt.waiting != nil && !r.Waits(tt.waiting) {
			t.Errorf("%s: Waits %v, WaitsOnRequest %v", tt.method, r.Waits(tt.req), r.WaitsOnRequest())
		}
		if verb, path := httpRule(r.HTTP); verb != tt.verb || path != tt.path {
			t.Errorf("%s: route %s %s; want %s %s", tt.method, verb, path, tt.verb, tt.path)
		}
	}
	if n := len(notebookv1.NotebookService_ServiceDesc.Methods); n != 22 {
		t.Errorf("NotebookService has %d RPCs; this test knows 22", n)
	}
}

// httpRule returns a rule's method and path.
func httpRule(r *annotations.HttpRule) (verb, path string) {
	switch p := r.GetPattern().(type) {
	case *annotations.HttpRule_Get:
		return "GET", p.Get
	case *annotations.HttpRule_Post:
		return "POST", p.Post
	case *annotations.HttpRule_Put:
		return "PUT", p.Put
	case *annotations.HttpRule_Patch:
		return "PATCH", p.Patch
	case *annotations.HttpRule_Delete:
		return "DELETE", p.Delete
	}
	return "", ""
}

// TestUndeclared: an RPC the table does not know, or whose declaration is
// missing or wrong, names no project, changes things and waits; Err
// names each problem.
func TestUndeclared(t *testing.T) {
	t.Parallel()
	decl := rpcdecltest.Declared
	const (
		instance = rpcv1.Scope_SCOPE_INSTANCE
		project  = rpcv1.Scope_SCOPE_PROJECT
		none     = rpcv1.Scope_SCOPE_NONE
		read     = rpcv1.Access_ACCESS_READ
		write    = rpcv1.Access_ACCESS_WRITE
		never    = rpcv1.Wait_WAIT_NEVER
		always   = rpcv1.Wait_WAIT_ALWAYS
		request  = rpcv1.Wait_WAIT_ON_REQUEST
	)
	withFields := func(d *rpcv1.Declaration, projectField, instanceField, waitField string) *rpcv1.Declaration {
		d.ProjectField, d.InstanceField, d.WaitField = projectField, instanceField, waitField
		return d
	}
	svc := rpcdecltest.NewService(t, "Broken",
		rpcdecltest.Method{Name: "NoDeclaration"},
		rpcdecltest.Method{Name: "NoScope", Decl: decl(0, write, never)},
		rpcdecltest.Method{Name: "NoAccess", Decl: decl(project, 0, never)},
		rpcdecltest.Method{Name: "NoWait", Decl: decl(project, write, 0)},
		rpcdecltest.Method{Name: "UnknownScope", Decl: decl(17, write, never)},
		rpcdecltest.Method{Name: "MissingField", Decl: withFields(decl(instance, write, never), "", "nope", "")},
		rpcdecltest.Method{Name: "BoolProject", Decl: withFields(decl(project, write, never), "wait", "", "")},
		rpcdecltest.Method{Name: "RepeatedInstance", Decl: withFields(decl(instance, write, never), "", "tags", "")},
		rpcdecltest.Method{Name: "StringWait", Decl: withFields(decl(project, write, request), "", "", "notebook_id")},
		rpcdecltest.Method{Name: "UnusedField", Decl: withFields(decl(none, read, never), "project_id", "", "")},
		rpcdecltest.Method{Name: "UnusedWaitField", Decl: withFields(decl(project, write, always), "", "", "wait")},
		rpcdecltest.Method{Name: "ReadWithSideEffects", Decl: decl(project, read, never)},
		rpcdecltest.Method{Name: "WriteWithoutSideEffects", Decl: decl(project, write, never), NoSideEffects: true},
		rpcdecltest.Method{Name: "Good", Decl: withFields(decl(instance, read, request), "", "notebook_id", ""), NoSideEffects: true},
	)
	table := rpcdecl.New(svc)
	err := table.Err()
	if err == nil {
		t.Fatal("Err is nil")
	}
	methods := svc.Methods()
	for i := range methods.Len() {
		md := methods.Get(i)
		name := "/" + string(svc.FullName()) + "/" + string(md.Name())
		r := table.Lookup(name)
		if r == nil {
			t.Fatalf("%s is not in the table", name)
		}
		req := rpcdecltest.Request(t, md, map[string]any{"project_id": "p", "instance_id": "i", "notebook_id": "n", "wait": false})
		if md.Name() == "Good" {
			if !r.Declared() || r.ProjectID(req) != "p" || r.InstanceID(req) != "n" || r.Waits(req) || !r.ReadOnly() {
				t.Errorf("%s: Declared %v, ProjectID %q, InstanceID %q, Waits %v, ReadOnly %v", name, r.Declared(), r.ProjectID(req), r.InstanceID(req), r.Waits(req), r.ReadOnly())
			}
			if strings.Contains(err.Error(), name+":") {
				t.Errorf("Err names %s:\n%v", name, err)
			}
			continue
		}
		if !strings.Contains(err.Error(), name+":") {
			t.Errorf("Err does not name %s:\n%v", name, err)
		}
		if r.Declared() || r.NamesProject() || r.NamesInstance() || r.NamesNoProject() || r.WaitsOnRequest() || r.ProjectID(req) != "" || r.InstanceID(req) != "" || r.ReadOnly() || !r.Waits(req) {
			t.Errorf("%s: Declared %v, NamesProject %v, NamesNoProject %v, ProjectID %q, InstanceID %q, ReadOnly %v, Waits %v; want an undeclared RPC",
				name, r.Declared(), r.NamesProject(), r.NamesNoProject(), r.ProjectID(req), r.InstanceID(req), r.ReadOnly(), r.Waits(req))
		}
	}
	var unknown *rpcdecl.RPC = table.Lookup("/rpcdecltest.v1.Broken/Unknown")
	if unknown != nil || unknown.Declared() || unknown.NamesProject() || unknown.ProjectID(nil) != "" || unknown.ReadOnly() || !unknown.Waits(nil) {
		t.Errorf("an unknown method: %v", unknown)
	}
}

// TestWaits: an RPC declared WAIT_ALWAYS waits whatever its request says;
// WAIT_ON_REQUEST as its field says.
func TestWaits(t *testing.T) {
	t.Parallel()
	svc := rpcdecltest.NewService(t, "Waits",
		rpcdecltest.Method{Name: "Always", Decl: rpcdecltest.Declared(rpcv1.Scope_SCOPE_INSTANCE, rpcv1.Access_ACCESS_WRITE, rpcv1.Wait_WAIT_ALWAYS)},
		rpcdecltest.Method{Name: "OnRequest", Decl: rpcdecltest.Declared(rpcv1.Scope_SCOPE_INSTANCE, rpcv1.Access_ACCESS_WRITE, rpcv1.Wait_WAIT_ON_REQUEST)},
		rpcdecltest.Method{Name: "Never", Decl: rpcdecltest.Declared(rpcv1.Scope_SCOPE_INSTANCE, rpcv1.Access_ACCESS_WRITE, rpcv1.Wait_WAIT_NEVER)},
	)
	table := rpcdecl.New(svc)
	if err := table.Err(); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		method      string
		wait, waits bool
	}{
		{"Always", false, true}, {"Always", true, true},
		{"OnRequest", false, false}, {"OnRequest", true, true},
		{"Never", false, false}, {"Never", true, false},
	} {
		md := svc.Methods().ByName(protoreflectName(tt.method))
		req := rpcdecltest.Request(t, md, map[string]any{"wait": tt.wait})
		r := table.ForRequest(req)
		if r == nil || r.FullMethod != "/rpcdecltest.v1.Waits/"+tt.method {
			t.Fatalf("ForRequest(%s) = %v", md.Input().FullName(), r)
		}
		if got := r.Waits(req); got != tt.waits {
			t.Errorf("%s with wait %v: Waits %v, want %v", tt.method, tt.wait, got, tt.waits)
		}
	}
}

// TestSharedRequest: a request message used by two RPCs would make the
// pipeline unable to tell them apart: neither is declared.
func TestSharedRequest(t *testing.T) {
	t.Parallel()
	svc := rpcdecltest.NewService(t, "Shared",
		rpcdecltest.Method{Name: "A", Decl: rpcdecltest.Declared(rpcv1.Scope_SCOPE_PROJECT, rpcv1.Access_ACCESS_WRITE, rpcv1.Wait_WAIT_NEVER)},
		rpcdecltest.Method{Name: "B", Decl: rpcdecltest.Declared(rpcv1.Scope_SCOPE_PROJECT, rpcv1.Access_ACCESS_WRITE, rpcv1.Wait_WAIT_NEVER), RequestOf: "A"})
	table := rpcdecl.New(svc)
	a, b := table.Lookup("/rpcdecltest.v1.Shared/A"), table.Lookup("/rpcdecltest.v1.Shared/B")
	if err := table.Err(); err == nil || a.Declared() || b.Declared() {
		t.Errorf("two RPCs with one request: Err %v, A declared %v, B declared %v", err, a.Declared(), b.Declared())
	}
	req := rpcdecltest.Request(t, svc.Methods().ByName("A"), nil)
	if r := table.ForRequest(req); r != nil {
		t.Errorf("ForRequest of the shared request: %s", r.FullMethod)
	}
	if table := rpcdecl.New(svc, svc); table.Err() == nil {
		t.Error("a service given twice: Err is nil")
	}
}

func protoreflectName(s string) protoreflect.Name { return protoreflect.Name(s) }
