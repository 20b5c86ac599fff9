package modelarts_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/devenv-facade/devenv-facade/internal/emulator"
	"github.com/devenv-facade/devenv-facade/internal/modelarts"
)

// sentOnce are the operations never resent, whatever happens: the
// creates, the actions, lease renewal, mounting and unmounting, image
// creation and registration (issue 21's plan); every other one is
// idempotent and retried.
var sentOnce = []string{
	"CreateInstance", "InstanceAction",
	"CreateNotebook", "StartNotebook", "StopNotebook", "RenewLease", "AttachStorageMount", "DetachStorageMount",
	"CreateImage", "RegisterImage",
}

// TestEndpoints: the package's endpoint declarations compile (their
// templates are literals, checked here rather than at a caller's first
// call), have distinct names, and are idempotent as decided; malformed
// templates and reserved values for a parameter the template lacks are
// refused.
func TestEndpoints(t *testing.T) {
	ops := modelarts.Operations()
	if len(ops) != 6+22 {
		t.Errorf("%d operations; want the old API's 6 and the new one's 22", len(ops))
	}
	names := map[string]bool{}
	for _, op := range ops {
		if op.Name == "" || op.Method == "" || op.Path == "" {
			t.Errorf("incomplete operation %+v", op)
		}
		if names[op.Name] {
			t.Errorf("two operations named %s", op.Name)
		}
		names[op.Name] = true
		if want := !slices.Contains(sentOnce, op.Name); op.Idempotent != want {
			t.Errorf("%s: Idempotent %v; want %v", op.Name, op.Idempotent, want)
		}
		if len(op.InferredBy) > 0 && (!op.Idempotent || op.Method != http.MethodDelete) {
			t.Errorf("%s infers success from %v but is not a retried delete", op.Name, op.InferredBy)
		}
	}
	for _, path := range []string{"v1/x", "/v1//x", "/v1/{}", "/v1/{a", "/v1/a b", "/v1/{a}b"} {
		if _, err := modelarts.NewEndpoint[struct{}](modelarts.Operation{Name: "x", Method: "GET", Path: path}); err == nil {
			t.Errorf("NewEndpoint accepted the template %q", path)
		}
	}
	if _, err := modelarts.NewEndpoint[struct{}](modelarts.Operation{Name: "x", Method: "GET", Path: "/v1/{id}", Reserved: map[string][]string{"other": {"all"}}}); err == nil {
		t.Error("NewEndpoint accepted reserved values for a parameter the template lacks")
	}
}

// TestOperations_reserveSiblingLiterals derives, from the templates alone,
// the values each path parameter must refuse: wherever one template has a
// literal segment and another, alike up to there, a parameter
// (.../notebooks/all beside .../notebooks/{id}), that literal as the
// parameter's value would reach the other route. Every such literal must
// be in the parameter's Reserved list, so that adding a route cannot
// open a way around the guard.
func TestOperations_reserveSiblingLiterals(t *testing.T) {
	t.Parallel()
	ops := modelarts.Operations()
	segs := func(op modelarts.Operation) []string { return strings.Split(op.Path[1:], "/") }
	isParam := func(s string) bool { return strings.HasPrefix(s, "{") }
	checked := 0
	for _, b := range ops {
		bs := segs(b)
		for _, a := range ops {
			as := segs(a)
			for i := 0; i < min(len(as), len(bs)); i++ {
				if isParam(bs[i]) && !isParam(as[i]) {
					name := strings.Trim(bs[i], "{}")
					checked++
					if !slices.Contains(b.Reserved[name], as[i]) {
						t.Errorf("%s: {%s} does not reserve %q, which routes to %s (%s)", b.Name, name, as[i], a.Name, a.Path)
					}
				}
				if isParam(as[i]) != isParam(bs[i]) || !isParam(as[i]) && as[i] != bs[i] {
					break // the paths part here
				}
			}
		}
	}
	if checked == 0 {
		t.Error("no literal beside a parameter was found: the test checks nothing")
	}
}

// TestReservedPathValues: a notebook ID "all" or "flavors" and an image ID
// "group", in any case, are refused before anything is sent, on every
// route that takes one; values that only contain them are sent, escaped.
func TestReservedPathValues(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	_, c := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		answer(http.StatusOK, `{}`)(w, r)
	}, modelarts.Options{})
	endpoints := []modelarts.Endpoint[json.RawMessage]{
		modelarts.GetNotebook, modelarts.UpdateNotebook, modelarts.DeleteNotebook, modelarts.StartNotebook, modelarts.StopNotebook,
		modelarts.GetLease, modelarts.RenewLease, modelarts.ListSwitchableFlavors, modelarts.CreateImage,
		modelarts.ListStorageMounts, modelarts.AttachStorageMount, modelarts.GetStorageMount, modelarts.DetachStorageMount,
		modelarts.GetImage, modelarts.DeleteImage,
	}
	for _, ep := range endpoints {
		op := ep.Operation()
		isImage := strings.HasPrefix(op.Path, "/v1/{project_id}/images/")
		refused := []string{"all", "ALL", "Flavors", "flavors"}
		if isImage {
			refused = []string{"group", "GROUP", "Group"}
		}
		params := func(id string) []string {
			if strings.HasSuffix(op.Path, "{storage_id}") {
				return []string{testProject, id, "m"}
			}
			return []string{testProject, id}
		}
		for _, id := range refused {
			before := calls.Load()
			_, _, err := ep.Call(t.Context(), c, modelarts.Request{Params: params(id)})
			if !errors.Is(err, modelarts.ErrInvalidPathSegment) || calls.Load() != before {
				t.Errorf("%s with ID %q: err %v, %d requests sent; want ErrInvalidPathSegment and none", op.Name, id, err, calls.Load()-before)
			}
		}
		for _, id := range []string{"all-1", "allflavors", "group1", "%61ll", "all/", " all"} {
			if _, _, err := ep.Call(t.Context(), c, modelarts.Request{Params: params(id)}); err != nil {
				t.Errorf("%s with ID %q: %v; want it sent", op.Name, id, err)
			}
		}
	}
	// Elsewhere the literals are plain values: a mount ID "all".
	if _, _, err := modelarts.GetStorageMount.Call(t.Context(), c, modelarts.Request{Params: []string{testProject, "n", "all"}}); err != nil {
		t.Errorf("mount ID all: %v", err)
	}
}

// TestReservedPathValues_whyTheyAreRefused shows, against the emulator
// (whose routes are the vendor's), what an unguarded ID "all" or "group"
// reaches: the list of every user's notebooks and the image groups, whose
// answer a caller asking for one notebook or image would take for it.
func TestReservedPathValues_whyTheyAreRefused(t *testing.T) {
	t.Parallel()
	_, c := newEmulator(t, emulator.Options{}, modelarts.Options{})
	for _, path := range []string{"/v1/{project_id}/notebooks/{id}", "/v1/{project_id}/images/{id}"} {
		unguarded := modelarts.MustEndpoint[json.RawMessage](modelarts.Operation{Name: "Unguarded", Method: http.MethodGet, Path: path, Idempotent: true})
		id := "all"
		if strings.Contains(path, "images") {
			id = "group"
		}
		resp, _, err := unguarded.Call(t.Context(), c, modelarts.Request{Params: []string{emulator.SampleProjectID, id}})
		if err != nil || !strings.Contains(string(*resp), `"data":[`) {
			t.Errorf("unguarded GET %s with %q: %v %s; want the literal route's list (else the guard is not needed)", path, id, err, resp)
		}
	}
}

// TestNotebookEndpoints_escapePathSegments: IDs with characters that
// would change the path are escaped into their one segment, on a route
// with two IDs.
func TestNotebookEndpoints_escapePathSegments(t *testing.T) {
	t.Parallel()
	var rec recorder
	_, c := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		rec.add(r)
		answer(http.StatusOK, `{}`)(w, r)
	}, modelarts.Options{})
	tests := []struct {
		notebook, mount string
		wantURI         string
	}{
		{"n-1", "m_2", "/v1/p/notebooks/n-1/storage/m_2"},
		{"../../images", "x", "/v1/p/notebooks/..%2F..%2Fimages/storage/x"},
		{"a/storage", "b", "/v1/p/notebooks/a%2Fstorage/storage/b"},
		{"n", "../..", "/v1/p/notebooks/n/storage/..%2F.."},
		{"%2e%2e", "%2F", "/v1/p/notebooks/%252e%252e/storage/%252F"},
		{"n?all=1", "m#f", "/v1/p/notebooks/n%3Fall%3D1/storage/m%23f"},
		{"n;x=y", "é", "/v1/p/notebooks/n%3Bx%3Dy/storage/%C3%A9"},
	}
	for _, tt := range tests {
		if _, _, err := modelarts.GetStorageMount.Call(t.Context(), c, modelarts.Request{Params: []string{"p", tt.notebook, tt.mount}}); err != nil {
			t.Fatalf("GetStorageMount(%q, %q): %v", tt.notebook, tt.mount, err)
		}
	}
	for _, ids := range [][2]string{{"..", "m"}, {"n", "."}, {"", "m"}} {
		if _, _, err := modelarts.GetStorageMount.Call(t.Context(), c, modelarts.Request{Params: []string{"p", ids[0], ids[1]}}); !errors.Is(err, modelarts.ErrInvalidPathSegment) {
			t.Errorf("GetStorageMount(%q, %q): %v; want ErrInvalidPathSegment", ids[0], ids[1], err)
		}
	}
	reqs := rec.all()
	if len(reqs) != len(tests) {
		t.Fatalf("%d requests; want %d", len(reqs), len(tests))
	}
	for i, tt := range tests {
		if reqs[i].RequestURI != tt.wantURI {
			t.Errorf("(%q, %q): RequestURI %q; want %q", tt.notebook, tt.mount, reqs[i].RequestURI, tt.wantURI)
		}
	}
}
