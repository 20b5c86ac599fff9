// Package rpcdecl reads what each RPC of the facade is, as its proto
// declares it (the method option (devenvfacade.rpc.v1.declaration), see
// proto/devenvfacade/rpc/v1/declaration.proto, and google.api.http), once,
// into a [Table] keyed by full method name; and it answers what each layer
// asks of an RPC: the project and instance a request names, whether the
// RPC only reads, whether this request waits, its REST route.
//
// A method the table does not know, or one whose declaration is missing
// or incomplete, is answered for safely: it names no project the caller
// could be checked against ([RPC.NamesProject] is false, so callers
// limited to some projects are refused), it changes things
// ([RPC.ReadOnly] is false), and it waits ([RPC.Waits] is true). Every
// method of the nil *RPC answers so too. [Table.Err] lists what is
// missing; a test keeps it empty for [Served].
package rpcdecl

import (
	"errors"
	"fmt"

	"google.golang.org/genproto/googleapis/api/annotations"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	reflectionv1 "google.golang.org/grpc/reflection/grpc_reflection_v1"
	reflectionv1alpha "google.golang.org/grpc/reflection/grpc_reflection_v1alpha"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"

	rpcv1 "github.com/devenv-facade/devenv-facade/gen/devenvfacade/rpc/v1"
	devenvv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/devenv/v1"
	notebookv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/notebook/v1"
)

// Field names a declaration means when it names none.
const (
	DefaultProjectField  = "project_id"
	DefaultInstanceField = "instance_id"
	DefaultWaitField     = "wait"
)

// RPC is one RPC's declaration.
type RPC struct {
	// FullMethod is the RPC's full gRPC method name,
	// "/modelarts.devenv.v1.DevEnvService/GetInstance".
	FullMethod string
	// Desc describes the RPC.
	Desc protoreflect.MethodDescriptor
	// Scope, Access and Wait are as declared (the zero values when the
	// RPC has no declaration).
	Scope  rpcv1.Scope
	Access rpcv1.Access
	Wait   rpcv1.Wait
	// HTTP is the RPC's google.api.http rule, or nil for an RPC served
	// over gRPC only.
	HTTP *annotations.HttpRule

	// declared is set when the declaration is complete and every field it
	// names is in the request, of the right kind.
	declared bool
	// The request's fields the declaration names, or nil.
	project, instance, wait protoreflect.FieldDescriptor
}

// Declared reports whether the RPC has a complete declaration: scope,
// access and wait set, and the fields they name in its request.
func (r *RPC) Declared() bool { return r != nil && r.declared }

// NamesProject reports whether the RPC acts on one project, which its
// requests name ([RPC.ProjectID]): it is declared SCOPE_PROJECT or
// SCOPE_INSTANCE.
func (r *RPC) NamesProject() bool { return r.Declared() && r.project != nil }

// NamesInstance reports whether the RPC acts on one instance of a
// project, which its requests name ([RPC.InstanceID]): it is declared
// SCOPE_INSTANCE.
func (r *RPC) NamesInstance() bool { return r.Declared() && r.instance != nil }

// WaitsOnRequest reports whether the RPC is declared WAIT_ON_REQUEST: its
// callers may call it without waiting.
func (r *RPC) WaitsOnRequest() bool { return r.Declared() && r.Wait == rpcv1.Wait_WAIT_ON_REQUEST }

// NamesNoProject reports whether the RPC is declared SCOPE_NONE: it acts
// on no project.
func (r *RPC) NamesNoProject() bool { return r.Declared() && r.Scope == rpcv1.Scope_SCOPE_NONE }

// ReadOnly reports whether the RPC is declared to change nothing
// (ACCESS_READ or ACCESS_READ_ALL_USERS).
func (r *RPC) ReadOnly() bool {
	return r.Declared() && (r.Access == rpcv1.Access_ACCESS_READ || r.Access == rpcv1.Access_ACCESS_READ_ALL_USERS)
}

// ReadsAllUsers reports whether the RPC is declared ACCESS_READ_ALL_USERS:
// it reads the resources of every user of the project.
func (r *RPC) ReadsAllUsers() bool {
	return r.Declared() && r.Access == rpcv1.Access_ACCESS_READ_ALL_USERS
}

// ProjectID returns the project req names, by the declared field: "" when
// the RPC names no project or req is not its request.
func (r *RPC) ProjectID(req proto.Message) string { return r.stringField(r.projectField(), req) }

// ProjectField returns the name of the request's field that names the
// project, for errors about it: the declared one, or "project_id".
func (r *RPC) ProjectField() string {
	if fd := r.projectField(); fd != nil {
		return string(fd.Name())
	}
	return DefaultProjectField
}

// InstanceID returns the instance req names, by the declared field: ""
// when the RPC names no instance or req is not its request.
func (r *RPC) InstanceID(req proto.Message) string { return r.stringField(r.instanceField(), req) }

// Waits reports whether a call with req waits for a resource's state: the
// RPC is declared WAIT_ALWAYS, or WAIT_ON_REQUEST and req sets the
// declared field (or req is not the RPC's request). An RPC without a
// declaration is taken to wait.
func (r *RPC) Waits(req proto.Message) bool {
	if !r.Declared() {
		return true
	}
	switch r.Wait {
	case rpcv1.Wait_WAIT_NEVER:
		return false
	case rpcv1.Wait_WAIT_ON_REQUEST:
		m, ok := r.request(req)
		return !ok || m.Get(r.wait).Bool()
	}
	return true
}

func (r *RPC) projectField() protoreflect.FieldDescriptor {
	if r == nil {
		return nil
	}
	return r.project
}

func (r *RPC) instanceField() protoreflect.FieldDescriptor {
	if r == nil {
		return nil
	}
	return r.instance
}

// request returns req's reflection if req is the RPC's request.
func (r *RPC) request(req proto.Message) (protoreflect.Message, bool) {
	if r == nil || req == nil || r.Desc == nil {
		return nil, false
	}
	m := req.ProtoReflect()
	if !m.IsValid() || m.Descriptor().FullName() != r.Desc.Input().FullName() {
		return nil, false
	}
	return m, true
}

func (r *RPC) stringField(fd protoreflect.FieldDescriptor, req proto.Message) string {
	if fd == nil || !r.Declared() {
		return ""
	}
	m, ok := r.request(req)
	if !ok {
		return ""
	}
	return m.Get(fd).String()
}

// Table holds the declarations of some services' RPCs. It is not modified
// once made, and safe for concurrent use.
type Table struct {
	byMethod  map[string]*RPC
	byRequest map[protoreflect.FullName]*RPC
	requests  map[protoreflect.FullName]bool // of the services' RPCs, declared or not
	rpcs      []*RPC
	problems  []error
}

// New reads the declarations of the services' RPCs, and declares every
// RPC of the services whose protos are not the facade's but which it
// serves (grpc-go's health and server reflection): they name no project,
// only read and never wait. What is missing or wrong is reported by
// [Table.Err]; such an RPC is in the table, not [RPC.Declared].
func New(services ...protoreflect.ServiceDescriptor) *Table {
	t := &Table{byMethod: map[string]*RPC{}, byRequest: map[protoreflect.FullName]*RPC{}, requests: map[protoreflect.FullName]bool{}}
	for _, svc := range services {
		methods := svc.Methods()
		for i := range methods.Len() {
			t.add(t.read(methods.Get(i)))
		}
	}
	requests := map[protoreflect.FullName]int{}
	for _, r := range t.rpcs {
		requests[r.Desc.Input().FullName()]++
		t.requests[r.Desc.Input().FullName()] = true
	}
	for _, r := range t.rpcs {
		if n := requests[r.Desc.Input().FullName()]; n > 1 {
			t.problem(r, "its request %s is the request of %d RPCs; each RPC needs its own", r.Desc.Input().FullName(), n)
			r.declared = false
			continue
		}
		t.byRequest[r.Desc.Input().FullName()] = r
	}
	for _, fd := range foreign {
		methods := fd.Methods()
		for i := range methods.Len() {
			md := methods.Get(i)
			t.add(&RPC{FullMethod: fullMethod(md), Desc: md, Scope: rpcv1.Scope_SCOPE_NONE,
				Access: rpcv1.Access_ACCESS_READ, Wait: rpcv1.Wait_WAIT_NEVER, declared: true})
		}
	}
	return t
}

// foreign are the services the facade serves whose protos are not its
// own, declared here: health checks (which caller authentication exempts)
// and server reflection, which describes the API's schema, the same for
// every caller. Health's Watch is a stream that lasts, but it waits for no
// resource: the facade bounds such streams by their own limit.
var foreign = []protoreflect.ServiceDescriptor{
	healthpb.File_grpc_health_v1_health_proto.Services().Get(0),
	reflectionv1.File_grpc_reflection_v1_reflection_proto.Services().Get(0),
	reflectionv1alpha.File_grpc_reflection_v1alpha_reflection_proto.Services().Get(0),
}

func fullMethod(md protoreflect.MethodDescriptor) string {
	return "/" + string(md.Parent().FullName()) + "/" + string(md.Name())
}

func (t *Table) add(r *RPC) {
	if _, dup := t.byMethod[r.FullMethod]; dup {
		t.problem(r, "the method is given twice")
		return
	}
	t.byMethod[r.FullMethod] = r
	t.rpcs = append(t.rpcs, r)
}

func (t *Table) problem(r *RPC, format string, args ...any) {
	t.problems = append(t.problems, fmt.Errorf("%s: %s", r.FullMethod, fmt.Sprintf(format, args...)))
}

// read reads one method's declaration.
func (t *Table) read(md protoreflect.MethodDescriptor) *RPC {
	r := &RPC{FullMethod: fullMethod(md), Desc: md}
	opts, _ := md.Options().(*descriptorpb.MethodOptions)
	if rule, ok := proto.GetExtension(opts, annotations.E_Http).(*annotations.HttpRule); ok && rule != nil {
		r.HTTP = rule
	}
	d, _ := proto.GetExtension(opts, rpcv1.E_Declaration).(*rpcv1.Declaration)
	if d == nil {
		t.problem(r, "no (%s) option", rpcv1.E_Declaration.TypeDescriptor().FullName())
		return r
	}
	r.Scope, r.Access, r.Wait = d.GetScope(), d.GetAccess(), d.GetWait()
	before := len(t.problems)
	if !known(r.Scope) || r.Scope == rpcv1.Scope_SCOPE_UNSPECIFIED {
		t.problem(r, "scope %v: declare SCOPE_NONE, SCOPE_PROJECT or SCOPE_INSTANCE", r.Scope)
	}
	if !known(r.Access) || r.Access == rpcv1.Access_ACCESS_UNSPECIFIED {
		t.problem(r, "access %v: declare ACCESS_READ, ACCESS_WRITE or ACCESS_READ_ALL_USERS", r.Access)
	}
	if !known(r.Wait) || r.Wait == rpcv1.Wait_WAIT_UNSPECIFIED {
		t.problem(r, "wait %v: declare WAIT_NEVER, WAIT_ON_REQUEST or WAIT_ALWAYS", r.Wait)
	}
	namesProject := r.Scope == rpcv1.Scope_SCOPE_PROJECT || r.Scope == rpcv1.Scope_SCOPE_INSTANCE
	r.project = t.field(r, "project_field", d.GetProjectField(), DefaultProjectField, namesProject, protoreflect.StringKind)
	r.instance = t.field(r, "instance_field", d.GetInstanceField(), DefaultInstanceField, r.Scope == rpcv1.Scope_SCOPE_INSTANCE, protoreflect.StringKind)
	r.wait = t.field(r, "wait_field", d.GetWaitField(), DefaultWaitField, r.Wait == rpcv1.Wait_WAIT_ON_REQUEST, protoreflect.BoolKind)
	noSideEffects := opts.GetIdempotencyLevel() == descriptorpb.MethodOptions_NO_SIDE_EFFECTS
	switch {
	case r.Access == rpcv1.Access_ACCESS_WRITE && noSideEffects:
		t.problem(r, "access ACCESS_WRITE, but idempotency_level NO_SIDE_EFFECTS says it changes nothing")
	case (r.Access == rpcv1.Access_ACCESS_READ || r.Access == rpcv1.Access_ACCESS_READ_ALL_USERS) && !noSideEffects:
		t.problem(r, "access %v: declare idempotency_level = NO_SIDE_EFFECTS too", r.Access)
	}
	r.declared = len(t.problems) == before
	return r
}

// field returns the request's field that the declaration's option (named
// name) names, or def when it names none, if the declaration uses it
// (used); it must be a singular field of kind.
func (t *Table) field(r *RPC, name, given, def string, used bool, kind protoreflect.Kind) protoreflect.FieldDescriptor {
	if !used {
		if given != "" {
			t.problem(r, "%s %q: the declaration does not use it", name, given)
		}
		return nil
	}
	if given == "" {
		given = def
	}
	in := r.Desc.Input()
	fd := in.Fields().ByName(protoreflect.Name(given))
	switch {
	case fd == nil:
		t.problem(r, "%s: %s has no field %q", name, in.FullName(), given)
		return nil
	case fd.Kind() != kind || fd.Cardinality() == protoreflect.Repeated:
		t.problem(r, "%s: %s.%s is not a singular %v field", name, in.FullName(), given, kind)
		return nil
	}
	return fd
}

// known reports whether e is one of its enum's values.
func known(e protoreflect.Enum) bool {
	return e.Descriptor().Values().ByNumber(e.Number()) != nil
}

// Lookup returns the RPC with the full method name, or nil (which answers
// as an undeclared RPC) when the table has none.
func (t *Table) Lookup(fullMethod string) *RPC { return t.byMethod[fullMethod] }

// ForRequest returns the RPC whose request req is, or nil (which answers
// as an undeclared RPC).
func (t *Table) ForRequest(req proto.Message) *RPC {
	if req == nil {
		return nil
	}
	return t.byRequest[req.ProtoReflect().Descriptor().FullName()]
}

// IsRequest reports whether m is the request message of an RPC of the
// services the table was made of (declared or not; not of the foreign
// services): the requests the gRPC server checks before decoding them.
func (t *Table) IsRequest(m proto.Message) bool {
	return m != nil && t.requests[m.ProtoReflect().Descriptor().FullName()]
}

// RPCs returns every RPC of the table: the services' in their order, then
// the foreign ones. The slice is the table's: do not modify it.
func (t *Table) RPCs() []*RPC { return t.rpcs }

// Err reports every RPC whose declaration is missing or wrong, or nil.
func (t *Table) Err() error { return errors.Join(t.problems...) }

// served is the table of the services the facade serves.
var served = New(
	devenvv1.File_modelarts_devenv_v1_devenv_proto.Services().ByName("DevEnvService"),
	notebookv1.File_modelarts_notebook_v1_notebook_proto.Services().ByName("NotebookService"),
)

// Served returns the table of the services the facade serves:
// DevEnvService, NotebookService, health and server reflection.
func Served() *Table { return served }
