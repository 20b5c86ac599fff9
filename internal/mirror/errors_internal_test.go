package mirror

import (
	"strings"
	"testing"

	devenvv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/devenv/v1"
	notebookv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/notebook/v1"
	"github.com/devenv-facade/devenv-facade/internal/apierror"
)

// TestVendorValidationCode: a violation's code is its RPC's entry for the
// field, else its service's, by the violation's reason; list indices do
// not count; a field, reason or RPC the table does not know has none.
func TestVendorValidationCode(t *testing.T) {
	t.Parallel()
	const (
		required  = apierror.ViolationRequired
		malformed = apierror.ViolationMalformed
	)
	tests := []struct {
		name, rpc, field, reason, want string
	}{
		{"old_api_any_rpc", devenvv1.DevEnvService_ListInstances_FullMethodName, "status", malformed, "ModelArts.6336"},
		{"old_api_required", devenvv1.DevEnvService_ActOnInstance_FullMethodName, "action", required, "ModelArts.6335"},
		{"old_api_no_code_for_reason", devenvv1.DevEnvService_ListInstances_FullMethodName, "status", required, ""},
		{"old_api_field_of_the_new", devenvv1.DevEnvService_ListInstances_FullMethodName, "sort_key", malformed, ""},
		{"new_api_field_of_the_old", notebookv1.NotebookService_ListNotebooks_FullMethodName, "sortby", malformed, ""},
		{"service_entry", notebookv1.NotebookService_GetNotebook_FullMethodName, "notebook_id", malformed, "ModelArts.6309"},
		{"service_entry_create", notebookv1.NotebookService_CreateNotebook_FullMethodName, "flavor", required, "ModelArts.6335"},
		{"rpc_entry_wins", notebookv1.NotebookService_UpdateNotebook_FullMethodName, "flavor", required, "ModelArts.6336"},
		{"rpc_entry_wins_by_name", notebookv1.NotebookService_ListImages_FullMethodName, "name", malformed, "ModelArts.6336"},
		{"rpc_entry_without_code", notebookv1.NotebookService_CreateNotebook_FullMethodName, "volume.uri", malformed, ""},
		{"rpc_only_field", notebookv1.NotebookService_ListAllNotebooks_FullMethodName, "owner", malformed, "ModelArts.6336"},
		{"rpc_only_field_elsewhere", notebookv1.NotebookService_ListNotebooks_FullMethodName, "owner", malformed, ""},
		{"indices", notebookv1.NotebookService_CreateNotebook_FullMethodName, "endpoints[1].allowed_access_ips[12]", malformed, "ModelArts.6336"},
		{"index_of_a_list_field", notebookv1.NotebookService_RegisterImage_FullMethodName, "resource_category[0]", malformed, "ModelArts.6336"},
		{"unknown_field", notebookv1.NotebookService_CreateNotebook_FullMethodName, "nickname", malformed, ""},
		{"unknown_reason", notebookv1.NotebookService_CreateNotebook_FullMethodName, "name", "TOO_LONG", ""},
		{"no_rpc", "", "status", malformed, ""},
		{"unknown_rpc", "/other.v1.Service/Method", "status", malformed, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := vendorValidationCode(tt.rpc, apierror.Violation(tt.field, tt.reason, "d")); got != tt.want {
				t.Errorf("vendorValidationCode(%q, %s %s) = %q; want %q", tt.rpc, tt.field, tt.reason, got, tt.want)
			}
		})
	}
}

// TestVendorValidationCodes_keys: the table's keys name the services and
// RPCs the mirror serves (a key that names none would never be used), its
// fields have no list indices, and every code is the vendor's.
func TestVendorValidationCodes_keys(t *testing.T) {
	t.Parallel()
	served := map[string]bool{}
	for _, rt := range routeTable {
		served[rt.rpc], served[rt.service] = true, true
	}
	for key, fields := range vendorValidationCodes {
		if !served[key] {
			t.Errorf("%s is no service or RPC the mirror serves", key)
		}
		for field, codes := range fields {
			if strings.ContainsAny(field, "[]") {
				t.Errorf("%s: field %s has list indices", key, field)
			}
			for _, c := range []string{codes.required, codes.malformed} {
				if c != "" && !strings.HasPrefix(c, "ModelArts.") {
					t.Errorf("%s: %s: %q is not a vendor code", key, field, c)
				}
			}
		}
	}
}

// TestWithoutIndices: list indices go, the rest of the path stays.
func TestWithoutIndices(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"name":                                "name",
		"endpoints[0].service":                "endpoints.service",
		"endpoints[1].allowed_access_ips[12]": "endpoints.allowed_access_ips",
		"services[3]":                         "services",
		"broken[0":                            "broken[0",
	} {
		if got := withoutIndices(in); got != want {
			t.Errorf("withoutIndices(%q) = %q; want %q", in, got, want)
		}
	}
}
