package mirror

import (
	"context"
	"net/http"
	"reflect"
	"testing"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/dynamicpb"
	"google.golang.org/protobuf/types/known/structpb"

	devenvv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/devenv/v1"
	"github.com/devenv-facade/devenv-facade/internal/callctx"
	"github.com/devenv-facade/devenv-facade/internal/vendorjson"
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

// TestContextKeys: the keys of the values the mirror gives a call's
// context are learnt from their packages (else every call would fall back
// to a context layer per value), and each value reads back through its
// package's reader, with the keys learnt and, as a fallback, without them.
func TestContextKeys(t *testing.T) {
	keys := map[string]any{"protocol": contextKeys.protocol, "peer": contextKeys.peer, "originals": contextKeys.originals,
		"incoming": contextKeys.incoming, "outgoing": contextKeys.outgoing, "stream": contextKeys.stream}
	for name, k := range keys {
		if k == nil {
			t.Errorf("the key of %s is not learnt", name)
		}
	}
	if k := keyOf(func(ctx context.Context) { ctx.Value(1); ctx.Value(2) }); k != nil {
		t.Errorf("a reader asking for two keys: learnt %v; want none", k)
	}
	if k := keyOf(func(context.Context) {}); k != nil {
		t.Errorf("a reader asking for no key: learnt %v; want none", k)
	}

	check := func(t *testing.T) {
		t.Helper()
		// The server handler's layers: its transport stream, and what
		// grpc-gateway's client handlers used to add.
		var handlerStream runtime.ServerTransportStream
		gateway := metadata.NewOutgoingContext(grpc.NewContextWithServerTransportStream(context.Background(), &handlerStream), metadata.Pairs("x-auth-token", "t"))
		c := &restCall{Context: gateway, addr: remoteAddr{"127.0.0.1:1"}, header: http.Header{"X-Auth-Token": {"t"}}}
		c.peer.Addr = &c.addr
		ctx := c.withValues()
		if p := callctx.Protocol(ctx); p != callctx.ProtocolREST {
			t.Errorf("protocol %q", p)
		}
		if p, ok := peer.FromContext(ctx); !ok || p.Addr.String() != "127.0.0.1:1" {
			t.Errorf("peer %v", p)
		}
		if vendorjson.OriginalsFrom(ctx) != &c.originals {
			t.Error("the call's Originals are not found")
		}
		args := &devenvv1.GetInstanceRequest{InstanceId: "DE-1"}
		var intercepted any
		interceptor := func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
			intercepted = req
			return handler(ctx, req)
		}
		// What an intercepted server does with the interceptor it is given.
		var call context.Context
		handled, err := inCallInterceptor(interceptor)(ctx, args, &grpc.UnaryServerInfo{FullMethod: "/s/m"}, func(ctx context.Context, req any) (any, error) {
			call = ctx
			return req, nil
		})
		if err != nil || intercepted != any(args) || handled != any(args) {
			t.Fatalf("inCallInterceptor: the interceptor got %v, the handler %v (%v); want the call's request", intercepted, handled, err)
		}
		ic, _ := call.Value(inCallKey{}).(*inCall)
		if ic != &c.in {
			t.Fatal("the call's context is not the request's inCall")
		}
		if md, _ := metadata.FromIncomingContext(call); len(md.Get("x-auth-token")) != 1 {
			t.Errorf("incoming metadata %v", md)
		}
		if md, _ := metadata.FromOutgoingContext(call); len(md) != 0 {
			t.Errorf("outgoing metadata %v; want none", md)
		}
		if s := grpc.ServerTransportStreamFromContext(call); s != grpc.ServerTransportStream(&ic.stream) {
			t.Errorf("transport stream %v; want the call's", s)
		}
		if m, _ := grpc.Method(call); m != "/s/m" {
			t.Errorf("method %q", m)
		}
		// The REST request's own call keeps its metadata, for
		// writeCallHeader; another passes it to the server handler's stream.
		second := newInCallContext(ctx, "/s/m2")
		for _, ctx := range []context.Context{call, second} {
			if err := grpc.SetHeader(ctx, metadata.Pairs("h", "1")); err != nil {
				t.Error(err)
			}
			if err := grpc.SetTrailer(ctx, metadata.Pairs("t", "1")); err != nil {
				t.Error(err)
			}
		}
		if h, tr := ic.stream.header, ic.stream.trailer; len(h.Get("h")) != 1 || len(tr.Get("t")) != 1 {
			t.Errorf("the call kept header %v, trailer %v; want what it set", h, tr)
		}
		if h, tr := handlerStream.Header(), handlerStream.Trailer(); len(h.Get("h")) != 1 || len(tr.Get("t")) != 1 {
			t.Errorf("the server handler's stream has header %v, trailer %v; want what the second call set", h, tr)
		}
		if vendorjson.OriginalsFrom(call) != &c.originals || callctx.Protocol(call) != callctx.ProtocolREST {
			t.Error("the call's context lost the request's values")
		}
		// Outside a REST request: none either way.
		bare, _ := newInCall(gateway, "/s/m")
		if _, ok := metadata.FromIncomingContext(bare); ok {
			t.Error("incoming metadata made up")
		}
		if md, _ := metadata.FromOutgoingContext(bare); len(md) != 0 {
			t.Errorf("outgoing metadata %v; want none", md)
		}
	}
	t.Run("learnt", check)
	t.Run("fallback", func(t *testing.T) {
		saved := contextKeys
		t.Cleanup(func() { contextKeys = saved })
		contextKeys.protocol, contextKeys.peer, contextKeys.originals = nil, nil, nil
		contextKeys.incoming, contextKeys.outgoing, contextKeys.stream = nil, nil, nil
		check(t)
	})
}

// TestTransportStream_headers: a call's header and trailer metadata are
// all it set, in order; the first md is kept as given and not changed by
// those set after it.
func TestTransportStream_headers(t *testing.T) {
	t.Parallel()
	var s transportStream
	first := metadata.Pairs("a", "1")
	for _, md := range []metadata.MD{first, nil, metadata.Pairs("a", "2", "b", "3")} {
		if err := s.SetHeader(md); err != nil {
			t.Fatal(err)
		}
		if err := s.SetTrailer(md); err != nil {
			t.Fatal(err)
		}
	}
	want := metadata.MD{"a": {"1", "2"}, "b": {"3"}}
	if !reflect.DeepEqual(s.header, want) || !reflect.DeepEqual(s.trailer, want) {
		t.Errorf("header %v, trailer %v; want %v", s.header, s.trailer, want)
	}
	if !reflect.DeepEqual(first, metadata.Pairs("a", "1")) {
		t.Errorf("the first md was changed: %v", first)
	}
}

// newInCallContext returns the context newInCall gives a call of method on
// ctx.
func newInCallContext(ctx context.Context, method string) context.Context {
	ctx, _ = newInCall(ctx, method)
	return ctx
}
