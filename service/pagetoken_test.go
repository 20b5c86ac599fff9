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
			h := start(t, up, modelarts.WithCredentials(cloudauth.Token("t")))
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
	h := start(t, up, modelarts.WithCredentials(cloudauth.Token("t")))
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
	h := start(t, up, modelarts.WithCredentials(cloudauth.Token("t")))
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
	h := start(t, up, modelarts.WithCredentials(cloudauth.Token("t")))
	resp, err := h.client.ListInstances(t.Context(), &devenvv1.ListInstancesRequest{ProjectId: project, Offset: 4, Limit: 3})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.GetInstances()) != 3 || resp.GetInstances()[0].GetName() != "nb-004" || resp.GetTotalCount() != 10 || resp.GetNextPageToken() != "" {
		t.Errorf("offset 4, limit 3: %v", resp)
	}
}
