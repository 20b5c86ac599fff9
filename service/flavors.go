package service

import (
	"context"
	"encoding/json"
	"net/url"
	"strconv"

	notebookv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/notebook/v1"
	"github.com/devenv-facade/devenv-facade/internal/modelarts"
)

// ListFlavors lists the flavors notebooks may be created with; see the
// proto for the contract. The vendor's filters and offset/limit pass
// through; page_size and page_token page over them (pages.go).
func (s *Service) ListFlavors(ctx context.Context, req *notebookv1.ListFlavorsRequest) (*notebookv1.ListFlavorsResponse, error) {
	return handle(ctx, s, req, validateListFlavors, func(ctx context.Context, c *call) (*notebookv1.ListFlavorsResponse, error) {
		query := url.Values{}
		category, _ := checkUpper("category", req.GetCategory(), flavorCategories...)
		typ, _ := checkUpper("type", req.GetType(), flavorTypes...)
		dir, _ := checkUpper("sort_dir", req.GetSortDir(), sortDirs...)
		setQuery(query, "category", category)
		setQuery(query, "type", typ)
		setQuery(query, "sort_dir", dir)
		setQuery(query, "sort_key", req.GetSortKey())
		params := []string{req.GetProjectId()}
		if !aipPaging(req) {
			out := &notebookv1.ListFlavorsResponse{}
			if err := listVendor(ctx, s, c, modelarts.ListFlavors, params, withOffsetLimit(query, req), out); err != nil {
				return nil, err
			}
			out.Data, out.Flavors = bothFlavorLists(out.GetData(), out.GetFlavors())
			return out, nil
		}
		page, err := s.flavorPage(ctx, c, modelarts.ListFlavors, params, query, req)
		if err != nil {
			return nil, err
		}
		return &notebookv1.ListFlavorsResponse{Data: page.items, Flavors: page.items, Size: size32(req.GetPageSize()), Total: total64(page.total), NextPageToken: page.next}, nil
	})
}

// ListSwitchableFlavors lists the flavors a notebook may switch to; see
// the proto for the contract.
func (s *Service) ListSwitchableFlavors(ctx context.Context, req *notebookv1.ListSwitchableFlavorsRequest) (*notebookv1.ListSwitchableFlavorsResponse, error) {
	return handle(ctx, s, req, validateListSwitchableFlavors, func(ctx context.Context, c *call) (*notebookv1.ListSwitchableFlavorsResponse, error) {
		params := []string{req.GetProjectId(), req.GetNotebookId()}
		if !aipPaging(req) {
			out := &notebookv1.ListSwitchableFlavorsResponse{}
			if err := listVendor(ctx, s, c, modelarts.ListSwitchableFlavors, params, withOffsetLimit(url.Values{}, req), out); err != nil {
				return nil, err
			}
			out.Data, out.Flavors = bothFlavorLists(out.GetData(), out.GetFlavors())
			return out, nil
		}
		page, err := s.flavorPage(ctx, c, modelarts.ListSwitchableFlavors, params, url.Values{}, req)
		if err != nil {
			return nil, err
		}
		return &notebookv1.ListSwitchableFlavorsResponse{Data: page.items, Flavors: page.items, Size: size32(req.GetPageSize()), Total: total64(page.total), NextPageToken: page.next}, nil
	})
}

// flavorPage answers an AIP-158 page of a flavor list.
func (s *Service) flavorPage(ctx context.Context, c *call, ep modelarts.Endpoint[json.RawMessage], params []string, query url.Values, req pagingRequest) (page[*notebookv1.Flavor], error) {
	return pageOver(ctx, c, scopeOf(ep, params), query, int(req.GetPageSize()), req.GetPageToken(), (*notebookv1.Flavor).GetId,
		func(ctx context.Context, q url.Values) ([]*notebookv1.Flavor, int, error) {
			var w notebookv1.ListFlavorsResponse // ListSwitchableFlavorsResponse has the same fields
			if err := readWindowOf(ctx, s, c, ep, params, q, &w); err != nil {
				return nil, 0, err
			}
			items, _ := bothFlavorLists(w.GetData(), w.GetFlavors())
			return items, windowTotal(w.Total, q, len(items)), nil
		})
}

// bothFlavorLists returns a flavor list's records for both of its
// members, data and flavors: the vendor's table lists both and its samples
// show one or both, so a reader takes either and the facade's answers
// carry both (as they came, for REST callers: see keepOriginal).
func bothFlavorLists(data, flavors []*notebookv1.Flavor) ([]*notebookv1.Flavor, []*notebookv1.Flavor) {
	switch {
	case len(data) == 0:
		return flavors, flavors
	case len(flavors) == 0:
		return data, data
	}
	return data, flavors
}

// setQuery sets k to v in q unless v is empty.
func setQuery(q url.Values, k, v string) {
	if v != "" {
		q.Set(k, v)
	}
}

// withOffsetLimit adds req's offset and limit to query, when not zero,
// and returns it.
func withOffsetLimit(query url.Values, req pagingRequest) url.Values {
	if req.GetOffset() != 0 {
		query.Set("offset", strconv.Itoa(int(req.GetOffset())))
	}
	if req.GetLimit() != 0 {
		query.Set("limit", strconv.Itoa(int(req.GetLimit())))
	}
	return query
}

// scopeOf names what a list belongs to, for its page tokens: its
// operation and path parameters (the project, and the notebook of a
// notebook's list).
func scopeOf(ep modelarts.Endpoint[json.RawMessage], params []string) string {
	b, _ := json.Marshal(params) // strings: cannot fail
	return ep.Operation().Name + string(b)
}

// windowTotal is the total of a window read with query q: the vendor's
// total, or, when the answer lacks it, the records up to the window's end
// (no next page).
func windowTotal(total *int64, q url.Values, n int) int {
	if total != nil {
		return int(min(*total, maxListOffset+maxListLimit))
	}
	offset, _ := strconv.Atoi(q.Get("offset"))
	return offset + n
}

// size32 is the size of an AIP-158 page of page_size n, as an answer's
// size.
func size32(n int32) *int32 {
	size := int32(pageSize(int(n)))
	return &size
}

// total64 is n as an answer's total.
func total64(n int) *int64 {
	t := int64(n)
	return &t
}
