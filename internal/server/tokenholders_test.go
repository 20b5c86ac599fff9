package server_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/devenv-facade/devenv-facade/internal/options"

	"github.com/devenv-facade/devenv-facade/internal/clock"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/grpc/status"

	devenvv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/devenv/v1"
	"github.com/devenv-facade/devenv-facade/internal/callerauth"
	"github.com/devenv-facade/devenv-facade/internal/cloudauth"
	"github.com/devenv-facade/devenv-facade/internal/emulator"
	"github.com/devenv-facade/devenv-facade/internal/iamtoken"
	"github.com/devenv-facade/devenv-facade/internal/logbuf"
	"github.com/devenv-facade/devenv-facade/internal/server"
	"github.com/devenv-facade/devenv-facade/internal/statustest"
)

// facadeToken is the facade's own credential in these tests, distinct from
// every caller's, so that the emulator's request log tells whose
// credentials each request carried.
const facadeToken = "facade-own-token"

// holderFacade is a facade with caller authentication (one listed caller,
// "ci", bearer "good-token", every project), its own credentials
// (facadeToken) and the given token-holder policy, in front of emu; with
// ValidateTokenHolders, token holders' tokens are checked by emu's IAM on
// clock. Its log goes to the returned buffer.
type holderFacade struct {
	*instance
	emu  *emulator.Server
	logs *logbuf.Buffer
	iam  string // the emulator's IAM endpoint
}

func startHolderFacade(t *testing.T, emu *emulator.Server, policy callerauth.TokenHolderPolicy, clk clock.Clock) *holderFacade {
	t.Helper()
	path := filepath.Join(t.TempDir(), "callers.yaml")
	sum := sha256.Sum256([]byte("good-token"))
	writeTestFile(t, path, "callers: [{name: ci, token_sha256: "+hex.EncodeToString(sum[:])+", projects: ['*']}]\n")
	h := &holderFacade{emu: emu, logs: &logbuf.Buffer{}}
	h.instance = startFacade(t, emu, func(o *server.Options) {
		o.Credentials = cloudauth.Token(facadeToken)
		o.Logger = slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		h.iam = o.Endpoint + "/v3"
		callerOpts := callerauth.Options{TokenHolders: policy}
		if policy == callerauth.ValidateTokenHolders {
			callerOpts.TokenValidator = iamValidator(t, h.iam, iamtoken.Options{Clock: clk})
		}
		o.Callers = loadCallers(t, path, callerOpts)
	})
	return h
}

// modelArtsRequests returns the requests ModelArts (not IAM) received.
func modelArtsRequests(emu *emulator.Server) []emulator.Request {
	var out []emulator.Request
	for _, r := range emu.Requests() {
		if strings.HasPrefix(r.Path, "/v1/") {
			out = append(out, r)
		}
	}
	return out
}

// vendorCall sends what a vendor client sends: the method and path, the
// given headers (X-Auth-Token, or a signature), a JSON body if any; it
// returns the status, headers and raw body.
func vendorCall(t *testing.T, method, url string, header map[string]string, body string) (int, http.Header, []byte) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "python-otcextensions/0.30 keystoneauth1")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, raw
}

func errorBody(t *testing.T, raw []byte) map[string]string {
	t.Helper()
	var b map[string]string
	if err := json.Unmarshal(raw, &b); err != nil {
		t.Fatalf("error body %q: %v", raw, err)
	}
	return b
}

// TestTokenHolders_forward: with caller authentication on and token holders
// forwarded, a vendor client that sends nothing but its X-Auth-Token works
// over REST and gRPC (the SDK's find: a GET, then the DELETE), runs on that
// token only, and is logged and reported as the token holder; a listed
// caller still runs on the facade's credentials; a call with neither is
// refused as before.
func TestTokenHolders_forward(t *testing.T) {
	t.Parallel()
	emu := emulator.MustNew(emulator.Options{})
	f := startHolderFacade(t, emu, callerauth.ForwardTokenHolders, nil)
	const own = "MIIvendor-client-token"
	base := f.httpURL + "/v1/" + project + "/demanager/instances/"

	// REST, as the OTC SDK deletes: GET the instance, then DELETE it.
	for _, step := range []struct{ method, path string }{{http.MethodGet, stopped}, {http.MethodDelete, stopped}} {
		code, hdr, raw := vendorCall(t, step.method, base+step.path, map[string]string{"X-Auth-Token": own}, "")
		if code != http.StatusOK || hdr.Get("X-Request-Id") == "" {
			t.Fatalf("%s with X-Auth-Token only: %d %s", step.method, code, raw)
		}
	}
	// A ModelArts error keeps ModelArts' shape, and ErrorInfo says who.
	code, _, raw := vendorCall(t, http.MethodDelete, base+running, map[string]string{"X-Auth-Token": own}, "")
	if code != http.StatusBadRequest || errorBody(t, raw)["error_code"] != "ModelArts.6304" {
		t.Errorf("DELETE of a running instance: %d %s; want ModelArts' 400 6304", code, raw)
	}
	// gRPC, with x-auth-token metadata only.
	ctx := metadata.AppendToOutgoingContext(t.Context(), "x-auth-token", own)
	if _, err := f.client.GetInstance(ctx, &devenvv1.GetInstanceRequest{ProjectId: project, InstanceId: running}); err != nil {
		t.Errorf("gRPC GetInstance with x-auth-token only: %v", err)
	}
	_, err := f.client.DeleteInstance(ctx, &devenvv1.DeleteInstanceRequest{ProjectId: project, InstanceId: running})
	md := statustest.Error(t, err).Metadata()
	if status.Code(err) != codes.FailedPrecondition || md["caller"] != "token-holder" || md["credentials"] != "caller" {
		t.Errorf("gRPC delete of a running instance: %v %v; want FAILED_PRECONDITION, caller token-holder, credentials caller", err, md)
	}
	holderRequests := len(modelArtsRequests(emu))
	for _, r := range modelArtsRequests(emu) {
		if got := r.Header.Get("X-Auth-Token"); got != own || r.Header.Get("Authorization") != "" {
			t.Errorf("%s %s reached ModelArts with X-Auth-Token %q, Authorization %q; want the caller's token only", r.Method, r.Path, got, r.Header.Get("Authorization"))
		}
	}
	if holderRequests != 5 {
		t.Errorf("ModelArts received %d requests; want 5", holderRequests)
	}

	// A listed caller keeps running on the facade's credentials.
	bearer := metadata.AppendToOutgoingContext(t.Context(), "authorization", "Bearer good-token")
	if _, err := f.client.GetInstance(bearer, &devenvv1.GetInstanceRequest{ProjectId: project, InstanceId: running}); err != nil {
		t.Errorf("listed caller: %v", err)
	}
	if reqs := modelArtsRequests(emu); len(reqs) != holderRequests+1 || reqs[len(reqs)-1].Header.Get("X-Auth-Token") != facadeToken {
		t.Errorf("the listed caller's request did not carry the facade's token")
	}

	// Neither a bearer token nor its own token: refused, nothing sent.
	if _, err := f.client.GetInstance(t.Context(), &devenvv1.GetInstanceRequest{ProjectId: project, InstanceId: running}); status.Code(err) != codes.Unauthenticated {
		t.Errorf("gRPC with no credentials: %v; want UNAUTHENTICATED", err)
	}
	code, hdr, raw := vendorCall(t, http.MethodGet, base+running, nil, "")
	if code != http.StatusUnauthorized || errorBody(t, raw)["error_code"] != "Facade.CALLER_UNAUTHENTICATED" || hdr.Get("X-Request-Id") == "" {
		t.Errorf("REST with no credentials: %d %s", code, raw)
	}
	if n := len(modelArtsRequests(emu)); n != holderRequests+1 {
		t.Errorf("refused calls reached ModelArts (%d requests)", n)
	}

	// The log says who each call ran as, and never holds a token.
	logs := f.logs.String()
	if !strings.Contains(logs, "caller=token-holder") || !strings.Contains(logs, "credentials=caller") ||
		!strings.Contains(logs, "caller=ci") || !strings.Contains(logs, "credentials=facade") {
		t.Errorf("the log lines do not say who the calls ran as:\n%s", logs)
	}
	for _, secret := range []string{own, facadeToken, "good-token"} {
		if strings.Contains(logs, secret) {
			t.Errorf("the log holds %q", secret)
		}
	}
}

// TestSignedRequestsAreRefused: a request signed with an access key, as the
// vendor's SDKs sign them, is refused with a vendor-shaped 401 that says to
// send a token, on a secured facade and on an open one; it never reaches
// ModelArts, signed or on the facade's credentials.
func TestSignedRequestsAreRefused(t *testing.T) {
	t.Parallel()
	signer, err := cloudauth.NewSigner("CALLERAK0000000000001", "caller-secret-key-000000000000000000001", cloudauth.FormCredential, "", "")
	if err != nil {
		t.Fatal(err)
	}
	emuSecured, emuOpen := emulator.MustNew(emulator.Options{}), emulator.MustNew(emulator.Options{})
	secured := startHolderFacade(t, emuSecured, callerauth.ForwardTokenHolders, nil)
	open := startFacade(t, emuOpen, func(o *server.Options) { o.Credentials = cloudauth.Token(facadeToken) })
	for _, f := range []struct {
		name    string
		url     string
		emu     *emulator.Server
		advises string
	}{{"secured", secured.httpURL, emuSecured, "X-Auth-Token"}, {"open", open.httpURL, emuOpen, "X-Auth-Token"}} {
		for _, method := range []string{http.MethodGet, http.MethodDelete} {
			req, err := http.NewRequestWithContext(t.Context(), method, f.url+"/v1/"+project+"/demanager/instances/"+stopped, nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-Request-Id", "signed-"+f.name)
			if err := cloudauth.NewAKSK(signer, "").Authenticate(t.Context(), req); err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(req.Header.Get("Authorization"), "SDK-HMAC-SHA256 Credential=CALLERAK") {
				t.Fatalf("not signed: %q", req.Header.Get("Authorization"))
			}
			tr := &http.Transport{}
			resp, err := (&http.Client{Transport: tr}).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			tr.CloseIdleConnections()
			b := errorBody(t, raw)
			if resp.StatusCode != http.StatusUnauthorized || b["error_code"] != "Facade.SIGNATURE_NOT_ACCEPTED" ||
				!strings.Contains(b["error_message"], f.advises) || resp.Header.Get("X-Request-Id") != "signed-"+f.name ||
				resp.Header.Get("Content-Type") != "application/json" || bytes.HasSuffix(raw, []byte("\n")) {
				t.Errorf("%s facade, signed %s: %d %v %s; want 401 Facade.SIGNATURE_NOT_ACCEPTED advising %s, with the request ID", f.name, method, resp.StatusCode, resp.Header, raw, f.advises)
			}
			if strings.Contains(string(raw), "CALLERAK") || strings.Contains(string(raw), req.Header.Get("Authorization")[60:]) {
				t.Errorf("the answer repeats the signature: %s", raw)
			}
		}
		if n := len(modelArtsRequests(f.emu)); n != 0 {
			t.Errorf("%s facade: signed requests reached ModelArts (%d)", f.name, n)
		}
	}
	// gRPC callers that sign get the same answer.
	ctx := metadata.AppendToOutgoingContext(t.Context(), "authorization", "SDK-HMAC-SHA256 Access=CALLERAK, SignedHeaders=x-sdk-date, Signature=00")
	_, err = secured.client.GetInstance(ctx, &devenvv1.GetInstanceRequest{ProjectId: project, InstanceId: running})
	if status.Code(err) != codes.Unauthenticated || statustest.Error(t, err).Reason() != "SIGNATURE_NOT_ACCEPTED" {
		t.Errorf("gRPC signed call: %v; want UNAUTHENTICATED SIGNATURE_NOT_ACCEPTED", err)
	}
}

// listServices asks f's server reflection, with the given metadata, for
// the services it serves; a refusal is the server's status.
func listServices(ctx context.Context, f *holderFacade, md ...string) ([]string, error) {
	ctx, cancel := context.WithCancel(metadata.AppendToOutgoingContext(ctx, md...))
	defer cancel()
	stream, err := reflectionpb.NewServerReflectionClient(f.conn).ServerReflectionInfo(ctx)
	if err != nil {
		return nil, err
	}
	// A refused stream may end before the request is sent: Send then says
	// io.EOF, and the server's status comes from Recv (grpc.ClientStream).
	if err := stream.Send(&reflectionpb.ServerReflectionRequest{MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{}}); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	resp, err := stream.Recv()
	if err != nil {
		return nil, err
	}
	var names []string
	for _, s := range resp.GetListServicesResponse().GetService() {
		names = append(names, s.GetName())
	}
	return names, stream.CloseSend()
}

// TestTokenHolders_reflection: a token holder lists the API with server
// reflection, as grpcurl does with -H "x-auth-token: ...": under forward
// with any token, under validate with a token IAM accepts; a token IAM
// refuses and a call without credentials are refused; ModelArts hears of
// none of it.
func TestTokenHolders_reflection(t *testing.T) {
	t.Parallel()
	emuForward := emulator.MustNew(emulator.Options{})
	forward := startHolderFacade(t, emuForward, callerauth.ForwardTokenHolders, nil)
	emuValidate := emulator.MustNew(emulator.Options{IAMUsers: []emulator.IAMUser{{Name: "alice", Password: "alice-pw", Domain: "acme"}}})
	validate := startHolderFacade(t, emuValidate, callerauth.ValidateTokenHolders, nil)
	accepted := issueToken(t, validate.iam, "eu-de")
	for _, tt := range []struct {
		name       string
		f          *holderFacade
		md         []string
		wantReason string // "" when it lists the API
	}{
		{"forward", forward, []string{"x-auth-token", "MIIany-token"}, ""},
		{"forward/bearer", forward, []string{"authorization", "Bearer good-token"}, ""},
		{"forward/nothing", forward, nil, "CALLER_UNAUTHENTICATED"},
		{"validate", validate, []string{"x-auth-token", accepted}, ""},
		{"validate/forged", validate, []string{"x-auth-token", "MIIforged-token"}, "CALLER_TOKEN_REJECTED"},
	} {
		names, err := listServices(t.Context(), tt.f, tt.md...)
		if tt.wantReason == "" {
			if err != nil || !strings.Contains(strings.Join(names, ","), devenvv1.DevEnvService_ServiceDesc.ServiceName) {
				t.Errorf("%s: reflection lists %v, %v; want the API", tt.name, names, err)
			}
			continue
		}
		if status.Code(err) != codes.Unauthenticated || statustest.Error(t, err).Reason() != tt.wantReason {
			t.Errorf("%s: %v, %v; want UNAUTHENTICATED %s", tt.name, names, err, tt.wantReason)
		}
	}
	for _, emu := range []*emulator.Server{emuForward, emuValidate} {
		if n := len(modelArtsRequests(emu)); n != 0 {
			t.Errorf("reflection sent %d requests to ModelArts", n)
		}
	}
}

// TestNew_tokenHoldersNeedPassthrough: callers admitted on their own
// token cannot be combined with ignoring callers' tokens; New says so,
// naming both options.
func TestNew_tokenHoldersNeedPassthrough(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "callers.yaml")
	writeTestFile(t, path, "callers: []\n")
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	opts := server.Options{GRPCListener: lis, Endpoint: "http://127.0.0.1:1", DisableTokenPassthrough: true, // New closes lis
		Callers: loadCallers(t, path, callerauth.Options{TokenHolders: callerauth.ForwardTokenHolders})}
	_, err = server.New(opts)
	var oe *options.Error
	if !errors.As(err, &oe) || !slices.Equal(oe.Fields(), []string{"Callers.TokenHolders", "DisableTokenPassthrough"}) {
		t.Errorf("New: %v; want an *options.Error naming Callers.TokenHolders and DisableTokenPassthrough", err)
	}
}

// loadCallers loads the callers file at path with opts.
func loadCallers(t *testing.T, path string, opts callerauth.Options) *callerauth.Authenticator {
	t.Helper()
	callers, err := callerauth.Load(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	return callers
}
