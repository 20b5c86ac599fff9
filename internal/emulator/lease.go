package emulator

import (
	"bytes"
	"net/http"
	"time"
)

// The lease durations the emulator accepts: whole 1 to 24 hours in the
// console [umn]; the API states no range, so the emulator takes the
// console's, in milliseconds, and -1 switches auto-stop off (the fact
// sheet's choice, §9.6, inferred).
const (
	minLease = time.Hour
	maxLease = 24 * time.Hour
	// leaseOff is the duration that switches auto-stop off, as Huawei's
	// clients send it.
	leaseOff = -1
)

// leaseRequest is the LeaseReq body (create's lease, RenewLease's body).
type leaseRequest struct {
	Duration *int64  `json:"duration"`
	Type     *string `json:"type"`
}

// leaseSetting is a requested lease.
type leaseSetting struct {
	span   time.Duration // the run time each arm grants; kept when !enable
	enable bool
	typ    string // TIMING or IDLE
}

// parseLease reads a requested duration (milliseconds; nil: an hour) and
// type (timing, the default, or idle, in any case: else 6336). A duration
// of -1 switches auto-stop off; another outside 3600000-86400000 is 6349.
func parseLease(ms *int64, typ *string) (leaseSetting, *vendorError) {
	set := leaseSetting{span: DefaultLeaseSpan, enable: true, typ: "TIMING"}
	if typ != nil && *typ != "" {
		t, verr := oneOf("type", *typ, "TIMING", "IDLE")
		if verr != nil {
			return set, verr
		}
		set.typ = t
	}
	if ms == nil {
		return set, nil
	}
	switch d := time.Duration(*ms) * time.Millisecond; {
	case *ms == leaseOff:
		set.enable, set.span = false, 0
	case *ms < minLease.Milliseconds() || *ms > maxLease.Milliseconds():
		return set, errLeaseRange
	default:
		set.span = d
	}
	return set, nil
}

// apply sets the lease as requested and (re)arms it at now: the deadline
// becomes now + span. Switching auto-stop off keeps the span.
func (l *Lease) apply(set leaseSetting, now time.Time) {
	l.Enable, l.Type = set.enable, set.typ
	if set.enable {
		l.Span = set.span
	}
	l.arm(now)
}

// mutationGuard returns the error of a change to a notebook in status st
// that needs it RUNNING (lease renewal, image creation, mounts): 6326
// while FROZEN, 6357 while another operation is under way, 6327 otherwise
// when it is not RUNNING.
func mutationGuard(st NotebookStatus) *vendorError {
	switch {
	case st == NotebookRunning:
		return nil
	case st == NotebookFrozen:
		return errFrozen
	case st.transitional():
		return errOperationInProgress
	}
	return errNotRunning
}

// showLease implements GET /v1/{project_id}/notebooks/{id}/lease: the
// lease of a RUNNING notebook, else 6327 (the page is for a running
// instance).
func (s *Server) showLease(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	nb := s.targetNotebook(r.PathValue("project_id"), r.PathValue("id"), s.now())
	switch {
	case nb == nil:
		writeNotebookError(w, errInstanceNotFound)
	case nb.Status != NotebookRunning:
		writeNotebookError(w, errNotRunning)
	default:
		writeJSON(w, http.StatusOK, renderLease(nb.Lease))
	}
}

// renewLease implements PATCH /v1/{project_id}/notebooks/{id}/lease. The
// query's duration, if given, wins over the body and makes the lease
// TIMING; otherwise the body's LeaseReq gives it (no body or no duration:
// 6348). The lease is reset, not extended: the deadline becomes now + the
// duration (§4, §9.7), and the answer is the lease. The notebook must be
// RUNNING (see mutationGuard).
func (s *Server) renewLease(w http.ResponseWriter, r *http.Request) {
	set, verr := renewSetting(r)
	if verr != nil {
		writeNotebookError(w, verr)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	nb := s.targetNotebook(r.PathValue("project_id"), r.PathValue("id"), now)
	if nb == nil {
		verr = errInstanceNotFound
	} else {
		verr = mutationGuard(nb.Status)
	}
	if verr != nil {
		writeNotebookError(w, verr)
		return
	}
	nb.Lease.apply(set, now)
	writeJSON(w, http.StatusOK, renderLease(nb.Lease))
}

// renewSetting reads the lease a renewal asks for.
func renewSetting(r *http.Request) (leaseSetting, *vendorError) {
	ms, given, verr := query{r.URL.Query()}.int64("duration")
	if verr != nil {
		return leaseSetting{}, verr
	}
	if given {
		return parseLease(&ms, nil)
	}
	b, err := readBody(r)
	if err != nil {
		return leaseSetting{}, errPayload("(" + err.Error() + ")")
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return leaseSetting{}, errLeaseMissing
	}
	var req leaseRequest
	if verr := decodeBody(r, &req); verr != nil {
		return leaseSetting{}, verr
	}
	if req.Duration == nil {
		return leaseSetting{}, errLeaseMissing
	}
	return parseLease(req.Duration, req.Type)
}
