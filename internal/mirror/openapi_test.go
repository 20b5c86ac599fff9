package mirror_test

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"google.golang.org/genproto/googleapis/api/annotations"
	"google.golang.org/protobuf/proto"

	devenvv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/devenv/v1"
)

// TestOpenAPICoversEveryRoute: the OpenAPI document in gen/ has every path
// and method the proto's HTTP rules give the mirror, and no other.
func TestOpenAPICoversEveryRoute(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile("../../gen/openapiv2/modelarts/devenv/v1/devenv.swagger.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	for path, ops := range doc.Paths {
		for method := range ops {
			documented[strings.ToUpper(method)+" "+path] = true
		}
	}
	routes := map[string]bool{}
	methods := devenvv1.File_modelarts_devenv_v1_devenv_proto.Services().ByName("DevEnvService").Methods()
	for i := range methods.Len() {
		m := methods.Get(i)
		rule, _ := proto.GetExtension(m.Options(), annotations.E_Http).(*annotations.HttpRule)
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
	if len(routes) < 6 {
		t.Errorf("found %d routes; want the six of the vendor's API", len(routes))
	}
}
