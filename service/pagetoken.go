package service

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"

	devenvv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/devenv/v1"
	"github.com/devenv-facade/devenv-facade/internal/apierror"
)

// AIP-158 paging over the vendor's offset and limit.
//
// A page token records where the previous page ended: the offset after it
// and the ID of its last instance (the cursor), with a digest of the
// project, filters and order it belongs to. The next page is read from a
// window that starts overlap instances before that offset (overlap is
// maxPageOverlap, or fewer near the start of the list or for pages so
// large that the window would pass the vendor's limit) and reaches
// overlap after the page; the page starts right after the cursor wherever
// the cursor is in the window. So up to overlap-1 instances deleted, or up
// to overlap created, before the cursor between two pages neither make
// the next page skip instances nor repeat them (more creations shorten the
// page, never end the listing early). Beyond that, or when the cursor
// itself was deleted, the page starts at the recorded offset: offset
// paging's usual skips and repeats. ModelArts offers nothing stronger: no
// cursor, no snapshot.

// pageToken is a decoded page token.
type pageToken struct {
	Offset int    `json:"o"`
	Cursor string `json:"c"`
	Query  uint64 `json:"q"` // digest of the filters and order
}

// maxPageOverlap bounds how far before the recorded offset a page's window
// starts.
const maxPageOverlap = 50

// queryDigest identifies a list: its project, filters and order.
func queryDigest(project string, q url.Values) uint64 {
	sum := sha256.Sum256([]byte(project + "?" + q.Encode()))
	return binary.BigEndian.Uint64(sum[:8])
}

func (t pageToken) encode() string {
	b, _ := json.Marshal(t) // three scalars: cannot fail
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodePageToken(s string) (pageToken, error) {
	var t pageToken
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) > 512 || json.Unmarshal(b, &t) != nil || t.Offset < 0 || t.Offset > maxListOffset {
		return pageToken{}, fmt.Errorf("not a page token of this API")
	}
	return t, nil
}

// pager reads windows of one list of items of type T, with its filters
// and order, from ModelArts.
type pager[T any] struct {
	// read reads limit items from offset, and how many the list holds.
	read func(ctx context.Context, offset, limit int) (items []T, total int, err error)
	// id is an item's ID, the cursor of a page token.
	id func(T) string
}

// page is one AIP-158 page of a list.
type page[T any] struct {
	items []T
	// offset is where the page starts in the list; total how many items
	// the list holds, as the last read said.
	offset, total int
	// next is the token of the next page, or "" on the last.
	next string
}

// decodeFor decodes token, the page_token of a request (or "" for the
// first page), for a list of digest.
func decodeFor(requestID, token string, digest uint64) (pageToken, error) {
	if token == "" {
		return pageToken{Query: digest}, nil
	}
	tok, err := decodePageToken(token)
	if err != nil {
		return pageToken{}, apierror.InvalidArgument(requestID, newViolation("page_token", violationMalformed,
			"page_token is not a next_page_token of this API: "+err.Error()))
	}
	if tok.Query != digest {
		return pageToken{}, apierror.InvalidArgument(requestID, newViolation("page_token", violationMalformed,
			"page_token belongs to a list of another project, with other filters or another order; use the same ones as for the first page"))
	}
	return tok, nil
}

// pageAfter reads the page of size items after tok.
func pageAfter[T any](ctx context.Context, p pager[T], tok pageToken, size int) (page[T], error) {
	// The cursor may have moved past the window's end (many creations
	// before it): the window after it is read then, once.
	for range 2 {
		out, resume, err := p.readPage(ctx, tok, size)
		if err != nil || resume == nil {
			return out, err
		}
		tok = *resume
	}
	return p.readPageFrom(ctx, tok, size)
}

// readPage reads the window for the page after tok. When the cursor is the
// window's last item and more follow, it returns no page but where to
// resume: right after the window, with the same cursor.
func (p pager[T]) readPage(ctx context.Context, tok pageToken, size int) (page[T], *pageToken, error) {
	overlap := 0
	if tok.Cursor != "" {
		overlap = min(maxPageOverlap, tok.Offset, (maxListLimit-size)/2)
	}
	start := tok.Offset - overlap
	items, total, err := p.read(ctx, start, size+2*overlap)
	if err != nil {
		return page[T]{}, nil, err
	}
	from := min(overlap, len(items)) // where the page starts in the window
	if tok.Cursor != "" {
		for i, it := range items {
			if p.id(it) == tok.Cursor {
				from = i + 1
				break
			}
		}
	}
	if from == len(items) && from > 0 && start+len(items) < total {
		return page[T]{}, &pageToken{Offset: start + len(items), Cursor: tok.Cursor, Query: tok.Query}, nil
	}
	return p.pageOf(items[from:min(from+size, len(items))], start+from, total, tok.Query), nil, nil
}

// readPageFrom reads the page at tok's offset, without looking for the
// cursor.
func (p pager[T]) readPageFrom(ctx context.Context, tok pageToken, size int) (page[T], error) {
	items, total, err := p.read(ctx, tok.Offset, size)
	if err != nil {
		return page[T]{}, err
	}
	return p.pageOf(items, tok.Offset, total, tok.Query), nil
}

// pageOf is the page of items, which starts at offset in a list of total,
// with a token for the next page when more follow.
func (p pager[T]) pageOf(items []T, offset, total int, digest uint64) page[T] {
	out := page[T]{items: items, offset: offset, total: total}
	if next := offset + len(items); len(items) > 0 && next < total {
		out.next = pageToken{Offset: next, Cursor: p.id(items[len(items)-1]), Query: digest}.encode()
	}
	return out
}

// listPage answers one AIP-158 page of instances.
func (s *Service) listPage(ctx context.Context, c *call, req *devenvv1.ListInstancesRequest, query url.Values) (*devenvv1.ListInstancesResponse, error) {
	size := int(req.GetPageSize())
	if size == 0 {
		size = defaultPageSize
	}
	tok, err := decodeFor(c.requestID, req.GetPageToken(), queryDigest(req.GetProjectId(), query))
	if err != nil {
		return nil, err
	}
	var total *int32 // the last window's, as ModelArts sent it (or not)
	p := pager[*devenvv1.Instance]{
		read: func(ctx context.Context, offset, limit int) ([]*devenvv1.Instance, int, error) {
			q := cloneQuery(query)
			q.Set("offset", strconv.Itoa(offset))
			q.Set("limit", strconv.Itoa(limit))
			window, err := s.list(ctx, c, req.GetProjectId(), q, answerInstances)
			if window != nil {
				total = window.TotalCount
			}
			return window.GetInstances(), int(window.GetTotalCount()), err
		},
		id: (*devenvv1.Instance).GetId,
	}
	pg, err := pageAfter(ctx, p, tok, size)
	if err != nil {
		return nil, err
	}
	return &devenvv1.ListInstancesResponse{TotalCount: total, Instances: pg.items, NextPageToken: pg.next}, nil
}

func cloneQuery(q url.Values) url.Values {
	out := make(url.Values, len(q)+2)
	for k, v := range q {
		out[k] = append([]string(nil), v...)
	}
	return out
}
