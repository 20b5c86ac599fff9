package service

import (
	"encoding/base64"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"unicode/utf8"

	notebookv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/notebook/v1"
	"github.com/devenv-facade/devenv-facade/internal/reqcheck"
)

// The checks of NotebookService's requests (the notebooks themselves; the
// lease, flavors, mounts and images have their own files). Each rule is
// the one the proto documents on the field.

// notebookLiterals are the literal segments the vendor's routes put where
// a notebook ID sits (GET .../notebooks/all, .../notebooks/flavors): never
// a notebook ID, in any case.
var notebookLiterals = []string{"all", "flavors"}

// checkNotebookID accepts what checkInstanceID accepts under the field
// name notebook_id, but for the vendor's literal segments.
func checkNotebookID(id string) *violation {
	const field = "notebook_id"
	if id == "" {
		return newViolation(field, violationRequired, "notebook_id is required: 1 to 64 characters from A-Z, a-z, 0-9, '-' and '_'")
	}
	if !isIDString(id, maxInstanceIDLen) {
		return newViolation(field, violationMalformed, fmt.Sprintf("notebook_id must be 1 to 64 characters from A-Z, a-z, 0-9, '-' and '_'; got %s", describe(id)))
	}
	for _, lit := range notebookLiterals {
		if strings.EqualFold(id, lit) {
			return newViolation(field, violationMalformed, fmt.Sprintf("notebook_id must be a notebook's ID, not %s (a route of its own at ModelArts)", describe(id)))
		}
	}
	return nil
}

// validateGetNotebook checks a GetNotebookRequest.
func validateGetNotebook(req *notebookv1.GetNotebookRequest) []*violation {
	return violations(checkProjectID(req.GetProjectId()), checkNotebookID(req.GetNotebookId()))
}

// Rules of the new API's notebook fields (fact sheet §1.1-§1.4, §4), as
// the proto documents them.
const (
	maxNotebookNameLen   = 128
	maxImageIDLen        = 64
	maxVolumeCapacity    = 4096
	minEVSCapacity       = 5
	maxShareURILen       = 1024
	maxHookPathLen       = 1024
	maxHookCommandLen    = 65536
	minPoolIDLen         = 4
	maxPoolIDLen         = 64
	ownerIDLen           = 32
	forbiddenInUpdateDoc = `&<>"/`
)

// The vendor's values, matched in any case.
var (
	notebookFeatures = []string{"NOTEBOOK", "DEFAULT"}
	notebookStatuses = []string{"INIT", "CREATING", "STARTING", "RUNNING", "STOPPING", "STOPPED", "SNAPSHOTTING", "DELETING", "DELETED", "CREATE_FAILED", "START_FAILED", "DELETE_FAILED", "ERROR", "FROZEN"}
	sortDirections   = []string{"ASC", "DESC"}
	volumeCategories = []string{"EVS", "EFS", "SFS"}
	volumeOwnerships = []string{"MANAGED", "DEDICATED"}
	endpointServices = []string{"NOTEBOOK", "SSH"}
	hookTypes        = []string{"SCRIPT", "COMMAND"}
)

// checkEnumFold accepts "" or one of values in any (ASCII) case.
func checkEnumFold(field, v string, values []string) *violation {
	if v == "" {
		return nil
	}
	for _, want := range values {
		if strings.EqualFold(v, want) && isASCII(v) {
			return nil
		}
	}
	return newViolation(field, violationMalformed, fmt.Sprintf("%s must be one of %s (in any case); got %s", field, strings.Join(values, ", "), describe(v)))
}

// checkNotebookName accepts 1 to 128 characters from A-Z, a-z, 0-9, "-"
// and "_"; "" is refused when required, passed otherwise.
func checkNotebookName(field, name string, required bool) *violation {
	switch {
	case name == "" && !required:
		return nil
	case name == "":
		return newViolation(field, violationRequired, field+" is required: 1 to 128 characters from A-Z, a-z, 0-9, '-' and '_'")
	case !isIDString(name, maxNotebookNameLen):
		return newViolation(field, violationMalformed, fmt.Sprintf("%s must be 1 to 128 characters from A-Z, a-z, 0-9, '-' and '_'; got %s", field, describe(name)))
	}
	return nil
}

// checkImageRef accepts an image ID in a body's field: 1 to 64
// characters from A-Z, a-z, 0-9, "-" and "_".
func checkImageRef(field, id string) *violation {
	if id == "" {
		return newViolation(field, violationRequired, field+" is required: an image ID from ListImages (a UUID)")
	}
	if !isIDString(id, maxImageIDLen) {
		return newViolation(field, violationMalformed, fmt.Sprintf("%s must be 1 to 64 characters from A-Z, a-z, 0-9, '-' and '_'; got %s", field, describe(id)))
	}
	return nil
}

// checkPoolID accepts "" or 4 to 64 characters from a-z, 0-9 and "-".
func checkPoolID(field, id string) *violation {
	if id == "" || len(id) >= minPoolIDLen && len(id) <= maxPoolIDLen && onlyBytes(id, func(c byte) bool { return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' }) {
		return nil
	}
	return newViolation(field, violationMalformed, fmt.Sprintf("%s must be 4 to 64 characters from a-z, 0-9 and '-'; got %s", field, describe(id)))
}

// isLowerAlnumID reports whether s is exactly n characters from a-z and 0-9.
func isLowerAlnumID(s string, n int) bool {
	return len(s) == n && onlyBytes(s, func(c byte) bool { return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' })
}

// onlyBytes reports whether every byte of s is ok.
func onlyBytes(s string, ok func(byte) bool) bool {
	for i := 0; i < len(s); i++ {
		if !ok(s[i]) {
			return false
		}
	}
	return true
}

// checkLease checks a lease a create or renewal asks for: its duration
// (checkLeaseDuration), if set, and its type.
func checkLease(field string, l *notebookv1.LeaseRequest) []*violation {
	var vs []*violation
	if l.Duration != nil {
		vs = appendIf(vs, checkLeaseDuration(field+".duration", l.GetDuration()))
	}
	return appendIf(vs, checkEnumFold(field+".type", l.GetType(), leaseTypes))
}

// checkVolume checks a create's volume: category and ownership, DEDICATED
// only on SFS Turbo (EFS, SFS) and then with the share's uri and id (and
// without them otherwise), and a capacity in the category's range.
func checkVolume(field string, v *notebookv1.VolumeRequest) []*violation {
	if v == nil {
		return []*violation{newViolation(field, violationRequired, field+` is required: the notebook's storage, for example {"category": "EVS", "ownership": "MANAGED", "capacity": 5}`)}
	}
	var vs []*violation
	category, ownership := strings.ToUpper(v.GetCategory()), strings.ToUpper(v.GetOwnership())
	if v.GetCategory() == "" {
		vs = append(vs, newViolation(field+".category", violationRequired, field+".category is required: EVS, EFS or SFS"))
	} else {
		vs = appendIf(vs, checkEnumFold(field+".category", v.GetCategory(), volumeCategories))
	}
	if v.GetOwnership() == "" {
		vs = append(vs, newViolation(field+".ownership", violationRequired, field+".ownership is required: MANAGED or DEDICATED"))
	} else {
		vs = appendIf(vs, checkEnumFold(field+".ownership", v.GetOwnership(), volumeOwnerships))
	}
	dedicated := ownership == "DEDICATED"
	if dedicated && category == "EVS" {
		vs = append(vs, newViolation(field+".ownership", violationMalformed, field+".ownership DEDICATED (your own SFS Turbo) needs category EFS or SFS, not EVS"))
	}
	if v.Capacity != nil {
		lo := 1
		if category == "EVS" {
			lo = minEVSCapacity
		}
		vs = appendIf(vs, checkRange(field+".capacity", int(v.GetCapacity()), lo, maxVolumeCapacity))
	}
	switch {
	case dedicated && v.GetUri() == "":
		vs = append(vs, newViolation(field+".uri", violationRequired, field+".uri is required with ownership DEDICATED: the SFS Turbo share path, such as \"192.168.0.1:/user-1/mount/\""))
	case dedicated:
		vs = appendIf(vs, checkShareURI(field+".uri", v.GetUri()))
	case v.Uri != nil:
		vs = append(vs, newViolation(field+".uri", violationMalformed, field+".uri is for ownership DEDICATED only"))
	}
	switch {
	case dedicated && v.GetId() == "":
		vs = append(vs, newViolation(field+".id", violationRequired, field+".id is required with ownership DEDICATED: the SFS Turbo file system ID"))
	case dedicated && !isIDString(v.GetId(), maxIDLen):
		vs = append(vs, newViolation(field+".id", violationMalformed, fmt.Sprintf("%s.id must be 1 to 64 characters from A-Z, a-z, 0-9, '-' and '_'; got %s", field, describe(v.GetId()))))
	case !dedicated && v.Id != nil:
		vs = append(vs, newViolation(field+".id", violationMalformed, field+".id is for ownership DEDICATED only"))
	}
	return vs
}

// checkShareURI accepts 1 to 1024 bytes of text (notText) without spaces.
func checkShareURI(field, uri string) *violation {
	if len(uri) > maxShareURILen || !utf8.ValidString(uri) || strings.ContainsRune(uri, ' ') || strings.IndexFunc(uri, notText) >= 0 {
		return newViolation(field, violationMalformed, fmt.Sprintf("%s must be 1 to %d bytes without spaces, control, format or separator characters; got %s", field, maxShareURILen, describe(uri)))
	}
	return nil
}

// checkEndpoints checks endpoints: at most reqcheck.MaxEndpoints, no two
// naming the same service, each with a known service, at most
// reqcheck.MaxKeyPairNames distinct key-pair names of ECS's form and at
// most reqcheck.MaxAllowedAccessIPs distinct IP addresses.
func checkEndpoints(field string, eps []*notebookv1.EndpointRequest) []*violation {
	if len(eps) > reqcheck.MaxEndpoints {
		return []*violation{newViolation(field, violationMalformed, fmt.Sprintf("%s may have at most %d entries; got %d", field, reqcheck.MaxEndpoints, len(eps)))}
	}
	var vs []*violation
	services := map[string]bool{}
	for i, ep := range eps {
		f := fmt.Sprintf("%s[%d]", field, i)
		if svc := strings.ToUpper(ep.GetService()); ep.Service != nil {
			if v := checkEnumFold(f+".service", ep.GetService(), endpointServices); v != nil {
				vs = append(vs, v)
			} else if services[svc] {
				vs = append(vs, newViolation(f+".service", violationMalformed, fmt.Sprintf("%s.service %s is named by an earlier endpoint", f, describe(ep.GetService()))))
			}
			services[svc] = true
		}
		if n := len(ep.GetKeyPairNames()); n > reqcheck.MaxKeyPairNames {
			vs = append(vs, newViolation(f+".key_pair_names", violationMalformed, fmt.Sprintf("%s.key_pair_names may have at most %d names; got %d", f, reqcheck.MaxKeyPairNames, n)))
		} else {
			for j, k := range ep.GetKeyPairNames() {
				switch {
				case !isIDString(k, maxIDLen):
					vs = append(vs, newViolation(fmt.Sprintf("%s.key_pair_names[%d]", f, j), violationMalformed, fmt.Sprintf("a key pair name must be 1 to 64 characters from A-Z, a-z, 0-9, '-' and '_'; got %s", describe(k))))
				case slices.Contains(ep.GetKeyPairNames()[:j], k):
					vs = append(vs, newViolation(fmt.Sprintf("%s.key_pair_names[%d]", f, j), violationMalformed, fmt.Sprintf("key pair %s is named twice", describe(k))))
				}
			}
		}
		if n := len(ep.GetAllowedAccessIps()); n > reqcheck.MaxAllowedAccessIPs {
			vs = append(vs, newViolation(f+".allowed_access_ips", violationMalformed, fmt.Sprintf("%s.allowed_access_ips may have at most %d addresses (ModelArts' rule); got %d", f, reqcheck.MaxAllowedAccessIPs, n)))
		} else {
			for j, ip := range ep.GetAllowedAccessIps() {
				a, err := netip.ParseAddr(ip)
				switch {
				case err != nil || a.Zone() != "":
					vs = append(vs, newViolation(fmt.Sprintf("%s.allowed_access_ips[%d]", f, j), violationMalformed, fmt.Sprintf("an allowed IP must be an IPv4 address in dotted decimal or an IPv6 address, without prefix length or zone; got %s", describe(ip))))
				case slices.Contains(ep.GetAllowedAccessIps()[:j], ip):
					vs = append(vs, newViolation(fmt.Sprintf("%s.allowed_access_ips[%d]", f, j), violationMalformed, fmt.Sprintf("address %s is named twice", describe(ip))))
				}
			}
		}
	}
	return vs
}

// checkHooks checks start-up scripts: each script is required, with type
// SCRIPT (the default) an absolute path of text, with type COMMAND
// standard Base64 with padding.
func checkHooks(field string, h *notebookv1.CustomHooks) []*violation {
	var vs []*violation
	ch := h.GetContainerHooks()
	for _, hook := range []struct {
		name string
		cfg  *notebookv1.HookConfig
	}{{"pre_start", ch.GetPreStart()}, {"post_start", ch.GetPostStart()}} {
		if hook.cfg == nil {
			continue
		}
		f := field + ".container_hooks." + hook.name
		if v := checkEnumFold(f+".type", hook.cfg.GetType(), hookTypes); v != nil {
			vs = append(vs, v)
			continue
		}
		script := hook.cfg.GetScript()
		switch {
		case script == "":
			vs = append(vs, newViolation(f+".script", violationRequired, f+".script is required: an absolute path (type SCRIPT) or Base64 content (type COMMAND)"))
		case strings.EqualFold(hook.cfg.GetType(), "COMMAND"):
			if _, err := base64.StdEncoding.Strict().DecodeString(script); err != nil || len(script) > maxHookCommandLen {
				vs = append(vs, newViolation(f+".script", violationMalformed, fmt.Sprintf("%s.script with type COMMAND must be standard Base64 with padding, at most %d characters", f, maxHookCommandLen)))
			}
		case !strings.HasPrefix(script, "/") || len(script) > maxHookPathLen || !utf8.ValidString(script) || strings.IndexFunc(script, notText) >= 0:
			vs = append(vs, newViolation(f+".script", violationMalformed, fmt.Sprintf("%s.script with type SCRIPT must be an absolute path of at most %d bytes without control, format or separator characters; got %s", f, maxHookPathLen, describe(script))))
		}
	}
	return vs
}

// validateCreateNotebook checks a CreateNotebookRequest.
func validateCreateNotebook(req *notebookv1.CreateNotebookRequest) []*violation {
	vs := violations(checkProjectID(req.GetProjectId()), checkNotebookName("name", req.GetName(), true),
		checkFlavor(req.GetFlavor()), checkImageRef("image_id", req.GetImageId()),
		checkEnumFold("feature", req.GetFeature(), notebookFeatures),
		checkPoolID("pool_id", req.GetPoolId()), checkWorkspaceID(req.GetWorkspaceId()))
	if req.Description != nil {
		vs = appendIf(vs, checkDescription("description", req.GetDescription()))
	}
	vs = append(vs, checkVolume("volume", req.GetVolume())...)
	vs = append(vs, checkEndpoints("endpoints", req.GetEndpoints())...)
	if req.GetHooks() != nil {
		vs = append(vs, checkHooks("hooks", req.GetHooks())...)
	}
	if req.GetLease() != nil {
		vs = append(vs, checkLease("lease", req.GetLease())...)
	}
	if req.Duration != nil {
		vs = appendIf(vs, checkLeaseDuration("duration", req.GetDuration()))
		if req.GetLease() != nil {
			vs = append(vs, newViolation("duration", violationMalformed, "duration and lease set the same lease: ModelArts ignores lease when duration is set; send one"))
		}
	}
	return vs
}

// notebookList is what ListNotebooksRequest and ListAllNotebooksRequest
// share: the same filters, order and paging.
type notebookList interface {
	GetProjectId() string
	GetFeature() string
	GetLimit() int32
	GetOffset() int32
	GetName() string
	GetPoolId() string
	GetOwner() string
	GetSortDir() string
	GetSortKey() string
	GetStatus() string
	GetWorkspaceId() string
	GetPageSize() int32
	GetPageToken() string
}

// validateNotebookList checks a list of notebooks' request.
func validateNotebookList[R notebookList](req R) []*violation {
	vs := violations(checkProjectID(req.GetProjectId()),
		checkEnumFold("feature", req.GetFeature(), notebookFeatures),
		checkNotebookName("name", req.GetName(), false),
		checkPoolID("pool_id", req.GetPoolId()),
		checkEnumFold("sort_dir", req.GetSortDir(), sortDirections),
		checkSortKey(req.GetSortKey()),
		checkEnumFold("status", req.GetStatus(), notebookStatuses),
		checkWorkspaceID(req.GetWorkspaceId()))
	vs = append(vs, checkPaging(req)...)
	if o := req.GetOwner(); o != "" && !isLowerAlnumID(o, ownerIDLen) {
		vs = append(vs, newViolation("owner", violationMalformed, fmt.Sprintf("owner must be a user ID: 32 characters from a-z and 0-9; got %s", describe(o))))
	}
	return vs
}

// validateListNotebooks checks a ListNotebooksRequest as every list of
// notebooks, and refuses owner: ModelArts honours it on the caller's own
// list too when the credentials are an admin's (the facade's may be), and
// another user's notebooks are ListAllNotebooks' to read (declared
// ACCESS_READ_ALL_USERS), which callers who may only read a project may
// not call.
func validateListNotebooks(req *notebookv1.ListNotebooksRequest) []*violation {
	vs := validateNotebookList(req)
	if req.GetOwner() != "" && !slices.ContainsFunc(vs, func(v *violation) bool { return v.GetField() == "owner" }) {
		vs = append(vs, newViolation("owner", violationMalformed,
			"owner lists another user's notebooks: use ListAllNotebooks (GET .../notebooks/all?owner=...), which needs the project in the caller's projects; ListNotebooks lists the caller's own"))
	}
	return vs
}

// validateUpdateNotebook checks an UpdateNotebookRequest: the fields set.
func validateUpdateNotebook(req *notebookv1.UpdateNotebookRequest) []*violation {
	vs := violations(checkProjectID(req.GetProjectId()), checkNotebookID(req.GetNotebookId()))
	if req.Name != nil {
		vs = appendIf(vs, checkNotebookName("name", req.GetName(), true))
	}
	if req.Description != nil {
		vs = appendIf(vs, checkDescriptionOf("description", req.GetDescription(), forbiddenInUpdateDoc))
	}
	if req.Flavor != nil {
		vs = appendIf(vs, checkFlavor(req.GetFlavor()))
	}
	if req.ImageId != nil {
		vs = appendIf(vs, checkImageRef("image_id", req.GetImageId()))
	}
	vs = append(vs, checkEndpoints("endpoints", req.GetEndpoints())...)
	if req.StorageNewSize != nil {
		vs = appendIf(vs, checkRange("storage_new_size", int(req.GetStorageNewSize()), 1, maxVolumeCapacity))
	}
	if req.GetHooks() != nil {
		vs = append(vs, checkHooks("hooks", req.GetHooks())...)
	}
	return vs
}

// validateDeleteNotebook checks a DeleteNotebookRequest.
func validateDeleteNotebook(req *notebookv1.DeleteNotebookRequest) []*violation {
	return violations(checkProjectID(req.GetProjectId()), checkNotebookID(req.GetNotebookId()))
}

// validateStartNotebook checks a StartNotebookRequest: the notebook and
// the lease it asks for.
func validateStartNotebook(req *notebookv1.StartNotebookRequest) []*violation {
	vs := violations(checkProjectID(req.GetProjectId()), checkNotebookID(req.GetNotebookId()),
		checkEnumFold("type", req.GetType(), leaseTypes))
	if req.Duration != nil {
		vs = appendIf(vs, checkLeaseDuration("duration", req.GetDuration()))
	}
	return vs
}

// validateStopNotebook checks a StopNotebookRequest.
func validateStopNotebook(req *notebookv1.StopNotebookRequest) []*violation {
	return violations(checkProjectID(req.GetProjectId()), checkNotebookID(req.GetNotebookId()))
}
