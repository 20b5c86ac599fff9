package emulator

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
)

// MountStatus is the status of an OBS storage mount.
type MountStatus string

// The mount statuses the reference lists.
const (
	MountMounting      MountStatus = "MOUNTING"
	MountMountFailed   MountStatus = "MOUNT_FAILED"
	MountMounted       MountStatus = "MOUNTED"
	MountUnmounting    MountStatus = "UNMOUNTING"
	MountUnmountFailed MountStatus = "UNMOUNT_FAILED"
	MountUnmounted     MountStatus = "UNMOUNTED"
)

// MaxMounts is how many OBS mounts a notebook may have (Huawei's limit;
// the fact sheet's choice, §9.17).
const MaxMounts = 10

// FailMountPrefix starts the directories (under /data/) of mounts that
// fail: they go from MOUNTING to MOUNT_FAILED.
const FailMountPrefix = "fail-mount"

// Mount is an OBS parallel file system directory mounted into a notebook.
type Mount struct {
	// ID is the mount's UUID, the {storage_id} of its routes.
	ID string
	// Category is "OBSFS" (the request's OBS comes back so).
	Category string
	// MountPath is where it is mounted, under /data/.
	MountPath string
	// URI is the OBS directory, obs://bucket/dir/.
	URI string
	// Status is the mount's status.
	Status MountStatus
	// Next is the pending status change, if any; MountUnmounted removes
	// the mount.
	Next *MountTransition
}

// MountTransition is a mount's pending status change.
type MountTransition struct {
	// To is the status the mount reaches.
	To MountStatus
	// At is when, on the emulator's clock.
	At time.Time
}

// settleMounts applies the mounts' pending changes whose time has come
// and forgets the mounts that are unmounted.
func settleMounts(nb *Notebook, now time.Time) {
	kept := nb.Mounts[:0]
	for _, m := range nb.Mounts {
		if m.Next != nil && !now.Before(m.Next.At) {
			m.Status, m.Next = m.Next.To, nil
		}
		if m.Status != MountUnmounted {
			kept = append(kept, m)
		}
	}
	nb.Mounts = kept
}

// wireMount is the Mount object on the wire.
type wireMount struct {
	Category  string      `json:"category"`
	ID        string      `json:"id"`
	MountPath string      `json:"mount_path"`
	Status    MountStatus `json:"status"`
	URI       string      `json:"uri"`
}

func renderMount(m *Mount) wireMount {
	return wireMount{Category: m.Category, ID: m.ID, MountPath: m.MountPath, Status: m.Status, URI: m.URI}
}

// mountRequest is AttachObs's body.
type mountRequest struct {
	Category  *string `json:"category"`
	MountPath *string `json:"mount_path"`
	URI       *string `json:"uri"`
}

// checkMount applies the mount rules: category, mount_path and uri
// required (the fact sheet's choice, §9.17: 6335); category OBS (or
// OBSFS) in any case (6324); mount_path a directory under /data/ (6336);
// uri an obs:// directory (6336), not a bucket's root (6358).
func checkMount(req *mountRequest) (Mount, *vendorError) {
	for _, f := range []struct {
		name string
		v    *string
	}{{"category", req.Category}, {"mount_path", req.MountPath}, {"uri", req.URI}} {
		if f.v == nil || *f.v == "" {
			return Mount{}, errRequired(f.name)
		}
	}
	if !strings.EqualFold(*req.Category, "OBS") && !strings.EqualFold(*req.Category, "OBSFS") {
		return Mount{}, errStorageType
	}
	dir, ok := strings.CutPrefix(*req.MountPath, "/data/")
	if !ok || strings.Trim(dir, "/") == "" || slices.ContainsFunc(strings.Split(strings.TrimSuffix(dir, "/"), "/"),
		func(seg string) bool { return seg == "" || seg == "." || seg == ".." }) {
		return Mount{}, errBadValue("mount_path")
	}
	rest, ok := strings.CutPrefix(*req.URI, "obs://")
	if !ok || strings.HasPrefix(rest, "/") {
		return Mount{}, errBadValue("uri")
	}
	if bucket, path, _ := strings.Cut(rest, "/"); bucket == "" || strings.Trim(path, "/") == "" {
		return Mount{}, errBucketRoot
	}
	return Mount{ID: uuid.NewString(), Category: "OBSFS", MountPath: *req.MountPath, URI: *req.URI, Status: MountMounting}, nil
}

// samePath reports whether two mount paths name the same directory.
func samePath(a, b string) bool { return strings.TrimSuffix(a, "/") == strings.TrimSuffix(b, "/") }

// listMounts implements GET /v1/{project_id}/notebooks/{instance_id}/storage:
// the notebook's mounts, in any status, in the order they were made; no
// paging, as the reference gives none.
func (s *Server) listMounts(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	nb := s.targetNotebook(r.PathValue("project_id"), r.PathValue("instance_id"), s.now())
	if nb == nil {
		writeNotebookError(w, errInstanceNotFound)
		return
	}
	list := make([]wireMount, len(nb.Mounts))
	for i := range nb.Mounts {
		list[i] = renderMount(&nb.Mounts[i])
	}
	writeJSON(w, http.StatusOK, pageOf(list, 0, 0))
}

// attachMount implements POST /v1/{project_id}/notebooks/{instance_id}/storage:
// the checks of checkMount; the notebook (6309) RUNNING (mutationGuard:
// 6326, 6357, 6327); at most [MaxMounts] mounts (0118, inferred); the
// mount path not already used (6336, inferred). The mount is MOUNTING,
// then MOUNTED after [Lifecycle].Mount (MOUNT_FAILED for a directory
// starting with [FailMountPrefix]).
func (s *Server) attachMount(w http.ResponseWriter, r *http.Request) {
	var req mountRequest
	verr := decodeBody(r, &req)
	var m Mount
	if verr == nil {
		m, verr = checkMount(&req)
	}
	if verr != nil {
		writeNotebookError(w, verr)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	nb := s.targetNotebook(r.PathValue("project_id"), r.PathValue("instance_id"), now)
	switch {
	case nb == nil:
		verr = errInstanceNotFound
	case mutationGuard(nb.Status) != nil:
		verr = mutationGuard(nb.Status)
	case len(nb.Mounts) >= MaxMounts:
		verr = errQuotaInsufficient
	case slices.ContainsFunc(nb.Mounts, func(o Mount) bool { return samePath(o.MountPath, m.MountPath) }):
		verr = errBadValue("mount_path")
	}
	if verr != nil {
		writeNotebookError(w, verr)
		return
	}
	m.Next = &MountTransition{To: MountMounted, At: now.Add(s.lifecycle.Mount)}
	if strings.HasPrefix(strings.TrimPrefix(m.MountPath, "/data/"), FailMountPrefix) {
		m.Next.To = MountMountFailed
	}
	nb.Mounts = append(nb.Mounts, m)
	writeJSON(w, http.StatusOK, renderMount(&m))
}

// mountOf returns the request's notebook and mount, or the error: 6309
// for either unknown (inferred for the mount: the reference has no code of
// its own).
func (s *Server) mountOf(r *http.Request, now time.Time) (*Notebook, *Mount, *vendorError) {
	nb := s.targetNotebook(r.PathValue("project_id"), r.PathValue("instance_id"), now)
	if nb == nil {
		return nil, nil, errInstanceNotFound
	}
	i := slices.IndexFunc(nb.Mounts, func(m Mount) bool { return m.ID == r.PathValue("storage_id") })
	if i < 0 {
		return nb, nil, errInstanceNotFound
	}
	return nb, &nb.Mounts[i], nil
}

// showMount implements GET /v1/{project_id}/notebooks/{instance_id}/storage/{storage_id}.
func (s *Server) showMount(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, m, verr := s.mountOf(r, s.now())
	if verr != nil {
		writeNotebookError(w, verr)
		return
	}
	writeJSON(w, http.StatusOK, renderMount(m))
}

// detachMount implements DELETE
// /v1/{project_id}/notebooks/{instance_id}/storage/{storage_id}: the
// notebook RUNNING (mutationGuard), the mount not MOUNTING or UNMOUNTING
// (6357); it is UNMOUNTING, then gone after [Lifecycle].Unmount (later
// calls give 6309). The objects in OBS stay.
func (s *Server) detachMount(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	nb, m, verr := s.mountOf(r, now)
	switch {
	case nb != nil && mutationGuard(nb.Status) != nil:
		verr = mutationGuard(nb.Status)
	case verr != nil:
	case m.Status == MountMounting || m.Status == MountUnmounting:
		verr = errOperationInProgress
	}
	if verr != nil {
		writeNotebookError(w, verr)
		return
	}
	m.Status, m.Next = MountUnmounting, &MountTransition{To: MountUnmounted, At: now.Add(s.lifecycle.Unmount)}
	writeJSON(w, http.StatusOK, renderMount(m))
}
