package modelarts

import (
	"net/http"
	"time"

	"google.golang.org/genproto/googleapis/rpc/code"
)

// This file is the one table of what each ModelArts answer means: the
// canonical error code (google.rpc.Code, the code of Google's API error
// model that gRPC statuses use) a caller should get, the reason that names
// it, whether it is worth trying again and by whom, a delay the vendor
// documents, and whether it says the request's token went stale. The
// service maps answers to statuses from it; the client's retries and token
// refresh read it too, so what a caller is told and what the facade does
// cannot drift apart.
//
// The rows come from the vendor's error-code table (HTTP status and code, as
// ModelArts sends them); the canonical code is chosen by what a caller
// should do next, following google.rpc.Code's guidance:
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
// Lookup order ([LookupRule]): the exact (HTTP status, code) pair, then the
// code alone (the first row listed for it); answers with a code the table
// does not know, or without a ModelArts body, follow the HTTP status
// ([StatusRule]).

// RetryClass says whether an answer is worth another attempt, and whose.
type RetryClass int

// The retry classes.
const (
	// RetryFinal: the answer stands; trying again will not change it.
	RetryFinal RetryClass = iota
	// RetryByCaller: worth trying again later, but later than the facade
	// waits (a documented delay of a minute) or as part of a larger
	// sequence (another operation is in flight): the facade answers at
	// once, with a retryable code and, where known, a RetryInfo delay.
	RetryByCaller
	// RetryByFacade: transient; the facade retries idempotent calls
	// itself, and when its attempts run out the caller gets a retryable
	// code.
	RetryByFacade
)

// String names the class as the table in docs/errors.md does.
func (c RetryClass) String() string {
	switch c {
	case RetryByCaller:
		return "caller may retry"
	case RetryByFacade:
		return "retried by the facade"
	}
	return "final"
}

// Rule is what one ModelArts error answer means.
type Rule struct {
	// HTTPStatus is the status ModelArts sends the code with.
	HTTPStatus int
	// Code is the ModelArts error code, verbatim ("ModelArts.6309").
	Code string
	// Canonical is the error code callers receive.
	Canonical code.Code
	// Reason is google.rpc.ErrorInfo.reason, UPPER_SNAKE_CASE.
	Reason string
	// Retry says whether trying again may help, and whose it is to.
	Retry RetryClass
	// Delay is how long the vendor says to wait before trying again, or
	// zero.
	Delay time.Duration
	// StaleToken marks answers a fresh token can cure: the request's IAM
	// token is missing, expired or invalid.
	StaleToken bool
}

// ruleOption sets a rule's retry class, delay or token flag.
type ruleOption func(*Rule)

var (
	retryByFacade ruleOption = func(r *Rule) { r.Retry = RetryByFacade }
	staleToken    ruleOption = func(r *Rule) { r.StaleToken = true }
)

func retryByCaller(delay time.Duration) ruleOption {
	return func(r *Rule) { r.Retry, r.Delay = RetryByCaller, delay }
}

func row(status int, c string, canonical code.Code, reason string, opts ...ruleOption) Rule {
	rule := Rule{HTTPStatus: status, Code: c, Canonical: canonical, Reason: reason}
	for _, o := range opts {
		o(&rule)
	}
	return rule
}

// rules lists every DevEnviron-relevant row of the vendor's error-code
// table, for both DevEnviron APIs: the common 00xx/01xx/02xx/04xx
// parameter, quota, auth and agency codes, the OBS codes 10xx/1120, the
// system codes 61xx/62xx, the DevEnviron codes 63xx-65xx, and the codes of
// the current notebook API in 66xx-68xx and 7008 (the notebook API fact
// sheet's §7.2; the 66xx/67xx dataset, project and other services' codes
// are left out). Three codes the OTC table lacks and Huawei Cloud's
// notebook API sends (6401, 6404, 6407) have rows too, with the status
// their meaning implies. Codes listed with several HTTP statuses have one
// row per status; the first row for a code also serves lookups by code
// alone. A rule's retry class and delay quote the vendor's message
// ("please try again later", "wait one minute"). Two vendor codes for one
// cause share its reason (6329 and 6716: the flavor is sold out; 1120 and
// 6600: the parameters failed verification), so that callers match one.
var rules = []Rule{
	row(500, "ModelArts.0010", code.Code_INTERNAL, "INTERNAL_ERROR"),
	row(400, "ModelArts.0101", code.Code_INVALID_ARGUMENT, "INVALID_ARGUMENT"),
	row(400, "ModelArts.0102", code.Code_NOT_FOUND, "WORKSPACE_NOT_FOUND"),
	row(400, "ModelArts.0104", code.Code_INVALID_ARGUMENT, "PARAMETER_ERROR"),
	row(400, "ModelArts.0107", code.Code_INVALID_ARGUMENT, "INVALID_PARAMETER_VALUES"),
	row(403, "ModelArts.0108", code.Code_PERMISSION_DENIED, "OPERATION_NOT_AUTHORIZED"),
	// 0109 comes with HTTP 500 but means the account lacks authorization.
	row(500, "ModelArts.0109", code.Code_PERMISSION_DENIED, "ACCOUNT_NOT_AUTHORIZED"),
	row(403, "ModelArts.0112", code.Code_PERMISSION_DENIED, "POLICY_DENIED"),
	row(401, "ModelArts.0112", code.Code_PERMISSION_DENIED, "POLICY_DENIED"),
	row(400, "ModelArts.0113", code.Code_RESOURCE_EXHAUSTED, "NOTEBOOK_QUOTA_EXHAUSTED"),
	// 0116 is listed with status 100, a documentation artefact: the code decides.
	row(100, "ModelArts.0116", code.Code_RESOURCE_EXHAUSTED, "QUOTA_EXCEEDED"),
	row(400, "ModelArts.0118", code.Code_RESOURCE_EXHAUSTED, "QUOTA_INSUFFICIENT"),
	row(401, "ModelArts.0201", code.Code_UNAUTHENTICATED, "TOKEN_MISSING", staleToken),
	row(401, "ModelArts.0202", code.Code_UNAUTHENTICATED, "TOKEN_EXPIRED", staleToken),
	row(401, "ModelArts.0203", code.Code_UNAUTHENTICATED, "TOKEN_INVALID", staleToken),
	row(403, "ModelArts.0203", code.Code_UNAUTHENTICATED, "TOKEN_INVALID", staleToken),
	row(401, "ModelArts.0204", code.Code_UNAUTHENTICATED, "TOKEN_UNPARSABLE"),
	row(400, "ModelArts.0204", code.Code_UNAUTHENTICATED, "TOKEN_WITHOUT_PROJECT"),
	row(401, "ModelArts.0205", code.Code_UNAUTHENTICATED, "AUTHORIZATION_HEADER_MISSING"),
	row(401, "ModelArts.0206", code.Code_UNAUTHENTICATED, "AUTHORIZATION_HEADER_MALFORMED"),
	row(403, "ModelArts.0206", code.Code_UNAUTHENTICATED, "ACCESS_KEY_INVALID"),
	row(401, "ModelArts.0207", code.Code_UNAUTHENTICATED, "TOKEN_WRONG_REGION"),
	row(401, "ModelArts.0208", code.Code_UNAUTHENTICATED, "AUTHORIZATION_CHECK_FAILED"),
	row(401, "ModelArts.0209", code.Code_UNAUTHENTICATED, "APP_ID_HEADER_MISSING"),
	// 0210 means three things; the HTTP status tells them apart.
	row(400, "ModelArts.0210", code.Code_INVALID_ARGUMENT, "PROJECT_ID_INVALID"),
	row(401, "ModelArts.0210", code.Code_UNAUTHENTICATED, "API_ID_HEADER_MISSING"),
	row(403, "ModelArts.0210", code.Code_PERMISSION_DENIED, "PROJECT_MISMATCH"),
	row(401, "ModelArts.0212", code.Code_UNAUTHENTICATED, "TOKEN_NOT_PROJECT_SCOPED"),
	row(400, "ModelArts.0420", code.Code_INTERNAL, "AGENCY_QUERY_FAILED"),
	row(400, "ModelArts.0421", code.Code_INTERNAL, "AGENCY_CREATE_FAILED"),
	row(400, "ModelArts.0422", code.Code_INTERNAL, "USER_QUERY_FAILED"),
	row(400, "ModelArts.0423", code.Code_FAILED_PRECONDITION, "SERVICE_STATEMENT_NOT_ACCEPTED"),
	row(400, "ModelArts.0424", code.Code_ALREADY_EXISTS, "AUTHORIZATION_EXISTS"),
	row(400, "ModelArts.0425", code.Code_INTERNAL, "AUTHORIZATION_ADD_FAILED"),
	row(400, "ModelArts.0426", code.Code_INTERNAL, "AUTHORIZATION_DELETE_FAILED"),
	row(400, "ModelArts.0427", code.Code_INTERNAL, "AUTHORIZATION_QUERY_FAILED"),
	row(400, "ModelArts.0428", code.Code_INTERNAL, "AGENCY_UPDATE_FAILED"),
	row(401, "ModelArts.0428", code.Code_FAILED_PRECONDITION, "USER_AUTHORIZATION_MISSING"),
	row(400, "ModelArts.0429", code.Code_NOT_FOUND, "AUTHORIZATION_NOT_FOUND"),
	row(400, "ModelArts.0430", code.Code_INTERNAL, "AGENCY_GRANTS_QUERY_FAILED"),
	row(400, "ModelArts.0431", code.Code_INTERNAL, "AGENCY_QUOTAS_QUERY_FAILED"),
	// 1002 "OBS operation failed." is a failure of the storage service behind
	// ModelArts, reported with 400. Decided: UNAVAILABLE, retried by the
	// facade (a failing dependency is UNAVAILABLE by google.rpc.Code's
	// guidance; the vendor names no cause a caller could fix, and the retry
	// budget bounds the cost if it persists). It was UNAVAILABLE without
	// retries, which told callers to retry what the facade itself would not.
	row(400, "ModelArts.1002", code.Code_UNAVAILABLE, "OBS_OPERATION_FAILED", retryByFacade),
	row(400, "ModelArts.1003", code.Code_PERMISSION_DENIED, "ACCOUNT_ABNORMAL"),
	row(400, "ModelArts.1120", code.Code_INVALID_ARGUMENT, "PARAMETER_VERIFICATION_FAILED"),
	row(408, "ModelArts.6100", code.Code_DEADLINE_EXCEEDED, "REQUEST_TIMEOUT", retryByFacade),
	row(429, "ModelArts.6101", code.Code_RESOURCE_EXHAUSTED, "SYSTEM_BUSY", retryByFacade),
	// 6102 "...fails to process the request. Please try again later or submit
	// a service ticket." Decided: UNAVAILABLE, retried by the facade, like
	// 6200 with the same advice. It was INTERNAL (do not retry) while the
	// facade retried it.
	row(500, "ModelArts.6102", code.Code_UNAVAILABLE, "SERVER_ERROR", retryByFacade),
	row(500, "ModelArts.6200", code.Code_UNAVAILABLE, "NO_RESOURCES", retryByFacade),
	// 6201 and 6203 come with 401 but concern the account, not the credential.
	row(401, "ModelArts.6201", code.Code_PERMISSION_DENIED, "ACCOUNT_SUSPENDED"),
	row(401, "ModelArts.6203", code.Code_PERMISSION_DENIED, "ACCOUNT_RESTRICTED"),
	row(400, "ModelArts.6301", code.Code_ALREADY_EXISTS, "INSTANCE_EXISTS"),
	row(400, "ModelArts.6302", code.Code_RESOURCE_EXHAUSTED, "INSTANCE_LIMIT_REACHED"),
	row(400, "ModelArts.6303", code.Code_INVALID_ARGUMENT, "FIELD_NOT_SORTABLE"),
	row(400, "ModelArts.6304", code.Code_FAILED_PRECONDITION, "INSTANCE_RUNNING"),
	row(400, "ModelArts.6305", code.Code_FAILED_PRECONDITION, "INSTANCE_ALREADY_RUNNING"),
	row(400, "ModelArts.6306", code.Code_ABORTED, "INSTANCE_STARTING", retryByCaller(0)),
	row(400, "ModelArts.6307", code.Code_FAILED_PRECONDITION, "INSTANCE_ALREADY_STOPPED"),
	row(400, "ModelArts.6308", code.Code_ABORTED, "INSTANCE_STOPPING", retryByCaller(0)),
	// 6309 is "not found" although ModelArts sends it with HTTP 400.
	row(400, "ModelArts.6309", code.Code_NOT_FOUND, "INSTANCE_NOT_FOUND"),
	row(400, "ModelArts.6316", code.Code_INVALID_ARGUMENT, "STORAGE_MISSING"),
	row(400, "ModelArts.6317", code.Code_INVALID_ARGUMENT, "STORAGE_PATH_MISSING"),
	row(400, "ModelArts.6318", code.Code_INVALID_ARGUMENT, "STORAGE_PATH_WITHOUT_TRAILING_SLASH"),
	row(400, "ModelArts.6319", code.Code_FAILED_PRECONDITION, "ACCESS_KEY_NOT_CONFIGURED"),
	row(400, "ModelArts.6320", code.Code_FAILED_PRECONDITION, "OBS_ACCESS_ERROR"),
	row(400, "ModelArts.6323", code.Code_INVALID_ARGUMENT, "FLAVOR_NOT_SUPPORTED"),
	row(400, "ModelArts.6324", code.Code_INVALID_ARGUMENT, "STORAGE_TYPE_NOT_SUPPORTED"),
	row(400, "ModelArts.6326", code.Code_FAILED_PRECONDITION, "INSTANCE_FROZEN"),
	row(400, "ModelArts.6327", code.Code_FAILED_PRECONDITION, "INSTANCE_NOT_RUNNING"),
	row(400, "ModelArts.6328", code.Code_PERMISSION_DENIED, "FLAVOR_NOT_PERMITTED"),
	row(400, "ModelArts.6329", code.Code_RESOURCE_EXHAUSTED, "FLAVOR_SOLD_OUT"),
	row(400, "ModelArts.6330", code.Code_INVALID_ARGUMENT, "FLAVOR_PROFILE_MISMATCH"),
	row(400, "ModelArts.6331", code.Code_INVALID_ARGUMENT, "VOLUME_SIZE_OUT_OF_RANGE"),
	row(400, "ModelArts.6332", code.Code_INVALID_ARGUMENT, "PARAMETER_TYPE_INVALID"),
	// 6333 "The notebook is being restored. ... wait for several minutes."
	// Decided: UNAVAILABLE with a RetryInfo of 2 minutes for the caller; the
	// facade does not retry (its waits are seconds). It was UNAVAILABLE with
	// neither.
	row(400, "ModelArts.6333", code.Code_UNAVAILABLE, "INSTANCE_RECOVERING", retryByCaller(2*time.Minute)),
	row(400, "ModelArts.6334", code.Code_INVALID_ARGUMENT, "FORBIDDEN_CHARACTER"),
	row(400, "ModelArts.6335", code.Code_INVALID_ARGUMENT, "REQUIRED_PROPERTY_MISSING"),
	row(400, "ModelArts.6336", code.Code_INVALID_ARGUMENT, "PROPERTY_VALUE_INVALID"),
	row(400, "ModelArts.6341", code.Code_NOT_FOUND, "REPOSITORY_NOT_FOUND"),
	row(400, "ModelArts.6343", code.Code_ALREADY_EXISTS, "REPOSITORY_NAME_EXISTS"),
	row(400, "ModelArts.6344", code.Code_FAILED_PRECONDITION, "REPOSITORY_IN_USE"),
	row(400, "ModelArts.6345", code.Code_FAILED_PRECONDITION, "GIT_NOT_SUPPORTED"),
	row(400, "ModelArts.6346", code.Code_INVALID_ARGUMENT, "AUTO_STOP_IN_PAST"),
	row(400, "ModelArts.6347", code.Code_FAILED_PRECONDITION, "FIELD_LOCKED_IN_STATUS"),
	row(400, "ModelArts.6348", code.Code_INVALID_ARGUMENT, "AUTO_STOP_DURATION_MISSING"),
	row(400, "ModelArts.6349", code.Code_INVALID_ARGUMENT, "AUTO_STOP_DURATION_OUT_OF_RANGE"),
	row(400, "ModelArts.6350", code.Code_PERMISSION_DENIED, "OBS_PERMISSION_DENIED"),
	// 6353/6354 concern keys stored in ModelArts settings, not the caller's.
	row(400, "ModelArts.6353", code.Code_FAILED_PRECONDITION, "STORED_ACCESS_KEY_INVALID"),
	row(400, "ModelArts.6354", code.Code_FAILED_PRECONDITION, "STORED_ACCESS_KEY_NOT_OWNED"),
	// 6355 "Please wait one minute and try again." Decided: UNAVAILABLE with
	// a RetryInfo of 1 minute; the facade does not retry, since its own
	// retry after ~100ms would contradict the minute it tells the caller.
	row(400, "ModelArts.6355", code.Code_UNAVAILABLE, "RESOURCE_INITIALIZING", retryByCaller(time.Minute)),
	row(400, "ModelArts.6357", code.Code_ABORTED, "OPERATION_CONFLICT", retryByCaller(0)),
	row(400, "ModelArts.6358", code.Code_INVALID_ARGUMENT, "STORAGE_PATH_IS_BUCKET_ROOT"),
	row(400, "ModelArts.6360", code.Code_UNAVAILABLE, "BACKEND_RESOURCES_INSUFFICIENT", retryByFacade),
	// 6361 is an internal fault although ModelArts sends it with HTTP 400.
	row(400, "ModelArts.6361", code.Code_INTERNAL, "SERVICE_CONFIGURATION_ERROR"),
	row(400, "ModelArts.6371", code.Code_FAILED_PRECONDITION, "BUCKET_NOT_STANDARD_CLASS"),
	row(400, "ModelArts.6374", code.Code_INVALID_ARGUMENT, "CREDENTIAL_TYPE_INVALID"),
	row(400, "ModelArts.6376", code.Code_FAILED_PRECONDITION, "AGENCY_MISSING"),
	row(400, "ModelArts.6377", code.Code_INVALID_ARGUMENT, "USER_ID_EMPTY"),
	row(400, "ModelArts.6378", code.Code_INVALID_ARGUMENT, "AGENCY_NAME_EMPTY"),
	row(400, "ModelArts.6379", code.Code_FAILED_PRECONDITION, "IAM_AGENCY_NOT_CONFIGURED"),
	row(400, "ModelArts.6400", code.Code_INVALID_ARGUMENT, "INVALID_PAYLOAD"),
	// 6401, 6404 and 6407 are not in the OTC table; Huawei Cloud's notebook
	// clients see them ("illegal token", "not found", "no permission"), with
	// statuses no page states: 404 comes with 400, as 6309 does.
	row(401, "ModelArts.6401", code.Code_UNAUTHENTICATED, "TOKEN_ILLEGAL", staleToken),
	row(400, "ModelArts.6404", code.Code_NOT_FOUND, "RESOURCE_NOT_FOUND"),
	row(403, "ModelArts.6407", code.Code_PERMISSION_DENIED, "OPERATION_NOT_PERMITTED"),
	row(400, "ModelArts.6528", code.Code_UNAVAILABLE, "VOLUME_UNAVAILABLE", retryByFacade),
	row(400, "ModelArts.6600", code.Code_INVALID_ARGUMENT, "PARAMETER_VERIFICATION_FAILED"),
	row(401, "ModelArts.6608", code.Code_UNAUTHENTICATED, "USER_INFO_UNAVAILABLE"),
	// 6620 "Invalid user token. Refresh the user token.": a fresh token
	// cures it, as it does 0203.
	row(401, "ModelArts.6620", code.Code_UNAUTHENTICATED, "USER_TOKEN_INVALID", staleToken),
	// 6699 "Network error" inside ModelArts, with 500: transient, as 6102.
	row(500, "ModelArts.6699", code.Code_UNAVAILABLE, "NETWORK_ERROR", retryByFacade),
	row(400, "ModelArts.6716", code.Code_RESOURCE_EXHAUSTED, "FLAVOR_SOLD_OUT"),
	row(400, "ModelArts.6737", code.Code_ALREADY_EXISTS, "IMAGE_TAG_EXISTS"),
	// 6768 is listed with status 100, a documentation artefact like 0116's;
	// ModelArts answers 400. The code decides (lookups by code alone).
	row(100, "ModelArts.6768", code.Code_INVALID_ARGUMENT, "SSH_ENDPOINT_REQUIRED"),
	row(400, "ModelArts.6771", code.Code_INVALID_ARGUMENT, "IMAGE_TOO_LARGE"),
	row(400, "ModelArts.6782", code.Code_FAILED_PRECONDITION, "OBS_MOUNT_NEEDS_ACCESS_KEY"),
	row(400, "ModelArts.6789", code.Code_PERMISSION_DENIED, "KEY_PAIR_NOT_PERMITTED"),
	row(400, "ModelArts.6792", code.Code_INVALID_ARGUMENT, "FLAVOR_SWITCH_NOT_SUPPORTED"),
	// 6797 "Specified image cannot be found." with 400: not found.
	row(400, "ModelArts.6797", code.Code_NOT_FOUND, "IMAGE_NOT_FOUND"),
	row(400, "ModelArts.6870", code.Code_INVALID_ARGUMENT, "FLAVOR_FEATURE_MISMATCH"),
	// 7008 "workspace in read-only status, please wait a few minutes".
	// Decided as 6333 ("wait for several minutes"): UNAVAILABLE with a
	// RetryInfo of 2 minutes for the caller; the facade does not retry.
	row(500, "ModelArts.7008", code.Code_UNAVAILABLE, "WORKSPACE_READ_ONLY", retryByCaller(2*time.Minute)),
}

type ruleKey struct {
	httpStatus int
	code       string
}

// ruleIndex holds rules indexed for LookupRule.
type ruleIndex struct {
	byPair map[ruleKey]*Rule
	byCode map[string]*Rule
}

func newRuleIndex(rs []Rule) ruleIndex {
	idx := ruleIndex{byPair: make(map[ruleKey]*Rule, len(rs)), byCode: make(map[string]*Rule, len(rs))}
	for i := range rs {
		r := &rs[i]
		idx.byPair[ruleKey{r.HTTPStatus, r.Code}] = r
		if _, ok := idx.byCode[r.Code]; !ok {
			idx.byCode[r.Code] = r
		}
	}
	return idx
}

// index is the index of rules; it is built once and never changed.
var index = newRuleIndex(rules)

// Rules returns a copy of the table, in the vendor's order.
func Rules() []Rule { return append([]Rule(nil), rules...) }

// KnownCode reports whether the table has a rule for the ModelArts code
// (whatever the HTTP status). It allocates nothing.
func KnownCode(code string) bool {
	_, ok := index.byCode[code]
	return ok
}

// LookupRule finds the rule for an answer: by (HTTP status, code), then by
// code alone. It returns a copy, or nil for codes the table does not know.
func LookupRule(httpStatus int, code string) *Rule {
	r, ok := index.byPair[ruleKey{httpStatus, code}]
	if !ok {
		if r, ok = index.byCode[code]; !ok {
			return nil
		}
	}
	c := *r
	return &c
}

// StatusRule maps an HTTP status alone, for answers whose code is not in
// the table or that carry no ModelArts error body at all: its canonical
// code and retry class (502, 503, 504 and 429 are retried by the facade).
func StatusRule(httpStatus int) (code.Code, RetryClass) {
	switch httpStatus {
	case http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType,
		http.StatusUnprocessableEntity:
		return code.Code_INVALID_ARGUMENT, RetryFinal
	case http.StatusUnauthorized:
		return code.Code_UNAUTHENTICATED, RetryFinal
	case http.StatusForbidden:
		return code.Code_PERMISSION_DENIED, RetryFinal
	case http.StatusNotFound:
		return code.Code_NOT_FOUND, RetryFinal
	case http.StatusMethodNotAllowed, http.StatusNotImplemented:
		return code.Code_UNIMPLEMENTED, RetryFinal
	case http.StatusRequestTimeout:
		return code.Code_DEADLINE_EXCEEDED, RetryFinal
	case http.StatusGatewayTimeout:
		return code.Code_DEADLINE_EXCEEDED, RetryByFacade
	case http.StatusConflict:
		return code.Code_ABORTED, RetryByCaller
	case http.StatusPreconditionFailed:
		return code.Code_FAILED_PRECONDITION, RetryFinal
	case http.StatusTooManyRequests:
		return code.Code_RESOURCE_EXHAUSTED, RetryByFacade
	case http.StatusBadGateway, http.StatusServiceUnavailable:
		return code.Code_UNAVAILABLE, RetryByFacade
	}
	switch {
	case httpStatus >= 500 && httpStatus < 600:
		return code.Code_INTERNAL, RetryFinal
	case httpStatus >= 400 && httpStatus < 500:
		return code.Code_FAILED_PRECONDITION, RetryFinal
	}
	// 1xx and 3xx are not errors ModelArts sends for API calls; a redirect
	// (not followed, as it would resend the token) lands here too.
	return code.Code_UNKNOWN, RetryFinal
}

// Meaning returns what e means: its rule's canonical code, retry class and
// delay, or, for a code the table does not know (or no code), those of its
// HTTP status, with a nil rule.
func (e *Error) Meaning() (rule *Rule, canonical code.Code, retry RetryClass, delay time.Duration) {
	if e.Code != "" {
		if r := LookupRule(e.HTTPStatus, e.Code); r != nil {
			return r, r.Canonical, r.Retry, r.Delay
		}
	}
	c, rc := StatusRule(e.HTTPStatus)
	return nil, c, rc, 0
}
