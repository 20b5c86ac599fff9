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
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

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

// issueToken asks the emulator's IAM for a token of alice's, scoped to the
// named project, as a vendor client does before calling ModelArts.
func issueToken(t *testing.T, iam, projectName string) string {
	t.Helper()
	body := `{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"alice","password":"alice-pw","domain":{"name":"acme"}}}},"scope":{"project":{"name":"` + projectName + `"}}}}`
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, iam+"/auth/tokens", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated || resp.Header.Get("X-Subject-Token") == "" {
		t.Fatalf("token request: %s", resp.Status)
	}
	return resp.Header.Get("X-Subject-Token")
}

// TestTokenHolders_validate: with validation on, a token IAM accepts for
// the path's project runs (on itself only); a forged token, one for
// another project or an expired one is refused before ModelArts is called;
// IAM is asked once per token until it expires (on the injected clock),
// however many calls bring it at once.
func TestTokenHolders_validate(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	other := strings.Repeat("e", 32)
	emu := emulator.MustNew(emulator.Options{Clock: clock, TokenLifetime: time.Hour, IAMUsers: []emulator.IAMUser{{Name: "alice", Password: "alice-pw", Domain: "acme"}}, Projects: map[string]string{"eu-nl": other}})
	f := startHolderFacade(t, emu, callerauth.ValidateTokenHolders, clock)
	sample, elsewhere := issueToken(t, f.iam, "eu-de"), issueToken(t, f.iam, "eu-nl")
	base := f.httpURL + "/v1/" + project + "/demanager/instances/"
	checks := func() int64 { return emu.TokenValidationCount() }

	// The token of the path's project: GET then DELETE, one IAM check.
	for _, method := range []string{http.MethodGet, http.MethodDelete} {
		if code, _, raw := vendorCall(t, method, base+stopped, map[string]string{"X-Auth-Token": sample}, ""); code != http.StatusOK {
			t.Fatalf("%s with a valid token: %d %s", method, code, raw)
		}
	}
	if n := checks(); n != 1 {
		t.Errorf("IAM checked the token %d times for two calls; want 1", n)
	}
	reached := len(modelArtsRequests(emu))
	for _, r := range modelArtsRequests(emu) {
		if r.Header.Get("X-Auth-Token") != sample {
			t.Errorf("ModelArts saw X-Auth-Token %q; want the caller's", r.Header.Get("X-Auth-Token"))
		}
	}

	// Refused before ModelArts: another project's token, a forged one.
	refusals := []struct {
		name, token string
		wantStatus  int
		wantCode    string
	}{
		{"other_project", elsewhere, http.StatusForbidden, "Facade.PROJECT_NOT_PERMITTED"},
		{"forged", "MIIforged-token", http.StatusUnauthorized, "Facade.CALLER_TOKEN_REJECTED"},
	}
	for _, tt := range refusals {
		code, hdr, raw := vendorCall(t, http.MethodDelete, base+running, map[string]string{"X-Auth-Token": tt.token, "X-Request-Id": "rid-" + tt.name}, "")
		if code != tt.wantStatus || errorBody(t, raw)["error_code"] != tt.wantCode || hdr.Get("X-Request-Id") != "rid-"+tt.name {
			t.Errorf("%s: %d %s; want %d %s", tt.name, code, raw, tt.wantStatus, tt.wantCode)
		}
		if strings.Contains(string(raw), tt.token) {
			t.Errorf("%s: the answer quotes the token", tt.name)
		}
	}
	ctx := metadata.AppendToOutgoingContext(t.Context(), "x-auth-token", elsewhere)
	_, err := f.client.DeleteInstance(ctx, &devenvv1.DeleteInstanceRequest{ProjectId: project, InstanceId: running})
	if info := statustest.Error(t, err); status.Code(err) != codes.PermissionDenied || info.Metadata()["caller"] != "token-holder" {
		t.Errorf("gRPC, other project's token: %v %v; want PERMISSION_DENIED for the token holder", err, info.Metadata())
	}
	if n := len(modelArtsRequests(emu)); n != reached {
		t.Errorf("refused tokens reached ModelArts (%d requests, want %d)", n, reached)
	}
	// The refusal and the other project's answer are remembered: no new
	// IAM check for them.
	before := checks()
	vendorCall(t, http.MethodDelete, base+running, map[string]string{"X-Auth-Token": "MIIforged-token"}, "")
	if n := checks(); n != before {
		t.Errorf("a refused token was checked again at once (%d checks, want %d)", n, before)
	}

	// Concurrent calls with a new token: one IAM check.
	fresh := issueToken(t, f.iam, "eu-de")
	before = checks()
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			ctx := metadata.AppendToOutgoingContext(context.Background(), "x-auth-token", fresh)
			if _, err := f.client.GetInstance(ctx, &devenvv1.GetInstanceRequest{ProjectId: project, InstanceId: running}); err != nil {
				t.Errorf("concurrent call: %v", err)
			}
		})
	}
	wg.Wait()
	if n := checks() - before; n != 1 {
		t.Errorf("10 concurrent calls with one token made %d IAM checks; want 1", n)
	}

	// Past the tokens' expiry (an hour on both clocks), IAM is asked again
	// and refuses them; ModelArts sees nothing.
	clock.Advance(time.Hour + time.Second)
	reached = len(modelArtsRequests(emu))
	before = checks()
	code, _, raw := vendorCall(t, http.MethodGet, base+running, map[string]string{"X-Auth-Token": sample}, "")
	if code != http.StatusUnauthorized || errorBody(t, raw)["error_code"] != "Facade.CALLER_TOKEN_REJECTED" {
		t.Errorf("expired token: %d %s; want 401 Facade.CALLER_TOKEN_REJECTED", code, raw)
	}
	if checks() != before+1 || len(modelArtsRequests(emu)) != reached {
		t.Errorf("expired token: %d IAM checks, %d ModelArts requests; want 1 and 0", checks()-before, len(modelArtsRequests(emu))-reached)
	}

	logs := f.logs.String()
	for _, secret := range []string{sample, elsewhere, fresh, facadeToken} {
		if strings.Contains(logs, secret) {
			t.Errorf("the log holds a token")
		}
	}
	if !strings.Contains(logs, "reason=CALLER_TOKEN_REJECTED") || !strings.Contains(logs, "caller=token-holder") {
		t.Errorf("the log does not show the refusal and who it was:\n%s", logs)
	}
}

// listServices asks f's server reflection, with the given metadata, for
// the services it serves.
func listServices(ctx context.Context, f *holderFacade, md ...string) ([]string, error) {
	ctx, cancel := context.WithCancel(metadata.AppendToOutgoingContext(ctx, md...))
	defer cancel()
	stream, err := reflectionpb.NewServerReflectionClient(f.conn).ServerReflectionInfo(ctx)
	if err != nil {
		return nil, err
	}
	if err := stream.Send(&reflectionpb.ServerReflectionRequest{MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{}}); err != nil {
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

// iamValidator returns a validator of tokens with the IAM at endpoint.
func iamValidator(t *testing.T, endpoint string, opts iamtoken.Options) *iamtoken.Validator {
	t.Helper()
	hc := &http.Client{Transport: &http.Transport{}}
	t.Cleanup(hc.CloseIdleConnections)
	v, err := iamtoken.New(hc, endpoint, opts)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// slowIAM is an IAM that holds every token check until it is released or
// cancelled, announcing each arrival and each cancellation, and records
// how many checks it held at once.
type slowIAM struct {
	url                string
	release            chan struct{}
	arrived, cancelled chan struct{}
	mu                 sync.Mutex
	open, peak         int
}

func newSlowIAM(t *testing.T, capacity int) *slowIAM {
	t.Helper()
	s := &slowIAM{release: make(chan struct{}), arrived: make(chan struct{}, capacity), cancelled: make(chan struct{}, capacity)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.open++
		s.peak = max(s.peak, s.open)
		s.mu.Unlock()
		defer func() { s.mu.Lock(); s.open--; s.mu.Unlock() }()
		s.arrived <- struct{}{}
		select {
		case <-s.release:
			_, _ = io.WriteString(w, `{"token":{"expires_at":"`+time.Now().Add(time.Hour).UTC().Format(time.RFC3339)+`","project":{"id":"`+project+`"}}}`)
		case <-r.Context().Done():
			s.cancelled <- struct{}{}
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() {
		select {
		case <-s.release:
		default:
			close(s.release)
		}
	})
	s.url = srv.URL + "/v3"
	return s
}

// TestTokenHolders_validateChecksAreBounded: under validate, at most
// MaxChecks tokens are checked with IAM at once; a call with a new token
// beyond them is refused at once with RESOURCE_EXHAUSTED (OVERLOADED, with
// RetryInfo) and nothing is sent to IAM or ModelArts; a check whose callers
// have all given up is cancelled, which frees its slot.
func TestTokenHolders_validateChecksAreBounded(t *testing.T) {
	t.Parallel()
	const maxChecks = 4
	iam := newSlowIAM(t, 100)
	v := iamValidator(t, iam.url, iamtoken.Options{MaxChecks: maxChecks, Timeout: time.Hour})
	emu := emulator.MustNew(emulator.Options{})
	f := callersFacadeWith(t, emu, callerauth.Options{TokenHolders: callerauth.ValidateTokenHolders, TokenValidator: v}, nil)
	get := func(ctx context.Context, token string) error {
		ctx = metadata.AppendToOutgoingContext(ctx, "x-auth-token", token)
		_, err := f.client.GetInstance(ctx, &devenvv1.GetInstanceRequest{ProjectId: project, InstanceId: running})
		return err
	}

	// maxChecks callers whose checks IAM holds, as long as they wait.
	ctx, giveUp := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	for i := range maxChecks {
		wg.Go(func() {
			if err := get(ctx, "MIIwaiting-"+strconv.Itoa(i)); status.Code(err) != codes.Canceled {
				t.Errorf("a caller that gave up: %v; want CANCELED", err)
			}
		})
	}
	await(t, iam.arrived, maxChecks)
	// One more token: refused at once, without asking IAM. (Without the
	// bound, it would wait for IAM: the deadline ends that wait.)
	shortCtx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	err := get(shortCtx, "MIIone-too-many")
	if status.Code(err) != codes.ResourceExhausted || statustest.Error(t, err).Reason() != "OVERLOADED" ||
		statustest.Error(t, err).RetryDelay() <= 0 {
		t.Errorf("a new token beyond the checks in flight: %v; want RESOURCE_EXHAUSTED, OVERLOADED, with RetryInfo", err)
	}
	// The callers give up: IAM sees each check cancelled.
	giveUp()
	wg.Wait()
	await(t, iam.cancelled, maxChecks)
	// The slots are free again (once each cancelled check has returned).
	close(iam.release)
	waitUntil(t, "a new token to be checked once the abandoned checks ended", func() bool {
		return get(t.Context(), "MIIafterwards") == nil
	})
	iam.mu.Lock()
	peak := iam.peak
	iam.mu.Unlock()
	if peak > maxChecks {
		t.Errorf("IAM held %d checks at once; want at most %d", peak, maxChecks)
	}
	if n := len(modelArtsRequests(emu)); n != 1 {
		t.Errorf("ModelArts received %d requests; want only the last call's", n)
	}
}
