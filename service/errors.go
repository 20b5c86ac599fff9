package service

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/devenv-facade/devenv-facade/internal/apierror"
	"github.com/devenv-facade/devenv-facade/internal/modelarts"
)

// overloadRetryDelay is the RetryInfo of a shed call.
const overloadRetryDelay = time.Second

// statusFromError turns an error of a call into the status the caller
// receives. ctx is the call's context, used to tell the caller's deadline and
// cancellation apart from the facade's own timeout. An error that already is
// a status passes through.
func statusFromError(ctx context.Context, err error, call apierror.Call) *status.Status {
	var upstream *modelarts.Error
	var decodeErr *modelarts.DecodeError
	var rejected interface{ RejectedStatus() int }
	if st, ok := status.FromError(err); ok {
		return st
	}
	switch {
	case errors.As(err, &upstream):
		return upstreamStatus(upstream, call)
	case errors.As(err, &decodeErr):
		return apierror.Facade(codes.Unavailable, apierror.ReasonUpstreamBadAnswer,
			fmt.Sprintf("ModelArts answered HTTP %d with an unusable body; the call may be retried", decodeErr.HTTPStatus), call)
	case errors.Is(err, modelarts.ErrOverloaded):
		return apierror.Facade(codes.ResourceExhausted, apierror.ReasonOverloaded,
			"the facade has too many calls in flight to ModelArts; retry after the delay in RetryInfo", call,
			apierror.RetryInfo(overloadRetryDelay))
	case errors.Is(err, modelarts.ErrNoCredentials):
		return apierror.Facade(codes.Unauthenticated, apierror.ReasonCredentialsMissing,
			"no credentials for ModelArts: send an X-Auth-Token, or configure the facade with credentials", call)
	case errors.Is(err, modelarts.ErrInvalidPathSegment):
		// Validation rejects such IDs first; this is a second line.
		return apierror.Facade(codes.InvalidArgument, apierror.ReasonInvalidArgument, "an ID is not a valid path segment", call)
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return apierror.Facade(codes.DeadlineExceeded, apierror.ReasonDeadlineExceeded,
			"the call's deadline passed before ModelArts answered; the outcome is unknown", call)
	case errors.Is(ctx.Err(), context.Canceled):
		return apierror.Facade(codes.Canceled, apierror.ReasonCanceled,
			"the call was cancelled before ModelArts answered; the outcome is unknown", call)
	case errors.Is(err, modelarts.ErrCredentialsRejected) && errors.As(err, &rejected):
		return apierror.Facade(codes.FailedPrecondition, apierror.ReasonCredentialsRejected,
			fmt.Sprintf("IAM refused a token for the facade's credentials (HTTP %d); the facade's configuration must be fixed", rejected.RejectedStatus()), call)
	case errors.Is(err, modelarts.ErrCredentials):
		return apierror.Facade(codes.Unavailable, apierror.ReasonIAMUnavailable,
			fmt.Sprintf("the facade could not obtain a token from IAM (%s); the call may be retried", transportCause(err)), call)
	case errors.Is(err, context.DeadlineExceeded):
		return apierror.Facade(codes.DeadlineExceeded, apierror.ReasonUpstreamTimeout,
			"ModelArts did not answer within the facade's upstream timeout; the outcome is unknown", call)
	}
	return apierror.Facade(codes.Unavailable, apierror.ReasonUpstreamUnavailable,
		fmt.Sprintf("ModelArts could not be reached (%s); the call may be retried", transportCause(err)), call)
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

// upstreamStatus maps an error answer from ModelArts, by the client's code
// table (modelarts.Rule): its canonical code and reason, and, for answers
// worth trying again, a RetryInfo when a delay is known (the answer's
// Retry-After, else the vendor's documented delay).
func upstreamStatus(e *modelarts.Error, call apierror.Call) *status.Status {
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
	if retry != modelarts.RetryFinal {
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
