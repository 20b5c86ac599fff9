package service

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"

	notebookv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/notebook/v1"
	"github.com/devenv-facade/devenv-facade/internal/apierror"
	"github.com/devenv-facade/devenv-facade/internal/callctx"
	"github.com/devenv-facade/devenv-facade/internal/modelarts"
)

// ListStorageMounts lists a notebook's OBS mounts; see the proto for the
// contract.
func (s *Service) ListStorageMounts(ctx context.Context, req *notebookv1.ListStorageMountsRequest) (*notebookv1.ListStorageMountsResponse, error) {
	return handle(ctx, s, req, validateListStorageMounts, func(ctx context.Context, c *call) (*notebookv1.ListStorageMountsResponse, error) {
		out := &notebookv1.ListStorageMountsResponse{}
		if err := listVendor(ctx, s, c, modelarts.ListStorageMounts, []string{req.GetProjectId(), req.GetNotebookId()}, nil, out); err != nil {
			return nil, err
		}
		return out, nil
	})
}

// GetStorageMount returns one of a notebook's OBS mounts; see the proto
// for the contract.
func (s *Service) GetStorageMount(ctx context.Context, req *notebookv1.GetStorageMountRequest) (*notebookv1.GetStorageMountResponse, error) {
	return handle(ctx, s, req, validateGetStorageMount, func(ctx context.Context, c *call) (*notebookv1.GetStorageMountResponse, error) {
		m, err := s.readMount(ctx, c, req.GetProjectId(), req.GetNotebookId(), req.GetStorageId())
		if err != nil {
			return nil, err
		}
		return &notebookv1.GetStorageMountResponse{StorageMount: m}, nil
	})
}

// readMount reads a mount.
func (s *Service) readMount(ctx context.Context, c *call, project, notebook, id string) (*notebookv1.StorageMount, error) {
	m := &notebookv1.StorageMount{}
	if err := readVendor(ctx, s, c, modelarts.GetStorageMount, modelarts.Request{Params: []string{project, notebook, id}}, m); err != nil {
		return nil, err
	}
	return m, nil
}

// AttachStorageMount mounts an OBS directory into a running notebook; see
// the proto for the contract. The request's category, mount_path and uri
// are the vendor's body (the category as the vendor spells it). An attach
// is sent once: when its answer is lost, the notebook's mounts are listed,
// and a mount of the same directory at the same path is the answer
// (header x-outcome: inferred).
func (s *Service) AttachStorageMount(ctx context.Context, req *notebookv1.AttachStorageMountRequest) (*notebookv1.AttachStorageMountResponse, error) {
	return handle(ctx, s, req, validateAttachStorageMount, func(ctx context.Context, c *call) (*notebookv1.AttachStorageMountResponse, error) {
		project, notebook := req.GetProjectId(), req.GetNotebookId()
		category, _ := checkUpper("category", req.GetCategory(), mountCategories...)
		body, err := json.Marshal(struct {
			Category  string `json:"category"`
			MountPath string `json:"mount_path"`
			URI       string `json:"uri"`
		}{category, req.GetMountPath(), req.GetUri()})
		if err != nil {
			return nil, err
		}
		m := &notebookv1.StorageMount{}
		res, empty, err := callVendor(ctx, s, c, modelarts.AttachStorageMount,
			modelarts.Request{Params: []string{project, notebook}, Body: json.RawMessage(body)}, m)
		switch {
		case err == nil && !empty:
		case err == nil, isDecodeError(err), lostAnswer(ctx, res, err):
			// Attached, or perhaps: the mounts say which, and its ID.
			if m, err = s.findAttached(ctx, c, req, err); err != nil {
				return nil, err
			}
			setOutcomeInferred(ctx)
		default:
			return nil, err
		}
		callctx.Annotate(ctx, slog.String("storage_id", c.quote(m.GetId(), maxQuotedID)))
		if req.GetWait() {
			if m, err = s.waitForMount(ctx, c, project, notebook, m.GetId(), waitMounted); err != nil {
				return nil, err
			}
		}
		return &notebookv1.AttachStorageMountResponse{StorageMount: m}, nil
	})
}

// findAttached resolves an attach whose answer was lost or unusable
// (cause, nil for an answer without a body): the notebook's mount of
// req's directory at req's path, if there is one.
func (s *Service) findAttached(ctx context.Context, c *call, req *notebookv1.AttachStorageMountRequest, cause error) (*notebookv1.StorageMount, error) {
	if cause != nil {
		s.logger.InfoContext(ctx, "an attach reached ModelArts but its answer was lost or unusable; listing the notebook's mounts",
			slog.String("cause", c.quoteErr(cause)))
	}
	var list notebookv1.ListStorageMountsResponse
	err := readWindowOf(ctx, s, c, modelarts.ListStorageMounts, []string{req.GetProjectId(), req.GetNotebookId()}, nil, &list)
	if err == nil {
		for _, m := range list.GetData() {
			if sameDir(m.GetMountPath(), req.GetMountPath()) && sameDir(m.GetUri(), req.GetUri()) {
				return m, nil
			}
		}
	}
	msg := fmt.Sprintf("ModelArts received the attach but its answer was lost, and the notebook has no mount of %s at %s right after, so it most likely was not attached; list the mounts (ListStorageMounts) before attaching again",
		c.quote(req.GetUri(), maxQuotedMessage), c.quote(req.GetMountPath(), maxQuotedMessage))
	if err != nil {
		msg = "ModelArts received the attach but its answer was lost, and listing the notebook's mounts failed; list them (ListStorageMounts) before attaching again"
	}
	return nil, apierror.Facade(codes.Unavailable, apierror.ReasonOutcomeUnknown, msg, c.apiCall(nil))
}

// sameDir reports whether a and b name the same directory, with or
// without a trailing "/".
func sameDir(a, b string) bool {
	return strings.TrimSuffix(a, "/") == strings.TrimSuffix(b, "/")
}

// DetachStorageMount unmounts an OBS directory from a running notebook;
// see the proto for the contract. A detach is sent once: when its answer
// is lost, the mount is read, and a mount UNMOUNTING, UNMOUNTED or gone
// shows the detach took effect (header x-outcome: inferred).
func (s *Service) DetachStorageMount(ctx context.Context, req *notebookv1.DetachStorageMountRequest) (*notebookv1.DetachStorageMountResponse, error) {
	return handle(ctx, s, req, validateDetachStorageMount, func(ctx context.Context, c *call) (*notebookv1.DetachStorageMountResponse, error) {
		project, notebook, id := req.GetProjectId(), req.GetNotebookId(), req.GetStorageId()
		m := &notebookv1.StorageMount{}
		res, empty, err := callVendor(ctx, s, c, modelarts.DetachStorageMount, modelarts.Request{Params: []string{project, notebook, id}}, m)
		switch {
		case err == nil && !empty:
		case err == nil, isDecodeError(err):
			// Accepted; the answer does not show the mount.
			m = &notebookv1.StorageMount{Id: &id, Status: proto.String(mountUnmounting)}
		case lostAnswer(ctx, res, err):
			if m, err = s.findDetached(ctx, c, project, notebook, id, err); err != nil {
				return nil, err
			}
			setOutcomeInferred(ctx)
		default:
			return nil, err
		}
		if req.GetWait() {
			if _, err := s.waitForMount(ctx, c, project, notebook, id, waitUnmounted); err != nil {
				return nil, err
			}
		}
		return &notebookv1.DetachStorageMountResponse{StorageMount: m}, nil
	})
}

// The mount statuses the service acts on.
const (
	mountMounted     = "MOUNTED"
	mountMountFailed = "MOUNT_FAILED"
	mountUnmounting  = "UNMOUNTING"
	mountUnmounted   = "UNMOUNTED"
	mountUnmountFail = "UNMOUNT_FAILED"
)

// findDetached resolves a detach whose answer was lost (cause).
func (s *Service) findDetached(ctx context.Context, c *call, project, notebook, id string, cause error) (*notebookv1.StorageMount, error) {
	s.logger.InfoContext(ctx, "a detach reached ModelArts but its answer was lost; reading the mount",
		slog.String("cause", c.quoteErr(cause)))
	m, err := s.readMount(ctx, c, project, notebook, id)
	switch {
	case err == nil && (m.GetStatus() == mountUnmounting || m.GetStatus() == mountUnmounted):
		return m, nil
	case err != nil && isNotFound(err):
		return &notebookv1.StorageMount{Id: &id, Status: proto.String(mountUnmounted)}, nil
	}
	last := c.quote(m.GetStatus(), maxQuotedStatus)
	return nil, apierror.Facade(codes.Unavailable, apierror.ReasonOutcomeUnknown, fmt.Sprintf(
		"ModelArts received the detach but its answer was lost, and the mount's status (%q) does not show whether it took effect; read the mount before detaching again", last),
		c.apiCall(map[string]string{apierror.MetadataInstanceStatus: last}))
}

// isNotFound reports whether err is ModelArts saying that the resource
// does not exist (ModelArts.6309, 6404 or 6797).
func isNotFound(err error) bool {
	return hasCode(err, modelarts.CodeInstanceNotFound) || hasCode(err, modelarts.CodeResourceNotFound) || hasCode(err, modelarts.CodeImageNotFound)
}

// mountMissing are the codes that say a notebook or its mount does not
// exist (sent with HTTP 400): OTC's 6309 and Huawei Cloud's 6404.
var mountMissing = []string{modelarts.CodeInstanceNotFound, modelarts.CodeResourceNotFound}

// mountFailedStates are the statuses in which a mount stays until someone
// acts: waiting for anything else ends there.
var mountFailedStates = []string{mountMountFailed, mountUnmountFail}

// The targets of the mounts' waits: MOUNTED after an attach (UNMOUNTED on
// the way means someone detached it: a failure then); gone, or UNMOUNTED,
// after a detach (a mount MOUNTED for contraryLimit did not take the
// detach).
var (
	waitMounted   = waitTarget{what: "to be MOUNTED", statuses: []string{mountMounted}}
	waitUnmounted = waitTarget{what: "to be unmounted", statuses: []string{mountUnmounted}, contrary: mountMounted, gone: true}
)

// waitForMount waits for mount id of a notebook to reach t (wait.go).
func (s *Service) waitForMount(ctx context.Context, c *call, project, notebook, id string, t waitTarget) (*notebookv1.StorageMount, error) {
	failed := mountFailedStates
	if !t.gone {
		failed = append([]string{mountUnmounted}, failed...)
	}
	return waitFor(ctx, s, c, watched[*notebookv1.StorageMount]{
		noun: "storage mount",
		id:   id,
		read: func(ctx context.Context) (*notebookv1.StorageMount, error) {
			return s.readMount(ctx, c, project, notebook, id)
		},
		status:  (*notebookv1.StorageMount).GetStatus,
		failed:  failed,
		missing: mountMissing,
	}, t)
}
