package apierror

import (
	"fmt"
	"maps"
	"sync/atomic"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/protoadapt"
	"google.golang.org/protobuf/types/known/durationpb"
)

// Error is an error of the facade, as the caller receives it. The facade's
// layers return it and read it: the service's call pipeline and the
// caller-authorization and overload interceptors make it, gRPC sends the
// status it builds ([Error.GRPCStatus]), the REST mirror writes the
// vendor-shaped answer from its typed fields, and the call's log line reads
// them. Outside the facade, [FromError] rebuilds it from a status received
// over the wire.
//
// Its message and metadata reach the caller: never put a secret in them.
// The cause ([Error.Unwrap]) stays inside the process (logs, errors.Is and
// errors.As); the caller never sees it.
//
// An Error is not changed once it has been returned (but for
// [Error.WithCause], which its maker calls before): it is safe for
// concurrent use.
type Error struct {
	code    codes.Code
	message string

	// The google.rpc.ErrorInfo: domain, reason and metadata (every key,
	// the ones below included; nil for an error without ErrorInfo).
	domain, reason string
	metadata       map[string]string

	// Typed copies of metadata entries, as the error was made (or, for
	// an error read from the wire, parsed once).
	httpStatus                int // 0: ModelArts did not answer
	vendorCode, vendorMessage string
	requestID                 string

	retryDelay time.Duration                           // > 0: a RetryInfo
	violations []*errdetails.BadRequest_FieldViolation // a BadRequest if any
	cause      error

	// st is the gRPC status, built by the first GRPCStatus (or, for an
	// error read from the wire, the status it was read from).
	st atomic.Pointer[status.Status]
}

// Code returns the gRPC code.
func (e *Error) Code() codes.Code { return e.code }

// Message returns the status message.
func (e *Error) Message() string { return e.message }

// Domain returns ErrorInfo's domain: [DomainModelArts] or [DomainFacade]
// for errors of the facade, "" for an error without ErrorInfo (one the
// gRPC client raised itself, such as a connection that failed).
func (e *Error) Domain() string { return e.domain }

// Reason returns ErrorInfo's reason ("INSTANCE_NOT_FOUND",
// [ReasonOverloaded]), or "" for an error without ErrorInfo.
func (e *Error) Reason() string { return e.reason }

// Metadata returns a copy of ErrorInfo's metadata (keys Metadata* of this
// package), or nil for an error without ErrorInfo.
func (e *Error) Metadata() map[string]string { return maps.Clone(e.metadata) }

// HTTPStatus returns the HTTP status ModelArts (or what stands in front of
// it) answered with (metadata http_status), or 0 when the error is not an
// answer from ModelArts.
func (e *Error) HTTPStatus() int { return e.httpStatus }

// VendorCode returns the error_code of the vendor's error shape (metadata
// error_code): the ModelArts code verbatim ("ModelArts.6309") for errors
// ModelArts reported, "Facade.<reason>" for the facade's own, "" for an
// error without ErrorInfo.
func (e *Error) VendorCode() string { return e.vendorCode }

// VendorMessage returns the error_message of the vendor's error shape
// (metadata error_message): ModelArts' own for errors ModelArts reported,
// the facade's description for its own.
func (e *Error) VendorMessage() string { return e.vendorMessage }

// RequestID returns the call's request ID (metadata request_id), or "".
func (e *Error) RequestID() string { return e.requestID }

// RetryDelay returns how long to wait before trying again (the
// google.rpc.RetryInfo), or zero if the error says nothing about it.
func (e *Error) RetryDelay() time.Duration { return e.retryDelay }

// Violations returns the field violations of a refused request (the
// google.rpc.BadRequest): at most [MaxViolations], and one more with
// reason [ViolationOmitted] if some were left out. They are the error's
// own: do not change them.
func (e *Error) Violations() []*errdetails.BadRequest_FieldViolation { return e.violations }

// Error describes the error as gRPC describes a status error.
func (e *Error) Error() string {
	return fmt.Sprintf("rpc error: code = %s desc = %s", e.code, e.message)
}

// Unwrap returns the error that caused e, or nil.
func (e *Error) Unwrap() error { return e.cause }

// WithCause records cause as the error that caused e, for [Error.Unwrap],
// and returns e. The caller never sees the cause. It changes e: call it
// only on an error being made, before it is returned.
func (e *Error) WithCause(cause error) *Error {
	e.cause = cause
	return e
}

// GRPCStatus returns the gRPC status of e: its code and message, an
// ErrorInfo (if e has one), then a BadRequest with its violations or a
// RetryInfo with its delay. It is built on the first call and kept; gRPC
// calls it to send the error, and status.FromError, status.Code and
// status.Convert find it through wrapping.
func (e *Error) GRPCStatus() *status.Status {
	if st := e.st.Load(); st != nil {
		return st
	}
	st := e.buildStatus()
	if !e.st.CompareAndSwap(nil, st) {
		return e.st.Load()
	}
	return st
}

func (e *Error) buildStatus() *status.Status {
	st := status.New(e.code, e.message)
	details := make([]protoadapt.MessageV1, 0, 2)
	if e.metadata != nil {
		details = append(details, &errdetails.ErrorInfo{Reason: e.reason, Domain: e.domain, Metadata: e.metadata})
	}
	if len(e.violations) > 0 {
		details = append(details, &errdetails.BadRequest{FieldViolations: e.violations})
	}
	if e.retryDelay > 0 {
		details = append(details, &errdetails.RetryInfo{RetryDelay: durationpb.New(e.retryDelay)})
	}
	if len(details) == 0 {
		return st
	}
	withd, err := st.WithDetails(details...)
	if err != nil {
		// WithDetails fails only for an OK status or a detail that cannot
		// be marshalled; neither happens here, but never lose the error.
		return st
	}
	return withd
}
