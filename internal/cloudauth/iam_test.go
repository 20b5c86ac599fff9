package cloudauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/devenv-facade/devenv-facade/internal/clock/clocktest"

	"go.uber.org/goleak"

	"github.com/devenv-facade/devenv-facade/internal/emulator"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func newIAM(t *testing.T, clock *clocktest.Fake, handler http.Handler) (*IAMPassword, *httptest.Server) {
	t.Helper()
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	p, err := newIAMPassword(srv.Client(), IAMConfig{Endpoint: srv.URL + "/v3/", Username: "u", Password: "pw", DomainName: "d", ProjectName: emulator.SampleProjectName}, clock, nil)
	if err != nil {
		t.Fatal(err)
	}
	return p, srv
}

func authenticate(t *testing.T, p *IAMPassword) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodDelete, "http://x/", nil)
	if err := p.Authenticate(t.Context(), req); err != nil {
		t.Fatal(err)
	}
	return req.Header.Get("X-Auth-Token")
}

func TestIAMPassword_cachesAndRefreshesEarly(t *testing.T) {
	t.Parallel()
	clock := clocktest.New(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC))
	emu := emulator.MustNew(emulator.Options{IAMUsers: []emulator.IAMUser{{Name: "u", Password: "pw", Domain: "d"}}, Clock: clock, TokenLifetime: 24 * time.Hour})
	p, _ := newIAM(t, clock, emu)

	first := authenticate(t, p)
	if first == "" || emu.TokenRequestCount() != 1 {
		t.Fatalf("first token %q after %d requests", first, emu.TokenRequestCount())
	}
	clock.Advance(17 * time.Hour)
	if got := authenticate(t, p); got != first || emu.TokenRequestCount() != 1 {
		t.Errorf("at 17h: token changed or IAM asked again (%d requests); want the cached token", emu.TokenRequestCount())
	}
	// Past three quarters of the lifetime the cached token is still served,
	// while a new one is fetched in the background.
	clock.Advance(2 * time.Hour)
	if got := authenticate(t, p); got != first {
		t.Errorf("at 19h the caller waited for a new token instead of using the valid one")
	}
	// Joining the refresh in flight (same singleflight key) returns once it
	// is done; if it is done already, the no-op runs.
	<-p.flight.DoChan("token", func() (any, error) { return nil, nil })
	if authenticate(t, p) == first {
		t.Error("the background refresh did not replace the token")
	}
	if n := emu.TokenRequestCount(); n != 2 {
		t.Errorf("token requests = %d; want 2", n)
	}
}

func TestIAMPassword_refreshOnlyReplacesTheRejectedToken(t *testing.T) {
	t.Parallel()
	clock := clocktest.New(time.Now())
	emu := emulator.MustNew(emulator.Options{IAMUsers: []emulator.IAMUser{{Name: "u", Password: "pw", Domain: "d"}}, Clock: clock})
	p, _ := newIAM(t, clock, emu)
	old := authenticate(t, p)

	rejected, _ := http.NewRequest(http.MethodDelete, "http://x/", nil)
	rejected.Header.Set("X-Auth-Token", old)
	if err := p.Refresh(t.Context(), rejected); err != nil {
		t.Fatal(err)
	}
	fresh := authenticate(t, p)
	if fresh == old || emu.TokenRequestCount() != 2 {
		t.Fatalf("after Refresh: same token or %d requests; want a new token from a second request", emu.TokenRequestCount())
	}
	// Another call that failed with the old token must not refresh again.
	if err := p.Refresh(t.Context(), rejected); err != nil {
		t.Fatal(err)
	}
	if authenticate(t, p) != fresh || emu.TokenRequestCount() != 2 {
		t.Errorf("a second Refresh for the same stale token fetched again (%d requests)", emu.TokenRequestCount())
	}
}

func TestIAMPassword_waitersHonourTheirContext(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	var requests atomic.Int32
	slow := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		<-release
		w.Header().Set("X-Subject-Token", "tok")
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte(`{"token":{"expires_at":"2999-01-01T00:00:00.000000Z"}}`))
	})
	p, _ := newIAM(t, clocktest.New(time.Now()), slow)
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequest(http.MethodDelete, "http://x/", nil)
	// The fetch is held until release: an answer now is the caller's own
	// deadline, not the fetch's end.
	err := p.Authenticate(ctx, req)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Authenticate = %v; want the caller's deadline while the fetch is held", err)
	}
	// The fetch carries on for the next caller, who gets its result.
	close(release)
	if got := authenticate(t, p); got != "tok" || requests.Load() != 1 {
		t.Errorf("token %q after %d requests; want the first fetch's result", got, requests.Load())
	}
}

func TestIAMPassword_errors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		handler http.HandlerFunc
		want    string
	}{
		{"keystone_401", func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(401)
			_, _ = w.Write([]byte(`{"error":{"code":401,"message":"The username or password is wrong.","title":"Unauthorized"}}`))
		}, "IAM refused the token request: HTTP 401: The username or password is wrong."},
		{"gateway_error_msg", func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(403)
			_, _ = w.Write([]byte(`{"error_msg":"account frozen","error_code":"IAM.0001"}`))
		}, "IAM refused the token request: HTTP 403: account frozen"},
		{"no_subject_token", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(201) }, "no X-Subject-Token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, _ := newIAM(t, clocktest.New(time.Now()), tt.handler)
			req, _ := http.NewRequest(http.MethodDelete, "http://x/", nil)
			err := p.Authenticate(t.Context(), req)
			var ie *IAMError
			if !errors.As(err, &ie) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v; want an *IAMError saying %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "pw") {
				t.Errorf("the error shows the password: %v", err)
			}
		})
	}
}

func TestIAMPassword_errorNeverEchoesThePassword(t *testing.T) {
	t.Parallel()
	const password = `Pa"ss\word<&>2026`
	tests := []struct {
		name string
		echo func(body string) string // IAM's message, given the request body
		want string
	}{
		{"password", func(string) string { return "wrong password " + password }, "wrong password [REDACTED]"},
		{"whole_request_body", func(b string) string { return "cannot parse " + b },
			`cannot parse {"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"svc-user","password":"[REDACTED]","domain":{"name":"d"}}}},"scope":{"project":{"name":"eu-de"}}}}`},
		{"hidden_by_invisible_characters", func(string) string { return "pw \u202e" + password[:4] + "\u200b" + password[4:] + "\u2069!" },
			"pw [REDACTED]!"},
		{"at_the_cut", func(string) string { return strings.Repeat("x", 250) + password }, strings.Repeat("x", 250) + "[REDAC"},
		{"across_the_work_bound", func(string) string { return strings.Repeat("\u200b", 340) + password }, ""},
		{"controls", func(string) string { return "line1\nline2\u0000" }, "line1 line2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				b := new(strings.Builder)
				_, _ = io.Copy(b, r.Body)
				msg := tt.echo(b.String())
				w.WriteHeader(http.StatusBadRequest)
				quoted, _ := json.Marshal(msg)
				_, _ = io.WriteString(w, `{"error":{"code":400,"message":`+string(quoted)+`}}`)
			})
			srv := httptest.NewServer(h)
			t.Cleanup(srv.Close)
			p, err := NewIAMPassword(srv.Client(), IAMConfig{Endpoint: srv.URL + "/v3", Username: "svc-user", Password: password, DomainName: "d", ProjectName: "eu-de"})
			if err != nil {
				t.Fatal(err)
			}
			req, _ := http.NewRequest(http.MethodDelete, "http://x/", nil)
			err = p.Authenticate(t.Context(), req)
			var ie *IAMError
			if !errors.As(err, &ie) {
				t.Fatalf("err = %v; want an *IAMError", err)
			}
			if ie.Message != tt.want {
				t.Errorf("Message = %q; want %q", ie.Message, tt.want)
			}
			for _, s := range []string{password, password[:8], `Pa\"ss`} {
				if strings.Contains(err.Error(), s) {
					t.Errorf("the error shows the password (%q): %v", s, err)
				}
			}
		})
	}
}

func TestIAMPassword_requestBody(t *testing.T) {
	t.Parallel()
	var got string
	var query string
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b := new(strings.Builder)
		_, _ = io.Copy(b, r.Body)
		got, query = b.String(), r.URL.RawQuery
		w.WriteHeader(401)
	})
	srv := httptest.NewServer(h)
	defer srv.Close()
	for _, tt := range []struct {
		cfg  IAMConfig
		want string
	}{
		{IAMConfig{Username: "u", Password: "p", DomainName: "d", ProjectName: "eu-de"},
			`{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"u","password":"p","domain":{"name":"d"}}}},"scope":{"project":{"name":"eu-de"}}}}`},
		{IAMConfig{Username: "u", Password: "p", DomainName: "d", ProjectID: "0123456789abcdef0123456789abcdef"},
			`{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"u","password":"p","domain":{"name":"d"}}}},"scope":{"project":{"id":"0123456789abcdef0123456789abcdef"}}}}`},
	} {
		tt.cfg.Endpoint = srv.URL + "/v3"
		p, err := NewIAMPassword(srv.Client(), tt.cfg)
		if err != nil {
			t.Fatal(err)
		}
		req, _ := http.NewRequest(http.MethodDelete, "http://x/", nil)
		_ = p.Authenticate(t.Context(), req)
		if got != tt.want {
			t.Errorf("body =\n%s\nwant\n%s", got, tt.want)
		}
		if query != "nocatalog=true" {
			t.Errorf("query = %q; want nocatalog=true", query)
		}
	}
}

func TestNewIAMPassword_validates(t *testing.T) {
	t.Parallel()
	ok := IAMConfig{Endpoint: "https://iam.example/v3", Username: "u", Password: "p", DomainName: "d", ProjectName: "eu-de"}
	for name, mut := range map[string]func(*IAMConfig){
		"no_endpoint":   func(c *IAMConfig) { c.Endpoint = "" },
		"bad_endpoint":  func(c *IAMConfig) { c.Endpoint = "iam.example" },
		"no_password":   func(c *IAMConfig) { c.Password = "" },
		"no_domain":     func(c *IAMConfig) { c.DomainName = "" },
		"no_project":    func(c *IAMConfig) { c.ProjectName = "" },
		"both_projects": func(c *IAMConfig) { c.ProjectID = "0123456789abcdef0123456789abcdef" },
	} {
		c := ok
		mut(&c)
		if _, err := NewIAMPassword(http.DefaultClient, c); err == nil {
			t.Errorf("%s: NewIAMPassword succeeded", name)
		}
	}
}

func TestNewIAMPassword_endpointErrorsNeverShowUserInfo(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, endpoint, want string }{
		{"unparsable", "https://user:s3cret@iam.example/%zz",
			`cloudauth: IAM endpoint: parse "https://xxxxx@iam.example/%zz": invalid URL escape "%zz"`},
		{"unparsable_password", "https://user:s3%cret@iam.example/v3",
			`cloudauth: IAM endpoint: parse "https://xxxxx@iam.example/v3": invalid before the last "@" (not shown)`},
		{"user_info", "https://user:s3cret@iam.example/v3",
			`cloudauth: IAM endpoint "https://iam.example/v3": user info is not allowed in the URL`},
		{"slash_in_password_parses_as_port", "https://user:12/s3cret@iam.example/v3",
			`cloudauth: IAM endpoint "https://xxxxx@iam.example/v3": user info is not allowed in the URL`},
		{"no_scheme", "user:s3cret@iam.example",
			`cloudauth: IAM endpoint "xxxxx@iam.example": user info is not allowed in the URL`},
		{"not_http", "ftp://iam.example/v3?token=s3cret",
			`cloudauth: IAM endpoint "ftp://iam.example/v3" is not an http(s) URL`},
		{"no_host", "iam.example/v3", `cloudauth: IAM endpoint "iam.example/v3" is not an http(s) URL`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := IAMConfig{Endpoint: tt.endpoint, Username: "u", Password: "pw", DomainName: "d", ProjectName: "eu-de"}
			_, err := NewIAMPassword(http.DefaultClient, cfg)
			if err == nil {
				t.Fatalf("NewIAMPassword(%q) succeeded", tt.endpoint)
			}
			if err.Error() != tt.want {
				t.Errorf("error = %q; want %q", err, tt.want)
			}
			if s := fmt.Sprint(cfg); strings.Contains(s, "s3") {
				t.Errorf("the config prints the password: %s", s)
			}
		})
	}
}

// A fetch that starts right after another one stored a fresh token (its
// caller read the token before that one finished) answers that token: 100
// concurrent calls on a cold facade once made two token requests.
func TestIAMPassword_fetchAfterAFreshTokenAsksNothing(t *testing.T) {
	t.Parallel()
	clock := clocktest.New(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC))
	emu := emulator.MustNew(emulator.Options{IAMUsers: []emulator.IAMUser{{Name: "u", Password: "pw", Domain: "d"}}, Clock: clock, TokenLifetime: 24 * time.Hour})
	p, _ := newIAM(t, clock, emu)
	first := authenticate(t, p)
	// What a caller that read no token before the first fetch ended runs.
	v, err := p.fetch()
	if err != nil || v != first {
		t.Fatalf("fetch = %v, %v; want the fresh token", v, err)
	}
	if n := emu.TokenRequestCount(); n != 1 {
		t.Errorf("token requests = %d; want 1 (the fresh token answers the late fetch)", n)
	}
	// Due for refresh, a fetch asks IAM.
	clock.Advance(19 * time.Hour)
	if _, err := p.fetch(); err != nil {
		t.Fatal(err)
	}
	if n := emu.TokenRequestCount(); n != 2 {
		t.Errorf("token requests after 19h = %d; want 2 (a refresh)", n)
	}
}
