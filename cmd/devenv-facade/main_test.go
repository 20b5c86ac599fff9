package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"os"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/devenv-facade/devenv-facade/emulator"
	devenvv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/devenv/v1"
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
		args []string
		want string
	}{
		{[]string{"--log-level", "loud"}, "--log-level"},
		{[]string{"--log-format", "xml"}, "--log-format"},
		{[]string{"--shutdown-grace", "later"}, "shutdown-grace"},
		{[]string{"--modelarts-endpoint", "ftp://x", "--grpc-addr", "127.0.0.1:0", "--http-addr", ""}, "scheme"},
		{[]string{"--grpc-addr", "256.0.0.1:0"}, "gRPC listener"},
	}
	for _, tt := range tests {
		var out logbuf.Buffer
		err := run(t.Context(), tt.args, noEnv, &out, &out)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("run %q: %v; want an error mentioning %q", tt.args, err, tt.want)
		}
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
		done <- run(ctx, []string{"--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0", "--log-format", "json"}, noEnv, &logs, &logs)
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	}()
	grpcAddr := waitForAddr(t, &logs, "serving gRPC")
	httpAddr := waitForAddr(t, &logs, "serving the REST mirror")

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
	if strings.Contains(logs.String(), embeddedToken) {
		t.Error("the logs show the upstream token")
	}
}

var addrPattern = regexp.MustCompile(`"addr":"([^"]+)"`)

// waitForAddr waits for a JSON log line with msg and returns its addr.
func waitForAddr(t *testing.T, logs *logbuf.Buffer, msg string) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		for _, line := range strings.Split(logs.String(), "\n") {
			if strings.Contains(line, `"msg":"`+msg+`"`) {
				if m := addrPattern.FindStringSubmatch(line); m != nil {
					return m[1]
				}
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("no %q log line; logs:\n%s", msg, logs)
	return ""
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
		{"bad_signing_form", []string{"--access-key", "a", "--secret-key", "s", "--signing-form", "v11"}, nil, "signing form"},
		{"exposed_without_protection", []string{"--grpc-addr", "0.0.0.0:0", "--http-addr", ""}, nil, "refusing to listen"},
		{"bad_callers_file", []string{"--caller-tokens-file", "/nonexistent/callers.yaml"}, nil, "callers file"},
		{"tls_key_missing", []string{"--tls-cert", "/nonexistent/cert.pem"}, nil, "--tls-key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out logbuf.Buffer
			lookup := func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok }
			err := run(t.Context(), append([]string{"--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0"}, tt.args...), lookup, &out, &out)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("run: %v; want an error mentioning %q", err, tt.want)
			}
			if strings.Contains(err.Error()+out.String(), "file-pw") {
				t.Error("the password appears in the error or the log")
			}
		})
	}
}

// TestRun_sighupReloadsCallers changes the callers file without changing its
// size or modification time, which the watcher cannot see: only SIGHUP
// reloads it. Not parallel: it signals the test process.
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
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	var logs logbuf.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"--grpc-addr", "127.0.0.1:0", "--http-addr", "", "--log-format", "json",
			"--caller-tokens-file", path}, noEnv, &logs, &logs)
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	}()
	conn, err := grpc.NewClient(waitForAddr(t, &logs, "serving gRPC"), grpc.WithTransportCredentials(insecure.NewCredentials()))
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
	if err := os.Chtimes(path, fi.ModTime(), fi.ModTime()); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2500 * time.Millisecond) // a watcher tick passes and sees nothing
	if got := call("token-two"); got != codes.Unauthenticated {
		t.Fatalf("token-two before SIGHUP: %v; want Unauthenticated (the watcher must not have seen the change)", got)
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for call("token-two") != codes.NotFound {
		if time.Now().After(deadline) {
			t.Fatal("SIGHUP did not reload the callers file")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if got := call("token-one"); got != codes.Unauthenticated {
		t.Errorf("token-one after the reload: %v; want Unauthenticated", got)
	}
}
