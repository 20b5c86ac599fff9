package service

import (
	"net/http"
	"time"

	"google.golang.org/grpc/codes"
)

// This file is the one place where ModelArts answers become gRPC codes. The
// rows come from the vendor's error-code table (HTTP status and code, as
// ModelArts sends them); the gRPC code is chosen by what a caller should do
// next, following google.rpc.Code's guidance:
//
//   - INVALID_ARGUMENT: fix the request.
//   - UNAUTHENTICATED: credentials are missing, invalid or mis-scoped.
//   - PERMISSION_DENIED: a known identity lacks the right.
//   - NOT_FOUND, ALREADY_EXISTS: the entity is missing or duplicated.
//   - FAILED_PRECONDITION: state or setup must change first; do not retry blindly.
//   - ABORTED: another operation is in flight; retry the whole sequence later.
//   - RESOURCE_EXHAUSTED: quota, limit or throttling.
//   - UNAVAILABLE: transient; retry with backoff.
//   - INTERNAL: a fault on the server side.
//
// Lookup order (see lookupRule): the exact (HTTP status, code) pair, then
// the code alone (the first row listed for it), then the HTTP status alone
// (statusFallback) for codes that are not in the table.

// rule maps one ModelArts error answer to a gRPC code.
type rule struct {
	httpStatus int        // the HTTP status ModelArts sends the code with
	code       string     // the ModelArts error code, verbatim
	grpcCode   codes.Code // what the facade's callers receive
	reason     string     // google.rpc.ErrorInfo.reason, UPPER_SNAKE_CASE
	retryAfter time.Duration
}

// modelArtsRules lists every DevEnviron-relevant row of the vendor's
// error-code table: the common 00xx/01xx/02xx/04xx parameter, quota, auth
// and agency codes, the OBS codes 10xx/1120, the system codes 61xx/62xx and
// the DevEnviron codes 63xx-65xx. (66xx/67xx belong to the newer notebook API
// and are out of scope.) Codes listed with several HTTP statuses have one row
// per status; the first row for a code also serves lookups by code alone.
var modelArtsRules = []rule{
	{500, "ModelArts.0010", codes.Internal, "INTERNAL_ERROR", 0},
	{400, "ModelArts.0101", codes.InvalidArgument, "INVALID_ARGUMENT", 0},
	{400, "ModelArts.0102", codes.NotFound, "WORKSPACE_NOT_FOUND", 0},
	{400, "ModelArts.0104", codes.InvalidArgument, "PARAMETER_ERROR", 0},
	{400, "ModelArts.0107", codes.InvalidArgument, "INVALID_PARAMETER_VALUES", 0},
	{403, "ModelArts.0108", codes.PermissionDenied, "OPERATION_NOT_AUTHORIZED", 0},
	// 0109 comes with HTTP 500 but means the account lacks authorization.
	{500, "ModelArts.0109", codes.PermissionDenied, "ACCOUNT_NOT_AUTHORIZED", 0},
	{403, "ModelArts.0112", codes.PermissionDenied, "POLICY_DENIED", 0},
	{401, "ModelArts.0112", codes.PermissionDenied, "POLICY_DENIED", 0},
	{400, "ModelArts.0113", codes.ResourceExhausted, "NOTEBOOK_QUOTA_EXHAUSTED", 0},
	// 0116 is listed with status 100, a documentation artefact: the code decides.
	{100, "ModelArts.0116", codes.ResourceExhausted, "QUOTA_EXCEEDED", 0},
	{400, "ModelArts.0118", codes.ResourceExhausted, "QUOTA_INSUFFICIENT", 0},
	{401, "ModelArts.0201", codes.Unauthenticated, "TOKEN_MISSING", 0},
	{401, "ModelArts.0202", codes.Unauthenticated, "TOKEN_EXPIRED", 0},
	{401, "ModelArts.0203", codes.Unauthenticated, "TOKEN_INVALID", 0},
	{403, "ModelArts.0203", codes.Unauthenticated, "TOKEN_INVALID", 0},
	{401, "ModelArts.0204", codes.Unauthenticated, "TOKEN_UNPARSABLE", 0},
	{400, "ModelArts.0204", codes.Unauthenticated, "TOKEN_WITHOUT_PROJECT", 0},
	{401, "ModelArts.0205", codes.Unauthenticated, "AUTHORIZATION_HEADER_MISSING", 0},
	{401, "ModelArts.0206", codes.Unauthenticated, "AUTHORIZATION_HEADER_MALFORMED", 0},
	{403, "ModelArts.0206", codes.Unauthenticated, "ACCESS_KEY_INVALID", 0},
	{401, "ModelArts.0207", codes.Unauthenticated, "TOKEN_WRONG_REGION", 0},
	{401, "ModelArts.0208", codes.Unauthenticated, "AUTHORIZATION_CHECK_FAILED", 0},
	{401, "ModelArts.0209", codes.Unauthenticated, "APP_ID_HEADER_MISSING", 0},
	// 0210 means three things; the HTTP status tells them apart.
	{400, "ModelArts.0210", codes.InvalidArgument, "PROJECT_ID_INVALID", 0},
	{401, "ModelArts.0210", codes.Unauthenticated, "API_ID_HEADER_MISSING", 0},
	{403, "ModelArts.0210", codes.PermissionDenied, "PROJECT_MISMATCH", 0},
	{401, "ModelArts.0212", codes.Unauthenticated, "TOKEN_NOT_PROJECT_SCOPED", 0},
	{400, "ModelArts.0420", codes.Internal, "AGENCY_QUERY_FAILED", 0},
	{400, "ModelArts.0421", codes.Internal, "AGENCY_CREATE_FAILED", 0},
	{400, "ModelArts.0422", codes.Internal, "USER_QUERY_FAILED", 0},
	{400, "ModelArts.0423", codes.FailedPrecondition, "SERVICE_STATEMENT_NOT_ACCEPTED", 0},
	{400, "ModelArts.0424", codes.AlreadyExists, "AUTHORIZATION_EXISTS", 0},
	{400, "ModelArts.0425", codes.Internal, "AUTHORIZATION_ADD_FAILED", 0},
	{400, "ModelArts.0426", codes.Internal, "AUTHORIZATION_DELETE_FAILED", 0},
	{400, "ModelArts.0427", codes.Internal, "AUTHORIZATION_QUERY_FAILED", 0},
	{400, "ModelArts.0428", codes.Internal, "AGENCY_UPDATE_FAILED", 0},
	{401, "ModelArts.0428", codes.FailedPrecondition, "USER_AUTHORIZATION_MISSING", 0},
	{400, "ModelArts.0429", codes.NotFound, "AUTHORIZATION_NOT_FOUND", 0},
	{400, "ModelArts.0430", codes.Internal, "AGENCY_GRANTS_QUERY_FAILED", 0},
	{400, "ModelArts.0431", codes.Internal, "AGENCY_QUOTAS_QUERY_FAILED", 0},
	// 1002 is a downstream (OBS) failure reported with 400: retryable.
	{400, "ModelArts.1002", codes.Unavailable, "OBS_OPERATION_FAILED", 0},
	{400, "ModelArts.1003", codes.PermissionDenied, "ACCOUNT_ABNORMAL", 0},
	{400, "ModelArts.1120", codes.InvalidArgument, "PARAMETER_VERIFICATION_FAILED", 0},
	{408, "ModelArts.6100", codes.DeadlineExceeded, "REQUEST_TIMEOUT", 0},
	{429, "ModelArts.6101", codes.ResourceExhausted, "SYSTEM_BUSY", 0},
	{500, "ModelArts.6102", codes.Internal, "SERVER_ERROR", 0},
	{500, "ModelArts.6200", codes.Unavailable, "NO_RESOURCES", 0},
	// 6201 and 6203 come with 401 but concern the account, not the credential.
	{401, "ModelArts.6201", codes.PermissionDenied, "ACCOUNT_SUSPENDED", 0},
	{401, "ModelArts.6203", codes.PermissionDenied, "ACCOUNT_RESTRICTED", 0},
	{400, "ModelArts.6301", codes.AlreadyExists, "INSTANCE_EXISTS", 0},
	{400, "ModelArts.6302", codes.ResourceExhausted, "INSTANCE_LIMIT_REACHED", 0},
	{400, "ModelArts.6303", codes.InvalidArgument, "FIELD_NOT_SORTABLE", 0},
	{400, "ModelArts.6304", codes.FailedPrecondition, "INSTANCE_RUNNING", 0},
	{400, "ModelArts.6305", codes.FailedPrecondition, "INSTANCE_ALREADY_RUNNING", 0},
	{400, "ModelArts.6306", codes.Aborted, "INSTANCE_STARTING", 0},
	{400, "ModelArts.6307", codes.FailedPrecondition, "INSTANCE_ALREADY_STOPPED", 0},
	{400, "ModelArts.6308", codes.Aborted, "INSTANCE_STOPPING", 0},
	// 6309 is "not found" although ModelArts sends it with HTTP 400.
	{400, "ModelArts.6309", codes.NotFound, "INSTANCE_NOT_FOUND", 0},
	{400, "ModelArts.6316", codes.InvalidArgument, "STORAGE_MISSING", 0},
	{400, "ModelArts.6317", codes.InvalidArgument, "STORAGE_PATH_MISSING", 0},
	{400, "ModelArts.6318", codes.InvalidArgument, "STORAGE_PATH_WITHOUT_TRAILING_SLASH", 0},
	{400, "ModelArts.6319", codes.FailedPrecondition, "ACCESS_KEY_NOT_CONFIGURED", 0},
	{400, "ModelArts.6320", codes.FailedPrecondition, "OBS_ACCESS_ERROR", 0},
	{400, "ModelArts.6323", codes.InvalidArgument, "FLAVOR_NOT_SUPPORTED", 0},
	{400, "ModelArts.6324", codes.InvalidArgument, "STORAGE_TYPE_NOT_SUPPORTED", 0},
	{400, "ModelArts.6326", codes.FailedPrecondition, "INSTANCE_FROZEN", 0},
	{400, "ModelArts.6327", codes.FailedPrecondition, "INSTANCE_NOT_RUNNING", 0},
	{400, "ModelArts.6328", codes.PermissionDenied, "FLAVOR_NOT_PERMITTED", 0},
	{400, "ModelArts.6329", codes.ResourceExhausted, "FLAVOR_SOLD_OUT", 0},
	{400, "ModelArts.6330", codes.InvalidArgument, "FLAVOR_PROFILE_MISMATCH", 0},
	{400, "ModelArts.6331", codes.InvalidArgument, "VOLUME_SIZE_OUT_OF_RANGE", 0},
	{400, "ModelArts.6332", codes.InvalidArgument, "PARAMETER_TYPE_INVALID", 0},
	{400, "ModelArts.6333", codes.Unavailable, "INSTANCE_RECOVERING", 0},
	{400, "ModelArts.6334", codes.InvalidArgument, "FORBIDDEN_CHARACTER", 0},
	{400, "ModelArts.6335", codes.InvalidArgument, "REQUIRED_PROPERTY_MISSING", 0},
	{400, "ModelArts.6336", codes.InvalidArgument, "PROPERTY_VALUE_INVALID", 0},
	{400, "ModelArts.6341", codes.NotFound, "REPOSITORY_NOT_FOUND", 0},
	{400, "ModelArts.6343", codes.AlreadyExists, "REPOSITORY_NAME_EXISTS", 0},
	{400, "ModelArts.6344", codes.FailedPrecondition, "REPOSITORY_IN_USE", 0},
	{400, "ModelArts.6345", codes.FailedPrecondition, "GIT_NOT_SUPPORTED", 0},
	{400, "ModelArts.6346", codes.InvalidArgument, "AUTO_STOP_IN_PAST", 0},
	{400, "ModelArts.6347", codes.FailedPrecondition, "FIELD_LOCKED_IN_STATUS", 0},
	{400, "ModelArts.6348", codes.InvalidArgument, "AUTO_STOP_DURATION_MISSING", 0},
	{400, "ModelArts.6349", codes.InvalidArgument, "AUTO_STOP_DURATION_OUT_OF_RANGE", 0},
	{400, "ModelArts.6350", codes.PermissionDenied, "OBS_PERMISSION_DENIED", 0},
	// 6353/6354 concern keys stored in ModelArts settings, not the caller's.
	{400, "ModelArts.6353", codes.FailedPrecondition, "STORED_ACCESS_KEY_INVALID", 0},
	{400, "ModelArts.6354", codes.FailedPrecondition, "STORED_ACCESS_KEY_NOT_OWNED", 0},
	// 6355 says "wait one minute and try again".
	{400, "ModelArts.6355", codes.Unavailable, "RESOURCE_INITIALIZING", time.Minute},
	{400, "ModelArts.6357", codes.Aborted, "OPERATION_CONFLICT", 0},
	{400, "ModelArts.6358", codes.InvalidArgument, "STORAGE_PATH_IS_BUCKET_ROOT", 0},
	{400, "ModelArts.6360", codes.Unavailable, "BACKEND_RESOURCES_INSUFFICIENT", 0},
	// 6361 is an internal fault although ModelArts sends it with HTTP 400.
	{400, "ModelArts.6361", codes.Internal, "SERVICE_CONFIGURATION_ERROR", 0},
	{400, "ModelArts.6371", codes.FailedPrecondition, "BUCKET_NOT_STANDARD_CLASS", 0},
	{400, "ModelArts.6374", codes.InvalidArgument, "CREDENTIAL_TYPE_INVALID", 0},
	{400, "ModelArts.6376", codes.FailedPrecondition, "AGENCY_MISSING", 0},
	{400, "ModelArts.6377", codes.InvalidArgument, "USER_ID_EMPTY", 0},
	{400, "ModelArts.6378", codes.InvalidArgument, "AGENCY_NAME_EMPTY", 0},
	{400, "ModelArts.6379", codes.FailedPrecondition, "IAM_AGENCY_NOT_CONFIGURED", 0},
	{400, "ModelArts.6400", codes.InvalidArgument, "INVALID_PAYLOAD", 0},
	{400, "ModelArts.6528", codes.Unavailable, "VOLUME_UNAVAILABLE", 0},
}

type ruleKey struct {
	httpStatus int
	code       string
}

// ruleIndex holds modelArtsRules indexed for lookupRule.
type ruleIndex struct {
	byPair map[ruleKey]*rule
	byCode map[string]*rule
}

func newRuleIndex(rules []rule) ruleIndex {
	idx := ruleIndex{byPair: make(map[ruleKey]*rule, len(rules)), byCode: make(map[string]*rule, len(rules))}
	for i := range rules {
		r := &rules[i]
		idx.byPair[ruleKey{r.httpStatus, r.code}] = r
		if _, ok := idx.byCode[r.code]; !ok {
			idx.byCode[r.code] = r
		}
	}
	return idx
}

// rules is the index of modelArtsRules; it is built once and never changed.
var rules = newRuleIndex(modelArtsRules)

// lookupRule finds the rule for an answer: by (HTTP status, code), then by
// code alone. It returns nil for codes the table does not know.
func lookupRule(httpStatus int, code string) *rule {
	if r, ok := rules.byPair[ruleKey{httpStatus, code}]; ok {
		return r
	}
	return rules.byCode[code]
}

// statusFallback maps an HTTP status alone, for answers whose code is not in
// the table or that carry no ModelArts error body at all.
func statusFallback(httpStatus int) codes.Code {
	switch httpStatus {
	case http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType,
		http.StatusUnprocessableEntity:
		return codes.InvalidArgument
	case http.StatusUnauthorized:
		return codes.Unauthenticated
	case http.StatusForbidden:
		return codes.PermissionDenied
	case http.StatusNotFound:
		return codes.NotFound
	case http.StatusMethodNotAllowed, http.StatusNotImplemented:
		return codes.Unimplemented
	case http.StatusRequestTimeout, http.StatusGatewayTimeout:
		return codes.DeadlineExceeded
	case http.StatusConflict:
		return codes.Aborted
	case http.StatusPreconditionFailed:
		return codes.FailedPrecondition
	case http.StatusTooManyRequests:
		return codes.ResourceExhausted
	case http.StatusBadGateway, http.StatusServiceUnavailable:
		return codes.Unavailable
	}
	switch {
	case httpStatus >= 500 && httpStatus < 600:
		return codes.Internal
	case httpStatus >= 400 && httpStatus < 500:
		return codes.FailedPrecondition
	}
	// 1xx and 3xx are not errors ModelArts sends for API calls; a redirect
	// (not followed, as it would resend the token) lands here too.
	return codes.Unknown
}
