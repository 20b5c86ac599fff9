package service

import (
	"context"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"

	rpcv1 "github.com/devenv-facade/devenv-facade/gen/devenvfacade/rpc/v1"
	"github.com/devenv-facade/devenv-facade/internal/callctx"
	"github.com/devenv-facade/devenv-facade/internal/rpcdecl"
	"github.com/devenv-facade/devenv-facade/internal/rpcdecl/rpcdecltest"
	"github.com/devenv-facade/devenv-facade/internal/statustest"
)

// TestWaitBound_byDeclaration: a call of an RPC that waits by its nature
// (declared WAIT_ALWAYS) takes a --max-waits slot though its request does
// not ask to wait, as does one that asks (WAIT_ON_REQUEST with wait set)
// and one of an RPC the table does not declare; beyond the bound such a
// call is refused with RESOURCE_EXHAUSTED before its step runs. A call that
// does not wait is not bounded. The RPCs are built at test time: none of
// the API's waits by its nature.
func TestWaitBound_byDeclaration(t *testing.T) {
	t.Parallel()
	decl := func(w rpcv1.Wait) *rpcv1.Declaration {
		return rpcdecltest.Declared(rpcv1.Scope_SCOPE_INSTANCE, rpcv1.Access_ACCESS_WRITE, w)
	}
	svc := rpcdecltest.NewService(t, "Waiting",
		rpcdecltest.Method{Name: "Always", Decl: decl(rpcv1.Wait_WAIT_ALWAYS)},
		rpcdecltest.Method{Name: "OnRequest", Decl: decl(rpcv1.Wait_WAIT_ON_REQUEST)},
		rpcdecltest.Method{Name: "Never", Decl: decl(rpcv1.Wait_WAIT_NEVER)},
		rpcdecltest.Method{Name: "Undeclared"},
	)
	s, err := New(nil, Options{MaxWaits: 1})
	if err != nil {
		t.Fatal(err)
	}
	s.rpcs = rpcdecl.New(svc)
	request := func(method string, wait bool) *dynamicpb.Message {
		return rpcdecltest.Request(t, svc.Methods().ByName(protoName(method)), map[string]any{
			"project_id": "0123456789abcdef0123456789abcdef", "instance_id": "DE-1", "wait": wait})
	}
	run := func(req *dynamicpb.Message, step func(context.Context, *call) (struct{}, error)) error {
		ctx := callctx.NewContext(t.Context(), callctx.New("rid"))
		_, err := handle(ctx, s, req, func(*dynamicpb.Message) []*violation { return nil }, step)
		return err
	}
	nothing := func(context.Context, *call) (struct{}, error) { return struct{}{}, nil }

	for _, holder := range []struct {
		method string
		wait   bool
	}{{"Always", false}, {"OnRequest", true}, {"Undeclared", false}} {
		// holder's call waits (its step holds the only slot) while others
		// are made.
		held, release, done := make(chan struct{}), make(chan struct{}), make(chan error, 1)
		go func() {
			done <- run(request(holder.method, holder.wait), func(context.Context, *call) (struct{}, error) {
				close(held)
				<-release
				return struct{}{}, nil
			})
		}()
		<-held
		for _, tt := range []struct {
			method  string
			wait    bool
			refused bool
		}{
			{"Always", false, true},
			{"Always", true, true},
			{"OnRequest", true, true},
			{"OnRequest", false, false},
			{"Never", true, false},
			{"Undeclared", false, true},
		} {
			ran := false
			err := run(request(tt.method, tt.wait), func(context.Context, *call) (struct{}, error) {
				ran = true
				return struct{}{}, nil
			})
			if tt.refused {
				if status.Code(err) != codes.ResourceExhausted || ran {
					t.Errorf("while %s waits, %s (wait %v): %v, step ran %v; want RESOURCE_EXHAUSTED before the step", holder.method, tt.method, tt.wait, err, ran)
				} else if d := statustest.Error(t, err).RetryDelay(); d <= 0 {
					t.Errorf("%s refused without RetryInfo", tt.method)
				}
				continue
			}
			if err != nil || !ran {
				t.Errorf("while %s waits, %s (wait %v): %v, step ran %v; want it unbounded", holder.method, tt.method, tt.wait, err, ran)
			}
		}
		close(release)
		if err := <-done; err != nil {
			t.Fatalf("the waiting call %s: %v", holder.method, err)
		}
		// Its slot is free again.
		if err := run(request("Always", false), nothing); err != nil {
			t.Errorf("after %s's wait ended: %v; want the slot free", holder.method, err)
		}
	}
}

func protoName(s string) protoreflect.Name { return protoreflect.Name(s) }
