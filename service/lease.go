package service

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/url"
	"strconv"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"

	notebookv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/notebook/v1"
	"github.com/devenv-facade/devenv-facade/internal/apierror"
	"github.com/devenv-facade/devenv-facade/internal/callctx"
	"github.com/devenv-facade/devenv-facade/internal/modelarts"
	"github.com/devenv-facade/devenv-facade/internal/vendorjson"
)

// GetLease returns a running notebook's lease and when it stops; see the
// proto for the contract.
func (s *Service) GetLease(ctx context.Context, req *notebookv1.GetLeaseRequest) (*notebookv1.GetLeaseResponse, error) {
	return handle(ctx, s, req, validateGetLease, func(ctx context.Context, c *call) (*notebookv1.GetLeaseResponse, error) {
		lease, err := s.readLease(ctx, c, req.GetProjectId(), req.GetNotebookId())
		if err != nil {
			return nil, err
		}
		return &notebookv1.GetLeaseResponse{Lease: lease, StopAt: stopAt(lease)}, nil
	})
}

// readLease reads a notebook's lease.
func (s *Service) readLease(ctx context.Context, c *call, project, id string) (*notebookv1.Lease, error) {
	lease := &notebookv1.Lease{}
	res, empty, err := callVendor(ctx, s, c, modelarts.GetLease, modelarts.Request{Params: []string{project, id}}, lease)
	if err == nil && empty {
		err = &modelarts.DecodeError{HTTPStatus: res.HTTPStatus, Err: errors.New("the lease answer has no body")}
	}
	if err != nil {
		return nil, err
	}
	return lease, nil
}

// RenewLease resets a running notebook's lease; see the proto for the
// contract. The lease is the vendor's body and duration its query, both
// sent as given (the type in the vendor's lower case). A renewal is sent
// once: when its answer is lost, or ModelArts answers without a body, the
// lease is read to answer.
func (s *Service) RenewLease(ctx context.Context, req *notebookv1.RenewLeaseRequest) (*notebookv1.RenewLeaseResponse, error) {
	return handle(ctx, s, req, validateRenewLease, func(ctx context.Context, c *call) (*notebookv1.RenewLeaseResponse, error) {
		project, id := req.GetProjectId(), req.GetNotebookId()
		r := modelarts.Request{Params: []string{project, id}}
		if req.Duration != nil {
			r.Query = url.Values{"duration": {strconv.FormatInt(req.GetDuration(), 10)}}
		}
		body := &notebookv1.LeaseRequest{}
		if l := req.GetLease(); l != nil {
			body = proto.Clone(l).(*notebookv1.LeaseRequest)
			if body.Type != nil {
				t, _ := leaseType(body.GetType())
				body.Type = &t
			}
		}
		raw, err := vendorjson.Marshal(body)
		if err != nil {
			return nil, err
		}
		r.Body = json.RawMessage(raw)
		lease := &notebookv1.Lease{}
		res, empty, err := callVendor(ctx, s, c, modelarts.RenewLease, r, lease)
		switch {
		case err == nil && !empty:
		case err == nil, isDecodeError(err):
			// Renewed; the answer does not say to what: read it.
			if lease, err = s.readLease(ctx, c, project, id); err != nil {
				return nil, err
			}
		case lostAnswer(ctx, res, err):
			return nil, s.renewLost(ctx, c, err)
		default:
			return nil, err
		}
		return &notebookv1.RenewLeaseResponse{Lease: lease, StopAt: stopAt(lease)}, nil
	})
}

// renewLost is the error of a renewal whose answer was lost. Renewing
// resets the deadline to now + the duration, so renewing again is safe:
// the caller is told so rather than told it took effect.
func (s *Service) renewLost(ctx context.Context, c *call, cause error) error {
	s.logger.InfoContext(ctx, "a lease renewal reached ModelArts but its answer was lost", slog.String("cause", c.quoteErr(cause)))
	callctx.Annotate(ctx, slog.String("outcome", "unknown"))
	return apierror.Facade(codes.Unavailable, apierror.ReasonOutcomeUnknown,
		"ModelArts received the lease renewal but its answer was lost; read the lease (GetLease) to see whether it took effect: renewing again is safe, it resets the deadline to now + the duration rather than adding to it",
		c.apiCall(nil))
}

// stopAt is when a notebook stops by itself under lease: create_at +
// duration (milliseconds since the Unix epoch), or nil when the lease is
// off (enable false), stops on idleness (type IDLE: the deadline moves
// with activity), or lacks either number. A lease without a type is
// TIMING, ModelArts' default.
func stopAt(l *notebookv1.Lease) *int64 {
	if l == nil || l.Enable != nil && !l.GetEnable() || l.CreateAt == nil || l.Duration == nil || l.GetDuration() < 0 {
		return nil
	}
	if l.Type != nil && !strings.EqualFold(l.GetType(), "TIMING") {
		return nil
	}
	at := l.GetCreateAt() + l.GetDuration()
	return &at
}
