package service

import (
	"context"
	"net/url"
	"strconv"

	"github.com/devenv-facade/devenv-facade/internal/apierror"
)

// AIP-158 paging over the new API's lists ({current, data, pages, size,
// total}), by the rules of pagetoken.go: a token records the offset after
// the previous page, the ID of its last record (the cursor) and a digest
// of the list's filters; the next page is read from a window around that
// offset and starts right after the cursor, wherever it is in the window.

// window is what one read of a list gives: its records from an offset,
// and how many match in all.
type window[T any] struct {
	items []T
	total int
}

// readWindow reads limit records of a list from offset; query holds the
// list's filters, to which it adds offset and limit.
type readWindow[T any] func(ctx context.Context, query url.Values) (window[T], error)

// aipPage is one AIP-158 page: its records, how many match in all, and
// the token of the next page ("" on the last).
type aipPage[T any] struct {
	items []T
	total int
	next  string
}

// pageOver answers the AIP-158 page of size records (0: defaultPageSize)
// after token ("" for the first) of the list that read reads, with filters
// query; id names a record (the cursor); scope names what the list belongs
// to (the project, and the notebook of a notebook's list), for the
// token's digest.
func pageOver[T any](ctx context.Context, c *call, scope string, query url.Values, size int, token string, id func(T) string, read readWindow[T]) (aipPage[T], error) {
	if size == 0 {
		size = defaultPageSize
	}
	digest := queryDigest(scope, query)
	tok := pageToken{Query: digest}
	if token != "" {
		var err error
		if tok, err = decodePageToken(token); err != nil {
			return aipPage[T]{}, apierror.InvalidArgument(c.requestID, newViolation("page_token", violationMalformed,
				"page_token is not a next_page_token of this API: "+err.Error()))
		}
		if tok.Query != digest {
			return aipPage[T]{}, apierror.InvalidArgument(c.requestID, newViolation("page_token", violationMalformed,
				"page_token belongs to a list of another project or notebook, with other filters or another order; use the same ones as for the first page"))
		}
	}
	readAt := func(offset, limit int) (window[T], error) {
		q := cloneQuery(query)
		q.Set("offset", strconv.Itoa(offset))
		q.Set("limit", strconv.Itoa(limit))
		return read(ctx, q)
	}
	// The cursor may have moved past the window's end (many creations
	// before it): the window after it is read then, once.
	for range 2 {
		overlap := 0
		if tok.Cursor != "" {
			overlap = min(maxPageOverlap, tok.Offset, (maxListLimit-size)/2)
		}
		start := tok.Offset - overlap
		w, err := readAt(start, size+2*overlap)
		if err != nil {
			return aipPage[T]{}, err
		}
		from := min(overlap, len(w.items)) // where the page starts in the window
		if tok.Cursor != "" {
			for i, it := range w.items {
				if id(it) == tok.Cursor {
					from = i + 1
					break
				}
			}
		}
		if from == len(w.items) && from > 0 && start+len(w.items) < w.total {
			tok = pageToken{Offset: start + len(w.items), Cursor: tok.Cursor, Query: digest}
			continue
		}
		return pageFrom(w, w.items[from:min(from+size, len(w.items))], start+from, digest, id), nil
	}
	w, err := readAt(tok.Offset, size)
	if err != nil {
		return aipPage[T]{}, err
	}
	return pageFrom(w, w.items, tok.Offset, digest, id), nil
}

// pageFrom answers page, which starts at offset in the list w belongs to,
// with a token for the next page when more follow.
func pageFrom[T any](w window[T], page []T, offset int, digest uint64, id func(T) string) aipPage[T] {
	out := aipPage[T]{items: page, total: w.total}
	if next := offset + len(page); len(page) > 0 && next < w.total {
		out.next = pageToken{Offset: next, Cursor: id(page[len(page)-1]), Query: digest}.encode()
	}
	return out
}
