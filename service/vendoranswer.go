package service

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"

	"google.golang.org/protobuf/proto"

	"github.com/devenv-facade/devenv-facade/internal/modelarts"
)

// The new API's answers (leases, flavors, mounts, images and their lists)
// are read by readAnswer: into their message for gRPC callers, and kept as
// ModelArts sent them, less what forCallers drops, for REST callers.

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
	return res, false, readAnswer(ctx, *answer, res, m)
}

// readVendor is callVendor for a read whose answer must hold the object:
// an answer without a body is a DecodeError.
func readVendor(ctx context.Context, s *Service, c *call, ep modelarts.Endpoint[json.RawMessage], r modelarts.Request, m proto.Message) error {
	res, empty, err := callVendor(ctx, s, c, ep, r, m)
	if err == nil && empty {
		err = &modelarts.DecodeError{HTTPStatus: res.HTTPStatus, Err: errEmptyAnswer}
	}
	return err
}

// errEmptyAnswer is the error of an answer without a body where the
// object it names is needed.
var errEmptyAnswer = errors.New("the answer has no body")
