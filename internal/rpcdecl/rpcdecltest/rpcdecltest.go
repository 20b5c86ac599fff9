// Package rpcdecltest builds services at test time, with whatever
// declarations a test needs (none, incomplete, an RPC that always waits),
// for the tests of the layers that read declarations (package rpcdecl).
package rpcdecltest

import (
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/dynamicpb"

	rpcv1 "github.com/devenv-facade/devenv-facade/gen/devenvfacade/rpc/v1"
)

// Package is the proto package of the services [NewService] builds.
const Package = "rpcdecltest.v1"

// Method is one RPC of a service [NewService] builds. Its request,
// <Name>Request, has the fields project_id (string), instance_id
// (string), wait (bool), notebook_id (string) and tags (repeated string);
// its response, <Name>Response, none.
type Method struct {
	Name string
	// Decl is the RPC's declaration; nil: none.
	Decl *rpcv1.Declaration
	// NoSideEffects sets idempotency_level NO_SIDE_EFFECTS.
	NoSideEffects bool
	// RequestOf, if set, names the method whose request this one takes
	// too, instead of a request of its own.
	RequestOf string
}

// Declared returns a complete declaration.
func Declared(scope rpcv1.Scope, access rpcv1.Access, wait rpcv1.Wait) *rpcv1.Declaration {
	return &rpcv1.Declaration{Scope: scope, Access: access, Wait: wait}
}

// NewService builds the service name of package [Package] with methods,
// in a file of its own that no registry holds.
func NewService(t testing.TB, name string, methods ...Method) protoreflect.ServiceDescriptor {
	t.Helper()
	file := &descriptorpb.FileDescriptorProto{
		Name:    proto.String("rpcdecltest/" + name + ".proto"),
		Package: proto.String(Package),
		Syntax:  proto.String("proto3"),
	}
	svc := &descriptorpb.ServiceDescriptorProto{Name: proto.String(name)}
	for _, m := range methods {
		opts := &descriptorpb.MethodOptions{}
		if m.NoSideEffects {
			opts.IdempotencyLevel = descriptorpb.MethodOptions_NO_SIDE_EFFECTS.Enum()
		}
		if m.Decl != nil {
			proto.SetExtension(opts, rpcv1.E_Declaration, m.Decl)
		}
		in := m.Name
		if m.RequestOf != "" {
			in = m.RequestOf
		} else {
			file.MessageType = append(file.MessageType, request(m.Name+"Request"))
		}
		file.MessageType = append(file.MessageType, &descriptorpb.DescriptorProto{Name: proto.String(m.Name + "Response")})
		svc.Method = append(svc.Method, &descriptorpb.MethodDescriptorProto{
			Name:       proto.String(m.Name),
			InputType:  proto.String("." + Package + "." + in + "Request"),
			OutputType: proto.String("." + Package + "." + m.Name + "Response"),
			Options:    opts,
		})
	}
	file.Service = []*descriptorpb.ServiceDescriptorProto{svc}
	fd, err := protodesc.NewFile(file, nil)
	if err != nil {
		t.Fatalf("rpcdecltest: %v", err)
	}
	return fd.Services().Get(0)
}

func request(name string) *descriptorpb.DescriptorProto {
	field := func(name string, n int32, typ descriptorpb.FieldDescriptorProto_Type, label descriptorpb.FieldDescriptorProto_Label) *descriptorpb.FieldDescriptorProto {
		return &descriptorpb.FieldDescriptorProto{Name: proto.String(name), JsonName: proto.String(name), Number: proto.Int32(n), Type: typ.Enum(), Label: label.Enum()}
	}
	const (
		str      = descriptorpb.FieldDescriptorProto_TYPE_STRING
		boolean  = descriptorpb.FieldDescriptorProto_TYPE_BOOL
		optional = descriptorpb.FieldDescriptorProto_LABEL_OPTIONAL
		repeated = descriptorpb.FieldDescriptorProto_LABEL_REPEATED
	)
	return &descriptorpb.DescriptorProto{Name: proto.String(name), Field: []*descriptorpb.FieldDescriptorProto{
		field("project_id", 1, str, optional),
		field("instance_id", 2, str, optional),
		field("wait", 3, boolean, optional),
		field("notebook_id", 4, str, optional),
		field("tags", 5, str, repeated),
	}}
}

// Request returns a request of method (a method of a service NewService
// built) with the fields set: project_id, instance_id and notebook_id
// take strings, wait a bool.
func Request(t testing.TB, method protoreflect.MethodDescriptor, fields map[string]any) *dynamicpb.Message {
	t.Helper()
	m := dynamicpb.NewMessage(method.Input())
	for name, v := range fields {
		fd := method.Input().Fields().ByName(protoreflect.Name(name))
		if fd == nil {
			t.Fatalf("rpcdecltest: %s has no field %q", method.Input().FullName(), name)
		}
		m.Set(fd, protoreflect.ValueOf(v))
	}
	return m
}
