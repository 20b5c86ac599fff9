package emulator

import (
	"cmp"
	"net/http"
	"slices"
	"strings"
	"time"
)

// routeNotebookAPI registers the new API's 22 operations, each wrapped in
// fault injection and authentication. Literal segments (all, flavors,
// group) share a position with {id}: the ServeMux prefers them, and they
// are registered first so that the table reads the same way.
func (s *Server) routeNotebookAPI() {
	const nb = notebooksPath + "/{id}"
	const storage = notebooksPath + "/{instance_id}/storage"
	routes := []struct {
		pattern string
		handler http.HandlerFunc
	}{
		{notebookCreatePattern, s.createNotebook},
		{"GET " + notebooksPath, s.listNotebooks},
		{"GET " + notebooksPath + "/all", s.listAllNotebooks},
		{"GET " + notebooksPath + "/flavors", s.listFlavors},
		{"GET " + nb, s.showNotebook},
		{"PUT " + nb, s.updateNotebook},
		{"DELETE " + nb, s.deleteNotebook},
		{"POST " + nb + "/start", s.startNotebook},
		{"POST " + nb + "/stop", s.stopNotebook},
		{"GET " + nb + "/lease", s.showLease},
		{"PATCH " + nb + "/lease", s.renewLease},
		{"GET " + nb + "/flavors", s.showSwitchableFlavors},
		{"POST " + nb + "/create-image", s.createImage},
		{"GET " + storage, s.listMounts},
		{"POST " + storage, s.attachMount},
		{"GET " + storage + "/{storage_id}", s.showMount},
		{"DELETE " + storage + "/{storage_id}", s.detachMount},
		{"GET " + imagesPath, s.listImages},
		{"POST " + imagesPath, s.registerImage},
		{"GET " + imagesPath + "/group", s.listImageGroups},
		{"GET " + imagesPath + "/{id}", s.showImage},
		{"DELETE " + imagesPath + "/{id}", s.deleteImage},
	}
	for _, rt := range routes {
		s.mux.HandleFunc(rt.pattern, s.api(s.authenticated(rt.handler)))
	}
}

// notebookCreatePattern is the new API's create route, whose body may
// carry a fault in its name.
const notebookCreatePattern = "POST " + notebooksPath

// sortField implements sortable.
func (nb *Notebook) sortField(key string) string {
	switch key {
	case "create_at":
		return sortMillis(nb.CreatedAt.UnixMilli())
	case "update_at":
		return sortMillis(nb.UpdatedAt.UnixMilli())
	case "name":
		return nb.Name
	case "status":
		return string(nb.Status)
	}
	return nb.ID
}

// notebookFilter is a parsed notebook list query.
type notebookFilter struct {
	feature, name, poolID, owner, workspace string
	status                                  NotebookStatus
}

// parseNotebookQuery reads the notebook lists' query: feature (NOTEBOOK
// or DEFAULT; absent: both, §9.11), name (a substring, checked as a name:
// 6334, 6336), pool_id, owner (32 of [a-z0-9]: 6336), status (one of the
// 14: 6336), workspaceId or workspace_id (default "0"; both accepted,
// §9.9); sort_key (create_at, update_at, name, status: else 6303) and
// sort_dir (default create_at DESC); offset and limit (default 10).
func parseNotebookQuery(q query) (f notebookFilter, order sortOrder, offset, limit int, verr *vendorError) {
	f = notebookFilter{poolID: q.str("pool_id"), owner: q.str("owner"), workspace: "0"}
	if f.feature, verr = q.enum("feature", "NOTEBOOK", "DEFAULT"); verr != nil {
		return
	}
	if f.name = q.str("name"); f.name != "" {
		if verr = checkNameUpTo(&f.name, maxNotebookNameLen); verr != nil {
			return
		}
	}
	if f.owner != "" && (len(f.owner) != 32 || strings.Trim(f.owner, "0123456789abcdefghijklmnopqrstuvwxyz") != "") {
		verr = errBadValue("owner")
		return
	}
	var st string
	if st, verr = q.enum("status", statusNames()...); verr != nil {
		return
	}
	f.status = NotebookStatus(st)
	if ws := cmp.Or(q.str("workspaceId"), q.str("workspace_id")); ws != "" {
		f.workspace = ws
	}
	if order, verr = q.sort(sortKeys, "create_at"); verr != nil {
		return
	}
	offset, limit, verr = q.paging(10)
	return
}

// statusNames returns the notebook statuses as strings.
func statusNames() []string {
	out := make([]string, len(notebookStatuses))
	for i, st := range notebookStatuses {
		out[i] = string(st)
	}
	return out
}

// matches reports whether nb passes the filter. The owner filter applies
// only to the list of all users' notebooks (inferred: the reference
// honours it for administrators).
func (f notebookFilter) matches(nb *Notebook, all bool) bool {
	return (f.feature == "" || nb.Feature == f.feature) &&
		(f.name == "" || strings.Contains(strings.ToLower(nb.Name), strings.ToLower(f.name))) &&
		(f.poolID == "" || nb.PoolID == f.poolID) && (f.status == "" || nb.Status == f.status) &&
		nb.WorkspaceID == f.workspace && (all || nb.User.ID == SampleUser.ID) &&
		(!all || f.owner == "" || nb.User.ID == f.owner)
}

// listNotebooks implements GET /v1/{project_id}/notebooks: the caller's
// own notebooks (every caller is taken to be [SampleUser], inferred).
func (s *Server) listNotebooks(w http.ResponseWriter, r *http.Request) { s.pageNotebooks(w, r, false) }

// listAllNotebooks implements GET /v1/{project_id}/notebooks/all: every
// user's notebooks in the project, paged as the caller's own are.
func (s *Server) listAllNotebooks(w http.ResponseWriter, r *http.Request) {
	s.pageNotebooks(w, r, true)
}

// pageNotebooks answers a notebook list.
func (s *Server) pageNotebooks(w http.ResponseWriter, r *http.Request, all bool) {
	f, order, offset, limit, verr := parseNotebookQuery(query{r.URL.Query()})
	if verr != nil {
		writeNotebookError(w, verr)
		return
	}
	projectID := r.PathValue("project_id")
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	var found []*Notebook
	for _, nb := range s.settledNotebooks(projectID, now) {
		if f.matches(nb, all) {
			found = append(found, nb)
		}
	}
	slices.SortFunc(found, func(a, b *Notebook) int { return order.compare(a, b) })
	p := pageOf(found, offset, limit)
	out := wirePage[wireNotebook]{Current: p.Current, Pages: p.Pages, Size: p.Size, Total: p.Total, Data: make([]wireNotebook, len(p.Data))}
	for i, nb := range p.Data {
		out.Data[i] = s.renderNotebook(projectID, nb, now, notebookViewFull)
	}
	writeJSON(w, http.StatusOK, out)
}

// showNotebook implements GET /v1/{project_id}/notebooks/{id}: the
// notebook in any status, or 400 ModelArts.6309.
func (s *Server) showNotebook(w http.ResponseWriter, r *http.Request) {
	s.actOnNotebook(w, r, func(NotebookStatus) *vendorError { return nil }, func(*Notebook, time.Time) {})
}

// notebookUpdateRequest is UpdateNotebook's body.
type notebookUpdateRequest struct {
	Name           *string           `json:"name"`
	Description    *string           `json:"description"`
	Flavor         *string           `json:"flavor"`
	ImageID        *string           `json:"image_id"`
	Endpoints      []endpointRequest `json:"endpoints"`
	StorageNewSize *int              `json:"storage_new_size"`
	Hooks          *hooksRequest     `json:"hooks"`
}

// updateRule says in which statuses an update field may change (§9.3):
// flavor, image_id and endpoints while STOPPED; storage_new_size while
// RUNNING; name, description and hooks in either.
func updateRule(field string, st NotebookStatus) bool {
	switch field {
	case "flavor", "image_id", "endpoints":
		return st == NotebookStopped
	case "storage_new_size":
		return st == NotebookRunning
	}
	return st == NotebookRunning || st == NotebookStopped
}

// updateNotebook implements PUT /v1/{project_id}/notebooks/{id}. Checks,
// the first failure answering: the fields' own rules (name and hooks as
// in create, a description without & < > " / (' is allowed here),
// flavor and image_id not empty (6336), storage_new_size positive
// (6336)); the notebook (6309); FROZEN (6326) or in another operation
// (6357); each given field allowed in the status (updateRule, else 6347
// naming status and field); the flavor in the catalog (6323), one the
// notebook may switch to (6792), not sold out (6716); the image as in
// create (6797, 6336, 6768); storage_new_size only for EVS (6324), not
// while a resize is under way (6357), larger than the volume and at most
// 100 GB more and 4096 GB in all (6331). The volume is then RESIZING for
// [Lifecycle].Resize. Fields the request leaves out keep their value.
func (s *Server) updateNotebook(w http.ResponseWriter, r *http.Request) {
	var req notebookUpdateRequest
	verr := decodeBody(r, &req)
	var change Notebook
	if verr == nil {
		change, verr = checkNotebookUpdate(&req)
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
	if nb == nil {
		writeNotebookError(w, errInstanceNotFound)
		return
	}
	if verr := s.applyUpdate(projectID, nb, &req, change, now); verr != nil {
		writeNotebookError(w, verr)
		return
	}
	writeJSON(w, http.StatusOK, s.renderNotebook(projectID, nb, now, notebookViewFull))
}

// checkNotebookUpdate applies the update fields' own rules and returns
// their values in a Notebook.
func checkNotebookUpdate(req *notebookUpdateRequest) (Notebook, *vendorError) {
	var c Notebook
	var verr *vendorError
	if req.Name != nil {
		if verr = checkNameUpTo(req.Name, maxNotebookNameLen); verr != nil {
			return c, verr
		}
		c.Name = *req.Name
	}
	if req.Description != nil {
		if verr = checkDescriptionWithout(*req.Description, notebookDescriptionForbidden); verr != nil {
			return c, verr
		}
		c.Description = *req.Description
	}
	if c.Hooks, verr = checkHooks(req.Hooks); verr != nil {
		return c, verr
	}
	if req.Flavor != nil && *req.Flavor == "" {
		return c, errBadValue("flavor")
	}
	if req.ImageID != nil && *req.ImageID == "" {
		return c, errBadValue("image_id")
	}
	if c.Endpoints, verr = checkEndpoints(req.Endpoints); verr != nil {
		return c, verr
	}
	if req.StorageNewSize != nil && *req.StorageNewSize <= 0 {
		return c, errBadValue("storage_new_size")
	}
	return c, nil
}

// applyUpdate checks an update against the notebook and applies it. The
// caller holds s.mu.
func (s *Server) applyUpdate(projectID string, nb *Notebook, req *notebookUpdateRequest, change Notebook, now time.Time) *vendorError {
	switch {
	case nb.Status == NotebookFrozen:
		return errFrozen
	case nb.Status.transitional():
		return errOperationInProgress
	}
	given := map[string]bool{"name": req.Name != nil, "description": req.Description != nil, "hooks": req.Hooks != nil,
		"flavor": req.Flavor != nil, "image_id": req.ImageID != nil, "endpoints": req.Endpoints != nil,
		"storage_new_size": req.StorageNewSize != nil}
	for _, field := range []string{"name", "description", "hooks", "flavor", "image_id", "endpoints", "storage_new_size"} {
		if given[field] && !updateRule(field, nb.Status) {
			return errFieldLocked(nb.Status, field)
		}
	}
	next := nb.clone()
	if req.Flavor != nil {
		to := lookupFlavor(*req.Flavor)
		switch {
		case to == nil:
			return errFlavorUnsupported
		case !switchableTo(lookupFlavor(nb.Flavor), to, nb.Volume.Category):
			return errFlavorSwitch(nb.ID, to.id)
		case to.soldOut:
			return errFlavorSoldOut(to.id)
		}
		next.Flavor = to.id
	}
	if req.ImageID != nil {
		next.ImageID = *req.ImageID
	}
	if req.Endpoints != nil {
		next.Endpoints = change.Endpoints
	}
	if given["flavor"] || given["image_id"] || given["endpoints"] {
		if fl := lookupFlavor(next.Flavor); fl != nil {
			if verr := s.checkImageFor(projectID, &next, fl); verr != nil {
				return verr
			}
		}
	}
	if req.StorageNewSize != nil {
		if verr := s.checkResize(nb, *req.StorageNewSize, now); verr != nil {
			return verr
		}
		next.Volume.Capacity, next.Volume.ResizedAt = *req.StorageNewSize, now.Add(s.lifecycle.Resize)
	}
	if req.Name != nil {
		next.Name = change.Name
	}
	if req.Description != nil {
		next.Description = change.Description
	}
	if req.Hooks != nil {
		next.Hooks = change.Hooks
	}
	next.UpdatedAt = now
	*nb = next
	return nil
}

// The EVS growth limits: at most 100 GB a step [umn] and 4096 GB in all.
const maxEVSStep = 100

// checkResize applies storage_new_size's rules to the notebook's volume.
func (s *Server) checkResize(nb *Notebook, size int, now time.Time) *vendorError {
	v := nb.Volume
	switch {
	case v.Category != "EVS":
		return errStorageType
	case now.Before(v.ResizedAt):
		return errOperationInProgress
	case v.Capacity >= maxEVSCapacity:
		return errEVSRange(v.Capacity, maxEVSCapacity)
	case size <= v.Capacity || size > min(v.Capacity+maxEVSStep, maxEVSCapacity):
		return errEVSRange(v.Capacity+1, min(v.Capacity+maxEVSStep, maxEVSCapacity))
	}
	return nil
}
