package service_test

import (
	"strings"
	"testing"

	"google.golang.org/grpc/codes"

	notebookv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/notebook/v1"
	"github.com/devenv-facade/devenv-facade/internal/cloudauth"
	"github.com/devenv-facade/devenv-facade/internal/emulator"
	"github.com/devenv-facade/devenv-facade/internal/modelarts"
	"github.com/devenv-facade/devenv-facade/internal/statustest"
)

// TestGetNotebook_rejectsBadInputBeforeUpstream: a malformed project or
// notebook ID, and the vendor's literal segments in the notebook ID's
// place, fail with INVALID_ARGUMENT naming the field, and nothing reaches
// ModelArts.
func TestGetNotebook_rejectsBadInputBeforeUpstream(t *testing.T) {
	t.Parallel()
	emu := emulator.MustNew(emulator.Options{})
	h := start(t, emu, modelarts.Options{Credentials: cloudauth.Token("t")})
	tests := []struct {
		name, project, notebook string
		wantFields              []string
	}{
		{"empty_both", "", "", []string{"project_id", "notebook_id"}},
		{"project_uppercase", strings.ToUpper(project), emulator.SampleNotebookID, []string{"project_id"}},
		{"notebook_all", project, "all", []string{"notebook_id"}},
		{"notebook_ALL", project, "ALL", []string{"notebook_id"}},
		{"notebook_flavors", project, "Flavors", []string{"notebook_id"}},
		{"notebook_slash", project, "a/b", []string{"notebook_id"}},
		{"notebook_dot_dot", project, "..", []string{"notebook_id"}},
		{"notebook_percent", project, "%2F", []string{"notebook_id"}},
		{"notebook_query", project, "a?x=1", []string{"notebook_id"}},
		{"notebook_too_long", project, strings.Repeat("a", 65), []string{"notebook_id"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := h.notebooks.GetNotebook(t.Context(), &notebookv1.GetNotebookRequest{ProjectId: tt.project, NotebookId: tt.notebook})
			e := statustest.Error(t, err)
			if e.Code() != codes.InvalidArgument {
				t.Fatalf("code = %v (%v); want InvalidArgument", e.Code(), err)
			}
			var fields []string
			for _, v := range e.Violations() {
				fields = append(fields, v.GetField())
			}
			if strings.Join(fields, ",") != strings.Join(tt.wantFields, ",") {
				t.Errorf("violations name %v; want %v", fields, tt.wantFields)
			}
		})
	}
	if n := emu.RequestCount(); n != 0 {
		t.Errorf("ModelArts got %d requests; want none", n)
	}
}

// TestGetNotebook: a sample notebook comes back with its fields (the
// vendor's numbers as numbers, its nested objects); an unknown one is
// NOT_FOUND with the vendor's code and HTTP status.
func TestGetNotebook(t *testing.T) {
	t.Parallel()
	emu := emulator.MustNew(emulator.Options{})
	h := start(t, emu, modelarts.Options{Credentials: cloudauth.Token("t")})
	got, err := h.notebooks.GetNotebook(t.Context(), &notebookv1.GetNotebookRequest{ProjectId: project, NotebookId: emulator.SampleNotebookID})
	if err != nil {
		t.Fatal(err)
	}
	nb := got.GetNotebook()
	if nb.GetId() != emulator.SampleNotebookID || nb.GetName() != "notebooks_test" || nb.GetStatus() != "RUNNING" ||
		nb.GetFlavor() != "modelarts.vm.cpu.2u" || nb.GetCreateAt() == 0 || !nb.GetLease().GetEnable() || nb.GetImage().GetId() != emulator.SampleImageID {
		t.Errorf("GetNotebook = %v; want the RUNNING sample notebooks_test", nb)
	}
	_, err = h.notebooks.GetNotebook(t.Context(), &notebookv1.GetNotebookRequest{ProjectId: project, NotebookId: "00000000-0000-4000-8000-000000000000"})
	if e := statustest.Error(t, err); e.Code() != codes.NotFound || e.VendorCode() != "ModelArts.6309" || e.HTTPStatus() != 400 {
		t.Errorf("unknown notebook: %v %q %d; want NOT_FOUND ModelArts.6309 400", e.Code(), e.VendorCode(), e.HTTPStatus())
	}
}
