package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/devenv-facade/devenv-facade/internal/cloudauth"
	"github.com/devenv-facade/devenv-facade/internal/emulator"
	"github.com/devenv-facade/devenv-facade/internal/envflag"
	"github.com/devenv-facade/devenv-facade/internal/logbuf"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestRun_rejectsBadSettings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"unknown_fault_token", []string{"--fault", "zzz!!"}, []string{`--fault: fault "zzz!!": unknown token "zzz!!"`, "lat<duration>", "s<status>", "nonce"}},
		{"fault_typo", []string{"--fault", "p10-s503-stal"}, []string{`unknown token "stal"`}},
		{"fault_out_of_range", []string{"--fault", "s999"}, []string{"--fault", `"s999"`}},
		{"create_delay_negative", []string{"--create-delay", "-1s"}, []string{"--create-delay", "must be between 0s and 1h0m0s"}},
		{"start_delay_too_long", []string{"--start-delay", "2h"}, []string{"--start-delay", "must be between 0s and 1h0m0s"}},
		{"stop_delay_no_unit", []string{"--stop-delay", "5"}, []string{"--stop-delay", "5s"}},
		{"instance_quota_negative", []string{"--instance-quota", "-1"}, []string{"--instance-quota", "must be between 0 and 1000000"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var out logbuf.Buffer
			err := run(t.Context(), append([]string{"--addr", "127.0.0.1:0"}, tt.args...), noEnv, &out, &out)
			if err == nil {
				t.Fatalf("run %q succeeded; want an error", tt.args)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("run %q: %q; want it to contain %q", tt.args, err, w)
				}
			}
		})
	}
}

func noEnv(string) (string, bool) { return "", false }

// logWatcher captures the command's logs and hands over the URL it serves
// on as soon as it is logged, so that tests wait on a channel rather than
// poll.
type logWatcher struct {
	logbuf.Buffer
	once sync.Once
	url  chan string // buffered: one URL
}

var urlPattern = regexp.MustCompile(`url=(http://\S+)`)

func newLogWatcher() *logWatcher { return &logWatcher{url: make(chan string, 1)} }

// Write captures p and looks for the URL in it: slog writes a record in
// one Write.
func (w *logWatcher) Write(p []byte) (int, error) {
	n, err := w.Buffer.Write(p)
	if m := urlPattern.FindSubmatch(p); m != nil {
		w.once.Do(func() { w.url <- string(m[1]) })
	}
	return n, err
}

// start runs the command until the test ends and returns its URL.
func start(t *testing.T, args []string, env func(string) (string, bool)) (string, *logWatcher) {
	t.Helper()
	logs := newLogWatcher()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, append([]string{"--addr", "127.0.0.1:0"}, args...), env, logs, logs) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	})
	select {
	case url := <-logs.url:
		return url, logs
	case err := <-done:
		done <- err // for the cleanup
		t.Fatalf("run ended before serving: %v\n%s", err, logs.String())
	case <-time.After(10 * time.Second):
		t.Fatalf("no url in the logs after 10s:\n%s", logs.String())
	}
	return "", nil
}

func TestRun_servesUntilCancelled(t *testing.T) {
	t.Parallel()
	env := func(k string) (string, bool) {
		if k == "MODELARTS_EMULATOR_TOKENS" {
			return "good=*", true
		}
		return "", false
	}
	url, logs := start(t, nil, env)
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	for token, want := range map[string]int{"good": 200, "bad": 401} {
		req, _ := http.NewRequest(http.MethodDelete, url+"/v1/0123456789abcdef0123456789abcdef/demanager/instances/DE-5f9bac21-5a4d-11ee-8c99-0242ac120002", nil)
		req.Header.Set("X-Auth-Token", token)
		resp, err := (&http.Client{Transport: tr}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("token %q: %s; want %d", token, resp.Status, want)
		}
	}
	if !strings.Contains(logs.String(), "sample_project_id") {
		t.Error("the startup line does not name the sample project")
	}
}

// TestRun_configFile starts the command with a --config file and flags,
// and checks over loopback that IAM issues tokens to the configured users
// and that ModelArts accepts the configured keys and tokens, and nothing
// else. Requests are signed with package cloudauth's signer, which is
// written apart from the emulator's verifier.
func TestRun_configFile(t *testing.T) {
	t.Parallel()
	config := writeConfig(t, `
tokens:
  - {token: file-token-SECRET, project: "*"}
iam_users:
  - {name: alice, password: alice-pw-SECRET, domain: example}
access_keys:
  - {ak: FILEAK00000000000001, sk: file-sk-SECRET}
  - {ak: TEMPAK00000000000001, sk: temp-sk-SECRET, security_token: temp-st-SECRET}
projects:
  eu-nl: `+projectB+`
token_lifetime: 2h
`)
	url, logs := start(t, []string{"--config", config, "--iam-users", "bob:bob-pw-SECRET@acme", "--access-keys", "FLAGAK00000000000001:flag-sk-SECRET"}, noEnv)
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}

	// issue asks IAM for a project-scoped token with the password method.
	issue := func(t *testing.T, user, password, domain, scope string) (int, string, time.Duration) {
		t.Helper()
		var body struct {
			Auth struct {
				Identity struct {
					Methods  []string `json:"methods"`
					Password struct {
						User struct {
							Name     string            `json:"name"`
							Password string            `json:"password"`
							Domain   map[string]string `json:"domain"`
						} `json:"user"`
					} `json:"password"`
				} `json:"identity"`
				Scope struct {
					Project map[string]string `json:"project"`
				} `json:"scope"`
			} `json:"auth"`
		}
		body.Auth.Identity.Methods = []string{"password"}
		u := &body.Auth.Identity.Password.User
		u.Name, u.Password, u.Domain = user, password, map[string]string{"name": domain}
		body.Auth.Scope.Project = map[string]string{"name": scope}
		raw, _ := json.Marshal(body)
		resp, err := client.Post(url+"/v3/auth/tokens", "application/json", bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out struct {
			Token struct {
				ExpiresAt time.Time `json:"expires_at"`
				IssuedAt  time.Time `json:"issued_at"`
			} `json:"token"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, resp.Header.Get("X-Subject-Token"), out.Token.ExpiresAt.Sub(out.Token.IssuedAt)
	}

	code, aliceToken, life := issue(t, "alice", "alice-pw-SECRET", "example", "eu-de")
	if code != http.StatusCreated || aliceToken == "" || life != 2*time.Hour {
		t.Fatalf("token for alice (from the file): %d, token set %v, lifetime %v; want 201 with a token living 2h", code, aliceToken != "", life)
	}
	code, aliceNL, _ := issue(t, "alice", "alice-pw-SECRET", "example", "eu-nl")
	if code != http.StatusCreated {
		t.Fatalf("token for alice in the configured project eu-nl: %d; want 201", code)
	}
	code, bobToken, _ := issue(t, "bob", "bob-pw-SECRET", "acme", "eu-de")
	if code != http.StatusCreated {
		t.Fatalf("token for bob (from --iam-users): %d; want 201", code)
	}
	for _, bad := range []struct{ user, password, domain, scope string }{
		{"alice", "wrong", "example", "eu-de"},
		{"alice", "alice-pw-SECRET", "acme", "eu-de"},
		{"alice", "alice-pw-SECRET", "example", "eu-fr"},
		{"carol", "alice-pw-SECRET", "example", "eu-de"},
	} {
		if code, tok, _ := issue(t, bad.user, bad.password, bad.domain, bad.scope); code != http.StatusUnauthorized || tok != "" {
			t.Errorf("token for %s in %s/%s with a wrong setting: %d; want 401", bad.user, bad.domain, bad.scope, code)
		}
	}

	sign := func(ak, sk, securityToken string, form cloudauth.SigningForm) func(*http.Request) error {
		return func(req *http.Request) error {
			s, err := cloudauth.NewSigner(ak, sk, form, "", "")
			if err != nil {
				return err
			}
			return cloudauth.NewAKSK(s, securityToken).Authenticate(req.Context(), req)
		}
	}
	withToken := func(token string) func(*http.Request) error {
		return func(req *http.Request) error { req.Header.Set("X-Auth-Token", token); return nil }
	}
	const missing = "missing-instance" // past authentication: 400 ModelArts.6309
	tests := []struct {
		name       string
		project    string
		instance   string
		auth       func(*http.Request) error
		wantStatus int
		wantCode   string
	}{
		{"iam_token", emulator.SampleProjectID, "6fa459ea-ee8a-3ca4-894e-db77e160355e", withToken(aliceToken), 200, ""},
		{"iam_token_from_flag_user", emulator.SampleProjectID, missing, withToken(bobToken), 400, "ModelArts.6309"},
		{"iam_token_configured_project", projectB, missing, withToken(aliceNL), 400, "ModelArts.6309"},
		{"iam_token_other_project", emulator.SampleProjectID, missing, withToken(aliceNL), 403, "ModelArts.0210"},
		{"static_token", emulator.SampleProjectID, missing, withToken("file-token-SECRET"), 400, "ModelArts.6309"},
		{"unknown_token", emulator.SampleProjectID, missing, withToken("forged"), 401, "ModelArts.0203"},
		{"signed_credential_form", emulator.SampleProjectID, "DE-2b1f6c3e-5a4d-11ee-8c99-0242ac120002",
			sign("FILEAK00000000000001", "file-sk-SECRET", "", cloudauth.FormCredential), 200, ""},
		{"signed_access_form", emulator.SampleProjectID, missing, sign("FILEAK00000000000001", "file-sk-SECRET", "", cloudauth.FormAccess), 400, "ModelArts.6309"},
		{"signed_flag_key", projectB, missing, sign("FLAGAK00000000000001", "flag-sk-SECRET", "", cloudauth.FormCredential), 400, "ModelArts.6309"},
		{"signed_temporary_key", emulator.SampleProjectID, missing, sign("TEMPAK00000000000001", "temp-sk-SECRET", "temp-st-SECRET", cloudauth.FormCredential), 400, "ModelArts.6309"},
		{"wrong_sk", emulator.SampleProjectID, missing, sign("FILEAK00000000000001", "wrong-sk", "", cloudauth.FormCredential), 403, "ModelArts.0206"},
		{"temporary_key_without_security_token", emulator.SampleProjectID, missing, sign("TEMPAK00000000000001", "temp-sk-SECRET", "", cloudauth.FormCredential), 403, "ModelArts.0206"},
		{"unknown_ak", emulator.SampleProjectID, missing, sign("OTHERAK0000000000001", "file-sk-SECRET", "", cloudauth.FormCredential), 403, "ModelArts.0206"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequestWithContext(t.Context(), http.MethodDelete, url+"/v1/"+tt.project+"/demanager/instances/"+tt.instance, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := tt.auth(req); err != nil {
				t.Fatal(err)
			}
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var body map[string]string
			_ = json.NewDecoder(resp.Body).Decode(&body)
			if resp.StatusCode != tt.wantStatus || body["error_code"] != tt.wantCode {
				t.Errorf("%d %v; want %d %q", resp.StatusCode, body, tt.wantStatus, tt.wantCode)
			}
		})
	}
	if l := logs.String(); strings.Contains(l, "SECRET") || !strings.Contains(l, "iam_users=2") || !strings.Contains(l, "access_keys=3") {
		t.Errorf("the startup log should count the users and keys without showing them:\n%s", l)
	}
}

func TestHelp(t *testing.T) {
	t.Parallel()
	var out logbuf.Buffer
	env := func(k string) (string, bool) {
		if k == "MODELARTS_EMULATOR_IAM_USERS" {
			return "alice:env-SECRET@example", true
		}
		return "", false
	}
	err := run(t.Context(), []string{"--access-keys", "AK:flag-SECRET", "--help"}, env, &out, &out)
	if !errors.Is(err, envflag.ErrHelp) {
		t.Fatalf("run --help: %v", err)
	}
	help := out.String()
	for _, want := range []string{"--config", "MODELARTS_EMULATOR_CONFIG", "--iam-users", "--access-keys", "--projects", "--token-lifetime",
		"prefer --config", "iam_users:", "access_keys:", "token_lifetime:",
		"--create-delay", "--start-delay", "--stop-delay", "--instance-quota", "MODELARTS_EMULATOR_CREATE_DELAY", "fail-create", "fail-start",
		"--delete-delay", "--snapshot-delay", "--mount-delay", "--unmount-delay", "--resize-delay", "MODELARTS_EMULATOR_SNAPSHOT_DELAY",
		"/v1/{project_id}/notebooks", "fail-delete"} {
		if !strings.Contains(help, want) {
			t.Errorf("--help lacks %q", want)
		}
	}
	if strings.Contains(help, "SECRET") {
		t.Errorf("--help shows a value:\n%s", help)
	}
}

// TestRun_lifecycleFlags: the delay flags (and their environment twins)
// set the lifecycle, and --instance-quota the quota. With zero delays an
// operation completes by the next call, so nothing here waits.
func TestRun_lifecycleFlags(t *testing.T) {
	t.Parallel()
	env := func(k string) (string, bool) {
		if k == "MODELARTS_EMULATOR_STOP_DELAY" {
			return "0s", true
		}
		return "", false
	}
	samples := len(emulator.Samples())
	url, _ := start(t, []string{"--create-delay", "0", "--start-delay", "1h", "--instance-quota", strconv.Itoa(samples + 1)}, env)
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	base := url + "/v1/" + emulator.SampleProjectID + "/demanager/instances"
	call := func(method, path, body string) map[string]any {
		t.Helper()
		req, err := http.NewRequestWithContext(t.Context(), method, base+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("X-Auth-Token", "t")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	body := func(name string) string {
		return `{"name":"` + name + `","profile_id":"Multi-Engine 1.0 (python3)-cpu","flavor":"modelarts.vm.cpu.2u",` +
			`"spec":{"storage":{"type":"obs","location":{"path":"/bucket/dir/"}}}}`
	}
	created := call(http.MethodPost, "", body("flags"))
	id, _ := created["id"].(string)
	if created["status"] != "CREATING" || id == "" {
		t.Fatalf("create: %v; want CREATING", created)
	}
	steps := []struct {
		method, path, body string
		key, want          string
	}{
		{http.MethodGet, "/" + id, "", "status", "RUNNING"}, // --create-delay 0
		{http.MethodPost, "/" + id + "/action", `{"action":"stop"}`, "current_status", "STOPPING"},
		{http.MethodGet, "/" + id, "", "status", "STOPPED"}, // MODELARTS_EMULATOR_STOP_DELAY=0s
		{http.MethodPost, "/" + id + "/action", `{"action":"start"}`, "current_status", "STARTING"},
		{http.MethodGet, "/" + id, "", "status", "STARTING"},                      // --start-delay 1h
		{http.MethodPost, "", body("over-quota"), "error_code", "ModelArts.6302"}, // --instance-quota
	}
	for _, st := range steps {
		if got := call(st.method, st.path, st.body); got[st.key] != st.want {
			t.Errorf("%s %s: %v; want %s %s", st.method, st.path, got, st.key, st.want)
		}
	}
}

// TestRun_notebookLifecycleFlags: the new API's delay flags (and their
// environment twins) set its notebooks' lifecycle: with zero delays an
// operation completes by the next call, with an hour it is still under
// way.
func TestRun_notebookLifecycleFlags(t *testing.T) {
	t.Parallel()
	env := func(k string) (string, bool) {
		if k == "MODELARTS_EMULATOR_SNAPSHOT_DELAY" {
			return "0s", true
		}
		return "", false
	}
	url, _ := start(t, []string{"--create-delay", "0", "--mount-delay", "0", "--unmount-delay", "1h", "--resize-delay", "0",
		"--delete-delay", "1h"}, env)
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	base := url + "/v1/" + emulator.SampleProjectID
	call := func(method, path, body string) map[string]any {
		t.Helper()
		req, err := http.NewRequestWithContext(t.Context(), method, base+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("X-Auth-Token", "t")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	created := call(http.MethodPost, "/notebooks", `{"name":"flags","flavor":"modelarts.vm.cpu.2u",`+
		`"image_id":"`+emulator.SampleImageID+`","volume":{"category":"EVS","ownership":"MANAGED"}}`)
	id, _ := created["id"].(string)
	if created["status"] != "CREATING" || id == "" {
		t.Fatalf("create: %v; want CREATING", created)
	}
	nb := "/notebooks/" + id
	var mount, image string
	steps := []struct {
		method, path, body string
		key, want          string
		keep               *string
	}{
		{http.MethodGet, nb, "", "status", "RUNNING", nil}, // --create-delay 0
		{http.MethodPost, nb + "/storage", `{"category":"OBS","mount_path":"/data/a/","uri":"obs://b/a/"}`, "status", "MOUNTING", &mount},
		{http.MethodGet, nb + "/storage/{mount}", "", "status", "MOUNTED", nil}, // --mount-delay 0
		{http.MethodDelete, nb + "/storage/{mount}", "", "status", "UNMOUNTING", nil},
		{http.MethodGet, nb + "/storage/{mount}", "", "status", "UNMOUNTING", nil}, // --unmount-delay 1h
		{http.MethodPost, nb + "/create-image", `{"name":"img","namespace":"ns"}`, "status", "INIT", &image},
		{http.MethodGet, "/images/{image}", "", "status", "ACTIVE", nil}, // MODELARTS_EMULATOR_SNAPSHOT_DELAY=0s
		{http.MethodGet, nb, "", "status", "RUNNING", nil},
		{http.MethodPut, nb, `{"storage_new_size":10}`, "volume", "", nil},
		{http.MethodDelete, nb, "", "status", "DELETING", nil},
		{http.MethodGet, nb, "", "status", "DELETING", nil}, // --delete-delay 1h
	}
	for _, st := range steps {
		path := strings.NewReplacer("{mount}", mount, "{image}", image).Replace(st.path)
		got := call(st.method, path, st.body)
		if st.key == "volume" {
			if v, _ := got["volume"].(map[string]any); v["capacity"] != 10.0 || v["status"] != nil {
				t.Errorf("%s %s: volume %v; want 10 GB, not RESIZING (--resize-delay 0)", st.method, path, got["volume"])
			}
			continue
		}
		if got[st.key] != st.want {
			t.Errorf("%s %s: %v; want %s %s", st.method, path, got, st.key, st.want)
		}
		if st.keep != nil {
			*st.keep, _ = got["id"].(string)
		}
	}
}

// TestRun_servesH2C: the command serves HTTP/1.1 and, on the same port,
// HTTP/2 without TLS (prior knowledge), for the facade's --modelarts-h2c.
func TestRun_servesH2C(t *testing.T) {
	t.Parallel()
	url, _ := start(t, nil, noEnv)
	for _, tc := range []struct {
		h2c  bool
		want string
	}{{false, "HTTP/1.1"}, {true, "HTTP/2.0"}} {
		tr := &http.Transport{}
		if tc.h2c {
			var p http.Protocols
			p.SetUnencryptedHTTP2(true)
			tr.Protocols = &p
		}
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, url+"/v1/"+emulator.SampleProjectID+"/demanager/instances?de_type=Notebook", nil)
		req.Header.Set("X-Auth-Token", "any")
		resp, err := (&http.Client{Transport: tr}).Do(req)
		if err != nil {
			t.Fatalf("%s: %v", tc.want, err)
		}
		resp.Body.Close()
		tr.CloseIdleConnections()
		if resp.StatusCode != http.StatusOK || resp.Proto != tc.want {
			t.Errorf("%s %s; want 200 %s", resp.Proto, resp.Status, tc.want)
		}
	}
}
