package mirror

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	rpccode "google.golang.org/genproto/googleapis/rpc/code"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/devenv-facade/devenv-facade/internal/apierror"
)

// WriteError answers r with err in the ModelArts error shape, with the given
// HTTP status (or, if zero, the status err calls for: see toVendorError).
// Handlers in front of the mirror use it to answer like the mirror does.
func WriteError(w http.ResponseWriter, r *http.Request, err error, httpStatus int) {
	if httpStatus != 0 {
		err = &runtime.HTTPStatusError{HTTPStatus: httpStatus, Err: err}
	}
	writeError(r.Context(), nil, nil, w, r, err)
}

// errorBody is the ModelArts error shape of the old DevEnviron API
// (/v1/{project_id}/demanager/...).
type errorBody struct {
	ErrorCode    string `json:"error_code"`
	ErrorMessage string `json:"error_message"`
}

// notebookErrorBody is the error shape of the new DevEnviron API
// (/v1/{project_id}/notebooks... and /v1/{project_id}/images...), which
// names the message error_msg (fact sheet §7.1).
type notebookErrorBody struct {
	ErrorCode string `json:"error_code"`
	ErrorMsg  string `json:"error_msg"`
}

// errorFor is the error body, of code and message, for a request to r's
// API: the new API's shape on its paths, the old API's elsewhere.
func errorFor(r *http.Request, code, message string) any {
	if notebookPath(r.URL.EscapedPath()) {
		return notebookErrorBody{ErrorCode: code, ErrorMsg: message}
	}
	return errorBody{ErrorCode: code, ErrorMessage: message}
}

// notebookPath reports whether path is one of the new DevEnviron API's:
// /v1/{project_id}/notebooks or /v1/{project_id}/images, below them, or
// a custom method of them (/v1/{project_id}/notebooks:watch).
func notebookPath(path string) bool {
	rest, ok := strings.CutPrefix(path, "/v1/")
	if !ok {
		return false
	}
	if _, rest, ok = strings.Cut(rest, "/"); !ok {
		return false
	}
	api, _, _ := strings.Cut(rest, "/")
	api, _, _ = strings.Cut(api, ":") // notebooks:watch
	return api == "notebooks" || api == "images"
}

// vendorError is what the mirror answers for an error.
type vendorError struct {
	httpStatus int
	body       errorBody
	retryAfter time.Duration // 0 for none
}

// toVendorError converts an error into the ModelArts error shape. An
// [apierror.Error], what the service's pipeline returns for every error,
// says it in its typed fields: the vendor-shaped error_code and
// error_message and, for an answer from ModelArts, its HTTP status, which
// is replayed; the facade's own errors take the HTTP status of their gRPC
// code. Any other error (grpc-gateway's own, for a malformed query
// parameter) gets a facade code named after its gRPC code. Nothing is
// read back from a gRPC status's details: the status is not even built.
func toVendorError(err error) vendorError {
	e, ok := errors.AsType[*apierror.Error](err)
	if !ok {
		st := status.Convert(err)
		return vendorError{httpStatus: runtime.HTTPStatusFromCode(st.Code()),
			body: errorBody{ErrorCode: apierror.FacadeCodePrefix + codeName(st.Code()), ErrorMessage: st.Message()}}
	}
	v := vendorError{
		httpStatus: runtime.HTTPStatusFromCode(e.Code()),
		body:       errorBody{ErrorCode: e.VendorCode(), ErrorMessage: e.VendorMessage()},
		retryAfter: e.RetryDelay(),
	}
	// Only a real error status can be replayed; ModelArts' table lists
	// one code with "100", which is no final answer.
	if hs := e.HTTPStatus(); hs >= 400 && hs <= 599 {
		v.httpStatus = hs
	}
	if vs := e.Violations(); len(vs) > 0 && v.body.ErrorCode == apierror.FacadeCodePrefix+apierror.ReasonInvalidArgument {
		if code := vendorValidationCode(vs[0]); code != "" {
			v.body.ErrorCode = code
		}
	}
	if v.body.ErrorCode == "" {
		v.body.ErrorCode = apierror.FacadeCodePrefix + codeName(e.Code())
	}
	if v.body.ErrorMessage == "" {
		v.body.ErrorMessage = e.Message()
	}
	return v
}

// vendorValidationCodes are the vendor's codes for request values it checks
// itself, by the field a violation names, for its two reasons (required,
// malformed): ModelArts.6335 "'{}' is a required property.", 6336 "'{}'
// property value is incorrect." and, for sortby, 6303 "The field does not
// support sorting." (the error-code table; the emulator answers them). A
// REST caller whose request the facade refuses for such a field gets the
// code ModelArts would have answered, with the facade's description, which
// says what was expected; gRPC callers keep INVALID_ARGUMENT and its
// BadRequest.
var vendorValidationCodes = map[string][2]string{
	"action":         {"ModelArts.6335", "ModelArts.6336"},
	"show_self":      {"", "ModelArts.6336"},
	"de_type":        {"", "ModelArts.6336"},
	"provision_type": {"", "ModelArts.6336"},
	"status":         {"", "ModelArts.6336"},
	"order":          {"", "ModelArts.6336"},
	"sortby":         {"", "ModelArts.6303"},
}

// vendorValidationCode returns the vendor's code for a violation, or "".
func vendorValidationCode(v *errdetails.BadRequest_FieldViolation) string {
	codes, ok := vendorValidationCodes[v.GetField()]
	switch {
	case !ok:
		return ""
	case v.GetReason() == apierror.ViolationRequired:
		return codes[0]
	case v.GetReason() == apierror.ViolationMalformed:
		return codes[1]
	}
	return ""
}

// codeName returns the google.rpc.Code name of c, such as "INVALID_ARGUMENT".
func codeName(c codes.Code) string {
	return rpccode.Code(c).String()
}

// writeError is the mux's error handler.
func writeError(ctx context.Context, _ *runtime.ServeMux, _ runtime.Marshaler, w http.ResponseWriter, r *http.Request, err error) {
	if body, ok := r.Body.(*requestBody); ok && body.failure != nil && !fromPipeline(err) {
		// The body could not be read; grpc-gateway passed on only the
		// decoder's text.
		writeJSON(w, body.failure.httpStatus, errorFor(r, body.failure.code, body.failure.message))
		return
	}
	var override *runtime.HTTPStatusError
	if errors.As(err, &override) {
		err = override.Err
		if override.HTTPStatus == http.StatusBadRequest && !isStatus(err) {
			// grpc-gateway's own complaint, such as a malformed %-escape.
			err = apierror.New(codes.InvalidArgument, apierror.ReasonInvalidArgument, err.Error(), "")
		}
	}
	v := toVendorError(err)
	if override != nil {
		v.httpStatus = override.HTTPStatus
	}
	if v.retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.FormatInt(int64(math.Ceil(v.retryAfter.Seconds())), 10))
	}
	if v.body.ErrorCode == apierror.FacadeCodePrefix+apierror.ReasonCallerUnauthenticated {
		w.Header().Set("WWW-Authenticate", `Bearer realm="devenv-facade"`)
	}
	writeJSON(w, v.httpStatus, errorFor(r, v.body.ErrorCode, v.body.ErrorMessage))
}

// isStatus reports whether err is a status: an [apierror.Error] (whose
// status is not built for the question) or a gRPC status error.
func isStatus(err error) bool {
	if _, ok := errors.AsType[*apierror.Error](err); ok {
		return true
	}
	_, ok := status.FromError(err)
	return ok
}

// writeRoutingError answers requests that match no API: a path the mirror
// does not serve, or one it serves with another method, is answered as
// the vendor's API gateway answers an API it does not publish (see
// [writeGatewayNotFound]); a path grpc-gateway cannot parse (a malformed
// %-escape) is the facade's INVALID_ARGUMENT.
func writeRoutingError(ctx context.Context, mux *runtime.ServeMux, m runtime.Marshaler, w http.ResponseWriter, r *http.Request, httpStatus int) {
	switch httpStatus {
	case http.StatusNotFound, http.StatusMethodNotAllowed, http.StatusNotImplemented:
		writeGatewayNotFound(w)
		return
	}
	err := apierror.New(codes.InvalidArgument, apierror.ReasonInvalidArgument, "malformed request path", "")
	writeError(ctx, mux, m, w, r, &runtime.HTTPStatusError{HTTPStatus: httpStatus, Err: err})
}

// The API gateway's answer for an API it does not publish, for every
// method and path the vendor does not serve: HTTP 404 with
// {"error_msg", "error_code", "request_id"}. The gateway names its message
// error_msg where ModelArts says error_message (the vendor's reference,
// response.rst, and the gateway's published errors), and it answers 404,
// never 405, for a known path with another method.
const (
	gatewayNotFoundCode    = "APIGW.0101"
	gatewayNotFoundMessage = "The API does not exist or has not been published in the environment"
)

// gatewayError is the API gateway's error shape.
type gatewayError struct {
	ErrorMsg  string `json:"error_msg"`
	ErrorCode string `json:"error_code"`
	RequestID string `json:"request_id"`
}

// writeGatewayNotFound answers 404 APIGW.0101 with the request ID the
// answer already carries in X-Request-Id ([WithRequestID]).
func writeGatewayNotFound(w http.ResponseWriter) {
	writeJSON(w, http.StatusNotFound, gatewayError{ErrorMsg: gatewayNotFoundMessage, ErrorCode: gatewayNotFoundCode, RequestID: w.Header().Get(headerRequestID)})
}

// notFound answers the gateway's 404 for a method and path the API does
// not serve ([routes.find] finds no rule), before caller authentication:
// the vendor's gateway finds the API before it authenticates, so an
// unknown path is a 404 for every caller. Routing by grpc-gateway stays
// the second line (with the same answer).
func notFound(w http.ResponseWriter, r *http.Request) {
	if r.ContentLength != 0 {
		// The body stays unread: closing the connection after the answer
		// keeps net/http from reading it first.
		w.Header().Set("Connection", "close")
	}
	writeGatewayNotFound(w)
}

// writeJSON writes an error body. Like every body the mirror writes, and
// like the vendor's, it ends with its closing brace: no newline follows.
func writeJSON(w http.ResponseWriter, httpStatus int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		httpStatus, b = http.StatusInternalServerError, []byte(`{"error_code":"Facade.INTERNAL","error_message":"cannot encode the error"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(httpStatus)
	_, _ = w.Write(b)
}
