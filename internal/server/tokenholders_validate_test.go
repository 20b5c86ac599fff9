package server_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	devenvv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/devenv/v1"
	"github.com/devenv-facade/devenv-facade/internal/callerauth"
	"github.com/devenv-facade/devenv-facade/internal/emulator"
	"github.com/devenv-facade/devenv-facade/internal/iamtoken"
	"github.com/devenv-facade/devenv-facade/internal/statustest"
)

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
