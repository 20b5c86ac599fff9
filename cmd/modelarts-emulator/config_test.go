package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/devenv-facade/devenv-facade/internal/emulator"
)

const (
	projectA = "0123456789abcdef0123456789abcdef"
	projectB = "00000000000000000000000000000001"
)

func writeConfig(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "emulator.yaml")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestGather reads --config files and the credential flags. Every secret
// in the inputs holds "SECRET", so that the test can check that no error
// quotes one.
func TestGather(t *testing.T) {
	t.Parallel()
	const full = `
tokens:
  - {token: tok-SECRET-1, project: "*"}
  - {token: tok-SECRET-2, project: ` + projectA + `}
iam_users:
  - {name: alice, password: pw-SECRET-1, domain: example}
access_keys:
  - {ak: AK-SECRET-1, sk: SK-SECRET-1}
  - {ak: AK-SECRET-2, sk: SK-SECRET-2, security_token: ST-SECRET-2}
projects:
  eu-nl: ` + projectB + `
token_lifetime: 2h
`
	type want struct {
		tokens   map[string]string
		users    []emulator.IAMUser
		keys     []emulator.AccessKey
		projects map[string]string
		lifetime time.Duration
	}
	tests := []struct {
		name    string
		config  string // file content; "" for no --config
		flags   flagCredentials
		want    want
		wantErr string
	}{
		{name: "nothing", want: want{tokens: map[string]string{}, projects: map[string]string{}}},
		{name: "empty_file", config: "\n", want: want{tokens: map[string]string{}, projects: map[string]string{}}},
		{name: "full_file", config: full, want: want{
			tokens:   map[string]string{"tok-SECRET-1": "*", "tok-SECRET-2": projectA},
			users:    []emulator.IAMUser{{Name: "alice", Password: "pw-SECRET-1", Domain: "example"}},
			keys:     []emulator.AccessKey{{ID: "AK-SECRET-1", Secret: "SK-SECRET-1"}, {ID: "AK-SECRET-2", Secret: "SK-SECRET-2", SecurityToken: "ST-SECRET-2"}},
			projects: map[string]string{"eu-nl": projectB},
			lifetime: 2 * time.Hour,
		}},
		{name: "flags_add_to_the_file", config: full, flags: flagCredentials{
			tokens: "tok-SECRET-3=*", users: "bob:pw:SECRET@x@acme", keys: "AK-SECRET-3:SK-SECRET-3:ST:SECRET:3",
			projects: "eu-nl=" + projectB + ",eu-ch2=" + projectA, lifetime: time.Hour,
		}, want: want{
			tokens: map[string]string{"tok-SECRET-1": "*", "tok-SECRET-2": projectA, "tok-SECRET-3": "*"},
			users: []emulator.IAMUser{{Name: "alice", Password: "pw-SECRET-1", Domain: "example"},
				{Name: "bob", Password: "pw:SECRET@x", Domain: "acme"}},
			keys: []emulator.AccessKey{{ID: "AK-SECRET-1", Secret: "SK-SECRET-1"}, {ID: "AK-SECRET-2", Secret: "SK-SECRET-2", SecurityToken: "ST-SECRET-2"},
				{ID: "AK-SECRET-3", Secret: "SK-SECRET-3", SecurityToken: "ST:SECRET:3"}},
			projects: map[string]string{"eu-nl": projectB, "eu-ch2": projectA},
			lifetime: time.Hour,
		}},
		{name: "flags_only", flags: flagCredentials{tokens: " a-SECRET=* , b-SECRET=" + projectA, users: "u:p-SECRET@d", keys: "AK-SECRET:SK-SECRET"},
			want: want{
				tokens:   map[string]string{"a-SECRET": "*", "b-SECRET": projectA},
				users:    []emulator.IAMUser{{Name: "u", Password: "p-SECRET", Domain: "d"}},
				keys:     []emulator.AccessKey{{ID: "AK-SECRET", Secret: "SK-SECRET"}},
				projects: map[string]string{},
			}},

		{name: "unknown_top_level_key", config: "iam_user:\n  - {name: a, password: pw-SECRET, domain: d}\n", wantErr: `unknown key "iam_user" at line 1`},
		{name: "unknown_nested_key", config: "iam_users:\n  - name: a\n    passwd: pw-SECRET\n    domain: d\n", wantErr: `unknown key "passwd" at line 3`},
		{name: "bad_duration", config: "token_lifetime: SECRET\n", wantErr: "invalid YAML at line 1"},
		{name: "broken_yaml", config: "tokens: [{token: SECRET\n", wantErr: "invalid YAML"},
		{name: "negative_lifetime", config: "token_lifetime: -1h\n", wantErr: "token_lifetime: must not be negative"},
		{name: "negative_lifetime_flag", flags: flagCredentials{lifetime: -time.Hour}, wantErr: "--token-lifetime: must not be negative"},
		{name: "user_without_password", config: "iam_users: [{name: a, domain: d}]\n", wantErr: "--config iam_users[0]: an IAM user needs a name, a password and a domain"},
		{name: "key_without_sk", config: "access_keys: [{ak: AK-SECRET}]\n", wantErr: "--config access_keys[0]: an access key needs an AK and an SK"},
		{name: "token_for_a_project_name", config: "tokens: [{token: t-SECRET, project: eu-de}]\n", wantErr: `--config tokens[0]: project must be "*" or a project ID`},
		{name: "bad_project_id", config: "projects: {eu-nl: 42}\n", wantErr: `--config projects: project "eu-nl": the ID must be 32 lowercase hex characters`},
		{name: "user_twice", config: "iam_users: [{name: alice, password: pw-SECRET-1, domain: example}]\n", flags: flagCredentials{users: "alice:pw-SECRET-2@example"},
			wantErr: `--iam-users entry 1: user "alice" in domain "example" is already given by --config iam_users[0]`},
		{name: "key_twice", config: "access_keys: [{ak: AK-SECRET, sk: SK-SECRET-1}]\n", flags: flagCredentials{keys: "AK-SECRET:SK-SECRET-2"},
			wantErr: "--access-keys entry 1: the same AK is already given by --config access_keys[0]"},
		{name: "token_twice", flags: flagCredentials{tokens: "t-SECRET=*,t-SECRET=" + projectA}, wantErr: "--tokens entry 2: the same token is already given by --tokens entry 1"},
		{name: "project_with_two_ids", config: "projects: {eu-nl: " + projectB + "}\n", flags: flagCredentials{projects: "eu-nl=" + projectA},
			wantErr: `--projects entry 1: project "eu-nl" is given twice with different IDs`},
		{name: "user_flag_without_domain", flags: flagCredentials{users: "alice:pw-SECRET"}, wantErr: "--iam-users entry 1: want name:password@domain"},
		{name: "user_flag_without_password", flags: flagCredentials{users: "alice:@example"}, wantErr: "--iam-users entry 1: an IAM user needs a name, a password and a domain"},
		{name: "user_flag_empty_entry", flags: flagCredentials{users: "a:p-SECRET@d,,b:q-SECRET@d"}, wantErr: "--iam-users entry 2: want name:password@domain"},
		{name: "key_flag_without_sk", flags: flagCredentials{keys: "AK-SECRET"}, wantErr: "--access-keys entry 1: want AK:SK or AK:SK:security_token"},
		{name: "key_flag_empty_sk", flags: flagCredentials{keys: "AK-SECRET:"}, wantErr: "--access-keys entry 1: an access key needs an AK and an SK"},
		{name: "key_flag_empty_security_token", flags: flagCredentials{keys: "AK-SECRET:SK-SECRET:"}, wantErr: "--access-keys entry 1: the security token"},
		{name: "tokens_flag_without_project", flags: flagCredentials{tokens: "a-SECRET"}, wantErr: "--tokens entry 1: want comma-separated token=project_id pairs"},
		{name: "tokens_flag_empty_token", flags: flagCredentials{tokens: "=*"}, wantErr: "--tokens entry 1: want"},
		{name: "tokens_flag_empty_project", flags: flagCredentials{tokens: "a-SECRET="}, wantErr: "--tokens entry 1: want"},
		{name: "tokens_flag_empty_entry", flags: flagCredentials{tokens: "a-SECRET=*,,b-SECRET=*"}, wantErr: "--tokens entry 2: want"},
		{name: "projects_flag_without_id", flags: flagCredentials{projects: "eu-nl"}, wantErr: "--projects entry 1: want name=project_id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := ""
			if tt.config != "" {
				path = writeConfig(t, tt.config)
			}
			got, err := gather(path, tt.flags)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("gather: %v; want an error containing %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "SECRET") {
					t.Errorf("the error %q quotes a secret", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			g := want{tokens: got.tokens, users: got.users, keys: got.keys, projects: got.projects, lifetime: got.lifetime}
			if diff := cmp.Diff(tt.want, g, cmp.AllowUnexported(want{})); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestGather_missingFile(t *testing.T) {
	t.Parallel()
	missing := filepath.Join(t.TempDir(), "nope.yaml")
	if _, err := gather(missing, flagCredentials{}); err == nil || !strings.Contains(err.Error(), "--config") || !strings.Contains(err.Error(), "nope.yaml") {
		t.Errorf("gather(missing file): %v; want an error naming --config and the file", err)
	}
}
