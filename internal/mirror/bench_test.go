package mirror_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"

	devenvv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/devenv/v1"
	"github.com/devenv-facade/devenv-facade/internal/mirror"
)

// benchServer answers at once, so that the benchmarks below measure the
// mirror: routing, reading the request, the in-process call through an
// interceptor, header metadata, and writing the answer.
type benchServer struct {
	devenvv1.UnimplementedDevEnvServiceServer
	inst *devenvv1.Instance
}

func (s *benchServer) GetInstance(context.Context, *devenvv1.GetInstanceRequest) (*devenvv1.GetInstanceResponse, error) {
	return &devenvv1.GetInstanceResponse{Instance: s.inst}, nil
}

func (s *benchServer) ActOnInstance(context.Context, *devenvv1.ActOnInstanceRequest) (*devenvv1.ActOnInstanceResponse, error) {
	return &devenvv1.ActOnInstanceResponse{CurrentStatus: "STARTING", PreviousState: "STOPPED"}, nil
}

func (s *benchServer) DeleteInstance(ctx context.Context, req *devenvv1.DeleteInstanceRequest) (*devenvv1.DeleteInstanceResponse, error) {
	_ = grpc.SetHeader(ctx, metadata.Pairs("x-request-id", "rid", "x-delete-outcome", "inferred"))
	return &devenvv1.DeleteInstanceResponse{InstanceId: req.GetInstanceId()}, nil
}

// BenchmarkREST is one REST call through the mirror, in process, to a
// service that answers at once: what the mirror costs a call (about 100
// allocations, 12 KiB).
func BenchmarkREST(b *testing.B) {
	srv := &benchServer{inst: &devenvv1.Instance{Id: proto.String("DE-1"), Name: proto.String("notebook-1"),
		Status: proto.String("RUNNING"), Flavor: proto.String("modelarts.vm.cpu.2u")}}
	interceptor := func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		_ = grpc.SetHeader(ctx, metadata.Pairs("x-request-id", "rid"))
		return h(ctx, req)
	}
	h, err := mirror.New(b.Context(), []mirror.Service{mirror.DevEnvService(srv)}, interceptor, mirror.Options{})
	if err != nil {
		b.Fatal(err)
	}
	const base = "/v1/0123456789abcdef0123456789abcdef/demanager/instances/DE-1"
	for _, bc := range []struct {
		name, method, url, body string
	}{
		{"GetInstance", http.MethodGet, base, ""},
		{"ActOnInstance", http.MethodPost, base + "/action", `{"action":"start"}`},
		{"DeleteInstance", http.MethodDelete, base + "?allow_missing=true", ""},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				req := httptest.NewRequestWithContext(b.Context(), bc.method, bc.url, strings.NewReader(bc.body))
				req.Header.Set("X-Auth-Token", "caller-token")
				w := httptest.NewRecorder()
				h.ServeHTTP(w, req)
				if w.Code != http.StatusOK {
					b.Fatal(w.Code, w.Body.String())
				}
			}
		})
	}
}
