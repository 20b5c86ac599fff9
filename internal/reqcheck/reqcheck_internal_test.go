package reqcheck

import (
	"context"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"

	devenvv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/devenv/v1"
	notebookv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/notebook/v1"
	"github.com/devenv-facade/devenv-facade/internal/rpcdecl"
)

// TestEveryRequestListIsBounded: every repeated field and map of every
// request of the API (the RPCs of every service the facade serves but
// health and reflection, package rpcdecl), at any depth, has its own bound
// in the table, so a field or RPC added later cannot go unbounded (or fall
// back to the default) unnoticed.
func TestEveryRequestListIsBounded(t *testing.T) {
	seen := map[protoreflect.FullName]bool{}
	var visit func(md protoreflect.MessageDescriptor)
	visit = func(md protoreflect.MessageDescriptor) {
		if seen[md.FullName()] {
			return
		}
		seen[md.FullName()] = true
		for i := range md.Fields().Len() {
			fd := md.Fields().Get(i)
			if fd.IsList() || fd.IsMap() {
				if _, ok := bounds[fd.FullName()]; !ok {
					t.Errorf("%s has no bound", fd.FullName())
				}
			}
			if fd.IsMap() {
				fd = fd.MapValue()
			}
			if fd.Message() != nil {
				visit(fd.Message())
			}
		}
	}
	requests := 0
	for _, rpc := range rpcdecl.Served().RPCs() {
		if req := rpc.Desc.Input(); rpcdecl.Served().IsRequest(dynamicpb.NewMessage(req)) {
			visit(req)
			requests++
		}
	}
	if want := len(devenvv1.DevEnvService_ServiceDesc.Methods) + len(notebookv1.NotebookService_ServiceDesc.Methods); requests < want {
		t.Fatalf("visited %d requests; want every RPC's of the API, %d", requests, want)
	}
	for name := range bounds {
		if !seen[name.Parent()] {
			t.Errorf("bound for %s, which is in no request", name)
		}
	}
}

// TestNothingOutlivesTheCall: what was found in a request is taken by the
// first interceptor, whatever the call does next.
func TestNothingOutlivesTheCall(t *testing.T) {
	var c Checker
	b := protowire.AppendTag(nil, 2, protowire.BytesType)
	b = protowire.AppendBytes(b, []byte("\xff"))
	req := new(devenvv1.GetInstanceRequest)
	if err := c.DecodeProto(b, req); err != nil {
		t.Fatal(err)
	}
	if c.Held() != 1 {
		t.Fatalf("%d requests pending; want 1", c.Held())
	}
	var found bool
	_, _ = c.UnaryInterceptor()(context.Background(), req, &grpc.UnaryServerInfo{}, func(ctx context.Context, _ any) (any, error) {
		found = FromContext(ctx) != nil
		return nil, nil
	})
	if !found || c.Held() != 0 {
		t.Errorf("found in the call: %v, pending after: %d; want true, 0", found, c.Held())
	}
}
