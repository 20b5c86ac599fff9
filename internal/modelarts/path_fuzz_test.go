package modelarts_test

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/devenv-facade/devenv-facade/internal/modelarts"
)

// FuzzDeleteInstancePath proves, over a real loopback connection, that no
// pair of IDs makes the client request anything but
// /v1/{project_id}/demanager/instances/{instance_id}: the request line the
// server receives always has exactly those five segments, no query, and the
// two ID segments decode back to the IDs given. IDs the client refuses
// ("", ".", "..") must send nothing.
func FuzzDeleteInstancePath(f *testing.F) {
	for _, seed := range [][2]string{
		{"0123456789abcdef0123456789abcdef", "DE-7d558ef8-c73d-11ea-964c-0255ac100033"},
		{"p", "../../admin"},
		{"p/q", "a?b#c"},
		{"%2e%2e", "%2F"},
		{"..", "x"},
		{"p", "."},
		{"p", "a;b=c"},
		{"p", "\x00\r\n é"},
		{"", ""},
	} {
		f.Add(seed[0], seed[1])
	}
	var rec recorder
	_, c := newServer(f, func(w http.ResponseWriter, r *http.Request) {
		rec.add(r)
		_, _ = io.WriteString(w, `{"instance_id":"x"}`)
	}, modelarts.Options{})
	f.Fuzz(func(t *testing.T, project, instance string) {
		before := len(rec.all())
		_, err := deleteInstance(t.Context(), c, project, instance)
		reqs := rec.all()
		if errors.Is(err, modelarts.ErrInvalidPathSegment) {
			if len(reqs) != before {
				t.Fatalf("refused IDs (%q, %q) still sent a request", project, instance)
			}
			return
		}
		if err != nil {
			t.Fatalf("DeleteInstance(%q, %q): %v", project, instance, err)
		}
		if len(reqs) != before+1 {
			t.Fatalf("sent %d requests; want 1", len(reqs)-before)
		}
		r := reqs[len(reqs)-1]
		uri := r.RequestURI
		if strings.ContainsAny(uri, "?#") {
			t.Fatalf("request %q has a query or fragment", uri)
		}
		segs := strings.Split(uri, "/")
		if len(segs) != 6 || segs[0] != "" || segs[1] != "v1" || segs[3] != "demanager" || segs[4] != "instances" {
			t.Fatalf("request %q is not /v1/{p}/demanager/instances/{i}", uri)
		}
		for i, want := range map[int]string{2: project, 5: instance} {
			got, err := url.PathUnescape(segs[i])
			if err != nil || got != want {
				t.Fatalf("segment %q decodes to %q (%v); want %q", segs[i], got, err, want)
			}
			if segs[i] == "." || segs[i] == ".." {
				t.Fatalf("segment %q would be removed by path normalisation", segs[i])
			}
		}
	})
}

// FuzzStorageMountPath proves the same for a route of the new API with two
// IDs beside a literal: whatever the notebook and mount IDs, the request
// line is /v1/{project_id}/notebooks/{instance_id}/storage/{storage_id},
// seven segments whose IDs decode back to those given, and an ID the
// client refuses ("", ".", "..", or a notebook ID naming a literal route:
// "all", "flavors") sends nothing.
func FuzzStorageMountPath(f *testing.F) {
	for _, seed := range [][2]string{
		{"7c6b5a49-3827-4165-9403-f2e1d0c9b8a7", "91dd2d3f-2d92-475f-a375-04636af26cc9"},
		{"all", "x"},
		{"FLAVORS", "x"},
		{"n", "all"},
		{"../../images/group", "x"},
		{"n/storage", "m"},
		{"%2e%2e", "%2F"},
		{"n", ".."},
		{"\x00\r\n é", "a;b=c"},
	} {
		f.Add(seed[0], seed[1])
	}
	var rec recorder
	_, c := newServer(f, func(w http.ResponseWriter, r *http.Request) {
		rec.add(r)
		_, _ = io.WriteString(w, `{}`)
	}, modelarts.Options{})
	f.Fuzz(func(t *testing.T, notebook, mount string) {
		before := len(rec.all())
		_, _, err := modelarts.GetStorageMount.Call(t.Context(), c, modelarts.Request{Params: []string{"p", notebook, mount}})
		reqs := rec.all()
		if errors.Is(err, modelarts.ErrInvalidPathSegment) {
			if len(reqs) != before {
				t.Fatalf("refused IDs (%q, %q) still sent a request", notebook, mount)
			}
			return
		}
		if err != nil {
			t.Fatalf("GetStorageMount(%q, %q): %v", notebook, mount, err)
		}
		if strings.EqualFold(notebook, "all") || strings.EqualFold(notebook, "flavors") {
			t.Fatalf("notebook ID %q names a literal route, yet was sent", notebook)
		}
		if len(reqs) != before+1 {
			t.Fatalf("sent %d requests; want 1", len(reqs)-before)
		}
		uri := reqs[len(reqs)-1].RequestURI
		if strings.ContainsAny(uri, "?#") {
			t.Fatalf("request %q has a query or fragment", uri)
		}
		segs := strings.Split(uri, "/")
		if len(segs) != 7 || segs[0] != "" || segs[1] != "v1" || segs[2] != "p" || segs[3] != "notebooks" || segs[5] != "storage" {
			t.Fatalf("request %q is not /v1/p/notebooks/{i}/storage/{s}", uri)
		}
		for i, want := range map[int]string{4: notebook, 6: mount} {
			got, err := url.PathUnescape(segs[i])
			if err != nil || got != want {
				t.Fatalf("segment %q decodes to %q (%v); want %q", segs[i], got, err, want)
			}
			if segs[i] == "." || segs[i] == ".." {
				t.Fatalf("segment %q would be removed by path normalisation", segs[i])
			}
		}
	})
}
