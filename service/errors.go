package service

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"syscall"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/protoadapt"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/devenv-facade/devenv-facade/internal/cloudauth"
	"github.com/devenv-facade/devenv-facade/internal/modelarts"
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
	// ReasonCanceled: the caller cancelled the call.
	ReasonCanceled = "CANCELLED"
	// ReasonUpstreamHTTPError: ModelArts (or a proxy in front of it)
	// answered an error status without a ModelArts error body, for example
	// an HTML page or an empty 503. The code follows the HTTP status.
	ReasonUpstreamHTTPError = "UPSTREAM_HTTP_ERROR"
	// ReasonInternal: a fault inside the facade.
	ReasonInternal = "INTERNAL"
	// ReasonCredentialsRejected: IAM refused to issue a token for the
	// facade's own credentials (a wrong password, say). Only the operator
	// can fix it.
	ReasonCredentialsRejected = "CREDENTIALS_REJECTED"
	// ReasonIAMUnavailable: the facade could not obtain a token because IAM
	// could not be reached.
	ReasonIAMUnavailable = "IAM_UNAVAILABLE"
	// ReasonOverloaded: the facade already has its maximum of calls in
	// flight to ModelArts (--max-upstream-inflight) and shed this one
	// without sending it. A RetryInfo says when to try again.
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
)

// ReasonUnmappedErrorCode is the reason, in [DomainModelArts], for a
// ModelArts error code the mapping table does not know. The code follows the
// HTTP status; metadata error_code holds the code verbatim.
const ReasonUnmappedErrorCode = "UNMAPPED_ERROR_CODE"

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
	// MetadataAttempts is how many requests the call sent to ModelArts
	// (retries included), in decimal, when it sent any.
	MetadataAttempts = "upstream_attempts"
)

// overloadRetryDelay is the RetryInfo of a shed call.
const overloadRetryDelay = time.Second

// callInfo is what the status of a failed call reports besides the error.
type callInfo struct {
	requestID   string
	credentials string // credentialsCaller, credentialsFacade or ""
	attempts    int
}

// FacadeErrorCodePrefix starts the error_code of errors in [DomainFacade].
const FacadeErrorCodePrefix = "Facade."

// codeInstanceNotFound is ModelArts' "the instance does not exist".
const codeInstanceNotFound = "ModelArts.6309"

// facadeStatus builds the status of an error the facade raises itself.
func facadeStatus(c codes.Code, reason, msg string, ci callInfo, details ...protoadapt.MessageV1) *status.Status {
	info := &errdetails.ErrorInfo{
		Reason: reason,
		Domain: DomainFacade,
		Metadata: map[string]string{
			MetadataErrorCode:    FacadeErrorCodePrefix + reason,
			MetadataErrorMessage: msg,
		},
	}
	ci.addTo(info.Metadata)
	return withDetails(status.New(c, msg), append([]protoadapt.MessageV1{info}, details...)...)
}

// addTo records the call's request ID and attempt count in ErrorInfo
// metadata.
func (ci callInfo) addTo(md map[string]string) {
	if ci.requestID != "" && md[MetadataRequestID] == "" {
		md[MetadataRequestID] = ci.requestID
	}
	if ci.attempts > 0 {
		md[MetadataAttempts] = strconv.Itoa(ci.attempts)
	}
}

// NewFacadeError returns an error in [DomainFacade] with the given code and
// reason, carrying google.rpc.ErrorInfo like every error the facade returns.
func NewFacadeError(c codes.Code, reason, msg, requestID string) error {
	return facadeStatus(c, reason, msg, callInfo{requestID: requestID}).Err()
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

// statusFromError turns an error from the ModelArts client into the status
// the caller receives. ctx is the call's context, used to tell the caller's
// deadline and cancellation apart from the facade's own timeout.
func statusFromError(ctx context.Context, err error, ci callInfo) *status.Status {
	var upstream *modelarts.Error
	var iamErr *cloudauth.IAMError
	switch {
	case errors.As(err, &upstream):
		return upstreamStatus(upstream, ci)
	case errors.Is(err, modelarts.ErrOverloaded):
		return facadeStatus(codes.ResourceExhausted, ReasonOverloaded,
			"the facade has too many calls in flight to ModelArts; retry after the delay in RetryInfo", ci,
			&errdetails.RetryInfo{RetryDelay: durationpb.New(overloadRetryDelay)})
	case errors.Is(err, modelarts.ErrNoCredentials):
		return facadeStatus(codes.Unauthenticated, ReasonCredentialsMissing,
			"no credentials for ModelArts: send an X-Auth-Token, or configure the facade with credentials", ci)
	case errors.Is(err, modelarts.ErrInvalidPathSegment):
		// Validation rejects such IDs first; this is a second line.
		return facadeStatus(codes.InvalidArgument, ReasonInvalidArgument, "an ID is not a valid path segment", ci)
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return facadeStatus(codes.DeadlineExceeded, ReasonDeadlineExceeded,
			"the call's deadline passed before ModelArts answered; the outcome is unknown", ci)
	case errors.Is(ctx.Err(), context.Canceled):
		return facadeStatus(codes.Canceled, ReasonCanceled,
			"the call was cancelled before ModelArts answered; the outcome is unknown", ci)
	case errors.Is(err, modelarts.ErrCredentials) && errors.As(err, &iamErr):
		return facadeStatus(codes.FailedPrecondition, ReasonCredentialsRejected,
			fmt.Sprintf("IAM refused a token for the facade's credentials (HTTP %d); the facade's configuration must be fixed", iamErr.HTTPStatus), ci)
	case errors.Is(err, modelarts.ErrCredentials):
		return facadeStatus(codes.Unavailable, ReasonIAMUnavailable,
			fmt.Sprintf("the facade could not obtain a token from IAM (%s); the call may be retried", transportCause(err)), ci)
	case errors.Is(err, context.DeadlineExceeded):
		return facadeStatus(codes.DeadlineExceeded, ReasonUpstreamTimeout,
			"ModelArts did not answer within the facade's upstream timeout; the outcome is unknown", ci)
	}
	return facadeStatus(codes.Unavailable, ReasonUpstreamUnavailable,
		fmt.Sprintf("ModelArts could not be reached (%s); the call may be retried", transportCause(err)), ci)
}

// transportCause names the kind of transport failure, for the caller's
// message. The full error (with addresses) goes to the facade's log only.
func transportCause(err error) string {
	var dnsErr *net.DNSError
	var opErr *net.OpError
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return "connection reset"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "connection closed before an answer"
	case errors.As(err, &dnsErr):
		return "name resolution failed"
	case errors.As(err, &opErr) && opErr.Timeout():
		return "network timeout"
	case errors.As(err, &opErr) && opErr.Op == "dial":
		return "connection failed"
	}
	return "transport error"
}

// upstreamStatus maps an error answer from ModelArts.
func upstreamStatus(e *modelarts.Error, ci callInfo) *status.Status {
	info := &errdetails.ErrorInfo{
		Metadata: map[string]string{
			MetadataErrorCode:    e.Code,
			MetadataErrorMessage: e.Message,
			MetadataHTTPStatus:   strconv.Itoa(e.HTTPStatus),
			MetadataRequestID:    e.RequestID,
		},
	}
	if ci.credentials != "" {
		info.Metadata[MetadataCredentials] = ci.credentials
	}
	ci.addTo(info.Metadata)
	var c codes.Code
	var retryAfter = e.RetryAfter
	var msg string
	switch r := lookupRule(e.HTTPStatus, e.Code); {
	case e.Code == "":
		c = statusFallback(e.HTTPStatus)
		info.Domain, info.Reason = DomainFacade, ReasonUpstreamHTTPError
		info.Metadata[MetadataErrorCode] = FacadeErrorCodePrefix + ReasonUpstreamHTTPError
		msg = "ModelArts answered " + e.Message
	case r != nil:
		c = r.grpcCode
		info.Domain, info.Reason = DomainModelArts, r.reason
		if retryAfter == 0 {
			retryAfter = r.retryAfter
		}
		msg = fmt.Sprintf("%s (%s)", e.Message, e.Code)
	default:
		c = statusFallback(e.HTTPStatus)
		info.Domain, info.Reason = DomainModelArts, ReasonUnmappedErrorCode
		msg = fmt.Sprintf("%s (%s, HTTP %d)", e.Message, e.Code, e.HTTPStatus)
	}
	details := []protoadapt.MessageV1{info}
	if retryAfter > 0 {
		details = append(details, &errdetails.RetryInfo{RetryDelay: durationpb.New(retryAfter)})
	}
	return withDetails(status.New(c, msg), details...)
}
