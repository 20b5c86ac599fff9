package mirror

import (
	"reflect"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/dynamicpb"
	"google.golang.org/protobuf/types/known/structpb"

	devenvv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/devenv/v1"
)

// TestMove: move gives the gateway's message what the service's answer
// holds, its nested messages shared rather than copied, its unknown
// fields too; for messages of the open struct API (a oneof among them) by
// their Go fields, for others (a dynamic message) by protoreflect.
func TestMove(t *testing.T) {
	t.Parallel()
	inst := &devenvv1.Instance{Id: proto.String("DE-1"), Status: proto.String("RUNNING")}
	from := &devenvv1.ListInstancesResponse{Instances: []*devenvv1.Instance{inst}, TotalCount: proto.Int32(1)}
	from.ProtoReflect().SetUnknown([]byte{0xf8, 0x7f, 0x01}) // field 2047, varint 1
	want := proto.Clone(from)
	to := &devenvv1.ListInstancesResponse{}
	move(to, from)
	if !proto.Equal(to, want) {
		t.Errorf("moved %v; want %v", to, want)
	}
	if len(to.GetInstances()) != 1 || to.GetInstances()[0] != inst {
		t.Error("the instance was copied, not shared")
	}
	if _, open := goFields(from.ProtoReflect().Descriptor(), typeOf(from)); !open {
		t.Error("ListInstancesResponse is not taken for the open struct API")
	}

	v := structpb.NewStringValue("x")
	var moved structpb.Value
	move(&moved, v)
	if moved.GetStringValue() != "x" {
		t.Errorf("a oneof: moved %v", &moved)
	}

	dyn := dynamicpb.NewMessage(from.ProtoReflect().Descriptor())
	proto.Merge(dyn, want)
	dynTo := dynamicpb.NewMessage(from.ProtoReflect().Descriptor())
	move(dynTo, dyn)
	if !proto.Equal(dynTo, want) {
		t.Errorf("a dynamic message: moved %v; want %v", dynTo, want)
	}
}

func typeOf(m proto.Message) reflect.Type { return reflect.TypeOf(m) }
