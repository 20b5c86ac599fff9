//go:build unix

package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/devenv-facade/devenv-facade/internal/logbuf"
	"github.com/devenv-facade/devenv-facade/internal/smallfile/smallfiletest"
)

// runOrBlocked runs the facade with args and env, within
// smallfiletest.FailSafe (see smallfiletest.Within; fifo is the named pipe
// to release if it blocks).
func runOrBlocked(t *testing.T, args []string, env map[string]string, fifo string) (string, error) {
	t.Helper()
	var out logbuf.Buffer
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	err := smallfiletest.Within(t, fmt.Sprintf("devenv-facade %q %v", args, env), fifo, func() error {
		return run(t.Context(), args, lookup, &out, &out)
	})
	return out.String(), err
}

// TestRun_fileFlagsTakeSmallRegularFilesOnly: every flag that names a file
// the facade reads (secrets, the config file, the callers file, the TLS
// files) refuses /dev/zero, a named pipe, a directory and a file over its
// limit at once, with an error that names the flag and the file; none of
// them is read without bound or waited on.
func TestRun_fileFlagsTakeSmallRegularFilesOnly(t *testing.T) {
	t.Parallel()
	bad := smallfiletest.Refused(t)
	fifo := bad["fifo"].Path
	regular := writeConfig(t, "regular.pem", "not PEM, but a regular file\n")
	// Each flag with what else it needs to be read, and how its error
	// names it.
	flags := []struct {
		flag  string
		other []string
		env   string // its variable
		names string
	}{
		{"--config", nil, "DEVENV_FACADE_CONFIG", "config file (--config): "},
		{"--auth-token-file", nil, "OS_TOKEN_FILE", "--auth-token-file: "},
		{"--password-file", nil, "OS_PASSWORD_FILE", "--password-file: "},
		{"--access-key-file", nil, "OS_ACCESS_KEY_FILE", "--access-key-file: "},
		{"--secret-key-file", nil, "OS_SECRET_KEY_FILE", "--secret-key-file: "},
		{"--security-token-file", nil, "OS_SECURITY_TOKEN_FILE", "--security-token-file: "},
		{"--caller-tokens-file", nil, "DEVENV_FACADE_CALLER_TOKENS_FILE", "callers file: "},
		{"--tls-cert", []string{"--tls-key", regular}, "DEVENV_FACADE_TLS_CERT", "--tls-cert: "},
		{"--tls-key", []string{"--tls-cert", regular}, "DEVENV_FACADE_TLS_KEY", "--tls-key: "},
		{"--client-ca", []string{"--tls-cert", regular, "--tls-key", regular}, "DEVENV_FACADE_CLIENT_CA", "--client-ca: "},
	}
	listen := []string{"--grpc-addr", "127.0.0.1:0", "--http-addr", "", "--admin-addr", ""}
	for _, f := range flags {
		for kind, b := range bad {
			args := append(append([]string{f.flag, b.Path}, f.other...), listen...)
			t.Run(strings.TrimPrefix(f.flag, "--")+"_"+kind, func(t *testing.T) {
				t.Parallel()
				out, err := runOrBlocked(t, args, nil, fifo)
				if want := f.names + b.Why; err == nil || !strings.Contains(err.Error(), want) {
					t.Errorf("run %q: %v; want an error with %q\n%s", args, err, want, out)
				}
			})
		}
		// From the variable too (with /dev/zero).
		t.Run(strings.TrimPrefix(f.flag, "--")+"_env", func(t *testing.T) {
			t.Parallel()
			args := append(append([]string{}, f.other...), listen...)
			out, err := runOrBlocked(t, args, map[string]string{f.env: "/dev/zero"}, fifo)
			if want := f.names + bad["dev_zero"].Why; err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("run %q with %s=/dev/zero: %v; want an error with %q\n%s", args, f.env, err, want, out)
			}
		})
	}
}

// TestRun_printConfigReadsNoSecretFile: --print-config checks the settings
// but opens no secret's file, as docs/configuration.md says (what only a
// start can check is left to the start): a missing file, an empty one, a pipe or a
// device there still prints, with the secret shown as coming from its file.
// URLs' user info (a password in --modelarts-endpoint or --iam-endpoint)
// and query (a token) are redacted.
func TestRun_printConfigReadsNoSecretFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	fifo := smallfiletest.Refused(t)["fifo"].Path
	empty := writeConfig(t, "empty", "")
	args := []string{"--print-config",
		"--auth-token-file", "/dev/zero",
		"--password-file", fifo,
		"--access-key-file", filepath.Join(dir, "missing"),
		"--secret-key-file", empty,
		"--modelarts-endpoint", "https://user:s3cret-pw@modelarts.example",
		"--iam-endpoint", "https://user:s3cret-pw@iam.example/v3?token=s3cret-tok#s3cret",
	}
	out, err := runOrBlocked(t, args, map[string]string{"OS_SECURITY_TOKEN_FILE": fifo}, fifo)
	if err != nil {
		t.Fatalf("run %q: %v\n%s", args, err, out)
	}
	if strings.Contains(out, "s3cret") {
		t.Errorf("--print-config shows a URL's password:\n%s", out)
	}
	for _, re := range []string{
		`(?m)^# auth-token: \[REDACTED\] +# in the file --auth-token-file names \(flag --auth-token-file\); secret, not in a config file$`,
		`(?m)^# password: \[REDACTED\] +# in the file --password-file names \(flag --password-file\)`,
		`(?m)^# access-key: \[REDACTED\] +# in the file --access-key-file names \(flag --access-key-file\)`,
		`(?m)^# secret-key: \[REDACTED\] +# in the file --secret-key-file names \(flag --secret-key-file\)`,
		`(?m)^# security-token: \[REDACTED\] +# in the file --security-token-file names \(env OS_SECURITY_TOKEN_FILE\)`,
		`(?m)^modelarts-endpoint: https://\[REDACTED\]@modelarts\.example +# flag --modelarts-endpoint; user info redacted$`,
		`(?m)^iam-endpoint: https://\[REDACTED\]@iam\.example/v3\?\[REDACTED\] +# flag --iam-endpoint; user info and query redacted$`,
	} {
		if !matches(re, out) {
			t.Errorf("--print-config lacks a line matching %s:\n%s", re, out)
		}
	}
}
