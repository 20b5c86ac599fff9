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
		{"both_flags", []string{"--token", "x", "--token-file", fromFile}, nil, "", "--token and --token-file are both given"},
		{"both_env", nil, map[string]string{"PROG_TOKEN": "x", "PROG_TOKEN_FILE": fromFile}, "", "environment variables PROG_TOKEN and PROG_TOKEN_FILE are both set"},
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

// ranged is a set with a ranged duration and int, a choice and a bool.
type ranged struct {
	timeout time.Duration
	count   int
	level   string
	on      bool
}

func newRanged(r *ranged) *envflag.Set {
	fs := envflag.New("prog")
	fs.Duration(&r.timeout, "timeout", "PROG_TIMEOUT", 30*time.Second, "a timeout").Between(100*time.Millisecond, 10*time.Minute)
	fs.Int(&r.count, "count", "PROG_COUNT", 3, "a count").Between(1, 10)
	fs.Choice(&r.level, "level", "PROG_LEVEL", "info", []string{"debug", "info"}, "a level")
	fs.Bool(&r.on, "on", "PROG_ON", false, "a switch")
	return fs
}

func TestParse_valuesAndRanges(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		args   []string
		env    map[string]string
		wantIn []string // empty: no error
		want   ranged
	}{
		{"defaults", nil, nil, nil, ranged{30 * time.Second, 3, "info", false}},
		{"bare_number_duration", []string{"--timeout", "5"}, nil, []string{`--timeout "5"`, "want a duration with a unit, such as 5s"}, ranged{}},
		{"garbage_duration_env", nil, map[string]string{"PROG_TIMEOUT": "soon"}, []string{`PROG_TIMEOUT="soon" (--timeout)`, "such as 30s"}, ranged{}},
		{"duration_below", []string{"--timeout", "-1s"}, nil, []string{"--timeout -1s", "must be between 100ms and 10m0s"}, ranged{}},
		{"duration_above_env", nil, map[string]string{"PROG_TIMEOUT": "1h"}, []string{"PROG_TIMEOUT=1h0m0s (--timeout)", "between"}, ranged{}},
		{"int_below", []string{"--count", "-5"}, nil, []string{"--count -5", "between 1 and 10"}, ranged{}},
		{"int_not_a_number", []string{"--count", "many"}, nil, []string{`--count "many"`, "whole number"}, ranged{}},
		{"choice_case_insensitive", []string{"--level", "DEBUG"}, nil, nil, ranged{30 * time.Second, 3, "debug", false}},
		{"choice_unknown", nil, map[string]string{"PROG_LEVEL": "loud"}, []string{"PROG_LEVEL", "want one of debug, info"}, ranged{}},
		{"bool_yes", nil, map[string]string{"PROG_ON": "yes"}, nil, ranged{30 * time.Second, 3, "info", true}},
		{"bool_off", []string{"--on=off"}, nil, nil, ranged{30 * time.Second, 3, "info", false}},
		{"bool_bare", []string{"--on"}, nil, nil, ranged{30 * time.Second, 3, "info", true}},
		{"bool_unknown", nil, map[string]string{"PROG_ON": "maybe"}, []string{"PROG_ON", "true or false", "yes/no"}, ranged{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got ranged
			err := newRanged(&got).Parse(tt.args, env(tt.env))
			if len(tt.wantIn) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				if got != tt.want {
					t.Errorf("got %+v; want %+v", got, tt.want)
				}
				return
			}
			for _, w := range tt.wantIn {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("err = %v; want one mentioning %q", err, w)
				}
			}
		})
	}
}

func TestPrintUsage_showsRanges(t *testing.T) {
	t.Parallel()
	var r ranged
	var b strings.Builder
	newRanged(&r).PrintUsage(&b, "")
	for _, want := range []string{`(default "30s"; 100ms to 10m0s)`, `(default "3"; 1 to 10)`, `(default "info"; one of debug, info)`} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("usage lacks %q:\n%s", want, b.String())
		}
	}
}

// TestSecretWarnings: secrets on the command line and secret files that
// others may read are reported, never their values.
func TestSecretWarnings(t *testing.T) {
	t.Parallel()
	p := t.TempDir() + "/tok"
	if err := os.WriteFile(p, []byte("file-SECRET"), 0o644); err != nil {
		t.Fatal(err)
	}
	var s settings
	fs := newSet(&s)
	if err := fs.Parse([]string{"--token-file", p}, env(nil)); err != nil {
		t.Fatal(err)
	}
	w := strings.Join(fs.Warnings(), "\n")
	if !strings.Contains(w, "readable by others") || strings.Contains(w, "SECRET") {
		t.Errorf("warnings %q; want one about the file's mode, without the secret", w)
	}
	if got := fs.SecretsOnCommandLine(); len(got) != 0 {
		t.Errorf("SecretsOnCommandLine = %v; want none (the file twin was used)", got)
	}
	fs = newSet(&s)
	if err := fs.Parse([]string{"--token", "x"}, env(map[string]string{"PROG_TOKEN": "y"})); err != nil {
		t.Fatal(err)
	}
	if got := fs.SecretsOnCommandLine(); len(got) != 1 || got[0] != "--token" {
		t.Errorf("SecretsOnCommandLine = %v; want [--token]", got)
	}
}

// args is a set for a command with arguments: a string with a variable
// and an alias, and a bool.
type args struct {
	output string
	wait   bool
}

func newArgs(a *args) *envflag.Set {
	fs := envflag.New("prog get")
	fs.Choice(&a.output, "output", "PROG_OUTPUT", "table", []string{"table", "json"}, "output format")
	fs.Alias("o", "output")
	fs.Bool(&a.wait, "wait", "", false, "wait")
	return fs
}

func TestParseArgs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		want    args
		wantPos []string
		wantErr string
	}{
		{"flags_after", []string{"id-1", "-o", "json", "--wait"}, nil, args{"json", true}, []string{"id-1"}, ""},
		{"flags_between", []string{"a", "--wait", "b", "--output=json"}, nil, args{"json", true}, []string{"a", "b"}, ""},
		{"no_args", []string{"--wait"}, nil, args{"table", true}, nil, ""},
		{"terminator", []string{"--wait", "--", "-o", "x"}, nil, args{"table", true}, []string{"-o", "x"}, ""},
		{"single_dash_is_an_argument", []string{"-", "--wait"}, nil, args{"table", true}, []string{"-"}, ""},
		{"alias_beats_env", []string{"x", "-o", "json"}, map[string]string{"PROG_OUTPUT": "table"}, args{"json", false}, []string{"x"}, ""},
		{"env_without_flag", []string{"x"}, map[string]string{"PROG_OUTPUT": "JSON"}, args{"json", false}, []string{"x"}, ""},
		{"alias_bad_value", []string{"x", "-o", "yaml"}, nil, args{}, nil, `--output "yaml": want one of table, json`},
		{"unknown_flag_after_arg", []string{"x", "--nope"}, nil, args{}, nil, "nope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got args
			pos, err := newArgs(&got).ParseArgs(tt.args, env(tt.env))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v; want one mentioning %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want || strings.Join(pos, "|") != strings.Join(tt.wantPos, "|") || len(pos) != len(tt.wantPos) {
				t.Errorf("got %+v %q; want %+v %q", got, pos, tt.want, tt.wantPos)
			}
		})
	}
}

func TestGiven(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		args      []string
		env       map[string]string
		wantGiven map[string]bool
	}{
		{"defaults", nil, nil, map[string]bool{"output": false, "wait": false}},
		{"alias", []string{"-o", "table"}, nil, map[string]bool{"output": true, "wait": false}},
		{"env", nil, map[string]string{"PROG_OUTPUT": "table"}, map[string]bool{"output": true}},
		{"false_is_given", []string{"--wait=false"}, nil, map[string]bool{"wait": true, "output": false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var a args
			fs := newArgs(&a)
			if _, err := fs.ParseArgs(tt.args, env(tt.env)); err != nil {
				t.Fatal(err)
			}
			for name, want := range tt.wantGiven {
				if got := fs.Given(name); got != want {
					t.Errorf("Given(%q) = %v; want %v", name, got, want)
				}
			}
		})
	}
}

func TestAlias_inUsageAndFlags(t *testing.T) {
	t.Parallel()
	var a args
	fs := newArgs(&a)
	var b strings.Builder
	fs.PrintUsage(&b, "")
	if !strings.Contains(b.String(), "  -o, --output  [$PROG_OUTPUT]") {
		t.Errorf("usage lacks the alias:\n%s", b.String())
	}
	if strings.Contains(b.String(), "\n  --o") {
		t.Errorf("usage lists the alias as a flag of its own:\n%s", b.String())
	}
	infos := fs.Flags()
	if len(infos) != 2 || infos[0].Name != "output" || len(infos[0].Aliases) != 1 || infos[0].Aliases[0] != "o" {
		t.Errorf("Flags() = %+v; want output (alias o) and wait", infos)
	}
}
