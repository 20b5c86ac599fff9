// Package statustest reads the details of gRPC errors in tests.
package statustest

import (
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/status"
)

// ErrorInfo returns err's google.rpc.ErrorInfo detail, failing the test if
// there is none: every error the facade returns must carry one.
func ErrorInfo(tb testing.TB, err error) *errdetails.ErrorInfo {
	tb.Helper()
	for _, d := range status.Convert(err).Details() {
		if info, ok := d.(*errdetails.ErrorInfo); ok {
			return info
		}
	}
	tb.Fatalf("%v carries no ErrorInfo", err)
	return nil
}

// RetryDelay returns the delay of err's google.rpc.RetryInfo detail, or
// zero if it has none.
func RetryDelay(err error) time.Duration {
	for _, d := range status.Convert(err).Details() {
		if ri, ok := d.(*errdetails.RetryInfo); ok {
			return ri.GetRetryDelay().AsDuration()
		}
	}
	return 0
}
