package emulator

import "net/http"

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
	errInstanceNotFound    = &vendorError{http.StatusBadRequest, "ModelArts.6309", "The instance does not exist.", false}
	errStopBeforeDelete    = &vendorError{http.StatusBadRequest, "ModelArts.6304", "Please stop the instance before deleting.", false}
	errInstanceStarting    = &vendorError{http.StatusBadRequest, "ModelArts.6306", "The instance is starting.", false}
	errInstanceStopping    = &vendorError{http.StatusBadRequest, "ModelArts.6308", "The instance is stopping.", false}
	errOperationInProgress = &vendorError{http.StatusBadRequest, "ModelArts.6357", "The operation is not allowed because another operation is being performed on the instance or the instance is in the target state.", false}
	// The API gateway's answer for a path it does not publish (Huawei
	// Cloud's APIG; OTC's gateway is assumed to behave the same).
	errAPINotFound = &vendorError{http.StatusNotFound, "APIGW.0101", "The API does not exist or has not been published in the environment", true}
)

func writeError(w http.ResponseWriter, e *vendorError) {
	body := map[string]string{"error_code": e.code}
	if e.gateway {
		body["error_msg"] = e.message
	} else {
		body["error_message"] = e.message
	}
	writeJSON(w, e.status, body)
}
