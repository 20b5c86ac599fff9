package service_test

import (
	"context"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	devenvv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/devenv/v1"
	"github.com/devenv-facade/devenv-facade/internal/apierror"
	"github.com/devenv-facade/devenv-facade/internal/clock/clocktest"
	"github.com/devenv-facade/devenv-facade/internal/cloudauth"
	"github.com/devenv-facade/devenv-facade/internal/emulator"
	"github.com/devenv-facade/devenv-facade/internal/modelarts"
	"github.com/devenv-facade/devenv-facade/internal/statustest"
	"github.com/devenv-facade/devenv-facade/service"
)

// valFixture is the service in front of a fresh emulator, over gRPC, and the
// same service in process for requests gRPC cannot carry (strings that are
// not UTF-8, which a proto3 client refuses to marshal).
type valFixture struct {
	emu    *emulator.Server
	client devenvv1.DevEnvServiceClient
	svc    *service.Service
}

// noSleep makes waits poll at once: the emulator deletes at once, so a
// delete's wait ends at its first read.
func noSleep() service.Options {
	c := clocktest.New(clocktest.Start)
	c.AdvanceOnWait(true)
	return service.Options{Clock: c}
}

func startValidation(t *testing.T) *valFixture {
	t.Helper()
	emu := emulator.MustNew(emulator.Options{})
	creds := modelarts.Options{Credentials: cloudauth.Token("t")}
	h := startWith(t, emu, noSleep(), creds)
	up := httptest.NewServer(emu)
	t.Cleanup(up.Close)
	mc, err := modelarts.NewClient(up.Client(), up.URL, creds)
	if err != nil {
		t.Fatal(err)
	}
	return &valFixture{emu: emu, client: h.client, svc: newService(t, mc, noSleep())}
}

// required and malformed name a field violation as the cases expect it:
// "field=REASON".
func required(field string) string { return field + "=" + apierror.ViolationRequired }

func malformed(field string) string { return field + "=" + apierror.ViolationMalformed }

// valCase is a request and what validation makes of it.
type valCase[Req proto.Message] struct {
	name string
	req  Req
	// bad lists the violations the request must get ("field=REASON", see
	// required and malformed); empty for a valid request.
	bad []string
	// upstream is, for a valid request, the ModelArts error code the
	// emulator answers ("" for success): the facade's rules are not all
	// the emulator's (it knows only some flavors, only OBS storage).
	upstream string
}

// runValCases runs cases through rpc (gRPC) or, for a request gRPC cannot
// marshal, direct (the service in process). The invalid ones run first and
// must leave the emulator's request count at zero; each valid one must then
// reach the emulator and get the answer the case expects.
func runValCases[Req proto.Message, Resp any](t *testing.T, f *valFixture,
	rpc func(context.Context, Req, ...grpc.CallOption) (Resp, error),
	direct func(context.Context, Req) (Resp, error),
	cases []valCase[Req],
) {
	t.Helper()
	call := func(t *testing.T, req Req) error {
		t.Helper()
		if _, err := proto.Marshal(req); err != nil {
			_, err = direct(t.Context(), req)
			return err
		}
		_, err := rpc(t.Context(), req)
		return err
	}
	seen := map[string]bool{}
	for _, tc := range cases {
		if seen[tc.name] {
			t.Fatalf("two cases are named %q", tc.name)
		}
		seen[tc.name] = true
	}
	for _, tc := range cases {
		if len(tc.bad) == 0 {
			continue
		}
		t.Run("bad/"+tc.name, func(t *testing.T) {
			before := f.emu.RequestCount()
			err := call(t, tc.req)
			if n := f.emu.RequestCount() - before; n != 0 {
				t.Errorf("ModelArts received %d requests; bad input must never reach it", n)
			}
			checkInvalidArgument(t, err, tc.bad)
		})
	}
	if n := f.emu.RequestCount(); n != 0 {
		t.Fatalf("after the bad requests ModelArts had received %d requests; want 0", n)
	}
	for _, tc := range cases {
		if len(tc.bad) != 0 {
			continue
		}
		t.Run("ok/"+tc.name, func(t *testing.T) {
			before := f.emu.RequestCount()
			err := call(t, tc.req)
			if f.emu.RequestCount() == before {
				t.Errorf("a valid request did not reach ModelArts (%v)", err)
			}
			if tc.upstream == "" {
				if err != nil {
					t.Errorf("valid request failed: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("succeeded; want ModelArts' %s", tc.upstream)
			}
			info := statustest.Error(t, err)
			if info.Domain() != apierror.DomainModelArts || info.Metadata()[apierror.MetadataErrorCode] != tc.upstream {
				t.Errorf("%v (ErrorInfo %v); want ModelArts' %s: the facade must let it through", err, info, tc.upstream)
			}
		})
	}
}

// checkInvalidArgument checks err is the facade's INVALID_ARGUMENT with
// exactly the violations want ("field=REASON"), in any order.
func checkInvalidArgument(t *testing.T, err error, want []string) {
	t.Helper()
	st := status.Convert(err)
	if st.Code() != codes.InvalidArgument {
		t.Fatalf("code = %v (%v); want InvalidArgument", st.Code(), err)
	}
	var got []string
	for _, v := range statustest.Error(t, err).Violations() {
		got = append(got, v.GetField()+"="+v.GetReason())
		if v.GetDescription() == "" {
			t.Errorf("violation %v has no description", v)
		}
	}
	want = slices.Clone(want)
	slices.Sort(want)
	slices.Sort(got)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("field violations (-want +got):\n%s", diff)
	}
	info := statustest.Error(t, err)
	if info.Reason() != apierror.ReasonInvalidArgument || info.Domain() != apierror.DomainFacade ||
		info.Metadata()[apierror.MetadataErrorCode] != apierror.FacadeCodePrefix+apierror.ReasonInvalidArgument {
		t.Errorf("ErrorInfo = %v; want %s/%s, error_code Facade.%s", info, apierror.DomainFacade, apierror.ReasonInvalidArgument, apierror.ReasonInvalidArgument)
	}
	// Whatever bytes the request held, the status must be sendable.
	if _, err := proto.Marshal(st.Proto()); err != nil {
		t.Errorf("the status cannot be sent: %v", err)
	}
}

// Values at and around the limits.
var (
	hex32      = project
	name64     = strings.Repeat("n", 64)
	path1024   = "/bucket/" + strings.Repeat("p", 1024-len("/bucket/")-1) + "/"
	path1025   = "/bucket/" + strings.Repeat("p", 1025-len("/bucket/")-1) + "/"
	id64       = strings.Repeat("i", 64)
	id65       = strings.Repeat("i", 65)
	notUTF8    = "a\xffb"
	badProject = []struct{ name, id string }{
		{"uppercase", strings.ToUpper(hex32)},
		{"31_chars", hex32[:31]},
		{"33_chars", hex32 + "0"},
		{"not_hex", "g" + hex32[1:]},
		{"traversal", "../../../../v3/auth/tokens"},
	}
	badInstance = []struct{ name, id string }{
		{"slash", "a/b"},
		{"dot_dot", ".."},
		{"dot", "a.b"},
		{"percent", "%2F"},
		{"space", "a b"},
		{"newline", "a\nb"},
		{"query", "a?x=1"},
		{"fullwidth", "ａ"},
		{"65_chars", id65},
		{"not_utf8", notUTF8},
	}
)

// idCase is a bad (project_id, instance_id) pair and its violations.
type idCase struct {
	name, project, instance string
	bad                     []string
}

// badIDs are the ID cases every RPC naming an instance shares.
func badIDs() []idCase {
	out := []idCase{
		{"both_empty", "", "", []string{required("project_id"), required("instance_id")}},
		{"project_empty", "", stopped, []string{required("project_id")}},
		{"instance_empty", project, "", []string{required("instance_id")}},
		{"both_bad", strings.ToUpper(project), "a/b", []string{malformed("project_id"), malformed("instance_id")}},
	}
	for _, p := range badProject {
		out = append(out, idCase{"project_" + p.name, p.id, stopped, []string{malformed("project_id")}})
	}
	for _, i := range badInstance {
		out = append(out, idCase{"instance_" + i.name, project, i.id, []string{malformed("instance_id")}})
	}
	return out
}
