package mirror

import (
	"context"
	"log/slog"
	"reflect"
	"sync"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	devenvv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/devenv/v1"
	notebookv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/notebook/v1"
	"github.com/devenv-facade/devenv-facade/internal/vendorjson"
)

// Service is one gRPC service the mirror serves over REST: what
// grpc.ServiceRegistrar.RegisterService takes (the generated
// XService_ServiceDesc and the implementation), and the service's
// grpc-gateway client handlers (the generated RegisterXHandlerClient,
// given the service's client on the connection it is passed). Its RPCs'
// routes are their google.api.http rules; an RPC without one is served
// over gRPC only and needs nothing here.
type Service struct {
	Desc     *grpc.ServiceDesc
	Impl     any
	Register func(ctx context.Context, mux *runtime.ServeMux, conn grpc.ClientConnInterface) error
}

// DevEnvService is DevEnvService, implemented by srv, for [New].
func DevEnvService(srv devenvv1.DevEnvServiceServer) Service {
	return Service{Desc: &devenvv1.DevEnvService_ServiceDesc, Impl: srv,
		Register: func(ctx context.Context, mux *runtime.ServeMux, conn grpc.ClientConnInterface) error {
			return devenvv1.RegisterDevEnvServiceHandlerClient(ctx, mux, devenvv1.NewDevEnvServiceClient(conn))
		}}
}

// NotebookService is NotebookService, implemented by srv, for [New].
func NotebookService(srv notebookv1.NotebookServiceServer) Service {
	return Service{Desc: &notebookv1.NotebookService_ServiceDesc, Impl: srv,
		Register: func(ctx context.Context, mux *runtime.ServeMux, conn grpc.ClientConnInterface) error {
			return notebookv1.RegisterNotebookServiceHandlerClient(ctx, mux, notebookv1.NewNotebookServiceClient(conn))
		}}
}

// inProcess is the connection the gateway's client handlers call: Invoke
// runs a unary method's handler (its grpc.MethodDesc, as a gRPC server
// would) through the interceptor, in the caller's goroutine, with neither
// a socket nor an encoding, and NewStream runs a server-streaming one
// through the stream interceptor. The request the gateway decoded is the
// one the interceptor and the service get (not a copy: the request check
// keyed by it, package reqcheck, finds it), and the service's answer is
// moved into the gateway's message without a deep copy.
type inProcess struct {
	methods           map[string]inProcessMethod       // by full method name
	streams           map[string]inProcessStreamMethod // by full method name
	interceptor       grpc.UnaryServerInterceptor
	streamInterceptor grpc.StreamServerInterceptor // nil: none
	logger            *slog.Logger                 // nil: nothing logged
}

type inProcessMethod struct {
	impl    any
	handler grpc.MethodHandler
}

func newInProcess(interceptor grpc.UnaryServerInterceptor, streamInterceptor grpc.StreamServerInterceptor, logger *slog.Logger, services []Service) *inProcess {
	c := &inProcess{methods: map[string]inProcessMethod{}, streams: map[string]inProcessStreamMethod{},
		interceptor: interceptor, streamInterceptor: streamInterceptor, logger: logger}
	for _, svc := range services {
		for _, m := range svc.Desc.Methods {
			c.methods["/"+svc.Desc.ServiceName+"/"+m.MethodName] = inProcessMethod{impl: svc.Impl, handler: m.Handler}
		}
		for _, m := range svc.Desc.Streams {
			if m.ServerStreams && !m.ClientStreams {
				c.streams["/"+svc.Desc.ServiceName+"/"+m.StreamName] = inProcessStreamMethod{impl: svc.Impl, handler: m.Handler}
			}
		}
	}
	return c
}

// Invoke calls method with args, the request the gateway decoded, and
// moves the answer into reply. The call's context gets, as a gRPC server
// would give it, the HTTP request's headers the facade reads as incoming
// metadata ([incomingMetadata]) (and no outgoing metadata: what the caller sent is
// passed on by no one), and a transport stream that collects what the
// call sets with grpc.SetHeader and grpc.SetTrailer for the gateway's
// grpc.Header and grpc.Trailer call options, even when the call fails.
func (c *inProcess) Invoke(ctx context.Context, method string, args, reply any, opts ...grpc.CallOption) error {
	m, ok := c.methods[method]
	if !ok {
		return status.Errorf(codes.Unimplemented, "mirror: no in-process method %s", method)
	}
	ctx, call := newInCall(ctx, method, args, c.interceptor)
	stream := &call.stream
	// The generated handler decodes into a request of its own, which is
	// left empty: the interceptor is given args instead (interceptArgs).
	resp, err := m.handler(m.impl, ctx, decodeNothing, interceptArgs)
	stream.mu.Lock()
	for _, o := range opts {
		switch o := o.(type) {
		case grpc.HeaderCallOption:
			*o.HeaderAddr = stream.header
		case grpc.TrailerCallOption:
			*o.TrailerAddr = stream.trailer
		}
	}
	stream.mu.Unlock()
	if err != nil {
		return err
	}
	from, ok1 := resp.(proto.Message)
	to, ok2 := reply.(proto.Message)
	if !ok1 || !ok2 || from.ProtoReflect().Descriptor() != to.ProtoReflect().Descriptor() {
		return status.Errorf(codes.Internal, "mirror: %s answered %T for %T", method, resp, reply)
	}
	move(to, from)
	vendorjson.OriginalsFrom(ctx).Move(from, to)
	return nil
}

func decodeNothing(any) error { return nil }

// interceptArgs is the interceptor Invoke gives a method's generated
// handler: it runs the call's interceptor with the call's request (the
// one the gateway decoded), which it finds in ctx, the call's context
// (one function for every call, rather than a closure made per call).
func interceptArgs(ctx context.Context, _ any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	call, ok := ctx.(*inCall)
	if !ok {
		call, ok = ctx.Value(inCallKey{}).(*inCall)
	}
	if !ok {
		return nil, status.Errorf(codes.Internal, "mirror: %s runs outside an in-process call", info.FullMethod)
	}
	return call.interceptor(ctx, call.args, info, handler)
}

// move makes to hold what from holds, sharing its fields' values (the
// messages, lists and maps in them) rather than copying them: from is not
// used again. to and from are messages of one type; to is empty.
//
// A message of protoc-gen-go's open struct API, as the API's are, has one
// exported Go field per field of the proto (one per oneof), which move
// assigns; its internal state, never. protoreflect's Set would do the
// same, but boxes every scalar it is given: two allocations per string
// field of an answer. A message whose Go fields are not the proto's (the
// opaque API) is moved with protoreflect.
func move(to, from proto.Message) {
	src := from.ProtoReflect()
	if fields, ok := goFields(src.Descriptor(), reflect.TypeOf(from)); ok {
		dst, srcv := reflect.ValueOf(to).Elem(), reflect.ValueOf(from).Elem()
		for _, i := range fields {
			dst.Field(i).Set(srcv.Field(i))
		}
	} else {
		dst := to.ProtoReflect()
		src.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
			dst.Set(fd, v)
			return true
		})
	}
	if u := src.GetUnknown(); len(u) > 0 {
		to.ProtoReflect().SetUnknown(u)
	}
}

// goFieldsOf caches goFields' answers by Go type.
var goFieldsOf sync.Map // reflect.Type -> []int, or nil when not open

// goFields returns the indices of the exported Go fields of t, a pointer
// to a generated struct of md, if they are one per field of md (a oneof
// counting as one): the open struct API.
func goFields(md protoreflect.MessageDescriptor, t reflect.Type) ([]int, bool) {
	if v, ok := goFieldsOf.Load(t); ok {
		fields, _ := v.([]int)
		return fields, fields != nil
	}
	var fields []int
	if t.Kind() == reflect.Pointer && t.Elem().Kind() == reflect.Struct {
		st := t.Elem()
		for i := range st.NumField() {
			if st.Field(i).IsExported() {
				fields = append(fields, i)
			}
		}
		want := 0
		for i := range md.Fields().Len() {
			if od := md.Fields().Get(i).ContainingOneof(); od == nil || od.IsSynthetic() {
				want++
			}
		}
		for i := range md.Oneofs().Len() {
			if !md.Oneofs().Get(i).IsSynthetic() {
				want++
			}
		}
		if len(fields) != want {
			fields = nil
		}
	}
	if fields == nil {
		goFieldsOf.Store(t, nil)
		return nil, false
	}
	goFieldsOf.Store(t, fields)
	return fields, true
}

// transportStream is the grpc.ServerTransportStream of an in-process call:
// it keeps the header and trailer metadata the call sets.
type transportStream struct {
	method          string
	mu              sync.Mutex
	header, trailer metadata.MD
}

// Method returns the call's full method name.
func (s *transportStream) Method() string { return s.method }

// SetHeader adds md to the header metadata. The first md is kept as it
// is, as grpc-go's server transport keeps the md of a first SendHeader:
// the caller hands it over.
func (s *transportStream) SetHeader(md metadata.MD) error {
	if md.Len() > 0 {
		s.mu.Lock()
		s.header = joinMD(s.header, md)
		s.mu.Unlock()
	}
	return nil
}

// joinMD returns md added to to: md itself when to is empty.
func joinMD(to, md metadata.MD) metadata.MD {
	if to.Len() == 0 {
		return md
	}
	return metadata.Join(to, md)
}

// SendHeader adds md to the header metadata, which the gateway writes with
// the answer.
func (s *transportStream) SendHeader(md metadata.MD) error { return s.SetHeader(md) }

// SetTrailer adds md to the trailer metadata (md itself, the first time).
func (s *transportStream) SetTrailer(md metadata.MD) error {
	if md.Len() > 0 {
		s.mu.Lock()
		s.trailer = joinMD(s.trailer, md)
		s.mu.Unlock()
	}
	return nil
}

var _ grpc.ClientConnInterface = (*inProcess)(nil)
