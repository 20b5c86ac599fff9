package service

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"

	"google.golang.org/protobuf/proto"

	"github.com/devenv-facade/devenv-facade/internal/modelarts"
	"github.com/devenv-facade/devenv-facade/internal/vendorjson"
)

// listVendor calls a list of the new API (ep, with the path parameters
// params and query) and reads its answer, {current, data, pages, size,
// total}, into out, kept for REST callers.
func listVendor(ctx context.Context, s *Service, c *call, ep modelarts.Endpoint[json.RawMessage], params []string, query url.Values, out proto.Message) error {
	res, empty, err := callVendor(ctx, s, c, ep, modelarts.Request{Params: params, Query: query}, out)
	if err == nil && empty {
		return &modelarts.DecodeError{HTTPStatus: res.HTTPStatus, Err: errEmptyList}
	}
	return err
}

// readWindowOf reads a window of a list for an AIP-158 page into out; the
// window is not the answer, so nothing of it is kept for REST callers.
func readWindowOf(ctx context.Context, s *Service, c *call, ep modelarts.Endpoint[json.RawMessage], params []string, query url.Values, out proto.Message) error {
	answer, res, err := ep.Call(ctx, s.client, modelarts.Request{Params: params, Query: query}, c.opts...)
	c.record(res)
	if err != nil {
		return err
	}
	if answer == nil || len(*answer) == 0 {
		return &modelarts.DecodeError{HTTPStatus: res.HTTPStatus, Err: errEmptyList}
	}
	if err := vendorjson.Unmarshal(*answer, out); err != nil {
		return &modelarts.DecodeError{HTTPStatus: res.HTTPStatus, Err: err}
	}
	return nil
}

// errEmptyList is the error of a list answered without a body.
var errEmptyList = errors.New("the list answer has no body")
