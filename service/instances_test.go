package service_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	devenvv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/devenv/v1"
	"github.com/devenv-facade/devenv-facade/internal/callctx"
	"github.com/devenv-facade/devenv-facade/internal/clock/clocktest"
	"github.com/devenv-facade/devenv-facade/internal/cloudauth"
	"github.com/devenv-facade/devenv-facade/internal/emulator"
	"github.com/devenv-facade/devenv-facade/internal/modelarts"
	"github.com/devenv-facade/devenv-facade/internal/statustest"
	"github.com/devenv-facade/devenv-facade/service"
)

// seen is a request the upstream received.
type seen struct {
	method, path string
	query        url.Values
	body         string
}

// upstream is the emulator behind a wrapper that records every request
// with its body and can, for chosen requests, lose the answer (the
// emulator acts, then the connection is closed without an answer), reset
// the connection (the emulator never sees the request) or fail with a bare
// 503 (likewise).
type upstream struct {
	emu *emulator.Server

	mu    sync.Mutex
	log   []seen
	rules rules
}

// rules choose the requests upstream mistreats; nil matches none.
type rules struct {
	lose, reset, fail func(r *http.Request) bool
	// ignore answers an action as accepted (the current status is the one
	// asked for being reached) without passing it to the emulator.
	ignore func(r *http.Request) bool
	// garble passes the request to the emulator and answers 200 with a
	// body that is not JSON: ModelArts acted, its answer is unusable.
	garble func(r *http.Request) bool
}

func newUpstream(opts emulator.Options) *upstream {
	return &upstream{emu: emulator.MustNew(opts)}
}

// set changes which requests are mistreated.
func (u *upstream) set(r rules) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.rules = r
}

// requests returns the requests received with method (all when "").
func (u *upstream) requests(method string) []seen {
	u.mu.Lock()
	defer u.mu.Unlock()
	var out []seen
	for _, s := range u.log {
		if method == "" || s.method == method {
			out = append(out, s)
		}
	}
	return out
}

func (u *upstream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	u.mu.Lock()
	u.log = append(u.log, seen{r.Method, r.URL.EscapedPath(), r.URL.Query(), string(body)})
	rs := u.rules
	u.mu.Unlock()
	match := func(f func(*http.Request) bool) bool { return f != nil && f(r) }
	switch {
	case match(rs.fail):
		w.WriteHeader(http.StatusServiceUnavailable)
	case match(rs.garble):
		u.emu.ServeHTTP(httptest.NewRecorder(), r)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"id": "trunc`)
	case match(rs.ignore):
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"current_status":"STOPPING","previous_state":"RUNNING"}`)
	case match(rs.lose), match(rs.reset):
		if match(rs.lose) {
			u.emu.ServeHTTP(httptest.NewRecorder(), r) // the emulator acts, its answer is lost
		}
		if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
			conn.Close()
		}
	default:
		u.emu.ServeHTTP(w, r)
	}
}

// is returns a predicate matching requests with method whose path ends
// with suffix.
func is(method, suffix string) func(r *http.Request) bool {
	return func(r *http.Request) bool { return r.Method == method && strings.HasSuffix(r.URL.Path, suffix) }
}

// noRetries keeps the tests' upstream request counts exact.
var noRetries = func() modelarts.RetryPolicy {
	p := modelarts.DefaultRetryPolicy()
	p.MaxAttempts = 1
	return p
}()

func createRequest(name string) *devenvv1.CreateInstanceRequest {
	return &devenvv1.CreateInstanceRequest{ProjectId: project, Name: name, ProfileId: "Multi-Engine 1.0 (python3)-cpu",
		Flavor: "modelarts.vm.cpu.2u", Spec: &devenvv1.CreateInstanceSpec{Storage: &devenvv1.Storage{
			Type: proto.String("obs"), Location: &devenvv1.StorageLocation{Path: proto.String("/bucket/dir/")}}}}
}

// TestCreateInstance_lostAnswer: a create is sent once; when its answer is
// lost, the name is looked up: found means created (success, x-outcome:
// inferred), not found means not created (UNAVAILABLE, safe to retry), a
// failed lookup means unknown (OUTCOME_UNKNOWN).
func TestCreateInstance_lostAnswer(t *testing.T) {
	t.Parallel()
	create, list := is(http.MethodPost, "/instances"), is(http.MethodGet, "/instances")
	tests := []struct {
		name       string
		rules      rules
		wantCode   codes.Code
		wantReason string
		created    bool
	}{
		{"created_answer_lost", rules{lose: create}, codes.OK, "", true},
		{"not_created_connection_reset", rules{reset: create}, codes.Unavailable, "UPSTREAM_UNAVAILABLE", false},
		{"created_lookup_fails", rules{lose: create, fail: list}, codes.Unavailable, "OUTCOME_UNKNOWN", true},
		{"answered_503_no_lookup", rules{fail: create}, codes.Unavailable, "UPSTREAM_HTTP_ERROR", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			up := newUpstream(emulator.Options{})
			up.set(tt.rules)
			h := start(t, up, modelarts.Options{Credentials: cloudauth.Token("t"), Retry: noRetries})
			var hdr metadata.MD
			resp, err := h.client.CreateInstance(t.Context(), createRequest("lost-"+tt.name), grpc.Header(&hdr))
			if status.Code(err) != tt.wantCode {
				t.Fatalf("create: %v; want %v", err, tt.wantCode)
			}
			if err != nil {
				if r := statustest.Error(t, err).Reason(); r != tt.wantReason {
					t.Errorf("reason %s; want %s", r, tt.wantReason)
				}
			} else {
				if resp.GetInstance().GetName() != "lost-"+tt.name || !strings.HasPrefix(resp.GetInstance().GetId(), "DE-") {
					t.Errorf("answered %v; want the instance created", resp.GetInstance())
				}
				if got := hdr.Get(callctx.MetadataKeyOutcome); !cmp.Equal(got, []string{"inferred"}) {
					t.Errorf("x-outcome = %q; want inferred", got)
				}
			}
			if n := len(up.requests(http.MethodPost)); n != 1 {
				t.Errorf("%d create requests; a create is never resent", n)
			}
			if lookups := len(up.requests(http.MethodGet)); (lookups > 0) != (tt.rules.lose != nil || tt.rules.reset != nil) {
				t.Errorf("%d lookups; want one only when the answer was lost", lookups)
			}
			count := 0
			for _, in := range up.emu.Instances(project) {
				if in.Name == "lost-"+tt.name {
					count++
				}
			}
			if want := map[bool]int{true: 1, false: 0}[tt.created]; count != want {
				t.Errorf("%d instances named lost-%s; want %d", count, tt.name, want)
			}
		})
	}
}

// TestCreateInstance_lostAnswerInAWorkspace: the lookup of a lost create
// searches the workspace the instance was created in (ModelArts lists
// workspace "0" unless told otherwise).
func TestCreateInstance_lostAnswerInAWorkspace(t *testing.T) {
	t.Parallel()
	up := newUpstream(emulator.Options{})
	up.set(rules{lose: is(http.MethodPost, "/instances")})
	h := start(t, up, modelarts.Options{Credentials: cloudauth.Token("t"), Retry: noRetries})
	req := createRequest("ws-nb")
	req.Workspace = &devenvv1.Workspace{Id: proto.String("ws1")}
	resp, err := h.client.CreateInstance(t.Context(), req)
	if err != nil || resp.GetInstance().GetName() != "ws-nb" {
		t.Fatalf("create in workspace ws1 with its answer lost: %v, %v; want the instance found", resp.GetInstance(), err)
	}
	if gets := up.requests(http.MethodGet); len(gets) != 1 || gets[0].query.Get("workspace_id") != "ws1" {
		t.Errorf("lookups %v; want one in workspace ws1", gets)
	}
}

// TestStartStop_lostAnswer: an action is sent once; when its answer is
// lost, the instance's status decides: it shows the action took effect
// (success, x-outcome: inferred), or it does not and the outcome is
// unknown (OUTCOME_UNKNOWN naming the status).
func TestStartStop_lostAnswer(t *testing.T) {
	t.Parallel()
	const createFailed = "DE-5f9bac21-5a4d-11ee-8c99-0242ac120002"
	tests := []struct {
		name       string
		action     string
		instance   string
		failGet    bool
		wantCode   codes.Code
		wantStatus string // instance_status in ErrorInfo, or current_status
	}{
		{"start_took_effect", "start", stopped, false, codes.OK, "STARTING"},
		{"stop_took_effect", "stop", running, false, codes.OK, "STOPPING"},
		{"start_refused_status_unchanged", "start", createFailed, false, codes.Unavailable, "CREATE_FAILED"},
		{"stop_of_a_stopped_instance", "stop", stopped, false, codes.OK, "STOPPED"},
		{"status_unreadable", "start", stopped, true, codes.Unavailable, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			up := newUpstream(emulator.Options{})
			var fail func(*http.Request) bool
			if tt.failGet {
				fail = is(http.MethodGet, tt.instance)
			}
			up.set(rules{lose: is(http.MethodPost, "/action"), fail: fail})
			h := start(t, up, modelarts.Options{Credentials: cloudauth.Token("t"), Retry: noRetries})
			var hdr metadata.MD
			var current string
			var err error
			if tt.action == "start" {
				var r *devenvv1.StartInstanceResponse
				r, err = h.client.StartInstance(t.Context(), &devenvv1.StartInstanceRequest{ProjectId: project, InstanceId: tt.instance}, grpc.Header(&hdr))
				current = r.GetCurrentStatus()
			} else {
				var r *devenvv1.StopInstanceResponse
				r, err = h.client.StopInstance(t.Context(), &devenvv1.StopInstanceRequest{ProjectId: project, InstanceId: tt.instance}, grpc.Header(&hdr))
				current = r.GetCurrentStatus()
			}
			if status.Code(err) != tt.wantCode {
				t.Fatalf("%s: %v; want %v", tt.action, err, tt.wantCode)
			}
			if err != nil {
				info := statustest.Error(t, err)
				if info.Reason() != "OUTCOME_UNKNOWN" || info.Metadata()["instance_status"] != tt.wantStatus {
					t.Errorf("ErrorInfo %s %v; want OUTCOME_UNKNOWN, instance_status %q", info.Reason(), info.Metadata(), tt.wantStatus)
				}
			} else {
				if current != tt.wantStatus {
					t.Errorf("current_status %q; want %q", current, tt.wantStatus)
				}
				if got := hdr.Get(callctx.MetadataKeyOutcome); !cmp.Equal(got, []string{"inferred"}) {
					t.Errorf("x-outcome = %q; want inferred", got)
				}
			}
			if n := len(up.requests(http.MethodPost)); n != 1 {
				t.Errorf("%d action requests; an action is never resent", n)
			}
		})
	}
}

// TestWait_ridesOutTransientErrors: reads that fail with 503 while waiting
// do not end the wait.
func TestWait_ridesOutTransientErrors(t *testing.T) {
	t.Parallel()
	clock := advancingClock()
	up := newUpstream(emulator.Options{Clock: clock})
	failures := 3
	var mu sync.Mutex
	up.set(rules{fail: func(r *http.Request) bool {
		mu.Lock()
		defer mu.Unlock()
		if r.Method == http.MethodGet && failures > 0 {
			failures--
			return true
		}
		return false
	}})
	h := startWith(t, up, service.Options{Clock: clock}, modelarts.Options{Credentials: cloudauth.Token("t"), Retry: noRetries})
	r, err := h.client.StopInstance(t.Context(), &devenvv1.StopInstanceRequest{ProjectId: project, InstanceId: running, Wait: true})
	if err != nil || r.GetCurrentStatus() != "STOPPED" || r.GetInstance().GetStatus() != "STOPPED" {
		t.Fatalf("stop with wait through 3 failed reads: %v, %v; want STOPPED", r, err)
	}
	if n := len(up.requests(http.MethodGet)); n < 4 {
		t.Errorf("%d reads; want the 3 failures and at least one more", n)
	}
}

// TestWait_contraryStateEndsIt: a wait for STOPPED that keeps reading
// RUNNING (the stop did not take effect) ends with FAILED_PRECONDITION
// after contraryLimit of waiting, not at the maximum wait.
func TestWait_contraryStateEndsIt(t *testing.T) {
	t.Parallel()
	clock := advancingClock()
	up := newUpstream(emulator.Options{Clock: clock})
	up.set(rules{ignore: is(http.MethodPost, "/action")})
	h := startWith(t, up, service.Options{Clock: clock}, modelarts.Options{Credentials: cloudauth.Token("t"), Retry: noRetries})
	begin := clock.Now()
	_, err := h.client.StopInstance(t.Context(), &devenvv1.StopInstanceRequest{ProjectId: project, InstanceId: running, Wait: true})
	if status.Code(err) != codes.FailedPrecondition {
		t.Fatalf("stop with wait, instance staying RUNNING: %v; want FAILED_PRECONDITION", err)
	}
	info := statustest.Error(t, err)
	if info.Reason() != "INSTANCE_FAILED" || info.Metadata()["instance_status"] != "RUNNING" || info.Metadata()["instance_id"] != running {
		t.Errorf("ErrorInfo %s %v; want INSTANCE_FAILED, instance_status RUNNING, instance_id %s", info.Reason(), info.Metadata(), running)
	}
	if waited := clock.Now().Sub(begin); waited < 30*time.Second || waited > 45*time.Second {
		t.Errorf("the wait lasted %s; want about 30s (not the 10m maximum)", waited)
	}
}

// TestWait_endsAtTheCallersDeadline: a wait never outlives the caller's
// deadline, and its error names the status seen last. The deadline passes
// on cue, while the wait pauses after its first read (the fake clock does
// not move, so the instance stays CREATING and the pause lasts): no timer
// races the create or the read.
func TestWait_endsAtTheCallersDeadline(t *testing.T) {
	t.Parallel()
	clock := clocktest.New(clocktest.Start)
	up := newUpstream(emulator.Options{Clock: clock})
	srv := httptest.NewServer(up)
	t.Cleanup(srv.Close)
	mc, err := modelarts.NewClient(srv.Client(), srv.URL, modelarts.Options{Credentials: cloudauth.Token("t")})
	if err != nil {
		t.Fatal(err)
	}
	svc := newService(t, mc, service.Options{Clock: clock})
	ctx := newCuedDeadline(t.Context())
	req := createRequest("slow")
	req.Wait = true
	done := make(chan error, 1)
	go func() {
		_, err := svc.CreateInstance(ctx, req)
		done <- err
	}()
	if err := clock.BlockUntil(t.Context(), 1); err != nil { // the wait pauses after a read
		t.Fatal(err)
	}
	ctx.pass()
	select {
	case err = <-done:
	case <-time.After(time.Minute): // only when the wait ignores the deadline
		t.Fatal("the wait outlived the caller's deadline by a minute")
	}
	if status.Code(err) != codes.DeadlineExceeded {
		t.Fatalf("create with wait: %v; want DEADLINE_EXCEEDED", err)
	}
	if e := statustest.Error(t, err); !strings.Contains(e.Message(), "the call's deadline passed") || e.Metadata()["instance_status"] != "CREATING" {
		t.Errorf("error %q (metadata %v); want the caller's deadline named and the status seen last, CREATING", e.Message(), e.Metadata())
	}
	if len(up.requests(http.MethodGet)) == 0 {
		t.Error("the wait never read the instance")
	}
}

// cuedDeadline is a context whose deadline passes when the test calls
// pass, not at a time: Done closes then, and Err says
// context.DeadlineExceeded, as a caller's deadline does.
type cuedDeadline struct {
	context.Context
	done     chan struct{}
	deadline time.Time
}

func newCuedDeadline(parent context.Context) *cuedDeadline {
	return &cuedDeadline{Context: parent, done: make(chan struct{}), deadline: time.Now().Add(time.Hour)}
}

// pass makes the deadline pass.
func (c *cuedDeadline) pass() { close(c.done) }

// Deadline reports a deadline an hour away: what the code sees of it
// before pass (it bounds the client's requests no sooner than that).
func (c *cuedDeadline) Deadline() (time.Time, bool) { return c.deadline, true }

func (c *cuedDeadline) Done() <-chan struct{} { return c.done }

func (c *cuedDeadline) Err() error {
	select {
	case <-c.done:
		return context.DeadlineExceeded
	default:
		return nil
	}
}

// TestUpdateInstance_sendsOnlyWhatIsGiven: unset fields are not sent, so
// ModelArts keeps their values; set ones are sent even when empty.
func TestUpdateInstance_sendsOnlyWhatIsGiven(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		req  *devenvv1.UpdateInstanceRequest
		want string
	}{
		{"description", &devenvv1.UpdateInstanceRequest{Description: proto.String("new")}, `{"description":"new"}`},
		{"clear_description", &devenvv1.UpdateInstanceRequest{Description: proto.String("")}, `{"description":""}`},
		{"auto_stop_off", &devenvv1.UpdateInstanceRequest{Spec: &devenvv1.UpdateInstanceSpec{AutoStop: &devenvv1.AutoStop{Enable: proto.Bool(false)}}},
			`{"spec":{"auto_stop":{"enable":false}}}`},
		{"both", &devenvv1.UpdateInstanceRequest{Description: proto.String("d"),
			Spec: &devenvv1.UpdateInstanceSpec{AutoStop: &devenvv1.AutoStop{Enable: proto.Bool(true), Duration: proto.Int32(7200)}}},
			`{"description":"d","spec":{"auto_stop":{"enable":true,"duration":7200}}}`},
		{"nothing", &devenvv1.UpdateInstanceRequest{}, `{}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			up := newUpstream(emulator.Options{})
			h := start(t, up, modelarts.Options{Credentials: cloudauth.Token("t")})
			tt.req.ProjectId, tt.req.InstanceId = project, running
			resp, err := h.client.UpdateInstance(t.Context(), tt.req)
			if err != nil {
				t.Fatal(err)
			}
			if resp.GetInstance().GetId() != running {
				t.Errorf("answered %v; want the instance", resp.GetInstance())
			}
			puts := up.requests(http.MethodPut)
			if len(puts) != 1 {
				t.Fatalf("%d PUTs; want 1", len(puts))
			}
			if !jsonEqual(t, puts[0].body, tt.want) {
				t.Errorf("body %s; want %s", puts[0].body, tt.want)
			}
		})
	}
}

// TestListInstances_query: the request's filters and order become the
// vendor's query parameters, de_type defaulting to Notebook; offset and
// limit pass through.
func TestListInstances_query(t *testing.T) {
	t.Parallel()
	up := newUpstream(emulator.Options{})
	h := start(t, up, modelarts.Options{Credentials: cloudauth.Token("t")})
	tests := []struct {
		req  *devenvv1.ListInstancesRequest
		want url.Values
	}{
		{&devenvv1.ListInstancesRequest{}, url.Values{"de_type": {"Notebook"}}},
		// As the vendor's Python clients send it; the reference's form
		// goes upstream.
		{&devenvv1.ListInstancesRequest{ShowSelf: "True"}, url.Values{"de_type": {"Notebook"}, "show_self": {"true"}}},
		{&devenvv1.ListInstancesRequest{DeType: "Notebook", ProvisionType: "Docker", Status: "RUNNING", Sortby: "creation_timestamp",
			Order: "desc", Offset: 2, Limit: 3, WorkspaceId: "0", ShowSelf: "false", PoolId: "pool-1", AiProject: "default-ai-project"},
			url.Values{"de_type": {"Notebook"}, "provision_type": {"Docker"}, "status": {"RUNNING"}, "sortby": {"creation_timestamp"},
				"order": {"desc"}, "offset": {"2"}, "limit": {"3"}, "workspace_id": {"0"}, "show_self": {"false"}, "pool_id": {"pool-1"},
				"ai_project": {"default-ai-project"}}},
	}
	for i, tt := range tests {
		before := len(up.requests(http.MethodGet))
		tt.req.ProjectId = project
		if _, err := h.client.ListInstances(t.Context(), tt.req); err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		gets := up.requests(http.MethodGet)[before:]
		if len(gets) != 1 {
			t.Fatalf("case %d: %d requests; want 1", i, len(gets))
		}
		if diff := cmp.Diff(tt.want, gets[0].query); diff != "" {
			t.Errorf("case %d: query (-want +got):\n%s", i, diff)
		}
	}
}

// jsonEqual compares two JSON documents by value.
func jsonEqual(t *testing.T, a, b string) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal([]byte(a), &x); err != nil {
		t.Fatalf("%q: %v", a, err)
	}
	if err := json.Unmarshal([]byte(b), &y); err != nil {
		t.Fatalf("%q: %v", b, err)
	}
	return cmp.Equal(x, y)
}

// advancingClock is a fake clock for the emulator and the service that
// moves as the service pauses between two reads of an instance it waits
// for.
func advancingClock() *clocktest.Fake {
	c := clocktest.New(clocktest.Start)
	c.AdvanceOnWait(true)
	return c
}

// TestWait_boundedByMaxWaits: beyond Options.MaxWaits calls waiting at once, a
// call with wait is refused with RESOURCE_EXHAUSTED (OVERLOADED, RetryInfo)
// before anything is sent; calls without wait are not affected; a slot is
// free again once its wait ends.
func TestWait_boundedByMaxWaits(t *testing.T) {
	t.Parallel()
	// The clock moves only when told: the first call's wait holds its
	// slot until the test releases it.
	clock := clocktest.New(clocktest.Start)
	up := newUpstream(emulator.Options{Clock: clock})
	h := startWith(t, up, service.Options{MaxWaits: 1, Clock: clock}, modelarts.Options{Credentials: cloudauth.Token("t"), Retry: noRetries})

	first := make(chan error, 1)
	go func() {
		_, err := h.client.StopInstance(t.Context(), &devenvv1.StopInstanceRequest{ProjectId: project, InstanceId: running, Wait: true})
		first <- err
	}()
	if err := clock.BlockUntil(t.Context(), 1); err != nil { // the first call waits
		t.Fatal(err)
	}

	posts := len(up.requests(http.MethodPost))
	refusedCtx, cancelRefused := context.WithTimeout(t.Context(), 5*time.Second) // were it admitted, it would wait
	defer cancelRefused()
	_, err := h.client.StartInstance(refusedCtx, &devenvv1.StartInstanceRequest{ProjectId: project, InstanceId: stopped, Wait: true})
	if status.Code(err) != codes.ResourceExhausted {
		t.Fatalf("a second wait: %v; want RESOURCE_EXHAUSTED", err)
	}
	if info := statustest.Error(t, err); info.Reason() != "OVERLOADED" {
		t.Errorf("reason %s; want OVERLOADED", info.Reason())
	}
	if d := statustest.Error(t, err).RetryDelay(); d <= 0 {
		t.Error("no RetryInfo")
	}
	if n := len(up.requests(http.MethodPost)); n != posts {
		t.Errorf("the refused call sent %d requests; want none", n-posts)
	}
	if _, err := h.client.GetInstance(t.Context(), &devenvv1.GetInstanceRequest{ProjectId: project, InstanceId: stopped}); err != nil {
		t.Errorf("a call without wait: %v; want it unaffected", err)
	}

	// The first wait ends (its answer is sent after its slot is freed);
	// the next one is admitted.
	clock.AdvanceOnWait(true)                     // from then on, waits move the clock
	clock.Advance(service.DefaultMaxPollInterval) // past the pending pause
	if err := <-first; err != nil {
		t.Fatalf("the first call: %v; want it to end with the instance STOPPED", err)
	}
	if _, err := h.client.StartInstance(t.Context(), &devenvv1.StartInstanceRequest{ProjectId: project, InstanceId: stopped, Wait: true}); err != nil {
		t.Errorf("a wait after the first ended: %v; want it admitted and done", err)
	}
}
