package emulator_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/devenv-facade/devenv-facade/internal/emulator"
)

// validate sends GET (or HEAD) /v3/auth/tokens with the given headers, as
// Keystone's and IAM's references describe it, and decodes the answer.
func validate(t *testing.T, f *fixture, method, auth, subject string) (int, http.Header, map[string]any) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, f.srv.URL+"/v3/auth/tokens?nocatalog=true", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json;charset=utf8")
	if auth != "" {
		req.Header.Set("X-Auth-Token", auth)
	}
	if subject != "" {
		req.Header.Set("X-Subject-Token", subject)
	}
	resp, err := f.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	if method != http.MethodHead {
		if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
			t.Fatalf("decoding the answer: %v", err)
		}
	}
	return resp.StatusCode, resp.Header, body
}

// TestValidateToken: GET /v3/auth/tokens answers like Keystone and IAM: the
// token's scope and expiry for a valid subject (a user checking its own
// tokens), 404 for an unknown or expired subject, 401 without a valid
// X-Auth-Token, 403 for another user's token; never a token in a body.
func TestValidateToken(t *testing.T) {
	t.Parallel()
	other := strings.Repeat("1", 32)
	f := newFixture(t, emulator.Options{IAMUsers: []emulator.IAMUser{{Name: "alice", Password: "pw", Domain: "acme"}}, Tokens: map[string]string{"static-token": other, "any-project-token": "*"}, TokenLifetime: time.Hour})
	code, tok, _ := iamToken(t, f.srv, passwordRequest("alice", "pw", "acme", `{"name":"eu-de"}`))
	if code != http.StatusCreated {
		t.Fatalf("token request: %d", code)
	}
	_, tok2, _ := iamToken(t, f.srv, passwordRequest("alice", "pw", "acme", `{"name":"eu-de"}`))
	issued := f.clock.Now().UTC()

	tests := []struct {
		name          string
		method        string
		auth, subject string
		wantStatus    int
		wantProject   string // "" for none
		wantExpires   string
	}{
		{"own_token", http.MethodGet, tok, tok, 200, project, issued.Add(time.Hour).Format("2006-01-02T15:04:05.000000Z")},
		{"own_token_head", http.MethodHead, tok, tok, 200, "", ""},
		{"static_token", http.MethodGet, "static-token", "static-token", 200, other, issued.Add(emulator.DefaultTokenLifetime).Format("2006-01-02T15:04:05.000000Z")},
		{"token_for_every_project_has_no_project_scope", http.MethodGet, "any-project-token", "any-project-token", 200, "", issued.Add(emulator.DefaultTokenLifetime).Format("2006-01-02T15:04:05.000000Z")},
		{"no_auth_token", http.MethodGet, "", tok, 401, "", ""},
		{"unknown_auth_token", http.MethodGet, "forged", tok, 401, "", ""},
		{"unknown_auth_token_checking_itself", http.MethodGet, "forged", "forged", 401, "", ""},
		{"no_subject", http.MethodGet, tok, "", 400, "", ""},
		{"another_token_of_the_same_user", http.MethodGet, tok, tok2, 200, project, issued.Add(time.Hour).Format("2006-01-02T15:04:05.000000Z")},
		{"another_users_token", http.MethodGet, "static-token", tok, 403, "", ""},
		{"unknown_subject", http.MethodGet, tok, "forged", 404, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, hdr, body := validate(t, f, tt.method, tt.auth, tt.subject)
			if code != tt.wantStatus {
				t.Fatalf("status %d %v; want %d", code, body, tt.wantStatus)
			}
			if code != http.StatusOK {
				e, _ := body["error"].(map[string]any)
				if tt.method == http.MethodGet && (e == nil || e["code"] != float64(code) || e["title"] == "" || e["message"] == "") {
					t.Errorf("error body %v; want Keystone's {error: {code, title, message}}", body)
				}
				raw, _ := json.Marshal(body)
				if tt.auth != "" && strings.Contains(string(raw), tt.auth) || tt.subject != "" && strings.Contains(string(raw), tt.subject) {
					t.Errorf("the error body quotes a token: %s", raw)
				}
				return
			}
			if hdr.Get("X-Subject-Token") != tt.subject {
				t.Errorf("X-Subject-Token not echoed: %q", hdr.Get("X-Subject-Token"))
			}
			if tt.method == http.MethodHead {
				return
			}
			token, _ := body["token"].(map[string]any)
			if token == nil {
				t.Fatalf("no token object: %v", body)
			}
			if token["expires_at"] != tt.wantExpires {
				t.Errorf("expires_at %v; want %s", token["expires_at"], tt.wantExpires)
			}
			p, _ := token["project"].(map[string]any)
			switch {
			case tt.wantProject == "" && p != nil:
				t.Errorf("project %v; want none", p)
			case tt.wantProject != "" && (p == nil || p["id"] != tt.wantProject):
				t.Errorf("project %v; want id %s", p, tt.wantProject)
			}
			if _, ok := token["catalog"]; ok {
				t.Error("the catalogue was answered despite nocatalog")
			}
		})
	}

	// An expired token no longer authenticates its own validation...
	f.clock.Advance(time.Hour)
	if code, _, _ := validate(t, f, http.MethodGet, tok, tok); code != http.StatusUnauthorized {
		t.Errorf("expired token checking itself: %d; want 401", code)
	}
	// ...and a fresh token of the same user finds it gone.
	_, tok3, _ := iamToken(t, f.srv, passwordRequest("alice", "pw", "acme", `{"name":"eu-de"}`))
	if code, _, _ := validate(t, f, http.MethodGet, tok3, tok); code != http.StatusNotFound {
		t.Errorf("a fresh token checking an expired one: %d; want 404", code)
	}
	if n := f.emu.TokenValidationCount(); n != int64(len(tests))+2 {
		t.Errorf("TokenValidationCount = %d; want %d", n, len(tests)+2)
	}
}

// TestValidateToken_permissive: an emulator that accepts any token at
// ModelArts knows none at IAM.
func TestValidateToken_permissive(t *testing.T) {
	t.Parallel()
	f := newFixture(t, emulator.Options{})
	if code, _, _ := validate(t, f, http.MethodGet, "any", "any"); code != http.StatusUnauthorized {
		t.Errorf("validation on a permissive emulator: %d; want 401", code)
	}
}
