package callerauth_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/devenv-facade/devenv-facade/internal/options"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/tap"
	"google.golang.org/protobuf/encoding/prototext"

	devenvv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/devenv/v1"
	"github.com/devenv-facade/devenv-facade/internal/apierror"
	"github.com/devenv-facade/devenv-facade/internal/callctx"
	"github.com/devenv-facade/devenv-facade/internal/callerauth"
	"github.com/devenv-facade/devenv-facade/internal/iamtoken"
	"github.com/devenv-facade/devenv-facade/internal/statustest"
)

const (
	holderToken = "MIIholder-token"
	signature   = "SDK-HMAC-SHA256 Access=HOLDERAK, SignedHeaders=host;x-sdk-date, Signature=404ea51e128690dcbc68cbd7251d668d78f339fd51e1abc1d3a30e7b56728ecf"
)

// fakeValidator answers as IAM would for the tokens it knows: holderToken
// is scoped to projectA, "unscoped" to no project, "down" finds IAM
// unreachable, "busy" finds too many checks under way, anything else is
// refused.
type fakeValidator struct{ calls atomic.Int32 }

// Accepted vouches for holderToken only.
func (v *fakeValidator) Accepted(key iamtoken.Key) bool { return key == iamtoken.KeyOf(holderToken) }

func (v *fakeValidator) Validate(_ context.Context, token string) (iamtoken.Scope, error) {
	v.calls.Add(1)
	exp := time.Now().Add(time.Hour)
	switch token {
	case holderToken:
		return iamtoken.Scope{ProjectID: projectA, ProjectName: "eu-de", ExpiresAt: exp}, nil
	case "unscoped":
		return iamtoken.Scope{ExpiresAt: exp}, nil
	case "down":
		return iamtoken.Scope{}, iamtoken.ErrUnavailable
	case "busy":
		return iamtoken.Scope{}, iamtoken.ErrBusy
	}
	return iamtoken.Scope{}, &iamtoken.RejectedError{HTTPStatus: 401, Why: "IAM answered HTTP 401"}
}

func TestTokenHolderPolicy_names(t *testing.T) {
	t.Parallel()
	for i, name := range callerauth.TokenHolderPolicies() {
		p, err := callerauth.ParseTokenHolderPolicy(name)
		if err != nil || int(p) != i || p.String() != name {
			t.Errorf("%q: %v, %v", name, p, err)
		}
	}
	if _, err := callerauth.ParseTokenHolderPolicy("allow"); err == nil {
		t.Error("an unknown policy was accepted")
	}
	if got := callerauth.TokenHolderPolicy(7).String(); got != "TokenHolderPolicy(7)" {
		t.Errorf("String of an unknown policy = %q", got)
	}
}

func TestLoad_tokenHolderOptions(t *testing.T) {
	t.Parallel()
	path := writeFile(t, callersFile())
	a, err := callerauth.Load(path, callerauth.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if a.TokenHolders() != callerauth.RefuseTokenHolders {
		t.Errorf("default policy %v; want refuse", a.TokenHolders())
	}
	v := &fakeValidator{}
	for _, tt := range []struct {
		p  callerauth.TokenHolderPolicy
		v  callerauth.TokenValidator
		ok bool
	}{
		{callerauth.RefuseTokenHolders, nil, true},
		{callerauth.ForwardTokenHolders, nil, true},
		{callerauth.ValidateTokenHolders, v, true},
		{callerauth.ValidateTokenHolders, nil, false},
		{callerauth.ForwardTokenHolders, v, false},
		{callerauth.TokenHolderPolicy(9), nil, false},
	} {
		a, err := callerauth.Load(path, callerauth.Options{TokenHolders: tt.p, TokenValidator: tt.v})
		var oe *options.Error
		switch {
		case tt.ok && (err != nil || a.TokenHolders() != tt.p):
			t.Errorf("Load with policy %v, validator %v: %v; want the policy in force", tt.p, tt.v != nil, err)
		case !tt.ok && (!errors.As(err, &oe) || !slices.Contains(oe.Fields(), "TokenHolders")):
			t.Errorf("Load with policy %v, validator %v: %v; want an *options.Error naming TokenHolders", tt.p, tt.v != nil, err)
		}
	}
}

func TestLoad_reservesTheTokenHolderName(t *testing.T) {
	t.Parallel()
	_, err := callerauth.Load(writeFile(t, "callers: [{name: token-holder, token_sha256: "+hash("x")+", projects: ['*']}]\n"), callerauth.Options{})
	if err == nil || !strings.Contains(err.Error(), "reserved") {
		t.Errorf("a caller named token-holder: %v; want refused as reserved", err)
	}
}

// TestTokenHolders_unary: under each policy, what becomes of calls with a
// bearer token, their own X-Auth-Token, both, neither, or a signature; who
// they run as; and that IAM is asked only when the policy validates, and
// only about well-formed tokens of calls with no listed identity.
func TestTokenHolders_unary(t *testing.T) {
	t.Parallel()
	deleteInfo := &grpc.UnaryServerInfo{FullMethod: devenvv1.DevEnvService_DeleteInstance_FullMethodName}
	type want struct {
		code      codes.Code
		reason    string
		identity  callctx.Identity // when the call is let through
		iamCalled bool
	}
	holder := callctx.Identity{Name: callctx.TokenHolder, TokenOnly: true}
	refusedNoID := want{code: codes.Unauthenticated, reason: apierror.ReasonCallerUnauthenticated}
	refusedSigned := want{code: codes.Unauthenticated, reason: apierror.ReasonSignatureNotAccepted}
	tests := []struct {
		name    string
		policy  callerauth.TokenHolderPolicy
		md      []string
		project string
		want    want
	}{
		{"refuse/bearer", callerauth.RefuseTokenHolders, []string{"authorization", "Bearer alice-token"}, projectA, want{identity: callctx.Identity{Name: "alice"}}},
		{"refuse/own_token", callerauth.RefuseTokenHolders, []string{"x-auth-token", holderToken}, projectA, refusedNoID},
		{"refuse/signed", callerauth.RefuseTokenHolders, []string{"authorization", signature}, projectA, refusedSigned},
		{"forward/own_token", callerauth.ForwardTokenHolders, []string{"x-auth-token", holderToken}, projectA, want{identity: holder}},
		{"forward/own_token_any_project", callerauth.ForwardTokenHolders, []string{"x-auth-token", holderToken}, projectB, want{identity: holder}},
		{"forward/bearer_and_own_token_is_the_listed_caller", callerauth.ForwardTokenHolders, []string{"authorization", "Bearer alice-token", "x-auth-token", holderToken}, projectA, want{identity: callctx.Identity{Name: "alice"}}},
		{"forward/bearer_outside_projects_does_not_fall_back", callerauth.ForwardTokenHolders, []string{"authorization", "Bearer alice-token", "x-auth-token", holderToken}, projectB, want{code: codes.PermissionDenied, reason: apierror.ReasonProjectNotPermitted}},
		{"forward/unknown_bearer_does_not_fall_back", callerauth.ForwardTokenHolders, []string{"authorization", "Bearer nope", "x-auth-token", holderToken}, projectA, refusedNoID},
		{"forward/neither", callerauth.ForwardTokenHolders, nil, projectA, refusedNoID},
		{"forward/empty_own_token", callerauth.ForwardTokenHolders, []string{"x-auth-token", ""}, projectA, refusedNoID},
		{"forward/signed", callerauth.ForwardTokenHolders, []string{"authorization", signature}, projectA, refusedSigned},
		{"forward/signed_with_own_token", callerauth.ForwardTokenHolders, []string{"authorization", signature, "x-auth-token", holderToken}, projectA, refusedSigned},
		{"validate/own_token_its_project", callerauth.ValidateTokenHolders, []string{"x-auth-token", holderToken}, projectA, want{identity: holder, iamCalled: true}},
		{"validate/own_token_other_project", callerauth.ValidateTokenHolders, []string{"x-auth-token", holderToken}, projectB, want{code: codes.PermissionDenied, reason: apierror.ReasonProjectNotPermitted, iamCalled: true}},
		{"validate/rejected_token", callerauth.ValidateTokenHolders, []string{"x-auth-token", "forged"}, projectA, want{code: codes.Unauthenticated, reason: apierror.ReasonCallerTokenRejected, iamCalled: true}},
		{"validate/unscoped_token", callerauth.ValidateTokenHolders, []string{"x-auth-token", "unscoped"}, projectA, want{code: codes.Unauthenticated, reason: apierror.ReasonCallerTokenRejected, iamCalled: true}},
		{"validate/iam_down", callerauth.ValidateTokenHolders, []string{"x-auth-token", "down"}, projectA, want{code: codes.Unavailable, reason: apierror.ReasonIAMUnavailable, iamCalled: true}},
		{"validate/too_many_checks", callerauth.ValidateTokenHolders, []string{"x-auth-token", "busy"}, projectA, want{code: codes.ResourceExhausted, reason: apierror.ReasonOverloaded, iamCalled: true}},
		{"validate/malformed_token_not_sent_to_iam", callerauth.ValidateTokenHolders, []string{"x-auth-token", "has space"}, projectA, want{code: codes.InvalidArgument, reason: apierror.ReasonInvalidArgument}},
		{"validate/listed_caller_not_validated", callerauth.ValidateTokenHolders, []string{"authorization", "Bearer alice-token", "x-auth-token", "forged"}, projectA, want{identity: callctx.Identity{Name: "alice"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v := &fakeValidator{}
			var validator callerauth.TokenValidator
			if tt.policy == callerauth.ValidateTokenHolders {
				validator = v
			}
			a, err := callerauth.Load(writeFile(t, callersFile()), callerauth.Options{TokenHolders: tt.policy, TokenValidator: validator})
			if err != nil {
				t.Fatal(err)
			}
			ctx := callctx.NewContext(t.Context(), callctx.New("rid"))
			if tt.md != nil {
				ctx = metadata.NewIncomingContext(ctx, metadata.Pairs(tt.md...))
			}
			var got callctx.Identity
			called := false
			_, err = a.UnaryInterceptor()(ctx, &devenvv1.DeleteInstanceRequest{ProjectId: tt.project, InstanceId: "x"}, deleteInfo,
				func(ctx context.Context, _ any) (any, error) {
					called = true
					got, _ = callctx.IdentityFrom(ctx)
					return nil, nil
				})
			if status.Code(err) != tt.want.code {
				t.Fatalf("code %v (%v); want %v", status.Code(err), err, tt.want.code)
			}
			if called != (tt.want.code == codes.OK) {
				t.Errorf("handler called %v", called)
			}
			if called && got != tt.want.identity {
				t.Errorf("identity %+v; want %+v", got, tt.want.identity)
			}
			if err != nil {
				info := statustest.Error(t, err)
				if info.Reason() != tt.want.reason {
					t.Errorf("reason %q; want %q", info.Reason(), tt.want.reason)
				}
				if d := info.RetryDelay(); (d > 0) != (tt.want.code == codes.ResourceExhausted) {
					t.Errorf("RetryInfo delay %v; want one exactly when the call is shed", d)
				}
				if tt.want.iamCalled && info.Metadata()[apierror.MetadataCaller] != callctx.TokenHolder {
					t.Errorf("ErrorInfo caller %q; want %q", info.Metadata()[apierror.MetadataCaller], callctx.TokenHolder)
				}
				for _, secret := range []string{holderToken, "alice-token", "Signature=404e"} {
					if strings.Contains(err.Error(), secret) || strings.Contains(prototext.Format(status.Convert(err).Proto()), secret) {
						t.Errorf("the error carries %q: %v", secret, err)
					}
				}
			}
			if (v.calls.Load() > 0) != tt.want.iamCalled {
				t.Errorf("IAM asked %d times; want asked %v", v.calls.Load(), tt.want.iamCalled)
			}
		})
	}
}

// TestTokenHolders_tap: at the gRPC headers, a token holder is admitted for
// the API's methods and server reflection only, and a signed call is
// refused with its own reason.
func TestTokenHolders_tap(t *testing.T) {
	t.Parallel()
	a, err := callerauth.Load(writeFile(t, callersFile()), callerauth.Options{TokenHolders: callerauth.ForwardTokenHolders})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, method string
		md           metadata.MD
		wantReason   string // "" when admitted
	}{
		{"api_method", devenvv1.DevEnvService_GetInstance_FullMethodName, metadata.Pairs("x-auth-token", holderToken), ""},
		{"reflection", "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo", metadata.Pairs("x-auth-token", holderToken), ""},
		{"reflection_v1alpha", "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", metadata.Pairs("x-auth-token", holderToken), ""},
		{"reflection_without_token", "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo", metadata.MD{}, apierror.ReasonCallerUnauthenticated},
		{"other_service", "/grpc.channelz.v1.Channelz/GetTopChannels", metadata.Pairs("x-auth-token", holderToken), apierror.ReasonCallerUnauthenticated},
		{"lookalike_of_reflection", "/grpc.reflection.v1.ServerReflectionX/ServerReflectionInfo", metadata.Pairs("x-auth-token", holderToken), apierror.ReasonCallerUnauthenticated},
		{"no_token", devenvv1.DevEnvService_GetInstance_FullMethodName, metadata.MD{}, apierror.ReasonCallerUnauthenticated},
		{"signed", devenvv1.DevEnvService_GetInstance_FullMethodName, metadata.Pairs("authorization", signature, "x-auth-token", holderToken), apierror.ReasonSignatureNotAccepted},
	}
	for _, tt := range tests {
		ctx, err := a.Tap(t.Context(), &tap.Info{FullMethodName: tt.method, Header: tt.md})
		if tt.wantReason == "" {
			c, ok := callerauth.FromContext(ctx)
			if err != nil || !ok || !c.TokenHolder() || c.Name != callctx.TokenHolder {
				t.Errorf("%s: %v, caller %+v; want admitted as the token holder", tt.name, err, c)
			}
			continue
		}
		if got := statustest.Error(t, err).Reason(); got != tt.wantReason {
			t.Errorf("%s: %v; want reason %s", tt.name, err, tt.wantReason)
		}
	}
}

// TestTokenHolders_middleware: over REST, X-Auth-Token alone admits a token
// holder under the forward policy, nothing else; a signature is refused
// with the vendor's error shape, saying what to send instead.
func TestTokenHolders_middleware(t *testing.T) {
	t.Parallel()
	for _, policy := range []callerauth.TokenHolderPolicy{callerauth.RefuseTokenHolders, callerauth.ForwardTokenHolders} {
		a, err := callerauth.Load(writeFile(t, callersFile()), callerauth.Options{TokenHolders: policy})
		if err != nil {
			t.Fatal(err)
		}
		var reached *callerauth.Caller
		h := a.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			reached, _ = callerauth.FromContext(r.Context())
		}), func(w http.ResponseWriter, r *http.Request, err error) {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(statustest.Error(t, err).Reason() + ": " + status.Convert(err).Message()))
		})
		for _, tt := range []struct {
			name   string
			header map[string]string
			admit  bool
			reason string
		}{
			{"own_token", map[string]string{"X-Auth-Token": holderToken}, policy == callerauth.ForwardTokenHolders, apierror.ReasonCallerUnauthenticated},
			{"signed", map[string]string{"Authorization": signature, "X-Sdk-Date": "20191115T033655Z"}, false, apierror.ReasonSignatureNotAccepted},
			{"nothing", nil, false, apierror.ReasonCallerUnauthenticated},
		} {
			reached = nil
			req := httptest.NewRequest(http.MethodDelete, "/v1/"+projectA+"/demanager/instances/x", nil)
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			switch {
			case tt.admit && (reached == nil || !reached.TokenHolder()):
				t.Errorf("%v/%s: not admitted as the token holder: %d %s", policy, tt.name, rec.Code, rec.Body)
			case !tt.admit && (reached != nil || !strings.HasPrefix(rec.Body.String(), tt.reason+": ")):
				t.Errorf("%v/%s: %d %s; want refused with %s", policy, tt.name, rec.Code, rec.Body, tt.reason)
			}
			if tt.name == "signed" {
				wantHint := "X-Auth-Token"
				if policy == callerauth.RefuseTokenHolders {
					wantHint = "bearer token"
				}
				if !strings.Contains(rec.Body.String(), wantHint) || strings.Contains(rec.Body.String(), "404ea51e") {
					t.Errorf("%v/signed: %s; want advice naming %s and no signature", policy, rec.Body, wantHint)
				}
			}
		}
	}
}

// TestStandingOf: what the tap finds of a caller decides its standing: a
// listed caller by name, a token holder vouched for by IAM (validate, its
// token accepted before) by its token's hash, one not verified yet (any
// token under forward; an unknown one under validate), and health checks
// unidentified.
func TestStandingOf(t *testing.T) {
	t.Parallel()
	get := devenvv1.DevEnvService_GetInstance_FullMethodName
	holderKey := sha256.Sum256([]byte(holderToken))
	tests := []struct {
		name    string
		policy  callerauth.TokenHolderPolicy
		method  string
		md      metadata.MD
		want    callerauth.Standing
		wantKey string
	}{
		{"listed", callerauth.ForwardTokenHolders, get, metadata.Pairs("authorization", "Bearer alice-token"), callerauth.Listed, "alice"},
		{"listed_with_own_token", callerauth.ValidateTokenHolders, get, metadata.Pairs("authorization", "Bearer alice-token", "x-auth-token", holderToken), callerauth.Listed, "alice"},
		{"forward_holder", callerauth.ForwardTokenHolders, get, metadata.Pairs("x-auth-token", holderToken), callerauth.UnverifiedHolder, ""},
		{"validate_vouched_holder", callerauth.ValidateTokenHolders, get, metadata.Pairs("x-auth-token", holderToken), callerauth.VouchedHolder, string(holderKey[:])},
		{"validate_unknown_holder", callerauth.ValidateTokenHolders, get, metadata.Pairs("x-auth-token", "MIInew"), callerauth.UnverifiedHolder, ""},
		{"health", callerauth.ForwardTokenHolders, "/grpc.health.v1.Health/Check", metadata.MD{}, callerauth.Unidentified, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var v callerauth.TokenValidator
			if tt.policy == callerauth.ValidateTokenHolders {
				v = &fakeValidator{}
			}
			a, err := callerauth.Load(writeFile(t, callersFile()), callerauth.Options{TokenHolders: tt.policy, TokenValidator: v})
			if err != nil {
				t.Fatal(err)
			}
			ctx, err := a.Tap(t.Context(), &tap.Info{FullMethodName: tt.method, Header: tt.md})
			if err != nil {
				t.Fatal(err)
			}
			if got, key := callerauth.StandingOf(ctx); got != tt.want || key != tt.wantKey {
				t.Errorf("standing %d, key %q; want %d, %q", got, key, tt.want, tt.wantKey)
			}
		})
	}
}

// contextStream is a server stream that has nothing but its context.
type contextStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (s contextStream) Context() context.Context { return s.ctx }

// TestTokenHolders_reflection: server reflection, which describes the API
// and names no project, is open to token holders under forward and, under
// validate, to those whose token IAM accepts (of any project); other
// streaming methods stay closed to them, and refuse keeps refusing.
func TestTokenHolders_reflection(t *testing.T) {
	t.Parallel()
	const reflection = "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo"
	tests := []struct {
		name, method string
		policy       callerauth.TokenHolderPolicy
		token        string
		wantReason   string // "" when admitted
		iamCalled    bool
	}{
		{"refuse", reflection, callerauth.RefuseTokenHolders, holderToken, apierror.ReasonCallerUnauthenticated, false},
		{"forward", reflection, callerauth.ForwardTokenHolders, holderToken, "", false},
		{"forward/v1alpha", "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", callerauth.ForwardTokenHolders, holderToken, "", false},
		{"forward/no_token", reflection, callerauth.ForwardTokenHolders, "", apierror.ReasonCallerUnauthenticated, false},
		{"forward/other_stream", "/grpc.channelz.v1.Channelz/GetTopChannels", callerauth.ForwardTokenHolders, holderToken, apierror.ReasonCallerUnauthenticated, false},
		{"validate/accepted", reflection, callerauth.ValidateTokenHolders, holderToken, "", true},
		{"validate/accepted_unscoped", reflection, callerauth.ValidateTokenHolders, "unscoped", "", true},
		{"validate/rejected", reflection, callerauth.ValidateTokenHolders, "forged", apierror.ReasonCallerTokenRejected, true},
		{"validate/iam_down", reflection, callerauth.ValidateTokenHolders, "down", apierror.ReasonIAMUnavailable, true},
		{"validate/malformed", reflection, callerauth.ValidateTokenHolders, "has space", apierror.ReasonInvalidArgument, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v := &fakeValidator{}
			var validator callerauth.TokenValidator
			if tt.policy == callerauth.ValidateTokenHolders {
				validator = v
			}
			a, err := callerauth.Load(writeFile(t, callersFile()), callerauth.Options{TokenHolders: tt.policy, TokenValidator: validator})
			if err != nil {
				t.Fatal(err)
			}
			md := metadata.MD{}
			if tt.token != "" {
				md = metadata.Pairs("x-auth-token", tt.token)
			}
			// As the server runs them: the tap at the headers, then the
			// stream interceptor.
			ctx, err := a.Tap(callctx.NewContext(t.Context(), callctx.New("rid")), &tap.Info{FullMethodName: tt.method, Header: md})
			called := false
			if err == nil {
				ss := contextStream{ctx: metadata.NewIncomingContext(ctx, md)}
				err = a.StreamInterceptor()(nil, ss, &grpc.StreamServerInfo{FullMethod: tt.method, IsClientStream: true, IsServerStream: true},
					func(any, grpc.ServerStream) error { called = true; return nil })
			}
			switch {
			case tt.wantReason == "" && (err != nil || !called):
				t.Errorf("%v, handler called %v; want admitted", err, called)
			case tt.wantReason != "" && (called || statustest.Error(t, err).Reason() != tt.wantReason):
				t.Errorf("%v, handler called %v; want refused with %s", err, called, tt.wantReason)
			}
			if (v.calls.Load() > 0) != tt.iamCalled {
				t.Errorf("IAM asked %d times; want asked %v", v.calls.Load(), tt.iamCalled)
			}
		})
	}
}
