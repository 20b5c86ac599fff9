package emulator

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"time"
)

// DefaultTokenLifetime is how long IAM tokens live, as on the real IAM.
const DefaultTokenLifetime = 24 * time.Hour

// SampleProjectName is the IAM project name of [SampleProjectID], as OTC
// names projects after their region.
const SampleProjectName = "eu-de"

// IAMUser is a user the emulator's IAM issues tokens to (Options.IAMUsers).
type IAMUser struct {
	// Name, Password and Domain (the account name) identify the user.
	Name, Password, Domain string
}

// TokenRequestCount returns how many token requests IAM has received.
func (s *Server) TokenRequestCount() int64 { return s.tokenRequestCount.Load() }

// tokenRequest is the part of an IAM v3 token request the emulator reads.
type tokenRequest struct {
	Auth struct {
		Identity struct {
			Methods  []string `json:"methods"`
			Password struct {
				User struct {
					Name     string `json:"name"`
					Password string `json:"password"`
					Domain   struct {
						Name string `json:"name"`
					} `json:"domain"`
				} `json:"user"`
			} `json:"password"`
		} `json:"identity"`
		Scope struct {
			Project struct {
				ID   string `json:"id"`
				Name string `json:"name"`
			} `json:"project"`
		} `json:"scope"`
	} `json:"auth"`
}

// issueToken implements POST /v3/auth/tokens with the password method and a
// project scope. Errors use Keystone's {"error": {code, title, message}}
// shape (inferred: the ModelArts reference does not show IAM's errors).
func (s *Server) issueToken(w http.ResponseWriter, r *http.Request) {
	s.tokenRequestCount.Add(1)
	var req tokenRequest
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&req); err != nil || !slices.Contains(req.Auth.Identity.Methods, "password") {
		writeIAMError(w, http.StatusBadRequest, "Bad Request", "The request body is not a password token request.")
		return
	}
	u := req.Auth.Identity.Password.User
	known := false
	for _, user := range s.users {
		if user.Name == u.Name && user.Password == u.Password && user.Domain == u.Domain.Name {
			known = true
			break
		}
	}
	if !known {
		writeIAMError(w, http.StatusUnauthorized, "Unauthorized", "The username or password is wrong.")
		return
	}
	scope := req.Auth.Scope.Project
	projectID, projectName := scope.ID, scope.Name
	for name, id := range s.projectNames {
		if (projectID != "" && id == projectID) || (projectID == "" && name == projectName) {
			projectID, projectName = id, name
		}
	}
	if _, ok := s.projectNames[projectName]; !ok || projectID == "" {
		writeIAMError(w, http.StatusUnauthorized, "Unauthorized", "The project does not exist or the user has no access to it.")
		return
	}

	raw := make([]byte, 48)
	_, _ = rand.Read(raw)
	token := "MIIemu" + base64.RawURLEncoding.EncodeToString(raw)
	issued := s.now().UTC()
	expires := issued.Add(s.tokenLifetime)
	g := grant{project: projectID, expires: expires, issued: issued,
		projectName: projectName, user: u.Name, domain: u.Domain.Name}
	s.mu.Lock()
	s.tokens[token] = g
	s.mu.Unlock()

	w.Header().Set("X-Subject-Token", token)
	writeJSON(w, http.StatusCreated, map[string]any{"token": tokenBody(g, issued)})
}

// iamTimeLayout is how IAM writes times ("2019-02-13T06:52:13.855000Z").
const iamTimeLayout = "2006-01-02T15:04:05.000000Z"

// tokenBody is the "token" object IAM answers for a token: its methods,
// times, project scope and user. A token given to Options.Tokens has no
// issue time, expiry or user of its own: it is shown as issued now and
// expiring a token lifetime later (inferred), and one for every project
// ("*") as scoped to no project, since IAM has no such scope.
func tokenBody(g grant, now time.Time) map[string]any {
	issued, expires := g.issued, g.expires
	if issued.IsZero() {
		issued = now
	}
	if expires.IsZero() {
		expires = now.Add(DefaultTokenLifetime)
	}
	body := map[string]any{
		"methods":    []string{"password"},
		"expires_at": expires.UTC().Format(iamTimeLayout),
		"issued_at":  issued.UTC().Format(iamTimeLayout),
	}
	if g.project != "*" {
		project := map[string]any{"id": g.project}
		if g.projectName != "" {
			project["name"] = g.projectName
		}
		if g.domain != "" {
			project["domain"] = map[string]string{"name": g.domain}
		}
		body["project"] = project
	}
	if g.user != "" {
		body["user"] = map[string]any{"name": g.user, "domain": map[string]string{"name": g.domain}}
	}
	return body
}

// TokenValidationCount returns how many token validations (GET or HEAD
// /v3/auth/tokens) IAM has received.
func (s *Server) TokenValidationCount() int64 { return s.tokenValidationCount.Load() }

// validateToken implements GET (and HEAD) /v3/auth/tokens, Keystone's
// "validate and show information for token", as IAM documents it: the
// token to check is X-Subject-Token, and the request is authenticated with
// X-Auth-Token, which must itself be a valid token. A user may validate
// its own tokens (sending the same token in both headers, for one) without
// any particular permission; checking another user's token needs an
// administrator's, which the emulator has none of (so 403, as Keystone's
// default policy, admin_or_token_subject, answers: inferred). A token given
// to Options.Tokens belongs to no user and may check only itself. Answers:
//
//   - 401 when X-Auth-Token is missing, unknown or expired;
//   - 400 when X-Subject-Token is missing (inferred);
//   - 404 when X-Subject-Token is unknown or expired;
//   - 403 when it is another user's token;
//   - 200 with X-Subject-Token echoed and {"token": {...}}: methods,
//     expires_at, issued_at, project {id, name, domain} and user. The
//     service catalogue, which nocatalog leaves out, is never included.
//
// Errors use Keystone's {"error": {code, title, message}} shape, and never
// quote a token. Without tokens configured (Options.Tokens, IAMUsers)
// IAM knows no token, so every validation is refused with 401.
func (s *Server) validateToken(w http.ResponseWriter, r *http.Request) {
	s.tokenValidationCount.Add(1)
	auth, subject := r.Header.Get("X-Auth-Token"), r.Header.Get("X-Subject-Token")
	now := s.now()
	s.mu.Lock()
	authGrant, authOK := s.tokens[auth]
	subjectGrant, subjectOK := s.tokens[subject]
	s.mu.Unlock()
	live := func(g grant) bool { return g.expires.IsZero() || now.Before(g.expires) }
	owner := func(g grant, token string) string {
		if g.user == "" {
			return "token " + token
		}
		return "user " + g.user + "@" + g.domain
	}
	switch {
	case auth == "" || !authOK || !live(authGrant):
		writeIAMError(w, http.StatusUnauthorized, "Unauthorized", "The request you have made requires authentication.")
	case subject == "":
		writeIAMError(w, http.StatusBadRequest, "Bad Request", "X-Subject-Token is missing.")
	case !subjectOK || !live(subjectGrant):
		writeIAMError(w, http.StatusNotFound, "Not Found", "The token could not be found.")
	case owner(subjectGrant, subject) != owner(authGrant, auth):
		writeIAMError(w, http.StatusForbidden, "Forbidden", "You are not authorized to perform the requested action: identity:validate_token.")
	default:
		w.Header().Set("X-Subject-Token", subject)
		writeJSON(w, http.StatusOK, map[string]any{"token": tokenBody(subjectGrant, now.UTC())})
	}
}

func writeIAMError(w http.ResponseWriter, status int, title, msg string) {
	writeJSON(w, status, map[string]any{"error": map[string]any{"code": status, "title": title, "message": msg}})
}
