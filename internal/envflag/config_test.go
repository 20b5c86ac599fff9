package envflag_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/devenv-facade/devenv-facade/internal/envflag"
)

// configured is a set with every kind of flag and a config file flag.
type configured struct {
	config  string
	addr    string
	token   string
	timeout time.Duration
	count   int
	level   string
	on      bool
	version bool
}

func newConfigured(c *configured) *envflag.Set {
	fs := envflag.New("prog")
	fs.ConfigFile(&c.config, "config", "PROG_CONFIG", "YAML configuration file")
	fs.String(&c.addr, "addr", "PROG_ADDR", "127.0.0.1:1", "listen address")
	fs.Alias("a", "addr")
	fs.Secret(&c.token, "token", "PROG_TOKEN", "a token")
	fs.Duration(&c.timeout, "timeout", "PROG_TIMEOUT", 30*time.Second, "a timeout").Between(100*time.Millisecond, 10*time.Minute)
	fs.Int(&c.count, "count", "PROG_COUNT", 3, "a count").Between(1, 10)
	fs.Choice(&c.level, "level", "PROG_LEVEL", "info", []string{"debug", "info"}, "a level")
	fs.Bool(&c.on, "on", "PROG_ON", false, "a switch")
	fs.Bool(&c.version, "version", "", false, "print the version")
	return fs
}

// writeFile writes content to name in dir with mode 0600 and returns its
// path.
func writeFile(t testing.TB, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestConfigFile_precedence(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	full := writeFile(t, dir, "full.yaml", `# every kind of value
addr: file:1
timeout: 45s
count: 7
level: DEBUG
on: yes
`)
	other := writeFile(t, dir, "other.yaml", "addr: other:1\n")
	defaults := configured{addr: "127.0.0.1:1", timeout: 30 * time.Second, count: 3, level: "info"}
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want configured // config is filled in from the case
	}{
		{"defaults_without_file", nil, nil, defaults},
		{"file_over_default", []string{"--config", full}, nil,
			configured{addr: "file:1", timeout: 45 * time.Second, count: 7, level: "debug", on: true}},
		{"file_named_by_env", nil, map[string]string{"PROG_CONFIG": full},
			configured{addr: "file:1", timeout: 45 * time.Second, count: 7, level: "debug", on: true}},
		{"flag_names_file_over_env", []string{"--config", other}, map[string]string{"PROG_CONFIG": full},
			configured{addr: "other:1", timeout: 30 * time.Second, count: 3, level: "info"}},
		{"env_over_file", []string{"--config", full}, map[string]string{"PROG_ADDR": "env:2", "PROG_COUNT": "9", "PROG_ON": "false"},
			configured{addr: "env:2", timeout: 45 * time.Second, count: 9, level: "debug", on: false}},
		{"flag_over_env_and_file", []string{"--config", full, "-a", "flag:3", "--timeout=1s"}, map[string]string{"PROG_ADDR": "env:2"},
			configured{addr: "flag:3", timeout: time.Second, count: 7, level: "debug", on: true}},
		{"empty_file_path_is_no_file", []string{"--config", ""}, nil, defaults},
		{"empty_file", []string{"--config", writeFile(t, dir, "empty.yaml", "")}, nil, defaults},
		{"comments_only", []string{"--config", writeFile(t, dir, "comments.yaml", "# nothing yet\n\n")}, nil, defaults},
		{"empty_mapping", []string{"--config", writeFile(t, dir, "braces.yaml", "{}\n")}, nil, defaults},
		{"quoted_and_flow_values", []string{"--config", writeFile(t, dir, "quoted.yaml", `{addr: "", timeout: '2m', count: 10}`)}, nil,
			configured{addr: "", timeout: 2 * time.Minute, count: 10, level: "info"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got configured
			fs := newConfigured(&got)
			if err := fs.Parse(tt.args, env(tt.env)); err != nil {
				t.Fatal(err)
			}
			got.config = ""
			if got != tt.want {
				t.Errorf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestConfigFile_errors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tests := []struct {
		name    string
		content string
		env     map[string]string
		wantIn  []string
		notIn   []string // what the message must not contain (secrets)
	}{
		{"unknown_key", "addr: x\ntimout: 5s\n", nil, []string{"line 2", `unknown key "timout"`, "did you mean timeout?"}, nil},
		{"unknown_key_far_from_any", "colour: blue\n", nil, []string{`unknown key "colour"`, "flag names --help lists"}, nil},
		{"variable_as_key", "PROG_TIMEOUT: 5s\n", nil, []string{`unknown key "PROG_TIMEOUT"`, "write timeout for PROG_TIMEOUT"}, nil},
		{"underscores", "time_out: 5s\n", nil, []string{`unknown key "time_out"`, "did you mean timeout?"}, nil},
		{"alias_as_key", "a: x\n", nil, []string{`unknown key "a"`, "full name, addr"}, nil},
		{"unknown_key_value_not_shown", "tokn: hunter2-secret\n", nil, []string{`unknown key "tokn"`}, []string{"hunter2"}},
		{"secret", "token: hunter2-secret\n", nil, []string{"line 1", "token is a secret", "token-file", "PROG_TOKEN"}, []string{"hunter2"}},
		{"secret_even_when_env_overrides", "token: hunter2-secret\n", map[string]string{"PROG_TOKEN": "from-env"}, []string{"token is a secret"}, []string{"hunter2"}},
		{"config_in_config", "config: other.yaml\n", nil, []string{"config names the config file itself"}, nil},
		{"command_line_only", "version: true\n", nil, []string{"--version is a command-line flag"}, nil},
		{"duration_out_of_range", "\ntimeout: 1h\n", nil, []string{"line 2", `timeout "1h"`, "must be between 100ms and 10m0s"}, nil},
		{"duration_without_unit", "timeout: 5\n", nil, []string{`timeout "5"`, "want a duration with a unit, such as 5s"}, nil},
		{"int_out_of_range", "count: 0\n", nil, []string{`count "0"`, "between 1 and 10"}, nil},
		{"int_not_a_number", "count: 2.5\n", nil, []string{`count "2.5"`, "whole number"}, nil},
		{"choice", "level: loud\n", nil, []string{`level "loud"`, "want one of debug, info"}, nil},
		{"bool", "on: maybe\n", nil, []string{`on "maybe"`, "true or false"}, nil},
		{"overridden_value_still_checked", "count: 99\n", map[string]string{"PROG_COUNT": "5"}, []string{`count "99"`, "between 1 and 10"}, nil},
		{"list", "addr: [a, b]\n", nil, []string{`"addr": want a single value, not a list`}, nil},
		{"mapping", "addr:\n  host: x\n", nil, []string{`"addr": want a single value, not a mapping`}, nil},
		{"null", "addr:\n", nil, []string{`"addr" has no value; write "" for an empty one`}, nil},
		{"tilde", "addr: ~\n", nil, []string{`"addr" has no value`}, nil},
		{"alias", "addr: &x a\nlevel: *x\n", nil, []string{`"level": want a single value, not an alias`}, nil},
		{"tag", "addr: !custom x\n", nil, []string{`the YAML tag "!custom" is not accepted`}, nil},
		{"binary_tag", "addr: !!binary aGVsbG8=\n", nil, []string{"!!binary"}, nil},
		{"duplicate", "count: 2\naddr: x\ncount: 3\n", nil, []string{"line 3", `"count" is set twice (first on line 1)`}, nil},
		{"not_a_mapping", "- addr\n- count\n", nil, []string{"want a mapping of flag names to values", "not a list"}, nil},
		{"scalar_document", "just text\n", nil, []string{"want a mapping"}, nil},
		{"second_document", "addr: x\n---\ncount: 2\n", nil, []string{"a second YAML document"}, nil},
		{"key_not_scalar", "[a]: x\n", nil, []string{"a key must be a flag name"}, nil},
		{"syntax_error_value_not_shown", "addr: [hunter2-secret\n", nil, []string{"invalid YAML at line"}, []string{"hunter2"}},
		{"secret_file_missing", "token-file: " + dir + "/none\n", nil, []string{"--token-file", "no such file"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := writeFile(t, t.TempDir(), "prog.yaml", tt.content)
			var c configured
			err := newConfigured(&c).Parse([]string{"--config", path}, env(tt.env))
			if err == nil {
				t.Fatalf("accepted %q", tt.content)
			}
			msg := err.Error()
			if tt.name != "secret_file_missing" && !strings.Contains(msg, "config file "+path) {
				t.Errorf("error %q does not name the file %s", msg, path)
			}
			for _, w := range tt.wantIn {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q lacks %q", msg, w)
				}
			}
			for _, n := range tt.notIn {
				if strings.Contains(msg, n) {
					t.Errorf("error %q shows %q", msg, n)
				}
			}
		})
	}
}

func TestConfigFile_fileErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	big := writeFile(t, dir, "big.yaml", "# "+strings.Repeat("x", 1<<20)+"\n")
	tests := []struct {
		name   string
		args   []string
		env    map[string]string
		wantIn []string
	}{
		{"missing", []string{"--config", dir + "/nope.yaml"}, nil, []string{"config file", "nope.yaml", "no such file"}},
		{"missing_from_env", nil, map[string]string{"PROG_CONFIG": dir + "/nope.yaml"}, []string{"config file", "nope.yaml"}},
		{"directory", []string{"--config", dir}, nil, []string{"config file", "directory"}},
		{"too_big", []string{"--config", big}, nil, []string{"larger than 1 MiB"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var c configured
			err := newConfigured(&c).Parse(tt.args, env(tt.env))
			for _, w := range tt.wantIn {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("err = %v; want one mentioning %q", err, w)
				}
			}
		})
	}
}

// TestConfigFile_secretFiles: a secret's file twin may be in the config
// file; the usual precedence decides between it and the secret given
// higher up.
func TestConfigFile_secretFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tok := writeFile(t, dir, "tok", "file-token\n")
	otherTok := writeFile(t, dir, "other-tok", "other-file-token\n")
	cfg := writeFile(t, dir, "prog.yaml", "token-file: "+tok+"\n")
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		want    string
		wantVia bool
	}{
		{"file_twin_in_config", nil, nil, "file-token", true},
		{"env_value_over_config_twin", nil, map[string]string{"PROG_TOKEN": "env-token"}, "env-token", false},
		{"env_twin_over_config_twin", nil, map[string]string{"PROG_TOKEN_FILE": otherTok}, "other-file-token", true},
		{"flag_value_over_config_twin", []string{"--token", "flag-token"}, nil, "flag-token", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var c configured
			fs := newConfigured(&c)
			if err := fs.Parse(append([]string{"--config", cfg}, tt.args...), env(tt.env)); err != nil {
				t.Fatal(err)
			}
			if c.token != tt.want {
				t.Errorf("token = %q; want %q", c.token, tt.want)
			}
			for _, st := range fs.Settings() {
				if st.Name == "token" && (st.ViaFile != "") != tt.wantVia {
					t.Errorf("Settings: token %+v; want ViaFile set: %v", st, tt.wantVia)
				}
			}
		})
	}
}

func TestSettings_sourcesAndRedaction(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tok := writeFile(t, dir, "tok", "hunter2-secret\n")
	cfg := writeFile(t, dir, "prog.yaml", "timeout: 45s\ncount: 4\ntoken-file: "+tok+"\n")
	var c configured
	fs := newConfigured(&c)
	if err := fs.Parse([]string{"--config", cfg, "--count", "5"}, env(map[string]string{"PROG_LEVEL": "debug"})); err != nil {
		t.Fatal(err)
	}
	got := map[string]envflag.Setting{}
	for _, st := range fs.Settings() {
		got[st.Name] = st
	}
	want := map[string]envflag.Setting{
		"config":     {Name: "config", Value: cfg, Source: envflag.FromFlag, From: "--config"},
		"addr":       {Name: "addr", Value: "127.0.0.1:1", Source: envflag.FromDefault, InFile: true},
		"token":      {Name: "token", Value: envflag.Redacted, Source: envflag.FromFile, From: cfg, ViaFile: "token-file", Secret: true},
		"token-file": {Name: "token-file", Value: tok, Source: envflag.FromFile, From: cfg, InFile: true},
		"timeout":    {Name: "timeout", Value: "45s", Source: envflag.FromFile, From: cfg, InFile: true},
		"count":      {Name: "count", Value: "5", Source: envflag.FromFlag, From: "--count", InFile: true},
		"level":      {Name: "level", Value: "debug", Source: envflag.FromEnv, From: "PROG_LEVEL", InFile: true},
		"on":         {Name: "on", Value: "false", Source: envflag.FromDefault, InFile: true},
		"version":    {Name: "version", Value: "false", Source: envflag.FromDefault},
	}
	if len(got) != len(want) {
		t.Errorf("Settings has %d flags; want %d: %+v", len(got), len(want), got)
	}
	for name, w := range want {
		if got[name] != w {
			t.Errorf("Settings[%s] = %+v\nwant %+v", name, got[name], w)
		}
	}
	for _, src := range []struct {
		s    envflag.Source
		want string
	}{{envflag.FromDefault, "default"}, {envflag.FromFile, "file"}, {envflag.FromEnv, "env"}, {envflag.FromFlag, "flag"}} {
		if src.s.String() != src.want {
			t.Errorf("Source(%d).String() = %q; want %q", src.s, src.s.String(), src.want)
		}
	}

	var b strings.Builder
	if err := fs.PrintConfig(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if strings.Contains(out, "hunter2") {
		t.Errorf("PrintConfig shows a secret:\n%s", out)
	}
	for _, w := range []string{
		"# config: " + cfg, "# flag --config; not in a config file",
		"addr: 127.0.0.1:1", "# default",
		"# token: [REDACTED]", "# in the file --token-file names (file " + cfg + "); secret, not in a config file",
		"token-file: " + tok, "# file " + cfg,
		"timeout: 45s", "count: 5", "# flag --count",
		"level: debug", "# env PROG_LEVEL",
		"# version: false",
	} {
		if !strings.Contains(out, w) {
			t.Errorf("PrintConfig lacks %q:\n%s", w, out)
		}
	}

	// The output is a config file that reproduces the settings.
	again := writeFile(t, dir, "again.yaml", out)
	var c2 configured
	if err := newConfigured(&c2).Parse([]string{"--config", again}, env(nil)); err != nil {
		t.Fatalf("the printed configuration does not parse: %v\n%s", err, out)
	}
	c.config, c2.config = "", ""
	if c2 != c {
		t.Errorf("the printed configuration gives %+v; want %+v", c2, c)
	}
}

func TestPrintConfig_quotesWhatYAMLWouldChange(t *testing.T) {
	t.Parallel()
	for _, addr := range []string{"", "null", "~", "a #b", "[x]", "'q'", "x: y", " lead", "tab\there", "new\nline", "-", "*star", "&amp", "!bang", "%pct", "@at", "`tick", "true", "0x10"} {
		var c configured
		fs := newConfigured(&c)
		if err := fs.Parse([]string{"--addr", addr}, env(nil)); err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		if err := fs.PrintConfig(&b); err != nil {
			t.Fatal(err)
		}
		path := writeFile(t, t.TempDir(), "c.yaml", b.String())
		var c2 configured
		if err := newConfigured(&c2).Parse([]string{"--config", path}, env(nil)); err != nil {
			t.Errorf("addr %q: the printed configuration does not parse: %v\n%s", addr, err, b.String())
			continue
		}
		if c2.addr != addr {
			t.Errorf("addr %q: printed and read back as %q:\n%s", addr, c2.addr, b.String())
		}
	}
}

func TestConfigFile_givenAndUsage(t *testing.T) {
	t.Parallel()
	cfg := writeFile(t, t.TempDir(), "prog.yaml", "count: 4\n")
	var c configured
	fs := newConfigured(&c)
	if err := fs.Parse([]string{"--config", cfg}, env(nil)); err != nil {
		t.Fatal(err)
	}
	if !fs.Given("count") || fs.Given("timeout") {
		t.Errorf("Given(count) = %v, Given(timeout) = %v; want true, false", fs.Given("count"), fs.Given("timeout"))
	}
	var b strings.Builder
	fs.PrintUsage(&b, "")
	for _, w := range []string{"by its name in\nthe --config file", "which wins over the file", "nor read from the --config file: give --token-file there"} {
		if !strings.Contains(b.String(), w) {
			t.Errorf("usage lacks %q:\n%s", w, b.String())
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("a second ConfigFile did not panic")
		}
	}()
	var other string
	fs.ConfigFile(&other, "config2", "PROG_CONFIG2", "again")
}

// TestSecretFiles_groupReadable: a secret file readable by the process's
// own group (a Kubernetes Secret mounted with fsGroup) is not warned
// about; one every user may read is.
func TestSecretFiles_groupReadable(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, tt := range []struct {
		mode     os.FileMode
		wantWarn bool
	}{{0o600, false}, {0o640, false}, {0o440, false}, {0o604, true}, {0o644, true}} {
		p := writeFile(t, dir, "tok", "file-SECRET")
		if err := os.Chmod(p, tt.mode); err != nil {
			t.Fatal(err)
		}
		var s settings
		fs := newSet(&s)
		if err := fs.Parse([]string{"--token-file", p}, env(nil)); err != nil {
			t.Fatal(err)
		}
		if warned := len(fs.Warnings()) > 0; warned != tt.wantWarn {
			t.Errorf("mode %s: warnings %q; want a warning: %v", tt.mode, fs.Warnings(), tt.wantWarn)
		}
		if err := os.Chmod(p, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// FuzzConfigFile: no input makes the parser panic; an error never shows
// the value of a secret key; and an accepted file, printed back with
// PrintConfig, is a config file that gives the same settings.
func FuzzConfigFile(f *testing.F) {
	for _, seed := range []string{
		"", "# c\n", "{}", "addr: x\ntimeout: 45s\ncount: 4\nlevel: debug\non: yes\n",
		"token: hunter2-secret\n", "addr: [a\n", "addr: &a x\ncount: *a\n", "- a\n", "a: b\n---\nc: d\n",
		"addr: \"tab\\there\"\n", "addr: 'a #b'\n", "count: 0x5\n", "on: on\n", "timeout: 1m30s\n",
		"<<: {addr: x}\n", "? addr\n: x\n", "addr: !!str 5\n", "addr: |\n  two\n  lines\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		path := writeFile(t, dir, "c.yaml", string(data))
		var c configured
		fs := newConfigured(&c)
		err := fs.Parse([]string{"--config", path}, env(nil))
		if err != nil {
			if secret, ok := secretValue(data); ok && len(secret) >= 4 && strings.Contains(err.Error(), secret) {
				t.Fatalf("error %q shows the secret %q", err, secret)
			}
			return
		}
		var b strings.Builder
		if err := fs.PrintConfig(&b); err != nil {
			t.Fatal(err)
		}
		again := writeFile(t, dir, "again.yaml", b.String())
		var c2 configured
		if err := newConfigured(&c2).Parse([]string{"--config", again}, env(nil)); err != nil {
			t.Fatalf("printed configuration of %q does not parse: %v\n%s", data, err, b.String())
		}
		c.config, c2.config = "", ""
		if c != c2 {
			t.Fatalf("printed configuration of %q gives %+v; want %+v\n%s", data, c2, c, b.String())
		}
	})
}

// secretValue returns the value of a "token: value" line, if data has one.
func secretValue(data []byte) (string, bool) {
	for line := range strings.SplitSeq(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "token:"); ok {
			return strings.TrimSpace(v), true
		}
	}
	return "", false
}

func TestConfigFile_helpStillWorks(t *testing.T) {
	t.Parallel()
	var c configured
	if err := newConfigured(&c).Parse([]string{"--config", "/nonexistent", "--help"}, env(nil)); !errors.Is(err, envflag.ErrHelp) {
		t.Errorf("--help with a config file: %v; want ErrHelp (the file is not read)", err)
	}
}

// TestSettings_redactsURLUserinfo: a URL's user info may hold a password,
// its query or fragment a token; Settings and PrintConfig show [REDACTED]
// in their place, and leave values that are not URLs as they are.
func TestSettings_redactsURLUserinfo(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"https://user:s3cret-pw@host.example/v3", "https://[REDACTED]@host.example/v3"},
		{"https://s3cret-pw@host.example", "https://[REDACTED]@host.example"},
		{"https://user:s3cret/pw@host.example/", "https://[REDACTED]@host.example/"},
		{"https://user:s3c@ret-pw@host.example/", "https://[REDACTED]@host.example/"},
		{"https:user:s3cret-pw@host.example", "https:[REDACTED]@host.example"},
		{"//user:s3cret-pw@host.example/x", "//[REDACTED]@host.example/x"},
		{"https://host.example/v3", "https://host.example/v3"},
		{"alice@example.com", "alice@example.com"},
		{"0.0.0.0:9090", "0.0.0.0:9090"},
		{"localhost:9090", "localhost:9090"},
		{"https://host.example/v3?token=s3cret&x=1", "https://host.example/v3?[REDACTED]"},
		{"https://host.example/#s3cret", "https://host.example/#[REDACTED]"},
		{"https://user:s3cret@host.example/v3?password=s3cret#s3c", "https://[REDACTED]@host.example/v3?[REDACTED]"},
		{"https:host.example?s3cret", "https:host.example?[REDACTED]"},
	}
	for _, tt := range tests {
		var addr string
		fs := envflag.New("prog")
		fs.String(&addr, "endpoint", "PROG_ENDPOINT", "", "a URL")
		if err := fs.Parse([]string{"--endpoint", tt.in}, env(nil)); err != nil {
			t.Fatal(err)
		}
		st := fs.Settings()[0]
		if st.Value != tt.want || (st.Masked != "") != (tt.in != tt.want) {
			t.Errorf("Settings of %q: value %q, masked %q; want %q", tt.in, st.Value, st.Masked, tt.want)
		}
		var b strings.Builder
		if err := fs.PrintConfig(&b); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(b.String(), "s3c") {
			t.Errorf("PrintConfig of %q shows the password:\n%s", tt.in, b.String())
		}
		if st.Masked != "" && !strings.Contains(b.String(), "# flag --endpoint; "+st.Masked+" redacted") {
			t.Errorf("PrintConfig of %q does not say the %s is redacted:\n%s", tt.in, st.Masked, b.String())
		}
		if addr != tt.in {
			t.Errorf("the flag's value became %q; want %q (only its display is redacted)", addr, tt.in)
		}
	}
}
