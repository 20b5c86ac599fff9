package emulator

import (
	"fmt"
	"net/http"
)

// vendorError is an error answer as ModelArts sends it.
type vendorError struct {
	status  int
	code    string
	message string
	// gateway marks errors raised by the API gateway in front of
	// ModelArts, which name the message field "error_msg".
	gateway bool
}

// The errors the emulator raises: status, code and message as listed in the
// vendor's error-code table.
var (
	errNoAuthHeader        = &vendorError{http.StatusUnauthorized, "ModelArts.0205", "No authorization request header.", false}
	errInvalidToken        = &vendorError{http.StatusUnauthorized, "ModelArts.0203", "Invalid token.", false}
	errTokenExpired        = &vendorError{http.StatusUnauthorized, "ModelArts.0202", "Invalid token header because the token has expired.", false}
	errAuthHeaderFormat    = &vendorError{http.StatusUnauthorized, "ModelArts.0206", "Incorrect authorization request header format.", false}
	errAuthHeaderCheck     = &vendorError{http.StatusUnauthorized, "ModelArts.0208", "Failed to check the authorization request header.", false}
	errInvalidAKSK         = &vendorError{http.StatusForbidden, "ModelArts.0206", "Invalid AK/SK.", false}
	errProjectMismatch     = &vendorError{http.StatusForbidden, "ModelArts.0210", "The project id in the request URL does not match the token.", false}
	errInvalidProjectID    = &vendorError{http.StatusBadRequest, "ModelArts.0210", "Invalid project ID.", false}
	errInstanceExists      = &vendorError{http.StatusBadRequest, "ModelArts.6301", "The instance already exists.", false}
	errInstanceQuota       = &vendorError{http.StatusBadRequest, "ModelArts.6302", "The instance count already reaches the maximum value.", false}
	errNotSortable         = &vendorError{http.StatusBadRequest, "ModelArts.6303", "The field does not support sorting.", false}
	errStopBeforeDelete    = &vendorError{http.StatusBadRequest, "ModelArts.6304", "Please stop the instance before deleting.", false}
	errAlreadyRunning      = &vendorError{http.StatusBadRequest, "ModelArts.6305", "The instance is already running.", false}
	errInstanceStarting    = &vendorError{http.StatusBadRequest, "ModelArts.6306", "The instance is starting.", false}
	errAlreadyStopped      = &vendorError{http.StatusBadRequest, "ModelArts.6307", "The instance has already been stopped.", false}
	errInstanceStopping    = &vendorError{http.StatusBadRequest, "ModelArts.6308", "The instance is stopping.", false}
	errInstanceNotFound    = &vendorError{http.StatusBadRequest, "ModelArts.6309", "The instance does not exist.", false}
	errStorageMissing      = &vendorError{http.StatusBadRequest, "ModelArts.6316", "The param 'storage' is needed for creating notebook instance.", false}
	errPathMissing         = &vendorError{http.StatusBadRequest, "ModelArts.6317", "The 'path' parameter is required when the storage type is OBS.", false}
	errPathNoSlash         = &vendorError{http.StatusBadRequest, "ModelArts.6318", "The param 'path' needs to end with /.", false}
	errFlavorUnsupported   = &vendorError{http.StatusBadRequest, "ModelArts.6323", "The flavor is not supported, please check it.", false}
	errStorageType         = &vendorError{http.StatusBadRequest, "ModelArts.6324", "This location type is not supported. Please check it.", false}
	errNotRunning          = &vendorError{http.StatusBadRequest, "ModelArts.6327", "The instance is not in running. Please refresh the page and start it.", false}
	errProfileFlavorType   = &vendorError{http.StatusBadRequest, "ModelArts.6330", "The flavor type of profile does not match the type of flavor. Please check it.", false}
	errDurationMissing     = &vendorError{http.StatusBadRequest, "ModelArts.6348", "The 'duration' parameter is mandatory for enabling auto stop.", false}
	errDurationRange       = &vendorError{http.StatusBadRequest, "ModelArts.6349", fmt.Sprintf("The 'duration' parameter is incorrect. The value ranges from %d to %d.", minAutoStop, maxAutoStop), false}
	errOperationInProgress = &vendorError{http.StatusBadRequest, "ModelArts.6357", "The operation is not allowed because another operation is being performed on the instance or the instance is in the target state.", false}
	errBucketRoot          = &vendorError{http.StatusBadRequest, "ModelArts.6358", "The path parameter is incorrect. It cannot be the root directory of an OBS bucket, but must be a specific directory in the OBS bucket.", false}
	// The API gateway's answer for a path it does not publish (Huawei
	// Cloud's APIG; OTC's gateway is assumed to behave the same).
	errAPINotFound = &vendorError{http.StatusNotFound, "APIGW.0101", "The API does not exist or has not been published in the environment", true}
)

// The vendor's messages with placeholders, filled in as the table's
// wording suggests (inferred: the reference shows none of them filled).

// errParamType is ModelArts.6332, for a JSON value of the wrong type;
// typ is a JSON type name ("string", "integer", "boolean", "object",
// "array").
func errParamType(field, typ string) *vendorError {
	return &vendorError{http.StatusBadRequest, "ModelArts.6332", fmt.Sprintf("Incorrect parameter type. The '%s' parameter must be of the '%s' type.", field, typ), false}
}

// errForbiddenChar is ModelArts.6334, for a character a name or a
// description may not hold.
func errForbiddenChar(c rune) *vendorError {
	return &vendorError{http.StatusBadRequest, "ModelArts.6334", fmt.Sprintf("Invalid value for name or description. The character `%c` is not allowed.", c), false}
}

// errRequired is ModelArts.6335, for a missing required field or query
// parameter.
func errRequired(field string) *vendorError {
	return &vendorError{http.StatusBadRequest, "ModelArts.6335", fmt.Sprintf("'%s' is a required property.", field), false}
}

// errBadValue is ModelArts.6336, for a value outside its enumeration or
// its range.
func errBadValue(field string) *vendorError {
	return &vendorError{http.StatusBadRequest, "ModelArts.6336", fmt.Sprintf("'%s' property value is incorrect.", field), false}
}

// errPayload is ModelArts.6400, for a body that is not a JSON object.
func errPayload(detail string) *vendorError {
	return &vendorError{http.StatusBadRequest, "ModelArts.6400", fmt.Sprintf("Invalid request payload %s, please check.", detail), false}
}

func writeError(w http.ResponseWriter, e *vendorError) {
	body := map[string]string{"error_code": e.code}
	if e.gateway {
		// The gateway names its message error_msg and adds the request
		// ID ([HW]: Huawei Cloud's APIG error shape).
		body["error_msg"] = e.message
		body["request_id"] = w.Header().Get("X-Request-Id")
	} else {
		body["error_message"] = e.message
	}
	writeJSON(w, e.status, body)
}
