// Package emulator is an in-memory ModelArts: it implements the vendor side
// of the DevEnviron v1 REST API as an [http.Handler], so the facade can run
// and be tested without a cloud account.
//
// It is written from the vendor's API reference (paths, bodies, error codes
// and HTTP statuses), not from what the facade's client sends: a test double
// shaped by the code under test proves nothing. Where the reference is
// silent, the choice is marked "inferred" in the code.
//
// The facade's own code does not use it, with one exception: the
// devenv-facade command imports it for its embedded mode, serving it on
// loopback when no ModelArts endpoint is configured.
//
// What it implements today:
//
//   - DELETE /v1/{project_id}/demanager/instances/{instance_id}: 200
//     {"instance_id": ...}; 400 ModelArts.6309 for an unknown instance;
//     400 ModelArts.6304 for a running one; 400 ModelArts.6306, 6308 or
//     6357 while it is starting, stopping or being created.
//   - Token authentication: 401 ModelArts.0205 without X-Auth-Token (or a
//     signature); with [WithTokens] or [WithIAMUsers], 401 ModelArts.0203
//     for an unknown token, 401 ModelArts.0202 for an expired one and 403
//     ModelArts.0210 for a token scoped to another project.
//   - AK/SK authentication ([WithAccessKeys]): SDK-HMAC-SHA256 signatures
//     in both wire forms ("Access=" and "Credential="), verified by an
//     implementation of its own; 401 ModelArts.0206 for a malformed
//     Authorization header, 401 ModelArts.0208 for a missing or skewed
//     X-Sdk-Date, 403 ModelArts.0206 for an unknown key or a wrong
//     signature.
//   - IAM: POST /v3/auth/tokens with the password method ([WithIAMUsers])
//     issues project-scoped tokens (201, X-Subject-Token) that expire after
//     [WithTokenLifetime].
//   - Any other path: 404 APIGW.0101, as the API gateway in front of
//     ModelArts answers.
//   - Fault injection (latency, error answers, throttling, connection
//     resets, stalls, truncated and non-JSON bodies, N failures then
//     success), per instance ID, per request or globally: see [CheckFault].
package emulator

import (
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
)

// DefaultRequestLogSize is how many requests [Server.Requests] keeps unless
// [WithRequestLog] says otherwise.
const DefaultRequestLogSize = 1000

// Server is the emulated ModelArts endpoint. It is safe for concurrent use.
type Server struct {
	mux *http.ServeMux

	now           func() time.Time
	tokenLifetime time.Duration
	users         []IAMUser
	projectNames  map[string]string // IAM project name → project ID
	accessKeys    map[string]AccessKey

	mu        sync.Mutex
	projects  map[string]map[string]*Instance // project ID → instance ID → instance
	tokens    map[string]grant                // nil while any token is accepted
	log       []Request                       // ring buffer of the last requests
	logNext   int
	logFilled bool

	faults faults

	requestCount      atomic.Int64
	tokenRequestCount atomic.Int64
}

// Option configures a [Server].
type Option func(*Server)

// WithTokens makes the server accept only the given tokens (and those its
// IAM issues), each scoped to a project ID ("*" for any project), as IAM
// project-scoped tokens are. They never expire. Without WithTokens or
// [WithIAMUsers], any non-empty X-Auth-Token is accepted for any project.
func WithTokens(tokens map[string]string) Option {
	return func(s *Server) {
		if s.tokens == nil {
			s.tokens = map[string]grant{}
		}
		for t, p := range tokens {
			s.tokens[t] = grant{project: p}
		}
	}
}

// WithClock sets the emulator's clock, for token expiry and the
// X-Sdk-Date check. The default is time.Now.
func WithClock(now func() time.Time) Option {
	return func(s *Server) { s.now = now }
}

// WithoutSamples starts the server with no instances instead of [Samples].
func WithoutSamples() Option {
	return func(s *Server) { s.projects = map[string]map[string]*Instance{} }
}

// WithRequestLog sets how many recent requests [Server.Requests] keeps.
// Zero keeps none (only [Server.RequestCount] counts them).
func WithRequestLog(n int) Option {
	return func(s *Server) { s.log = make([]Request, max(n, 0)) }
}

// New returns a server holding the [Samples] instances.
func New(opts ...Option) *Server {
	s := &Server{
		log:           make([]Request, DefaultRequestLogSize),
		now:           time.Now,
		tokenLifetime: DefaultTokenLifetime,
		projectNames:  map[string]string{SampleProjectName: SampleProjectID},
	}
	s.projects = map[string]map[string]*Instance{}
	for _, inst := range Samples() {
		s.put(SampleProjectID, inst)
	}
	for _, opt := range opts {
		opt(s)
	}
	s.mux = http.NewServeMux()
	s.mux.HandleFunc("POST /v3/auth/tokens", s.issueToken)
	s.mux.HandleFunc("/emulator/faults", s.serveFaultAdmin)
	s.mux.HandleFunc("DELETE /v1/{project_id}/demanager/instances/{instance_id}", s.api(s.authenticated(s.deleteInstance)))
	s.mux.HandleFunc("/", s.notFound)
	return s
}

// ServeHTTP implements [http.Handler].
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.record(r)
	requestID := r.Header.Get("X-Request-Id")
	if requestID == "" {
		requestID = uuid.NewString()
	}
	w.Header().Set("X-Request-Id", requestID)
	s.mux.ServeHTTP(w, r)
}

// Request is a request as the server received it.
type Request struct {
	// Method is the HTTP method.
	Method string
	// Path is the escaped path, as sent on the wire.
	Path string
	// RawQuery is the query string, without "?".
	RawQuery string
	// Header holds the request headers, tokens included: the log exists
	// for tests and never leaves the process.
	Header http.Header
}

// RequestCount returns how many requests the server has received.
func (s *Server) RequestCount() int64 { return s.requestCount.Load() }

// Requests returns the most recent requests, oldest first (at most
// [DefaultRequestLogSize], or the size given to [WithRequestLog]).
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.logFilled {
		return append([]Request(nil), s.log[:s.logNext]...)
	}
	return append(append([]Request(nil), s.log[s.logNext:]...), s.log[:s.logNext]...)
}

func (s *Server) record(r *http.Request) {
	s.requestCount.Add(1)
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.log) == 0 {
		return
	}
	s.log[s.logNext] = Request{Method: r.Method, Path: r.URL.EscapedPath(), RawQuery: r.URL.RawQuery, Header: r.Header.Clone()}
	s.logNext++
	if s.logNext == len(s.log) {
		s.logNext, s.logFilled = 0, true
	}
}

// api wraps a ModelArts API handler with fault injection.
func (s *Server) api(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.injectFaults(w, r, next) {
			return
		}
		next(w, r)
	}
}

func (s *Server) deleteInstance(w http.ResponseWriter, r *http.Request) {
	projectID, instanceID := r.PathValue("project_id"), r.PathValue("instance_id")
	if strings.HasPrefix(instanceID, FaultInstancePrefix) {
		// A fault instance that no fault hit behaves as a stopped one.
		writeJSON(w, http.StatusOK, map[string]string{"instance_id": instanceID})
		return
	}
	s.mu.Lock()
	inst, ok := s.projects[projectID][instanceID]
	var verr *vendorError
	switch {
	case !ok:
		verr = errInstanceNotFound
	default:
		verr = deleteGuard(inst.Status)
	}
	if verr == nil {
		delete(s.projects[projectID], instanceID)
	}
	s.mu.Unlock()

	if verr != nil {
		writeError(w, verr)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"instance_id": instanceID})
}

// deleteGuard returns the error ModelArts gives for deleting an instance in
// the given status, or nil if the delete may proceed. The reference
// documents 6304 (stop before deleting); the others follow the error texts
// of 6306, 6308 and 6357 (inferred).
func deleteGuard(st Status) *vendorError {
	switch st {
	case StatusRunning:
		return errStopBeforeDelete
	case StatusStarting, StatusRestarting:
		return errInstanceStarting
	case StatusStopping:
		return errInstanceStopping
	case StatusCreating, StatusResizing:
		return errOperationInProgress
	}
	return nil
}

func (s *Server) notFound(w http.ResponseWriter, _ *http.Request) {
	writeError(w, errAPINotFound)
}

// put stores a copy of inst under projectID.
func (s *Server) put(projectID string, inst Instance) {
	if s.projects[projectID] == nil {
		s.projects[projectID] = map[string]*Instance{}
	}
	s.projects[projectID][inst.ID] = &inst
}

// AddInstance stores inst in projectID, replacing any instance with the same
// ID. Tests use it to set up state the API cannot create yet.
func (s *Server) AddInstance(projectID string, inst Instance) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.put(projectID, inst)
}

// Instance returns a copy of the instance, and whether it exists.
func (s *Server) Instance(projectID, instanceID string) (Instance, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	inst, ok := s.projects[projectID][instanceID]
	if !ok {
		return Instance{}, false
	}
	return *inst, true
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
