package service_test

import (
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

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

// TestListNotebooks_pages: page_size and page_token walk the caller's
// notebooks and, with ListAllNotebooks, every user's, each notebook once;
// the vendor's offset and limit answer the vendor's envelope; a token is
// bound to its list (not another list's, not other filters).
func TestListNotebooks_pages(t *testing.T) {
	t.Parallel()
	emu := emulator.MustNew(emulator.Options{})
	h := start(t, emu, modelarts.Options{Credentials: cloudauth.Token("t")})
	ctx := t.Context()
	own, all := map[string]bool{}, map[string]bool{}
	var token string
	for pages := 0; ; pages++ {
		resp, err := h.notebooks.ListNotebooks(ctx, &notebookv1.ListNotebooksRequest{ProjectId: project, PageSize: 2, PageToken: token})
		if err != nil || pages > 10 {
			t.Fatalf("page %d: %v", pages, err)
		}
		for _, nb := range resp.GetData() {
			if own[nb.GetId()] {
				t.Errorf("notebook %s listed twice", nb.GetId())
			}
			own[nb.GetId()] = true
		}
		if token = resp.GetNextPageToken(); token == "" {
			break
		}
		if _, err := h.notebooks.ListAllNotebooks(ctx, &notebookv1.ListAllNotebooksRequest{ProjectId: project, PageSize: 2, PageToken: token}); status.Code(err) != codes.InvalidArgument {
			t.Errorf("a ListNotebooks token given to ListAllNotebooks: %v; want INVALID_ARGUMENT", err)
		}
		if _, err := h.notebooks.ListNotebooks(ctx, &notebookv1.ListNotebooksRequest{ProjectId: project, PageSize: 2, PageToken: token, Status: "RUNNING"}); status.Code(err) != codes.InvalidArgument {
			t.Errorf("a token given with other filters: %v; want INVALID_ARGUMENT", err)
		}
	}
	for token = ""; ; {
		resp, err := h.notebooks.ListAllNotebooks(ctx, &notebookv1.ListAllNotebooksRequest{ProjectId: project, PageSize: 3, PageToken: token})
		if err != nil {
			t.Fatal(err)
		}
		for _, nb := range resp.GetData() {
			all[nb.GetId()] = true
		}
		if token = resp.GetNextPageToken(); token == "" {
			break
		}
	}
	samples := emulator.SampleNotebooks()
	if len(all) != len(samples) || len(own) != len(samples)-1 {
		t.Errorf("listed %d own and %d of all users; want %d and %d", len(own), len(all), len(samples)-1, len(samples))
	}
	resp, err := h.notebooks.ListNotebooks(ctx, &notebookv1.ListNotebooksRequest{ProjectId: project, Offset: 2, Limit: 3, SortDir: "asc", Name: "notebook"})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Size == nil || resp.GetSize() != 3 || resp.Total == nil || len(resp.GetData()) != 3 || resp.GetNextPageToken() != "" {
		t.Errorf("offset 2, limit 3: size %v total %v, %d notebooks, token %q; want the vendor's envelope of 3", resp.Size, resp.Total, len(resp.GetData()), resp.GetNextPageToken())
	}
}
