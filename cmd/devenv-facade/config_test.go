package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/devenv-facade/devenv-facade/internal/logbuf"
)

// writeConfig writes a config file into a fresh directory and returns its
// path.
func writeConfig(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestRun_printConfig: --print-config shows every flag's value and
// source, redacts secrets, starts nothing, and prints a config file that
// reproduces the settings.
func TestRun_printConfig(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	password := filepath.Join(dir, "password")
	if err := os.WriteFile(password, []byte("s3cret-passw0rd\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := writeConfig(t, "facade.yaml", `# the facade in a container
grpc-addr: 0.0.0.0:9090
upstream-timeout: 45s
retry-max-attempts: 4
password-file: `+password+`
`)
	env := map[string]string{"DEVENV_FACADE_RETRY_MAX_ATTEMPTS": "5", "OS_TOKEN": "env-t0ken-value", "DEVENV_FACADE_CONFIG": "/not/this/one.yaml"}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	var out, errOut logbuf.Buffer
	if err := run(t.Context(), []string{"--config", cfg, "--shutdown-grace", "25s", "--print-config"}, lookup, &out, &errOut); err != nil {
		t.Fatalf("--print-config: %v\n%s", err, errOut.String())
	}
	got := out.String()
	for _, secret := range []string{"s3cret", "t0ken"} {
		if strings.Contains(got, secret) {
			t.Errorf("--print-config shows a secret (%s):\n%s", secret, got)
		}
	}
	for _, re := range []string{
		`(?m)^# config: \S+facade\.yaml +# flag --config; not in a config file$`,
		`(?m)^grpc-addr: 0\.0\.0\.0:9090 +# file \S+facade\.yaml$`,
		`(?m)^http-addr: 127\.0\.0\.1:8080 +# default$`,
		`(?m)^upstream-timeout: 45s +# file `,
		`(?m)^shutdown-grace: 25s +# flag --shutdown-grace$`,
		`(?m)^retry-max-attempts: 5 +# env DEVENV_FACADE_RETRY_MAX_ATTEMPTS$`,
		`(?m)^# auth-token: \[REDACTED\] +# env OS_TOKEN; secret, not in a config file$`,
		`(?m)^# password: \[REDACTED\] +# in the file --password-file names \(file \S+\); secret, not in a config file$`,
		`(?m)^password-file: \S+/password +# file `,
		`(?m)^# version: false +# default; not in a config file$`,
		`(?m)^# print-config: true +# flag --print-config; not in a config file$`,
	} {
		if !matches(re, got) {
			t.Errorf("--print-config lacks a line matching %s:\n%s", re, got)
		}
	}
	if errOut.String() != "" {
		t.Errorf("--print-config logged (so it started something): %s", errOut.String())
	}

	// Every flag of --help has a line.
	var cfgFlags config
	for _, f := range newFlags(&cfgFlags).Flags() {
		if !matches(`(?m)^(# )?`+f.Name+`: `, got) {
			t.Errorf("--print-config has no line for --%s", f.Name)
		}
	}

	// The output, used as the config file, reproduces the settings.
	again := writeConfig(t, "again.yaml", got)
	var out2 logbuf.Buffer
	if err := run(t.Context(), []string{"--config", again, "--print-config"}, lookup, &out2, &out2); err != nil {
		t.Fatalf("the printed configuration as --config: %v\n%s", err, got)
	}
	for _, line := range []string{"grpc-addr: 0.0.0.0:9090", "upstream-timeout: 45s", "shutdown-grace: 25s", "retry-max-attempts: 5"} {
		if !strings.Contains(out2.String(), line) {
			t.Errorf("read back, the configuration lacks %q:\n%s", line, out2.String())
		}
	}
}

// TestRun_configFileErrors: the config file goes through the flags'
// checks, and its errors name the file, the line and the key.
func TestRun_configFileErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, content string
		wantIn        []string
		notIn         string
	}{
		{"unknown_key", "upstream-timout: 30s\n", []string{"line 1", `unknown key "upstream-timout"`, "did you mean upstream-timeout?"}, ""},
		{"variable_name", "DEVENV_FACADE_GRPC_ADDR: 0.0.0.0:9090\n", []string{"write grpc-addr for DEVENV_FACADE_GRPC_ADDR"}, ""},
		{"out_of_range", "retry-max-attempts: 0\n", []string{`retry-max-attempts "0"`, "between 1 and 10"}, ""},
		{"bad_duration", "shutdown-grace: 20\n", []string{`shutdown-grace "20"`, "such as 20s"}, ""},
		{"choice", "credentials: kerberos\n", []string{`credentials "kerberos"`, "auto, none, token"}, ""},
		{"secret", "secret-key: sk-v3ry-s3cret\n", []string{"secret-key is a secret", "secret-key-file", "OS_SECRET_KEY"}, "s3cret"},
		{"command_line_only", "print-config: true\n", []string{"--print-config is a command-line flag"}, ""},
		{"combination", "retry-initial-backoff: 3s\nretry-max-backoff: 1s\n", []string{"--retry-max-backoff 1s is below --retry-initial-backoff 3s"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := writeConfig(t, "facade.yaml", tt.content)
			var out logbuf.Buffer
			err := run(t.Context(), []string{"--config", path, "--print-config"}, noEnv, &out, &out)
			if err == nil {
				t.Fatalf("accepted %q:\n%s", tt.content, out.String())
			}
			for _, w := range tt.wantIn {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if tt.name != "combination" && !strings.Contains(err.Error(), path) {
				t.Errorf("error %q does not name the file", err)
			}
			if tt.notIn != "" && strings.Contains(err.Error(), tt.notIn) {
				t.Errorf("error %q shows the secret", err)
			}
		})
	}
}

// matches reports whether the regular expression re matches s.
func matches(re, s string) bool { return regexp.MustCompile(re).MatchString(s) }
