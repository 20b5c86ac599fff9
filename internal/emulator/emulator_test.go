package emulator_test

import (
	"bufio"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/devenv-facade/devenv-facade/internal/options"

	"github.com/google/go-cmp/cmp"

	"github.com/devenv-facade/devenv-facade/internal/emulator"
)

const (
	project  = emulator.SampleProjectID
	stopped  = "6fa459ea-ee8a-3ca4-894e-db77e160355e"
	running  = "DE-7d558ef8-c73d-11ea-964c-0255ac100033"
	starting = "DE-4e8a9b10-5a4d-11ee-8c99-0242ac120002"
	failed   = "DE-5f9bac21-5a4d-11ee-8c99-0242ac120002"
)

type answer struct {
	status int
	body   map[string]string
}

// do sends a raw request, as any ModelArts client would.
func do(t *testing.T, srv *httptest.Server, method, path string, header map[string]string) answer {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type = %q; want JSON", ct)
	}
	if resp.Header.Get("X-Request-Id") == "" {
		t.Error("no X-Request-Id on the answer")
	}
	var body map[string]string
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("decoding body: %v", err)
	}
	return answer{resp.StatusCode, body}
}

func instancePath(p, id string) string { return "/v1/" + p + "/demanager/instances/" + id }

func vendorError(status int, code, msg string) answer {
	return answer{status, map[string]string{"error_code": code, "error_message": msg}}
}

func TestDelete(t *testing.T) {
	t.Parallel()
	emu := emulator.MustNew(emulator.Options{})
	srv := httptest.NewServer(emu)
	defer srv.Close()
	tok := map[string]string{"X-Auth-Token": "any"}
	// The gateway's answers carry the request ID in their body too.
	gwTok := map[string]string{"X-Auth-Token": "any", "X-Request-Id": "gw-rid"}
	gatewayNotFound := answer{404, map[string]string{"error_code": "APIGW.0101",
		"error_msg": "The API does not exist or has not been published in the environment", "request_id": "gw-rid"}}

	steps := []struct {
		name   string
		method string
		path   string
		header map[string]string
		want   answer
	}{
		{"stopped_instance", "DELETE", instancePath(project, stopped), tok, answer{200, map[string]string{"instance_id": stopped}}},
		{"again_is_6309", "DELETE", instancePath(project, stopped), tok, vendorError(400, "ModelArts.6309", "The instance does not exist.")},
		{"create_failed_instance", "DELETE", instancePath(project, failed), tok, answer{200, map[string]string{"instance_id": failed}}},
		{"running_is_6304", "DELETE", instancePath(project, running), tok, vendorError(400, "ModelArts.6304", "Please stop the instance before deleting.")},
		{"starting_is_6306", "DELETE", instancePath(project, starting), tok, vendorError(400, "ModelArts.6306", "The instance is starting.")},
		{"other_project_is_6309", "DELETE", instancePath(strings.Repeat("a", 32), running), tok, vendorError(400, "ModelArts.6309", "The instance does not exist.")},
		{"no_token_is_0205", "DELETE", instancePath(project, running), nil, vendorError(401, "ModelArts.0205", "No authorization request header.")},
		{"bad_project_is_0210", "DELETE", instancePath("NOT-A-PROJECT", running), tok, vendorError(400, "ModelArts.0210", "Invalid project ID.")},
		{"unknown_path_is_apigw", "DELETE", "/v2/" + project + "/whatever", gwTok, gatewayNotFound},
		{"wrong_method_is_apigw", "PATCH", instancePath(project, running), gwTok, gatewayNotFound},
	}
	for _, st := range steps {
		got := do(t, srv, st.method, st.path, st.header)
		if diff := cmp.Diff(st.want, got, cmp.AllowUnexported(answer{})); diff != "" {
			t.Errorf("%s: answer mismatch (-want +got):\n%s", st.name, diff)
		}
	}
	if _, ok := emu.Instance(project, running); !ok {
		t.Error("the running instance was deleted")
	}
	if _, ok := emu.Instance(project, stopped); ok {
		t.Error("the stopped instance still exists")
	}
	if n := emu.RequestCount(); n != int64(len(steps)) {
		t.Errorf("RequestCount = %d; want %d", n, len(steps))
	}
}

func TestDelete_guards(t *testing.T) {
	t.Parallel()
	emu := emulator.MustNew(emulator.Options{NoSamples: true})
	srv := httptest.NewServer(emu)
	defer srv.Close()
	tests := []struct {
		status emulator.Status
		want   answer
	}{
		{emulator.StatusStopping, vendorError(400, "ModelArts.6308", "The instance is stopping.")},
		{emulator.StatusRestarting, vendorError(400, "ModelArts.6306", "The instance is starting.")},
		{emulator.StatusCreating, vendorError(400, "ModelArts.6357", "The operation is not allowed because another operation is being performed on the instance or the instance is in the target state.")},
		{emulator.StatusStartFailed, answer{200, map[string]string{"instance_id": "i-" + string(emulator.StatusStartFailed)}}},
		{emulator.StatusUnavailable, answer{200, map[string]string{"instance_id": "i-" + string(emulator.StatusUnavailable)}}},
	}
	for _, tt := range tests {
		id := "i-" + string(tt.status)
		emu.AddInstance(project, emulator.Instance{ID: id, Status: tt.status})
		got := do(t, srv, "DELETE", instancePath(project, id), map[string]string{"X-Auth-Token": "t"})
		if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(answer{})); diff != "" {
			t.Errorf("%s: (-want +got):\n%s", tt.status, diff)
		}
	}
}

func TestTokens(t *testing.T) {
	t.Parallel()
	other := strings.Repeat("b", 32)
	emu := emulator.MustNew(emulator.Options{Tokens: map[string]string{"sample-token": project, "admin-token": "*"}})
	srv := httptest.NewServer(emu)
	defer srv.Close()
	tests := []struct {
		name, token, project string
		want                 answer
	}{
		{"unknown_token_is_0203", "nope", project, vendorError(401, "ModelArts.0203", "Invalid token.")},
		{"other_project_is_0210", "sample-token", other, vendorError(403, "ModelArts.0210", "The project id in the request URL does not match the token.")},
		{"scoped_token", "sample-token", project, answer{200, map[string]string{"instance_id": stopped}}},
		{"wildcard_token", "admin-token", other, vendorError(400, "ModelArts.6309", "The instance does not exist.")},
	}
	for _, tt := range tests {
		got := do(t, srv, "DELETE", instancePath(tt.project, stopped), map[string]string{"X-Auth-Token": tt.token})
		if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(answer{})); diff != "" {
			t.Errorf("%s: (-want +got):\n%s", tt.name, diff)
		}
	}
}

func TestRequests(t *testing.T) {
	t.Parallel()
	emu := emulator.MustNew(emulator.Options{RequestLog: 2})
	srv := httptest.NewServer(emu)
	defer srv.Close()
	for _, id := range []string{"a", "b", "c"} {
		do(t, srv, "DELETE", instancePath(project, id)+"?x=1", map[string]string{"X-Auth-Token": "t", "X-Request-Id": "rid-" + id})
	}
	reqs := emu.Requests()
	if len(reqs) != 2 {
		t.Fatalf("Requests() has %d entries; want the last 2", len(reqs))
	}
	for i, id := range []string{"b", "c"} {
		r := reqs[i]
		if r.Method != "DELETE" || r.Path != instancePath(project, id) || r.RawQuery != "x=1" || r.Header.Get("X-Request-Id") != "rid-"+id {
			t.Errorf("Requests()[%d] = %+v; want the DELETE of %q", i, r, id)
		}
	}
	if emu.RequestCount() != 3 {
		t.Errorf("RequestCount = %d; want 3", emu.RequestCount())
	}
}

// TestNew_options: zero options take the defaults, options.None keeps no
// request log, and New refuses negative values other than the named ones,
// naming the field.
func TestNew_options(t *testing.T) {
	t.Parallel()
	emu := emulator.MustNew(emulator.Options{RequestLog: options.None})
	srv := httptest.NewServer(emu)
	defer srv.Close()
	do(t, srv, "DELETE", instancePath(project, "a"), map[string]string{"X-Auth-Token": "t"})
	if n := len(emu.Requests()); n != 0 || emu.RequestCount() != 1 {
		t.Errorf("RequestLog None: %d requests kept, %d counted; want none kept, 1 counted", n, emu.RequestCount())
	}
	for _, tt := range []struct {
		opts  emulator.Options
		field string
	}{
		{emulator.Options{TokenLifetime: -time.Second}, "TokenLifetime"},
		{emulator.Options{Lifecycle: emulator.Lifecycle{Stop: -2}}, "Lifecycle"},
		{emulator.Options{InstanceQuota: -2}, "InstanceQuota"},
		{emulator.Options{RequestLog: -5}, "RequestLog"},
	} {
		_, err := emulator.New(tt.opts)
		var oe *options.Error
		if !errors.As(err, &oe) || !slices.Equal(oe.Fields(), []string{tt.field}) {
			t.Errorf("New(%+v) = %v; want an *options.Error naming %s", tt.opts, err, tt.field)
		}
	}
}

// TestErrorsMatchVendorTable checks every ModelArts error the emulator can
// send against the vendor's error-code table: same HTTP status, same code,
// same message.
func TestErrorsMatchVendorTable(t *testing.T) {
	t.Parallel()
	table := readVendorTable(t)
	emu := emulator.MustNew(emulator.Options{Tokens: map[string]string{"t": project}})
	emu.AddInstance(project, emulator.Instance{ID: "stopping", Status: emulator.StatusStopping})
	emu.AddInstance(project, emulator.Instance{ID: "creating", Status: emulator.StatusCreating})
	srv := httptest.NewServer(emu)
	defer srv.Close()
	tok := map[string]string{"X-Auth-Token": "t"}
	answers := []answer{
		do(t, srv, "DELETE", instancePath(project, "missing"), tok),
		do(t, srv, "DELETE", instancePath(project, running), tok),
		do(t, srv, "DELETE", instancePath(project, starting), tok),
		do(t, srv, "DELETE", instancePath(project, "stopping"), tok),
		do(t, srv, "DELETE", instancePath(project, "creating"), tok),
		do(t, srv, "DELETE", instancePath(project, running), nil),
		do(t, srv, "DELETE", instancePath(project, running), map[string]string{"X-Auth-Token": "bad"}),
		do(t, srv, "DELETE", instancePath(strings.Repeat("c", 32), running), tok),
	}
	emu2 := httptest.NewServer(emulator.MustNew(emulator.Options{}))
	defer emu2.Close()
	answers = append(answers, do(t, emu2, "DELETE", instancePath("bad", running), tok))

	// Every error of the six operations.
	f := newFixture(t, emulator.Options{InstanceQuota: len(emulator.Samples()) + 1})
	f.emu.AddInstance(project, emulator.Instance{ID: "failed-start", Name: "failed-start", Status: emulator.StatusStartFailed})
	for _, r := range []reply{
		f.create(t, ""),
		f.create(t, createBody(t, "name", 1)),
		f.create(t, createBody(t, "name", "a b")),
		f.create(t, createBody(t, "name", del)),
		f.create(t, createBody(t, "name", strings.Repeat("n", 65))),
		f.create(t, createBody(t, "flavor", "nope")),
		f.create(t, createBody(t, "profile_id", "Multi-Engine 1.0 (python3)-gpu")),
		f.create(t, createBody(t, "spec", del)),
		f.create(t, createBody(t, "spec.storage.type", "evs")),
		f.create(t, createBody(t, "spec.storage.location", del)),
		f.create(t, createBody(t, "spec.storage.location.path", "/b/c")),
		f.create(t, createBody(t, "spec.storage.location.path", "/b/")),
		f.create(t, createBody(t, "spec.auto_stop.duration", del)),
		f.create(t, createBody(t, "spec.auto_stop.duration", 1)),
		f.create(t, createBody(t, "name", "notebook-d115")),
		f.create(t, createBody(t, "name", "fills-the-quota")),
		f.create(t, createBody(t, "name", "over-the-quota")),
		f.list(t, "de_type=Notebook&sortby=id"),
		f.list(t, "de_type=x"),
		f.list(t, "de_type=Notebook&offset=x"),
		f.get(t, "missing"),
		f.update(t, stopped, `{"description":"/"}`),
		f.action(t, running, "start"),
		f.action(t, starting, "stop"),
		f.action(t, stopped, "stop"),
		f.action(t, "failed-start", "stop"),
	} {
		var a answer
		a.status = r.status
		a.body = map[string]string{"error_code": r.code(), "error_message": r.message()}
		answers = append(answers, a)
	}
	codes := map[string]bool{}
	for _, a := range answers {
		key := strconv.Itoa(a.status) + "\t" + a.body["error_code"]
		codes[a.body["error_code"]] = true
		msg, ok := table[key]
		if !ok {
			t.Errorf("HTTP %d %s is not in the vendor table", a.status, a.body["error_code"])
			continue
		}
		if !messagePattern(msg).MatchString(a.body["error_message"]) {
			t.Errorf("%s: message %q; vendor table says %q", key, a.body["error_message"], msg)
		}
	}
	for _, c := range []string{"6301", "6302", "6303", "6304", "6305", "6306", "6307", "6308", "6309", "6316", "6317", "6318",
		"6323", "6324", "6327", "6330", "6332", "6334", "6335", "6336", "6348", "6349", "6357", "6358", "6400"} {
		if !codes["ModelArts."+c] {
			t.Errorf("ModelArts.%s was not checked against the table", c)
		}
	}
}

// messagePattern turns a message of the vendor table into a pattern: its
// placeholders ({}, {0}) match anything, and the reST escapes (\`) are
// undone.
func messagePattern(msg string) *regexp.Regexp {
	msg = strings.ReplaceAll(msg, "\\`", "`")
	parts := regexp.MustCompile(`\{[0-9]*\}`).Split(msg, -1)
	for i, p := range parts {
		parts[i] = regexp.QuoteMeta(p)
	}
	return regexp.MustCompile("^" + strings.Join(parts, ".+") + "$")
}

// readVendorTable reads testdata/modelarts-error-codes.tsv, the vendor's
// error-code table (columns http_status, error_code, error_message), keyed by
// "status\tcode".
func readVendorTable(t *testing.T) map[string]string {
	t.Helper()
	f, err := os.Open("../modelarts/testdata/modelarts-error-codes.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	table := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		cols := strings.Split(sc.Text(), "\t")
		if len(cols) >= 3 {
			table[cols[0]+"\t"+cols[1]] = cols[2]
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return table
}
