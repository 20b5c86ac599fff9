package callerauth_test

import (
	"context"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	notebookv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/notebook/v1"
	"github.com/devenv-facade/devenv-facade/internal/apierror"
	"github.com/devenv-facade/devenv-facade/internal/callctx"
	"github.com/devenv-facade/devenv-facade/internal/callerauth"
	"github.com/devenv-facade/devenv-facade/internal/statustest"
)

// requestStream is a server stream whose one request is req; it records
// what the handler sends.
type requestStream struct {
	grpc.ServerStream
	ctx  context.Context
	req  proto.Message
	sent int
}

func (s *requestStream) Context() context.Context { return s.ctx }

func (s *requestStream) RecvMsg(m any) error {
	proto.Merge(m.(proto.Message), s.req)
	return nil
}

func (s *requestStream) SendMsg(any) error { s.sent++; return nil }

func (s *requestStream) SendHeader(metadata.MD) error { s.sent++; return nil }

// TestStreamInterceptor_authorizesTheRequest: a streaming call whose
// declaration names a project (WatchNotebooks: ACCESS_READ) is authorized
// by its request's project when the request arrives, as a unary call is:
// the handler's RecvMsg answers a refusal instead of the request, and a
// handler that sends before its request was authorized sends nothing.
func TestStreamInterceptor_authorizesTheRequest(t *testing.T) {
	t.Parallel()
	a, err := callerauth.Load(writeFile(t, `callers:
  - {name: alice, token_sha256: `+hash("alice-token")+`, projects: ["`+projectA+`"]}
  - {name: reader, token_sha256: `+hash("reader-token")+`, read_only_projects: ["`+projectA+`"]}
`), callerauth.Options{TokenHolders: callerauth.ValidateTokenHolders, TokenValidator: &fakeValidator{}})
	if err != nil {
		t.Fatal(err)
	}
	info := &grpc.StreamServerInfo{FullMethod: notebookv1.NotebookService_WatchNotebooks_FullMethodName, IsServerStream: true}
	tests := []struct {
		name       string
		md         metadata.MD
		project    string
		wantCaller string // "" when refused
		wantCode   codes.Code
		wantReason string
	}{
		{"writer", metadata.Pairs("authorization", "Bearer alice-token"), projectA, "alice", codes.OK, ""},
		{"reader", metadata.Pairs("authorization", "Bearer reader-token"), projectA, "reader", codes.OK, ""},
		{"other_project", metadata.Pairs("authorization", "Bearer alice-token"), projectB, "", codes.PermissionDenied, apierror.ReasonProjectNotPermitted},
		{"reader_other_project", metadata.Pairs("authorization", "Bearer reader-token"), projectB, "", codes.PermissionDenied, apierror.ReasonProjectNotPermitted},
		{"malformed_project", metadata.Pairs("authorization", "Bearer alice-token"), "../x", "", codes.InvalidArgument, apierror.ReasonInvalidArgument},
		{"holder", metadata.Pairs("x-auth-token", holderToken), projectA, callctx.TokenHolder, codes.OK, ""},
		{"holder_other_project", metadata.Pairs("x-auth-token", holderToken), projectB, "", codes.PermissionDenied, apierror.ReasonProjectNotPermitted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := metadata.NewIncomingContext(callctx.NewContext(t.Context(), callctx.New("rid")), tt.md)
			ss := &requestStream{ctx: ctx, req: &notebookv1.WatchNotebooksRequest{ProjectId: tt.project}}
			var recvErr error
			handled := false
			err := a.StreamInterceptor()(nil, ss, info, func(_ any, stream grpc.ServerStream) error {
				// A handler that answers before receiving its request
				// sends nothing.
				if err := stream.SendMsg(&notebookv1.WatchNotebooksResponse{}); status.Code(err) != codes.Internal {
					t.Errorf("SendMsg before the request: %v; want Internal", err)
				}
				if err := stream.SendHeader(nil); status.Code(err) != codes.Internal {
					t.Errorf("SendHeader before the request: %v; want Internal", err)
				}
				if _, ok := callctx.IdentityFrom(stream.Context()); ok {
					t.Error("the call runs as someone before its request was authorized")
				}
				req := new(notebookv1.WatchNotebooksRequest)
				if recvErr = stream.RecvMsg(req); recvErr != nil {
					return recvErr
				}
				handled = true
				if id, ok := callctx.IdentityFrom(stream.Context()); !ok || id.Name != tt.wantCaller {
					t.Errorf("the call runs as %+v (%v); want %q", id, ok, tt.wantCaller)
				}
				return stream.SendMsg(&notebookv1.WatchNotebooksResponse{})
			})
			if status.Code(err) != tt.wantCode || status.Code(recvErr) != tt.wantCode {
				t.Fatalf("call: %v, RecvMsg: %v; want %v", err, recvErr, tt.wantCode)
			}
			if handled != (tt.wantCode == codes.OK) {
				t.Errorf("the handler got the request: %v; want %v", handled, tt.wantCode == codes.OK)
			}
			if want := map[bool]int{true: 1}[tt.wantCode == codes.OK]; ss.sent != want {
				t.Errorf("%d messages sent; want %d", ss.sent, want)
			}
			if tt.wantReason != "" {
				if e := statustest.Error(t, err); e.Reason() != tt.wantReason {
					t.Errorf("reason %q; want %q", e.Reason(), tt.wantReason)
				}
			}
		})
	}
	// Who calls is known before the request: an unknown caller (when no
	// tap refused it) is refused before its request is read.
	t.Run("unknown_caller", func(t *testing.T) {
		t.Parallel()
		ctx := metadata.NewIncomingContext(callctx.NewContext(t.Context(), callctx.New("rid")), metadata.Pairs("authorization", "Bearer nope"))
		err := a.StreamInterceptor()(nil, &requestStream{ctx: ctx}, info, func(any, grpc.ServerStream) error {
			t.Error("the handler ran")
			return nil
		})
		if e := statustest.Error(t, err); e.Code() != codes.Unauthenticated || e.Reason() != apierror.ReasonCallerUnauthenticated {
			t.Errorf("%v; want Unauthenticated/%s", err, apierror.ReasonCallerUnauthenticated)
		}
	})
}
