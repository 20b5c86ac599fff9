package emulator

import (
	"net/http"
	"strings"
	"time"
)

// faultInstance is what an instance ID with [FaultInstancePrefix] is when
// no fault answers: an existing, stopped instance.
func faultInstance(id string) Instance {
	return Instance{
		ID: id, Name: id, Status: StatusStopped, Flavor: "modelarts.vm.cpu.2u", ProfileID: "Multi-Engine 1.0 (python3)-cpu",
		CreatedAt: sampleEpoch, UpdatedAt: sampleEpoch,
		Storage: Storage{Type: "obs", Path: "/notebook-bucket/" + id + "/"}, AutoStop: AutoStop{Prompt: true},
		WorkspaceID: "0", User: SampleUser,
	}
}

// lookup returns the stored instance, settled at now, or nil. The caller
// holds s.mu.
func (s *Server) lookup(projectID, instanceID string, now time.Time) *Instance {
	inst, ok := s.projects[projectID][instanceID]
	if !ok {
		return nil
	}
	settle(inst, now)
	return inst
}

// target returns the instance a get, update or action is for: the stored
// one, settled at now, or for an ID with [FaultInstancePrefix] a fresh
// [faultInstance]; nil if there is none. The caller holds s.mu.
func (s *Server) target(projectID, instanceID string, now time.Time) *Instance {
	if strings.HasPrefix(instanceID, FaultInstancePrefix) {
		fi := faultInstance(instanceID)
		return &fi
	}
	return s.lookup(projectID, instanceID, now)
}

// getInstance implements GET /v1/{project_id}/demanager/instances/{instance_id}.
func (s *Server) getInstance(w http.ResponseWriter, r *http.Request) {
	out, verr := s.view(r.PathValue("project_id"), r.PathValue("instance_id"))
	if verr != nil {
		writeError(w, verr)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// view returns an instance's get answer.
func (s *Server) view(projectID, instanceID string) (wireInstance, *vendorError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	inst := s.target(projectID, instanceID, now)
	if inst == nil {
		return wireInstance{}, errInstanceNotFound
	}
	return render(inst, now, viewFull), nil
}

// updateInstance implements PUT /v1/{project_id}/demanager/instances/{instance_id}:
// description and spec.auto_stop, with the create rules, in any status
// (the reference locks no field: 6347 is never given). Fields the request
// leaves out keep their value. A duration changed while RUNNING applies
// from the next start, as the reference says; disabling auto-stop while
// RUNNING cancels the pending stop, and enabling it schedules one at now +
// duration (inferred).
func (s *Server) updateInstance(w http.ResponseWriter, r *http.Request) {
	projectID, instanceID := r.PathValue("project_id"), r.PathValue("instance_id")
	var req updateRequest
	if verr := decodeBody(r, &req); verr != nil {
		writeError(w, verr)
		return
	}
	out, verr := s.update(projectID, instanceID, &req)
	if verr != nil {
		writeError(w, verr)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// update applies an update request to the instance and returns its answer.
func (s *Server) update(projectID, instanceID string, req *updateRequest) (wireInstance, *vendorError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	inst := s.target(projectID, instanceID, now) // a fault instance is updated, but not kept
	if inst == nil {
		return wireInstance{}, errInstanceNotFound
	}
	var given *autoStopRequest
	if req.Spec != nil {
		given = req.Spec.AutoStop
	}
	as := autoStopOf(given, inst.AutoStop)
	var verr *vendorError
	if req.Description != nil {
		verr = checkDescription(*req.Description)
	}
	if verr == nil {
		verr = checkAutoStop(given, as.Enable, as.Duration)
	}
	if verr != nil {
		return wireInstance{}, verr
	}
	if req.Description != nil {
		inst.Description = *req.Description
	}
	switch {
	case inst.Status != StatusRunning:
	case !as.Enable:
		as.StopAt = time.Time{}
	case as.StopAt.IsZero():
		as.StopAt = now.Add(as.Duration)
	}
	inst.AutoStop = as
	inst.UpdatedAt = now
	return render(inst, now, viewFull), nil
}

// actionInstance implements POST /v1/{project_id}/demanager/instances/{instance_id}/action:
// {"action": "start"} or {"action": "stop"} (required: 6335; another value
// 6336, inferred). The body is checked before the instance is looked up
// (inferred). The answer is the status the action moved the instance to
// and the one it was in.
func (s *Server) actionInstance(w http.ResponseWriter, r *http.Request) {
	projectID, instanceID := r.PathValue("project_id"), r.PathValue("instance_id")
	var req actionRequest
	if verr := decodeBody(r, &req); verr != nil {
		writeError(w, verr)
		return
	}
	if req.Action == nil || *req.Action == "" {
		writeError(w, errRequired("action"))
		return
	}
	action := *req.Action
	if action != "start" && action != "stop" {
		writeError(w, errBadValue("action"))
		return
	}
	out, verr := s.applyAction(projectID, instanceID, action)
	if verr != nil {
		writeError(w, verr)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// applyAction starts or stops the instance and returns the action's answer.
func (s *Server) applyAction(projectID, instanceID, action string) (map[string]Status, *vendorError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	inst := s.target(projectID, instanceID, now) // a fault instance is acted on, but not kept
	if inst == nil {
		return nil, errInstanceNotFound
	}
	previous := inst.Status
	if action == "start" {
		if verr := startGuard(previous); verr != nil {
			return nil, verr
		}
		s.start(inst, now)
	} else {
		if verr := stopGuard(previous); verr != nil {
			return nil, verr
		}
		s.stop(inst, now)
	}
	return map[string]Status{"current_status": inst.Status, "previous_state": previous}, nil
}

// deleteInstance implements DELETE /v1/{project_id}/demanager/instances/{instance_id}:
// the instance is gone at once and later calls give 6309 (inferred).
func (s *Server) deleteInstance(w http.ResponseWriter, r *http.Request) {
	projectID, instanceID := r.PathValue("project_id"), r.PathValue("instance_id")
	if strings.HasPrefix(instanceID, FaultInstancePrefix) {
		// A fault instance that no fault hit behaves as a stopped one.
		writeJSON(w, http.StatusOK, map[string]string{"instance_id": instanceID})
		return
	}
	if verr := s.remove(projectID, instanceID); verr != nil {
		writeError(w, verr)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"instance_id": instanceID})
}

// remove deletes an instance unless its status forbids it.
func (s *Server) remove(projectID, instanceID string) *vendorError {
	s.mu.Lock()
	defer s.mu.Unlock()
	inst := s.lookup(projectID, instanceID, s.now())
	if inst == nil {
		return errInstanceNotFound
	}
	if verr := deleteGuard(inst.Status); verr != nil {
		return verr
	}
	delete(s.projects[projectID], instanceID)
	return nil
}
