package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strconv"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"

	devenvv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/devenv/v1"
	"github.com/devenv-facade/devenv-facade/internal/apierror"
	"github.com/devenv-facade/devenv-facade/internal/callctx"
	"github.com/devenv-facade/devenv-facade/internal/modelarts"
	"github.com/devenv-facade/devenv-facade/internal/vendorjson"
)

// outcomeInferred is the value of the outcome headers when a success was
// inferred rather than confirmed.
const outcomeInferred = "inferred"

// CreateInstance creates an instance; see the proto for the contract. The
// request's vendor fields are sent as ModelArts' create body. A create is
// never resent: when its answer is lost (or unusable), the instance is
// looked up by its name, unique in a project, to tell "created" from "not
// created".
func (s *Service) CreateInstance(ctx context.Context, req *devenvv1.CreateInstanceRequest) (*devenvv1.CreateInstanceResponse, error) {
	return handle(ctx, s, req, validateCreateInstance, func(ctx context.Context, c *call) (*devenvv1.CreateInstanceResponse, error) {
		body := proto.Clone(req).(*devenvv1.CreateInstanceRequest)
		body.ProjectId, body.Wait = "", false
		raw, err := vendorjson.Marshal(body)
		if err != nil {
			return nil, err
		}
		callctx.Annotate(ctx, slog.String("name", req.GetName()))
		project := req.GetProjectId()
		answer, res, err := modelarts.CreateInstance.Call(ctx, s.client,
			modelarts.Request{Params: []string{project}, Body: json.RawMessage(raw)}, c.opts...)
		c.record(res)
		var inst *devenvv1.Instance
		if err == nil {
			if inst, err = readInstance(ctx, *answer); err != nil {
				err = &modelarts.DecodeError{HTTPStatus: res.HTTPStatus, Err: err}
			}
		}
		switch {
		case err == nil:
		case lostAnswer(ctx, res, err) || isDecodeError(err):
			if inst, err = s.findCreated(ctx, c, req, err); err != nil {
				return nil, err
			}
			setOutcomeInferred(ctx)
		default:
			return nil, err
		}
		callctx.Annotate(ctx, slog.String("instance_id", c.quote(inst.GetId(), maxQuotedID)))
		if req.GetWait() {
			announceCreated(ctx, inst.GetId())
			if inst, err = s.waitInstance(ctx, c, project, inst.GetId(), waitRunning); err != nil {
				return nil, err
			}
		}
		return &devenvv1.CreateInstanceResponse{Instance: inst}, nil
	})
}

// announceCreated sends the call's response header metadata now, with the
// created instance's ID ([callctx.MetadataKeyInstanceID]), before a create
// waits for the instance: a caller that gives up waiting still learns that
// the create succeeded and which instance it made. Only an ID the API
// takes as an instance_id is sent (it comes from ModelArts). Header
// metadata set after this is not sent.
func announceCreated(ctx context.Context, id string) {
	if checkInstanceID(id) != nil {
		return
	}
	_ = grpc.SendHeader(ctx, metadata.Pairs(callctx.MetadataKeyInstanceID, id))
}

// findCreated resolves a create whose answer was lost: ModelArts may or may
// not have created the instance. Names are unique in a project, so an
// instance with the name is the one created (or one that existed before,
// which the create would have refused with ModelArts.6301; either way the
// caller now has an instance of that name). The lookup lists where the
// create put it: its workspace, pool and AI project (ModelArts lists
// workspace "0" unless told otherwise). cause is the create's error.
func (s *Service) findCreated(ctx context.Context, c *call, req *devenvv1.CreateInstanceRequest, cause error) (*devenvv1.Instance, error) {
	project, name := req.GetProjectId(), req.GetName()
	s.logger.InfoContext(ctx, "a create reached ModelArts but its answer was lost; looking the name up",
		slog.String("project_id", project), slog.String("name", name), slog.String("cause", c.quoteErr(cause)))
	query := url.Values{"de_type": {"Notebook"}, "show_self": {"false"}}
	if id := req.GetWorkspace().GetId(); id != "" {
		query.Set("workspace_id", id)
	}
	if id := req.GetPool().GetId(); id != "" {
		query.Set("pool_id", id)
	}
	if id := req.GetAiProject().GetId(); id != "" {
		query.Set("ai_project", id)
	}
	answer, res, err := modelarts.ListInstances.Call(ctx, s.client, modelarts.Request{Params: []string{project}, Query: query}, c.opts...)
	c.record(res)
	var list *devenvv1.ListInstancesResponse
	if err == nil {
		list, err = readList(ctx, *answer, answerInstances)
	}
	if err != nil {
		return nil, apierror.Facade(codes.Unavailable, apierror.ReasonOutcomeUnknown, fmt.Sprintf(
			"ModelArts received the create but its answer was lost, and looking the name %q up failed; list the instances before creating it again", name),
			c.apiCall(nil))
	}
	for _, inst := range list.GetInstances() {
		if inst.GetName() == name {
			return inst, nil
		}
	}
	return nil, apierror.Facade(codes.Unavailable, apierror.ReasonUpstreamUnavailable, fmt.Sprintf(
		"ModelArts received the create but its answer was lost, and no instance named %q was found right after, so it most likely was not created; creating it again is safe: the name is unique, so a create that did happen answers ALREADY_EXISTS", name),
		c.apiCall(nil))
}

// ListInstances lists instances; see the proto for the contract. The
// vendor's filters and offset/limit pass through; page_size and page_token
// page over them (pagetoken.go).
func (s *Service) ListInstances(ctx context.Context, req *devenvv1.ListInstancesRequest) (*devenvv1.ListInstancesResponse, error) {
	return handle(ctx, s, req, validateListInstances, func(ctx context.Context, c *call) (*devenvv1.ListInstancesResponse, error) {
		query := listQuery(req)
		if req.GetPageSize() == 0 && req.GetPageToken() == "" {
			if req.GetOffset() != 0 {
				query.Set("offset", strconv.Itoa(int(req.GetOffset())))
			}
			if req.GetLimit() != 0 {
				query.Set("limit", strconv.Itoa(int(req.GetLimit())))
			}
			return s.list(ctx, c, req.GetProjectId(), query, answerList)
		}
		return s.listPage(ctx, c, req, query)
	})
}

// list calls the vendor's list once.
func (s *Service) list(ctx context.Context, c *call, project string, query url.Values, use listUse) (*devenvv1.ListInstancesResponse, error) {
	answer, res, err := modelarts.ListInstances.Call(ctx, s.client, modelarts.Request{Params: []string{project}, Query: query}, c.opts...)
	c.record(res)
	if err != nil {
		return nil, err
	}
	out, err := readList(ctx, *answer, use)
	if err != nil {
		return nil, &modelarts.DecodeError{HTTPStatus: res.HTTPStatus, Err: err}
	}
	return out, nil
}

// listQuery is the vendor's query for req's filters and order; de_type
// defaults to "Notebook", which ModelArts requires.
func listQuery(req *devenvv1.ListInstancesRequest) url.Values {
	q := url.Values{}
	set := func(k, v string) {
		if v != "" {
			q.Set(k, v)
		}
	}
	deType := req.GetDeType()
	if deType == "" {
		deType = "Notebook"
	}
	set("de_type", deType)
	set("provision_type", req.GetProvisionType())
	set("status", req.GetStatus())
	set("sortby", req.GetSortby())
	set("order", req.GetOrder())
	set("workspace_id", req.GetWorkspaceId())
	showSelf, _ := showSelfValue(req.GetShowSelf()) // "True" as the reference writes it: "true"
	set("show_self", showSelf)
	set("pool_id", req.GetPoolId())
	set("ai_project", req.GetAiProject())
	return q
}

// GetInstance returns an instance; see the proto for the contract.
func (s *Service) GetInstance(ctx context.Context, req *devenvv1.GetInstanceRequest) (*devenvv1.GetInstanceResponse, error) {
	return handle(ctx, s, req, validateGetInstance, func(ctx context.Context, c *call) (*devenvv1.GetInstanceResponse, error) {
		inst, err := s.get(ctx, c, req.GetProjectId(), req.GetInstanceId())
		if err != nil {
			return nil, err
		}
		return &devenvv1.GetInstanceResponse{Instance: inst}, nil
	})
}

// get reads an instance.
func (s *Service) get(ctx context.Context, c *call, project, id string) (*devenvv1.Instance, error) {
	answer, res, err := modelarts.GetInstance.Call(ctx, s.client, modelarts.Request{Params: []string{project, id}}, c.opts...)
	c.record(res)
	if err != nil {
		return nil, err
	}
	inst, err := readInstance(ctx, *answer)
	if err != nil {
		return nil, &modelarts.DecodeError{HTTPStatus: res.HTTPStatus, Err: err}
	}
	return inst, nil
}

// UpdateInstance changes an instance; see the proto for the contract. The
// vendor's PUT takes the fields given; unset ones keep their values.
func (s *Service) UpdateInstance(ctx context.Context, req *devenvv1.UpdateInstanceRequest) (*devenvv1.UpdateInstanceResponse, error) {
	return handle(ctx, s, req, validateUpdateInstance, func(ctx context.Context, c *call) (*devenvv1.UpdateInstanceResponse, error) {
		body := proto.Clone(req).(*devenvv1.UpdateInstanceRequest)
		body.ProjectId, body.InstanceId = "", ""
		raw, err := vendorjson.Marshal(body)
		if err != nil {
			return nil, err
		}
		answer, res, err := modelarts.UpdateInstance.Call(ctx, s.client,
			modelarts.Request{Params: []string{req.GetProjectId(), req.GetInstanceId()}, Body: json.RawMessage(raw)}, c.opts...)
		c.record(res)
		if err != nil {
			return nil, err
		}
		inst, err := readInstance(ctx, *answer)
		if err != nil {
			return nil, &modelarts.DecodeError{HTTPStatus: res.HTTPStatus, Err: err}
		}
		return &devenvv1.UpdateInstanceResponse{Instance: inst}, nil
	})
}

// StartInstance starts an instance; see the proto for the contract.
func (s *Service) StartInstance(ctx context.Context, req *devenvv1.StartInstanceRequest) (*devenvv1.StartInstanceResponse, error) {
	return handle(ctx, s, req, validateStartInstance, func(ctx context.Context, c *call) (*devenvv1.StartInstanceResponse, error) {
		ar, _, err := s.act(ctx, c, req.GetProjectId(), req.GetInstanceId(), actionStart)
		if err != nil {
			return nil, err
		}
		out := &devenvv1.StartInstanceResponse{CurrentStatus: ar.CurrentStatus, PreviousState: ar.PreviousState}
		if req.GetWait() {
			if out.Instance, err = s.waitInstance(ctx, c, req.GetProjectId(), req.GetInstanceId(), waitRunning); err != nil {
				return nil, err
			}
			out.CurrentStatus = out.Instance.GetStatus()
		}
		return out, nil
	})
}

// StopInstance stops an instance; see the proto for the contract.
func (s *Service) StopInstance(ctx context.Context, req *devenvv1.StopInstanceRequest) (*devenvv1.StopInstanceResponse, error) {
	return handle(ctx, s, req, validateStopInstance, func(ctx context.Context, c *call) (*devenvv1.StopInstanceResponse, error) {
		ar, _, err := s.act(ctx, c, req.GetProjectId(), req.GetInstanceId(), actionStop)
		if err != nil {
			return nil, err
		}
		out := &devenvv1.StopInstanceResponse{CurrentStatus: ar.CurrentStatus, PreviousState: ar.PreviousState}
		if req.GetWait() {
			if out.Instance, err = s.waitInstance(ctx, c, req.GetProjectId(), req.GetInstanceId(), waitStopped); err != nil {
				return nil, err
			}
			out.CurrentStatus = out.Instance.GetStatus()
		}
		return out, nil
	})
}

// ActOnInstance runs the vendor's action endpoint; see the proto.
func (s *Service) ActOnInstance(ctx context.Context, req *devenvv1.ActOnInstanceRequest) (*devenvv1.ActOnInstanceResponse, error) {
	return handle(ctx, s, req, validateActOnInstance, func(ctx context.Context, c *call) (*devenvv1.ActOnInstanceResponse, error) {
		ar, raw, err := s.act(ctx, c, req.GetProjectId(), req.GetInstanceId(), req.GetAction())
		if err != nil {
			return nil, err
		}
		out := &devenvv1.ActOnInstanceResponse{CurrentStatus: ar.CurrentStatus, PreviousState: ar.PreviousState}
		keepOriginal(ctx, out, raw)
		return out, nil
	})
}

// actionReached lists, per action, the statuses that show it took effect.
var actionReached = map[string][]string{
	actionStart: {"STARTING", "RUNNING"},
	actionStop:  {"STOPPING", "STOPPED"},
}

// act sends an action. An action is never resent: when its answer is lost,
// the instance's status tells whether it took effect (STARTING or RUNNING
// after a start, STOPPING or STOPPED after a stop); if it does not, the
// outcome is unknown and the caller is told so. It returns ModelArts'
// answer, decoded and as it came (nil when there is none to pass on).
func (s *Service) act(ctx context.Context, c *call, project, id, action string) (*modelarts.ActionResponse, []byte, error) {
	callctx.Annotate(ctx, slog.String("action", action))
	ar, res, err := modelarts.InstanceAction.Call(ctx, s.client,
		modelarts.Request{Params: []string{project, id}, Body: modelarts.ActionRequest{Action: action}}, c.opts...)
	c.record(res)
	switch {
	case err == nil:
		return ar, res.Body, nil
	case isDecodeError(err):
		// ModelArts accepted the action; only its report is unusable.
		return &modelarts.ActionResponse{}, nil, nil
	case !lostAnswer(ctx, res, err):
		return nil, nil, err
	}
	s.logger.InfoContext(ctx, "an action reached ModelArts but its answer was lost; reading the instance's status",
		slog.String("action", action), slog.String("cause", c.quoteErr(err)))
	inst, gerr := s.get(ctx, c, project, id)
	if gerr == nil && slices.Contains(actionReached[action], inst.GetStatus()) {
		setOutcomeInferred(ctx)
		return &modelarts.ActionResponse{CurrentStatus: inst.GetStatus()}, nil, nil
	}
	last := c.quote(inst.GetStatus(), maxQuotedStatus)
	return nil, nil, apierror.Facade(codes.Unavailable, apierror.ReasonOutcomeUnknown, fmt.Sprintf(
		"ModelArts received the %s but its answer was lost, and the instance's status (%q) does not show whether it took effect; read the instance before trying again", action, last),
		c.apiCall(map[string]string{apierror.MetadataInstanceStatus: last}))
}

// lostAnswer reports whether a call's request reached ModelArts without an
// answer coming back (and the caller is still waiting).
func lostAnswer(ctx context.Context, res modelarts.Result, err error) bool {
	_, answered := errors.AsType[*modelarts.Error](err)
	return err != nil && res.Ambiguous && !answered && ctx.Err() == nil
}

// isDecodeError reports whether err is a success answer whose body could
// not be used ([modelarts.DecodeError]).
func isDecodeError(err error) bool {
	_, ok := errors.AsType[*modelarts.DecodeError](err)
	return ok
}

// setOutcomeInferred tells the caller a success was inferred.
func setOutcomeInferred(ctx context.Context) {
	_ = grpc.SetHeader(ctx, metadata.Pairs(callctx.MetadataKeyOutcome, outcomeInferred))
	callctx.Annotate(ctx, slog.String("outcome", outcomeInferred))
}
