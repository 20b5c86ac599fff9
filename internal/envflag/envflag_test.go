package envflag_test

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/devenv-facade/devenv-facade/internal/envflag"
)

type settings struct {
	addr   string
	token  string
	grace  time.Duration
	strict bool
}

func newSet(s *settings) *envflag.Set {
	fs := envflag.New("prog")
	fs.String(&s.addr, "addr", "PROG_ADDR", "127.0.0.1:1", "listen address")
	fs.Secret(&s.token, "token", "PROG_TOKEN", "a token")
	fs.Duration(&s.grace, "grace", "PROG_GRACE", time.Second, "grace period")
	fs.Bool(&s.strict, "strict", "PROG_STRICT", false, "be strict")
	return fs
}

func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestParse_precedence(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want settings
	}{
		{"defaults", nil, nil, settings{addr: "127.0.0.1:1", grace: time.Second}},
		{"env", nil, map[string]string{"PROG_ADDR": "e:2", "PROG_TOKEN": "et", "PROG_GRACE": "5s", "PROG_STRICT": "true"},
			settings{addr: "e:2", token: "et", grace: 5 * time.Second, strict: true}},
		{"flag_wins", []string{"--addr", "f:3", "-grace=2s", "--token=ft"}, map[string]string{"PROG_ADDR": "e:2", "PROG_TOKEN": "et", "PROG_GRACE": "5s"},
			settings{addr: "f:3", token: "ft", grace: 2 * time.Second}},
		{"empty_env_value_is_a_value", nil, map[string]string{"PROG_ADDR": ""}, settings{addr: "", grace: time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got settings
			if err := newSet(&got).Parse(tt.args, env(tt.env)); err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got %+v; want %+v", got, tt.want)
			}
		})
	}
}

func TestParse_errors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		args        []string
		env         map[string]string
		wantIn      string
		mustNotLeak string
	}{
		{"unknown_flag", []string{"--nope"}, nil, "nope", ""},
		{"positional", []string{"extra"}, nil, "extra", ""},
		{"bad_duration_env", nil, map[string]string{"PROG_GRACE": "soon"}, "PROG_GRACE", ""},
		{"bad_bool_env", nil, map[string]string{"PROG_STRICT": "maybe"}, "PROG_STRICT", ""},
		{"secret_without_value", []string{"--token"}, nil, "token", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s settings
			err := newSet(&s).Parse(tt.args, env(tt.env))
			if err == nil || !strings.Contains(err.Error(), tt.wantIn) {
				t.Errorf("err = %v; want one mentioning %q", err, tt.wantIn)
			}
		})
	}
	var s settings
	if err := newSet(&s).Parse([]string{"--help"}, env(nil)); !errors.Is(err, envflag.ErrHelp) {
		t.Errorf("--help: %v; want ErrHelp", err)
	}
}

func TestPrintUsage_neverShowsSecrets(t *testing.T) {
	t.Parallel()
	var s settings
	fs := newSet(&s)
	if err := fs.Parse([]string{"--token", "flag-SECRET"}, env(map[string]string{"PROG_TOKEN": "env-SECRET"})); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	fs.PrintUsage(&b, "Header text.")
	out := b.String()
	if strings.Contains(out, "SECRET") {
		t.Errorf("usage shows a secret:\n%s", out)
	}
	for _, want := range []string{"Header text.", "--addr  [$PROG_ADDR]", `(default "127.0.0.1:1")`, "--token  [$PROG_TOKEN]", "never printed", `(default "1s")`} {
		if !strings.Contains(out, want) {
			t.Errorf("usage lacks %q:\n%s", want, out)
		}
	}
}

func TestSecretFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := func(name, content string) string {
		p := dir + "/" + name
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	fromFile := file("tok", "file-token\n")
	empty := file("empty", "\n")
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		want    string
		wantErr string
	}{
		{"flag_file", []string{"--token-file", fromFile}, nil, "file-token", ""},
		{"env_file", nil, map[string]string{"PROG_TOKEN_FILE": fromFile}, "file-token", ""},
		{"flag_beats_env_file", []string{"--token", "flag-token"}, map[string]string{"PROG_TOKEN_FILE": fromFile}, "flag-token", ""},
		{"flag_file_beats_env", []string{"--token-file", fromFile}, map[string]string{"PROG_TOKEN": "env-token"}, "file-token", ""},
		{"both_flags", []string{"--token", "x", "--token-file", fromFile}, nil, "", "both set"},
		{"both_env", nil, map[string]string{"PROG_TOKEN": "x", "PROG_TOKEN_FILE": fromFile}, "", "both set"},
		{"missing_file", []string{"--token-file", dir + "/nope"}, nil, "", "token-file"},
		{"empty_file", []string{"--token-file", empty}, nil, "", "empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s settings
			err := newSet(&s).Parse(tt.args, env(tt.env))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v; want one mentioning %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s.token != tt.want {
				t.Errorf("token = %q; want %q", s.token, tt.want)
			}
		})
	}
}
