package emulator_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/devenv-facade/devenv-facade/internal/clock/clocktest"
	"github.com/devenv-facade/devenv-facade/internal/emulator"
)

const (
	guideAK = "QTWAOYTTINDUT2QVKYUC"
	guideSK = "MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc"
)

// signedDelete is the published DELETE vector (API fact sheet, section 3.2,
// vector 4): the running sample instance, signed at 20191115T033655Z.
func signedDelete(t *testing.T, srv *httptest.Server, authorization string, extra map[string]string) answer {
	t.Helper()
	header := map[string]string{
		"Content-Type":  "application/json",
		"X-Sdk-Date":    "20191115T033655Z",
		"Authorization": authorization,
	}
	for k, v := range extra {
		header[k] = v
	}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodDelete, srv.URL+instancePath(project, running), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = "modelarts.eu-de.otc.t-systems.com"
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]string
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	return answer{resp.StatusCode, body}
}

func TestSignatures(t *testing.T) {
	t.Parallel()
	vectorTime := time.Date(2019, 11, 15, 3, 40, 0, 0, time.UTC)
	emu := emulator.MustNew(emulator.Options{Clock: clocktest.New(vectorTime), AccessKeys: []emulator.AccessKey{{ID: guideAK, Secret: guideSK}, {ID: "TEMPAK", Secret: guideSK, SecurityToken: "st"}}})
	srv := httptest.NewServer(emu)
	defer srv.Close()
	const (
		credentialForm = "SDK-HMAC-SHA256 Credential=QTWAOYTTINDUT2QVKYUC/20191115///sdk_request, SignedHeaders=content-type;host;x-sdk-date, Signature=3d4db8cd829dd0324910f5138ec508a89e52d521c11be1956075552b84c87de7"
		accessForm     = "SDK-HMAC-SHA256 Access=QTWAOYTTINDUT2QVKYUC, SignedHeaders=content-type;host;x-sdk-date, Signature=404ea51e128690dcbc68cbd7251d668d78f339fd51e1abc1d3a30e7b56728ecf"
	)
	accepted := vendorError(400, "ModelArts.6304", "Please stop the instance before deleting.") // past authentication
	tests := []struct {
		name  string
		auth  string
		extra map[string]string
		want  answer
	}{
		{"credential_form_vector", credentialForm, nil, accepted},
		{"access_form_vector", accessForm, nil, accepted},
		{"wrong_signature", strings.Replace(accessForm, "Signature=404e", "Signature=504e", 1), nil, vendorError(403, "ModelArts.0206", "Invalid AK/SK.")},
		{"unknown_key", strings.Replace(accessForm, "Access=QTW", "Access=XTW", 1), nil, vendorError(403, "ModelArts.0206", "Invalid AK/SK.")},
		{"tampered_header", credentialForm, map[string]string{"Content-Type": "text/plain"}, vendorError(403, "ModelArts.0206", "Invalid AK/SK.")},
		{"malformed_header", "SDK-HMAC-SHA256 Access=QTW, Signature=zz", nil, vendorError(401, "ModelArts.0206", "Incorrect authorization request header format.")},
		{"date_not_signed", strings.Replace(accessForm, "content-type;host;x-sdk-date", "content-type;host", 1), nil, vendorError(401, "ModelArts.0206", "Incorrect authorization request header format.")},
		{"skewed_date", accessForm, map[string]string{"X-Sdk-Date": "20191114T033655Z"}, vendorError(401, "ModelArts.0208", "Failed to check the authorization request header.")},
		{"bad_scope_date", strings.Replace(credentialForm, "/20191115/", "/20191116/", 1), nil, vendorError(401, "ModelArts.0206", "Incorrect authorization request header format.")},
	}
	for _, tt := range tests {
		got := signedDelete(t, srv, tt.auth, tt.extra)
		if got.status != tt.want.status || got.body["error_code"] != tt.want.body["error_code"] || got.body["error_message"] != tt.want.body["error_message"] {
			t.Errorf("%s: got %d %v; want %d %v", tt.name, got.status, got.body, tt.want.status, tt.want.body)
		}
	}
}

func iamToken(t *testing.T, srv *httptest.Server, body string) (int, string, map[string]any) {
	t.Helper()
	resp, err := srv.Client().Post(srv.URL+"/v3/auth/tokens?nocatalog=true", "application/json", bytes.NewBufferString(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, resp.Header.Get("X-Subject-Token"), out
}

func passwordRequest(user, password, domain, scope string) string {
	return `{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"` + user + `","password":"` + password +
		`","domain":{"name":"` + domain + `"}}}},"scope":{"project":` + scope + `}}}`
}

func TestIAMTokens(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	emu := emulator.MustNew(emulator.Options{IAMUsers: []emulator.IAMUser{{Name: "alice", Password: "pw", Domain: "acme"}}, Clock: clocktest.New(now), TokenLifetime: time.Hour})
	srv := httptest.NewServer(emu)
	defer srv.Close()

	code, tok, body := iamToken(t, srv, passwordRequest("alice", "pw", "acme", `{"name":"eu-de"}`))
	if code != http.StatusCreated || tok == "" {
		t.Fatalf("token request: %d, token %q; want 201 with X-Subject-Token", code, tok)
	}
	if got := body["token"].(map[string]any)["expires_at"]; got != "2026-01-01T01:00:00.000000Z" {
		t.Errorf("expires_at = %v", got)
	}
	use := func(token, p string) answer {
		return do(t, srv, "DELETE", instancePath(p, running), map[string]string{"X-Auth-Token": token})
	}
	if got := use(tok, project); got.body["error_code"] != "ModelArts.6304" {
		t.Errorf("the issued token was not accepted: %v", got)
	}
	if got := use(tok, strings.Repeat("1", 32)); got.status != 403 || got.body["error_code"] != "ModelArts.0210" {
		t.Errorf("the token worked on another project: %v", got)
	}
	if got := use("forged", project); got.status != 401 || got.body["error_code"] != "ModelArts.0203" {
		t.Errorf("an unknown token: %v; want 401 ModelArts.0203", got)
	}
	emu.ExpireTokens()
	if got := use(tok, project); got.status != 401 || got.body["error_code"] != "ModelArts.0202" {
		t.Errorf("an expired token: %v; want 401 ModelArts.0202", got)
	}
	_, tok2, _ := iamToken(t, srv, passwordRequest("alice", "pw", "acme", `{"id":"`+project+`"}`))
	if got := use(tok2, project); got.body["error_code"] != "ModelArts.6304" {
		t.Errorf("a token scoped by project ID was not accepted: %v", got)
	}

	for name, req := range map[string]string{
		"wrong_password":  passwordRequest("alice", "nope", "acme", `{"name":"eu-de"}`),
		"wrong_domain":    passwordRequest("alice", "pw", "other", `{"name":"eu-de"}`),
		"unknown_project": passwordRequest("alice", "pw", "acme", `{"name":"eu-nl"}`),
	} {
		if code, tok, body := iamToken(t, srv, req); code != http.StatusUnauthorized || tok != "" || body["error"] == nil {
			t.Errorf("%s: %d %q %v; want 401 with an error body", name, code, tok, body)
		}
	}
	if code, _, _ := iamToken(t, srv, `{"auth":`); code != http.StatusBadRequest {
		t.Errorf("malformed request: %d; want 400", code)
	}
	if n := emu.TokenRequestCount(); n != 6 {
		t.Errorf("TokenRequestCount = %d; want 6", n)
	}
}
