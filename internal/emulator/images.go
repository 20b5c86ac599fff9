package emulator

import (
	"cmp"
	"hash/fnv"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
)

// ImageStatus is the status of an image of the new API.
type ImageStatus string

// The image statuses the reference lists.
const (
	ImageInit         ImageStatus = "INIT"
	ImageCreating     ImageStatus = "CREATING"
	ImageCreateFailed ImageStatus = "CREATE_FAILED"
	ImageError        ImageStatus = "ERROR"
	ImageDeleted      ImageStatus = "DELETED"
	ImageActive       ImageStatus = "ACTIVE"
)

// Image is an image of the new API: a built-in one (Type BUILD_IN,
// visible in every project) or a project's own (DEDICATED: registered
// from SWR or saved from a notebook).
type Image struct {
	// ID is a UUID.
	ID string
	// Name, Namespace (the SWR organisation) and Tag name the image in SWR;
	// SWRPath is its full address.
	Name, Namespace, Tag, SWRPath string
	// Description is the image description.
	Description string
	// Arch is "x86_64" or "aarch64", as the samples write it.
	Arch string
	// Type is "BUILD_IN" or "DEDICATED".
	Type string
	// Origin ("CUSTOMIZE" or "IMAGE_SAVE") and Visibility ("PRIVATE" or
	// "PUBLIC") are set on DEDICATED images, as in the samples.
	Origin, Visibility string
	// ServiceType is "COMMON", "INFERENCE", "TRAIN", "DEV" or "UNKNOWN".
	ServiceType string
	// Status is the image's status; StatusMessage a saved image's build
	// message.
	Status        ImageStatus
	StatusMessage string
	// DevServices ("NOTEBOOK", "SSH", "AI_FLOW"...) and ResourceCategories
	// ("CPU", "GPU") say what the image supports.
	DevServices, ResourceCategories []string
	// Size is the image's size in bytes (the fact sheet's reading, §9.13);
	// zero leaves it out.
	Size int64
	// CreatedAt and UpdatedAt are create_at and update_at.
	CreatedAt, UpdatedAt time.Time
	// WorkspaceID is the workspace ("0").
	WorkspaceID string

	// steps are the pending status changes of an image being saved.
	steps []imageStep
}

// imageStep is a pending status change of an image.
type imageStep struct {
	to      ImageStatus
	at      time.Time
	message string
	size    int64
}

// clone returns a deep copy of img.
func (img Image) clone() Image {
	c := img
	c.DevServices = slices.Clone(img.DevServices)
	c.ResourceCategories = slices.Clone(img.ResourceCategories)
	c.steps = slices.Clone(img.steps)
	return c
}

// settle applies the image's pending status changes whose time has come.
func (img *Image) settle(now time.Time) {
	for len(img.steps) > 0 && !now.Before(img.steps[0].at) {
		st := img.steps[0]
		img.steps = img.steps[1:]
		img.Status, img.UpdatedAt, img.StatusMessage = st.to, st.at, st.message
		if st.size > 0 {
			img.Size = st.size
		}
	}
}

// wireImage is the Image object on the wire, shaped like the samples:
// namespace, origin, visibility, size and status_message only where set.
type wireImage struct {
	Arch               string      `json:"arch"`
	CreateAt           int64       `json:"create_at"`
	Description        string      `json:"description"`
	DevServices        []string    `json:"dev_services"`
	ID                 string      `json:"id"`
	Name               string      `json:"name"`
	Namespace          string      `json:"namespace,omitempty"`
	Origin             string      `json:"origin,omitempty"`
	ResourceCategories []string    `json:"resource_categories,omitempty"`
	ServiceType        string      `json:"service_type"`
	Size               int64       `json:"size,omitempty"`
	Status             ImageStatus `json:"status"`
	StatusMessage      string      `json:"status_message,omitempty"`
	SWRPath            string      `json:"swr_path"`
	Tag                string      `json:"tag"`
	Tags               []string    `json:"tags"`
	Type               string      `json:"type"`
	UpdateAt           int64       `json:"update_at"`
	Visibility         string      `json:"visibility,omitempty"`
	WorkspaceID        string      `json:"workspace_id"`
}

// renderImage returns an image's wire form.
func renderImage(img *Image) wireImage {
	devServices := img.DevServices
	if devServices == nil {
		devServices = []string{}
	}
	return wireImage{
		Arch: img.Arch, CreateAt: img.CreatedAt.UnixMilli(), Description: img.Description,
		DevServices: devServices, ID: img.ID, Name: img.Name, Namespace: img.Namespace,
		Origin: img.Origin, ResourceCategories: img.ResourceCategories, ServiceType: img.ServiceType, Size: img.Size,
		Status: img.Status, StatusMessage: img.StatusMessage, SWRPath: img.SWRPath, Tag: img.Tag, Tags: []string{},
		Type: img.Type, UpdateAt: img.UpdatedAt.UnixMilli(), Visibility: img.Visibility, WorkspaceID: img.WorkspaceID,
	}
}

// sortField implements sortable.
func (img *Image) sortField(key string) string {
	switch key {
	case "create_at":
		return sortMillis(img.CreatedAt.UnixMilli())
	case "update_at":
		return sortMillis(img.UpdatedAt.UnixMilli())
	case "name":
		return img.Name
	case "status":
		return string(img.Status)
	}
	return img.ID
}

// findImage returns a built-in image or one of the project's, settled at
// now, or nil. The caller holds s.mu.
func (s *Server) findImage(projectID, id string) *Image {
	if img, ok := builtinImages[id]; ok {
		return img
	}
	img := s.images[projectID][id]
	if img != nil {
		img.settle(s.now())
	}
	return img
}

// projectImages returns the built-in images and the project's, settled at
// now. The caller holds s.mu.
func (s *Server) projectImages(projectID string, now time.Time) []*Image {
	out := make([]*Image, 0, len(builtinImages)+len(s.images[projectID]))
	for _, img := range builtinImages {
		out = append(out, img)
	}
	for _, img := range s.images[projectID] {
		img.settle(now)
		out = append(out, img)
	}
	return out
}

// putImage stores a copy of img under projectID. The caller holds s.mu.
func (s *Server) putImage(projectID string, img Image) {
	if s.images[projectID] == nil {
		s.images[projectID] = map[string]*Image{}
	}
	c := img.clone()
	s.images[projectID][img.ID] = &c
}

// AddImage stores a copy of img as one of projectID's DEDICATED images,
// replacing any with the same ID. Tests use it to set up images the API
// cannot make (an ERROR image, say). Empty fields get defaults: Type
// DEDICATED, Status ACTIVE, Arch x86_64, CreatedAt and UpdatedAt the
// server's clock, WorkspaceID "0".
func (s *Server) AddImage(projectID string, img Image) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.putImage(projectID, normalizeImage(img, s.now()))
}

// Image returns a copy of one of projectID's images (or a built-in one)
// as it is now on the server's clock, and whether it exists.
func (s *Server) Image(projectID, id string) (Image, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	img := s.findImage(projectID, id)
	if img == nil {
		return Image{}, false
	}
	return img.clone(), true
}

// normalizeImage fills in an image's defaults (see [Server.AddImage]).
func normalizeImage(img Image, now time.Time) Image {
	img.Type = cmp.Or(img.Type, "DEDICATED")
	img.Status = cmp.Or(img.Status, ImageActive)
	img.Arch = cmp.Or(img.Arch, "x86_64")
	img.ServiceType = cmp.Or(img.ServiceType, "UNKNOWN")
	img.WorkspaceID = cmp.Or(img.WorkspaceID, "0")
	if img.CreatedAt.IsZero() {
		img.CreatedAt = now
	}
	if img.UpdatedAt.IsZero() {
		img.UpdatedAt = img.CreatedAt
	}
	if img.SWRPath == "" {
		img.SWRPath = swrHost + "/" + img.Namespace + "/" + img.Name + ":" + img.Tag
	}
	return img
}

// swrHost is the SWR registry host of the images the emulator makes
// (.invalid: nothing tries to reach it).
const swrHost = "swr.emulator.invalid"

// imageSize is the size the emulator gives an image it registers or saves:
// a stable value from its SWR path, 100 MB to 10 GB (the reference's
// samples are 0.4 to 8 GB).
func imageSize(swrPath string) int64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(swrPath))
	return 100_000_000 + int64(h.Sum64()%9_900_000_000)
}

// imageTaken reports whether the project (or the built-in catalog) already
// holds namespace/name:tag. The caller holds s.mu.
func (s *Server) imageTaken(projectID, namespace, name, tag string) bool {
	for _, img := range s.projectImages(projectID, s.now()) {
		if img.Namespace == namespace && img.Name == name && img.Tag == tag {
			return true
		}
	}
	return false
}

// listImages implements GET /v1/{project_id}/images: filters name (a
// substring unless name_fuzzy_match=false), namespace, service_type,
// type and workspace_id (default: any); sort_key and sort_dir (default
// create_at DESC); offset and limit (default 200).
func (s *Server) listImages(w http.ResponseWriter, r *http.Request) {
	q := query{r.URL.Query()}
	f, verr := parseImageFilter(q)
	var order sortOrder
	var offset, limit int
	if verr == nil {
		order, verr = q.sort(sortKeys, "create_at")
	}
	if verr == nil {
		offset, limit, verr = q.paging(200)
	}
	if verr != nil {
		writeNotebookError(w, verr)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var found []*Image
	for _, img := range s.projectImages(r.PathValue("project_id"), s.now()) {
		if f.matches(img) {
			found = append(found, img)
		}
	}
	slices.SortFunc(found, func(a, b *Image) int { return order.compare(a, b) })
	p := pageOf(found, offset, limit)
	out := wirePage[wireImage]{Current: p.Current, Pages: p.Pages, Size: p.Size, Total: p.Total, Data: make([]wireImage, len(p.Data))}
	for i, img := range p.Data {
		out.Data[i] = renderImage(img)
	}
	writeJSON(w, http.StatusOK, out)
}

// imageFilter is the filter of the image list and the group list.
type imageFilter struct {
	name, namespace, serviceType, typ, workspace string
	fuzzy                                        bool
}

// parseImageFilter reads the image filters: name (at most 512 of
// [a-z0-9._-]: 6336), name_fuzzy_match (a boolean, default true: 6332),
// service_type and type (their enumerations: 6336), namespace and
// workspace_id.
func parseImageFilter(q query) (imageFilter, *vendorError) {
	f := imageFilter{name: q.str("name"), namespace: q.str("namespace"), workspace: q.str("workspace_id")}
	if len(f.name) > 512 || strings.Trim(f.name, imageNameChars) != "" {
		return f, errBadValue("name")
	}
	var verr *vendorError
	if f.fuzzy, verr = q.boolean("name_fuzzy_match", true); verr != nil {
		return f, verr
	}
	if f.serviceType, verr = q.enum("service_type", imageServiceTypes...); verr != nil {
		return f, verr
	}
	f.typ, verr = q.enum("type", "BUILD_IN", "DEDICATED")
	return f, verr
}

// imageNameChars are the characters of an image name.
const imageNameChars = "abcdefghijklmnopqrstuvwxyz0123456789._-"

// imageServiceTypes are the values of service_type.
var imageServiceTypes = []string{"COMMON", "INFERENCE", "TRAIN", "DEV", "UNKNOWN"}

// matches reports whether img passes the filter.
func (f imageFilter) matches(img *Image) bool {
	nameOK := f.name == "" || img.Name == f.name || f.fuzzy && strings.Contains(img.Name, f.name)
	return nameOK && (f.namespace == "" || img.Namespace == f.namespace) &&
		(f.serviceType == "" || img.ServiceType == f.serviceType) && (f.typ == "" || img.Type == f.typ) &&
		(f.workspace == "" || img.WorkspaceID == f.workspace)
}

// showImage implements GET /v1/{project_id}/images/{id}: the image, or 400
// ModelArts.6797.
func (s *Server) showImage(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	img := s.targetImage(r.PathValue("project_id"), r.PathValue("id"))
	if img == nil {
		writeNotebookError(w, errImageNotFound(r.PathValue("id")))
		return
	}
	writeJSON(w, http.StatusOK, renderImage(img))
}

// targetImage returns the image a request is for, or for an ID with
// [FaultInstancePrefix] a fresh ACTIVE DEDICATED image, never kept; nil
// if there is none. The caller holds s.mu.
func (s *Server) targetImage(projectID, id string) *Image {
	if strings.HasPrefix(id, FaultInstancePrefix) {
		img := normalizeImage(Image{ID: id, Name: "fault", Namespace: "fault", Tag: "1", Origin: "CUSTOMIZE", Visibility: "PRIVATE",
			DevServices: []string{"NOTEBOOK", "SSH"}, ResourceCategories: []string{"CPU"}, CreatedAt: sampleNotebookEpoch}, sampleNotebookEpoch)
		return &img
	}
	return s.findImage(projectID, id)
}

// deleteImage implements DELETE /v1/{project_id}/images/{id}: a project's
// DEDICATED image is gone at once (later calls give 6797) and the answer
// shows it DELETED. A built-in image is 403 ModelArts.0108; one being
// saved (INIT, CREATING) 6357 (both inferred). The query force (a
// boolean: 6332) and the body {"is_force": bool} of Huawei's SDK are both
// accepted (§9.15); the emulator has no SWR content to remove.
func (s *Server) deleteImage(w http.ResponseWriter, r *http.Request) {
	if _, verr := (query{r.URL.Query()}).boolean("force", false); verr != nil {
		writeNotebookError(w, verr)
		return
	}
	if b, err := readBody(r); err == nil && len(strings.TrimSpace(string(b))) > 0 {
		var body struct {
			IsForce *bool `json:"is_force"`
		}
		if verr := decodeBody(r, &body); verr != nil {
			writeNotebookError(w, verr)
			return
		}
	}
	projectID, id := r.PathValue("project_id"), r.PathValue("id")
	s.mu.Lock()
	defer s.mu.Unlock()
	img := s.targetImage(projectID, id)
	var verr *vendorError
	switch {
	case img == nil:
		verr = errImageNotFound(id)
	case img.Type == "BUILD_IN":
		verr = errNotAuthorized("delete image")
	case img.Status == ImageInit || img.Status == ImageCreating:
		verr = errOperationInProgress
	}
	if verr != nil {
		writeNotebookError(w, verr)
		return
	}
	gone := img.clone()
	gone.Status = ImageDeleted
	delete(s.images[projectID], id)
	writeJSON(w, http.StatusOK, renderImage(&gone))
}

// newImageID returns a fresh image ID.
func newImageID() string { return uuid.NewString() }
