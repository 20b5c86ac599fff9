package emulator_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/devenv-facade/devenv-facade/internal/emulator"
)

type outcome struct {
	status      int
	body        string
	retryAfter  string
	contentType string
	err         error
}

func sendFault(t *testing.T, srv *httptest.Server, id, header string, timeout time.Duration) outcome {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), timeout)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodDelete, srv.URL+instancePath(project, id), nil)
	req.Header.Set("X-Auth-Token", "t")
	if header != "" {
		req.Header.Set("X-Emulator-Fault", header)
	}
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		return outcome{err: err}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return outcome{status: resp.StatusCode, body: string(b), retryAfter: resp.Header.Get("Retry-After"), contentType: resp.Header.Get("Content-Type"), err: err}
}

func TestFaults(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(emulator.MustNew(emulator.Options{}))
	t.Cleanup(srv.Close) // the parallel subtests outlive this function
	tests := []struct {
		name, id, header string
		check            func(outcome, time.Duration) string
	}{
		{"latency", "missing", "lat200ms", func(o outcome, d time.Duration) string {
			if d < 200*time.Millisecond || o.status != 400 || !strings.Contains(o.body, "ModelArts.6309") {
				return "want the normal 6309 answer after 200ms"
			}
			return ""
		}},
		{"vendor_error", "missing", "s503-c6200", func(o outcome, _ time.Duration) string {
			if o.status != 503 || !strings.Contains(o.body, `"error_code":"ModelArts.6200"`) || !strings.Contains(o.body, "No resources available") {
				return "want 503 ModelArts.6200 with the vendor message"
			}
			return ""
		}},
		{"throttle", "missing", "s429-c6101-ra2", func(o outcome, _ time.Duration) string {
			if o.status != 429 || o.retryAfter != "2" || !strings.Contains(o.body, "ModelArts.6101") {
				return "want 429 ModelArts.6101 with Retry-After: 2"
			}
			return ""
		}},
		{"html", "missing", "html", func(o outcome, _ time.Duration) string {
			if o.status != 502 || o.contentType != "text/html" || !strings.HasPrefix(o.body, "<html>") {
				return "want a 502 HTML page"
			}
			return ""
		}},
		{"empty", "missing", "empty", func(o outcome, _ time.Duration) string {
			if o.status != 503 || o.body != "" {
				return "want an empty 503"
			}
			return ""
		}},
		{"reset", "missing", "reset", func(o outcome, _ time.Duration) string {
			if o.err == nil {
				return "want a transport error"
			}
			return ""
		}},
		{"stall", "missing", "stall", func(o outcome, d time.Duration) string {
			if !errors.Is(o.err, context.DeadlineExceeded) || d < 300*time.Millisecond {
				return "want no answer until the client's deadline"
			}
			return ""
		}},
		{"truncate", "missing", "truncate", func(o outcome, _ time.Duration) string {
			if o.status != 200 || o.err == nil {
				return "want a 200 whose body breaks off"
			}
			return ""
		}},
		{"instance_fault", "fault-s500-c6102-x1", "", func(o outcome, _ time.Duration) string {
			if o.status != 500 || !strings.Contains(o.body, "ModelArts.6102") {
				return "want the fault carried by the instance ID"
			}
			return ""
		}},
		{"instance_latency_only_succeeds", "fault-lat10ms-x2", "", func(o outcome, _ time.Duration) string {
			if o.status != 200 || !strings.Contains(o.body, `"instance_id":"fault-lat10ms-x2"`) {
				return "want a fault instance without an active fault to delete fine"
			}
			return ""
		}},
		{"bad_spec", "missing", "s999", func(o outcome, _ time.Duration) string {
			if o.status != 400 {
				return "want 400 for a malformed spec"
			}
			return ""
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			start := time.Now()
			o := sendFault(t, srv, tt.id, tt.header, 400*time.Millisecond)
			if msg := tt.check(o, time.Since(start)); msg != "" {
				t.Errorf("%s; got %+v after %v", msg, o, time.Since(start))
			}
		})
	}
}

func TestFaults_failThenSucceed(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(emulator.MustNew(emulator.Options{}))
	defer srv.Close()
	var got []int
	for range 4 {
		got = append(got, sendFault(t, srv, "fault-s503-c6200-fail2-x9", "", time.Second).status)
	}
	if diff := cmp.Diff([]int{503, 503, 200, 200}, got); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
}

func TestFaults_global(t *testing.T) {
	t.Parallel()
	emu := emulator.MustNew(emulator.Options{Fault: emulator.MustParseFault("s503-c6200")})
	srv := httptest.NewServer(emu)
	defer srv.Close()
	if o := sendFault(t, srv, "missing", "", time.Second); o.status != 503 {
		t.Fatalf("with a global fault: %d; want 503", o.status)
	}
	admin := func(method, body string) int {
		req, _ := http.NewRequestWithContext(t.Context(), method, srv.URL+"/emulator/faults", strings.NewReader(body))
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := admin(http.MethodDelete, ""); code != 200 {
		t.Fatalf("DELETE /emulator/faults: %d", code)
	}
	if o := sendFault(t, srv, "missing", "", time.Second); o.status != 400 {
		t.Errorf("after clearing: %d; want the normal 400", o.status)
	}
	if code := admin(http.MethodPut, "p50-s503"); code != 200 {
		t.Fatalf("PUT /emulator/faults: %d", code)
	}
	failed := 0
	for range 200 {
		if sendFault(t, srv, "missing", "", time.Second).status == 503 {
			failed++
		}
	}
	if failed < 60 || failed > 140 {
		t.Errorf("p50: %d of 200 requests failed; want about half", failed)
	}
	if code := admin(http.MethodPut, "lat-1s"); code != 400 {
		t.Errorf("PUT of a bad spec: %d; want 400", code)
	}
	if err := emulator.CheckFault("fail0"); err == nil {
		t.Error("CheckFault(fail0) accepted it")
	}
}

func TestCheckFault(t *testing.T) {
	t.Parallel()
	tests := []struct {
		spec string
		bad  string // the token the error must name; "" for a valid spec
	}{
		{"lat300ms", ""},
		{"p10-s503-c6200", ""},
		{"s429-c6101-ra2", ""},
		{"s503-c6200-fail2-x7", ""},
		{"reset", ""},
		{"drop-fail1", ""},
		{"stall", ""},
		{"truncate", ""},
		{"html-s504", ""},
		{"empty", ""},
		{"n42", ""},
		{"lat1ms-s400-c6309-n0", ""},
		{"a1-b2-g3-i4-j5-k6-m7-n8-o9-q10-u11-v12-w13-x14-y15-z16", ""},
		{"zzz!!", `"zzz!!"`},
		{"bogus!!", `"bogus!!"`},
		{"bogus", `"bogus"`},
		{"s503-zzz", `"zzz"`},
		{"x", `"x"`},             // a nonce needs digits
		{"x7a", `"x7a"`},         // digits only
		{"X7", `"X7"`},           // lowercase only
		{"na", `"na"`},           // letters after the nonce letter
		{"e1", `"e1"`},           // e starts "empty": not a nonce letter
		{"t5", `"t5"`},           // t starts "truncate"
		{"d2", `"d2"`},           // d starts "drop"
		{"h3", `"h3"`},           // h starts "html"
		{"stal", `"stal"`},       // a typo of stall
		{"emtpy", `"emtpy"`},     // a typo of empty
		{"p10x", `"p10x"`},       // not a percentage
		{"c", `"c"`},             // a code needs digits
		{"S503", `"S503"`},       // the grammar is lowercase
		{"s503--c6200", "empty"}, // two dashes
		{"s503-", "empty"},       // a dash at the end
		{"", "empty"},            // nothing at all
		{"s999", `"s999"`},       // out of range, as before
		{"fail0", `"fail0"`},     // as before
		{"lat-1s", `"lat"`},      // as before
		{"p0", `"p0"`},           // as before
		{"ra-2", `"ra"`},         // as before
	}
	for _, tt := range tests {
		err := emulator.CheckFault(tt.spec)
		switch {
		case tt.bad == "" && err != nil:
			t.Errorf("CheckFault(%q) = %v; want it accepted", tt.spec, err)
		case tt.bad != "" && err == nil:
			t.Errorf("CheckFault(%q) accepted it; want an error naming %s", tt.spec, tt.bad)
		case tt.bad != "" && !strings.Contains(err.Error(), tt.bad):
			t.Errorf("CheckFault(%q) = %q; want it to name %s", tt.spec, err, tt.bad)
		}
	}
}

// TestCheckFault_listsTheForms: an unknown token's error says what would
// have been accepted.
func TestCheckFault_listsTheForms(t *testing.T) {
	t.Parallel()
	err := emulator.CheckFault("zzz!!")
	if err == nil {
		t.Fatal("CheckFault(zzz!!) accepted it")
	}
	for _, form := range []string{"lat<duration>", "p<percent>", "fail<N>", "reset", "drop", "stall", "truncate", "html", "empty",
		"s<status>", "c<code>", "ra<seconds>", "nonce", "x7"} {
		if !strings.Contains(err.Error(), form) {
			t.Errorf("the error %q does not list %q", err, form)
		}
	}
}

// TestFaults_badSpecsAreRefused: every way a spec reaches the emulator
// answers 400 naming the bad token, and leaves the global fault alone.
func TestFaults_badSpecsAreRefused(t *testing.T) {
	t.Parallel()
	emu := emulator.MustNew(emulator.Options{Fault: emulator.MustParseFault("lat1ms")})
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	call := func(t *testing.T, method, path, body string, header map[string]string) (int, string) {
		t.Helper()
		req, err := http.NewRequestWithContext(t.Context(), method, srv.URL+path, strings.NewReader(body))
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
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, string(b)
	}
	token := map[string]string{"X-Auth-Token": "t"}
	tests := []struct {
		name, method, path, body string
		header                   map[string]string
		want                     string
	}{
		{"put_global", http.MethodPut, "/emulator/faults", "bogus!!", nil, `"bogus!!"`},
		{"put_global_unknown_word", http.MethodPut, "/emulator/faults", "s503-zzz", nil, `"zzz"`},
		{"header", http.MethodDelete, instancePath(project, "missing"), "", map[string]string{"X-Auth-Token": "t", "X-Emulator-Fault": "s503-oops"}, `"oops"`},
		{"instance_id", http.MethodDelete, instancePath(project, "fault-s503-zzz"), "", token, `"zzz"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body := call(t, tt.method, tt.path, tt.body, tt.header)
			if code != http.StatusBadRequest || !strings.Contains(body, tt.want) || !strings.Contains(body, "lat<duration>") {
				t.Errorf("%s %s: %d %q; want 400 naming %s and listing the forms", tt.method, tt.path, code, body, tt.want)
			}
		})
	}
	if code, body := call(t, http.MethodGet, "/emulator/faults", "", nil); code != http.StatusOK || !strings.Contains(body, `"spec":"lat1ms"`) {
		t.Errorf("GET /emulator/faults after refused PUTs: %d %s; want the global fault unchanged", code, body)
	}
}

// TestFaults_everyEndpoint: the three ways to inject a fault reach each of
// the six endpoints; a fault instance no fault hits behaves as a stopped
// instance, and a fault name no fault hits is created.
func TestFaults_everyEndpoint(t *testing.T) {
	t.Parallel()
	f := newFixture(t, emulator.Options{})
	before := len(f.emu.Instances(project))
	type endpoint struct {
		name, method, path, body string
	}
	endpoints := func(id string) []endpoint {
		return []endpoint{
			{"create", http.MethodPost, instancesPath, createBody(t, "name", "faulted")},
			{"list", http.MethodGet, instancesPath + "?de_type=Notebook", ""},
			{"get", http.MethodGet, instancesPath + "/" + id, ""},
			{"update", http.MethodPut, instancesPath + "/" + id, `{"description":"x"}`},
			{"action", http.MethodPost, instancesPath + "/" + id + "/action", `{"action":"stop"}`},
			{"delete", http.MethodDelete, instancesPath + "/" + id, ""},
		}
	}
	for _, e := range endpoints(stopped) {
		got := f.call(t, e.method, e.path, e.body, "X-Emulator-Fault", "s503-c6200")
		if got.status != http.StatusServiceUnavailable || got.code() != "ModelArts.6200" {
			t.Errorf("%s with a header fault: %d %s; want 503 ModelArts.6200", e.name, got.status, got.raw)
		}
	}
	for _, e := range endpoints("fault-s500-c6102-x1")[2:] {
		got := f.call(t, e.method, e.path, e.body)
		if got.status != http.StatusInternalServerError || got.code() != "ModelArts.6102" {
			t.Errorf("%s of a fault instance: %d %s; want 500 ModelArts.6102", e.name, got.status, got.raw)
		}
	}

	// A fault instance that no fault hits: an existing, stopped instance.
	const quiet = "fault-lat1ms-x2"
	if g := f.get(t, quiet); g.status != http.StatusOK || str(t, g.body, "id") != quiet || str(t, g.body, "status") != "STOPPED" {
		t.Errorf("get of %s: %s; want it STOPPED", quiet, g.raw)
	}
	if u := f.update(t, quiet, `{"description":"changed"}`); u.status != http.StatusOK || str(t, u.body, "description") != "changed" {
		t.Errorf("update of %s: %s; want it updated", quiet, u.raw)
	}
	if u := f.update(t, quiet, `{"description":"a&b"}`); u.code() != "ModelArts.6334" {
		t.Errorf("invalid update of %s: %s; want 6334", quiet, u.raw)
	}
	if a := f.action(t, quiet, "start"); str(t, a.body, "current_status") != "STARTING" || str(t, a.body, "previous_state") != "STOPPED" {
		t.Errorf("start of %s: %s; want STARTING from STOPPED", quiet, a.raw)
	}
	if a := f.action(t, quiet, "stop"); a.code() != "ModelArts.6307" {
		t.Errorf("stop of %s: %s; want 6307 (already stopped)", quiet, a.raw)
	}
	if d := f.delete(t, quiet); d.status != http.StatusOK {
		t.Errorf("delete of %s: %s; want 200", quiet, d.raw)
	}
	if n := len(f.emu.Instances(project)); n != before {
		t.Errorf("%d instances after the faults; want %d: a fault instance is never stored", n, before)
	}

	// A created name: N failures, then the create, then the name is taken.
	const name = "fault-s503-c6200-fail1-x3"
	var codes []int
	for range 3 {
		codes = append(codes, f.create(t, createBody(t, "name", name)).status)
	}
	if diff := cmp.Diff([]int{503, 200, 400}, codes); diff != "" {
		t.Errorf("creates named %s (-want +got):\n%s", name, diff)
	}
	if got := f.create(t, createBody(t, "name", "fault-zzz")); got.status != http.StatusBadRequest || !strings.Contains(got.raw, `"zzz"`) {
		t.Errorf("a create named with a bad spec: %d %s; want 400 naming the token", got.status, got.raw)
	}
}

// TestFaults_createDropped: a dropped create is carried out though the
// answer is lost, so a retry finds the name taken.
func TestFaults_createDropped(t *testing.T) {
	t.Parallel()
	f := newFixture(t, emulator.Options{NoSamples: true})
	const name = "fault-drop-fail1-x4"
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, f.srv.URL+instancesPath, strings.NewReader(createBody(t, "name", name)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Auth-Token", "t")
	if resp, err := f.srv.Client().Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("the dropped create answered %s", resp.Status)
	}
	insts := f.emu.Instances(project)
	if len(insts) != 1 || insts[0].Name != name || insts[0].Status != emulator.StatusCreating {
		t.Fatalf("after the dropped create: %+v; want one CREATING instance named %s", insts, name)
	}
	if got := f.create(t, createBody(t, "name", name)); got.code() != "ModelArts.6301" {
		t.Errorf("the retry: %s; want 6301", got.raw)
	}
}

// TestFaults_globalOnList: the global fault reaches the list too.
func TestFaults_globalOnList(t *testing.T) {
	t.Parallel()
	f := newFixture(t, emulator.Options{Fault: emulator.MustParseFault("s429-c6101-ra1")})
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, f.srv.URL+instancesPath+"?de_type=Notebook", nil)
	req.Header.Set("X-Auth-Token", "t")
	resp, err := f.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "1" {
		t.Errorf("list under a global fault: %s, Retry-After %q; want 429 with Retry-After 1", resp.Status, resp.Header.Get("Retry-After"))
	}
}
