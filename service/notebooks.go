package service

import (
	"context"
	"fmt"
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
