// Package apierror is the facade's error model: the one place that builds
// and reads the details every error carries (google.rpc.ErrorInfo, and
// BadRequest or RetryInfo where they apply), and that names the facade's own
// reasons and the ErrorInfo metadata keys.
//
// Every error the facade returns is a gRPC status with an ErrorInfo. Errors
// ModelArts reported are in [DomainModelArts] with a reason naming the
// ModelArts code's meaning; errors the facade raises itself are in
// [DomainFacade] with one of the Reason constants, and their metadata
// error_code is "Facade.<reason>", which the REST mirror sends as the
// vendor-shaped error_code.
package apierror

import (
	"fmt"
	"slices"
	"strconv"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/protoadapt"
	"google.golang.org/protobuf/types/known/durationpb"
)

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

// Call is what every error of a call reports besides the error itself.
type Call struct {
	// RequestID is the call's request ID.
	RequestID string
	// Credentials is CredentialsCaller, CredentialsFacade or "" (no
	// request was sent).
	Credentials string
	// Caller is who the call ran as (see [MetadataCaller]), or "" without
	// caller authentication.
	Caller string
	// Attempts is how many requests the call sent to ModelArts.
	Attempts int
	// Extra is further ErrorInfo metadata (keys from this package).
	Extra map[string]string
}

// addTo records the call in ErrorInfo metadata, keeping a request ID
// already there (the one ModelArts reported).
func (c Call) addTo(md map[string]string) {
	if c.RequestID != "" && md[MetadataRequestID] == "" {
		md[MetadataRequestID] = c.RequestID
	}
	if c.Caller != "" {
		md[MetadataCaller] = c.Caller
	}
	if c.Credentials != "" && c.Attempts > 0 {
		// Whose credentials the requests carried, once there were any.
		md[MetadataCredentials] = c.Credentials
	}
	if c.Attempts > 0 {
		md[MetadataAttempts] = strconv.Itoa(c.Attempts)
	}
	for k, v := range c.Extra {
		md[k] = v
	}
}

// Facade returns the status of an error the facade raises itself, in
// [DomainFacade], with extra details after the ErrorInfo.
func Facade(c codes.Code, reason, msg string, call Call, details ...protoadapt.MessageV1) *status.Status {
	info := &errdetails.ErrorInfo{
		Reason: reason,
		Domain: DomainFacade,
		Metadata: map[string]string{
			MetadataErrorCode:    FacadeCodePrefix + reason,
			MetadataErrorMessage: msg,
		},
	}
	call.addTo(info.Metadata)
	return withDetails(status.New(c, msg), append([]protoadapt.MessageV1{info}, details...)...)
}

// New returns an error in [DomainFacade] with the given code, reason and
// message (which reaches the caller: never put a secret in it).
func New(c codes.Code, reason, msg, requestID string) error {
	return Facade(c, reason, msg, Call{RequestID: requestID}).Err()
}

// SignatureNotAccepted returns the error of a call signed with an access
// key (Authorization: SDK-HMAC-SHA256 ...), reason
// [ReasonSignatureNotAccepted]: the facade cannot verify such a signature
// (it holds no caller's secret key) and never forwards one (the signature
// covers the facade's host, not ModelArts'). send says what the caller
// should send instead.
func SignatureNotAccepted(requestID, send string) error {
	return New(codes.Unauthenticated, ReasonSignatureNotAccepted,
		"the facade does not accept requests signed with an access key (AK/SK): it cannot verify the signature and never forwards one; send "+send, requestID)
}

// Upstream describes an error ModelArts (or what stands in front of it)
// answered, for [FromUpstream].
type Upstream struct {
	// Code is the canonical code the caller gets.
	Code codes.Code
	// Domain and Reason go to ErrorInfo.
	Domain, Reason string
	// Message is the status message.
	Message string
	// ErrorCode and ErrorMessage are the vendor's, or the facade's
	// description when there is no vendor code.
	ErrorCode, ErrorMessage string
	// HTTPStatus is the status ModelArts answered with.
	HTTPStatus int
	// RequestID is the one ModelArts reported, or "".
	RequestID string
	// RetryDelay, if positive, becomes a RetryInfo.
	RetryDelay time.Duration
}

// FromUpstream returns the status of an error answer from ModelArts.
func FromUpstream(u Upstream, call Call) *status.Status {
	info := &errdetails.ErrorInfo{
		Domain: u.Domain,
		Reason: u.Reason,
		Metadata: map[string]string{
			MetadataErrorCode:    u.ErrorCode,
			MetadataErrorMessage: u.ErrorMessage,
			MetadataHTTPStatus:   strconv.Itoa(u.HTTPStatus),
			MetadataRequestID:    u.RequestID,
		},
	}
	if call.Credentials != "" {
		info.Metadata[MetadataCredentials] = call.Credentials
	}
	call.addTo(info.Metadata)
	details := []protoadapt.MessageV1{info}
	if u.RetryDelay > 0 {
		details = append(details, RetryInfo(u.RetryDelay))
	}
	return withDetails(status.New(u.Code, u.Message), details...)
}

// RetryInfo returns a google.rpc.RetryInfo asking to wait d.
func RetryInfo(d time.Duration) *errdetails.RetryInfo {
	return &errdetails.RetryInfo{RetryDelay: durationpb.New(d)}
}

// Violation returns a field violation.
func Violation(field, reason, description string) *errdetails.BadRequest_FieldViolation {
	return &errdetails.BadRequest_FieldViolation{Field: field, Reason: reason, Description: description}
}

// InvalidArgument returns the INVALID_ARGUMENT error for violations (at
// least one), with a google.rpc.BadRequest listing the first
// [MaxViolations] of them (see [Violations]); its message is the first
// violation's description and how many more there are.
func InvalidArgument(requestID string, violations ...*errdetails.BadRequest_FieldViolation) error {
	if len(violations) == 0 {
		return Facade(codes.InvalidArgument, ReasonInvalidArgument, "invalid request", Call{RequestID: requestID}).Err()
	}
	var vs Violations
	for _, v := range violations {
		vs.Add(v)
	}
	return vs.Err(requestID)
}

// Violations gathers the field violations of one request: it keeps the
// first [MaxViolations] and counts the others, so that gathering them
// costs bounded memory however many a request has. A violation equal to
// one already kept (same field, reason and description) is not counted
// again. The zero value is empty and ready to use.
type Violations struct {
	kept    []*errdetails.BadRequest_FieldViolation
	omitted int
}

// Add records v.
func (vs *Violations) Add(v *errdetails.BadRequest_FieldViolation) {
	for _, k := range vs.kept {
		if k.GetField() == v.GetField() && k.GetReason() == v.GetReason() && k.GetDescription() == v.GetDescription() {
			return
		}
	}
	if len(vs.kept) < MaxViolations {
		vs.kept = append(vs.kept, v)
		return
	}
	vs.omitted++
}

// Merge adds the violations of other after those of vs.
func (vs *Violations) Merge(other *Violations) {
	for _, v := range other.kept {
		vs.Add(v)
	}
	vs.omitted += other.omitted
}

// Len returns how many violations were recorded, kept or not.
func (vs *Violations) Len() int { return len(vs.kept) + vs.omitted }

// Err returns the INVALID_ARGUMENT error for the violations, or nil if
// there are none: a google.rpc.BadRequest with the kept violations and, if
// some were left out, one that says how many; its message is the first
// violation's description and how many more there are.
func (vs *Violations) Err(requestID string) error {
	if vs.Len() == 0 {
		return nil
	}
	list := vs.kept
	if vs.omitted > 0 {
		list = append(slices.Clip(list), Violation("", ViolationOmitted,
			fmt.Sprintf("%d more invalid field(s) not listed: only the first %d are", vs.omitted, MaxViolations)))
	}
	br := &errdetails.BadRequest{FieldViolations: list}
	msg := list[0].GetDescription()
	if n := vs.Len(); n > 1 {
		msg = fmt.Sprintf("%s (and %d more invalid field(s))", msg, n-1)
	}
	return Facade(codes.InvalidArgument, ReasonInvalidArgument, msg, Call{RequestID: requestID}, br).Err()
}

func withDetails(st *status.Status, details ...protoadapt.MessageV1) *status.Status {
	withd, err := st.WithDetails(details...)
	if err != nil {
		// WithDetails fails only for an OK status or a detail that cannot
		// be marshalled; neither happens here, but never lose the error.
		return st
	}
	return withd
}

// ErrorInfo returns st's google.rpc.ErrorInfo, or nil if it has none.
func ErrorInfo(st *status.Status) *errdetails.ErrorInfo {
	for _, d := range st.Details() {
		if info, ok := d.(*errdetails.ErrorInfo); ok {
			return info
		}
	}
	return nil
}

// RetryDelay returns the delay of st's google.rpc.RetryInfo, or zero if it
// has none.
func RetryDelay(st *status.Status) time.Duration {
	for _, d := range st.Details() {
		if ri, ok := d.(*errdetails.RetryInfo); ok {
			return ri.GetRetryDelay().AsDuration()
		}
	}
	return 0
}

// FieldViolations returns st's google.rpc.BadRequest violations, or nil.
func FieldViolations(st *status.Status) []*errdetails.BadRequest_FieldViolation {
	for _, d := range st.Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			return br.GetFieldViolations()
		}
	}
	return nil
}
