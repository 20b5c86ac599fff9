package emulator

import (
	"cmp"
	"net/http"
	"strings"
	"unicode/utf8"
)

// FailImagePrefix starts the names of images whose saving fails: they go
// from CREATING to CREATE_FAILED, with a status_message.
const FailImagePrefix = "fail-image"

// createImageRequest is CreateImage's body.
type createImageRequest struct {
	Name        *string `json:"name"`
	Namespace   *string `json:"namespace"`
	Tag         *string `json:"tag"`
	Description *string `json:"description"`
	WorkspaceID *string `json:"workspace_id"`
}

// checkCreateImage applies CreateImage's field rules: name and namespace
// required (the fact sheet's choice, §9.14: 6335); name of [a-z0-9._-]
// (6334), at most 512 characters (6336); namespace of [a-z0-9._-], at most
// 64 (6336); tag, if given, of [A-Za-z0-9._-], at most 64 (6336);
// description at most 512 characters (6336); workspace_id (0102).
func checkCreateImage(req *createImageRequest) (Image, *vendorError) {
	if req.Name == nil || *req.Name == "" {
		return Image{}, errRequired("name")
	}
	if req.Namespace == nil || *req.Namespace == "" {
		return Image{}, errRequired("namespace")
	}
	img := Image{Name: *req.Name, Namespace: *req.Namespace}
	if i := strings.IndexFunc(img.Name, func(c rune) bool { return !strings.ContainsRune(imageNameChars, c) }); i >= 0 {
		c, _ := utf8.DecodeRuneInString(img.Name[i:])
		return Image{}, errForbiddenChar(c)
	}
	switch {
	case len(img.Name) > maxImageNameLen:
		return Image{}, errBadValue("name")
	case len(img.Namespace) > maxNamespaceLen || strings.Trim(img.Namespace, imageNameChars) != "":
		return Image{}, errBadValue("namespace")
	}
	if req.Tag != nil && *req.Tag != "" {
		if len(*req.Tag) > 64 || strings.Trim(*req.Tag, imageTagChars) != "" {
			return Image{}, errBadValue("tag")
		}
		img.Tag = *req.Tag
	}
	if req.Description != nil {
		if utf8.RuneCountInString(*req.Description) > maxDescriptionLen {
			return Image{}, errBadValue("description")
		}
		img.Description = *req.Description
	}
	var verr *vendorError
	img.WorkspaceID, verr = checkWorkspace(req.WorkspaceID)
	return img, verr
}

// createImage implements POST /v1/{project_id}/notebooks/{id}/create-image:
// the checks of checkCreateImage; the notebook (6309) RUNNING
// (mutationGuard: 6326, 6357, 6327); the organisation, name and tag not
// taken (6737). The tag defaults to the time, yyyymmddhhmmss (inferred).
// The answer is the new DEDICATED image, origin IMAGE_SAVE, INIT; it is
// CREATING after half of [Lifecycle].Snapshot and ACTIVE (with a size)
// after all of it, or CREATE_FAILED for a name with [FailImagePrefix].
// Meanwhile the notebook is SNAPSHOTTING, then RUNNING again (inferred).
// The image takes the notebook image's services, categories, service
// type and architecture.
func (s *Server) createImage(w http.ResponseWriter, r *http.Request) {
	var req createImageRequest
	verr := decodeBody(r, &req)
	var img Image
	if verr == nil {
		img, verr = checkCreateImage(&req)
	}
	if verr != nil {
		writeNotebookError(w, verr)
		return
	}
	projectID := r.PathValue("project_id")
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	nb := s.targetNotebook(projectID, r.PathValue("id"), now)
	img.Tag = cmp.Or(img.Tag, now.UTC().Format("20060102150405"))
	switch {
	case nb == nil:
		verr = errInstanceNotFound
	case mutationGuard(nb.Status) != nil:
		verr = mutationGuard(nb.Status)
	case s.imageTaken(projectID, img.Namespace, img.Name, img.Tag):
		verr = errImageTagTaken(img.Tag, img.Namespace+"/"+img.Name)
	}
	if verr != nil {
		writeNotebookError(w, verr)
		return
	}
	img.ID, img.Type, img.Origin, img.Visibility, img.Status = newImageID(), "DEDICATED", "IMAGE_SAVE", "PRIVATE", ImageInit
	img.SWRPath = swrHost + "/" + img.Namespace + "/" + img.Name + ":" + img.Tag
	img.CreatedAt, img.UpdatedAt = now, now
	img.Arch, img.ServiceType = "x86_64", "UNKNOWN"
	img.DevServices, img.ResourceCategories = []string{"NOTEBOOK", "SSH"}, []string{"CPU", "GPU"}
	if src := s.findImage(projectID, nb.ImageID); src != nil {
		img.Arch, img.ServiceType = src.Arch, src.ServiceType
		img.DevServices, img.ResourceCategories = append([]string(nil), src.DevServices...), append([]string(nil), src.ResourceCategories...)
	}
	done := now.Add(max(s.lifecycle.Snapshot, 0))
	final := imageStep{to: ImageActive, at: done, size: imageSize(img.SWRPath)}
	if strings.HasPrefix(img.Name, FailImagePrefix) {
		final = imageStep{to: ImageCreateFailed, at: done, message: "emulated failure: the image name starts with " + FailImagePrefix}
	}
	img.steps = []imageStep{{to: ImageCreating, at: now.Add(max(s.lifecycle.Snapshot, 0) / 2)}, final}
	answer := renderImage(&img)
	s.putImage(projectID, img)
	nb.Status, nb.UpdatedAt = NotebookSnapshotting, now
	nb.Next = &NotebookTransition{To: NotebookRunning, At: done}
	writeJSON(w, http.StatusOK, answer)
}
