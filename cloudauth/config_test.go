package cloudauth_test

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/devenv-facade/devenv-facade/cloudauth"
)

func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const cloudsYAML = `
clouds:
  otc-password:
    profile: otc
    region_name: eu-de
    auth:
      username: alice
      user_domain_name: OTC00000000001000000001
      project_name: eu-de
  otc-aksk:
    profile: otc
    ak: CLOUDAK
    sk: cloud-secret
  otcx-keys:
    access_key: OTCXAK
    secret_key: otcx-secret
    security_token: otcx-st
  with-url:
    auth:
      auth_url: https://iam.eu-nl.otc.t-systems.com/v3
      username: bob
      password: bob-pw
      domain_name: acme
      project_id: 0123456789abcdef0123456789abcdef
      project_name: ignored-when-id-is-set
  token-only:
    auth:
      token: cloud-token
  empty: {}
`

const secureYAML = `
clouds:
  otc-password:
    auth:
      password: from-secure-yaml
`

func TestLoadCloud(t *testing.T) {
	t.Parallel()
	dir := writeFiles(t, map[string]string{"a/clouds.yaml": cloudsYAML, "b/secure.yaml": secureYAML})
	files := cloudauth.CloudsFiles{
		Clouds: []string{filepath.Join(dir, "missing/clouds.yaml"), filepath.Join(dir, "a/clouds.yaml")},
		Secure: []string{filepath.Join(dir, "b/secure.yaml")},
	}
	tests := []struct {
		cloud string
		want  cloudauth.Config
	}{
		{"otc-password", cloudauth.Config{Kind: cloudauth.KindPassword, IAM: cloudauth.IAMConfig{
			Endpoint: "https://iam.eu-de.otc.t-systems.com/v3", Username: "alice", Password: "from-secure-yaml",
			DomainName: "OTC00000000001000000001", ProjectName: "eu-de"}}},
		{"otc-aksk", cloudauth.Config{Kind: cloudauth.KindAKSK, AccessKey: "CLOUDAK", SecretKey: "cloud-secret"}},
		{"otcx-keys", cloudauth.Config{Kind: cloudauth.KindAKSK, AccessKey: "OTCXAK", SecretKey: "otcx-secret", SecurityToken: "otcx-st"}},
		{"with-url", cloudauth.Config{Kind: cloudauth.KindPassword, IAM: cloudauth.IAMConfig{
			Endpoint: "https://iam.eu-nl.otc.t-systems.com/v3", Username: "bob", Password: "bob-pw", DomainName: "acme",
			ProjectID: "0123456789abcdef0123456789abcdef"}}},
		{"token-only", cloudauth.Config{Kind: cloudauth.KindToken, Token: "cloud-token"}},
	}
	for _, tt := range tests {
		t.Run(tt.cloud, func(t *testing.T) {
			c, err := cloudauth.LoadCloud(files, tt.cloud)
			if err != nil {
				t.Fatal(err)
			}
			got, err := c.Config()
			if err != nil {
				t.Fatal(err)
			}
			// Config redacts itself when printed, so compare fields.
			if got.Kind != tt.want.Kind || got.IAM != tt.want.IAM || got.AccessKey != tt.want.AccessKey ||
				got.SecretKey != tt.want.SecretKey || got.SecurityToken != tt.want.SecurityToken || got.Token != tt.want.Token {
				t.Errorf("Config() differs from the expected %s configuration", tt.want.Kind)
			}
		})
	}
	if c, err := cloudauth.LoadCloud(files, "empty"); err == nil {
		if _, err := c.Config(); err == nil {
			t.Error("a cloud without credentials gave a Config")
		}
	}
	if _, err := cloudauth.LoadCloud(files, "nope"); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Errorf("unknown cloud: %v", err)
	}
	if _, err := cloudauth.LoadCloud(cloudauth.CloudsFiles{Clouds: []string{filepath.Join(dir, "x.yaml")}}, "a"); err == nil {
		t.Error("no clouds.yaml: no error")
	}
	bad := writeFiles(t, map[string]string{"clouds.yaml": "clouds:\n  x: {auth: {password: [hunter2-secret\n"})
	_, err := cloudauth.LoadCloud(cloudauth.CloudsFiles{Clouds: []string{filepath.Join(bad, "clouds.yaml")}}, "x")
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("broken clouds.yaml: %v; want an error that does not quote it", err)
	}
}

func TestNew_selectsTheSource(t *testing.T) {
	t.Parallel()
	dir := writeFiles(t, map[string]string{"clouds.yaml": cloudsYAML})
	files := &cloudauth.CloudsFiles{Clouds: []string{filepath.Join(dir, "clouds.yaml")}}
	iam := cloudauth.IAMConfig{Endpoint: "https://iam.example/v3", Username: "u", Password: "p", DomainName: "d", ProjectName: "eu-de"}
	tests := []struct {
		name    string
		cfg     cloudauth.Config
		want    string // start of the description; "" for nil credentials
		wantErr bool
	}{
		{"nothing", cloudauth.Config{}, "", false},
		{"explicit_none", cloudauth.Config{Kind: cloudauth.KindNone, Token: "t"}, "", false},
		{"token", cloudauth.Config{Token: "t"}, "static IAM token", false},
		{"password", cloudauth.Config{IAM: iam}, "IAM password", false},
		{"aksk_over_password_and_token", cloudauth.Config{AccessKey: "ak", SecretKey: "sk", IAM: iam, Token: "t"}, "AK/SK signing (credential form)", false},
		{"access_form", cloudauth.Config{AccessKey: "ak", SecretKey: "sk", SigningForm: cloudauth.FormAccess}, "AK/SK signing (access form)", false},
		{"cloud_first", cloudauth.Config{Cloud: "otc-aksk", CloudsFiles: files, Token: "t"}, "AK/SK signing", false},
		{"explicit_token_despite_keys", cloudauth.Config{Kind: cloudauth.KindToken, Token: "t", AccessKey: "ak", SecretKey: "sk"}, "static IAM token", false},
		{"aksk_without_secret", cloudauth.Config{AccessKey: "ak"}, "", true},
		{"password_without_domain", cloudauth.Config{IAM: cloudauth.IAMConfig{Endpoint: "https://i/v3", Username: "u", Password: "p", ProjectName: "x"}}, "", true},
		{"token_kind_without_token", cloudauth.Config{Kind: cloudauth.KindToken}, "", true},
		{"unknown_kind", cloudauth.Config{Kind: "kerberos"}, "", true},
		{"unknown_cloud", cloudauth.Config{Cloud: "nope", CloudsFiles: files}, "", true},
		{"bad_form", cloudauth.Config{AccessKey: "ak", SecretKey: "sk", SigningForm: "v11"}, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			creds, err := cloudauth.New(tt.cfg, http.DefaultClient)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v; want error %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if tt.want == "" {
				if creds != nil {
					t.Errorf("got %v; want no credentials", creds)
				}
				return
			}
			if got := sprintf("%v", creds); !strings.HasPrefix(got, tt.want) {
				t.Errorf("credentials %q; want %q", got, tt.want)
			}
		})
	}
}
