package service

import (
	"time"

	"github.com/devenv-facade/devenv-facade/internal/apierror"
)

// Error is an error of the facade: the one type its layers return, and
// what [ErrorFrom] rebuilds from an error a client received. It keeps both
// sides of an error typed: the gRPC code, message, and ErrorInfo's reason,
// domain and metadata; for an error ModelArts answered, the HTTP status and
// the vendor's error_code and error_message ("ModelArts.6309"; the
// facade's own errors say "Facade.<reason>"); the delay of a RetryInfo and
// the field violations of a BadRequest. Its GRPCStatus is the status gRPC
// sends. docs/errors.md lists the reasons and metadata keys.
type Error = apierror.Error

// ErrorFrom reads the facade's error from err, as a client of the facade
// received it: from its gRPC status (code and message, and the ErrorInfo,
// BadRequest and RetryInfo details), or, for an error returned in process
// by the service's methods, the [Error] itself. It returns false for nil
// and for an error that carries no gRPC status. For a status without
// ErrorInfo, such as a connection the gRPC client could not make, the
// Error's Domain and Reason are empty.
//
//	resp, err := client.GetInstance(ctx, req)
//	if e, ok := service.ErrorFrom(err); ok && e.VendorCode() == "ModelArts.6309" {
//		// the instance does not exist (e.Code() is NOT_FOUND, e.HTTPStatus() 400)
//	}
func ErrorFrom(err error) (*Error, bool) {
	return apierror.FromError(err)
}

// overloadRetryDelay is the retry delay of a call refused at the bound of
// calls waiting for instances (--max-waits).
const overloadRetryDelay = time.Second
