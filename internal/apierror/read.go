package apierror

import (
	"errors"
	"strconv"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/status"
)

// FromError returns the [Error] err is or carries: an *Error in err's
// chain as it is, else one rebuilt from err's gRPC status ([FromStatus]),
// which is how a client reads an error it received over the wire. It
// returns false for nil and for an error that is neither (a plain error,
// which gRPC would send as UNKNOWN).
func FromError(err error) (*Error, bool) {
	if err == nil {
		return nil, false
	}
	if e, ok := errors.AsType[*Error](err); ok {
		return e, true
	}
	st, ok := status.FromError(err)
	if !ok {
		return nil, false
	}
	return FromStatus(st), true
}

// FromStatus rebuilds the [Error] a gRPC status carries: its code and
// message, and what its details hold: ErrorInfo's domain, reason and
// metadata (the HTTP status, vendor code and message and request ID among
// them), a BadRequest's violations and a RetryInfo's delay. Details it
// cannot decode are skipped. A status without ErrorInfo gives an Error
// with an empty domain and reason: the facade did not make it. Its
// GRPCStatus is st. FromStatus(nil) is nil.
func FromStatus(st *status.Status) *Error {
	if st == nil {
		return nil
	}
	e := &Error{code: st.Code(), message: st.Message()}
	for _, d := range st.Details() {
		switch d := d.(type) {
		case *errdetails.ErrorInfo:
			if e.metadata != nil {
				continue // the first one counts
			}
			e.domain, e.reason = d.GetDomain(), d.GetReason()
			e.metadata = d.GetMetadata()
			if e.metadata == nil {
				e.metadata = map[string]string{}
			}
			e.vendorCode, e.vendorMessage = e.metadata[MetadataErrorCode], e.metadata[MetadataErrorMessage]
			e.requestID = e.metadata[MetadataRequestID]
			if hs, err := strconv.Atoi(e.metadata[MetadataHTTPStatus]); err == nil && hs > 0 {
				e.httpStatus = hs
			}
		case *errdetails.BadRequest:
			if e.violations == nil {
				e.violations = d.GetFieldViolations()
			}
		case *errdetails.RetryInfo:
			if d := d.GetRetryDelay().AsDuration(); e.retryDelay == 0 && d > 0 {
				e.retryDelay = d
			}
		}
	}
	e.st.Store(st)
	return e
}
