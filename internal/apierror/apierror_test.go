package apierror_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/devenv-facade/devenv-facade/internal/apierror"
)

// wire returns the status a gRPC client receives for err: its
// google.rpc.Status, marshalled and read back.
func wire(t *testing.T, err error) *status.Status {
	t.Helper()
	b, merr := proto.Marshal(status.Convert(err).Proto())
	if merr != nil {
		t.Fatal(merr)
	}
	var p spb.Status
	if uerr := proto.Unmarshal(b, &p); uerr != nil {
		t.Fatal(uerr)
	}
	return status.FromProto(&p)
}

func mustAny(t *testing.T, m proto.Message) *anypb.Any {
	t.Helper()
	a, err := anypb.New(m)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestGRPCStatus is the wire format of each kind of error: the status and
// its details, in order, exactly.
func TestGRPCStatus(t *testing.T) {
	tests := []struct {
		name string
		err  *apierror.Error
		want func(t *testing.T) *spb.Status
	}{
		{
			name: "facade_overloaded",
			err:  apierror.Overloaded("busy", apierror.Call{RequestID: "rid", Attempts: 2, Credentials: apierror.CredentialsFacade}, time.Second),
			want: func(t *testing.T) *spb.Status {
				return &spb.Status{Code: int32(codes.ResourceExhausted), Message: "busy", Details: []*anypb.Any{
					mustAny(t, &errdetails.ErrorInfo{Reason: "OVERLOADED", Domain: "devenv-facade", Metadata: map[string]string{
						"error_code": "Facade.OVERLOADED", "error_message": "busy", "request_id": "rid", "upstream_attempts": "2", "credentials": "facade"}}),
					mustAny(t, &errdetails.RetryInfo{RetryDelay: durationpb.New(time.Second)}),
				}}
			},
		},
		{
			name: "facade_without_attempts",
			err: apierror.Facade(codes.FailedPrecondition, apierror.ReasonInstanceFailed, "failed",
				apierror.Call{RequestID: "rid", Credentials: apierror.CredentialsCaller, Caller: "ci", Extra: map[string]string{apierror.MetadataInstanceID: "DE-1"}}),
			want: func(t *testing.T) *spb.Status {
				return &spb.Status{Code: int32(codes.FailedPrecondition), Message: "failed", Details: []*anypb.Any{
					mustAny(t, &errdetails.ErrorInfo{Reason: "INSTANCE_FAILED", Domain: "devenv-facade", Metadata: map[string]string{
						"error_code": "Facade.INSTANCE_FAILED", "error_message": "failed", "request_id": "rid", "caller": "ci", "instance_id": "DE-1"}}),
				}}
			},
		},
		{
			name: "upstream",
			err: apierror.FromUpstream(apierror.Upstream{
				Code: codes.NotFound, Domain: apierror.DomainModelArts, Reason: "INSTANCE_NOT_FOUND", Message: "gone (ModelArts.6309)",
				ErrorCode: "ModelArts.6309", ErrorMessage: "gone", HTTPStatus: 400, RequestID: "up-rid",
			}, apierror.Call{RequestID: "rid", Credentials: apierror.CredentialsCaller, Attempts: 1}),
			want: func(t *testing.T) *spb.Status {
				return &spb.Status{Code: int32(codes.NotFound), Message: "gone (ModelArts.6309)", Details: []*anypb.Any{
					mustAny(t, &errdetails.ErrorInfo{Reason: "INSTANCE_NOT_FOUND", Domain: "modelarts", Metadata: map[string]string{
						"error_code": "ModelArts.6309", "error_message": "gone", "http_status": "400",
						"request_id": "up-rid", "credentials": "caller", "upstream_attempts": "1"}}),
				}}
			},
		},
		{
			name: "upstream_with_retry_and_no_request_id",
			err: apierror.FromUpstream(apierror.Upstream{
				Code: codes.ResourceExhausted, Domain: apierror.DomainModelArts, Reason: "SYSTEM_BUSY", Message: "busy (ModelArts.6101)",
				ErrorCode: "ModelArts.6101", ErrorMessage: "busy", HTTPStatus: 429, RetryDelay: 7 * time.Second,
			}, apierror.Call{}),
			want: func(t *testing.T) *spb.Status {
				return &spb.Status{Code: int32(codes.ResourceExhausted), Message: "busy (ModelArts.6101)", Details: []*anypb.Any{
					mustAny(t, &errdetails.ErrorInfo{Reason: "SYSTEM_BUSY", Domain: "modelarts", Metadata: map[string]string{
						"error_code": "ModelArts.6101", "error_message": "busy", "http_status": "429", "request_id": ""}}),
					mustAny(t, &errdetails.RetryInfo{RetryDelay: durationpb.New(7 * time.Second)}),
				}}
			},
		},
		{
			name: "facade_as_vendor",
			err: apierror.FacadeAsVendor(codes.InvalidArgument, apierror.ReasonRequestTooLarge, "too large",
				apierror.Call{RequestID: "rid"}, "ModelArts.6400", 413),
			want: func(t *testing.T) *spb.Status {
				return &spb.Status{Code: int32(codes.InvalidArgument), Message: "too large", Details: []*anypb.Any{
					mustAny(t, &errdetails.ErrorInfo{Reason: "REQUEST_TOO_LARGE", Domain: "devenv-facade", Metadata: map[string]string{
						"error_code": "ModelArts.6400", "error_message": "too large", "http_status": "413", "request_id": "rid"}}),
				}}
			},
		},
		{
			name: "invalid_argument",
			err: apierror.InvalidArgument("rid",
				apierror.Violation("project_id", apierror.ViolationRequired, "project_id is required"),
				apierror.Violation("instance_id", apierror.ViolationMalformed, "instance_id is bad")),
			want: func(t *testing.T) *spb.Status {
				msg := "project_id is required (and 1 more invalid field(s))"
				return &spb.Status{Code: int32(codes.InvalidArgument), Message: msg, Details: []*anypb.Any{
					mustAny(t, &errdetails.ErrorInfo{Reason: "INVALID_ARGUMENT", Domain: "devenv-facade", Metadata: map[string]string{
						"error_code": "Facade.INVALID_ARGUMENT", "error_message": msg, "request_id": "rid"}}),
					mustAny(t, &errdetails.BadRequest{FieldViolations: []*errdetails.BadRequest_FieldViolation{
						{Field: "project_id", Reason: "REQUIRED", Description: "project_id is required"},
						{Field: "instance_id", Reason: "MALFORMED", Description: "instance_id is bad"},
					}}),
				}}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want(t), tt.err.GRPCStatus().Proto(), protocmp.Transform()); diff != "" {
				t.Errorf("status (-want +got):\n%s", diff)
			}
		})
	}
}

// TestFromError_roundTrip: what a client rebuilds from the wire has the
// typed fields of the error the facade made.
func TestFromError_roundTrip(t *testing.T) {
	var many apierror.Violations
	for i := range 30 {
		many.Add(apierror.Violation(fmt.Sprintf("f%d", i), apierror.ViolationRequired, "required"))
	}
	errs := []*apierror.Error{
		apierror.Overloaded("busy", apierror.Call{RequestID: "rid", Caller: "ci"}, 1500*time.Millisecond),
		apierror.FromUpstream(apierror.Upstream{Code: codes.NotFound, Domain: apierror.DomainModelArts, Reason: "INSTANCE_NOT_FOUND",
			Message: "gone (ModelArts.6309)", ErrorCode: "ModelArts.6309", ErrorMessage: "gone", HTTPStatus: 400, RequestID: "up-rid"},
			apierror.Call{RequestID: "rid", Credentials: apierror.CredentialsFacade, Attempts: 3}),
		many.Err("rid").(*apierror.Error),
		apierror.New(codes.Internal, apierror.ReasonInternal, "internal error", ""),
		apierror.FacadeAsVendor(codes.InvalidArgument, apierror.ReasonInvalidArgument, "bad body", apierror.Call{}, "ModelArts.6400", 400),
	}
	type typed struct {
		Code                                 codes.Code
		Message, Domain, Reason              string
		Metadata                             map[string]string
		HTTPStatus                           int
		VendorCode, VendorMessage, RequestID string
		RetryDelay                           time.Duration
		Violations                           []*errdetails.BadRequest_FieldViolation
	}
	fields := func(e *apierror.Error) typed {
		return typed{e.Code(), e.Message(), e.Domain(), e.Reason(), e.Metadata(), e.HTTPStatus(),
			e.VendorCode(), e.VendorMessage(), e.RequestID(), e.RetryDelay(), e.Violations()}
	}
	for _, made := range errs {
		t.Run(made.Reason(), func(t *testing.T) {
			got, ok := apierror.FromError(wire(t, made).Err())
			if !ok {
				t.Fatal("FromError: not an error of the facade")
			}
			if diff := cmp.Diff(fields(made), fields(got), protocmp.Transform()); diff != "" {
				t.Errorf("rebuilt from the wire (-made +got):\n%s", diff)
			}
		})
	}
}

func TestFromError(t *testing.T) {
	made := apierror.New(codes.Unavailable, apierror.ReasonUpstreamUnavailable, "down", "rid").WithCause(context.DeadlineExceeded)
	if got, ok := apierror.FromError(fmt.Errorf("wrapped: %w", made)); !ok || got != made {
		t.Errorf("FromError(wrapped *Error) = %p, %v; want the same *Error", got, ok)
	}
	if !errors.Is(made, context.DeadlineExceeded) {
		t.Error("errors.Is does not see the cause")
	}
	if made.Error() != status.Convert(made).Err().Error() {
		t.Errorf("Error() = %q; want gRPC's %q", made.Error(), status.Convert(made).Err().Error())
	}
	for _, err := range []error{nil, errors.New("plain")} {
		if got, ok := apierror.FromError(err); ok || got != nil {
			t.Errorf("FromError(%v) = %v, %v; want nil, false", err, got, ok)
		}
	}
	// A status without details: the gRPC client's own, say.
	got, ok := apierror.FromError(status.Error(codes.Unavailable, "connection refused"))
	if !ok || got.Code() != codes.Unavailable || got.Message() != "connection refused" || got.Domain() != "" || got.Reason() != "" ||
		got.Metadata() != nil || got.HTTPStatus() != 0 || got.VendorCode() != "" {
		t.Errorf("FromError(status without details) = %+v, %v", got, ok)
	}
	// A malformed http_status is no HTTP status.
	st, _ := status.New(codes.Internal, "x").WithDetails(&errdetails.ErrorInfo{Reason: "R", Domain: "d", Metadata: map[string]string{"http_status": "4x0"}})
	if got := apierror.FromStatus(st); got.HTTPStatus() != 0 || got.Reason() != "R" {
		t.Errorf("FromStatus(http_status 4x0): HTTPStatus %d, Reason %q", got.HTTPStatus(), got.Reason())
	}
	if apierror.FromStatus(nil) != nil {
		t.Error("FromStatus(nil) is not nil")
	}
}

// TestGRPCStatus_once: the status is built once, and the same one is
// returned however many ask, also at once.
func TestGRPCStatus_once(t *testing.T) {
	e := apierror.New(codes.NotFound, "R", "m", "rid")
	sts := make(chan *status.Status, 8)
	for range cap(sts) {
		go func() { sts <- e.GRPCStatus() }()
	}
	first := <-sts
	for range cap(sts) - 1 {
		if st := <-sts; st != first {
			t.Fatal("two different statuses")
		}
	}
	if e.GRPCStatus() != first {
		t.Fatal("a later call built another status")
	}
}

// TestInvalidArgument_bounded: however many violations a request has, the
// error lists the first MaxViolations and one that says how many more, and
// its size stays bounded; repeats of a listed violation are not counted.
func TestInvalidArgument_bounded(t *testing.T) {
	var vs apierror.Violations
	for i := range 100_000 {
		vs.Add(apierror.Violation(fmt.Sprintf("spec.extend_storage[%d].type", i), apierror.ViolationRequired, "type is required"))
		vs.Add(apierror.Violation("spec.annotations", apierror.ViolationMalformed, "a key is not valid UTF-8"))
	}
	if vs.Len() != 100_001 {
		t.Errorf("Len = %d; want 100001 (the repeated violation once)", vs.Len())
	}
	err := vs.Err("rid")
	e, _ := apierror.FromError(wire(t, err).Err())
	got := e.Violations()
	if len(got) != apierror.MaxViolations+1 {
		t.Fatalf("%d violations listed; want %d", len(got), apierror.MaxViolations+1)
	}
	last := got[len(got)-1]
	if last.GetReason() != apierror.ViolationOmitted || last.GetField() != "" || !strings.HasPrefix(last.GetDescription(), "99981 more invalid field(s) not listed") {
		t.Errorf("last violation %v; want OMITTED saying 99981 more", last)
	}
	if e.Message() != "type is required (and 100000 more invalid field(s))" {
		t.Errorf("message %q", e.Message())
	}
	if n := proto.Size(status.Convert(err).Proto()); n > 4<<10 {
		t.Errorf("the status is %d bytes; want a few KiB at most", n)
	}
	var none apierror.Violations
	if err := none.Err("rid"); err != nil {
		t.Errorf("no violations: %v; want nil", err)
	}
}
