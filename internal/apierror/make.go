package apierror

import (
	"fmt"
	"slices"
	"strconv"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
)

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

// Facade returns an error the facade raises itself, in [DomainFacade]:
// code, reason (one of the Reason constants) and msg, which is also the
// vendor-shaped error_message; its error_code is "Facade.<reason>". msg
// reaches the caller: never put a secret in it.
func Facade(c codes.Code, reason, msg string, call Call) *Error {
	md := make(map[string]string, 4+len(call.Extra))
	md[MetadataErrorCode] = FacadeCodePrefix + reason
	md[MetadataErrorMessage] = msg
	call.addTo(md)
	return &Error{
		code: c, message: msg,
		domain: DomainFacade, reason: reason, metadata: md,
		vendorCode: md[MetadataErrorCode], vendorMessage: msg, requestID: md[MetadataRequestID],
	}
}

// FacadeAsVendor is [Facade] for a refusal ModelArts itself would answer
// with vendorCode and httpStatus (a request body it cannot read, say): the
// error's vendor code and HTTP status (metadata error_code and
// http_status) are those, so that the REST mirror answers as ModelArts
// would; gRPC callers get code and reason.
func FacadeAsVendor(c codes.Code, reason, msg string, call Call, vendorCode string, httpStatus int) *Error {
	e := Facade(c, reason, msg, call)
	e.metadata[MetadataErrorCode], e.vendorCode = vendorCode, vendorCode
	e.metadata[MetadataHTTPStatus], e.httpStatus = strconv.Itoa(httpStatus), httpStatus
	return e
}

// New returns an error in [DomainFacade] with the given code, reason and
// message (see [Facade]) for a call known only by its request ID.
func New(c codes.Code, reason, msg, requestID string) *Error {
	return Facade(c, reason, msg, Call{RequestID: requestID})
}

// Overloaded returns the error of a call the facade shed at one of its
// bounds without sending anything (RESOURCE_EXHAUSTED, reason
// [ReasonOverloaded]), with a RetryInfo asking to wait retryDelay.
func Overloaded(msg string, call Call, retryDelay time.Duration) *Error {
	e := Facade(codes.ResourceExhausted, ReasonOverloaded, msg, call)
	e.retryDelay = retryDelay
	return e
}

// Retryable returns [Facade]'s error with a RetryInfo asking to wait
// retryDelay before trying again.
func Retryable(c codes.Code, reason, msg string, call Call, retryDelay time.Duration) *Error {
	e := Facade(c, reason, msg, call)
	e.retryDelay = max(retryDelay, 0)
	return e
}

// SignatureNotAccepted returns the error of a call signed with an access
// key (Authorization: SDK-HMAC-SHA256 ...), reason
// [ReasonSignatureNotAccepted]: the facade cannot verify such a signature
// (it holds no caller's secret key) and never forwards one (the signature
// covers the facade's host, not ModelArts'). send says what the caller
// should send instead.
func SignatureNotAccepted(requestID, send string) *Error {
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

// FromUpstream returns the error of an error answer from ModelArts: its
// metadata holds the vendor's error_code and error_message, the HTTP
// status (http_status) and the request ID ModelArts reported (else the
// call's).
func FromUpstream(u Upstream, call Call) *Error {
	md := make(map[string]string, 7+len(call.Extra))
	md[MetadataErrorCode] = u.ErrorCode
	md[MetadataErrorMessage] = u.ErrorMessage
	md[MetadataHTTPStatus] = strconv.Itoa(u.HTTPStatus)
	md[MetadataRequestID] = u.RequestID
	if call.Credentials != "" {
		md[MetadataCredentials] = call.Credentials
	}
	call.addTo(md)
	return &Error{
		code: u.Code, message: u.Message,
		domain: u.Domain, reason: u.Reason, metadata: md,
		httpStatus: u.HTTPStatus, vendorCode: u.ErrorCode, vendorMessage: u.ErrorMessage, requestID: md[MetadataRequestID],
		retryDelay: max(u.RetryDelay, 0),
	}
}

// Violation returns a field violation.
func Violation(field, reason, description string) *errdetails.BadRequest_FieldViolation {
	return &errdetails.BadRequest_FieldViolation{Field: field, Reason: reason, Description: description}
}

// InvalidArgument returns the INVALID_ARGUMENT error for violations (at
// least one), with a google.rpc.BadRequest listing the first
// [MaxViolations] of them (see [Violations]); its message is the first
// violation's description and how many more there are.
func InvalidArgument(requestID string, violations ...*errdetails.BadRequest_FieldViolation) *Error {
	if len(violations) == 0 {
		return New(codes.InvalidArgument, ReasonInvalidArgument, "invalid request", requestID)
	}
	var vs Violations
	for _, v := range violations {
		vs.Add(v)
	}
	return vs.invalidArgument(requestID)
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

// Err returns the INVALID_ARGUMENT error (an [*Error]) for the
// violations, or nil if there are none: a google.rpc.BadRequest with the
// kept violations and, if some were left out, one that says how many; its
// message is the first violation's description and how many more there
// are.
func (vs *Violations) Err(requestID string) error {
	if vs.Len() == 0 {
		return nil
	}
	return vs.invalidArgument(requestID)
}

// invalidArgument is Err for at least one violation.
func (vs *Violations) invalidArgument(requestID string) *Error {
	list := vs.kept
	if vs.omitted > 0 {
		list = append(slices.Clip(list), Violation("", ViolationOmitted,
			fmt.Sprintf("%d more invalid field(s) not listed: only the first %d are", vs.omitted, MaxViolations)))
	}
	msg := list[0].GetDescription()
	if n := vs.Len(); n > 1 {
		msg = fmt.Sprintf("%s (and %d more invalid field(s))", msg, n-1)
	}
	e := New(codes.InvalidArgument, ReasonInvalidArgument, msg, requestID)
	e.violations = list
	return e
}
