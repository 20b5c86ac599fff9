package main

import (
	"context"
	"fmt"
	"math"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"

	"github.com/devenv-facade/devenv-facade/internal/envflag"
	"github.com/devenv-facade/devenv-facade/internal/scrub"
)

// paging is the paging flags of a list of the notebook API: AIP-158's
// page size and token (or --all to follow them), or the vendor's offset
// and limit.
type paging struct {
	pageSize, offset, limit int
	pageToken               string
	all                     bool
}

// define defines the paging flags on fs; what names the records
// ("notebooks").
func (p *paging) define(fs *envflag.Set, what string) {
	fs.Int(&p.pageSize, "page-size", "", 0, what+" per page; 0: ModelArts' page (or 100 a page with --page-token)").Between(0, 1000)
	fs.String(&p.pageToken, "page-token", "", "", "the next page: next_page_token of the previous page, with the same filters and order")
	fs.Bool(&p.all, "all", "", false, "follow next_page_token to the last page and print every record (one JSON document with -o json)")
	fs.Int(&p.offset, "offset", "", 0, "the vendor's paging: the index of the first record (not with --page-size, --page-token or --all)").Between(0, math.MaxInt32)
	fs.Int(&p.limit, "limit", "", 0, "the vendor's paging: at most this many records; 0: ModelArts' default (not with --page-size, --page-token or --all)").Between(0, 1000)
}

// check rejects the two kinds of paging together.
func (p *paging) check() error {
	if (p.offset != 0 || p.limit != 0) && (p.pageSize != 0 || p.pageToken != "" || p.all) {
		return usagef("--offset and --limit (the vendor's paging) do not go with --page-size, --page-token or --all")
	}
	return nil
}

// paged is a page of a list: its next page's token.
type paged interface {
	proto.Message
	GetNextPageToken() string
}

// listPages calls fn with req, and, with --all, again with each next page's
// token (set by setToken) until the last page; merge adds a later page to
// the first. It returns the first page with the others merged in.
func listPages[Req proto.Message, Resp paged](ctx context.Context, s *session, p *paging, method string, req Req,
	setToken func(string), fn func(context.Context, Req, ...grpc.CallOption) (Resp, error), merge func(first, next Resp)) (Resp, error) {
	first, err := rpc(ctx, s, method, req, fn)
	if err != nil || !p.all {
		return first, err
	}
	seen := map[string]bool{}
	for next := first.GetNextPageToken(); next != ""; {
		if seen[next] {
			var zero Resp
			return zero, fmt.Errorf("--all: the facade returned the page token %q a second time; stopping", scrub.Text(next, maxPageToken, s.secrets))
		}
		seen[next] = true
		setToken(next)
		page, err := rpc(ctx, s, method, req, fn)
		if err != nil {
			var zero Resp
			return zero, err
		}
		merge(first, page)
		next = page.GetNextPageToken()
	}
	return first, nil
}

// morePages tells, on stderr, how to get the page after the one printed.
func (s *session) morePages(what, next string) {
	if next != "" {
		fmt.Fprintf(s.stderr, "More %s: add --page-token %s (or use --all).\n", what, scrub.Text(next, maxPageToken, s.secrets))
	}
}
