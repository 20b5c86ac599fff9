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
// filters and order it belongs to. The next page is read from a window
// that starts pageOverlap instances before that offset and reaches as far
// after it; the page starts right after the cursor wherever the cursor is
// in the window. So instances deleted or created before the cursor between
// two pages (up to pageOverlap of them) neither make the next page skip
// instances nor repeat them. Beyond that, or when the cursor itself was
// deleted, the page starts at the recorded offset: offset paging's usual
// skips and repeats. ModelArts offers nothing stronger: no cursor, no
// snapshot.

// pageToken is a decoded page token.
type pageToken struct {
	Offset int    `json:"o"`
	Cursor string `json:"c"`
	Query  uint64 `json:"q"` // digest of the filters and order
}

// maxPageOverlap bounds how far before the recorded offset a page's window
// starts.
const maxPageOverlap = 50

// queryDigest identifies a list's filters and order.
func queryDigest(q url.Values) uint64 {
	sum := sha256.Sum256([]byte(q.Encode()))
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
	digest := queryDigest(query)
	tok := pageToken{Query: digest}
	if req.GetPageToken() != "" {
		var err error
		if tok, err = decodePageToken(req.GetPageToken()); err != nil {
			return nil, apierror.InvalidArgument(c.requestID, newViolation("page_token", violationMalformed,
				"page_token is not a next_page_token of this API: "+err.Error()))
		}
		if tok.Query != digest {
			return nil, apierror.InvalidArgument(c.requestID, newViolation("page_token", violationMalformed,
				"page_token belongs to a list with other filters or another order; use the same ones as for the first page"))
		}
	}
	overlap := 0
	if tok.Cursor != "" {
		overlap = min(size, maxPageOverlap, tok.Offset)
	}
	start := tok.Offset - overlap
	q := cloneQuery(query)
	q.Set("offset", strconv.Itoa(start))
	q.Set("limit", strconv.Itoa(size+2*overlap))
	window, err := s.list(ctx, c, req.GetProjectId(), q)
	if err != nil {
		return nil, err
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
	page := items[from:min(from+size, len(items))]
	out := &devenvv1.ListInstancesResponse{TotalCount: window.TotalCount, Instances: page}
	next := start + from + len(page)
	if len(page) > 0 && next < int(window.GetTotalCount()) {
		out.NextPageToken = pageToken{Offset: next, Cursor: page[len(page)-1].GetId(), Query: digest}.encode()
	}
	return out, nil
}

func cloneQuery(q url.Values) url.Values {
	out := make(url.Values, len(q)+2)
	for k, v := range q {
		out[k] = append([]string(nil), v...)
	}
	return out
}
