package apierror_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/devenv-facade/devenv-facade/internal/apierror"
)

func TestFacade(t *testing.T) {
	st := apierror.Facade(codes.ResourceExhausted, apierror.ReasonOverloaded, "busy",
		apierror.Call{RequestID: "rid", Attempts: 2}, apierror.RetryInfo(time.Second))
	info := apierror.ErrorInfo(st)
	want := map[string]string{"error_code": "Facade.OVERLOADED", "error_message": "busy", "request_id": "rid", "upstream_attempts": "2"}
	if st.Code() != codes.ResourceExhausted || info.GetDomain() != apierror.DomainFacade || info.GetReason() != "OVERLOADED" {
		t.Errorf("status %v, ErrorInfo %v", st, info)
	}
	if diff := cmp.Diff(want, info.GetMetadata()); diff != "" {
		t.Errorf("metadata (-want +got):\n%s", diff)
	}
	if d := apierror.RetryDelay(st); d != time.Second {
		t.Errorf("RetryDelay = %v; want 1s", d)
	}
}

func TestFromUpstream(t *testing.T) {
	st := apierror.FromUpstream(apierror.Upstream{
		Code: codes.NotFound, Domain: apierror.DomainModelArts, Reason: "INSTANCE_NOT_FOUND", Message: "gone (ModelArts.6309)",
		ErrorCode: "ModelArts.6309", ErrorMessage: "gone", HTTPStatus: 400, RequestID: "up-rid",
	}, apierror.Call{RequestID: "rid", Credentials: apierror.CredentialsCaller, Attempts: 1})
	want := map[string]string{"error_code": "ModelArts.6309", "error_message": "gone", "http_status": "400",
		"request_id": "up-rid", "credentials": "caller", "upstream_attempts": "1"}
	if diff := cmp.Diff(want, apierror.ErrorInfo(st).GetMetadata()); diff != "" {
		t.Errorf("metadata (-want +got):\n%s", diff)
	}
	if apierror.RetryDelay(st) != 0 {
		t.Error("a RetryInfo without a delay")
	}
}

func TestInvalidArgument(t *testing.T) {
	err := apierror.InvalidArgument("rid",
		apierror.Violation("project_id", apierror.ViolationRequired, "project_id is required"),
		apierror.Violation("instance_id", apierror.ViolationMalformed, "instance_id is bad"))
	st := status.Convert(err)
	if st.Code() != codes.InvalidArgument || st.Message() != "project_id is required (and 1 more invalid field(s))" {
		t.Errorf("status %v", st)
	}
	vs := apierror.FieldViolations(st)
	if len(vs) != 2 || vs[1].GetField() != "instance_id" {
		t.Errorf("violations %v", vs)
	}
	if apierror.ErrorInfo(st).GetReason() != apierror.ReasonInvalidArgument {
		t.Errorf("ErrorInfo %v", apierror.ErrorInfo(st))
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
	st := status.Convert(vs.Err("rid"))
	got := apierror.FieldViolations(st)
	if len(got) != apierror.MaxViolations+1 {
		t.Fatalf("%d violations listed; want %d", len(got), apierror.MaxViolations+1)
	}
	last := got[len(got)-1]
	if last.GetReason() != apierror.ViolationOmitted || last.GetField() != "" || !strings.HasPrefix(last.GetDescription(), "99981 more invalid field(s) not listed") {
		t.Errorf("last violation %v; want OMITTED saying 99981 more", last)
	}
	if st.Message() != "type is required (and 100000 more invalid field(s))" {
		t.Errorf("message %q", st.Message())
	}
	if n := proto.Size(st.Proto()); n > 4<<10 {
		t.Errorf("the status is %d bytes; want a few KiB at most", n)
	}
	var none apierror.Violations
	if err := none.Err("rid"); err != nil {
		t.Errorf("no violations: %v; want nil", err)
	}
}
