package service_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	devenvv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/devenv/v1"
	"github.com/devenv-facade/devenv-facade/internal/cloudauth"
	"github.com/devenv-facade/devenv-facade/internal/modelarts"
)

// vendorList is a ModelArts list endpoint over names, sorted as asked, with
// offset and limit as the vendor has them (limit 0: all), for paging tests.
type vendorList struct {
	mu    sync.Mutex
	names []string
}

func (v *vendorList) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	v.mu.Lock()
	names := slices.Clone(v.names)
	v.mu.Unlock()
	slices.Sort(names)
	if r.URL.Query().Get("order") == "desc" {
		slices.Reverse(names)
	}
	offset, _ := strconv.Atoi(r.URL.Query().Get("offset"))
	limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
	page := names[min(offset, len(names)):]
	if limit > 0 {
		page = page[:min(limit, len(page))]
	}
	type inst struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	}
	out := struct {
		Total     int    `json:"total_count"`
		Instances []inst `json:"instances"`
	}{Total: len(names), Instances: []inst{}}
	for _, n := range page {
		out.Instances = append(out.Instances, inst{ID: "id-" + n, Name: n})
	}
	_ = json.NewEncoder(w).Encode(out)
}

func (v *vendorList) delete(name string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.names = slices.DeleteFunc(v.names, func(n string) bool { return n == name })
}

func (v *vendorList) add(name string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.names = append(v.names, name)
}

func names(n int) []string {
	var out []string
	for i := range n {
		out = append(out, fmt.Sprintf("nb-%03d", i))
	}
	return out
}

// TestListInstances_pages: page_size and page_token walk the whole list
// once, and total_count is the vendor's.
func TestListInstances_pages(t *testing.T) {
	t.Parallel()
	for _, order := range []string{"asc", "desc"} {
		t.Run(order, func(t *testing.T) {
			t.Parallel()
			up := &vendorList{names: names(23)}
			h := start(t, up, modelarts.Options{Credentials: cloudauth.Token("t")})
			var seen []string
			req := &devenvv1.ListInstancesRequest{ProjectId: project, PageSize: 5, Order: order}
			for pages := 0; ; pages++ {
				resp, err := h.client.ListInstances(t.Context(), req)
				if err != nil {
					t.Fatal(err)
				}
				if resp.GetTotalCount() != 23 {
					t.Errorf("total_count = %d; want 23", resp.GetTotalCount())
				}
				for _, inst := range resp.GetInstances() {
					seen = append(seen, inst.GetName())
				}
				if resp.GetNextPageToken() == "" {
					break
				}
				if pages > 10 {
					t.Fatal("no end of pages")
				}
				req.PageToken = resp.GetNextPageToken()
			}
			want := names(23)
			if order == "desc" {
				slices.Reverse(want)
			}
			if !slices.Equal(seen, want) {
				t.Errorf("pages gave %v; want %v", seen, want)
			}
		})
	}
}

// TestListInstances_pagesSurviveChanges: instances deleted or created
// before the cursor between two pages neither make the next page skip nor
// repeat instances (up to the overlap).
func TestListInstances_pagesSurviveChanges(t *testing.T) {
	t.Parallel()
	up := &vendorList{names: names(20)}
	h := start(t, up, modelarts.Options{Credentials: cloudauth.Token("t")})
	first, err := h.client.ListInstances(t.Context(), &devenvv1.ListInstancesRequest{ProjectId: project, PageSize: 8})
	if err != nil {
		t.Fatal(err)
	}
	// Three of the first page go, one sorts in before the cursor.
	up.delete("nb-001")
	up.delete("nb-003")
	up.delete("nb-005")
	up.add("nb-000a")
	second, err := h.client.ListInstances(t.Context(), &devenvv1.ListInstancesRequest{ProjectId: project, PageSize: 8, PageToken: first.GetNextPageToken()})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, inst := range second.GetInstances() {
		got = append(got, inst.GetName())
	}
	if want := []string{"nb-008", "nb-009", "nb-010", "nb-011", "nb-012", "nb-013", "nb-014", "nb-015"}; !slices.Equal(got, want) {
		t.Errorf("second page %v; want %v (no skip, no repeat)", got, want)
	}
}

// TestListInstances_tokenChecks: a token from another query, a forged one,
// and mixing tokens with offset are INVALID_ARGUMENT, before ModelArts is
// called for the forged one.
func TestListInstances_tokenChecks(t *testing.T) {
	t.Parallel()
	up := &vendorList{names: names(10)}
	h := start(t, up, modelarts.Options{Credentials: cloudauth.Token("t")})
	first, err := h.client.ListInstances(t.Context(), &devenvv1.ListInstancesRequest{ProjectId: project, PageSize: 3})
	if err != nil {
		t.Fatal(err)
	}
	for name, req := range map[string]*devenvv1.ListInstancesRequest{
		"other_order": {ProjectId: project, PageSize: 3, Order: "desc", PageToken: first.GetNextPageToken()},
		"forged":      {ProjectId: project, PageSize: 3, PageToken: "not-a-token"},
		"with_offset": {ProjectId: project, PageSize: 3, Offset: 2},
		"too_large":   {ProjectId: project, PageSize: 1001},
	} {
		if _, err := h.client.ListInstances(t.Context(), req); status.Code(err) != codes.InvalidArgument {
			t.Errorf("%s: %v; want InvalidArgument", name, err)
		}
	}
}

// TestListInstances_vendorPaging: without page_size the vendor's offset and
// limit pass through, and there is no next_page_token.
func TestListInstances_vendorPaging(t *testing.T) {
	t.Parallel()
	up := &vendorList{names: names(10)}
	h := start(t, up, modelarts.Options{Credentials: cloudauth.Token("t")})
	resp, err := h.client.ListInstances(t.Context(), &devenvv1.ListInstancesRequest{ProjectId: project, Offset: 4, Limit: 3})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.GetInstances()) != 3 || resp.GetInstances()[0].GetName() != "nb-004" || resp.GetTotalCount() != 10 || resp.GetNextPageToken() != "" {
		t.Errorf("offset 4, limit 3: %v", resp)
	}
}

// TestListInstances_pagesSurviveBoundaries: with small pages, deletions
// and insertions before the cursor up to the documented bounds (49
// deletions, 50 insertions) neither skip nor repeat; more insertions than
// fit in the window never end the listing early; a token is bound to its
// project.
func TestListInstances_pagesSurviveBoundaries(t *testing.T) {
	t.Parallel()
	walkRest := func(t *testing.T, h *harness, token string) []string {
		t.Helper()
		var seen []string
		req := &devenvv1.ListInstancesRequest{ProjectId: project, PageSize: 2, PageToken: token}
		for pages := 0; ; pages++ {
			resp, err := h.client.ListInstances(t.Context(), req)
			if err != nil {
				t.Fatal(err)
			}
			for _, inst := range resp.GetInstances() {
				seen = append(seen, inst.GetName())
			}
			if resp.GetNextPageToken() == "" {
				return seen
			}
			if pages > 200 {
				t.Fatal("no end of pages")
			}
			req.PageToken = resp.GetNextPageToken()
		}
	}
	tests := []struct {
		name   string
		change func(up *vendorList)
	}{
		{"delete_49_before", func(up *vendorList) {
			for i := 0; i < 49; i++ {
				up.delete(fmt.Sprintf("nb-%03d", i))
			}
		}},
		{"insert_50_before", func(up *vendorList) {
			for i := range 50 {
				up.add(fmt.Sprintf("nb-000-%03d", i))
			}
		}},
		// The cursor lands on the window's last place: the page after it
		// is in the next window.
		{"insert_52_before", func(up *vendorList) {
			for i := range 52 {
				up.add(fmt.Sprintf("nb-000-%03d", i))
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			up := &vendorList{names: names(60)}
			h := start(t, up, modelarts.Options{Credentials: cloudauth.Token("t")})
			// Walk to the page ending at nb-051.
			req := &devenvv1.ListInstancesRequest{ProjectId: project, PageSize: 2}
			var token string
			for range 26 {
				resp, err := h.client.ListInstances(t.Context(), req)
				if err != nil {
					t.Fatal(err)
				}
				token = resp.GetNextPageToken()
				req.PageToken = token
			}
			tt.change(up)
			got := walkRest(t, h, token)
			if want := names(60)[52:]; !slices.Equal(got, want) {
				t.Errorf("after the change the pages gave %v; want %v", got, want)
			}
		})
	}
	// Beyond the bounds: offset paging's repeats, but nothing skipped and
	// no early end.
	t.Run("insert_120_before", func(t *testing.T) {
		t.Parallel()
		up := &vendorList{names: names(60)}
		h := start(t, up, modelarts.Options{Credentials: cloudauth.Token("t")})
		resp, err := h.client.ListInstances(t.Context(), &devenvv1.ListInstancesRequest{ProjectId: project, PageSize: 2, Offset: 0})
		if err != nil {
			t.Fatal(err)
		}
		token := resp.GetNextPageToken()
		for i := range 120 {
			up.add(fmt.Sprintf("nb-000-%03d", i))
		}
		got := walkRest(t, h, token)
		if tail := got[max(0, len(got)-58):]; !slices.Equal(tail, names(60)[2:]) {
			t.Errorf("the pages end with %v; want every instance after the first page, in order", tail)
		}
	})
	t.Run("other_project", func(t *testing.T) {
		t.Parallel()
		up := &vendorList{names: names(10)}
		h := start(t, up, modelarts.Options{Credentials: cloudauth.Token("t")})
		first, err := h.client.ListInstances(t.Context(), &devenvv1.ListInstancesRequest{ProjectId: project, PageSize: 2})
		if err != nil {
			t.Fatal(err)
		}
		other := "fedcba9876543210fedcba9876543210"
		_, err = h.client.ListInstances(t.Context(), &devenvv1.ListInstancesRequest{ProjectId: other, PageSize: 2, PageToken: first.GetNextPageToken()})
		if status.Code(err) != codes.InvalidArgument {
			t.Errorf("a token of another project: %v; want INVALID_ARGUMENT", err)
		}
	})
}
