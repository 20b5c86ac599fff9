package service

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"

	"google.golang.org/protobuf/proto"

	"github.com/devenv-facade/devenv-facade/internal/modelarts"
	"github.com/devenv-facade/devenv-facade/internal/vendorjson"
)

// The new API's answers (leases, flavors, mounts, images and their lists)
// hold no secret: each is read into its message, and REST callers get the
// vendor's JSON as it came, less what forCallers drops (keepOriginal).
// Notebooks, which carry the notebook's token, have a reader of their own.

// callVendor sends r as ep's operation and reads its JSON answer into m.
// A 2xx answer without a body (the vendor documents 204 for some
// operations) leaves m as it is and reports empty; one that cannot be read
// into m is a *modelarts.DecodeError.
func callVendor(ctx context.Context, s *Service, c *call, ep modelarts.Endpoint[json.RawMessage], r modelarts.Request, m proto.Message) (res modelarts.Result, empty bool, err error) {
	answer, res, err := ep.Call(ctx, s.client, r, c.opts...)
	c.record(res)
	if err != nil {
		return res, false, err
	}
	if answer == nil || len(bytes.TrimSpace(*answer)) == 0 {
		return res, true, nil
	}
	if err := readVendor(ctx, *answer, m); err != nil {
		return res, false, &modelarts.DecodeError{HTTPStatus: res.HTTPStatus, Err: err}
	}
	return res, false, nil
}

// readVendor reads raw, ModelArts' JSON answer, into m, and keeps it for
// REST callers (keepOriginal).
func readVendor(ctx context.Context, raw []byte, m proto.Message) error {
	if err := vendorjson.Unmarshal(raw, m); err != nil {
		return err
	}
	keepOriginal(ctx, m, raw)
	return nil
}

// errEmptyAnswer is the error of an answer without a body where the
// object it names is needed.
var errEmptyAnswer = errors.New("the answer has no body")
