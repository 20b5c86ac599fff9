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

	devenvv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/devenv/v1"
	notebookv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/notebook/v1"
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
// parameter) gets a facade code named after its gRPC code. A request
// field the facade refuses and ModelArts checks too gets the vendor's code
// for it, by the RPC r calls (see vendorValidationCodes). Nothing is read
// back from a gRPC status's details: the status is not even built.
func toVendorError(err error, r *http.Request) vendorError {
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
		if code := vendorValidationCode(rpcOf(r), vs[0]); code != "" {
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

// fieldCodes are the vendor's codes for a request field the facade
// refuses, one for each of the violation's reasons: required (missing or
// empty) and malformed. "" is a reason for which ModelArts has no code of
// its own (it does not refuse such a value, or the facade refuses it for a
// rule of its own): the answer keeps the facade's code.
type fieldCodes struct {
	required, malformed string
}

// The vendor's validation codes (the error-code table's texts; the emulator
// answers them): ModelArts.6335 "'{}' is a required property.", 6336
// "'{}' property value is incorrect.", 6334 "Invalid value for name or
// description. The character {} is not allowed.", 6303 "The field does
// not support sorting.", 6349 the duration's range, 6348 "The 'duration'
// parameter is mandatory ...", 6331 the EVS size range, 6324 a storage
// type not supported, 6323 a flavor not supported; and what ModelArts
// answers for an ID it does not know: 6309 (a notebook or a mount) and
// 6797 (an image).
const (
	codeNotSortable       = "ModelArts.6303"
	codeInstanceNotFound  = "ModelArts.6309"
	codeFlavorUnsupported = "ModelArts.6323"
	codeStorageType       = "ModelArts.6324"
	codeEVSRange          = "ModelArts.6331"
	codeForbiddenChar     = "ModelArts.6334"
	codeRequired          = "ModelArts.6335"
	codeBadValue          = "ModelArts.6336"
	codeDurationMissing   = "ModelArts.6348"
	codeDurationRange     = "ModelArts.6349"
	codeImageNotFound     = "ModelArts.6797"
	codeWorkspaceNotFound = "ModelArts.0102"
)

// vendorValidationCodes are the vendor's codes for request values it checks
// itself, by service (a service's full name) or RPC (its full method
// name), then by the field a violation names, without list indices
// ("endpoints.service" for endpoints[1].service). An RPC's entry for a
// field wins over its service's, also when it holds no code. A REST caller
// whose request the facade refuses for such a field gets the code
// ModelArts would have answered, with the facade's description, which says
// what was expected; gRPC callers keep INVALID_ARGUMENT and its BadRequest.
//
// The old DevEnviron API's codes are the same in each of its RPCs. The new
// API's are the ones the emulator answers (internal/emulator, written from
// the reference pages and the fact sheet's inferred choices, §7.3 and §9),
// and differ by RPC: an empty flavor is 6335 on create and 6336 on update,
// a notebook's name with a forbidden character 6334 and ListImages' name
// 6336. A field the facade checks for a rule ModelArts does not have
// gets no code, and keeps the facade's: page_size and page_token, a list's
// pool_id, workspace_id and namespace (ModelArts filters by them
// unchecked), ListNotebooks' owner, a managed volume's uri and id, and
// project_id. Where the facade's one refusal stands for several of the
// vendor's, the entry holds the code of its commonest cause: a name or a
// description with a forbidden character (6334; 6336 for one too long),
// an EVS volume's capacity (6331; 6336 for an EFS one), a storage_new_size
// below 1 (6336; above 4096 ModelArts' answer depends on the notebook), a
// list's negative offset or limit (6336). The facade's stricter checks of
// a field ModelArts checks too get the field's code, though ModelArts
// takes the value: a limit above 1000, a duration given twice, a text's
// control characters, a key pair name's characters, an address given
// twice. TestMirror_answersLikeModelArtsOnNotebooks
// (internal/server) sends each case to the emulator and to the mirror, and
// lists those that differ.
var vendorValidationCodes = map[string]map[string]fieldCodes{
	devenvv1.DevEnvService_ServiceDesc.ServiceName: {
		"action":         {codeRequired, codeBadValue},
		"show_self":      {"", codeBadValue},
		"de_type":        {"", codeBadValue},
		"provision_type": {"", codeBadValue},
		"status":         {"", codeBadValue},
		"order":          {"", codeBadValue},
		"sortby":         {"", codeNotSortable},
	},
	notebookv1.NotebookService_ServiceDesc.ServiceName: {
		"notebook_id":                            {"", codeInstanceNotFound},
		"storage_id":                             {"", codeInstanceNotFound},
		"image_id":                               {codeRequired, codeImageNotFound},
		"name":                                   {codeRequired, codeForbiddenChar},
		"description":                            {"", codeForbiddenChar},
		"flavor":                                 {codeRequired, codeFlavorUnsupported},
		"feature":                                {"", codeBadValue},
		"status":                                 {"", codeBadValue},
		"type":                                   {"", codeBadValue},
		"service_type":                           {"", codeBadValue},
		"sort_dir":                               {"", codeBadValue},
		"sort_key":                               {"", codeNotSortable},
		"offset":                                 {"", codeBadValue},
		"limit":                                  {"", codeBadValue},
		"duration":                               {"", codeDurationRange},
		"lease.duration":                         {codeDurationMissing, codeDurationRange},
		"lease.type":                             {"", codeBadValue},
		"endpoints":                              {"", codeBadValue},
		"endpoints.service":                      {"", codeBadValue},
		"endpoints.key_pair_names":               {"", codeBadValue},
		"endpoints.allowed_access_ips":           {"", codeBadValue},
		"hooks.container_hooks.pre_start.type":   {"", codeBadValue},
		"hooks.container_hooks.pre_start.script": {codeRequired, codeBadValue},
		"hooks.container_hooks.post_start.type":  {"", codeBadValue},
		"hooks.container_hooks.post_start.script": {codeRequired, codeBadValue},
	},
	notebookv1.NotebookService_CreateNotebook_FullMethodName: {
		"volume":           {codeRequired, ""},
		"volume.category":  {codeRequired, codeStorageType},
		"volume.ownership": {codeRequired, codeBadValue},
		"volume.uri":       {codeRequired, ""},
		"volume.id":        {codeRequired, ""},
		"volume.capacity":  {"", codeEVSRange},
		"pool_id":          {"", codeBadValue},
		"workspace_id":     {"", codeWorkspaceNotFound},
	},
	notebookv1.NotebookService_UpdateNotebook_FullMethodName: {
		// An update's empty flavor or image is a bad value, not a
		// missing one.
		"flavor":           {codeBadValue, codeFlavorUnsupported},
		"image_id":         {codeBadValue, codeImageNotFound},
		"storage_new_size": {"", codeBadValue},
	},
	notebookv1.NotebookService_ListAllNotebooks_FullMethodName: {
		"owner": {"", codeBadValue},
	},
	notebookv1.NotebookService_ListFlavors_FullMethodName: {
		"category": {"", codeBadValue},
	},
	notebookv1.NotebookService_AttachStorageMount_FullMethodName: {
		"category":   {codeRequired, codeStorageType},
		"mount_path": {codeRequired, codeBadValue},
		"uri":        {codeRequired, codeBadValue},
	},
	notebookv1.NotebookService_CreateImage_FullMethodName: {
		"namespace":    {codeRequired, codeBadValue},
		"tag":          {"", codeBadValue},
		"description":  {"", codeBadValue},
		"workspace_id": {"", codeWorkspaceNotFound},
	},
	notebookv1.NotebookService_RegisterImage_FullMethodName: {
		"swr_path":          {codeRequired, codeBadValue},
		"arch":              {"", codeBadValue},
		"origin":            {"", codeBadValue},
		"visibility":        {"", codeBadValue},
		"resource_category": {"", codeBadValue},
		"services":          {"", codeBadValue},
		"description":       {"", codeBadValue},
		"workspace_id":      {"", codeWorkspaceNotFound},
	},
	notebookv1.NotebookService_ListImages_FullMethodName: {
		"name": {"", codeBadValue},
	},
	notebookv1.NotebookService_ListImageGroups_FullMethodName: {
		"name": {"", codeBadValue},
	},
}

// vendorValidationCode returns the vendor's code for a violation of a
// request to rpc (a full method name, "" if unknown), or "".
func vendorValidationCode(rpc string, v *errdetails.BadRequest_FieldViolation) string {
	field := withoutIndices(v.GetField())
	codes, ok := vendorValidationCodes[rpc][field]
	if !ok {
		service, _, _ := strings.Cut(strings.TrimPrefix(rpc, "/"), "/")
		codes = vendorValidationCodes[service][field]
	}
	switch v.GetReason() {
	case apierror.ViolationRequired:
		return codes.required
	case apierror.ViolationMalformed:
		return codes.malformed
	}
	return ""
}

// rpcOf returns the full method name of the RPC r's method and path
// match ([routeOf]), or "" if none.
func rpcOf(r *http.Request) string {
	if rt := routeOf(r); rt != nil {
		return rt.rpc
	}
	return ""
}

// withoutIndices returns a violation's field path without its list
// indices: "endpoints.allowed_access_ips" for
// "endpoints[0].allowed_access_ips[2]".
func withoutIndices(field string) string {
	if !strings.Contains(field, "[") {
		return field
	}
	var b strings.Builder
	for {
		i := strings.IndexByte(field, '[')
		if i < 0 {
			break
		}
		b.WriteString(field[:i])
		j := strings.IndexByte(field[i:], ']')
		if j < 0 {
			return field
		}
		field = field[i+j+1:]
	}
	b.WriteString(field)
	return b.String()
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
	v := toVendorError(err, r)
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
