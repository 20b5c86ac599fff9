package modelarts_test

import (
	"testing"

	"github.com/devenv-facade/devenv-facade/internal/modelarts"
)

// TestEndpoints: the package's endpoint declarations compile (their
// templates are literals, checked here rather than at a caller's first
// call), and malformed templates are refused.
func TestEndpoints(t *testing.T) {
	for _, op := range []modelarts.Operation{
		modelarts.CreateInstance.Operation(), modelarts.ListInstances.Operation(), modelarts.GetInstance.Operation(),
		modelarts.UpdateInstance.Operation(), modelarts.InstanceAction.Operation(), modelarts.DeleteInstance.Operation(),
	} {
		if op.Name == "" || op.Method == "" || op.Path == "" {
			t.Errorf("incomplete operation %+v", op)
		}
	}
	for _, path := range []string{"v1/x", "/v1//x", "/v1/{}", "/v1/{a", "/v1/a b", "/v1/{a}b"} {
		if _, err := modelarts.NewEndpoint[struct{}](modelarts.Operation{Name: "x", Method: "GET", Path: path}); err == nil {
			t.Errorf("NewEndpoint accepted the template %q", path)
		}
	}
}
