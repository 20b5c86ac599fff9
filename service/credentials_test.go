package service_test

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	devenvv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/devenv/v1"
	"github.com/devenv-facade/devenv-facade/internal/apierror"
	"github.com/devenv-facade/devenv-facade/internal/callctx"
	"github.com/devenv-facade/devenv-facade/internal/cloudauth"
	"github.com/devenv-facade/devenv-facade/internal/emulator"
	"github.com/devenv-facade/devenv-facade/internal/logbuf"
	"github.com/devenv-facade/devenv-facade/internal/modelarts"
	"github.com/devenv-facade/devenv-facade/internal/statustest"
	"github.com/devenv-facade/devenv-facade/service"
)

// testIdentityKey is metadata the test harness turns into the identity
// caller authentication would have recorded: a caller's name, or
// callctx.TokenHolder for a token holder.
const testIdentityKey = "x-test-identity"

// startIdentified serves the service as the server does with caller
// authentication: the service's interceptor, then one that records the
// call's identity (here from test metadata), then the handler.
func startIdentified(t *testing.T, emu *emulator.Server, svcOpts service.Options) (devenvv1.DevEnvServiceClient, *logbuf.Buffer) {
	t.Helper()
	up := httptest.NewServer(emu)
	t.Cleanup(up.Close)
	mc, err := modelarts.NewClient(up.Client(), up.URL, modelarts.Options{Credentials: cloudauth.Token("facade-own-token")})
	if err != nil {
		t.Fatal(err)
	}
	logs := &logbuf.Buffer{}
	svcOpts.Logger = slog.New(slog.NewJSONHandler(logs, nil))
	svc, err := service.New(mc, svcOpts)
	if err != nil {
		t.Fatal(err)
	}
	identify := func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		if v := metadata.ValueFromIncomingContext(ctx, testIdentityKey); len(v) > 0 {
			ctx = callctx.WithIdentity(ctx, callctx.Identity{Name: v[0], TokenOnly: v[0] == callctx.TokenHolder})
		}
		return h(ctx, req)
	}
	conn := serveLoopback(t, svc, grpc.ChainUnaryInterceptor(svc.UnaryInterceptor(), identify))
	return devenvv1.NewDevEnvServiceClient(conn), logs
}

// TestCredentialChoice: whose credentials each kind of call runs on, what
// ErrorInfo and the log line say about it, and that a call admitted on its
// own token can never run on the facade's.
func TestCredentialChoice(t *testing.T) {
	t.Parallel()
	const own = "MIIcaller-own-token"
	signed := "SDK-HMAC-SHA256 Access=AK, SignedHeaders=x-sdk-date, Signature=404ea51e128690dcbc68cbd7251d668d78f339fd51e1abc1d3a30e7b56728ecf"
	tests := []struct {
		name         string
		svcOpts      service.Options
		md           []string
		wantCode     codes.Code // deleting the running sample: FAILED_PRECONDITION once ModelArts answers
		wantReason   string
		wantUpstream string // the X-Auth-Token ModelArts saw; "" for no request
		wantCaller   string // ErrorInfo caller
		wantCreds    string // ErrorInfo and log credentials
	}{
		{"no_caller_auth/facade", service.Options{}, nil, codes.FailedPrecondition, "INSTANCE_RUNNING", "facade-own-token", "", "facade"},
		{"no_caller_auth/passthrough", service.Options{}, []string{"x-auth-token", own}, codes.FailedPrecondition, "INSTANCE_RUNNING", own, "", "caller"},
		{"no_caller_auth/passthrough_off", service.Options{DisableTokenPassthrough: true}, []string{"x-auth-token", own}, codes.FailedPrecondition, "INSTANCE_RUNNING", "facade-own-token", "", "facade"},
		{"no_caller_auth/signed", service.Options{}, []string{"authorization", signed}, codes.Unauthenticated, apierror.ReasonSignatureNotAccepted, "", "", ""},
		{"caller_auth/listed_caller", service.Options{CallerAuthentication: true}, []string{testIdentityKey, "alice"}, codes.FailedPrecondition, "INSTANCE_RUNNING", "facade-own-token", "alice", "facade"},
		{"caller_auth/listed_caller_own_token", service.Options{CallerAuthentication: true}, []string{testIdentityKey, "alice", "x-auth-token", own}, codes.FailedPrecondition, "INSTANCE_RUNNING", own, "alice", "caller"},
		{"caller_auth/token_holder", service.Options{CallerAuthentication: true}, []string{testIdentityKey, callctx.TokenHolder, "x-auth-token", own}, codes.FailedPrecondition, "INSTANCE_RUNNING", own, callctx.TokenHolder, "caller"},
		{"caller_auth/token_holder_despite_passthrough_off", service.Options{CallerAuthentication: true, DisableTokenPassthrough: true}, []string{testIdentityKey, callctx.TokenHolder, "x-auth-token", own}, codes.FailedPrecondition, "INSTANCE_RUNNING", own, callctx.TokenHolder, "caller"},
		{"caller_auth/token_holder_without_token", service.Options{CallerAuthentication: true}, []string{testIdentityKey, callctx.TokenHolder}, codes.Unauthenticated, apierror.ReasonCallerUnauthenticated, "", callctx.TokenHolder, ""},
		{"caller_auth/token_holder_malformed_token", service.Options{CallerAuthentication: true}, []string{testIdentityKey, callctx.TokenHolder, "x-auth-token", "two words"}, codes.InvalidArgument, apierror.ReasonInvalidArgument, "", "", ""},
		{"caller_auth/no_identity", service.Options{CallerAuthentication: true}, []string{"x-auth-token", own}, codes.Unauthenticated, apierror.ReasonCallerUnauthenticated, "", "", ""},
		{"caller_auth/signed_token_holder", service.Options{CallerAuthentication: true}, []string{testIdentityKey, callctx.TokenHolder, "x-auth-token", own, "authorization", signed}, codes.Unauthenticated, apierror.ReasonSignatureNotAccepted, "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			emu := emulator.MustNew(emulator.Options{})
			client, logs := startIdentified(t, emu, tt.svcOpts)
			ctx := t.Context()
			if tt.md != nil {
				ctx = metadata.AppendToOutgoingContext(ctx, tt.md...)
			}
			_, err := client.DeleteInstance(ctx, &devenvv1.DeleteInstanceRequest{ProjectId: project, InstanceId: running})
			if status.Code(err) != tt.wantCode {
				t.Fatalf("code %v (%v); want %v", status.Code(err), err, tt.wantCode)
			}
			info := statustest.Error(t, err)
			md := info.Metadata()
			if info.Reason() != tt.wantReason || md[apierror.MetadataCaller] != tt.wantCaller || md[apierror.MetadataCredentials] != tt.wantCreds {
				t.Errorf("ErrorInfo %s %v; want reason %s, caller %q, credentials %q", info.Reason(), md, tt.wantReason, tt.wantCaller, tt.wantCreds)
			}
			reqs := emu.Requests()
			switch {
			case tt.wantUpstream == "" && len(reqs) != 0:
				t.Errorf("ModelArts received %d requests; want none", len(reqs))
			case tt.wantUpstream != "" && (len(reqs) != 1 || reqs[0].Header.Get("X-Auth-Token") != tt.wantUpstream):
				t.Errorf("ModelArts saw %v; want one request with X-Auth-Token %q", reqs, tt.wantUpstream)
			}
			line := logs.String()
			if tt.wantCreds != "" && !strings.Contains(line, `"credentials":"`+tt.wantCreds+`"`) {
				t.Errorf("the log line does not say credentials %s: %s", tt.wantCreds, line)
			}
			for _, secret := range []string{own, "facade-own-token", "404ea51e"} {
				if strings.Contains(line, secret) || strings.Contains(err.Error(), secret) {
					t.Errorf("%q leaked: %s %v", secret, line, err)
				}
			}
		})
	}
}
