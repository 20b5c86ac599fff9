package mirror_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/genproto/googleapis/api/annotations"

	"github.com/devenv-facade/devenv-facade/internal/rpcdecl"
)

// TestOpenAPICoversEveryRoute: the OpenAPI documents in gen/ (one per
// proto file) have every path and method the HTTP rules of the RPCs the
// facade serves (package rpcdecl) give the mirror, and no other.
func TestOpenAPICoversEveryRoute(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("../../gen/openapiv2/*/*/*/*.swagger.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no OpenAPI document in gen/openapiv2: %v", err)
	}
	documented := map[string]bool{}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Paths map[string]map[string]json.RawMessage `json:"paths"`
		}
		if err := json.Unmarshal(raw, &doc); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for path, ops := range doc.Paths {
			for method := range ops {
				documented[strings.ToUpper(method)+" "+path] = true
			}
		}
	}
	routes := map[string]bool{}
	for _, rpc := range rpcdecl.Served().RPCs() {
		m, rule := rpc.Desc, rpc.HTTP
		if rule == nil {
			continue // gRPC only
		}
		var route string
		switch p := rule.GetPattern().(type) {
		case *annotations.HttpRule_Get:
			route = "GET " + p.Get
		case *annotations.HttpRule_Post:
			route = "POST " + p.Post
		case *annotations.HttpRule_Put:
			route = "PUT " + p.Put
		case *annotations.HttpRule_Delete:
			route = "DELETE " + p.Delete
		case *annotations.HttpRule_Patch:
			route = "PATCH " + p.Patch
		default:
			t.Fatalf("%s: unexpected HTTP rule %v", m.Name(), rule)
		}
		routes[route] = true
		if !documented[route] {
			t.Errorf("%s: %s is not in the OpenAPI document", m.Name(), route)
		}
	}
	for route := range documented {
		if !routes[route] {
			t.Errorf("the OpenAPI document has %s, which no RPC serves", route)
		}
	}
	if len(routes) < 6+22 {
		t.Errorf("found %d routes; want the 6 of the vendor's old API and the 22 of its new one", len(routes))
	}
}
