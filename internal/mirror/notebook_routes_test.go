package mirror_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"

	notebookv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/notebook/v1"
)

// recordingNotebooks is a NotebookService that records which of its read
// methods grpc-gateway called, and answers each with an empty message.
type recordingNotebooks struct {
	notebookv1.UnimplementedNotebookServiceServer
	called string
}

func (s *recordingNotebooks) ListNotebooks(context.Context, *notebookv1.ListNotebooksRequest) (*notebookv1.ListNotebooksResponse, error) {
	s.called = "ListNotebooks"
	return &notebookv1.ListNotebooksResponse{}, nil
}

func (s *recordingNotebooks) ListAllNotebooks(context.Context, *notebookv1.ListAllNotebooksRequest) (*notebookv1.ListAllNotebooksResponse, error) {
	s.called = "ListAllNotebooks"
	return &notebookv1.ListAllNotebooksResponse{}, nil
}

func (s *recordingNotebooks) GetNotebook(context.Context, *notebookv1.GetNotebookRequest) (*notebookv1.GetNotebookResponse, error) {
	s.called = "GetNotebook"
	return &notebookv1.GetNotebookResponse{}, nil
}

func (s *recordingNotebooks) ListFlavors(context.Context, *notebookv1.ListFlavorsRequest) (*notebookv1.ListFlavorsResponse, error) {
	s.called = "ListFlavors"
	return &notebookv1.ListFlavorsResponse{}, nil
}

func (s *recordingNotebooks) ListSwitchableFlavors(context.Context, *notebookv1.ListSwitchableFlavorsRequest) (*notebookv1.ListSwitchableFlavorsResponse, error) {
	s.called = "ListSwitchableFlavors"
	return &notebookv1.ListSwitchableFlavorsResponse{}, nil
}

func (s *recordingNotebooks) ListImages(context.Context, *notebookv1.ListImagesRequest) (*notebookv1.ListImagesResponse, error) {
	s.called = "ListImages"
	return &notebookv1.ListImagesResponse{}, nil
}

func (s *recordingNotebooks) GetImage(context.Context, *notebookv1.GetImageRequest) (*notebookv1.GetImageResponse, error) {
	s.called = "GetImage"
	return &notebookv1.GetImageResponse{}, nil
}

func (s *recordingNotebooks) ListImageGroups(context.Context, *notebookv1.ListImageGroupsRequest) (*notebookv1.ListImageGroupsResponse, error) {
	s.called = "ListImageGroups"
	return &notebookv1.ListImageGroupsResponse{}, nil
}

// TestNotebookLiteralRoutesWin: the vendor's literal paths beside a
// wildcard (GET .../notebooks/all and .../notebooks/flavors beside
// .../notebooks/{id}, .../images/group beside .../images/{id}) reach their
// own RPC through the generated gateway, and the wildcard paths reach
// theirs. grpc-gateway's mux tries its rules in the reverse order of their
// registration and takes the first that matches, and the generated
// RegisterNotebookServiceHandlerServer registers them in the proto's
// order: the literal rules must be declared after the wildcard ones. The
// test uses a bare runtime.ServeMux and the generated handlers, nothing of
// the mirror.
func TestNotebookLiteralRoutesWin(t *testing.T) {
	t.Parallel()
	srv := &recordingNotebooks{}
	mux := runtime.NewServeMux()
	if err := notebookv1.RegisterNotebookServiceHandlerServer(t.Context(), mux, srv); err != nil {
		t.Fatal(err)
	}
	const p = "/v1/0123456789abcdef0123456789abcdef"
	for path, want := range map[string]string{
		p + "/notebooks":         "ListNotebooks",
		p + "/notebooks/all":     "ListAllNotebooks",
		p + "/notebooks/flavors": "ListFlavors",
		p + "/notebooks/f9937afa-4451-42db-a76b-72d624749f66": "GetNotebook",
		p + "/notebooks/alls": "GetNotebook",
		p + "/notebooks/f9937afa-4451-42db-a76b-72d624749f66/flavors": "ListSwitchableFlavors",
		p + "/notebooks/all/flavors":                                  "ListSwitchableFlavors",
		p + "/images":                                                 "ListImages",
		p + "/images/group":                                           "ListImageGroups",
		p + "/images/e1a07296-22a8-4f05-8bc8-e936c8e54090":            "GetImage",
		p + "/images/groups":                                          "GetImage",
	} {
		srv.called = ""
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequestWithContext(t.Context(), http.MethodGet, path, nil))
		if srv.called != want || rec.Code != http.StatusOK {
			t.Errorf("GET %s: called %q (HTTP %d); want %s", path, srv.called, rec.Code, want)
		}
	}
}
