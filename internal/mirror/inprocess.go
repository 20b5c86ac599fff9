package mirror

import (
	"context"
	"log/slog"
	"sync"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	devenvv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/devenv/v1"
	notebookv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/notebook/v1"
)

// Service is one gRPC service the mirror serves over REST, made by
// [DevEnvService] or [NotebookService]: its generated grpc.ServiceDesc and
// implementation (what grpc.ServiceRegistrar.RegisterService takes), and
// how its grpc-gateway handlers are registered. Its RPCs' routes are their
// google.api.http rules; an RPC without one is served over gRPC only and
// needs nothing here.
//
// Unary RPCs are served by grpc-gateway's generated server handlers
// (RegisterXHandlerServer), which call the service's server interface
// directly: the mirror gives them the generated intercepted server
// (NewXInterceptedServer, by protoc-gen-go-intercept), which runs each
// call through the mirror's interceptor. Server-streaming RPCs, which the
// server handlers refuse, are served by the client handlers
// (RegisterXHandlerClient) on the mirror's in-process connection
// ([inProcess]).
type Service struct {
	// Desc is the service's generated grpc.ServiceDesc.
	Desc *grpc.ServiceDesc
	// Impl implements the service (Desc's HandlerType).
	Impl any
	// intercepted returns Impl as an implementation of Desc's server
	// interface that runs every unary call through interceptor.
	intercepted func(interceptor grpc.UnaryServerInterceptor) any
	// registerUnary registers the server handlers of the service's RPCs,
	// calling srv, what intercepted returned.
	registerUnary func(ctx context.Context, mux *runtime.ServeMux, srv any) error
	// registerStreaming registers the client handlers of the service's
	// RPCs, given the service's client on conn.
	registerStreaming func(ctx context.Context, mux *runtime.ServeMux, conn grpc.ClientConnInterface) error
}

// newService returns the Service of desc implemented by impl, of server
// interface S, from its generated functions: intercept
// (NewXInterceptedServer), registerServer (RegisterXHandlerServer) and
// registerClient (RegisterXHandlerClient given the service's client).
func newService[S any](desc *grpc.ServiceDesc, impl S, intercept func(S, grpc.UnaryServerInterceptor) S,
	registerServer func(context.Context, *runtime.ServeMux, S) error,
	registerClient func(context.Context, *runtime.ServeMux, grpc.ClientConnInterface) error) Service {
	return Service{Desc: desc, Impl: impl,
		intercepted: func(interceptor grpc.UnaryServerInterceptor) any { return intercept(impl, interceptor) },
		registerUnary: func(ctx context.Context, mux *runtime.ServeMux, srv any) error {
			return registerServer(ctx, mux, srv.(S))
		},
		registerStreaming: registerClient}
}

// DevEnvService is DevEnvService, implemented by srv, for [New].
func DevEnvService(srv devenvv1.DevEnvServiceServer) Service {
	return newService(&devenvv1.DevEnvService_ServiceDesc, srv, devenvv1.NewDevEnvServiceInterceptedServer, devenvv1.RegisterDevEnvServiceHandlerServer,
		func(ctx context.Context, mux *runtime.ServeMux, conn grpc.ClientConnInterface) error {
			return devenvv1.RegisterDevEnvServiceHandlerClient(ctx, mux, devenvv1.NewDevEnvServiceClient(conn))
		})
}

// NotebookService is NotebookService, implemented by srv, for [New].
func NotebookService(srv notebookv1.NotebookServiceServer) Service {
	return newService(&notebookv1.NotebookService_ServiceDesc, srv, notebookv1.NewNotebookServiceInterceptedServer, notebookv1.RegisterNotebookServiceHandlerServer,
		func(ctx context.Context, mux *runtime.ServeMux, conn grpc.ClientConnInterface) error {
			return notebookv1.RegisterNotebookServiceHandlerClient(ctx, mux, notebookv1.NewNotebookServiceClient(conn))
		})
}

// inCallInterceptor returns the interceptor the services' intercepted
// servers run a unary call through: interceptor, given the call's context
// as a gRPC server would give it ([newInCall]).
func inCallInterceptor(interceptor grpc.UnaryServerInterceptor) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		ctx, _ = newInCall(ctx, info.FullMethod)
		return interceptor(ctx, req, info, handler)
	}
}

// inProcess is the connection the gateway's client handlers call, for
// server-streaming methods: NewStream runs one's handler through the
// stream interceptor, in a goroutine of its own, with neither a socket
// nor an encoding. Unary methods are not called through it (the services'
// server handlers call them): Invoke answers Unimplemented.
type inProcess struct {
	streams           map[string]inProcessStreamMethod // by full method name
	streamInterceptor grpc.StreamServerInterceptor     // nil: none
	logger            *slog.Logger                     // nil: nothing logged
}

func newInProcess(streamInterceptor grpc.StreamServerInterceptor, logger *slog.Logger, services []Service) *inProcess {
	c := &inProcess{streams: map[string]inProcessStreamMethod{}, streamInterceptor: streamInterceptor, logger: logger}
	for _, svc := range services {
		for _, m := range svc.Desc.Streams {
			if m.ServerStreams && !m.ClientStreams {
				c.streams["/"+svc.Desc.ServiceName+"/"+m.StreamName] = inProcessStreamMethod{impl: svc.Impl, handler: m.Handler}
			}
		}
	}
	return c
}

// Invoke answers Unimplemented: the mirror routes no unary method to the
// client handlers, which call it.
func (c *inProcess) Invoke(_ context.Context, method string, _, _ any, _ ...grpc.CallOption) error {
	return status.Errorf(codes.Unimplemented, "mirror: %s is served by the server handlers, not in process", method)
}

// transportStream is the grpc.ServerTransportStream of an in-process
// streaming call ([streamCall]): it keeps the header and trailer metadata
// the call sets.
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
