// Package statustest reads the facade's errors in tests as a client reads
// them off the wire.
package statustest

import (
	"testing"

	"google.golang.org/grpc/status"

	"github.com/devenv-facade/devenv-facade/internal/apierror"
)

// Error returns the facade's error that err carries, rebuilt from its gRPC
// status (apierror.FromStatus; what service.ErrorFrom gives a client), not
// taken as the *apierror.Error a handler returned in process: a test that
// reads it checks what the wire carries. It fails the test if the status
// has no ErrorInfo: every error the facade returns must carry one.
func Error(tb testing.TB, err error) *apierror.Error {
	tb.Helper()
	e := apierror.FromStatus(status.Convert(err))
	if e.Domain() == "" && e.Reason() == "" && e.Metadata() == nil {
		tb.Fatalf("%v carries no ErrorInfo", err)
	}
	return e
}
