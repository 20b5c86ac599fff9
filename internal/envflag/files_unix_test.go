//go:build unix

package envflag_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/devenv-facade/devenv-facade/internal/envflag"
	"github.com/devenv-facade/devenv-facade/internal/smallfile/smallfiletest"
)

// parseOrBlocked parses args with fs, within smallfiletest.FailSafe (see
// smallfiletest.Within; fifo is the named pipe to release if it blocks).
func parseOrBlocked(t *testing.T, fs *envflag.Set, args []string, environ map[string]string, fifo string) error {
	t.Helper()
	return smallfiletest.Within(t, fmt.Sprintf("Parse %q %v", args, environ), fifo, func() error {
		return fs.Parse(args, env(environ))
	})
}

// TestSecretFiles_onlySmallRegularFiles: a secret's file must be a regular
// file of at most 64 KiB; anything else is refused at once (not read to the
// end of /dev/zero, not waited on like a pipe), naming the flag (or
// variable) and the file.
func TestSecretFiles_onlySmallRegularFiles(t *testing.T) {
	t.Parallel()
	files := smallfiletest.Refused(t)
	for name, f := range files {
		for _, via := range []struct {
			name string
			args []string
			env  map[string]string
			want string
		}{
			{"flag", []string{"--token-file", f.Path}, nil, "--token-file: "},
			{"env", nil, map[string]string{"PROG_TOKEN_FILE": f.Path}, "--token-file: "},
		} {
			t.Run(name+"_"+via.name, func(t *testing.T) {
				t.Parallel()
				var s settings
				err := parseOrBlocked(t, newSet(&s), via.args, via.env, files["fifo"].Path)
				if err == nil || !strings.Contains(err.Error(), via.want+f.Why) {
					t.Errorf("err = %v; want one with %q", err, via.want+f.Why)
				}
			})
		}
	}
	// 64 KiB is accepted.
	tok := filepath.Join(t.TempDir(), "tok")
	if err := os.WriteFile(tok, []byte(strings.Repeat("t", 64<<10)), 0o600); err != nil {
		t.Fatal(err)
	}
	var s settings
	if err := newSet(&s).Parse([]string{"--token-file", tok}, env(nil)); err != nil || len(s.token) != 64<<10 {
		t.Errorf("a 64 KiB token file: %d bytes, %v", len(s.token), err)
	}
}

// TestConfigFile_onlySmallRegularFiles: the same for the configuration
// file, whose limit is 1 MiB.
func TestConfigFile_onlySmallRegularFiles(t *testing.T) {
	t.Parallel()
	files := smallfiletest.Refused(t)
	for name, f := range files {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var c configured
			err := parseOrBlocked(t, newConfigured(&c), []string{"--config", f.Path}, nil, files["fifo"].Path)
			if want := "config file (--config): " + f.Why; err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("err = %v; want one with %q", err, want)
			}
		})
	}
}

// TestPrintConfigFlag_readsNoSecretFile: with the flag PrintConfigFlag
// defines, Parse opens no secret's file, whatever it is (a pipe, a
// device, missing, empty), and Settings says the secret comes from it;
// without the flag, the same files are errors.
func TestPrintConfigFlag_readsNoSecretFile(t *testing.T) {
	t.Parallel()
	files := smallfiletest.Refused(t)
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	paths := map[string]string{"missing": filepath.Join(dir, "missing"), "empty": empty}
	for name, f := range files {
		paths[name] = f.Path
	}
	newPrinting := func(s *settings, print *bool) *envflag.Set {
		fs := newSet(s)
		fs.PrintConfigFlag(print, "print-config", "print the configuration")
		return fs
	}
	for name, path := range paths {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var s settings
			var print bool
			fs := newPrinting(&s, &print)
			if err := parseOrBlocked(t, fs, []string{"--token-file", path, "--print-config"}, map[string]string{"PROG_TOKEN": "env-token"}, files["fifo"].Path); err != nil {
				t.Fatalf("with --print-config: %v", err)
			}
			if !print || s.token != "" {
				t.Errorf("print %v, token %q; want true and no token read", print, s.token)
			}
			for _, st := range fs.Settings() {
				if st.Name == "token" && (st.Value != envflag.Redacted || st.ViaFile != "token-file" || st.Source != envflag.FromFlag) {
					t.Errorf("Settings: %+v; want the token redacted, from its file twin on the command line", st)
				}
			}
			var b strings.Builder
			if err := fs.PrintConfig(&b); err != nil {
				t.Fatal(err)
			}
			if want := "in the file --token-file names (flag --token-file)"; !strings.Contains(b.String(), want) {
				t.Errorf("PrintConfig lacks %q:\n%s", want, b.String())
			}
			// Without --print-config, the file is read, and refused.
			var s2 settings
			fs2 := newPrinting(&s2, new(bool))
			if err := parseOrBlocked(t, fs2, []string{"--token-file", path}, nil, files["fifo"].Path); err == nil || !strings.Contains(err.Error(), "--token-file: ") {
				t.Errorf("without --print-config: %v; want an error about --token-file", err)
			}
		})
	}
	// The choice between a secret and its file twin is still checked.
	var s settings
	if err := newPrinting(&s, new(bool)).Parse([]string{"--token", "x", "--token-file", empty, "--print-config"}, env(nil)); err == nil ||
		!strings.Contains(err.Error(), "--token and --token-file are both given") {
		t.Errorf("a secret and its file on the command line: %v; want an error", err)
	}
}
