package mirror_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"

	devenvv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/devenv/v1"
	"github.com/devenv-facade/devenv-facade/internal/callctx"
	"github.com/devenv-facade/devenv-facade/internal/vendorjson"
)

// contextServer records what a call's context holds, as the service sees
// it through the mirror.
type contextServer struct {
	devenvv1.UnimplementedDevEnvServiceServer
	method   string
	incoming metadata.MD
	outgoing metadata.MD
	protocol string
	peer     string
	// originals: the call has Originals (its answer is written as vendor
	// JSON).
	originals bool
}

func (s *contextServer) GetInstance(ctx context.Context, req *devenvv1.GetInstanceRequest) (*devenvv1.GetInstanceResponse, error) {
	s.method, _ = grpc.Method(ctx)
	s.incoming, _ = metadata.FromIncomingContext(ctx)
	s.outgoing, _ = metadata.FromOutgoingContext(ctx)
	s.protocol = callctx.Protocol(ctx)
	if p, ok := peer.FromContext(ctx); ok && p.Addr != nil {
		s.peer = p.Addr.String()
	}
	s.originals = vendorjson.OriginalsFrom(ctx) != nil
	if err := grpc.SetHeader(ctx, metadata.Pairs("x-delete-outcome", "inferred")); err != nil {
		return nil, err
	}
	return &devenvv1.GetInstanceResponse{Instance: &devenvv1.Instance{Id: &req.InstanceId}}, nil
}

// TestMirror_callContext: a call through the mirror runs with the context
// a gRPC server would give it: its full method name (grpc.Method), the
// HTTP request's headers as incoming metadata and no outgoing metadata
// (nothing the caller sent is passed on by a gRPC call the service might
// make), the REST protocol's mark, the HTTP client as its peer and the
// Originals its answer is written with; and header metadata it sets
// reaches the answer.
func TestMirror_callContext(t *testing.T) {
	t.Parallel()
	srv := &contextServer{}
	ts := serve(t, srv, nil)
	got := call(t, ts, http.MethodGet, path, map[string]string{"X-Auth-Token": "caller-token", "X-Request-Id": "rid-1",
		"Authorization": "Bearer x", "Cache-Control": "no-cache",
		// Headers the facade does not read: no metadata.
		"User-Agent": "python-requests/2.32", "Accept": "*/*", "Cookie": "a=b", "Content-Type": "application/json",
		"Grpc-Metadata-X-Auth-Token": "forged", "X-Other": "y"})
	if got.status != http.StatusOK || got.body["id"] != "DE-1" {
		t.Fatalf("answer %d %v", got.status, got.body)
	}
	if srv.method != devenvv1.DevEnvService_GetInstance_FullMethodName {
		t.Errorf("grpc.Method %q; want %q", srv.method, devenvv1.DevEnvService_GetInstance_FullMethodName)
	}
	// The headers the facade reads, under the keys it reads them by;
	// nothing else.
	wantMD := map[string]string{"x-auth-token": "caller-token", "x-request-id": "rid-1", "authorization": "Bearer x",
		"grpcgateway-cache-control": "no-cache"}
	for k, want := range wantMD {
		if v := srv.incoming.Get(k); len(v) != 1 || v[0] != want {
			t.Errorf("incoming %s %q; want [%q]", k, v, want)
		}
	}
	for k := range srv.incoming {
		if _, ok := wantMD[k]; !ok {
			t.Errorf("incoming metadata has %s %q; want only %v's keys", k, srv.incoming[k], wantMD)
		}
	}
	if len(srv.outgoing) != 0 {
		t.Errorf("outgoing metadata %v; want none", srv.outgoing)
	}
	if srv.protocol != callctx.ProtocolREST {
		t.Errorf("protocol %q; want %q", srv.protocol, callctx.ProtocolREST)
	}
	if host, _, err := net.SplitHostPort(srv.peer); err != nil || host != "127.0.0.1" {
		t.Errorf("peer %q; want the client's loopback address", srv.peer)
	}
	if !srv.originals {
		t.Error("the call has no Originals")
	}
	if h := got.header.Get("X-Delete-Outcome"); h != "inferred" {
		t.Errorf("X-Delete-Outcome %q; want the header metadata the service set", h)
	}
}

// TestMirror_leavesTheRestOfABodyUnread: a call starts once its request
// is read, while the rest of its body is still to come: the whole body of
// a route that takes none (a DELETE's), or what follows the JSON value of
// one that does. grpc-gateway's handlers, which the mirror registers,
// would read it to its end before the call, so that a slow
// client would hold the call back (and its share of pending requests)
// until the body ended or the read timeout passed. (net/http still
// discards some of the body before it writes the answer.)
func TestMirror_leavesTheRestOfABodyUnread(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, method, path, head string
	}{
		{"no_body_route", http.MethodDelete, path, "{}"},
		{"after_the_json_value", http.MethodPost, path + "/action", `{"action":"start"}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			called := make(chan struct{}, 1)
			ts := serve(t, &fakeServer{}, func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
				called <- struct{}{}
				return h(ctx, req)
			})
			// The body: head, then nothing until the call has started.
			body, w := io.Pipe()
			go func() { _, _ = io.WriteString(w, tt.head) }()
			req, err := http.NewRequestWithContext(t.Context(), tt.method, ts.URL+tt.path, body)
			if err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() {
				resp, err := ts.Client().Do(req)
				if err == nil {
					resp.Body.Close()
				}
				done <- err
			}()
			select {
			case <-called:
			case <-time.After(30 * time.Second): // only if the mirror waits for the body
				t.Error("the call did not start while the body was still coming")
			}
			w.Close() // the body ends
			if err := <-done; err != nil {
				t.Errorf("no answer: %v", err)
			}
		})
	}
}
