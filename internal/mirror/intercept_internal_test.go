package mirror

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	devenvv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/devenv/v1"
	notebookv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/notebook/v1"
)

// servedServices are the services the mirror serves, each implemented by
// its generated Unimplemented server.
func servedServices() []Service {
	return []Service{
		DevEnvService(devenvv1.UnimplementedDevEnvServiceServer{}),
		NotebookService(notebookv1.UnimplementedNotebookServiceServer{}),
	}
}

// TestServices_everyUnaryMethodIntercepted: every unary method of every
// service the mirror serves (its ServiceDesc's, not a list of ours) runs
// through the interceptor its intercepted server is given, with the
// request the caller decoded (not a copy) and the method's info, and
// reaches the service through the interceptor's handler. A method the
// generated intercepted server lacked would answer its embedded
// Unimplemented without the interceptor: this test would fail. Streaming
// methods, which no unary interceptor can run, answer Unimplemented.
func TestServices_everyUnaryMethodIntercepted(t *testing.T) {
	t.Parallel()
	for _, svc := range servedServices() {
		t.Run(svc.Desc.ServiceName, func(t *testing.T) {
			t.Parallel()
			if len(svc.Desc.Methods) == 0 {
				t.Fatal("no unary method")
			}
			type seen struct {
				method  string
				req     any
				server  any
				handled bool
			}
			var got []seen
			srv := svc.intercepted(func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
				got = append(got, seen{method: info.FullMethod, req: req, server: info.Server})
				resp, err := handler(ctx, req)
				got[len(got)-1].handled = true
				return resp, err
			})
			for _, m := range svc.Desc.Methods {
				got = got[:0]
				var decoded any
				_, err := m.Handler(srv, t.Context(), func(v any) error { decoded = v; return nil }, nil)
				want := "/" + svc.Desc.ServiceName + "/" + m.MethodName
				if len(got) != 1 || got[0].method != want || got[0].req != decoded || got[0].server != svc.Impl || !got[0].handled {
					t.Errorf("%s: the interceptor saw %+v; want one call of it with the decoded request %p, handled", want, got, decoded)
				}
				// The service (an Unimplemented server) answered.
				if status.Code(err) != codes.Unimplemented {
					t.Errorf("%s: %v; want the service's Unimplemented", want, err)
				}
			}
			for _, st := range svc.Desc.Streams {
				got = got[:0]
				err := st.Handler(srv, &recvOnlyStream{ctx: t.Context()})
				if status.Code(err) != codes.Unimplemented || len(got) != 0 {
					t.Errorf("%s: %v, the unary interceptor saw %+v; want Unimplemented, unseen", st.StreamName, err, got)
				}
			}
		})
	}
}

// recvOnlyStream is a grpc.ServerStream whose RecvMsg leaves the message
// empty; nothing else is called.
type recvOnlyStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (s *recvOnlyStream) Context() context.Context { return s.ctx }
func (s *recvOnlyStream) RecvMsg(any) error        { return nil }

// answeringServer answers GetInstance with resp and err.
type answeringServer struct {
	devenvv1.UnimplementedDevEnvServiceServer
	resp *devenvv1.GetInstanceResponse
	err  error
}

func (s *answeringServer) GetInstance(context.Context, *devenvv1.GetInstanceRequest) (*devenvv1.GetInstanceResponse, error) {
	return s.resp, s.err
}

// TestInterceptedServer_answers: the intercepted server answers what the
// interceptor returns, the service's message itself; an answer of another
// type, or none (nil, without an error), is an Internal error; a nil
// interceptor runs the service alone.
func TestInterceptedServer_answers(t *testing.T) {
	t.Parallel()
	resp := &devenvv1.GetInstanceResponse{Instance: &devenvv1.Instance{Id: proto.String("DE-1")}}
	failed := status.Error(codes.NotFound, "gone")
	passOn := func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		return h(ctx, req)
	}
	for _, tt := range []struct {
		name        string
		srv         *answeringServer
		interceptor grpc.UnaryServerInterceptor
		want        *devenvv1.GetInstanceResponse
		code        codes.Code
	}{
		{"answer", &answeringServer{resp: resp}, passOn, resp, codes.OK},
		{"error", &answeringServer{err: failed}, passOn, nil, codes.NotFound},
		{"no interceptor", &answeringServer{resp: resp}, nil, resp, codes.OK},
		{"interceptor's error", &answeringServer{resp: resp}, func(context.Context, any, *grpc.UnaryServerInfo, grpc.UnaryHandler) (any, error) {
			return nil, failed
		}, nil, codes.NotFound},
		{"another type", &answeringServer{resp: resp}, func(context.Context, any, *grpc.UnaryServerInfo, grpc.UnaryHandler) (any, error) {
			return &devenvv1.DeleteInstanceResponse{}, nil
		}, nil, codes.Internal},
		// Neither an answer nor an error: grpc-gateway's server handler
		// would write the nil as a success, or panic on it.
		{"the service's nil", &answeringServer{}, passOn, nil, codes.Internal},
		{"the interceptor's nil", &answeringServer{resp: resp}, func(context.Context, any, *grpc.UnaryServerInfo, grpc.UnaryHandler) (any, error) {
			return nil, nil
		}, nil, codes.Internal},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := devenvv1.NewDevEnvServiceInterceptedServer(tt.srv, tt.interceptor)
			got, err := srv.GetInstance(t.Context(), &devenvv1.GetInstanceRequest{})
			if got != tt.want || status.Code(err) != tt.code {
				t.Errorf("answered %p, %v; want %p, code %v", got, err, tt.want, tt.code)
			}
			if tt.code == codes.NotFound && !errors.Is(err, failed) {
				t.Errorf("error %v; want the one returned", err)
			}
		})
	}
}

// settingServer sets header and trailer metadata in DeleteInstance, then
// answers err, or success.
type settingServer struct {
	devenvv1.UnimplementedDevEnvServiceServer
	err error
}

func (s *settingServer) DeleteInstance(ctx context.Context, req *devenvv1.DeleteInstanceRequest) (*devenvv1.DeleteInstanceResponse, error) {
	if err := grpc.SetHeader(ctx, metadata.Pairs("h", "1")); err != nil {
		return nil, err
	}
	if err := grpc.SetTrailer(ctx, metadata.Pairs("t", "2")); err != nil {
		return nil, err
	}
	if s.err != nil {
		return nil, s.err
	}
	return &devenvv1.DeleteInstanceResponse{InstanceId: req.GetInstanceId()}, nil
}

// TestServerHandler_metadataOnError: the header and trailer metadata a
// call outside a REST request's record sets through its context
// ([callStream]) reach grpc-gateway's server handler, which gives them to
// the mux's forwarder on success and to its error handler on error. (A
// REST request's own call keeps them for writeCallHeader:
// TestMirror_unaryThroughServerHandler.)
func TestServerHandler_metadataOnError(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		err  error
	}{{"success", nil}, {"error", status.Error(codes.NotFound, "gone")}} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got runtime.ServerMetadata
			var answered, failed bool
			mux := runtime.NewServeMux(
				runtime.WithErrorHandler(func(ctx context.Context, _ *runtime.ServeMux, _ runtime.Marshaler, w http.ResponseWriter, _ *http.Request, err error) {
					got, _ = runtime.ServerMetadataFromContext(ctx)
					failed = status.Code(err) == codes.NotFound
					w.WriteHeader(http.StatusNotFound)
				}),
				runtime.WithForwardResponseOption(func(ctx context.Context, _ http.ResponseWriter, _ proto.Message) error {
					got, _ = runtime.ServerMetadataFromContext(ctx)
					answered = true
					return nil
				}))
			svc := DevEnvService(&settingServer{err: tt.err})
			if err := svc.registerUnary(t.Context(), mux, svc.intercepted(inCallInterceptor(func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
				return h(ctx, req)
			}))); err != nil {
				t.Fatal(err)
			}
			r := httptest.NewRequestWithContext(t.Context(), http.MethodDelete, "/v1/p/demanager/instances/DE-1", nil)
			mux.ServeHTTP(httptest.NewRecorder(), r)
			if answered == (tt.err != nil) || failed != (tt.err != nil) {
				t.Errorf("answered %v, failed %v; want the call's outcome", answered, failed)
			}
			if h, tr := got.HeaderMD.Get("h"), got.TrailerMD.Get("t"); len(h) != 1 || h[0] != "1" || len(tr) != 1 || tr[0] != "2" {
				t.Errorf("server metadata %+v; want the call's header and trailer", got)
			}
		})
	}
}
