package modelarts_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/devenv-facade/devenv-facade/internal/apierror"
	"github.com/devenv-facade/devenv-facade/internal/cloudauth"
	"github.com/devenv-facade/devenv-facade/internal/modelarts"
)

// TestAPIError is the mapping of every kind of client outcome, checked as
// the caller receives it: the gRPC code and the ErrorInfo and RetryInfo
// details of the status gRPC sends, and the typed fields the REST mirror
// and the log line read.
func TestAPIError(t *testing.T) {
	t.Parallel()
	live := context.Background()
	expired, cancel := context.WithDeadline(live, time.Now().Add(-time.Second))
	defer cancel()
	cancelled, cancel2 := context.WithCancel(live)
	cancel2()

	refused := fmt.Errorf("modelarts: DELETE /x: %w", &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)})
	reset := fmt.Errorf("modelarts: DELETE /x: %w", &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)})

	tests := []struct {
		name        string
		ctx         context.Context
		err         error
		credentials string
		wantCode    codes.Code
		wantInfo    *errdetails.ErrorInfo
		wantRetry   time.Duration
		passThrough bool // err is returned as it is (and not as its own cause)
	}{
		{
			name: "6309_is_not_found", ctx: live,
			err:      &modelarts.Error{HTTPStatus: 400, Code: "ModelArts.6309", Message: "The instance does not exist.", RequestID: "rid"},
			wantCode: codes.NotFound,
			wantInfo: &errdetails.ErrorInfo{Domain: apierror.DomainModelArts, Reason: "INSTANCE_NOT_FOUND", Metadata: map[string]string{
				"error_code": "ModelArts.6309", "error_message": "The instance does not exist.", "http_status": "400", "request_id": "rid"}},
		},
		{
			name: "throttled_with_retry_after", ctx: live,
			err:      fmt.Errorf("wrapped: %w", &modelarts.Error{HTTPStatus: 429, Code: "ModelArts.6101", Message: "busy", RequestID: "rid", RetryAfter: 7 * time.Second}),
			wantCode: codes.ResourceExhausted,
			wantInfo: &errdetails.ErrorInfo{Domain: apierror.DomainModelArts, Reason: "SYSTEM_BUSY", Metadata: map[string]string{
				"error_code": "ModelArts.6101", "error_message": "busy", "http_status": "429", "request_id": "rid"}},
			wantRetry: 7 * time.Second,
		},
		{
			name: "documented_delay", ctx: live,
			err:      &modelarts.Error{HTTPStatus: 400, Code: "ModelArts.6355", Message: "wait", RequestID: "rid"},
			wantCode: codes.Unavailable,
			wantInfo: &errdetails.ErrorInfo{Domain: apierror.DomainModelArts, Reason: "RESOURCE_INITIALIZING", Metadata: map[string]string{
				"error_code": "ModelArts.6355", "error_message": "wait", "http_status": "400", "request_id": "rid"}},
			wantRetry: time.Minute,
		},
		{
			// Decided drift: 6102 asks to try again later (UNAVAILABLE).
			name: "6102_is_unavailable", ctx: live,
			err:      &modelarts.Error{HTTPStatus: 500, Code: "ModelArts.6102", Message: "try later", RequestID: "rid"},
			wantCode: codes.Unavailable,
			wantInfo: &errdetails.ErrorInfo{Domain: apierror.DomainModelArts, Reason: "SERVER_ERROR", Metadata: map[string]string{
				"error_code": "ModelArts.6102", "error_message": "try later", "http_status": "500", "request_id": "rid"}},
		},
		{
			name: "6333_tells_the_caller_to_wait", ctx: live,
			err:      &modelarts.Error{HTTPStatus: 400, Code: "ModelArts.6333", Message: "restoring", RequestID: "rid"},
			wantCode: codes.Unavailable,
			wantInfo: &errdetails.ErrorInfo{Domain: apierror.DomainModelArts, Reason: "INSTANCE_RECOVERING", Metadata: map[string]string{
				"error_code": "ModelArts.6333", "error_message": "restoring", "http_status": "400", "request_id": "rid"}},
			wantRetry: 2 * time.Minute,
		},
		{
			name: "unknown_code_falls_back_to_status", ctx: live,
			err:      &modelarts.Error{HTTPStatus: 409, Code: "ModelArts.9999", Message: "new", RequestID: "rid"},
			wantCode: codes.Aborted,
			wantInfo: &errdetails.ErrorInfo{Domain: apierror.DomainModelArts, Reason: apierror.ReasonUnmappedErrorCode, Metadata: map[string]string{
				"error_code": "ModelArts.9999", "error_message": "new", "http_status": "409", "request_id": "rid"}},
		},
		{
			name: "html_page_maps_by_status", ctx: live,
			err:      &modelarts.Error{HTTPStatus: 502, Message: "HTTP 502 Bad Gateway with a body that is not a ModelArts error (text/html)", RequestID: "rid"},
			wantCode: codes.Unavailable,
			wantInfo: &errdetails.ErrorInfo{Domain: apierror.DomainFacade, Reason: apierror.ReasonUpstreamHTTPError, Metadata: map[string]string{
				"error_code": "Facade.UPSTREAM_HTTP_ERROR", "error_message": "HTTP 502 Bad Gateway with a body that is not a ModelArts error (text/html)",
				"http_status": "502", "request_id": "rid"}},
		},
		{
			name: "facade_credentials_rejected_by_modelarts", ctx: live, credentials: "facade",
			err:      &modelarts.Error{HTTPStatus: 403, Code: "ModelArts.0206", Message: "Invalid AK/SK.", RequestID: "rid"},
			wantCode: codes.Unauthenticated,
			wantInfo: &errdetails.ErrorInfo{Domain: apierror.DomainModelArts, Reason: "ACCESS_KEY_INVALID", Metadata: map[string]string{
				"error_code": "ModelArts.0206", "error_message": "Invalid AK/SK.", "http_status": "403", "request_id": "rid", "credentials": "facade"}},
		},
		{
			name: "overloaded", ctx: live, err: modelarts.ErrOverloaded, wantCode: codes.ResourceExhausted,
			wantInfo:  facadeInfo(apierror.ReasonOverloaded, "the facade has too many calls in flight to ModelArts; retry after the delay in RetryInfo"),
			wantRetry: time.Second,
		},
		{
			name: "no_credentials", ctx: live, err: modelarts.ErrNoCredentials, wantCode: codes.Unauthenticated,
			wantInfo: facadeInfo(apierror.ReasonCredentialsMissing, "no credentials for ModelArts: send an X-Auth-Token, or configure the facade with credentials"),
		},
		{
			name: "iam_rejects_password", ctx: live, wantCode: codes.FailedPrecondition,
			err:      fmt.Errorf("%w: %w", modelarts.ErrCredentials, &cloudauth.IAMError{HTTPStatus: 401, Message: "The username or password is wrong."}),
			wantInfo: facadeInfo(apierror.ReasonCredentialsRejected, "IAM refused a token for the facade's credentials (HTTP 401); the facade's configuration must be fixed"),
		},
		{
			name: "iam_unreachable", ctx: live, wantCode: codes.Unavailable,
			err:      fmt.Errorf("%w: %w", modelarts.ErrCredentials, refused),
			wantInfo: facadeInfo(apierror.ReasonIAMUnavailable, "the facade could not obtain a token from IAM (connection refused); the call may be retried"),
		},
		{
			name: "waiting_for_iam_past_deadline", ctx: expired, wantCode: codes.DeadlineExceeded,
			err:      fmt.Errorf("%w: %w", modelarts.ErrCredentials, context.DeadlineExceeded),
			wantInfo: facadeInfo(apierror.ReasonDeadlineExceeded, "the call's deadline passed before ModelArts answered; the outcome is unknown"),
		},
		{
			name: "callers_deadline", ctx: expired, err: fmt.Errorf("x: %w", context.DeadlineExceeded), wantCode: codes.DeadlineExceeded,
			wantInfo: facadeInfo(apierror.ReasonDeadlineExceeded, "the call's deadline passed before ModelArts answered; the outcome is unknown"),
		},
		{
			name: "callers_cancel", ctx: cancelled, err: fmt.Errorf("x: %w", context.Canceled), wantCode: codes.Canceled,
			wantInfo: facadeInfo(apierror.ReasonCanceled, "the call was cancelled before ModelArts answered; the outcome is unknown"),
		},
		{
			name: "upstream_timeout", ctx: live, err: fmt.Errorf("x: %w", context.DeadlineExceeded), wantCode: codes.DeadlineExceeded,
			wantInfo: facadeInfo(apierror.ReasonUpstreamTimeout, "ModelArts did not answer within the facade's upstream timeout; the outcome is unknown"),
		},
		{
			name: "connection_refused", ctx: live, err: refused, wantCode: codes.Unavailable,
			wantInfo: facadeInfo(apierror.ReasonUpstreamUnavailable, "ModelArts could not be reached (connection refused); the call may be retried"),
		},
		{
			name: "connection_reset", ctx: live, err: reset, wantCode: codes.Unavailable,
			wantInfo: facadeInfo(apierror.ReasonUpstreamUnavailable, "ModelArts could not be reached (connection reset); the call may be retried"),
		},
		{
			name: "anything_else", ctx: live, err: errors.New("tls: bad certificate"), wantCode: codes.Unavailable,
			wantInfo: facadeInfo(apierror.ReasonUpstreamUnavailable, "ModelArts could not be reached (transport error); the call may be retried"),
		},
		{
			name: "unusable_success_answer", ctx: live, wantCode: codes.Unavailable,
			err:      fmt.Errorf("x: %w", &modelarts.DecodeError{HTTPStatus: 200, Err: io.ErrUnexpectedEOF}),
			wantInfo: facadeInfo(apierror.ReasonUpstreamBadAnswer, "ModelArts answered HTTP 200 with an unusable body; the call may be retried"),
		},
		{
			name: "invalid_path_segment", ctx: live, wantCode: codes.InvalidArgument,
			err:      fmt.Errorf("%w: instance_id %q", modelarts.ErrInvalidPathSegment, ".."),
			wantInfo: facadeInfo(apierror.ReasonInvalidArgument, "an ID is not a valid path segment"),
		},
		{
			// A step's own error is the caller's as it is.
			name: "facade_error_passes_through", ctx: expired, passThrough: true, wantCode: codes.FailedPrecondition,
			err:      apierror.Facade(codes.FailedPrecondition, apierror.ReasonInstanceFailed, "failed", apierror.Call{RequestID: "rid"}),
			wantInfo: facadeInfo(apierror.ReasonInstanceFailed, "failed"),
		},
		{
			name: "wrapped_facade_error_passes_through", ctx: cancelled, passThrough: true, wantCode: codes.ResourceExhausted,
			err:       fmt.Errorf("x: %w", apierror.Overloaded("busy", apierror.Call{RequestID: "rid"}, time.Second)),
			wantInfo:  facadeInfo(apierror.ReasonOverloaded, "busy"),
			wantRetry: time.Second,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := modelarts.APIError(tt.ctx, tt.err, apierror.Call{RequestID: "rid", Credentials: tt.credentials})
			if cause := errors.Unwrap(e); tt.passThrough == (cause == tt.err) {
				t.Errorf("cause = %v; want %v", cause, map[bool]any{true: nil, false: tt.err}[tt.passThrough])
			}
			st := e.GRPCStatus()
			if st.Code() != tt.wantCode || e.Code() != tt.wantCode {
				t.Errorf("code = %v; want %v", st.Code(), tt.wantCode)
			}
			info, retry := detailsOf(t, st)
			if diff := cmp.Diff(tt.wantInfo, info, protocmp.Transform()); diff != "" {
				t.Errorf("ErrorInfo (-want +got):\n%s", diff)
			}
			var wantRetry *errdetails.RetryInfo
			if tt.wantRetry > 0 {
				wantRetry = &errdetails.RetryInfo{RetryDelay: durationpb.New(tt.wantRetry)}
			}
			if diff := cmp.Diff(wantRetry, retry, protocmp.Transform()); diff != "" {
				t.Errorf("RetryInfo (-want +got):\n%s", diff)
			}
			md := tt.wantInfo.GetMetadata()
			wantHTTP, _ := strconv.Atoi(md["http_status"])
			if e.Reason() != tt.wantInfo.GetReason() || e.Domain() != tt.wantInfo.GetDomain() || e.HTTPStatus() != wantHTTP ||
				e.VendorCode() != md["error_code"] || e.VendorMessage() != md["error_message"] || e.RequestID() != md["request_id"] ||
				e.RetryDelay() != tt.wantRetry {
				t.Errorf("typed fields: reason %q domain %q HTTP %d vendor code %q message %q request ID %q retry %v; want those of the details",
					e.Reason(), e.Domain(), e.HTTPStatus(), e.VendorCode(), e.VendorMessage(), e.RequestID(), e.RetryDelay())
			}
		})
	}
}

func TestAPIError_attempts(t *testing.T) {
	t.Parallel()
	st := modelarts.APIError(context.Background(), &modelarts.Error{HTTPStatus: 503, Message: "x", RequestID: "up-rid"}, apierror.Call{RequestID: "rid", Attempts: 3}).GRPCStatus()
	info, _ := detailsOf(t, st)
	if md := info.GetMetadata(); md["upstream_attempts"] != "3" || md["request_id"] != "up-rid" {
		t.Errorf("metadata = %v; want upstream_attempts 3 and ModelArts' request ID", md)
	}
}

func facadeInfo(reason, msg string) *errdetails.ErrorInfo {
	return &errdetails.ErrorInfo{Domain: apierror.DomainFacade, Reason: reason, Metadata: map[string]string{
		"error_code": apierror.FacadeCodePrefix + reason, "error_message": msg, "request_id": "rid"}}
}

func detailsOf(t *testing.T, st *status.Status) (*errdetails.ErrorInfo, *errdetails.RetryInfo) {
	t.Helper()
	var info *errdetails.ErrorInfo
	var retry *errdetails.RetryInfo
	for _, d := range st.Details() {
		switch d := d.(type) {
		case *errdetails.ErrorInfo:
			info = d
		case *errdetails.RetryInfo:
			retry = d
		case error:
			t.Fatalf("undecodable detail: %v", d)
		}
	}
	return info, retry
}
