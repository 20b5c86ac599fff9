package emulator

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
)

// NotebookStatus is the status of a notebook of the new DevEnviron API
// (/v1/{project_id}/notebooks), as in its "status" field.
type NotebookStatus string

// The notebook statuses the new API's reference lists.
const (
	NotebookInit         NotebookStatus = "INIT"
	NotebookCreating     NotebookStatus = "CREATING"
	NotebookStarting     NotebookStatus = "STARTING"
	NotebookRunning      NotebookStatus = "RUNNING"
	NotebookStopping     NotebookStatus = "STOPPING"
	NotebookStopped      NotebookStatus = "STOPPED"
	NotebookSnapshotting NotebookStatus = "SNAPSHOTTING"
	NotebookDeleting     NotebookStatus = "DELETING"
	NotebookDeleted      NotebookStatus = "DELETED"
	NotebookCreateFailed NotebookStatus = "CREATE_FAILED"
	NotebookStartFailed  NotebookStatus = "START_FAILED"
	NotebookDeleteFailed NotebookStatus = "DELETE_FAILED"
	NotebookError        NotebookStatus = "ERROR"
	NotebookFrozen       NotebookStatus = "FROZEN"
)

// notebookStatuses are the values the list's status filter accepts.
var notebookStatuses = []NotebookStatus{
	NotebookInit, NotebookCreating, NotebookStarting, NotebookRunning, NotebookStopping, NotebookStopped,
	NotebookSnapshotting, NotebookDeleting, NotebookDeleted, NotebookCreateFailed, NotebookStartFailed,
	NotebookDeleteFailed, NotebookError, NotebookFrozen,
}

// transitional reports whether a notebook in status st is on its way to
// another status: a mutation then gives ModelArts.6357.
func (st NotebookStatus) transitional() bool {
	switch st {
	case NotebookInit, NotebookCreating, NotebookStarting, NotebookStopping, NotebookSnapshotting, NotebookDeleting:
		return true
	}
	return false
}

// Notebook is a notebook instance of the new DevEnviron API, as the
// emulator stores it. These instances live apart from the old API's
// [Instance]s: neither API sees the other's (the fact sheet's choice,
// inferred). Only ID and Status matter to [Server.AddNotebook]; the other
// fields have defaults, given there.
type Notebook struct {
	// ID is a bare UUID (no "DE-" prefix).
	ID string
	// Name is the instance name; the new API allows duplicates.
	Name string
	// Description is the instance description.
	Description string
	// Status is the lifecycle state.
	Status NotebookStatus
	// Feature is "NOTEBOOK" (billed, the default) or "DEFAULT" (the free
	// CodeLab instance, one per user).
	Feature string
	// Flavor is the flavor ID, for example "modelarts.vm.cpu.2u".
	Flavor string
	// ImageID is the image the instance runs; the answers' image object
	// comes from the image catalog.
	ImageID string
	// Volume is the instance's storage at /home/ma-user/work/.
	Volume Volume
	// Endpoints are the remote-access endpoints the caller configured
	// (SSH); the answers add the NOTEBOOK (JupyterLab) endpoint.
	Endpoints []Endpoint
	// Hooks are the start scripts; stored, never answered (the reference's
	// response tables list no hooks).
	Hooks *Hooks
	// Lease is the auto-stop lease.
	Lease Lease
	// PoolID is the dedicated resource pool, if any; the answers' pool
	// object carries it as id and name (inferred: the emulator knows no
	// pool names).
	PoolID string
	// WorkspaceID is the workspace ("0", the default workspace, if empty).
	WorkspaceID string
	// User is the owner ([SampleUser] if empty).
	User User
	// Token is the notebook's authentication token: a secret ModelArts
	// returns in every answer. Create sets it and every start rotates it.
	Token string
	// FailReason says why the last create, start or delete failed.
	FailReason string
	// CreatedAt and UpdatedAt are create_at and update_at.
	CreatedAt, UpdatedAt time.Time
	// Mounts are the OBS storage mounts (at most [MaxMounts]).
	Mounts []Mount
	// Next is the pending status change, if any: the emulator applies it
	// once its clock reaches Next.At, when the notebook is next looked at.
	Next *NotebookTransition
}

// Volume is a notebook's storage volume.
type Volume struct {
	// Category is "EVS" or "EFS" (the request's SFS, in any case, is EFS).
	Category string
	// Ownership is "MANAGED" or "DEDICATED" (EFS only).
	Ownership string
	// Capacity is the size in GB.
	Capacity int
	// URI and ID name a dedicated SFS Turbo share (EFS + DEDICATED).
	URI, ID string
	// ResizedAt, while in the future, is when a growing EVS volume is done:
	// until then its status is RESIZING.
	ResizedAt time.Time
}

// Endpoint is a remote-access endpoint of a notebook.
type Endpoint struct {
	// Service is "SSH" or "NOTEBOOK".
	Service string
	// KeyPairNames are the ECS key pairs allowed in (ssh_keys).
	KeyPairNames []string
	// AllowedAccessIPs are the public IP addresses allowed in (at most
	// five; none means any).
	AllowedAccessIPs []string
}

// Hooks are a notebook's start scripts.
type Hooks struct {
	// PreStart and PostStart run before and after the service starts.
	PreStart, PostStart *HookScript
}

// HookScript is a start script.
type HookScript struct {
	// Script is Base64 content (Type COMMAND) or an absolute path (Type
	// SCRIPT, the default).
	Script, Type string
}

// Lease is a notebook's auto-stop lease. Its deadline is CreatedAt +
// Duration; every (re)arm at time t sets UpdatedAt = t and Duration =
// (t − CreatedAt) + Span, so that the deadline is t + Span (fact sheet §4,
// from the vendor's samples).
type Lease struct {
	// CreatedAt is create_at: when the lease was made, with the notebook.
	CreatedAt time.Time
	// UpdatedAt is update_at: the last (re)arm.
	UpdatedAt time.Time
	// Duration is the wire's duration: the deadline minus CreatedAt.
	Duration time.Duration
	// Span is the run time each (re)arm grants (the requested duration).
	Span time.Duration
	// Enable turns auto-stop on.
	Enable bool
	// Type is "TIMING" (stop at the deadline) or "IDLE" (stored; the
	// emulator auto-stops only TIMING leases, inferred).
	Type string
}

// Deadline is when a RUNNING notebook with an enabled TIMING lease stops.
func (l Lease) Deadline() time.Time { return l.CreatedAt.Add(l.Duration) }

// arm (re)arms the lease at now: the deadline becomes now + Span.
func (l *Lease) arm(now time.Time) {
	l.UpdatedAt = now
	l.Duration = now.Sub(l.CreatedAt) + l.Span
}

// NotebookTransition is a notebook's pending status change.
type NotebookTransition struct {
	// To is the status the notebook reaches; NotebookDeleted removes it.
	To NotebookStatus
	// At is when, on the emulator's clock.
	At time.Time
	// FailReason, for a failure status, becomes the notebook's.
	FailReason string
}

// clone returns a deep copy of nb.
func (nb Notebook) clone() Notebook {
	c := nb
	c.Endpoints = make([]Endpoint, len(nb.Endpoints))
	for i, e := range nb.Endpoints {
		e.KeyPairNames = slices.Clone(e.KeyPairNames)
		e.AllowedAccessIPs = slices.Clone(e.AllowedAccessIPs)
		c.Endpoints[i] = e
	}
	if nb.Endpoints == nil {
		c.Endpoints = nil
	}
	if nb.Hooks != nil {
		h := Hooks{}
		if nb.Hooks.PreStart != nil {
			p := *nb.Hooks.PreStart
			h.PreStart = &p
		}
		if nb.Hooks.PostStart != nil {
			p := *nb.Hooks.PostStart
			h.PostStart = &p
		}
		c.Hooks = &h
	}
	c.Mounts = make([]Mount, len(nb.Mounts))
	for i, m := range nb.Mounts {
		if m.Next != nil {
			n := *m.Next
			m.Next = &n
		}
		c.Mounts[i] = m
	}
	if nb.Mounts == nil {
		c.Mounts = nil
	}
	if nb.Next != nil {
		n := *nb.Next
		c.Next = &n
	}
	return c
}

// DefaultLeaseSpan is the run time a lease grants when the request names
// none: one hour [umn, sample].
const DefaultLeaseSpan = time.Hour

// normalizeNotebook fills in the defaults of a notebook given to
// AddNotebook (or a sample): CreatedAt now, UpdatedAt CreatedAt, feature
// NOTEBOOK, flavor modelarts.vm.cpu.2u, image [SampleImageID], an EFS
// MANAGED volume of 50 GB, workspace "0", owner [SampleUser], a token;
// and a lease (enabled if the Lease is all zero) of type TIMING, span an
// hour, made with the notebook and, unless Lease.UpdatedAt is set, armed
// then, and armed now for a RUNNING notebook.
func normalizeNotebook(nb Notebook, now time.Time) Notebook {
	if nb.CreatedAt.IsZero() {
		nb.CreatedAt = now
	}
	if nb.UpdatedAt.IsZero() {
		nb.UpdatedAt = nb.CreatedAt
	}
	nb.Feature = cmp.Or(nb.Feature, "NOTEBOOK")
	nb.Flavor = cmp.Or(nb.Flavor, "modelarts.vm.cpu.2u")
	nb.ImageID = cmp.Or(nb.ImageID, SampleImageID)
	if nb.Volume.Category == "" {
		nb.Volume.Category = "EFS"
	}
	nb.Volume.Ownership = cmp.Or(nb.Volume.Ownership, "MANAGED")
	if nb.Volume.Capacity == 0 {
		nb.Volume.Capacity = 50
	}
	nb.WorkspaceID = cmp.Or(nb.WorkspaceID, "0")
	if nb.User == (User{}) {
		nb.User = SampleUser
	}
	if nb.Token == "" {
		nb.Token = newNotebookToken()
	}
	if nb.Lease == (Lease{}) {
		nb.Lease.Enable = true
	}
	nb.Lease.Type = cmp.Or(nb.Lease.Type, "TIMING")
	nb.Lease.Span = cmp.Or(nb.Lease.Span, DefaultLeaseSpan)
	if nb.Lease.CreatedAt.IsZero() {
		nb.Lease.CreatedAt = nb.CreatedAt
	}
	if nb.Lease.UpdatedAt.IsZero() {
		nb.Lease.arm(nb.CreatedAt)
		if nb.Status == NotebookRunning {
			nb.Lease.arm(now)
		}
	}
	return nb
}

// newNotebookToken returns a fresh notebook token, shaped as in the
// vendor's samples (a UUID).
func newNotebookToken() string { return uuid.NewString() }

// putNotebook stores a copy of nb under projectID. The caller holds s.mu
// (or owns s alone).
func (s *Server) putNotebook(projectID string, nb Notebook) {
	if s.notebooks[projectID] == nil {
		s.notebooks[projectID] = map[string]*Notebook{}
	}
	c := nb.clone()
	s.notebooks[projectID][nb.ID] = &c
}

// AddNotebook stores a copy of nb in projectID, replacing any notebook
// with the same ID. Tests use it to set up state the API cannot reach
// (FROZEN, ERROR...). Fields left empty get defaults (see the package
// documentation). A notebook in a transitional status stays in it unless
// nb.Next says where it goes and when.
func (s *Server) AddNotebook(projectID string, nb Notebook) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.putNotebook(projectID, normalizeNotebook(nb, s.now()))
}

// Notebook returns a copy of the notebook as it is now on the server's
// clock (pending transitions and the lease applied), and whether it exists.
func (s *Server) Notebook(projectID, id string) (Notebook, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	nb := s.lookupNotebook(projectID, id, s.now())
	if nb == nil {
		return Notebook{}, false
	}
	return nb.clone(), true
}

// Notebooks returns copies of the notebooks of a project as they are now
// on the server's clock, sorted by ID.
func (s *Server) Notebooks(projectID string) []Notebook {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Notebook
	for _, nb := range s.settledNotebooks(projectID, s.now()) {
		out = append(out, nb.clone())
	}
	slices.SortFunc(out, func(a, b Notebook) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// settledNotebooks returns the project's notebooks settled at now,
// dropping those whose deletion has completed. The caller holds s.mu.
func (s *Server) settledNotebooks(projectID string, now time.Time) []*Notebook {
	project := s.notebooks[projectID]
	out := make([]*Notebook, 0, len(project))
	for id, nb := range project {
		if s.settleNotebook(nb, now) {
			delete(project, id)
			continue
		}
		out = append(out, nb)
	}
	return out
}

// lookupNotebook returns the stored notebook, settled at now, or nil (also
// once its deletion has completed). The caller holds s.mu.
func (s *Server) lookupNotebook(projectID, id string, now time.Time) *Notebook {
	nb, ok := s.notebooks[projectID][id]
	if !ok {
		return nil
	}
	if s.settleNotebook(nb, now) {
		delete(s.notebooks[projectID], id)
		return nil
	}
	return nb
}

// targetNotebook returns the notebook a request is for: the stored one,
// settled at now, or for an ID with [FaultInstancePrefix] a fresh
// [faultNotebook], which the request may change but which is never kept;
// nil if there is none. The caller holds s.mu.
func (s *Server) targetNotebook(projectID, id string, now time.Time) *Notebook {
	if strings.HasPrefix(id, FaultInstancePrefix) {
		nb := faultNotebook(id)
		return &nb
	}
	return s.lookupNotebook(projectID, id, now)
}

// faultNotebook is what a notebook ID with [FaultInstancePrefix] is when
// no fault answers: an existing, stopped notebook.
func faultNotebook(id string) Notebook {
	return normalizeNotebook(Notebook{ID: id, Name: id, Status: NotebookStopped, CreatedAt: sampleNotebookEpoch,
		Token: "00000000-0000-4000-8000-000000000000"}, sampleNotebookEpoch)
}
