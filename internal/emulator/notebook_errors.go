package emulator

import (
	"fmt"
	"net/http"
	"strings"
)

// The errors of the new API beyond those the old one shares: status, code
// and message as in the vendor's error-code table, placeholders filled in
// as its wording suggests (inferred: the reference shows none filled).
var (
	errFrozen            = &vendorError{http.StatusBadRequest, "ModelArts.6326", "The instance is frozen. Check whether your account is in arrears in Billing Center.", false}
	errWorkspaceNotFound = &vendorError{http.StatusBadRequest, "ModelArts.0102", "The workspace does not exist.", false}
	errQuotaInsufficient = &vendorError{http.StatusBadRequest, "ModelArts.0118", "QuotaInsufficient", false}
	errLeaseMissing      = errDurationMissing // 6348
	errLeaseRange        = &vendorError{http.StatusBadRequest, "ModelArts.6349", fmt.Sprintf("The 'duration' parameter is incorrect. The value ranges from %d to %d.",
		minLease.Milliseconds(), maxLease.Milliseconds()), false}
)

// errFieldLocked is ModelArts.6347: the field cannot be changed in the
// notebook's status.
func errFieldLocked(st NotebookStatus, field string) *vendorError {
	return &vendorError{http.StatusBadRequest, "ModelArts.6347", fmt.Sprintf("When the instance is in the '%s' status, the '%s' parameter cannot be modified.", st, field), false}
}

// errNotebookQuota is ModelArts.0113: a create beyond a quota.
func errNotebookQuota(what string) *vendorError {
	return &vendorError{http.StatusBadRequest, "ModelArts.0113", fmt.Sprintf("Create Notebook failed. Quota: %s is exhausted.", what), false}
}

// errFlavorSoldOut is ModelArts.6716.
func errFlavorSoldOut(flavor string) *vendorError {
	return &vendorError{http.StatusBadRequest, "ModelArts.6716", fmt.Sprintf("The specified flavor %s is already sold out.", flavor), false}
}

// errFlavorSwitch is ModelArts.6792: the notebook cannot switch to that
// flavor.
func errFlavorSwitch(id, flavor string) *vendorError {
	return &vendorError{http.StatusBadRequest, "ModelArts.6792", fmt.Sprintf("Instance %s does not support to update flavor to %s, please try another flavor.", id, flavor), false}
}

// errFlavorFeature is ModelArts.6870: the flavor does not serve the
// notebook's feature.
func errFlavorFeature(flavor, feature string) *vendorError {
	return &vendorError{http.StatusBadRequest, "ModelArts.6870", fmt.Sprintf("Specified flavor %s does not support current instance feature %s.", flavor, feature), false}
}

// errImageNotFound is ModelArts.6797.
func errImageNotFound(id string) *vendorError {
	return &vendorError{http.StatusBadRequest, "ModelArts.6797", fmt.Sprintf("Specified image %s cannot be found.", id), false}
}

// errImageTagTaken is ModelArts.6737.
func errImageTagTaken(tag, image string) *vendorError {
	return &vendorError{http.StatusBadRequest, "ModelArts.6737", fmt.Sprintf("Conflict tag %s for image %s, tag cannot be duplicated.", tag, image), false}
}

// errSSHMissing is ModelArts.6768: an SSH-only image without an SSH
// endpoint. The table gives it HTTP "100", which is no final status: the
// emulator answers 400, as the codes around it (inferred).
func errSSHMissing(image string) *vendorError {
	return &vendorError{http.StatusBadRequest, "ModelArts.6768", fmt.Sprintf("SSH configuration is missing, target image %s only support SSH dev service.", image), false}
}

// errNotAuthorized is ModelArts.0108 (HTTP 403).
func errNotAuthorized(operation string) *vendorError {
	return &vendorError{http.StatusForbidden, "ModelArts.0108", fmt.Sprintf("You are not authorized to perform the (%s) operation.", operation), false}
}

// errEVSRange is ModelArts.6331, naming the sizes allowed.
func errEVSRange(from, to int) *vendorError {
	return &vendorError{http.StatusBadRequest, "ModelArts.6331", fmt.Sprintf("The evs volume size ranges from %d GB to %d GB.", from, to), false}
}

// writeNotebookError writes an error of the new API: {"error_code",
// "error_msg"}, the field name the fact sheet settles on (§9.1); the old
// API's answers say "error_message". Gateway errors keep their own shape.
func writeNotebookError(w http.ResponseWriter, e *vendorError) {
	if e.gateway {
		writeError(w, e)
		return
	}
	writeJSON(w, e.status, map[string]string{"error_code": e.code, "error_msg": e.message})
}

// The path prefixes of the new API's routes.
const (
	notebooksPath = "/v1/{project_id}/notebooks"
	imagesPath    = "/v1/{project_id}/images"
)

// isNotebookAPI reports whether r was routed to the new API, whose errors
// say error_msg.
func isNotebookAPI(r *http.Request) bool {
	_, path, _ := strings.Cut(r.Pattern, " ")
	return strings.HasPrefix(path, notebooksPath) || strings.HasPrefix(path, imagesPath)
}

// writeErrorFor writes e in the shape of the API r was routed to.
func writeErrorFor(w http.ResponseWriter, r *http.Request, e *vendorError) {
	if isNotebookAPI(r) {
		writeNotebookError(w, e)
		return
	}
	writeError(w, e)
}
