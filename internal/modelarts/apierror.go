package modelarts

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"time"

	"google.golang.org/grpc/codes"

	"github.com/devenv-facade/devenv-facade/internal/apierror"
)

// CredentialsRejection is implemented by an error of the configured
// [Credentials] that is a refusal of the credentials themselves (IAM
// answering that the password is wrong), as opposed to an identity service
// that could not be reached: RejectedStatus is the refusing service's HTTP
// status. Only the operator can fix such an error; nothing retries it.
type CredentialsRejection interface {
	error
	RejectedStatus() int
}

// OverloadRetryDelay is the retry delay of a call refused with
// [ErrOverloaded].
const OverloadRetryDelay = time.Second

// APIError returns the facade's error for err, the error of a call to
// ModelArts made with ctx (or of work built on such calls), with what call
// says of the call in its metadata. It is the one mapping from the
// client's outcomes to the error the caller receives. They are told apart
// in this order:
//
//   - an [*apierror.Error] already (the work's own error, such as a wait
//     that saw the instance fail), or a gRPC status, is returned as it is;
//   - an error answer from ModelArts ([*Error]) maps by the code table
//     ([Error.Meaning]): the rule's code and reason, the vendor's
//     error_code, error_message and HTTP status, and, for an answer worth
//     trying again, a retry delay (its Retry-After, else the vendor's
//     documented delay). Without a ModelArts error body, reason
//     UPSTREAM_HTTP_ERROR and the code of the HTTP status;
//   - a success answer whose body is unusable ([*DecodeError]):
//     UNAVAILABLE, UPSTREAM_BAD_ANSWER;
//   - the errors of a call refused before anything was sent:
//     [ErrOverloaded] (RESOURCE_EXHAUSTED, OVERLOADED, retry after
//     [OverloadRetryDelay]), [ErrNoCredentials] (UNAUTHENTICATED,
//     CREDENTIALS_MISSING), [ErrInvalidPathSegment] (INVALID_ARGUMENT);
//   - ctx ended: DEADLINE_EXCEEDED or CANCELLED. This comes before the
//     credentials and transport errors below, which a wait for IAM or
//     ModelArts cut short by the caller also gives;
//   - the configured credentials failed ([ErrCredentials]): refused
//     ([CredentialsRejection]: FAILED_PRECONDITION, CREDENTIALS_REJECTED),
//     else IAM could not be reached (UNAVAILABLE, IAM_UNAVAILABLE);
//   - context.DeadlineExceeded with ctx alive: the client's own upstream
//     timeout (DEADLINE_EXCEEDED, UPSTREAM_TIMEOUT);
//   - anything else is a transport failure: UNAVAILABLE,
//     UPSTREAM_UNAVAILABLE, with the kind of failure in the message (the
//     full error, with addresses, is the cause, for the log).
//
// Every error it makes but the first kind has err as its cause.
func APIError(ctx context.Context, err error, call apierror.Call) *apierror.Error {
	if e, ok := apierror.FromError(err); ok {
		return e
	}
	var upstream *Error
	var decodeErr *DecodeError
	var rejection CredentialsRejection
	var e *apierror.Error
	switch {
	case errors.As(err, &upstream):
		e = upstreamError(upstream, call)
	case errors.As(err, &decodeErr):
		e = apierror.Facade(codes.Unavailable, apierror.ReasonUpstreamBadAnswer,
			fmt.Sprintf("ModelArts answered HTTP %d with an unusable body; the call may be retried", decodeErr.HTTPStatus), call)
	case errors.Is(err, ErrOverloaded):
		e = apierror.Overloaded("the facade has too many calls in flight to ModelArts; retry after the delay in RetryInfo", call, OverloadRetryDelay)
	case errors.Is(err, ErrNoCredentials):
		e = apierror.Facade(codes.Unauthenticated, apierror.ReasonCredentialsMissing,
			"no credentials for ModelArts: send an X-Auth-Token, or configure the facade with credentials", call)
	case errors.Is(err, ErrInvalidPathSegment):
		// Validation rejects such IDs first; this is a second line.
		e = apierror.Facade(codes.InvalidArgument, apierror.ReasonInvalidArgument, "an ID is not a valid path segment", call)
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		e = apierror.Facade(codes.DeadlineExceeded, apierror.ReasonDeadlineExceeded,
			"the call's deadline passed before ModelArts answered; the outcome is unknown", call)
	case errors.Is(ctx.Err(), context.Canceled):
		e = apierror.Facade(codes.Canceled, apierror.ReasonCanceled,
			"the call was cancelled before ModelArts answered; the outcome is unknown", call)
	case errors.Is(err, ErrCredentials) && errors.As(err, &rejection):
		e = apierror.Facade(codes.FailedPrecondition, apierror.ReasonCredentialsRejected,
			fmt.Sprintf("IAM refused a token for the facade's credentials (HTTP %d); the facade's configuration must be fixed", rejection.RejectedStatus()), call)
	case errors.Is(err, ErrCredentials):
		e = apierror.Facade(codes.Unavailable, apierror.ReasonIAMUnavailable,
			fmt.Sprintf("the facade could not obtain a token from IAM (%s); the call may be retried", transportCause(err)), call)
	case errors.Is(err, context.DeadlineExceeded):
		e = apierror.Facade(codes.DeadlineExceeded, apierror.ReasonUpstreamTimeout,
			"ModelArts did not answer within the facade's upstream timeout; the outcome is unknown", call)
	default:
		e = apierror.Facade(codes.Unavailable, apierror.ReasonUpstreamUnavailable,
			fmt.Sprintf("ModelArts could not be reached (%s); the call may be retried", transportCause(err)), call)
	}
	return e.WithCause(err)
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

// upstreamError maps an error answer from ModelArts by the code table: its
// canonical code and reason, and, for answers worth trying again, a retry
// delay when one is known (the answer's Retry-After, else the vendor's
// documented delay).
func upstreamError(e *Error, call apierror.Call) *apierror.Error {
	rule, canonical, retry, delay := e.Meaning()
	u := apierror.Upstream{
		Code:         codes.Code(canonical),
		ErrorCode:    e.Code,
		ErrorMessage: e.Message,
		HTTPStatus:   e.HTTPStatus,
		RequestID:    e.RequestID,
	}
	// A delay is told only for answers worth trying again: a Retry-After
	// on a final answer would contradict its code.
	if retry != RetryFinal {
		u.RetryDelay = e.RetryAfter
		if u.RetryDelay == 0 {
			u.RetryDelay = delay
		}
	}
	switch {
	case e.Code == "":
		u.Domain, u.Reason = apierror.DomainFacade, apierror.ReasonUpstreamHTTPError
		u.ErrorCode = apierror.FacadeCodePrefix + apierror.ReasonUpstreamHTTPError
		u.Message = "ModelArts answered " + e.Message
	case rule != nil:
		u.Domain, u.Reason = apierror.DomainModelArts, rule.Reason
		u.Message = fmt.Sprintf("%s (%s)", e.Message, e.Code)
	default:
		u.Domain, u.Reason = apierror.DomainModelArts, apierror.ReasonUnmappedErrorCode
		u.Message = fmt.Sprintf("%s (%s, HTTP %d)", e.Message, e.Code, e.HTTPStatus)
	}
	return apierror.FromUpstream(u, call)
}
