package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/devenv-facade/devenv-facade/internal/options"
	"github.com/devenv-facade/devenv-facade/internal/server"

	"go.uber.org/goleak"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	devenvv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/devenv/v1"
	"github.com/devenv-facade/devenv-facade/internal/emulator"
	"github.com/devenv-facade/devenv-facade/internal/envflag"
	"github.com/devenv-facade/devenv-facade/internal/logbuf"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func noEnv(string) (string, bool) { return "", false }

func TestHelp_listsFlagsWithoutSecrets(t *testing.T) {
	t.Parallel()
	var out logbuf.Buffer
	env := func(k string) (string, bool) {
		if k == "OS_TOKEN" {
			return "env-h1dden-token", true
		}
		return "", false
	}
	err := run(t.Context(), []string{"--auth-token", "flag-h1dden-token", "--help"}, env, &out, &out)
	if !errors.Is(err, envflag.ErrHelp) {
		t.Fatalf("run --help: %v", err)
	}
	help := out.String()
	for _, want := range []string{"--grpc-addr", "DEVENV_FACADE_GRPC_ADDR", "127.0.0.1:9090", "--http-addr", "127.0.0.1:8080",
		"--modelarts-endpoint", "DEVENV_FACADE_MODELARTS_ENDPOINT", "--auth-token", "OS_TOKEN", "--shutdown-grace", "--upstream-timeout"} {
		if !strings.Contains(help, want) {
			t.Errorf("--help lacks %q", want)
		}
	}
	if strings.Contains(help, "h1dden") {
		t.Errorf("--help shows a secret:\n%s", help)
	}
}

func TestRun_rejectsBadSettings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args   []string
		env    map[string]string
		wantIn []string
	}{
		{[]string{"--log-level", "loud"}, nil, []string{"--log-level", "debug, info, warn, error"}},
		{[]string{"--log-format", "xml"}, nil, []string{"--log-format", "text, json"}},
		{[]string{"--shutdown-grace", "later"}, nil, []string{"--shutdown-grace", "want a duration"}},
		{[]string{"--upstream-timeout", "5"}, nil, []string{"--upstream-timeout", `"5"`, "such as 5s"}},
		{[]string{"--upstream-timeout", "-1s"}, nil, []string{"--upstream-timeout -1s", "between 100ms and 10m0s"}},
		{[]string{"--retry-max-attempts", "-5"}, nil, []string{"--retry-max-attempts -5", "between 1 and 10"}},
		{[]string{"--max-upstream-wait", "-1s"}, nil, []string{"--max-upstream-wait -1s", "between 0s and 1m0s"}},
		{[]string{"--shutdown-grace", "0s"}, nil, []string{"--shutdown-grace 0s", "between"}},
		{[]string{"--retry-initial-backoff", "3s", "--retry-max-backoff", "1s"}, nil, []string{"--retry-max-backoff 1s is below --retry-initial-backoff 3s"}},
		{[]string{"--signing-form", "bogus"}, nil, []string{"--signing-form", "credential, access"}},
		{[]string{"--credentials", "kerberos"}, nil, []string{"--credentials", "auto, none, token"}},
		{nil, map[string]string{"DEVENV_FACADE_UPSTREAM_TIMEOUT": "-1s"}, []string{"DEVENV_FACADE_UPSTREAM_TIMEOUT=-1s (--upstream-timeout)", "between"}},
		{nil, map[string]string{"DEVENV_FACADE_INSECURE": "maybe"}, []string{"DEVENV_FACADE_INSECURE", "true or false", "yes/no"}},
		{nil, map[string]string{"OS_TOKEN": "t", "OS_TOKEN_FILE": "/nonexistent"}, []string{"OS_TOKEN and OS_TOKEN_FILE are both set"}},
		{[]string{"--modelarts-endpoint", "ftp://x", "--grpc-addr", "127.0.0.1:0", "--http-addr", "", "--admin-addr", ""}, nil, []string{"scheme"}},
		{[]string{"--grpc-addr", "256.0.0.1:0"}, nil, []string{"gRPC listener"}},
		{[]string{"--modelarts-h2c", "--modelarts-endpoint", "https://modelarts.example"}, nil, []string{"--modelarts-h2c is for an http:// --modelarts-endpoint"}},
	}
	for _, tt := range tests {
		var out logbuf.Buffer
		lookup := func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok }
		err := run(t.Context(), tt.args, lookup, &out, &out)
		for _, want := range tt.wantIn {
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("run %q %v: %v; want an error mentioning %q", tt.args, tt.env, err, want)
			}
		}
	}
}

// TestOptionFlags: every option the command names by a flag is named by
// one the command has; flags whose 0 means none reach the server as
// options.NoLimit or None, and their defaults are the server's.
func TestOptionFlags(t *testing.T) {
	t.Parallel()
	var cfg config
	fs := newFlags(&cfg)
	flags := map[string]bool{}
	for _, f := range fs.Flags() {
		flags[f.Name] = true
	}
	for field, flag := range optionFlags {
		if !flags[flag] {
			t.Errorf("option %s is said as --%s, which is not a flag", field, flag)
		}
	}
	zero := []string{"--max-upstream-inflight", "0", "--max-upstream-wait", "0s", "--max-connection-age", "0s", "--max-connections", "0",
		"--max-waits", "0", "--upstream-attempt-timeout", "0s", "--readiness-requires-modelarts=false"}
	if err := fs.Parse(zero, func(string) (string, bool) { return "", false }); err != nil {
		t.Fatal(err)
	}
	o := cfg.options()
	if o.MaxUpstreamInFlight != options.NoLimit || o.MaxUpstreamWait != options.None || o.MaxConnectionAge != options.NoLimit ||
		o.MaxConnections != options.NoLimit || o.MaxWaits != options.NoLimit || o.Retry.AttemptTimeout != options.NoLimit || !o.ReadinessIgnoresUpstream {
		t.Errorf("the flags' 0 became %+v; want NoLimit and None", o)
	}
	var defaults config
	if err := newFlags(&defaults).Parse(nil, func(string) (string, bool) { return "", false }); err != nil {
		t.Fatal(err)
	}
	if got, want := defaults.options(), (server.Options{}).WithDefaults(); got.UpstreamTimeout != want.UpstreamTimeout ||
		got.MaxUpstreamInFlight != want.MaxUpstreamInFlight || got.Retry.WithDefaults() != want.Retry || got.MaxWaits != want.MaxWaits ||
		got.ShutdownGrace != want.ShutdownGrace || got.ReadinessIgnoresUpstream {
		t.Errorf("the flags' defaults give %+v; want the server's defaults", got)
	}
}

// TestRun_acceptsFriendlyBooleans: yes/no and on/off work in the
// environment, as operators write them.
func TestRun_acceptsFriendlyBooleans(t *testing.T) {
	t.Parallel()
	var cfg config
	env := map[string]string{"DEVENV_FACADE_INSECURE": "yes", "DEVENV_FACADE_NO_TOKEN_PASSTHROUGH": "on"}
	if err := newFlags(&cfg).Parse(nil, func(k string) (string, bool) { v, ok := env[k]; return v, ok }); err != nil {
		t.Fatal(err)
	}
	if !cfg.opts.Insecure || !cfg.opts.DisableTokenPassthrough {
		t.Errorf("Insecure=%v DisableTokenPassthrough=%v; want both true", cfg.opts.Insecure, cfg.opts.DisableTokenPassthrough)
	}
}

func TestRun_version(t *testing.T) {
	t.Parallel()
	var out logbuf.Buffer
	if err := run(t.Context(), []string{"--version"}, noEnv, &out, &out); err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^devenv-facade \S+ \(commit \S+.*, go1\.\d+`).MatchString(out.String()) {
		t.Errorf("--version printed %q", out.String())
	}
}

// TestRun_quickStart runs the command as the README does, with no
// configuration but free ports: it must serve the embedded emulator's
// samples over gRPC and REST, then stop cleanly on cancellation.
func TestRun_quickStart(t *testing.T) {
	t.Parallel()
	var logs logbuf.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0", "--admin-addr", "127.0.0.1:0", "--log-format", "json"}, noEnv, &logs, &logs)
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
		// Looked for once run has returned: JSON lines wait up to
		// logLinger for others until then, the last calls' among them.
		if strings.Contains(logs.String(), embeddedToken) {
			t.Error("the logs show the upstream token")
		}
	}()
	addrs := waitForServing(t, &logs)
	grpcAddr, httpAddr := addrs.GRPC, addrs.REST
	for _, want := range []string{`"tls":"off"`, `"caller_auth":"off"`, `"upstream_credentials":"static IAM token"`} {
		if !strings.Contains(addrs.line, want) {
			t.Errorf("the serving line %s lacks %s", addrs.line, want)
		}
	}

	conn, err := grpc.NewClient(grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	client := devenvv1.NewDevEnvServiceClient(conn)
	req := &devenvv1.DeleteInstanceRequest{ProjectId: emulator.SampleProjectID, InstanceId: "6fa459ea-ee8a-3ca4-894e-db77e160355e"}
	if _, err := client.DeleteInstance(t.Context(), req); err != nil {
		t.Fatalf("delete a sample instance: %v", err)
	}
	if _, err := client.DeleteInstance(t.Context(), req); status.Code(err) != codes.NotFound {
		t.Fatalf("delete it again: %v; want NotFound", err)
	}
	hreq, _ := http.NewRequestWithContext(t.Context(), http.MethodDelete,
		"http://"+httpAddr+"/v1/"+emulator.SampleProjectID+"/demanager/instances/6fa459ea-ee8a-3ca4-894e-db77e160355e", nil)
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Do(hreq)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("mirror: %s; want 400", resp.Status)
	}
}

// servingLine is the start-up line that says how the facade serves.
type servingLine struct {
	GRPC  string `json:"grpc_addr"`
	REST  string `json:"rest_addr"`
	Admin string `json:"admin_addr"`
	line  string
}

// waitForServing waits for the JSON "serving" log line and returns the
// listeners' addresses from it.
func waitForServing(t *testing.T, logs *logbuf.Buffer) servingLine {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	line, err := logs.WaitFor(ctx, `"msg":"serving"`)
	if err != nil {
		t.Fatalf("no serving log line (%v); logs:\n%s", err, logs)
	}
	var s servingLine
	if err := json.Unmarshal([]byte(line), &s); err != nil {
		t.Fatal(err)
	}
	s.line = line
	return s
}

func TestRun_credentialSettings(t *testing.T) {
	t.Parallel()
	pwFile := t.TempDir() + "/pw"
	if err := os.WriteFile(pwFile, []byte("file-pw\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"iam_needs_a_real_endpoint", []string{"--username", "u", "--password-file", pwFile, "--domain-name", "d",
			"--project-name", "eu-de", "--iam-endpoint", "https://iam.example/v3"}, nil, "--modelarts-endpoint"},
		{"aksk_needs_a_real_endpoint", nil, map[string]string{"OS_ACCESS_KEY": "ak", "OS_SECRET_KEY": "sk"}, "--modelarts-endpoint"},
		{"incomplete_iam", []string{"--username", "u", "--modelarts-endpoint", "https://x"}, nil, "IAM"},
		{"unknown_kind", []string{"--credentials", "kerberos"}, nil, "kerberos"},
		{"bad_signing_form", []string{"--access-key", "a", "--secret-key", "s", "--signing-form", "v11"}, nil, "signing-form"},
		{"exposed_without_protection", []string{"--grpc-addr", "0.0.0.0:0", "--http-addr", ""}, nil, "refusing to listen"},
		{"bad_callers_file", []string{"--caller-tokens-file", "/nonexistent/callers.yaml"}, nil, "callers file"},
		{"tls_key_missing", []string{"--tls-cert", "/nonexistent/cert.pem"}, nil, "--tls-key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out logbuf.Buffer
			lookup := func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok }
			err := run(t.Context(), append([]string{"--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0", "--admin-addr", ""}, tt.args...), lookup, &out, &out)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("run: %v; want an error mentioning %q", err, tt.want)
			}
			if strings.Contains(err.Error()+out.String(), "file-pw") {
				t.Error("the password appears in the error or the log")
			}
		})
	}
}

// TestRun_sighupReloadsCallers: SIGHUP reloads the callers file at once.
// The periodic check is set to an hour so that only SIGHUP can have
// reloaded it. Not parallel: it signals the test process.
func TestRun_sighupReloadsCallers(t *testing.T) {
	dir := t.TempDir()
	path := dir + "/callers.yaml"
	entry := func(token string) string {
		h := sha256.Sum256([]byte(token))
		return "callers: [{name: c, token_sha256: " + hex.EncodeToString(h[:]) + ", projects: ['*']}]\n"
	}
	if err := os.WriteFile(path, []byte(entry("token-one")), 0o600); err != nil {
		t.Fatal(err)
	}
	var logs logbuf.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"--grpc-addr", "127.0.0.1:0", "--http-addr", "", "--admin-addr", "", "--log-format", "json",
			"--caller-tokens-file", path, "--caller-tokens-check-interval", "1h"}, noEnv, &logs, &logs)
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	}()
	conn, err := grpc.NewClient(waitForServing(t, &logs).GRPC, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	client := devenvv1.NewDevEnvServiceClient(conn)
	call := func(token string) codes.Code {
		ctx := metadata.AppendToOutgoingContext(t.Context(), "authorization", "Bearer "+token)
		_, err := client.DeleteInstance(ctx, &devenvv1.DeleteInstanceRequest{ProjectId: emulator.SampleProjectID, InstanceId: "missing"})
		return status.Code(err)
	}
	if got := call("token-one"); got != codes.NotFound {
		t.Fatalf("token-one before the change: %v; want NotFound from ModelArts", got)
	}
	if err := os.WriteFile(path, []byte(entry("token-two")), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := call("token-two"); got != codes.Unauthenticated {
		t.Fatalf("token-two before SIGHUP: %v; want Unauthenticated", got)
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	wctx, wcancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer wcancel()
	if _, err := logs.WaitFor(wctx, "reloaded the callers file"); err != nil {
		t.Fatalf("SIGHUP did not reload the callers file: %v", err)
	}
	if got := call("token-two"); got != codes.NotFound {
		t.Errorf("token-two after the reload: %v; want NotFound from ModelArts", got)
	}
	if got := call("token-one"); got != codes.Unauthenticated {
		t.Errorf("token-one after the reload: %v; want Unauthenticated", got)
	}
}

// start runs the command with args (and free ports, JSON logs) until the
// test ends, and returns the serving line and the logs.
func start(t *testing.T, args []string, env map[string]string) (servingLine, *logbuf.Buffer) {
	t.Helper()
	logs := &logbuf.Buffer{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	go func() {
		done <- run(ctx, append([]string{"--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0", "--admin-addr", "127.0.0.1:0",
			"--log-format", "json"}, args...), lookup, logs, logs)
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	})
	return waitForServing(t, logs), logs
}

// TestRun_profilesNeverShowTheCommandLine: the pprof endpoints do not serve
// the command line, which may hold a secret, and a secret given on the
// command line is warned about.
func TestRun_profilesNeverShowTheCommandLine(t *testing.T) {
	t.Parallel()
	const secret = "TOPSECRET-cmdline-token"
	_, logs := start(t, []string{"--auth-token", secret, "--debug-addr", "127.0.0.1:0"}, nil)
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	line, err := logs.WaitFor(ctx, `"msg":"serving profiles"`)
	if err != nil {
		t.Fatal(err)
	}
	var debug struct {
		Addr string `json:"addr"`
	}
	if err := json.Unmarshal([]byte(line), &debug); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/debug/pprof/cmdline", "/debug/pprof/", "/debug/pprof/goroutine?debug=2", "/debug/runtime-metrics"} {
		resp, err := http.Get("http://" + debug.Addr + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if strings.Contains(string(body), secret) {
			t.Errorf("%s shows the secret", path)
		}
		if path == "/debug/pprof/cmdline" && resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %s; want 404", path, resp.Status)
		}
		if path == "/debug/runtime-metrics" && (resp.StatusCode != http.StatusOK || !regexp.MustCompile(`(?m)^/memory/classes/heap/stacks:bytes [1-9]`).Match(body)) {
			t.Errorf("%s: %s without the goroutine stacks' bytes:\n%.500s", path, resp.Status, body)
		}
	}
	if !strings.Contains(logs.String(), "--auth-token was given on the command line") {
		t.Error("no warning about the secret on the command line")
	}
	if strings.Contains(logs.String(), secret) {
		t.Error("the logs show the secret")
	}
}

// TestRun_credentialsNoneWithEmulator: --credentials none holds no secret
// even with the embedded emulator: calls without their own token are
// refused, calls with one succeed.
func TestRun_credentialsNoneWithEmulator(t *testing.T) {
	t.Parallel()
	serving, _ := start(t, []string{"--credentials", "none"}, nil)
	if !strings.Contains(serving.line, "every caller must send its own X-Auth-Token") {
		t.Errorf("serving line %s does not say the facade holds no credentials", serving.line)
	}
	conn, err := grpc.NewClient(serving.GRPC, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	client := devenvv1.NewDevEnvServiceClient(conn)
	req := &devenvv1.DeleteInstanceRequest{ProjectId: emulator.SampleProjectID, InstanceId: "6fa459ea-ee8a-3ca4-894e-db77e160355e"}
	_, err = client.DeleteInstance(t.Context(), req)
	if status.Code(err) != codes.Unauthenticated || !strings.Contains(err.Error(), "no credentials") {
		t.Errorf("without a token: %v; want Unauthenticated (no credentials)", err)
	}
	ctx := metadata.AppendToOutgoingContext(t.Context(), "x-auth-token", "callers-own-token")
	if _, err := client.DeleteInstance(ctx, req); err != nil {
		t.Errorf("with the caller's token: %v", err)
	}
}

// TestRun_modelartsH2C: with --modelarts-h2c the facade's calls reach an
// http:// ModelArts over HTTP/2 without TLS, as the emulator's command
// serves it; IAM keeps its own client.
func TestRun_modelartsH2C(t *testing.T) {
	t.Parallel()
	emu, err := emulator.New(emulator.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var protos sync.Map
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		protos.Store(r.Proto, true)
		emu.ServeHTTP(w, r)
	}), ReadHeaderTimeout: 10 * time.Second}
	emulator.ServeH2C(srv)
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = srv.Serve(lis)
	}()
	t.Cleanup(func() {
		_ = srv.Close()
		<-served
	})
	serving, _ := start(t, []string{"--modelarts-h2c", "--modelarts-endpoint", "http://" + lis.Addr().String()}, map[string]string{"OS_TOKEN": "service-token"})
	conn, err := grpc.NewClient(serving.GRPC, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	client := devenvv1.NewDevEnvServiceClient(conn)
	if _, err := client.ListInstances(t.Context(), &devenvv1.ListInstancesRequest{ProjectId: emulator.SampleProjectID, DeType: "Notebook"}); err != nil {
		t.Fatal(err)
	}
	if _, ok := protos.Load("HTTP/2.0"); !ok {
		t.Error("ModelArts saw no HTTP/2.0 request")
	}
	if _, ok := protos.Load("HTTP/1.1"); ok {
		t.Error("ModelArts saw HTTP/1.1 requests")
	}
}

// TestRun_healthWithCallerAuth: the README's health check works with caller
// authentication on, on the admin listener, without credentials.
func TestRun_healthWithCallerAuth(t *testing.T) {
	t.Parallel()
	path := t.TempDir() + "/callers.yaml"
	h := sha256.Sum256([]byte("tok"))
	if err := os.WriteFile(path, []byte("callers: [{name: c, token_sha256: "+hex.EncodeToString(h[:])+", projects: ['*']}]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	serving, _ := start(t, []string{"--caller-tokens-file", path}, nil)
	if !strings.Contains(serving.line, `"caller_auth":"on (1 callers)"`) {
		t.Errorf("serving line %s does not say caller authentication is on", serving.line)
	}
	conn, err := grpc.NewClient(serving.Admin, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	resp, err := healthpb.NewHealthClient(conn).Check(t.Context(), &healthpb.HealthCheckRequest{})
	if err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Errorf("gRPC health on the admin listener: %v %v", resp, err)
	}
	// The service is ready once the first readiness check, which runs
	// beside Serve, passed: watch for it before asking /readyz.
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	watch, err := healthpb.NewHealthClient(conn).Watch(ctx, &healthpb.HealthCheckRequest{Service: "modelarts.devenv.v1.DevEnvService"})
	for err == nil {
		var h *healthpb.HealthCheckResponse
		if h, err = watch.Recv(); err == nil && h.GetStatus() == healthpb.HealthCheckResponse_SERVING {
			break
		}
	}
	if err != nil {
		t.Fatalf("the service's health on the admin listener: %v; want SERVING", err)
	}
	for _, p := range []string{"/healthz", "/readyz"} {
		r, err := http.Get("http://" + serving.Admin + p)
		if err != nil {
			t.Fatal(err)
		}
		r.Body.Close()
		if r.StatusCode != http.StatusOK {
			t.Errorf("GET %s: %s", p, r.Status)
		}
	}
}

// TestRun_tokenHolders: --token-holders needs a callers file and token
// pass-through, and validate needs IAM's endpoint; the serving line says
// which policy is in force, and validate finds IAM as the credentials do.
func TestRun_tokenHolders(t *testing.T) {
	t.Parallel()
	path := t.TempDir() + "/callers.yaml"
	h := sha256.Sum256([]byte("tok"))
	if err := os.WriteFile(path, []byte("callers: [{name: c, token_sha256: "+hex.EncodeToString(h[:])+", projects: ['*']}]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"unknown_policy", []string{"--token-holders", "allow"}, nil, "refuse, forward, validate"},
		{"without_callers_file", []string{"--token-holders", "forward"}, nil, "--token-holders forward needs --caller-tokens-file"},
		{"env_without_callers_file", nil, map[string]string{"DEVENV_FACADE_TOKEN_HOLDERS": "validate"}, "--token-holders validate needs --caller-tokens-file"},
		{"with_no_passthrough", []string{"--caller-tokens-file", path, "--token-holders", "forward", "--no-token-passthrough"}, nil, "--no-token-passthrough"},
		{"validate_without_iam", []string{"--caller-tokens-file", path, "--token-holders", "validate"}, nil, "--iam-endpoint"},
		{"validate_bad_iam", []string{"--caller-tokens-file", path, "--token-holders", "validate", "--iam-endpoint", "https://user:pw@iam.example/v3"}, nil, "user info"},
	} {
		var out logbuf.Buffer
		lookup := func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok }
		err := run(t.Context(), append([]string{"--grpc-addr", "127.0.0.1:0", "--http-addr", "", "--admin-addr", ""}, tt.args...), lookup, &out, &out)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v; want an error mentioning %q", tt.name, err, tt.want)
		}
	}
	serving, _ := start(t, []string{"--caller-tokens-file", path, "--token-holders", "validate", "--iam-endpoint", "http://127.0.0.1:9/v3"}, nil)
	if !strings.Contains(serving.line, `"token_holders":"validate (IAM token validation at http://127.0.0.1:9/v3;`) {
		t.Errorf("serving line %s does not name the policy and IAM", serving.line)
	}
}
