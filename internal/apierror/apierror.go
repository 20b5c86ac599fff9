// Package apierror is the facade's error model: [Error], the one error type
// every layer returns and reads, from the ModelArts client's outcome to the
// gRPC status and the REST mirror's vendor-shaped answer; the facade's own
// reasons; and the ErrorInfo metadata keys.
//
// An [Error] keeps both sides of an error typed: its gRPC code, reason,
// domain, message and ErrorInfo metadata, and, for errors ModelArts
// answered, the HTTP status and the vendor's error_code and error_message;
// a retry delay, the field violations of a bad request, and the error that
// caused it. Its gRPC status (google.rpc.Status with an ErrorInfo, and a
// BadRequest or RetryInfo where they apply) is built once, when gRPC asks
// for it ([Error.GRPCStatus]); the REST mirror and the call's log line read
// the typed fields and never parse the details back. [FromError] is the
// other direction: it rebuilds an Error from a status received over the
// wire.
//
// Every error the facade returns is an Error with an ErrorInfo. Errors
// ModelArts reported are in [DomainModelArts] with a reason naming the
// ModelArts code's meaning; errors the facade raises itself are in
// [DomainFacade] with one of the Reason constants, and their metadata
// error_code is "Facade.<reason>", which the REST mirror sends as the
// vendor-shaped error_code.
package apierror

// Error domains, the google.rpc.ErrorInfo.domain of every error the facade
// returns.
const (
	// DomainModelArts marks errors that ModelArts reported with a ModelArts
	// error code; the reason names that code's meaning.
	DomainModelArts = "modelarts"
	// DomainFacade marks errors the facade raised itself: bad input, missing
	// credentials, an upstream that could not be reached or answered
	// something that is not a ModelArts error.
	DomainFacade = "devenv-facade"
)

// Reasons for errors in [DomainFacade] (google.rpc.ErrorInfo.reason). The
// REST mirror sends them as the error_code "Facade.<reason>".
const (
	// ReasonInvalidArgument: a request field is malformed; a
	// google.rpc.BadRequest detail names it. ModelArts was not called.
	ReasonInvalidArgument = "INVALID_ARGUMENT"
	// ReasonCredentialsMissing: the call carried no token and the facade
	// has none configured. ModelArts was not called.
	ReasonCredentialsMissing = "CREDENTIALS_MISSING"
	// ReasonUpstreamUnavailable: ModelArts could not be reached, or the
	// connection broke before it answered.
	ReasonUpstreamUnavailable = "UPSTREAM_UNAVAILABLE"
	// ReasonUpstreamTimeout: ModelArts did not answer within the facade's
	// own upstream timeout.
	ReasonUpstreamTimeout = "UPSTREAM_TIMEOUT"
	// ReasonDeadlineExceeded: the caller's deadline passed first.
	ReasonDeadlineExceeded = "DEADLINE_EXCEEDED"
	// ReasonCanceled: the caller cancelled the call (or never delivered
	// its request).
	ReasonCanceled = "CANCELLED"
	// ReasonUpstreamHTTPError: ModelArts (or a proxy in front of it)
	// answered an error status without a ModelArts error body, for example
	// an HTML page or an empty 503. The code follows the HTTP status.
	ReasonUpstreamHTTPError = "UPSTREAM_HTTP_ERROR"
	// ReasonUpstreamBadAnswer: ModelArts answered success, but with a body
	// that is not what the operation returns (not JSON, truncated, too
	// large). Reads may be retried; for a create the facade looks the
	// instance up instead.
	ReasonUpstreamBadAnswer = "UPSTREAM_BAD_ANSWER"
	// ReasonInternal: a fault inside the facade.
	ReasonInternal = "INTERNAL"
	// ReasonCredentialsRejected: IAM refused to issue a token for the
	// facade's own credentials (a wrong password, say). Only the operator
	// can fix it.
	ReasonCredentialsRejected = "CREDENTIALS_REJECTED"
	// ReasonIAMUnavailable: the facade could not obtain a token because IAM
	// could not be reached.
	ReasonIAMUnavailable = "IAM_UNAVAILABLE"
	// ReasonOverloaded: the facade is at one of its bounds (calls in
	// flight to ModelArts, --max-upstream-inflight; calls waiting for an
	// instance, --max-waits; tokens being checked with IAM) and shed this
	// call without sending anything. A RetryInfo says when to try again.
	ReasonOverloaded = "OVERLOADED"
	// ReasonShuttingDown: the facade is shutting down and the call did not
	// finish within the grace period; it was cancelled.
	ReasonShuttingDown = "SHUTTING_DOWN"
	// ReasonCallerUnauthenticated: caller authentication is on and the call
	// carried no valid bearer token (or client certificate).
	ReasonCallerUnauthenticated = "CALLER_UNAUTHENTICATED"
	// ReasonProjectNotPermitted: the caller may not act on the project in
	// the request. ModelArts was not called, so the answer says nothing
	// about whether the instance exists.
	ReasonProjectNotPermitted = "PROJECT_NOT_PERMITTED"
	// ReasonInstanceFailed: the instance a call waited for ended in a
	// failure state (CREATE_FAILED, START_FAILED), or stayed in the state
	// opposite to the target (STOPPED while waiting for RUNNING); metadata
	// instance_status, failed_code and failed_message say why.
	ReasonInstanceFailed = "INSTANCE_FAILED"
	// ReasonOutcomeUnknown: a call that is never resent (create, start,
	// stop) reached ModelArts but its answer was lost, and the instance's
	// state does not tell whether it took effect.
	ReasonOutcomeUnknown = "OUTCOME_UNKNOWN"
	// ReasonUnknownMethod: gRPC only: the server does not serve this
	// method.
	ReasonUnknownMethod = "UNKNOWN_METHOD"
	// ReasonCallerTokenRejected: a call admitted on its own IAM token
	// alone (a token holder) carried a token IAM does not accept (unknown,
	// expired, revoked) or one not scoped to a project. ModelArts was not
	// called.
	ReasonCallerTokenRejected = "CALLER_TOKEN_REJECTED"
	// ReasonSignatureNotAccepted: the call was signed with an access key
	// (Authorization: SDK-HMAC-SHA256 ...). The facade can neither verify
	// nor forward such a signature; the caller should send an IAM token.
	// ModelArts was not called.
	ReasonSignatureNotAccepted = "SIGNATURE_NOT_ACCEPTED"
	// ReasonRequestTooLarge: REST only: the request body exceeds the
	// mirror's limit.
	ReasonRequestTooLarge = "REQUEST_TOO_LARGE"
	// ReasonResumeTokenExpired: a watch's resume token can no longer be
	// resumed from (OUT_OF_RANGE; REST 410 Gone): it is older than the
	// events the facade keeps, from another replica or from before a
	// restart, or from within a snapshot. The caller lists again (or
	// watches without a token).
	ReasonResumeTokenExpired = "RESUME_TOKEN_EXPIRED"
	// ReasonWatchInterrupted: the facade ended a watch because it is
	// shutting down or the connection reached its maximum age
	// (UNAVAILABLE); metadata resume_token says where to go on from, and
	// RetryInfo when.
	ReasonWatchInterrupted = "WATCH_INTERRUPTED"
	// ReasonWatchTooSlow: a watcher read events more slowly than they came
	// and fell behind the facade's buffer (RESOURCE_EXHAUSTED); metadata
	// resume_token says where to go on from.
	ReasonWatchTooSlow = "WATCH_TOO_SLOW"
)

// ReasonUnmappedErrorCode is the reason, in [DomainModelArts], for a
// ModelArts error code the mapping table does not know. The code follows the
// HTTP status; metadata error_code holds the code verbatim.
const ReasonUnmappedErrorCode = "UNMAPPED_ERROR_CODE"

// FacadeCodePrefix starts the error_code of errors in [DomainFacade].
const FacadeCodePrefix = "Facade."

// Keys of google.rpc.ErrorInfo.metadata.
const (
	// MetadataErrorCode is the ModelArts error code verbatim
	// ("ModelArts.6309"), or "Facade.<reason>" for errors in [DomainFacade].
	MetadataErrorCode = "error_code"
	// MetadataErrorMessage is ModelArts' error_message, or the facade's
	// description of the error.
	MetadataErrorMessage = "error_message"
	// MetadataHTTPStatus is the HTTP status ModelArts answered with, in
	// decimal ("400"). It is present only when ModelArts answered.
	MetadataHTTPStatus = "http_status"
	// MetadataRequestID is the request ID of the call, as sent to
	// ModelArts in X-Request-Id (or as ModelArts reported it).
	MetadataRequestID = "request_id"
	// MetadataCredentials says whose credentials ModelArts judged, on
	// errors from ModelArts: "caller" (the caller's own X-Auth-Token) or
	// "facade" (the facade's configured credentials). An UNAUTHENTICATED
	// answer with "facade" is the operator's to fix, not the caller's.
	MetadataCredentials = "credentials"
	// MetadataCaller is who the call ran as, when caller authentication
	// is on: the caller's name from the callers file, or "token-holder"
	// for a call admitted on its own IAM token alone (which ran on that
	// token only).
	MetadataCaller = "caller"
	// MetadataAttempts is how many requests the call sent to ModelArts
	// (retries included), in decimal, when it sent any.
	MetadataAttempts = "upstream_attempts"
	// MetadataInstanceStatus is the instance's status last seen by a call
	// that waited for it (with reasons INSTANCE_FAILED and
	// DEADLINE_EXCEEDED).
	MetadataInstanceStatus = "instance_status"
	// MetadataInstanceID is the instance a call waited for: a call that
	// created, started or stopped it and then could not see the wait
	// through still tells the caller which instance it acted on.
	MetadataInstanceID = "instance_id"
	// MetadataFailedCode and MetadataFailedMessage are the vendor's
	// failed_reasons of an instance that failed.
	MetadataFailedCode    = "failed_code"
	MetadataFailedMessage = "failed_message"
	// MetadataResumeToken is the resume token of the last event a watch
	// sent (reasons WATCH_INTERRUPTED and WATCH_TOO_SLOW): watch again
	// with it to go on. Absent when the watch had sent none that can be
	// resumed from (it then starts again with a snapshot).
	MetadataResumeToken = "resume_token"
)

// Values of [MetadataCredentials].
const (
	CredentialsCaller = "caller"
	CredentialsFacade = "facade"
)

// Field-violation reasons (google.rpc.BadRequest.FieldViolation.reason).
const (
	ViolationRequired  = "REQUIRED"
	ViolationMalformed = "MALFORMED"
	// ViolationOmitted marks the last violation of an error that lists
	// only the first [MaxViolations]: its description says how many more
	// were found, and its field is empty.
	ViolationOmitted = "OMITTED"
)

// MaxViolations bounds the field violations an error lists, so that a
// request with any number of bad fields gets an error of bounded size:
// beyond it, one more violation (reason [ViolationOmitted]) says how many
// were left out.
const MaxViolations = 20
