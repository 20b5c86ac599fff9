package service

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"

	notebookv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/notebook/v1"
	"github.com/devenv-facade/devenv-facade/internal/apierror"
	"github.com/devenv-facade/devenv-facade/internal/callctx"
	"github.com/devenv-facade/devenv-facade/internal/modelarts"
	"github.com/devenv-facade/devenv-facade/internal/vendorjson"
)

// The notebook calls that change something: create, update, delete, start
// and stop, and how each resolves an answer it did not hear.

// codeOperationConflict is ModelArts' "another operation is running on
// the notebook", which a retried delete hears while the deletion its lost
// first attempt started runs.
const codeOperationConflict = "ModelArts.6357"

// createLookback is how long before a create was sent a notebook found
// after its answer was lost may have been created and still be taken for
// the one it made (clocks differ; ModelArts stamps create_at).
const createLookback = time.Minute

// maxCandidatesShown bounds the notebook IDs a lost create's error names.
const maxCandidatesShown = 10

// lostCreateLimit is how many notebooks of the name a lost create's
// lookup reads: far more than an account may hold (10, says the user
// guide).
const lostCreateLimit = 100

// CreateNotebook creates a notebook; see the proto for the contract. The
// request's vendor fields are sent as ModelArts' body. A create is never
// resent; when its answer is lost (or unusable), the notebook is looked up
// (findCreatedNotebook).
func (s *Service) CreateNotebook(ctx context.Context, req *notebookv1.CreateNotebookRequest) (*notebookv1.CreateNotebookResponse, error) {
	return handle(ctx, s, req, validateCreateNotebook, func(ctx context.Context, c *call) (*notebookv1.CreateNotebookResponse, error) {
		body := proto.Clone(req).(*notebookv1.CreateNotebookRequest)
		body.ProjectId, body.Wait = "", false
		raw, err := vendorjson.Marshal(body)
		if err != nil {
			return nil, err
		}
		callctx.Annotate(ctx, slog.String("name", req.GetName()))
		project := req.GetProjectId()
		sent := s.clock.Now()
		answer, res, err := modelarts.CreateNotebook.Call(ctx, s.client,
			modelarts.Request{Params: []string{project}, Body: json.RawMessage(raw)}, c.opts...)
		c.record(res)
		nb := new(notebookv1.Notebook)
		if err == nil {
			err = readAnswer(ctx, *answer, res, nb)
		}
		switch {
		case err == nil:
		case lostAnswer(ctx, res, err) || isDecodeError(err):
			if nb, err = s.findCreatedNotebook(ctx, c, req, sent, err); err != nil {
				return nil, err
			}
			setOutcomeInferred(ctx)
		default:
			return nil, err
		}
		callctx.Annotate(ctx, slog.String("notebook_id", c.quote(nb.GetId(), maxQuotedID)))
		if req.GetWait() {
			if checkNotebookID(nb.GetId()) == nil {
				announceCreated(ctx, nb.GetId())
			}
			if nb, err = s.waitNotebook(ctx, c, project, nb.GetId(), waitRunning); err != nil {
				return nil, err
			}
		}
		return &notebookv1.CreateNotebookResponse{Notebook: nb}, nil
	})
}

// findCreatedNotebook resolves a create whose answer was lost: ModelArts
// may or may not have made the notebook, and names need not be unique, so
// the name alone cannot tell. It lists the notebooks of that name where
// the create put them (its workspace and pool), and takes as candidates
// those of the create's flavor and image made (create_at) from
// createLookback before the create was sent until now. Exactly one
// candidate is the answer; otherwise the outcome is unknown (UNAVAILABLE,
// OUTCOME_UNKNOWN), and the error names the candidates (at most
// maxCandidatesShown) for the caller to check before creating again.
// cause is the create's error.
func (s *Service) findCreatedNotebook(ctx context.Context, c *call, req *notebookv1.CreateNotebookRequest, sent time.Time, cause error) (*notebookv1.Notebook, error) {
	project, name := req.GetProjectId(), req.GetName()
	s.logger.InfoContext(ctx, "a create reached ModelArts but its answer was lost; looking the notebook up",
		slog.String("project_id", project), slog.String("name", name), slog.String("cause", c.quoteErr(cause)))
	query := url.Values{"name": {name}, "limit": {strconv.Itoa(lostCreateLimit)}}
	if id := req.GetWorkspaceId(); id != "" {
		query.Set(modelarts.QueryNotebookWorkspace, id)
	}
	if id := req.GetPoolId(); id != "" {
		query.Set("pool_id", id)
	}
	list, err := s.listNotebooks(ctx, c, modelarts.ListNotebooks, project, query, answerInstances)
	if err != nil {
		return nil, apierror.Facade(codes.Unavailable, apierror.ReasonOutcomeUnknown, fmt.Sprintf(
			"ModelArts received the create but its answer was lost, and listing the notebooks named %q failed; list the notebooks before creating it again, or a second notebook may be made (names need not be unique)", name),
			c.apiCall(nil))
	}
	from, until := sent.Add(-createLookback).UnixMilli(), s.clock.Now().UnixMilli()
	var found []*notebookv1.Notebook
	for _, nb := range list.GetData() {
		if nb.GetName() == name && nb.GetFlavor() == req.GetFlavor() && nb.GetImage().GetId() == req.GetImageId() &&
			nb.GetCreateAt() >= from && nb.GetCreateAt() <= until {
			found = append(found, nb)
		}
	}
	if len(found) == 1 {
		return found[0], nil
	}
	ids := make([]string, 0, min(len(found), maxCandidatesShown))
	for _, nb := range found[:min(len(found), maxCandidatesShown)] {
		ids = append(ids, c.quote(nb.GetId(), maxQuotedID))
	}
	what := "no notebook of that name, flavor and image created since shortly before the create was found, so it most likely was not made, but ModelArts may list it later"
	if len(found) > 1 {
		what = fmt.Sprintf("%d notebooks of that name, flavor and image were created since shortly before the create (%s", len(found), strings.Join(ids, ", "))
		if len(found) > len(ids) {
			what += fmt.Sprintf(", and %d more", len(found)-len(ids))
		}
		what += "), so which one it made is unknown"
	}
	return nil, apierror.Facade(codes.Unavailable, apierror.ReasonOutcomeUnknown, fmt.Sprintf(
		"ModelArts received the create of %q but its answer was lost; %s: list the notebooks before creating it again, or a second notebook may be made (names need not be unique)", name, what),
		c.apiCall(nil))
}

// UpdateNotebook changes a notebook; see the proto for the contract. The
// vendor's PUT takes the fields set; the others keep their values.
func (s *Service) UpdateNotebook(ctx context.Context, req *notebookv1.UpdateNotebookRequest) (*notebookv1.UpdateNotebookResponse, error) {
	return handle(ctx, s, req, validateUpdateNotebook, func(ctx context.Context, c *call) (*notebookv1.UpdateNotebookResponse, error) {
		body := proto.Clone(req).(*notebookv1.UpdateNotebookRequest)
		body.ProjectId, body.NotebookId = "", ""
		raw, err := vendorjson.Marshal(body)
		if err != nil {
			return nil, err
		}
		answer, res, err := modelarts.UpdateNotebook.Call(ctx, s.client,
			modelarts.Request{Params: []string{req.GetProjectId(), req.GetNotebookId()}, Body: json.RawMessage(raw)}, c.opts...)
		c.record(res)
		if err != nil {
			return nil, err
		}
		nb := new(notebookv1.Notebook)
		if err := readAnswer(ctx, *answer, res, nb); err != nil {
			return nil, err
		}
		return &notebookv1.UpdateNotebookResponse{Notebook: nb}, nil
	})
}

// DeleteNotebook deletes a notebook; see the proto for the contract.
//
// The delete is retried (it is idempotent), and a retry after an attempt
// that got no answer may hear either that the notebook does not exist
// (6309, 6404: the first attempt deleted it; modelarts.Result.Inferred)
// or that an operation is running on it (6357: the deletion the first
// attempt started). The latter is resolved by reading the notebook:
// DELETING, or gone, is the first attempt's deletion, and the call
// succeeds with the notebook as read, the response header "x-outcome:
// inferred"; anything else is the 6357 error. A success whose body is
// unusable, or inferred without one, answers the notebook's ID alone.
func (s *Service) DeleteNotebook(ctx context.Context, req *notebookv1.DeleteNotebookRequest) (*notebookv1.DeleteNotebookResponse, error) {
	return handle(ctx, s, req, validateDeleteNotebook, func(ctx context.Context, c *call) (*notebookv1.DeleteNotebookResponse, error) {
		project, id := req.GetProjectId(), req.GetNotebookId()
		answer, res, err := modelarts.DeleteNotebook.Call(ctx, s.client, modelarts.Request{Params: []string{project, id}}, c.opts...)
		c.record(res)
		nb := new(notebookv1.Notebook)
		if err == nil && answer != nil && len(*answer) > 0 {
			err = readAnswer(ctx, *answer, res, nb)
		}
		switch {
		case err == nil && res.Inferred:
			setOutcomeInferred(ctx)
		case err == nil:
		case isDecodeError(err):
			s.logger.WarnContext(ctx, "ModelArts accepted a delete but its answer is unusable; answering the notebook's ID",
				slog.String("notebook_id", id), slog.String("decode_error", c.quoteErr(err)))
			nb = new(notebookv1.Notebook)
		case res.Ambiguous && hasCode(err, codeOperationConflict):
			if nb, err = s.deletingAfterLostAnswer(ctx, c, project, id, err); err != nil {
				return nil, err
			}
			setOutcomeInferred(ctx)
		default:
			return nil, err
		}
		if nb.GetId() == "" {
			nb.Id = proto.String(id)
		}
		if req.GetWait() {
			if _, err := s.waitNotebook(ctx, c, project, id, waitGone); err != nil {
				return nil, err
			}
		}
		return &notebookv1.DeleteNotebookResponse{Notebook: nb}, nil
	})
}

// deletingAfterLostAnswer reads notebook id after a retried delete heard
// 6357 (cause) where an earlier attempt got no answer: the notebook as
// read if it is DELETING, an empty one if it is gone; cause otherwise.
func (s *Service) deletingAfterLostAnswer(ctx context.Context, c *call, project, id string, cause error) (*notebookv1.Notebook, error) {
	s.logger.InfoContext(ctx, "a retried delete heard that an operation runs on the notebook after an attempt's answer was lost; reading the notebook",
		slog.String("notebook_id", id))
	nb, err := s.getNotebook(ctx, c, project, id)
	switch {
	case err == nil && nb.GetStatus() == "DELETING":
		return nb, nil
	case err != nil && hasAnyCode(err, notebookMissing):
		return new(notebookv1.Notebook), nil
	}
	if err == nil {
		vendorjson.OriginalsFrom(ctx).Drop(nb)
	}
	return nil, cause
}

// StartNotebook starts a notebook; see the proto for the contract.
func (s *Service) StartNotebook(ctx context.Context, req *notebookv1.StartNotebookRequest) (*notebookv1.StartNotebookResponse, error) {
	return handle(ctx, s, req, validateStartNotebook, func(ctx context.Context, c *call) (*notebookv1.StartNotebookResponse, error) {
		query := url.Values{}
		if req.Duration != nil {
			query.Set("duration", strconv.FormatInt(req.GetDuration(), 10))
		}
		if t := req.GetType(); t != "" {
			query.Set("type", t)
		}
		nb, err := s.notebookAction(ctx, c, modelarts.StartNotebook, req.GetProjectId(), req.GetNotebookId(), query, "start", []string{"STARTING", "RUNNING"})
		if err == nil && req.GetWait() {
			vendorjson.OriginalsFrom(ctx).Drop(nb)
			nb, err = s.waitNotebook(ctx, c, req.GetProjectId(), req.GetNotebookId(), waitRunning)
		}
		if err != nil {
			return nil, err
		}
		return &notebookv1.StartNotebookResponse{Notebook: nb}, nil
	})
}

// StopNotebook stops a notebook; see the proto for the contract.
func (s *Service) StopNotebook(ctx context.Context, req *notebookv1.StopNotebookRequest) (*notebookv1.StopNotebookResponse, error) {
	return handle(ctx, s, req, validateStopNotebook, func(ctx context.Context, c *call) (*notebookv1.StopNotebookResponse, error) {
		nb, err := s.notebookAction(ctx, c, modelarts.StopNotebook, req.GetProjectId(), req.GetNotebookId(), nil, "stop", []string{"STOPPING", "STOPPED"})
		if err == nil && req.GetWait() {
			vendorjson.OriginalsFrom(ctx).Drop(nb)
			nb, err = s.waitNotebook(ctx, c, req.GetProjectId(), req.GetNotebookId(), waitStopped)
		}
		if err != nil {
			return nil, err
		}
		return &notebookv1.StopNotebookResponse{Notebook: nb}, nil
	})
}

// notebookAction sends a start or stop (what), never resent. When its
// answer is lost, the notebook's status tells whether it took effect (one
// of reached); if it does not, the outcome is unknown and the caller is
// told so. A success whose body is unusable answers the notebook as read
// after it.
func (s *Service) notebookAction(ctx context.Context, c *call, ep modelarts.Endpoint[json.RawMessage], project, id string, query url.Values, what string, reached []string) (*notebookv1.Notebook, error) {
	callctx.Annotate(ctx, slog.String("action", what))
	answer, res, err := ep.Call(ctx, s.client, modelarts.Request{Params: []string{project, id}, Query: query}, c.opts...)
	c.record(res)
	nb := new(notebookv1.Notebook)
	if err == nil {
		if err = readAnswer(ctx, *answer, res, nb); err == nil {
			return nb, nil
		}
	}
	if !lostAnswer(ctx, res, err) && !isDecodeError(err) {
		return nil, err
	}
	s.logger.InfoContext(ctx, "a "+what+" reached ModelArts but its answer was lost or unusable; reading the notebook",
		slog.String("cause", c.quoteErr(err)))
	nb, gerr := s.getNotebook(ctx, c, project, id)
	if gerr == nil && slices.Contains(reached, nb.GetStatus()) {
		if !isDecodeError(err) {
			setOutcomeInferred(ctx)
		}
		return nb, nil
	}
	last := c.quote(nb.GetStatus(), maxQuotedStatus)
	return nil, apierror.Facade(codes.Unavailable, apierror.ReasonOutcomeUnknown, fmt.Sprintf(
		"ModelArts received the %s but its answer was lost, and the notebook's status (%q) does not show whether it took effect; read the notebook before trying again", what, last),
		c.apiCall(map[string]string{apierror.MetadataInstanceStatus: last}))
}
