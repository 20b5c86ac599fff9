package service

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"google.golang.org/protobuf/proto"

	notebookv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/notebook/v1"
	"github.com/devenv-facade/devenv-facade/internal/modelarts"
	"github.com/devenv-facade/devenv-facade/internal/vendorjson"
)

// NotebookService's notebooks: the methods that read and change notebooks
// of the new DevEnviron API, and the waits for their states. The lease,
// flavors, storage mounts and images have files of their own.

// notebookMissing are the codes that say a notebook does not exist (sent
// with HTTP 400): OTC's 6309 and Huawei Cloud's 6404.
var notebookMissing = []string{modelarts.CodeInstanceNotFound, modelarts.CodeResourceNotFound}

// notebookFailedStates are the statuses in which a notebook stays until
// someone acts: the failures, FROZEN (the account is in arrears: a
// payment, not time, ends it) and DELETED.
var notebookFailedStates = []string{"CREATE_FAILED", "START_FAILED", "DELETE_FAILED", "ERROR", "FROZEN", "DELETED"}

// GetNotebook returns a notebook; see the proto for the contract.
func (s *Service) GetNotebook(ctx context.Context, req *notebookv1.GetNotebookRequest) (*notebookv1.GetNotebookResponse, error) {
	return handle(ctx, s, req, validateGetNotebook, func(ctx context.Context, c *call) (*notebookv1.GetNotebookResponse, error) {
		nb, err := s.getNotebook(ctx, c, req.GetProjectId(), req.GetNotebookId())
		if err != nil {
			return nil, err
		}
		return &notebookv1.GetNotebookResponse{Notebook: nb}, nil
	})
}

// getNotebook reads a notebook.
func (s *Service) getNotebook(ctx context.Context, c *call, project, id string) (*notebookv1.Notebook, error) {
	answer, res, err := modelarts.GetNotebook.Call(ctx, s.client, modelarts.Request{Params: []string{project, id}}, c.opts...)
	c.record(res)
	if err != nil {
		return nil, err
	}
	nb := new(notebookv1.Notebook)
	if err := readAnswer(ctx, *answer, res, nb); err != nil {
		return nil, err
	}
	return nb, nil
}

// readAnswer reads raw, ModelArts' JSON answer to the call of ctx, into
// m: for gRPC callers, what the API declares of it (the notebook's token
// has no field, so it goes); for REST callers, raw itself without its
// secrets (forCallers), kept beside m. An answer that cannot be read is a
// [modelarts.DecodeError].
func readAnswer(ctx context.Context, raw []byte, res modelarts.Result, m proto.Message) error {
	if err := vendorjson.Unmarshal(raw, m); err != nil {
		return &modelarts.DecodeError{HTTPStatus: res.HTTPStatus, Err: err}
	}
	if o := vendorjson.OriginalsFrom(ctx); o != nil {
		clean, err := forCallers(raw)
		if err != nil {
			return &modelarts.DecodeError{HTTPStatus: res.HTTPStatus, Err: err}
		}
		o.Keep(m, clean)
	}
	return nil
}

// waitNotebook waits for notebook id of project to reach t (wait.go). A
// failure state ends the wait with the notebook's fail_reason and its
// action_progress.
func (s *Service) waitNotebook(ctx context.Context, c *call, project, id string, t waitTarget) (*notebookv1.Notebook, error) {
	return waitFor(ctx, s, c, watched[*notebookv1.Notebook]{
		noun:    "notebook",
		id:      id,
		read:    func(ctx context.Context) (*notebookv1.Notebook, error) { return s.getNotebook(ctx, c, project, id) },
		status:  (*notebookv1.Notebook).GetStatus,
		failed:  notebookFailedStates,
		missing: notebookMissing,
		why: func(nb *notebookv1.Notebook) failure {
			return failure{message: nb.GetFailReason(), progress: progressText(nb.GetActionProgress())}
		},
	}, t)
}

// maxProgressSteps bounds the steps of an action_progress an error
// describes: ModelArts reports four.
const maxProgressSteps = 8

// progressText describes a notebook's action_progress for an error, step
// by step in ModelArts' order: "step 1 COMPLETED, step 2 FAILED (prepare
// compute resources)"; a step's description is given for a FAILED step
// only. It is "" without steps.
func progressText(steps []*notebookv1.JobProgress) string {
	var b strings.Builder
	for i, p := range steps {
		if i == maxProgressSteps {
			fmt.Fprintf(&b, ", and %d more", len(steps)-i)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "step %d %s", p.GetStep(), p.GetStatus())
		desc := p.GetStepDescription()
		if desc == "" {
			desc = p.GetDescription()
		}
		if strings.EqualFold(p.GetStatus(), "FAILED") && desc != "" {
			fmt.Fprintf(&b, " (%s)", desc)
		}
	}
	return b.String()
}

// ListNotebooks lists the caller's notebooks; see the proto for the
// contract.
func (s *Service) ListNotebooks(ctx context.Context, req *notebookv1.ListNotebooksRequest) (*notebookv1.ListNotebooksResponse, error) {
	return handle(ctx, s, req, validateListNotebooks, func(ctx context.Context, c *call) (*notebookv1.ListNotebooksResponse, error) {
		return s.notebookList(ctx, c, modelarts.ListNotebooks, req)
	})
}

// ListAllNotebooks lists every user's notebooks; see the proto for the
// contract. It answers as ListNotebooks does.
func (s *Service) ListAllNotebooks(ctx context.Context, req *notebookv1.ListAllNotebooksRequest) (*notebookv1.ListAllNotebooksResponse, error) {
	return handle(ctx, s, req, validateNotebookList[*notebookv1.ListAllNotebooksRequest], func(ctx context.Context, c *call) (*notebookv1.ListAllNotebooksResponse, error) {
		list, err := s.notebookList(ctx, c, modelarts.ListAllNotebooks, req)
		if err != nil {
			return nil, err
		}
		out := &notebookv1.ListAllNotebooksResponse{Current: list.Current, Data: list.Data, Pages: list.Pages, Size: list.Size, Total: list.Total, NextPageToken: list.NextPageToken}
		vendorjson.OriginalsFrom(ctx).Move(list, out)
		return out, nil
	})
}

// notebookList answers a list of notebooks from ep: the vendor's offset
// and limit pass through, page_size and page_token page over them
// (pagetoken.go).
func (s *Service) notebookList(ctx context.Context, c *call, ep modelarts.Endpoint[json.RawMessage], req notebookList) (*notebookv1.ListNotebooksResponse, error) {
	query := notebookListQuery(req)
	project := req.GetProjectId()
	if req.GetPageSize() == 0 && req.GetPageToken() == "" {
		if req.GetOffset() != 0 {
			query.Set("offset", strconv.Itoa(int(req.GetOffset())))
		}
		if req.GetLimit() != 0 {
			query.Set("limit", strconv.Itoa(int(req.GetLimit())))
		}
		return s.listNotebooks(ctx, c, ep, project, query, answerList)
	}
	size := int(req.GetPageSize())
	if size == 0 {
		size = defaultPageSize
	}
	tok, err := decodeFor(c.requestID, req.GetPageToken(), queryDigest(ep.Operation().Name+"/"+project, query))
	if err != nil {
		return nil, err
	}
	pg, err := pageAfter(ctx, pager[*notebookv1.Notebook]{
		read: func(ctx context.Context, offset, limit int) ([]*notebookv1.Notebook, int, error) {
			q := cloneQuery(query)
			q.Set("offset", strconv.Itoa(offset))
			q.Set("limit", strconv.Itoa(limit))
			window, err := s.listNotebooks(ctx, c, ep, project, q, answerInstances)
			return window.GetData(), int(window.GetTotal()), err
		},
		id: (*notebookv1.Notebook).GetId,
	}, tok, size)
	if err != nil {
		return nil, err
	}
	return &notebookv1.ListNotebooksResponse{Data: pg.items, Size: proto.Int32(int32(size)), Total: proto.Int64(int64(pg.total)), NextPageToken: pg.next}, nil
}

// notebookListQuery is the vendor's query for req's filters and order.
// The vendor's enumerations go in upper case, as its pages write them.
func notebookListQuery(req notebookList) url.Values {
	q := url.Values{}
	set := func(k, v string) {
		if v != "" {
			q.Set(k, v)
		}
	}
	set("feature", strings.ToUpper(req.GetFeature()))
	set("name", req.GetName())
	set("pool_id", req.GetPoolId())
	set("owner", req.GetOwner())
	set("sort_dir", strings.ToUpper(req.GetSortDir()))
	set("sort_key", req.GetSortKey())
	set("status", strings.ToUpper(req.GetStatus()))
	set(modelarts.QueryNotebookWorkspace, req.GetWorkspaceId())
	return q
}

// listNotebooks calls a list of notebooks once. REST callers get the list
// as ModelArts sent it, or, when use is answerInstances, each notebook as
// ModelArts sent it.
func (s *Service) listNotebooks(ctx context.Context, c *call, ep modelarts.Endpoint[json.RawMessage], project string, query url.Values, use listUse) (*notebookv1.ListNotebooksResponse, error) {
	answer, res, err := ep.Call(ctx, s.client, modelarts.Request{Params: []string{project}, Query: query}, c.opts...)
	c.record(res)
	if err != nil {
		return nil, err
	}
	list := new(notebookv1.ListNotebooksResponse)
	if err := readAnswer(ctx, *answer, res, list); err != nil {
		return nil, err
	}
	o := vendorjson.OriginalsFrom(ctx)
	if o == nil || use != answerInstances {
		return list, nil
	}
	o.Drop(list)
	var items struct {
		Data []json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(*answer, &items); err != nil || len(items.Data) != len(list.GetData()) {
		return list, nil // REST callers get these notebooks as the facade writes them
	}
	for i, nb := range list.GetData() {
		if clean, err := forCallers(items.Data[i]); err == nil {
			o.Keep(nb, clean)
		}
	}
	return list, nil
}
