package emulator

import (
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"
)

// createInstance implements POST /v1/{project_id}/demanager/instances.
func (s *Server) createInstance(w http.ResponseWriter, r *http.Request) {
	var req createRequest
	if verr := decodeBody(r, &req); verr != nil {
		writeError(w, verr)
		return
	}
	now := s.now()
	inst, verr := s.newInstance(&req, now)
	if verr == nil {
		verr = s.store(r.PathValue("project_id"), inst)
	}
	if verr != nil {
		writeError(w, verr)
		return
	}
	writeJSON(w, http.StatusOK, render(&inst, now, viewCreate))
}

// checkCreate applies the create rules in this order, the first failure
// answering: name, description, profile_id, flavor (required, then in the
// catalog, then of the profile's type), spec.storage, spec.auto_stop and
// pool.
func checkCreate(req *createRequest) *vendorError {
	if verr := checkName(req.Name); verr != nil {
		return verr
	}
	if req.Description != nil {
		if verr := checkDescription(*req.Description); verr != nil {
			return verr
		}
	}
	if req.ProfileID == nil || *req.ProfileID == "" {
		return errRequired("profile_id")
	}
	if req.Flavor == nil || *req.Flavor == "" {
		return errRequired("flavor")
	}
	fl, ok := flavors[*req.Flavor]
	if !ok {
		return errFlavorUnsupported
	}
	if p, ok := profiles[*req.ProfileID]; ok && p.kind != "" && p.kind != fl.kind {
		return errProfileFlavorType
	}
	var spec createSpec
	if req.Spec != nil {
		spec = *req.Spec
	}
	if verr := checkStorage(spec.Storage); verr != nil {
		return verr
	}
	as := autoStopOf(spec.AutoStop, AutoStop{Prompt: true})
	if verr := checkAutoStop(spec.AutoStop, as.Enable, as.Duration); verr != nil {
		return verr
	}
	if req.Pool != nil && (req.Pool.ID == nil || *req.Pool.ID == "") {
		return errRequired("id")
	}
	return nil
}

// autoStopOf returns the auto-stop setting base with the fields the
// request gives replaced.
func autoStopOf(given *autoStopRequest, base AutoStop) AutoStop {
	if given == nil {
		return base
	}
	if given.Enable != nil {
		base.Enable = *given.Enable
	}
	if given.Duration != nil {
		base.Duration = time.Duration(*given.Duration) * time.Second
	}
	if given.Prompt != nil {
		base.Prompt = *given.Prompt
	}
	return base
}

// newInstance checks a create request and returns the instance it makes:
// "DE-<uuid>", CREATING, on its way to RUNNING (or CREATE_FAILED for a name
// with [FailCreatePrefix]) after the create delay. Uniqueness and quota are
// the store's to check.
func (s *Server) newInstance(req *createRequest, now time.Time) (Instance, *vendorError) {
	if verr := checkCreate(req); verr != nil {
		return Instance{}, verr
	}
	spec := req.Spec // not nil: storage is required
	inst := Instance{
		ID:          "DE-" + uuid.NewString(),
		Name:        *req.Name,
		Status:      StatusCreating,
		Flavor:      *req.Flavor,
		ProfileID:   *req.ProfileID,
		CreatedAt:   now,
		UpdatedAt:   now,
		Storage:     Storage{Type: *spec.Storage.Type, Path: *spec.Storage.Location.Path},
		AutoStop:    autoStopOf(spec.AutoStop, AutoStop{Prompt: true}),
		Annotations: spec.Annotations,
		WorkspaceID: "0",
		User:        SampleUser,
	}
	if req.Description != nil {
		inst.Description = *req.Description
	}
	for _, st := range spec.ExtendStorage {
		var e Storage
		if st.Type != nil {
			e.Type = *st.Type
		}
		if st.Location != nil && st.Location.Path != nil {
			e.Path = *st.Location.Path
		}
		if st.Location != nil && st.Location.VolumeSize != nil {
			e.VolumeSize = *st.Location.VolumeSize
		}
		inst.ExtendStorage = append(inst.ExtendStorage, e)
	}
	if req.Workspace != nil && req.Workspace.ID != nil && *req.Workspace.ID != "" {
		inst.WorkspaceID = *req.Workspace.ID
	}
	if p := req.Pool; p != nil {
		inst.Pool = &Pool{ID: *p.ID, Name: p.Name, Type: p.Type}
		if p.Owner != nil {
			inst.Pool.OwnerProjectID = p.Owner.ProjectID
		}
	}
	if req.AIProject != nil && req.AIProject.ID != nil {
		inst.AIProjectID = *req.AIProject.ID
	}
	inst.Next = &Transition{To: StatusRunning, At: now.Add(s.lifecycle.Create)}
	if strings.HasPrefix(inst.Name, FailCreatePrefix) {
		inst.Next.To, inst.Next.FailedReasons = StatusCreateFailed, createFailedReasons("the instance name starts with "+FailCreatePrefix)
	}
	return inst, nil
}

// store keeps a new instance unless its name is taken in the project
// (6301) or the project is full (6302).
func (s *Server) store(projectID string, inst Instance) *vendorError {
	s.mu.Lock()
	defer s.mu.Unlock()
	project := s.projects[projectID]
	for _, other := range project {
		if other.Name == inst.Name {
			return errInstanceExists
		}
	}
	if s.quota > 0 && len(project) >= s.quota {
		return errInstanceQuota
	}
	s.put(projectID, inst)
	return nil
}
