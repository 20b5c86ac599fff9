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

// IAMUser is a user the emulator's IAM issues tokens to ([WithIAMUsers]).
type IAMUser struct {
	// Name, Password and Domain (the account name) identify the user.
	Name, Password, Domain string
}

// WithIAMUsers enables IAM password authentication for these users. Tokens
// it issues are scoped to the requested project and expire after the
// token lifetime; ModelArts then accepts only tokens it knows.
func WithIAMUsers(users ...IAMUser) Option {
	return func(s *Server) {
		s.users = append(s.users, users...)
		if s.tokens == nil {
			s.tokens = map[string]grant{}
		}
	}
}

// WithProjects adds IAM projects (name → ID) that tokens can be scoped to
// by name. [SampleProjectName] → [SampleProjectID] is always there.
func WithProjects(projects map[string]string) Option {
	return func(s *Server) {
		for n, id := range projects {
			s.projectNames[n] = id
		}
	}
}

// WithTokenLifetime sets how long issued tokens live.
func WithTokenLifetime(d time.Duration) Option {
	return func(s *Server) { s.tokenLifetime = d }
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
	s.mu.Lock()
	s.tokens[token] = grant{project: projectID, expires: expires}
	s.mu.Unlock()

	const layout = "2006-01-02T15:04:05.000000Z"
	w.Header().Set("X-Subject-Token", token)
	writeJSON(w, http.StatusCreated, map[string]any{"token": map[string]any{
		"methods":    []string{"password"},
		"expires_at": expires.Format(layout),
		"issued_at":  issued.Format(layout),
		"project":    map[string]any{"id": projectID, "name": projectName, "domain": map[string]string{"name": u.Domain.Name}},
		"user":       map[string]any{"name": u.Name, "domain": map[string]string{"name": u.Domain.Name}},
	}})
}

func writeIAMError(w http.ResponseWriter, status int, title, msg string) {
	writeJSON(w, status, map[string]any{"error": map[string]any{"code": status, "title": title, "message": msg}})
}
