package emulator

import (
	"cmp"
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"
)

// registerImageRequest is RegisterImage's body. Note the singular
// resource_category and the services that come back as
// resource_categories and dev_services.
type registerImageRequest struct {
	SWRPath          *string  `json:"swr_path"`
	Arch             *string  `json:"arch"`
	Description      *string  `json:"description"`
	Origin           *string  `json:"origin"`
	ResourceCategory []string `json:"resource_category"`
	ServiceType      *string  `json:"service_type"`
	Services         []string `json:"services"`
	Visibility       *string  `json:"visibility"`
	WorkspaceID      *string  `json:"workspace_id"`
}

// The limits of image fields: the reference's 512 for names and
// descriptions, Huawei's 2048 for an SWR path and 64 for an organisation,
// Docker's 128 for a tag.
const (
	maxImageNameLen  = 512
	maxSWRPathLen    = 2048
	maxNamespaceLen  = 64
	maxImageTagLen   = 128
	imageTagChars    = imageNameChars + "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	registryHostChar = imageTagChars + ":"
)

// imageServices are the values of services and dev_services: the
// reference's NOTEBOOK and SSH, and Huawei's others (a sample answers
// AI_FLOW).
var imageServices = []string{"NOTEBOOK", "SSH", "AI_FLOW", "MA_STUDIO", "TENSOR_BOARD", "WEB_IDE"}

// swrRef is a parsed SWR address.
type swrRef struct{ host, namespace, name, tag string }

// parseSWRPath reads an SWR address, [host[:port]/]organisation/name:tag:
// the organisation and name of [a-z0-9._-], the tag of [A-Za-z0-9._-]
// (at most 128), the whole at most 2048 characters. The tag is required
// (the reference's sample and its answer name one; inferred).
func parseSWRPath(p string) (swrRef, bool) {
	var ref swrRef
	if p == "" || len(p) > maxSWRPathLen {
		return ref, false
	}
	slash := strings.LastIndexByte(p, '/')
	colon := strings.LastIndexByte(p, ':')
	if colon < slash || slash < 0 {
		return ref, false
	}
	ref.tag = p[colon+1:]
	segs := strings.Split(p[:colon], "/")
	switch len(segs) {
	case 2:
		ref.namespace, ref.name = segs[0], segs[1]
	case 3:
		ref.host, ref.namespace, ref.name = segs[0], segs[1], segs[2]
		if ref.host == "" || strings.Trim(ref.host, registryHostChar) != "" {
			return ref, false
		}
	default:
		return ref, false
	}
	ok := ref.namespace != "" && len(ref.namespace) <= maxNamespaceLen && strings.Trim(ref.namespace, imageNameChars) == "" &&
		ref.name != "" && len(ref.name) <= maxImageNameLen && strings.Trim(ref.name, imageNameChars) == "" &&
		ref.tag != "" && len(ref.tag) <= maxImageTagLen && strings.Trim(ref.tag, imageTagChars) == ""
	return ref, ok
}

// listOf checks that every value of a list is one of values (in any
// case), returning them as values spells them, or def for an absent list.
func listOf(field string, given []string, def []string, values ...string) ([]string, *vendorError) {
	if given == nil {
		return def, nil
	}
	out := make([]string, 0, len(given))
	for _, g := range given {
		v, verr := oneOf(field, g, values...)
		if verr != nil {
			return nil, verr
		}
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out, nil
}

// optionalOneOf is oneOf for an optional field: def when absent.
func optionalOneOf(field string, given *string, def string, values ...string) (string, *vendorError) {
	if given == nil || *given == "" {
		return def, nil
	}
	return oneOf(field, *given, values...)
}

// checkWorkspace applies the workspace rule: "0" (the default workspace)
// or a 32-character ID of [0-9a-z] (Huawei's rule); another value names a
// workspace that does not exist, 400 ModelArts.0102 (inferred).
func checkWorkspace(ws *string) (string, *vendorError) {
	if ws == nil || *ws == "" || *ws == "0" {
		return "0", nil
	}
	if len(*ws) != 32 || strings.Trim(*ws, "0123456789abcdefghijklmnopqrstuvwxyz") != "" {
		return "", errWorkspaceNotFound
	}
	return *ws, nil
}

// newRegisteredImage checks a register request and returns the image it
// makes: DEDICATED, ACTIVE at once (as in the sample), named from its SWR
// path. The checks, the first failure answering: swr_path required (6335)
// and an SWR address (6336); description at most 512 characters (6336);
// arch, origin, resource_category, service_type, services and visibility
// in their enumerations, in any case (6336); workspace_id (0102).
func newRegisteredImage(req *registerImageRequest) (Image, *vendorError) {
	if req.SWRPath == nil || *req.SWRPath == "" {
		return Image{}, errRequired("swr_path")
	}
	ref, ok := parseSWRPath(*req.SWRPath)
	if !ok {
		return Image{}, errBadValue("swr_path")
	}
	img := Image{ID: newImageID(), Name: ref.name, Namespace: ref.namespace, Tag: ref.tag, SWRPath: *req.SWRPath,
		Type: "DEDICATED", Status: ImageActive, Size: imageSize(*req.SWRPath)}
	if req.Description != nil {
		if utf8.RuneCountInString(*req.Description) > maxDescriptionLen {
			return Image{}, errBadValue("description")
		}
		img.Description = *req.Description
	}
	arch, verr := optionalOneOf("arch", req.Arch, "X86_64", "X86_64", "AARCH64")
	if verr == nil {
		// The samples answer the architecture in lower case.
		img.Arch = strings.ToLower(arch)
		img.Origin, verr = optionalOneOf("origin", req.Origin, "CUSTOMIZE", "CUSTOMIZE", "IMAGE_SAVE")
	}
	if verr == nil {
		img.ResourceCategories, verr = listOf("resource_category", req.ResourceCategory, []string{"CPU", "GPU"}, "CPU", "GPU")
	}
	if verr == nil {
		img.ServiceType, verr = optionalOneOf("service_type", req.ServiceType, "UNKNOWN", imageServiceTypes...)
	}
	if verr == nil {
		img.DevServices, verr = listOf("services", req.Services, []string{"NOTEBOOK", "SSH"}, imageServices...)
	}
	if verr == nil {
		img.Visibility, verr = optionalOneOf("visibility", req.Visibility, "PRIVATE", "PRIVATE", "PUBLIC")
	}
	if verr == nil {
		img.WorkspaceID, verr = checkWorkspace(req.WorkspaceID)
	}
	return img, verr
}

// registerImage implements POST /v1/{project_id}/images: the checks of
// newRegisteredImage, then 6737 if the project (or the built-in catalog)
// already holds the organisation, name and tag.
func (s *Server) registerImage(w http.ResponseWriter, r *http.Request) {
	var req registerImageRequest
	verr := decodeBody(r, &req)
	var img Image
	if verr == nil {
		img, verr = newRegisteredImage(&req)
	}
	if verr != nil {
		writeNotebookError(w, verr)
		return
	}
	projectID := r.PathValue("project_id")
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.imageTaken(projectID, img.Namespace, img.Name, img.Tag) {
		writeNotebookError(w, errImageTagTaken(img.Tag, img.Namespace+"/"+img.Name))
		return
	}
	now := s.now()
	img.CreatedAt, img.UpdatedAt = now, now
	s.putImage(projectID, img)
	writeJSON(w, http.StatusOK, renderImage(&img))
}

// wireImageGroup is an ImageGroup: the images of one name in one
// organisation.
type wireImageGroup struct {
	CreateAt     int64  `json:"create_at"`
	Name         string `json:"name"`
	Namespace    string `json:"namespace"`
	UpdateAt     int64  `json:"update_at"`
	VersionCount int    `json:"version_count"`
}

// listImageGroups implements GET /v1/{project_id}/images/group: the
// images that pass the image list's filters (type DEDICATED unless given:
// the caller's own, as the sample shows, inferred) grouped by
// organisation and name, the earliest create_at and latest update_at of
// each, sorted by organisation then name (inferred); no paging, as the
// reference gives none.
func (s *Server) listImageGroups(w http.ResponseWriter, r *http.Request) {
	f, verr := parseImageFilter(query{r.URL.Query()})
	if verr != nil {
		writeNotebookError(w, verr)
		return
	}
	f.typ = cmp.Or(f.typ, "DEDICATED")
	s.mu.Lock()
	defer s.mu.Unlock()
	groups := map[[2]string]*wireImageGroup{}
	for _, img := range s.projectImages(r.PathValue("project_id"), s.now()) {
		if !f.matches(img) {
			continue
		}
		key := [2]string{img.Namespace, img.Name}
		g := groups[key]
		if g == nil {
			g = &wireImageGroup{Name: img.Name, Namespace: img.Namespace, CreateAt: img.CreatedAt.UnixMilli(), UpdateAt: img.UpdatedAt.UnixMilli()}
			groups[key] = g
		}
		g.VersionCount++
		g.CreateAt = min(g.CreateAt, img.CreatedAt.UnixMilli())
		g.UpdateAt = max(g.UpdateAt, img.UpdatedAt.UnixMilli())
	}
	list := make([]wireImageGroup, 0, len(groups))
	for _, g := range groups {
		list = append(list, *g)
	}
	slices.SortFunc(list, func(a, b wireImageGroup) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	})
	writeJSON(w, http.StatusOK, pageOf(list, 0, 0))
}
