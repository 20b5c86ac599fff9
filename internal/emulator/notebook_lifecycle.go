package emulator

import (
	"net/http"
	"strings"
	"time"
)

// FailDeletePrefix starts the names of notebooks (new API) whose deletion
// fails: they go from DELETING to DELETE_FAILED. [FailCreatePrefix] and
// [FailStartPrefix] work for notebooks as for the old API's instances.
const FailDeletePrefix = "fail-delete"

// errStartResources is 6360, the reason of an emulated start failure.
var errStartResources = &vendorError{http.StatusBadRequest, "ModelArts.6360", "Failed to start the notebook due to insufficient background resources. Try again later.", false}

// settleNotebook brings nb up to now and reports whether its deletion has
// completed (the caller then forgets it). It applies the pending
// transition once its time has come (re-arming the lease when a create or
// a start reaches RUNNING); stops a RUNNING notebook whose enabled TIMING
// lease has run out (RUNNING → STOPPING at the deadline → STOPPED after
// [Lifecycle].Stop, fact sheet §3.2); ends an EVS resize; and settles the
// mounts. Status changes set update_at to the time they happened.
func (s *Server) settleNotebook(nb *Notebook, now time.Time) (gone bool) {
	for {
		if t := nb.Next; t != nil && !now.Before(t.At) {
			nb.Next = nil
			if t.To == NotebookDeleted {
				return true
			}
			from := nb.Status
			nb.Status, nb.UpdatedAt, nb.FailReason = t.To, t.At, t.FailReason
			if t.To == NotebookRunning && (from == NotebookCreating || from == NotebookStarting) {
				nb.Lease.arm(t.At)
			}
			continue
		}
		l := nb.Lease
		if nb.Next == nil && nb.Status == NotebookRunning && l.Enable && l.Type == "TIMING" && !now.Before(l.Deadline()) {
			// A notebook back from SNAPSHOTTING after its deadline stops
			// when it is back (inferred).
			at := later(l.Deadline(), nb.UpdatedAt)
			nb.Status, nb.UpdatedAt = NotebookStopping, at
			nb.Next = &NotebookTransition{To: NotebookStopped, At: at.Add(s.lifecycle.Stop)}
			continue
		}
		break
	}
	if !nb.Volume.ResizedAt.IsZero() && !now.Before(nb.Volume.ResizedAt) {
		nb.Volume.ResizedAt = time.Time{}
	}
	settleMounts(nb, now)
	return false
}

// later returns the later of a and b.
func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// startNotebookGuard returns the error of a start in status st, or nil:
// from STOPPED and (to retry) START_FAILED only (§9.18); RUNNING 6305,
// STARTING 6306, STOPPING 6308, FROZEN 6326, any other 6357.
func startNotebookGuard(st NotebookStatus) *vendorError {
	switch st {
	case NotebookStopped, NotebookStartFailed:
		return nil
	case NotebookRunning:
		return errAlreadyRunning
	case NotebookStarting:
		return errInstanceStarting
	case NotebookStopping:
		return errInstanceStopping
	case NotebookFrozen:
		return errFrozen
	}
	return errOperationInProgress
}

// stopNotebookGuard returns the error of a stop in status st, or nil: from
// RUNNING only; STARTING 6306, STOPPING 6308, FROZEN 6326, any other
// (STOPPED included, as Huawei's clients see it: §3.3) 6357.
func stopNotebookGuard(st NotebookStatus) *vendorError {
	switch st {
	case NotebookRunning:
		return nil
	case NotebookStarting:
		return errInstanceStarting
	case NotebookStopping:
		return errInstanceStopping
	case NotebookFrozen:
		return errFrozen
	}
	return errOperationInProgress
}

// deleteNotebookGuard returns the error of a delete in status st, or nil:
// any steady or failed status, RUNNING included (§9.4); FROZEN 6326; a
// transitional one (DELETING included) 6357.
func deleteNotebookGuard(st NotebookStatus) *vendorError {
	switch {
	case st == NotebookFrozen:
		return errFrozen
	case st.transitional():
		return errOperationInProgress
	}
	return nil
}

// startNotebook implements POST /v1/{project_id}/notebooks/{id}/start. The
// query's duration (milliseconds: 3600000-86400000, or -1 for no
// auto-stop; default an hour) and type (timing or idle) set the lease,
// which is armed now and again when the notebook is RUNNING; the body, if
// any, is ignored (the sample sends {}). The notebook goes STARTING with a
// new token, then RUNNING after [Lifecycle].Start (START_FAILED for a name
// with [FailStartPrefix]).
func (s *Server) startNotebook(w http.ResponseWriter, r *http.Request) {
	q := query{r.URL.Query()}
	ms, given, verr := q.int64("duration")
	var set leaseSetting
	if verr == nil {
		typ := q.str("type")
		var d *int64
		if given {
			d = &ms
		}
		set, verr = parseLease(d, &typ)
	}
	if verr != nil {
		writeNotebookError(w, verr)
		return
	}
	s.actOnNotebook(w, r, startNotebookGuard, func(nb *Notebook, now time.Time) {
		nb.Status, nb.UpdatedAt, nb.FailReason, nb.Token = NotebookStarting, now, "", newNotebookToken()
		nb.Lease.apply(set, now)
		nb.Next = &NotebookTransition{To: NotebookRunning, At: now.Add(s.lifecycle.Start)}
		if strings.HasPrefix(nb.Name, FailStartPrefix) {
			nb.Next.To, nb.Next.FailReason = NotebookStartFailed, failReason(errStartResources, "the instance name starts with "+FailStartPrefix)
		}
	})
}

// stopNotebook implements POST /v1/{project_id}/notebooks/{id}/stop: the
// notebook goes STOPPING, then STOPPED after [Lifecycle].Stop. The lease
// is re-armed, as in the vendor's samples.
func (s *Server) stopNotebook(w http.ResponseWriter, r *http.Request) {
	s.actOnNotebook(w, r, stopNotebookGuard, func(nb *Notebook, now time.Time) {
		nb.Status, nb.UpdatedAt = NotebookStopping, now
		nb.Lease.arm(now)
		nb.Next = &NotebookTransition{To: NotebookStopped, At: now.Add(s.lifecycle.Stop)}
	})
}

// deleteNotebook implements DELETE /v1/{project_id}/notebooks/{id}: the
// notebook goes DELETING, and is gone after [Lifecycle].Delete (later
// calls give 6309, §9.5), or DELETE_FAILED for a name with
// [FailDeletePrefix]. Its volume and mounts go with it.
func (s *Server) deleteNotebook(w http.ResponseWriter, r *http.Request) {
	s.actOnNotebook(w, r, deleteNotebookGuard, func(nb *Notebook, now time.Time) {
		nb.Status, nb.UpdatedAt = NotebookDeleting, now
		nb.Next = &NotebookTransition{To: NotebookDeleted, At: now.Add(s.lifecycle.Delete)}
		if strings.HasPrefix(nb.Name, FailDeletePrefix) {
			nb.Next.To, nb.Next.FailReason = NotebookDeleteFailed, failReason(errOperationFailed, "the instance name starts with "+FailDeletePrefix)
		}
	})
}

// errOperationFailed is 6102, the reason of an emulated delete failure.
var errOperationFailed = &vendorError{http.StatusInternalServerError, "ModelArts.6102", "The server has encountered an error and fails to process the request. Please try again later or submit a service ticket.", false}

// actOnNotebook applies an action to the request's notebook if guard allows it in
// its status, and answers the notebook as the action left it.
func (s *Server) actOnNotebook(w http.ResponseWriter, r *http.Request, guard func(NotebookStatus) *vendorError, action func(*Notebook, time.Time)) {
	projectID := r.PathValue("project_id")
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	nb := s.targetNotebook(projectID, r.PathValue("id"), now)
	if nb == nil {
		writeNotebookError(w, errInstanceNotFound)
		return
	}
	if verr := guard(nb.Status); verr != nil {
		writeNotebookError(w, verr)
		return
	}
	action(nb, now)
	writeJSON(w, http.StatusOK, s.renderNotebook(projectID, nb, now, notebookViewFull))
}
