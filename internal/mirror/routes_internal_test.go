package mirror

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"

	"google.golang.org/grpc"

	devenvv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/devenv/v1"
	notebookv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/notebook/v1"
	"github.com/devenv-facade/devenv-facade/internal/rpcdecl"
)

// TestRoutesAsTheGatewayRoutes: for a path of each of the API's rules,
// the mirror's route table (which decides the gateway's 404, reads the
// query and knows the streaming routes) finds the rule grpc-gateway's mux
// calls the RPC of, unary or streaming.
func TestRoutesAsTheGatewayRoutes(t *testing.T) {
	t.Parallel()
	var called string
	h, err := New(t.Context(), []Service{DevEnvService(devenvv1.UnimplementedDevEnvServiceServer{}), NotebookService(notebookv1.UnimplementedNotebookServiceServer{})},
		func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
			called = info.FullMethod
			return handler(ctx, req)
		}, Options{StreamInterceptor: func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
			// The call has ended when the mirror's handler returns.
			called = info.FullMethod
			return handler(srv, ss)
		}})
	if err != nil {
		t.Fatal(err)
	}
	if len(routeTable) == 0 {
		t.Fatal("no routes")
	}
	for _, rt := range routeTable {
		if rt.serverStreaming != rpcdecl.Served().Lookup(rt.rpc).Desc.IsStreamingServer() {
			t.Errorf("%s %s: serverStreaming %v; want the RPC's", rt.method, rt.template, rt.serverStreaming)
		}
		segs := append([]string(nil), rt.segments...)
		for i, s := range segs {
			if s == "*" {
				segs[i] = "x" + strconv.Itoa(i)
			}
		}
		p := "/" + strings.Join(segs, "/")
		if found := routeTable.find(rt.method, p); found == nil || found.rpc != rt.rpc {
			t.Errorf("%s %s: the route table finds %v; want %s", rt.method, p, found, rt.rpc)
		}
		called = ""
		body := ""
		if rt.wholeBody {
			body = "{}"
		}
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequestWithContext(t.Context(), rt.method, p, strings.NewReader(body)))
		if called != rt.rpc {
			t.Errorf("%s %s: the gateway called %q; want %s", rt.method, p, called, rt.rpc)
		}
	}
}

// TestFind_literalBeforeVariable: of two rules that match a path, find
// takes the one with a literal segment where the other has a variable,
// whatever their order; checkOrder refuses the order in which
// grpc-gateway's mux would take the other (it tries the rule declared
// last first).
func TestFind_literalBeforeVariable(t *testing.T) {
	t.Parallel()
	rule := func(rpc, template string) route {
		segs, vars := templateSegments(template)
		return route{rpc: rpc, template: template, method: http.MethodGet, segments: segs, vars: vars}
	}
	show := rule("/nb.v1.Notebooks/ShowNotebook", "/v1/{project_id}/notebooks/{id}")
	all := rule("/nb.v1.Notebooks/ListAllNotebooks", "/v1/{project_id}/notebooks/all")
	flavors := rule("/nb.v1.Notebooks/ListFlavors", "/v1/{project_id}/notebooks/flavors")
	for _, rs := range []routes{{show, all, flavors}, {all, flavors, show}} {
		for path, want := range map[string]string{
			"/v1/p/notebooks/all":     all.rpc,
			"/v1/p/notebooks/flavors": flavors.rpc,
			"/v1/p/notebooks/n-1":     show.rpc,
		} {
			if got := rs.find(http.MethodGet, path); got == nil || got.rpc != want {
				t.Errorf("routes %s, %s, %s: %s finds %v; want %s", rs[0].template, rs[1].template, rs[2].template, path, got, want)
			}
		}
	}
	if err := (routes{show, all, flavors}).checkOrder(); err != nil {
		t.Errorf("literal rules after the variable one: %v", err)
	}
	err := (routes{all, show}).checkOrder()
	if err == nil || !strings.Contains(err.Error(), "declare /nb.v1.Notebooks/ListAllNotebooks after /nb.v1.Notebooks/ShowNotebook") {
		t.Errorf("a literal rule before the variable one: %v; want an error saying what to declare after what", err)
	}
	other := rule("/other.v1.Other/Get", "/v1/{project_id}/notebooks/{id}")
	if err := (routes{all, other}).checkOrder(); err != nil {
		t.Errorf("rules of two services: %v; want them not compared", err)
	}
	post := all
	post.method = http.MethodPost
	if err := (routes{post, show}).checkOrder(); err != nil {
		t.Errorf("rules of two HTTP methods: %v", err)
	}
}

// TestCutSegments: the segments find matches are strings.Split's, empty
// ones included, up to the bound; a path with more matches no rule.
func TestCutSegments(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("a/", maxRouteSegments-1) + "a"
	for _, path := range []string{"", "v1", "v1/", "/v1", "v1//x", "v1/p/demanager/instances/DE-1", "%2F/a%2Fb/", long} {
		var buf [maxRouteSegments]string
		got, ok := cutSegments(buf[:0], path)
		if want := strings.Split(path, "/"); !ok || !slices.Equal(got, want) {
			t.Errorf("cutSegments(%q) = %q, %v; want %q", path, got, ok, want)
		}
	}
	var buf [maxRouteSegments]string
	if got, ok := cutSegments(buf[:0], long+"/a"); ok {
		t.Errorf("cutSegments of %d segments = %q; want false", maxRouteSegments+1, got)
	}
	if rt := routeTable.find("GET", "/"+long+"/a"); rt != nil {
		t.Errorf("find of %d segments = %s", maxRouteSegments+1, rt.template)
	}
}
