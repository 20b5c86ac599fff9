package server_test

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"google.golang.org/genproto/googleapis/api/annotations"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/dynamicpb"

	notebookv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/notebook/v1"
	"github.com/devenv-facade/devenv-facade/internal/emulator"
	"github.com/devenv-facade/devenv-facade/internal/rpcdecl"
)

// TestNotebookService_everyRPCImplemented: every RPC of NotebookService is
// implemented: none answers UNIMPLEMENTED over gRPC (an empty request is
// refused as invalid instead), and none answers the gateway's 501 over the
// REST mirror, on its rule's path.
func TestNotebookService_everyRPCImplemented(t *testing.T) {
	t.Parallel()
	f, _ := startLifecycle(t, newFakeClock(), nil, emulator.Options{})
	svc := notebookv1.NotebookService_ServiceDesc.ServiceName
	var rpcs []*rpcdecl.RPC
	for _, rpc := range rpcdecl.Served().RPCs() {
		if strings.HasPrefix(rpc.FullMethod, "/"+svc+"/") {
			rpcs = append(rpcs, rpc)
		}
	}
	desc := notebookv1.NotebookService_ServiceDesc
	if served := len(desc.Methods) + len(desc.Streams); len(rpcs) != served || len(desc.Methods) != 22 {
		t.Fatalf("%d RPCs declared, %d served, %d unary; want the 22 of the notebook API and the watch", len(rpcs), served, len(desc.Methods))
	}
	vars := regexp.MustCompile(`\{[a-z_]+\}`)
	for _, rpc := range rpcs {
		name := string(rpc.Desc.Name())
		t.Run(name, func(t *testing.T) {
			req := dynamicpb.NewMessage(rpc.Desc.Input())
			resp := dynamicpb.NewMessage(rpc.Desc.Output())
			var err error
			if rpc.Desc.IsStreamingServer() {
				err = recvFirst(t, f.conn, rpc.FullMethod, req, resp)
			} else {
				err = f.conn.Invoke(t.Context(), rpc.FullMethod, req, resp)
			}
			if status.Code(err) == codes.Unimplemented {
				t.Errorf("gRPC: %v", err)
			}
			if rpc.HTTP == nil {
				t.Fatal("no REST rule")
			}
			if rpc.Desc.IsStreamingServer() {
				return // the mirror's watch paths: internal/mirror's tests
			}
			method, path := ruleOf(rpc.HTTP)
			path = strings.Replace(path, "{project_id}", project, 1)
			path = vars.ReplaceAllString(path, "00000000-0000-4000-8000-000000000000")
			body := ""
			if rpc.HTTP.GetBody() != "" {
				body = "{}"
			}
			code, answer := mirrorCall(t, method, f.httpURL+path, body)
			if code == http.StatusNotImplemented || answer["error_code"] == "Facade.UNIMPLEMENTED" {
				t.Errorf("REST %s %s: %d %v", method, path, code, answer)
			}
		})
	}
}

// recvFirst opens a server-streaming call of method with req and returns
// the error of its first message (read into resp).
func recvFirst(t *testing.T, conn *grpc.ClientConn, method string, req, resp proto.Message) error {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	stream, err := conn.NewStream(ctx, &grpc.StreamDesc{ServerStreams: true}, method)
	if err != nil {
		return err
	}
	if err := stream.SendMsg(req); err != nil {
		return err
	}
	if err := stream.CloseSend(); err != nil {
		return err
	}
	return stream.RecvMsg(resp)
}

// ruleOf returns an HTTP rule's method and path.
func ruleOf(r *annotations.HttpRule) (string, string) {
	switch p := r.GetPattern().(type) {
	case *annotations.HttpRule_Get:
		return http.MethodGet, p.Get
	case *annotations.HttpRule_Post:
		return http.MethodPost, p.Post
	case *annotations.HttpRule_Put:
		return http.MethodPut, p.Put
	case *annotations.HttpRule_Patch:
		return http.MethodPatch, p.Patch
	case *annotations.HttpRule_Delete:
		return http.MethodDelete, p.Delete
	}
	return "", ""
}
