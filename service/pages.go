package service

import (
	"context"
	"net/url"
	"strconv"
)

// pageOver answers the AIP-158 page of size records (0: defaultPageSize)
// after token ("" for the first) of a new-API list (pagetoken.go's
// pageAfter): read reads the list with query, to which offset and limit
// are added, and returns its records and total; id names a record (the
// cursor); scope names what the list belongs to (its operation and path
// parameters), for the token's digest.
func pageOver[T any](ctx context.Context, c *call, scope string, query url.Values, size int, token string, id func(T) string,
	read func(ctx context.Context, q url.Values) (items []T, total int, err error)) (page[T], error) {
	tok, err := decodeFor(c.requestID, token, queryDigest(scope, query))
	if err != nil {
		return page[T]{}, err
	}
	return pageAfter(ctx, pager[T]{
		read: func(ctx context.Context, offset, limit int) ([]T, int, error) {
			q := cloneQuery(query)
			q.Set("offset", strconv.Itoa(offset))
			q.Set("limit", strconv.Itoa(limit))
			return read(ctx, q)
		},
		id: id,
	}, tok, pageSize(size))
}

// pageSize is a request's page_size, or defaultPageSize for 0.
func pageSize(n int) int {
	if n == 0 {
		return defaultPageSize
	}
	return n
}
