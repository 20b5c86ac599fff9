package iamtoken_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/devenv-facade/devenv-facade/internal/clock/clocktest"

	"go.uber.org/goleak"

	"github.com/devenv-facade/devenv-facade/internal/emulator"
	"github.com/devenv-facade/devenv-facade/internal/iamtoken"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// newClock returns the fake clock the tests advance.
func newClock() *clocktest.Fake { return clocktest.New(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)) }

// iam serves handler as IAM on loopback and counts its requests.
type iam struct {
	srv      *httptest.Server
	requests atomic.Int64
}

func newIAM(t *testing.T, handler http.HandlerFunc) *iam {
	t.Helper()
	i := &iam{}
	i.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i.requests.Add(1)
		handler(w, r)
	}))
	t.Cleanup(i.srv.Close)
	return i
}

func newValidator(t *testing.T, endpoint string, opts iamtoken.Options) *iamtoken.Validator {
	t.Helper()
	hc := &http.Client{Transport: &http.Transport{}, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	t.Cleanup(hc.CloseIdleConnections)
	v, err := iamtoken.New(hc, endpoint, opts)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

const project = "0123456789abcdef0123456789abcdef"

// tokenAnswer is a validation answer as IAM's reference shows it.
func tokenAnswer(expires time.Time, projectJSON string) string {
	body := `{"token":{"methods":["password"],"expires_at":"` + expires.UTC().Format("2006-01-02T15:04:05.000000Z") +
		`","issued_at":"2026-05-01T11:00:00.000000Z","user":{"name":"alice","domain":{"name":"acme"}}`
	if projectJSON != "" {
		body += `,"project":` + projectJSON
	}
	return body + `}}`
}

// TestValidate_answers: what each answer of IAM means, and that the request
// is the one IAM's reference describes (GET {iam}/auth/tokens, the token
// in X-Auth-Token and X-Subject-Token, no catalogue).
func TestValidate_answers(t *testing.T) {
	t.Parallel()
	c := newClock()
	later := c.Now().Add(time.Hour)
	tests := []struct {
		name        string
		status      int
		body        string
		wantScope   iamtoken.Scope
		wantErr     error
		wantHTTPErr int // the RejectedError's status, if rejected
	}{
		{"valid", 200, tokenAnswer(later, `{"id":"`+project+`","name":"eu-de","domain":{"name":"acme"}}`), iamtoken.Scope{ProjectID: project, ProjectName: "eu-de", ExpiresAt: later}, nil, 0},
		{"valid_no_project", 200, tokenAnswer(later, ""), iamtoken.Scope{ExpiresAt: later}, nil, 0},
		{"expired_by_our_clock", 200, tokenAnswer(c.Now().Add(-time.Second), `{"id":"`+project+`"}`), iamtoken.Scope{}, iamtoken.ErrRejected, 200},
		{"unauthorized", 401, `{"error":{"code":401,"title":"Unauthorized","message":"The request you have made requires authentication."}}`, iamtoken.Scope{}, iamtoken.ErrRejected, 401},
		{"not_found", 404, `{"error":{"code":404,"title":"Not Found","message":"Could not find token."}}`, iamtoken.Scope{}, iamtoken.ErrRejected, 404},
		{"forbidden", 403, `{}`, iamtoken.Scope{}, iamtoken.ErrRejected, 403},
		{"bad_request", 400, `{}`, iamtoken.Scope{}, iamtoken.ErrRejected, 400},
		{"server_error", 500, `{}`, iamtoken.Scope{}, iamtoken.ErrUnavailable, 0},
		{"throttled", 429, `{}`, iamtoken.Scope{}, iamtoken.ErrUnavailable, 0},
		{"gateway_page", 502, `<html>bad gateway</html>`, iamtoken.Scope{}, iamtoken.ErrUnavailable, 0},
		{"not_json", 200, `<html>hello</html>`, iamtoken.Scope{}, iamtoken.ErrUnavailable, 0},
		{"no_expiry", 200, `{"token":{"project":{"id":"` + project + `"}}}`, iamtoken.Scope{}, iamtoken.ErrUnavailable, 0},
		{"redirect_not_followed", 302, ``, iamtoken.Scope{}, iamtoken.ErrUnavailable, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			const token = "MIIcaller-token-value"
			var bad atomic.Value
			i := newIAM(t, func(w http.ResponseWriter, r *http.Request) {
				switch {
				case r.Method != http.MethodGet, r.URL.Path != "/v3/auth/tokens", r.URL.RawQuery != "nocatalog=true":
					bad.Store(r.Method + " " + r.URL.String())
				case r.Header.Get("X-Auth-Token") != token, r.Header.Get("X-Subject-Token") != token:
					bad.Store("the token is not in both X-Auth-Token and X-Subject-Token")
				}
				if tt.status == http.StatusFound {
					w.Header().Set("Location", "http://elsewhere.invalid/")
				}
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tt.status)
				_, _ = w.Write([]byte(tt.body))
			})
			v := newValidator(t, i.srv.URL+"/v3/", iamtoken.Options{Clock: c})
			scope, err := v.Validate(t.Context(), token)
			if b := bad.Load(); b != nil {
				t.Errorf("request: %v", b)
			}
			if tt.wantErr == nil && err != nil || tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v; want %v", err, tt.wantErr)
			}
			if scope != tt.wantScope {
				t.Errorf("scope = %+v; want %+v", scope, tt.wantScope)
			}
			var rejected *iamtoken.RejectedError
			if errors.As(err, &rejected) != (tt.wantHTTPErr != 0) || rejected != nil && rejected.HTTPStatus != tt.wantHTTPErr {
				t.Errorf("err = %#v; want a RejectedError with status %d", err, tt.wantHTTPErr)
			}
			if err != nil && strings.Contains(err.Error(), token) {
				t.Errorf("the error quotes the token: %v", err)
			}
		})
	}
}

// TestValidate_againstTheEmulator: the validator and the emulator's IAM,
// each written from IAM's reference, agree.
func TestValidate_againstTheEmulator(t *testing.T) {
	t.Parallel()
	c := newClock()
	emu := emulator.MustNew(emulator.Options{Clock: c, TokenLifetime: time.Hour, IAMUsers: []emulator.IAMUser{{Name: "alice", Password: "pw", Domain: "acme"}}})
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	resp, err := srv.Client().Post(srv.URL+"/v3/auth/tokens", "application/json", bytes.NewBufferString(
		`{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"alice","password":"pw","domain":{"name":"acme"}}}},"scope":{"project":{"name":"eu-de"}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	token := resp.Header.Get("X-Subject-Token")
	v := newValidator(t, srv.URL+"/v3", iamtoken.Options{Clock: c})

	scope, err := v.Validate(t.Context(), token)
	if err != nil || scope.ProjectID != emulator.SampleProjectID || scope.ProjectName != emulator.SampleProjectName || !scope.ExpiresAt.Equal(c.Now().Add(time.Hour).Truncate(time.Microsecond)) {
		t.Errorf("issued token: %+v, %v; want the sample project, expiring in an hour", scope, err)
	}
	if _, err := v.Validate(t.Context(), "forged"); !errors.Is(err, iamtoken.ErrRejected) {
		t.Errorf("forged token: %v; want rejected", err)
	}
	c.Advance(time.Hour)
	if _, err := v.Validate(t.Context(), token); !errors.Is(err, iamtoken.ErrRejected) {
		t.Errorf("expired token: %v; want rejected", err)
	}
	if n := emu.TokenValidationCount(); n != 3 {
		t.Errorf("IAM received %d validations; want 3", n)
	}
}

// TestValidate_cache: a valid token is asked about once until it expires
// (by the injected clock); a refusal is remembered for RejectedTTL; an
// unusable answer is not remembered.
func TestValidate_cache(t *testing.T) {
	t.Parallel()
	c := newClock()
	expires := c.Now().Add(time.Hour)
	var status atomic.Int64
	status.Store(200)
	i := newIAM(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.Header.Get("X-Subject-Token") {
		case "good":
			w.WriteHeader(int(status.Load()))
			_, _ = fmt.Fprint(w, tokenAnswer(expires, `{"id":"`+project+`"}`))
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	})
	v := newValidator(t, i.srv.URL+"/v3", iamtoken.Options{Clock: c, RejectedTTL: 10 * time.Second})
	check := func(token string, wantErr error, wantRequests int64) {
		t.Helper()
		_, err := v.Validate(t.Context(), token)
		if wantErr == nil && err != nil || wantErr != nil && !errors.Is(err, wantErr) {
			t.Errorf("%s: err = %v; want %v", token, err, wantErr)
		}
		if n := i.requests.Load(); n != wantRequests {
			t.Errorf("%s: IAM requests = %d; want %d", token, n, wantRequests)
		}
	}
	check("good", nil, 1)
	check("good", nil, 1) // cached
	c.Advance(59 * time.Minute)
	check("good", nil, 1) // still before expires_at
	check("bad", iamtoken.ErrRejected, 2)
	check("bad", iamtoken.ErrRejected, 2) // refusal cached
	c.Advance(10 * time.Second)
	check("bad", iamtoken.ErrRejected, 3) // refusal expired: asked again
	c.Advance(time.Minute)                // past expires_at
	status.Store(503)
	check("good", iamtoken.ErrUnavailable, 4) // asked again; IAM down
	check("good", iamtoken.ErrUnavailable, 5) // not remembered
}

// TestValidate_waitEndsWithTheCall: the caller's context bounds its wait
// (the request to IAM then ends too: TestValidate_abandonedCheckIsCancelled).
func TestValidate_waitEndsWithTheCall(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	i := newIAM(t, func(w http.ResponseWriter, r *http.Request) {
		<-release
		_, _ = fmt.Fprint(w, tokenAnswer(time.Now().Add(time.Hour), `{"id":"`+project+`"}`))
	})
	defer close(release)
	v := newValidator(t, i.srv.URL+"/v3", iamtoken.Options{})
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	if _, err := v.Validate(ctx, "slow"); !errors.Is(err, iamtoken.ErrUnavailable) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v; want ErrUnavailable wrapping the deadline", err)
	}
}

// TestNew_endpoints: only an http(s) URL without user info, query or
// fragment; errors never print user info.
func TestNew_endpoints(t *testing.T) {
	t.Parallel()
	for endpoint, ok := range map[string]bool{
		"https://iam.eu-de.otc.t-systems.com/v3":  true,
		"http://127.0.0.1:8090/v3/":               true,
		"":                                        false,
		"iam.eu-de.otc.t-systems.com/v3":          false,
		"ftp://iam.example/v3":                    false,
		"https://user:s3cret@iam.example/v3":      false,
		"https://iam.example/v3?x=1":              false,
		"https://iam.example/v3#frag":             false,
		"https://s3cret@iam.example/v3":           false,
		"https://iam.example/v3/%zz-not-escaping": false,
	} {
		_, err := iamtoken.New(http.DefaultClient, endpoint, iamtoken.Options{})
		if (err == nil) != ok {
			t.Errorf("New(%q): %v; want ok=%v", endpoint, err, ok)
		}
		if err != nil && strings.Contains(err.Error(), "s3cret") {
			t.Errorf("New(%q): the error prints user info: %v", endpoint, err)
		}
	}
	if _, err := iamtoken.New(nil, "https://iam.example/v3", iamtoken.Options{}); err == nil {
		t.Error("New with a nil HTTP client: no error")
	}
}

// TestParseToken: the scope and expiry of IAM's token bodies.
func TestParseToken(t *testing.T) {
	t.Parallel()
	exp := time.Date(2019, 2, 13, 6, 52, 13, 855_000_000, time.UTC)
	tests := []struct {
		name, body string
		want       iamtoken.Scope
		wantErr    bool
	}{
		{"reference_sample", `{"token":{"expires_at":"2019-02-13T06:52:13.855000Z","methods":["password"],"catalog":[],"project":{"id":"` + project + `","name":"eu-de","domain":{"name":"acme"}}}}`,
			iamtoken.Scope{ProjectID: project, ProjectName: "eu-de", ExpiresAt: exp}, false},
		{"domain_scoped", `{"token":{"expires_at":"2019-02-13T06:52:13.855000Z","domain":{"name":"acme"}}}`, iamtoken.Scope{ExpiresAt: exp}, false},
		{"offset_time", `{"token":{"expires_at":"2019-02-13T07:52:13.855+01:00"}}`, iamtoken.Scope{ExpiresAt: exp}, false},
		{"null_project", `{"token":{"expires_at":"2019-02-13T06:52:13.855000Z","project":null}}`, iamtoken.Scope{ExpiresAt: exp}, false},
		{"no_token", `{"error":{"code":404}}`, iamtoken.Scope{}, true},
		{"no_expiry", `{"token":{}}`, iamtoken.Scope{}, true},
		{"bad_expiry", `{"token":{"expires_at":"tomorrow"}}`, iamtoken.Scope{}, true},
		{"wrong_type", `{"token":{"expires_at":5}}`, iamtoken.Scope{}, true},
		{"not_json", `token`, iamtoken.Scope{}, true},
		{"empty", ``, iamtoken.Scope{}, true},
	}
	for _, tt := range tests {
		got, err := iamtoken.ParseToken([]byte(tt.body))
		if (err != nil) != tt.wantErr || !got.ExpiresAt.Equal(tt.want.ExpiresAt) || got.ProjectID != tt.want.ProjectID || got.ProjectName != tt.want.ProjectName {
			t.Errorf("%s: %+v, %v; want %+v, error %v", tt.name, got, err, tt.want, tt.wantErr)
		}
	}
}

// FuzzParseToken: any body parses or fails without panicking, an error
// never quotes the body, and a success has an expiry.
func FuzzParseToken(f *testing.F) {
	f.Add([]byte(`{"token":{"expires_at":"2019-02-13T06:52:13.855000Z","project":{"id":"p","name":"eu-de"}}}`))
	f.Add([]byte(`{"token":{"expires_at":"2019-02-13T06:52:13Z"}}`))
	f.Add([]byte(`{"token":null}`))
	f.Add([]byte(`{"token":{"expires_at":"SECRETSECRET"}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		scope, err := iamtoken.ParseToken(body)
		if err != nil {
			if len(body) >= 8 && strings.Contains(err.Error(), string(body)) {
				t.Errorf("the error quotes the body: %v", err)
			}
			return
		}
		if scope.ExpiresAt.IsZero() {
			t.Errorf("success without an expiry: %+v", scope)
		}
	})
}
