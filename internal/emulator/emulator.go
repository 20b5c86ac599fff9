package emulator

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/devenv-facade/devenv-facade/internal/clock"
	"github.com/devenv-facade/devenv-facade/internal/options"
)

// DefaultRequestLogSize is how many requests [Server.Requests] keeps unless
// Options.RequestLog says otherwise.
const DefaultRequestLogSize = 1000

// Server is the emulated ModelArts endpoint. It is safe for concurrent use.
type Server struct {
	mux *http.ServeMux

	clock         clock.Clock
	tokenLifetime time.Duration
	users         []IAMUser
	projectNames  map[string]string // IAM project name → project ID
	accessKeys    map[string]AccessKey

	lifecycle Lifecycle
	quota     int // instances per project; options.NoLimit: no limit

	mu        sync.Mutex
	projects  map[string]map[string]*Instance // project ID → instance ID → instance (old API)
	notebooks map[string]map[string]*Notebook // project ID → notebook ID → notebook (new API)
	images    map[string]map[string]*Image    // project ID → image ID → DEDICATED image
	tokens    map[string]grant                // nil while any token is accepted
	log       []Request                       // ring buffer of the last requests
	logNext   int
	logFilled bool

	faults faults

	requestCount         atomic.Int64
	tokenRequestCount    atomic.Int64
	tokenValidationCount atomic.Int64
}

// Options configures a [Server]. The zero value of every field means its
// default (package options): an emulator that accepts any token, holds
// the [Samples] and runs on the system clock.
type Options struct {
	// Tokens makes the server accept only these tokens (and those its IAM
	// issues), each scoped to a project ID ("*" for any project), as IAM
	// project-scoped tokens are. They never expire. Without Tokens or
	// IAMUsers, any non-empty X-Auth-Token is accepted for any project.
	Tokens map[string]string
	// IAMUsers enables IAM password authentication for these users. Tokens
	// it issues are scoped to the requested project and expire after
	// TokenLifetime; ModelArts then accepts only tokens it knows.
	IAMUsers []IAMUser
	// Projects adds IAM projects (name → ID) that tokens can be scoped to
	// by name. [SampleProjectName] → [SampleProjectID] is always there.
	Projects map[string]string
	// TokenLifetime is how long issued tokens live; zero means
	// [DefaultTokenLifetime].
	TokenLifetime time.Duration
	// AccessKeys makes the server accept SDK-HMAC-SHA256 signatures made
	// with these keys.
	AccessKeys []AccessKey

	// Lifecycle holds the delays of the asynchronous operations; a zero
	// delay means its [DefaultLifecycle] value, [options.None] completes
	// the operation the next time the instance is looked at.
	Lifecycle Lifecycle
	// InstanceQuota is how many instances a project may hold, in each API
	// apart: a create beyond it fails with ModelArts.6302 (old API) or
	// ModelArts.0113 (new API). Zero means [DefaultInstanceQuota];
	// [options.NoLimit], no limit.
	InstanceQuota int
	// NoSamples starts the server with no instances instead of [Samples],
	// no notebooks instead of [SampleNotebooks] and no DEDICATED images
	// instead of [SampleImages] (the built-in images stay: they are the
	// catalog, as the flavors are).
	NoSamples bool

	// Fault, if set, is injected into every ModelArts API request, until
	// [Server.SetFault] replaces it.
	Fault Fault
	// RequestLog is how many recent requests [Server.Requests] keeps. Zero
	// means [DefaultRequestLogSize]; [options.None] keeps none (only
	// [Server.RequestCount] counts them), the cheapest.
	RequestLog int

	// Clock is the emulator's clock, for token expiry, the X-Sdk-Date
	// check, the instances' timestamps and their lifecycle. Nil means the
	// system clock; tests give a fake they advance, rather than sleep.
	// Injected latency ([Fault]) imitates the network and runs on real
	// time.
	Clock clock.Clock
}

// withDefaults returns o with its zero fields set to their defaults.
func (o Options) withDefaults() Options {
	o.TokenLifetime = options.Or(o.TokenLifetime, DefaultTokenLifetime)
	o.Lifecycle = o.Lifecycle.withDefaults()
	o.InstanceQuota = options.Or(o.InstanceQuota, DefaultInstanceQuota)
	o.RequestLog = options.Or(o.RequestLog, DefaultRequestLogSize)
	o.Clock = clock.Or(o.Clock)
	return o
}

// validate refuses what withDefaults left that New cannot use.
func (o Options) validate() error {
	switch {
	case o.TokenLifetime < 0:
		return options.Errorf("emulator", "{TokenLifetime} %s is negative", o.TokenLifetime)
	case o.Lifecycle.negative():
		return options.Errorf("emulator", "{Lifecycle} %+v has a negative delay other than options.None", o.Lifecycle)
	case o.InstanceQuota < options.NoLimit:
		return options.Errorf("emulator", "{InstanceQuota} %d is negative (options.NoLimit lifts the limit)", o.InstanceQuota)
	case o.RequestLog < options.None:
		return options.Errorf("emulator", "{RequestLog} %d is negative (options.None keeps none)", o.RequestLog)
	}
	return nil
}

// The DevEnviron v1 paths.
const (
	instancesPath = "/v1/{project_id}/demanager/instances"
	instancePath  = instancesPath + "/{instance_id}"
	// createPattern is the create's route, whose body may carry a fault
	// in its name.
	createPattern = "POST " + instancesPath
)

// New returns a server configured by opts, holding the [Samples]
// instances unless opts.NoSamples. It fails on options it cannot use (a
// negative TokenLifetime, say).
func New(opts Options) (*Server, error) {
	opts = opts.withDefaults()
	if err := opts.validate(); err != nil {
		return nil, err
	}
	s := &Server{
		log:           make([]Request, max(opts.RequestLog, 0)),
		clock:         opts.Clock,
		tokenLifetime: opts.TokenLifetime,
		projectNames:  map[string]string{SampleProjectName: SampleProjectID},
		lifecycle:     opts.Lifecycle,
		quota:         opts.InstanceQuota,
		projects:      map[string]map[string]*Instance{},
		notebooks:     map[string]map[string]*Notebook{},
		images:        map[string]map[string]*Image{},
		users:         slices.Clone(opts.IAMUsers),
	}
	s.faults.global = opts.Fault.f
	for n, id := range opts.Projects {
		s.projectNames[n] = id
	}
	if len(opts.Tokens) > 0 || len(opts.IAMUsers) > 0 {
		s.tokens = map[string]grant{}
		for t, p := range opts.Tokens {
			s.tokens[t] = grant{project: p}
		}
	}
	if len(opts.AccessKeys) > 0 {
		s.accessKeys = map[string]AccessKey{}
		for _, k := range opts.AccessKeys {
			s.accessKeys[k.ID] = k
		}
	}
	if !opts.NoSamples {
		now := s.now()
		for _, inst := range Samples() {
			s.put(SampleProjectID, normalize(inst, now))
		}
		for _, nb := range SampleNotebooks() {
			s.putNotebook(SampleProjectID, normalizeNotebook(nb, now))
		}
		for _, img := range SampleImages() {
			s.putImage(SampleProjectID, normalizeImage(img, now))
		}
	}
	s.mux = http.NewServeMux()
	s.mux.HandleFunc("POST /v3/auth/tokens", s.issueToken)
	s.mux.HandleFunc("GET /v3/auth/tokens", s.validateToken) // and HEAD
	s.mux.HandleFunc("/emulator/faults", s.serveFaultAdmin)
	s.mux.HandleFunc(createPattern, s.api(s.authenticated(s.createInstance)))
	s.mux.HandleFunc("GET "+instancesPath, s.api(s.authenticated(s.listInstances)))
	s.mux.HandleFunc("GET "+instancePath, s.api(s.authenticated(s.getInstance)))
	s.mux.HandleFunc("PUT "+instancePath, s.api(s.authenticated(s.updateInstance)))
	s.mux.HandleFunc("DELETE "+instancePath, s.api(s.authenticated(s.deleteInstance)))
	s.mux.HandleFunc("POST "+instancePath+"/action", s.api(s.authenticated(s.actionInstance)))
	s.routeNotebookAPI()
	s.mux.HandleFunc("/", s.notFound)
	return s, nil
}

// MustNew is New for options written in code (tests, the command's
// defaults): it panics on options New refuses.
func MustNew(opts Options) *Server {
	s, err := New(opts)
	if err != nil {
		panic(err)
	}
	return s
}

// now reads the emulator's clock.
func (s *Server) now() time.Time { return s.clock.Now() }

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
// [DefaultRequestLogSize], or Options.RequestLog).
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

func (s *Server) notFound(w http.ResponseWriter, _ *http.Request) {
	writeError(w, errAPINotFound)
}

// put stores a copy of inst under projectID. The caller holds s.mu (or
// owns s alone).
func (s *Server) put(projectID string, inst Instance) {
	if s.projects[projectID] == nil {
		s.projects[projectID] = map[string]*Instance{}
	}
	c := inst.clone()
	s.projects[projectID][inst.ID] = &c
}

// normalize fills in the defaults of an instance given to AddInstance (or
// a sample): CreatedAt now, UpdatedAt CreatedAt, workspace "0", owner
// [SampleUser], and for a RUNNING instance with auto-stop enabled and no
// stop scheduled, a stop Duration from now.
func normalize(inst Instance, now time.Time) Instance {
	if inst.CreatedAt.IsZero() {
		inst.CreatedAt = now
	}
	if inst.UpdatedAt.IsZero() {
		inst.UpdatedAt = inst.CreatedAt
	}
	if inst.WorkspaceID == "" {
		inst.WorkspaceID = "0"
	}
	if inst.User == (User{}) {
		inst.User = SampleUser
	}
	if inst.Status == StatusRunning && inst.AutoStop.Enable && inst.AutoStop.Duration > 0 && inst.AutoStop.StopAt.IsZero() {
		inst.AutoStop.StopAt = now.Add(inst.AutoStop.Duration)
	}
	return inst
}

// AddInstance stores a copy of inst in projectID, replacing any instance
// with the same ID. Tests use it to set up state the API cannot reach.
// Fields left empty get defaults: CreatedAt and UpdatedAt the server's
// clock, WorkspaceID "0", User [SampleUser]; a RUNNING instance with
// AutoStop.Enable and no AutoStop.StopAt stops AutoStop.Duration from now.
// An instance in a transitional status (CREATING, STARTING, STOPPING...)
// stays in it unless inst.Next says where it goes and when.
func (s *Server) AddInstance(projectID string, inst Instance) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.put(projectID, normalize(inst, s.now()))
}

// Instance returns a copy of the instance as it is now on the server's
// clock (pending transitions and auto-stop applied), and whether it exists.
func (s *Server) Instance(projectID, instanceID string) (Instance, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	inst := s.lookup(projectID, instanceID, s.now())
	if inst == nil {
		return Instance{}, false
	}
	return inst.clone(), true
}

// Instances returns copies of the instances of a project as they are now
// on the server's clock, sorted by ID.
func (s *Server) Instances(projectID string) []Instance {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	out := make([]Instance, 0, len(s.projects[projectID]))
	for _, inst := range s.projects[projectID] {
		settle(inst, now)
		out = append(out, inst.clone())
	}
	slices.SortFunc(out, func(a, b Instance) int { return strings.Compare(a.ID, b.ID) })
	return out
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
