package service

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"

	notebookv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/notebook/v1"
	"github.com/devenv-facade/devenv-facade/internal/apierror"
	"github.com/devenv-facade/devenv-facade/internal/callctx"
	"github.com/devenv-facade/devenv-facade/internal/modelarts"
	"github.com/devenv-facade/devenv-facade/internal/vendorjson"
)

// The image statuses the service acts on.
const (
	imageActive  = "ACTIVE"
	imageDeleted = "DELETED"
)

// imageMissing are the codes that say an image does not exist (sent with
// HTTP 400): the image's 6797, and Huawei Cloud's 6404.
var imageMissing = []string{modelarts.CodeImageNotFound, modelarts.CodeResourceNotFound}

// CreateImage saves a running notebook as an image; see the proto for the
// contract. The request's name, namespace, tag, description and
// workspace_id are the vendor's body. Image creation is sent once: when
// its answer is lost, the project's images are looked up by organization,
// name and tag, which no two images share (ModelArts.6737).
func (s *Service) CreateImage(ctx context.Context, req *notebookv1.CreateImageRequest) (*notebookv1.CreateImageResponse, error) {
	return handle(ctx, s, req, validateCreateImage, func(ctx context.Context, c *call) (*notebookv1.CreateImageResponse, error) {
		project, notebook := req.GetProjectId(), req.GetNotebookId()
		body := proto.Clone(req).(*notebookv1.CreateImageRequest)
		body.ProjectId, body.NotebookId, body.Wait = "", "", false
		raw, err := vendorjson.Marshal(body)
		if err != nil {
			return nil, err
		}
		callctx.Annotate(ctx, slog.String("image", req.GetNamespace()+"/"+req.GetName()))
		img := &notebookv1.Image{}
		res, empty, err := callVendor(ctx, s, c, modelarts.CreateImage,
			modelarts.Request{Params: []string{project, notebook}, Body: json.RawMessage(raw)}, img)
		switch {
		case err == nil && !empty:
		case err == nil, isDecodeError(err), lostAnswer(ctx, res, err):
			if img, err = s.findImage(ctx, c, project, swrRef{namespace: req.GetNamespace(), name: req.GetName(), tag: req.GetTag()}, req.GetWorkspaceId(), "save", err); err != nil {
				return nil, err
			}
			setOutcomeInferred(ctx)
		default:
			return nil, err
		}
		callctx.Annotate(ctx, slog.String("image_id", c.quote(img.GetId(), maxQuotedID)))
		if req.GetWait() {
			ctx := s.withWaitBudget(ctx) // the image's wait and the notebook's share one --max-wait
			if img, err = s.waitForImage(ctx, c, project, img.GetId(), waitImageActive); err != nil {
				return nil, err
			}
			if _, err = s.waitForSnapshot(ctx, c, project, notebook); err != nil {
				return nil, err
			}
		}
		return &notebookv1.CreateImageResponse{Image: img}, nil
	})
}

// findImage resolves an image creation or registration (what: "save",
// "registration") whose answer was lost or unusable (cause; nil for an
// answer without a body): the project's image of ref's organization,
// name and tag, which no two images share. Without a tag (a save that
// let ModelArts choose it) the image cannot be told apart from earlier
// saves of the name, and the outcome is unknown. Not found, the image most
// likely was not made, and trying again is safe.
func (s *Service) findImage(ctx context.Context, c *call, project string, ref swrRef, workspace, what string, cause error) (*notebookv1.Image, error) {
	if cause != nil {
		s.logger.InfoContext(ctx, "an image "+what+" reached ModelArts but its answer was lost or unusable; looking the image up",
			slog.String("cause", c.quoteErr(cause)))
	}
	shown := c.quote(ref.namespace+"/"+ref.name+":"+ref.tag, maxQuotedMessage)
	unknown := func(why string) error {
		return apierror.Facade(codes.Unavailable, apierror.ReasonOutcomeUnknown, fmt.Sprintf(
			"ModelArts received the image %s but its answer was lost, and %s; list the images (ListImages) before trying again", what, why), c.apiCall(nil))
	}
	if ref.tag == "" {
		return nil, unknown("without a tag the image it made cannot be told from others of the name")
	}
	q := url.Values{"namespace": {ref.namespace}, "type": {"DEDICATED"}, "limit": {strconv.Itoa(maxListLimit)}}
	if lowerAlnumOr(ref.name, "._-") {
		q.Set("name", ref.name)
		q.Set("name_fuzzy_match", "false")
	}
	setQuery(q, modelarts.QueryImageWorkspace, workspace)
	var list notebookv1.ListImagesResponse
	if err := readWindowOf(ctx, s, c, modelarts.ListImages, []string{project}, q, &list); err != nil {
		return nil, unknown("looking the image " + shown + " up failed")
	}
	for _, img := range list.GetData() {
		if img.GetNamespace() == ref.namespace && img.GetName() == ref.name && img.GetTag() == ref.tag {
			return img, nil
		}
	}
	return nil, apierror.Facade(codes.Unavailable, apierror.ReasonUpstreamUnavailable, fmt.Sprintf(
		"ModelArts received the image %s but its answer was lost, and no image %s was found right after, so it most likely was not made; trying again is safe: no two images share an organization, name and tag, so one that was made answers ALREADY_EXISTS", what, shown),
		c.apiCall(nil))
}

// ListImages lists images; see the proto for the contract. The vendor's
// filters and offset/limit pass through; page_size and page_token page
// over them (pages.go).
func (s *Service) ListImages(ctx context.Context, req *notebookv1.ListImagesRequest) (*notebookv1.ListImagesResponse, error) {
	return handle(ctx, s, req, validateListImages, func(ctx context.Context, c *call) (*notebookv1.ListImagesResponse, error) {
		query := url.Values{}
		serviceType, _ := checkUpper("service_type", req.GetServiceType(), imageServiceTypes...)
		typ, _ := checkUpper("type", req.GetType(), imageTypes...)
		dir, _ := checkUpper("sort_dir", req.GetSortDir(), sortDirs...)
		setQuery(query, "name", req.GetName())
		if req.NameFuzzyMatch != nil {
			query.Set("name_fuzzy_match", strconv.FormatBool(req.GetNameFuzzyMatch()))
		}
		setQuery(query, "namespace", req.GetNamespace())
		setQuery(query, "service_type", serviceType)
		setQuery(query, "type", typ)
		setQuery(query, "sort_dir", dir)
		setQuery(query, "sort_key", req.GetSortKey())
		setQuery(query, modelarts.QueryImageWorkspace, req.GetWorkspaceId())
		params := []string{req.GetProjectId()}
		if !aipPaging(req) {
			out := &notebookv1.ListImagesResponse{}
			if err := listVendor(ctx, s, c, modelarts.ListImages, params, withOffsetLimit(query, req), out); err != nil {
				return nil, err
			}
			return out, nil
		}
		page, err := pageOver(ctx, c, scopeOf(modelarts.ListImages, params), query, int(req.GetPageSize()), req.GetPageToken(), (*notebookv1.Image).GetId,
			func(ctx context.Context, q url.Values) ([]*notebookv1.Image, int, error) {
				var w notebookv1.ListImagesResponse
				if err := readWindowOf(ctx, s, c, modelarts.ListImages, params, q, &w); err != nil {
					return nil, 0, err
				}
				return w.GetData(), windowTotal(w.Total, q, len(w.GetData())), nil
			})
		if err != nil {
			return nil, err
		}
		return &notebookv1.ListImagesResponse{Data: page.items, Size: size32(req.GetPageSize()), Total: total64(page.total), NextPageToken: page.next}, nil
	})
}

// RegisterImage registers an SWR image; see the proto for the contract.
// The request's fields are the vendor's body (enum-like values as the
// vendor spells them). A registration is sent once: when its answer is
// lost, the image is looked up by the organization, name and tag of its
// swr_path, which no two images share.
func (s *Service) RegisterImage(ctx context.Context, req *notebookv1.RegisterImageRequest) (*notebookv1.RegisterImageResponse, error) {
	return handle(ctx, s, req, validateRegisterImage, func(ctx context.Context, c *call) (*notebookv1.RegisterImageResponse, error) {
		body := proto.Clone(req).(*notebookv1.RegisterImageRequest)
		body.ProjectId = ""
		for _, f := range []struct {
			v      **string
			values []string
		}{{&body.Arch, imageArchs}, {&body.Origin, imageOrigins}, {&body.ServiceType, imageServiceTypes}, {&body.Visibility, imageVisibilities}} {
			if *f.v != nil {
				v, _ := checkUpper("", **f.v, f.values...)
				*f.v = &v
			}
		}
		body.ResourceCategory = upperAll(body.ResourceCategory, imageCategories)
		body.Services = upperAll(body.Services, imageServices)
		raw, err := vendorjson.Marshal(body)
		if err != nil {
			return nil, err
		}
		project := req.GetProjectId()
		img := &notebookv1.Image{}
		res, empty, err := callVendor(ctx, s, c, modelarts.RegisterImage,
			modelarts.Request{Params: []string{project}, Body: json.RawMessage(raw)}, img)
		switch {
		case err == nil && !empty:
		case err == nil, isDecodeError(err), lostAnswer(ctx, res, err):
			ref, _ := parseSWRPath(req.GetSwrPath())
			if img, err = s.findImage(ctx, c, project, ref, req.GetWorkspaceId(), "registration", err); err != nil {
				return nil, err
			}
			setOutcomeInferred(ctx)
		default:
			return nil, err
		}
		return &notebookv1.RegisterImageResponse{Image: img}, nil
	})
}

// ListImageGroups lists the project's image groups; see the proto for the
// contract.
func (s *Service) ListImageGroups(ctx context.Context, req *notebookv1.ListImageGroupsRequest) (*notebookv1.ListImageGroupsResponse, error) {
	return handle(ctx, s, req, validateListImageGroups, func(ctx context.Context, c *call) (*notebookv1.ListImageGroupsResponse, error) {
		query := url.Values{}
		typ, _ := checkUpper("type", req.GetType(), imageTypes...)
		setQuery(query, "name", req.GetName())
		if req.NameFuzzyMatch != nil {
			query.Set("name_fuzzy_match", strconv.FormatBool(req.GetNameFuzzyMatch()))
		}
		setQuery(query, "namespace", req.GetNamespace())
		setQuery(query, "type", typ)
		setQuery(query, modelarts.QueryImageWorkspace, req.GetWorkspaceId())
		out := &notebookv1.ListImageGroupsResponse{}
		if err := listVendor(ctx, s, c, modelarts.ListImageGroups, []string{req.GetProjectId()}, query, out); err != nil {
			return nil, err
		}
		return out, nil
	})
}

// GetImage returns an image; see the proto for the contract.
func (s *Service) GetImage(ctx context.Context, req *notebookv1.GetImageRequest) (*notebookv1.GetImageResponse, error) {
	return handle(ctx, s, req, validateGetImage, func(ctx context.Context, c *call) (*notebookv1.GetImageResponse, error) {
		img, err := s.readImage(ctx, c, req.GetProjectId(), req.GetImageId())
		if err != nil {
			return nil, err
		}
		return &notebookv1.GetImageResponse{Image: img}, nil
	})
}

// readImage reads an image.
func (s *Service) readImage(ctx context.Context, c *call, project, id string) (*notebookv1.Image, error) {
	img := &notebookv1.Image{}
	if err := readVendor(ctx, s, c, modelarts.GetImage, modelarts.Request{Params: []string{project, id}}, img); err != nil {
		return nil, err
	}
	return img, nil
}

// DeleteImage deletes an image; see the proto for the contract. A delete
// is retried (the client's rules): a retry that hears the image does not
// exist after an attempt without an answer reports it deleted, with the
// header x-outcome: inferred. An accepted delete whose answer is empty or
// unusable answers the image DELETED, as ModelArts does.
func (s *Service) DeleteImage(ctx context.Context, req *notebookv1.DeleteImageRequest) (*notebookv1.DeleteImageResponse, error) {
	return handle(ctx, s, req, validateDeleteImage, func(ctx context.Context, c *call) (*notebookv1.DeleteImageResponse, error) {
		id := req.GetImageId()
		r := modelarts.Request{Params: []string{req.GetProjectId(), id}}
		if req.GetForce() {
			r.Query = url.Values{"force": {"true"}}
		}
		img := &notebookv1.Image{}
		res, empty, err := callVendor(ctx, s, c, modelarts.DeleteImage, r, img)
		switch {
		case err == nil && res.Inferred:
			setOutcomeInferred(ctx)
			img = &notebookv1.Image{Id: &id, Status: proto.String(imageDeleted)}
		case err == nil && empty, isDecodeError(err):
			img = &notebookv1.Image{Id: &id, Status: proto.String(imageDeleted)}
		case err != nil:
			return nil, err
		}
		return &notebookv1.DeleteImageResponse{Image: img}, nil
	})
}

// imageFailedStates are the statuses in which an image stays until
// someone acts: waiting for it to be ACTIVE ends there.
var imageFailedStates = []string{"CREATE_FAILED", "ERROR", imageDeleted}

// waitImageActive is the target of an image save's wait.
var waitImageActive = waitTarget{what: "to be ACTIVE", statuses: []string{imageActive}}

// waitForImage waits for image id of project to reach t (wait.go). A
// failure state ends the wait with the image's status_message.
func (s *Service) waitForImage(ctx context.Context, c *call, project, id string, t waitTarget) (*notebookv1.Image, error) {
	return waitFor(ctx, s, c, watched[*notebookv1.Image]{
		noun:    "image",
		id:      id,
		read:    func(ctx context.Context) (*notebookv1.Image, error) { return s.readImage(ctx, c, project, id) },
		status:  (*notebookv1.Image).GetStatus,
		failed:  imageFailedStates,
		missing: imageMissing,
		why:     func(img *notebookv1.Image) failure { return failure{message: img.GetStatusMessage()} },
	}, t)
}

// waitForSnapshot waits for a notebook whose image was saved to be
// RUNNING again: it is SNAPSHOTTING, and refuses other operations
// (ModelArts.6357), until the save ends.
func (s *Service) waitForSnapshot(ctx context.Context, c *call, project, notebook string) (*notebookv1.Notebook, error) {
	return s.waitNotebook(ctx, c, project, notebook, waitRunning)
}
