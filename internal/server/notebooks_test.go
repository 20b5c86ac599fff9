package server_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"

	notebookv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/notebook/v1"
	"github.com/devenv-facade/devenv-facade/internal/emulator"
	"github.com/devenv-facade/devenv-facade/internal/statustest"
)

// TestNotebookService_served: the facade serves NotebookService over gRPC,
// with its own gRPC health status, SERVING once the facade is ready.
func TestNotebookService_served(t *testing.T) {
	t.Parallel()
	f, _ := startLifecycle(t, newFakeClock(), nil, emulator.Options{})
	if err := waitServing(t, f.conn, notebookv1.NotebookService_ServiceDesc.ServiceName); err != nil {
		t.Fatalf("health of NotebookService: %v", err)
	}
	got, err := f.notebooks.GetNotebook(t.Context(), &notebookv1.GetNotebookRequest{ProjectId: project, NotebookId: emulator.SampleNotebookID})
	if err != nil {
		t.Fatal(err)
	}
	if nb := got.GetNotebook(); nb.GetId() != emulator.SampleNotebookID || nb.GetStatus() != "RUNNING" || nb.GetLease().GetDuration() == 0 {
		t.Errorf("GetNotebook = %v; want the RUNNING sample with its lease", nb)
	}
	raw, err := proto.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	for _, nb := range emulator.SampleNotebooks() {
		if bytes.Contains(raw, []byte(nb.Token)) {
			t.Errorf("the gRPC answer holds the notebook's token %q", nb.Token)
		}
	}
	_, err = f.notebooks.GetNotebook(t.Context(), &notebookv1.GetNotebookRequest{ProjectId: project, NotebookId: "00000000-0000-4000-8000-000000000000"})
	if e := statustest.Error(t, err); e.Code() != codes.NotFound || e.VendorCode() != "ModelArts.6309" || e.HTTPStatus() != 400 {
		t.Errorf("GetNotebook of an unknown ID: %v %s %d; want NOT_FOUND ModelArts.6309 (HTTP 400)", e.Code(), e.VendorCode(), e.HTTPStatus())
	}
}

// TestNotebookGet_mirror: for every sample notebook, the mirror's answer
// to GET .../notebooks/{id} has the keys and JSON types of ModelArts' own
// answer, less the notebook's token, which is nowhere in it.
func TestNotebookGet_mirror(t *testing.T) {
	t.Parallel()
	f, direct := startLifecycle(t, newFakeClock(), nil, emulator.Options{})
	path := "/v1/" + project + "/notebooks/"
	for _, nb := range emulator.SampleNotebooks() {
		code, got := mirrorCall(t, http.MethodGet, f.httpURL+path+nb.ID, "")
		if code != 200 {
			t.Errorf("get %s: %d %v", nb.ID, code, got)
			continue
		}
		want := fetchDirect(t, direct+path+nb.ID)
		if want["token"] != nb.Token {
			t.Fatalf("the emulator's answer for %s lacks the token %q: the test proves nothing", nb.ID, nb.Token)
		}
		delete(want, "token")
		sameShape(t, "get "+nb.ID, want, got)
		raw, _ := json.Marshal(got)
		if bytes.Contains(raw, []byte(nb.Token)) {
			t.Errorf("get %s: the mirror's answer holds the notebook's token", nb.ID)
		}
	}
}

// TestNotebookErrors_mirror: on the new API's paths the mirror answers
// errors in the new API's shape, {"error_code", "error_msg"}, whether
// ModelArts or the facade raised them; the old API's paths keep
// error_message.
func TestNotebookErrors_mirror(t *testing.T) {
	t.Parallel()
	f, _ := startLifecycle(t, newFakeClock(), nil, emulator.Options{})
	base := f.httpURL + "/v1/" + project
	tests := []struct {
		name, path   string
		code         int
		errorCode    string
		messageField string
	}{
		{"notebook_not_found", "/notebooks/00000000-0000-4000-8000-000000000000", 400, "ModelArts.6309", "error_msg"},
		{"notebook_bad_id", "/notebooks/a%2Fb", 400, "ModelArts.6309", "error_msg"}, // refused by the facade, with the vendor's code
		{"facade_rule", "/notebooks?page_size=5&offset=5", 400, "Facade.INVALID_ARGUMENT", "error_msg"},
		{"instance_not_found", "/demanager/instances/DE-00000000-0000-4000-8000-000000000000", 400, "ModelArts.6309", "error_message"},
	}
	for _, path := range []string{"/notebooks/" + emulator.SampleNotebookID + "/unknown", "/notebooks/all/x", "/images/group/x"} {
		code, body := mirrorCall(t, http.MethodGet, base+path, "")
		if code != 404 || body["error_code"] != "APIGW.0101" || body["error_msg"] == nil || body["request_id"] == nil {
			t.Errorf("GET %s: %d %v; want the gateway's 404 APIGW.0101", path, code, body)
		}
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body := mirrorCall(t, http.MethodGet, base+tt.path, "")
			if code != tt.code || body["error_code"] != tt.errorCode {
				t.Fatalf("GET %s: %d %v; want %d %s", tt.path, code, body, tt.code, tt.errorCode)
			}
			if msg, _ := body[tt.messageField].(string); msg == "" || len(body) != 2 {
				t.Errorf("GET %s: %v; want exactly error_code and a non-empty %s", tt.path, body, tt.messageField)
			}
		})
	}
}

// TestNotebookList_workspaceSpellings: the mirror's notebook lists take
// the workspace as the vendor's workspaceId and as workspace_id alike (not
// both), and it reaches ModelArts as workspaceId.
func TestNotebookList_workspaceSpellings(t *testing.T) {
	t.Parallel()
	f, _ := startLifecycle(t, newFakeClock(), nil, emulator.Options{})
	base := f.httpURL + "/v1/" + project + "/notebooks"
	const other = "0123456789abcdef0123456789abcdef"
	for _, tt := range []struct {
		query string
		code  int
		total string
	}{
		{"?workspaceId=0", 200, "8"},
		{"?workspace_id=0", 200, "8"},
		{"?workspaceId=" + other, 200, "0"},
		{"?workspace_id=" + other, 200, "0"},
		{"?workspaceId=0&workspace_id=0", 400, ""},
		{"?workspaceId=ws-1", 400, ""},
	} {
		code, body := mirrorCall(t, http.MethodGet, base+tt.query, "")
		if code != tt.code || tt.total != "" && body["total"] != json.Number(tt.total) {
			t.Errorf("GET %s: %d total %v; want %d total %s", tt.query, code, body["total"], tt.code, tt.total)
		}
	}
}
