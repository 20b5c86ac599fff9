package emulator

import (
	"encoding/base64"
	"net/http"
	"net/netip"
	"slices"
	"strings"

	"github.com/google/uuid"
)

// The limits of the new API's fields.
const (
	maxNotebookNameLen = 128
	maxAllowedIPs      = 5
	maxEVSCapacity     = 4096
	minEVSCapacity     = 5
	// notebookDescriptionForbidden are the characters an update's
	// description may not hold: create's without ' (the reference's two
	// pages differ).
	notebookDescriptionForbidden = `&<>"/`
)

// The request bodies of the new API. Pointers tell an absent (or null)
// field from a zero one.
type (
	notebookCreateRequest struct {
		Name        *string           `json:"name"`
		Description *string           `json:"description"`
		Duration    *int64            `json:"duration"`
		Endpoints   []endpointRequest `json:"endpoints"`
		Feature     *string           `json:"feature"`
		Flavor      *string           `json:"flavor"`
		ImageID     *string           `json:"image_id"`
		PoolID      *string           `json:"pool_id"`
		Volume      *volumeRequest    `json:"volume"`
		WorkspaceID *string           `json:"workspace_id"`
		Hooks       *hooksRequest     `json:"hooks"`
		Lease       *leaseRequest     `json:"lease"`
	}
	// endpointRequest is EndpointsReq; the 2024 page's names dev_service
	// and ssh_keys are read too (§9.12).
	endpointRequest struct {
		Service          *string  `json:"service"`
		DevService       *string  `json:"dev_service"`
		KeyPairNames     []string `json:"key_pair_names"`
		SSHKeys          []string `json:"ssh_keys"`
		AllowedAccessIPs []string `json:"allowed_access_ips"`
	}
	volumeRequest struct {
		Capacity  *int    `json:"capacity"`
		Category  *string `json:"category"`
		Ownership *string `json:"ownership"`
		URI       *string `json:"uri"`
		ID        *string `json:"id"`
	}
	hooksRequest struct {
		ContainerHooks *struct {
			PostStart *hookRequest `json:"post_start"`
			PreStart  *hookRequest `json:"pre_start"`
		} `json:"container_hooks"`
	}
	hookRequest struct {
		Script *string `json:"script"`
		Type   *string `json:"type"`
		Mode   *string `json:"mode"`
	}
)

// checkVolume applies the volume rules: volume, category and ownership
// required (6335); category EVS, EFS or SFS (taken as EFS), in any case
// (else 6324); ownership MANAGED or DEDICATED in any case, DEDICATED only
// for EFS (6336); uri and id required for a DEDICATED one (6335); an EVS
// capacity 5-4096 GB, default 5 (6331); an EFS one 1-4096, default 50
// (6336, inferred).
func checkVolume(v *volumeRequest) (Volume, *vendorError) {
	if v == nil {
		return Volume{}, errRequired("volume")
	}
	if v.Category == nil || *v.Category == "" {
		return Volume{}, errRequired("category")
	}
	if v.Ownership == nil || *v.Ownership == "" {
		return Volume{}, errRequired("ownership")
	}
	var vol Volume
	switch strings.ToUpper(*v.Category) {
	case "EVS":
		vol.Category, vol.Capacity = "EVS", minEVSCapacity
	case "EFS", "SFS":
		vol.Category, vol.Capacity = "EFS", 50
	default:
		return Volume{}, errStorageType
	}
	var verr *vendorError
	if vol.Ownership, verr = oneOf("ownership", *v.Ownership, "MANAGED", "DEDICATED"); verr != nil {
		return Volume{}, verr
	}
	if vol.Ownership == "DEDICATED" {
		switch {
		case vol.Category != "EFS":
			return Volume{}, errBadValue("ownership")
		case v.URI == nil || *v.URI == "":
			return Volume{}, errRequired("uri")
		case v.ID == nil || *v.ID == "":
			return Volume{}, errRequired("id")
		}
		vol.URI, vol.ID = *v.URI, *v.ID
	}
	if v.Capacity != nil {
		c := *v.Capacity
		switch {
		case vol.Category == "EVS" && (c < minEVSCapacity || c > maxEVSCapacity):
			return Volume{}, errEVSRange(minEVSCapacity, maxEVSCapacity)
		case c < 1 || c > maxEVSCapacity:
			return Volume{}, errBadValue("capacity")
		}
		vol.Capacity = c
	}
	return vol, nil
}

// checkEndpoints applies the endpoint rules: service NOTEBOOK or SSH in
// any case (6336; absent means SSH, the access the parameter is for,
// inferred), each service once (6336 on endpoints, inferred); at most
// five allowed_access_ips, each an IP address (6336); key pair names not
// empty (6336).
func checkEndpoints(list []endpointRequest) ([]Endpoint, *vendorError) {
	var out []Endpoint
	for _, e := range list {
		svc := "SSH"
		given := e.Service
		if given == nil || *given == "" {
			given = e.DevService
		}
		if given != nil && *given != "" {
			var verr *vendorError
			if svc, verr = oneOf("service", *given, "NOTEBOOK", "SSH"); verr != nil {
				return nil, verr
			}
		}
		if slices.ContainsFunc(out, func(o Endpoint) bool { return o.Service == svc }) {
			return nil, errBadValue("endpoints")
		}
		if len(e.AllowedAccessIPs) > maxAllowedIPs {
			return nil, errBadValue("allowed_access_ips")
		}
		for _, ip := range e.AllowedAccessIPs {
			if _, err := netip.ParseAddr(ip); err != nil {
				return nil, errBadValue("allowed_access_ips")
			}
		}
		keys := e.KeyPairNames
		if keys == nil {
			keys = e.SSHKeys
		}
		if slices.Contains(keys, "") {
			return nil, errBadValue("key_pair_names")
		}
		out = append(out, Endpoint{Service: svc, KeyPairNames: slices.Clone(keys), AllowedAccessIPs: slices.Clone(e.AllowedAccessIPs)})
	}
	return out, nil
}

// checkHooks applies the hook rules: script required (6335); type SCRIPT
// (the default) or COMMAND in any case (6336); a SCRIPT an absolute path
// and a COMMAND Base64 (6336); Huawei's mode BLOCK or ASYNC (6336).
func checkHooks(h *hooksRequest) (*Hooks, *vendorError) {
	if h == nil || h.ContainerHooks == nil {
		return nil, nil
	}
	one := func(r *hookRequest) (*HookScript, *vendorError) {
		if r == nil {
			return nil, nil
		}
		if r.Script == nil || *r.Script == "" {
			return nil, errRequired("script")
		}
		typ, verr := optionalOneOf("type", r.Type, "SCRIPT", "SCRIPT", "COMMAND")
		if verr == nil {
			_, verr = optionalOneOf("mode", r.Mode, "ASYNC", "BLOCK", "ASYNC")
		}
		if verr != nil {
			return nil, verr
		}
		if typ == "SCRIPT" && !strings.HasPrefix(*r.Script, "/") {
			return nil, errBadValue("script")
		}
		if _, err := base64.StdEncoding.DecodeString(*r.Script); typ == "COMMAND" && err != nil {
			return nil, errBadValue("script")
		}
		return &HookScript{Script: *r.Script, Type: typ}, nil
	}
	pre, verr := one(h.ContainerHooks.PreStart)
	if verr != nil {
		return nil, verr
	}
	post, verr := one(h.ContainerHooks.PostStart)
	if verr != nil {
		return nil, verr
	}
	return &Hooks{PreStart: pre, PostStart: post}, nil
}

// checkPoolID applies Huawei's pool ID rule: 4-64 of [a-z0-9-] (6336).
func checkPoolID(id string) *vendorError {
	if len(id) < 4 || len(id) > 64 || strings.Trim(id, "abcdefghijklmnopqrstuvwxyz0123456789-") != "" {
		return errBadValue("pool_id")
	}
	return nil
}

// checkNotebookCreate applies the create rules that need no lookup, the
// first failure answering: name (required, characters, at most 128),
// description (characters & < > " ' /, at most 512), flavor, image_id and
// volume required, the volume, feature (NOTEBOOK or DEFAULT, any case),
// the lease (duration wins over lease), endpoints, hooks, workspace_id
// and pool_id. It returns the notebook to make, without ID.
func checkNotebookCreate(req *notebookCreateRequest) (Notebook, leaseSetting, *vendorError) {
	var nb Notebook
	var set leaseSetting
	fail := func(verr *vendorError) (Notebook, leaseSetting, *vendorError) {
		return Notebook{}, leaseSetting{}, verr
	}
	if verr := checkNameUpTo(req.Name, maxNotebookNameLen); verr != nil {
		return fail(verr)
	}
	nb.Name = *req.Name
	if req.Description != nil {
		if verr := checkDescription(*req.Description); verr != nil {
			return fail(verr)
		}
		nb.Description = *req.Description
	}
	if req.Flavor == nil || *req.Flavor == "" {
		return fail(errRequired("flavor"))
	}
	if req.ImageID == nil || *req.ImageID == "" {
		return fail(errRequired("image_id"))
	}
	nb.Flavor, nb.ImageID = *req.Flavor, *req.ImageID
	var verr *vendorError
	if nb.Volume, verr = checkVolume(req.Volume); verr != nil {
		return fail(verr)
	}
	if nb.Feature, verr = optionalOneOf("feature", req.Feature, "NOTEBOOK", "NOTEBOOK", "DEFAULT"); verr != nil {
		return fail(verr)
	}
	switch {
	case req.Duration != nil:
		set, verr = parseLease(req.Duration, nil)
	case req.Lease != nil:
		set, verr = parseLease(req.Lease.Duration, req.Lease.Type)
	default:
		set, verr = parseLease(nil, nil)
	}
	if verr != nil {
		return fail(verr)
	}
	if nb.Endpoints, verr = checkEndpoints(req.Endpoints); verr != nil {
		return fail(verr)
	}
	if nb.Hooks, verr = checkHooks(req.Hooks); verr != nil {
		return fail(verr)
	}
	if nb.WorkspaceID, verr = checkWorkspace(req.WorkspaceID); verr != nil {
		return fail(verr)
	}
	if req.PoolID != nil && *req.PoolID != "" {
		if verr := checkPoolID(*req.PoolID); verr != nil {
			return fail(verr)
		}
		nb.PoolID = *req.PoolID
	}
	return nb, set, nil
}

// checkFlavorAndImage applies the rules that need the catalogs: the
// flavor in the catalog (6323), of the notebook's feature (the free
// flavors are DEFAULT's: 6870), not sold out (6716), offering the volume's
// category (6324, inferred); the image known and ACTIVE (6797), of the
// flavor's category and architecture when it lists them (6336 on
// image_id, inferred); an image without the NOTEBOOK service needs an SSH
// endpoint (6768). The caller holds s.mu.
func (s *Server) checkFlavorAndImage(projectID string, nb *Notebook) *vendorError {
	fl := lookupFlavor(nb.Flavor)
	switch {
	case fl == nil:
		return errFlavorUnsupported
	case fl.feature != nb.Feature:
		return errFlavorFeature(fl.id, nb.Feature)
	case fl.soldOut:
		return errFlavorSoldOut(fl.id)
	case !slices.Contains(fl.storages, nb.Volume.Category):
		return errStorageType
	}
	return s.checkImageFor(projectID, nb, fl)
}

// checkImageFor applies checkFlavorAndImage's image rules for the
// notebook's image on flavor fl.
func (s *Server) checkImageFor(projectID string, nb *Notebook, fl *notebookFlavor) *vendorError {
	img := s.findImage(projectID, nb.ImageID)
	switch {
	case img == nil || img.Status != ImageActive:
		return errImageNotFound(nb.ImageID)
	case len(img.ResourceCategories) > 0 && !slices.Contains(img.ResourceCategories, fl.category), img.Arch != fl.arch:
		return errBadValue("image_id")
	case !slices.Contains(img.DevServices, "NOTEBOOK") &&
		!slices.ContainsFunc(nb.Endpoints, func(e Endpoint) bool { return e.Service == "SSH" }):
		return errSSHMissing(img.Name)
	}
	return nil
}

// createNotebook implements POST /v1/{project_id}/notebooks: the checks of
// checkNotebookCreate and checkFlavorAndImage, then the free instance (one
// DEFAULT notebook per user: 0113) and the project's quota
// (Options.InstanceQuota, counted apart from the old API's: 0113). The
// answer is the new notebook, CREATING; it is RUNNING after
// [Lifecycle].Create (CREATE_FAILED for a name with [FailCreatePrefix]),
// when the lease is armed again.
func (s *Server) createNotebook(w http.ResponseWriter, r *http.Request) {
	var req notebookCreateRequest
	verr := decodeBody(r, &req)
	var nb Notebook
	var set leaseSetting
	if verr == nil {
		nb, set, verr = checkNotebookCreate(&req)
	}
	if verr != nil {
		writeNotebookError(w, verr)
		return
	}
	projectID := r.PathValue("project_id")
	s.mu.Lock()
	defer s.mu.Unlock()
	if verr := s.checkFlavorAndImage(projectID, &nb); verr != nil {
		writeNotebookError(w, verr)
		return
	}
	now := s.now()
	project := s.settledNotebooks(projectID, now)
	switch {
	case nb.Feature == "DEFAULT" && slices.ContainsFunc(project, func(o *Notebook) bool { return o.Feature == "DEFAULT" && o.User == SampleUser }):
		verr = errNotebookQuota("DEFAULT notebook")
	case s.quota > 0 && len(project) >= s.quota:
		verr = errNotebookQuota("notebook")
	}
	if verr != nil {
		writeNotebookError(w, verr)
		return
	}
	nb.ID, nb.Status, nb.User, nb.Token = uuid.NewString(), NotebookCreating, SampleUser, newNotebookToken()
	nb.CreatedAt, nb.UpdatedAt = now, now
	nb.Lease = Lease{CreatedAt: now}
	nb.Lease.apply(set, now)
	nb.Next = &NotebookTransition{To: NotebookRunning, At: now.Add(s.lifecycle.Create)}
	if strings.HasPrefix(nb.Name, FailCreatePrefix) {
		nb.Next.To, nb.Next.FailReason = NotebookCreateFailed, failReason(errNoResources, "the instance name starts with "+FailCreatePrefix)
	}
	s.putNotebook(projectID, nb)
	writeJSON(w, http.StatusOK, s.renderNotebook(projectID, &nb, now, notebookViewCreate))
}

// errNoResources is 6200, the reason of an emulated create failure.
var errNoResources = &vendorError{http.StatusInternalServerError, "ModelArts.6200", "No resources available. Please try again later or submit a service ticket.", false}

// failReason is a fail_reason: the vendor error's code and message, and
// why the emulator failed (inferred: the reference shows no fail_reason).
func failReason(e *vendorError, why string) string {
	return e.code + ": " + e.message + " (emulated failure: " + why + ")"
}
