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

// listPage answers one AIP-158 page.
func (s *Service) listPage(ctx context.Context, c *call, req *devenvv1.ListInstancesRequest, query url.Values) (*devenvv1.ListInstancesResponse, error) {
	size := int(req.GetPageSize())
	if size == 0 {
		size = defaultPageSize
	}
	digest := queryDigest(req.GetProjectId(), query)
	tok := pageToken{Query: digest}
	if req.GetPageToken() != "" {
		var err error
		if tok, err = decodePageToken(req.GetPageToken()); err != nil {
			return nil, apierror.InvalidArgument(c.requestID, newViolation("page_token", violationMalformed,
				"page_token is not a next_page_token of this API: "+err.Error()))
		}
		if tok.Query != digest {
			return nil, apierror.InvalidArgument(c.requestID, newViolation("page_token", violationMalformed,
				"page_token belongs to a list of another project, with other filters or another order; use the same ones as for the first page"))
		}
	}
	// The cursor may have moved past the window's end (many creations
	// before it): the window after it is read then, once.
	for range 2 {
		out, resume, err := s.readPage(ctx, c, req.GetProjectId(), query, tok, size)
		if err != nil || resume == nil {
			return out, err
		}
		tok = *resume
	}
	return s.readPageFrom(ctx, c, req.GetProjectId(), query, tok, size)
}

// readPage reads the window for the page after tok. When the cursor is the
// window's last instance and more follow, it returns no page but where to
// resume: right after the window, with the same cursor.
func (s *Service) readPage(ctx context.Context, c *call, project string, query url.Values, tok pageToken, size int) (*devenvv1.ListInstancesResponse, *pageToken, error) {
	overlap := 0
	if tok.Cursor != "" {
		overlap = min(maxPageOverlap, tok.Offset, (maxListLimit-size)/2)
	}
	start := tok.Offset - overlap
	window, err := s.listWindow(ctx, c, project, query, start, size+2*overlap)
	if err != nil {
		return nil, nil, err
	}
	items := window.GetInstances()
	from := min(overlap, len(items)) // where the page starts in the window
	if tok.Cursor != "" {
		for i, inst := range items {
			if inst.GetId() == tok.Cursor {
				from = i + 1
				break
			}
		}
	}
	if from == len(items) && from > 0 && start+len(items) < int(window.GetTotalCount()) {
		return nil, &pageToken{Offset: start + len(items), Cursor: tok.Cursor, Query: tok.Query}, nil
	}
	return pageOf(window, items[from:min(from+size, len(items))], start+from, tok.Query), nil, nil
}

// readPageFrom reads the page at tok's offset, without looking for the
// cursor.
func (s *Service) readPageFrom(ctx context.Context, c *call, project string, query url.Values, tok pageToken, size int) (*devenvv1.ListInstancesResponse, error) {
	window, err := s.listWindow(ctx, c, project, query, tok.Offset, size)
	if err != nil {
		return nil, err
	}
	return pageOf(window, window.GetInstances(), tok.Offset, tok.Query), nil
}

// listWindow reads limit instances from offset.
func (s *Service) listWindow(ctx context.Context, c *call, project string, query url.Values, offset, limit int) (*devenvv1.ListInstancesResponse, error) {
	q := cloneQuery(query)
	q.Set("offset", strconv.Itoa(offset))
	q.Set("limit", strconv.Itoa(limit))
	return s.list(ctx, c, project, q, answerInstances)
}

// pageOf answers page, which starts at offset in the list window belongs
// to, with a token for the next page when more follow.
func pageOf(window *devenvv1.ListInstancesResponse, page []*devenvv1.Instance, offset int, digest uint64) *devenvv1.ListInstancesResponse {
	out := &devenvv1.ListInstancesResponse{TotalCount: window.TotalCount, Instances: page}
	next := offset + len(page)
	if len(page) > 0 && next < int(window.GetTotalCount()) {
		out.NextPageToken = pageToken{Offset: next, Cursor: page[len(page)-1].GetId(), Query: digest}.encode()
	}
	return out
}

func cloneQuery(q url.Values) url.Values {
	out := make(url.Values, len(q)+2)
	for k, v := range q {
		out[k] = append([]string(nil), v...)
	}
	return out
}
