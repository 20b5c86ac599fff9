package mirror_test

import (
	"context"
	"net/http"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"

	devenvv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/devenv/v1"
	"github.com/devenv-facade/devenv-facade/internal/apierror"
	"github.com/devenv-facade/devenv-facade/internal/callctx"
	"github.com/devenv-facade/devenv-facade/internal/vendorjson"
)

// metadataServer answers DeleteInstance with err, or with an answer it
// keeps beside the vendor JSON it was "read" from, after setting header
// and trailer metadata; it records the request and the answer.
type metadataServer struct {
	devenvv1.UnimplementedDevEnvServiceServer
	err error

	mu      sync.Mutex
	req     *devenvv1.DeleteInstanceRequest
	resp    *devenvv1.DeleteInstanceResponse
	setErrs []error
}

func (s *metadataServer) DeleteInstance(ctx context.Context, req *devenvv1.DeleteInstanceRequest) (*devenvv1.DeleteInstanceResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.req = req
	s.setErrs = append(s.setErrs,
		grpc.SetHeader(ctx, metadata.Pairs(callctx.MetadataKeyDeleteOutcome, "deleted")),
		grpc.SetHeader(ctx, metadata.Pairs(callctx.MetadataKeyOutcome, "second")),
		grpc.SetTrailer(ctx, metadata.Pairs("x-trailer", "t")))
	if s.err != nil {
		return nil, s.err
	}
	s.resp = &devenvv1.DeleteInstanceResponse{InstanceId: req.GetInstanceId()}
	// Written in the answer's place only if the answer is this message.
	vendorjson.OriginalsFrom(ctx).Keep(s.resp, []byte(`{"instance_id":"DE-1","vendor_only":"kept"}`))
	return s.resp, nil
}

// TestMirror_unaryThroughServerHandler: a unary call over the mirror runs
// through the interceptor with the request grpc-gateway decoded (the one
// the service gets); the header metadata the call sets reaches the HTTP
// answer (trailer metadata is accepted and not written: the mirror
// exposes none; an error, answered in the vendor's shape, carries
// neither, as before the server handlers); and the answer written is the
// service's message itself, not a copy (the vendor JSON kept for it is
// what the caller reads).
func TestMirror_unaryThroughServerHandler(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name   string
		err    error
		status int
		body   map[string]any
		header bool // the outcome headers are written
	}{
		{"success", nil, http.StatusOK, map[string]any{"instance_id": "DE-1", "vendor_only": "kept"}, true},
		{"error", apierror.New(codes.FailedPrecondition, apierror.ReasonInvalidArgument, "busy", ""), http.StatusBadRequest, map[string]any{"error_code": "Facade.INVALID_ARGUMENT", "error_message": "busy"}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := &metadataServer{err: tt.err}
			var intercepted []any
			ts := serve(t, srv, func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
				intercepted = append(intercepted, req)
				return h(ctx, req)
			})
			got := call(t, ts, http.MethodDelete, path, nil)
			if got.status != tt.status {
				t.Errorf("status %d (%v); want %d", got.status, got.body, tt.status)
			}
			if diff := cmp.Diff(tt.body, got.body); diff != "" {
				t.Errorf("body (-want +got):\n%s", diff)
			}
			srv.mu.Lock()
			defer srv.mu.Unlock()
			if len(intercepted) != 1 || intercepted[0] != any(srv.req) || srv.req.GetInstanceId() != "DE-1" {
				t.Errorf("the interceptor got %v, the service %p; want the one decoded request", intercepted, srv.req)
			}
			for _, err := range srv.setErrs {
				if err != nil {
					t.Errorf("setting metadata: %v", err)
				}
			}
			want := map[bool][2]string{true: {"deleted", "second"}}[tt.header]
			if h := got.header; h.Get("X-Delete-Outcome") != want[0] || h.Get("X-Outcome") != want[1] || h.Get("X-Trailer") != "" || h.Get("Trailer") != "" {
				t.Errorf("header %v; want X-Delete-Outcome %q and X-Outcome %q, no trailer", h, want[0], want[1])
			}
		})
	}
}

// TestMirror_nilAnswerIsInternal: a unary call that answers neither a
// message nor an error (here its interceptor's nil) is answered INTERNAL
// in the vendor's shape, as before the server handlers: not a 200 with
// {} (DeleteInstance), nor a dropped connection (GetInstance, whose rule's
// response_body grpc-gateway reads from the nil answer).
func TestMirror_nilAnswerIsInternal(t *testing.T) {
	t.Parallel()
	ts := serve(t, &fakeServer{}, func(context.Context, any, *grpc.UnaryServerInfo, grpc.UnaryHandler) (any, error) {
		return nil, nil
	})
	for _, method := range []string{http.MethodGet, http.MethodDelete} {
		got := call(t, ts, method, path, nil)
		if got.status != http.StatusInternalServerError || got.body["error_code"] != "Facade.INTERNAL" || got.header.Get("X-Request-Id") == "" {
			t.Errorf("%s: %d %v (X-Request-Id %q); want 500 Facade.INTERNAL with the request ID", method, got.status, got.body, got.header.Get("X-Request-Id"))
		}
	}
}
