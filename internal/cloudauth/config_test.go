package cloudauth_test

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/devenv-facade/devenv-facade/internal/cloudauth"
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

// rulesCloudsYAML exercises Cloud.Config's rules. Every secret value holds
// "SECRET", so that a test can check that no error quotes one.
const rulesCloudsYAML = `
clouds:
  keys-under-auth:
    profile: otc
    auth: {ak: AK-SECRET-1, sk: SK-SECRET-1}
  keys-split:
    ak: AK-SECRET-1
    auth: {sk: SK-SECRET-1}
  otcx-under-auth:
    auth: {access_key: AK-SECRET-1, secret_key: SK-SECRET-1, security_token: ST-SECRET-1}
  same-value-twice:
    ak: AK-SECRET-1
    access_key: AK-SECRET-1
    auth: {ak: AK-SECRET-1, sk: SK-SECRET-1, secret_key: SK-SECRET-1}
  sk-in-secure-yaml:
    auth: {ak: AK-SECRET-1}
  keys-with-username:
    auth: {username: alice, user_domain_name: acme, project_name: eu-de, ak: AK-SECRET-1, sk: SK-SECRET-1}
  token-with-username:
    auth: {username: alice, token: TOKEN-SECRET-1}
  ak-twice:
    ak: AK-SECRET-1
    sk: SK-SECRET-1
    auth: {ak: AK-SECRET-2}
  ak-and-access-key:
    ak: AK-SECRET-1
    access_key: AK-SECRET-2
    sk: SK-SECRET-1
  sk-across-files:
    ak: AK-SECRET-1
    sk: SK-SECRET-1
  st-twice:
    ak: AK-SECRET-1
    sk: SK-SECRET-1
    security_token: ST-SECRET-1
    auth: {security_token: ST-SECRET-2}
  keys-and-password:
    auth: {ak: AK-SECRET-1, sk: SK-SECRET-1, username: alice, password: PW-SECRET-1, user_domain_name: acme, project_name: eu-de}
  keys-and-token:
    ak: AK-SECRET-1
    sk: SK-SECRET-1
    auth: {token: TOKEN-SECRET-1}
  password-and-token:
    auth: {auth_url: "https://iam.example/v3", username: alice, password: PW-SECRET-1, user_domain_name: acme, project_name: eu-de, token: TOKEN-SECRET-1}
  password-in-secure-and-keys:
    auth: {ak: AK-SECRET-1, sk: SK-SECRET-1, username: alice}
  ak-without-sk:
    auth: {ak: AK-SECRET-1}
  sk-without-ak:
    secret_key: SK-SECRET-1
  security-token-alone:
    auth: {security_token: ST-SECRET-1}
  security-token-with-ak-only:
    access_key: AK-SECRET-1
    security_token: ST-SECRET-1
  otc-without-region:
    profile: otc
    auth: {username: alice, password: PW-SECRET-1, user_domain_name: acme, project_name: eu-de}
  region-without-otc-profile:
    region_name: eu-de
    auth: {username: alice, password: PW-SECRET-1, user_domain_name: acme, project_name: eu-de}
  auth-url-wins:
    profile: otc
    region_name: eu-de
    auth: {auth_url: "https://iam.example/v3", username: alice, password: PW-SECRET-1, domain_name: acme, project_name: eu-de}
  password-without-username:
    profile: otc
    region_name: eu-de
    auth: {password: PW-SECRET-1, user_domain_name: acme, project_name: eu-de}
  password-without-domain:
    profile: otc
    region_name: eu-de
    auth: {username: alice, password: PW-SECRET-1, project_name: eu-de}
  password-without-project:
    profile: otc
    region_name: eu-de
    auth: {username: alice, password: PW-SECRET-1, user_domain_name: acme}
  username-without-password:
    profile: otc
    region_name: eu-de
    auth: {username: alice, user_domain_name: acme, project_name: eu-de}
  nothing:
    profile: otc
    region_name: eu-de
`

const rulesSecureYAML = `
clouds:
  sk-in-secure-yaml:
    auth: {sk: SK-SECRET-1}
  sk-across-files:
    auth: {sk: SK-SECRET-2}
  password-in-secure-and-keys:
    auth: {password: PW-SECRET-1}
`

func TestCloudConfig_rules(t *testing.T) {
	t.Parallel()
	dir := writeFiles(t, map[string]string{"clouds.yaml": rulesCloudsYAML, "secure.yaml": rulesSecureYAML})
	files := cloudauth.CloudsFiles{Clouds: []string{filepath.Join(dir, "clouds.yaml")}, Secure: []string{filepath.Join(dir, "secure.yaml")}}
	keys := cloudauth.Config{Kind: cloudauth.KindAKSK, AccessKey: "AK-SECRET-1", SecretKey: "SK-SECRET-1"}
	tests := []struct {
		cloud   string
		want    cloudauth.Config // when wantErr is empty
		wantErr []string         // what the error must contain
	}{
		{cloud: "keys-under-auth", want: keys},
		{cloud: "keys-split", want: keys},
		{cloud: "otcx-under-auth", want: cloudauth.Config{Kind: cloudauth.KindAKSK, AccessKey: "AK-SECRET-1", SecretKey: "SK-SECRET-1", SecurityToken: "ST-SECRET-1"}},
		{cloud: "same-value-twice", want: keys},
		{cloud: "sk-in-secure-yaml", want: keys},
		{cloud: "keys-with-username", want: keys},
		{cloud: "token-with-username", want: cloudauth.Config{Kind: cloudauth.KindToken, Token: "TOKEN-SECRET-1"}},
		{cloud: "auth-url-wins", want: cloudauth.Config{Kind: cloudauth.KindPassword, IAM: cloudauth.IAMConfig{
			Endpoint: "https://iam.example/v3", Username: "alice", Password: "PW-SECRET-1", DomainName: "acme", ProjectName: "eu-de"}}},

		{cloud: "ak-twice", wantErr: []string{"ak and auth.ak have different values"}},
		{cloud: "ak-and-access-key", wantErr: []string{"ak and access_key have different values"}},
		{cloud: "sk-across-files", wantErr: []string{"sk and auth.sk have different values"}},
		{cloud: "st-twice", wantErr: []string{"security_token and auth.security_token have different values"}},
		{cloud: "keys-and-password", wantErr: []string{"auth.ak, auth.sk and auth.password are set together", "give one kind of credentials"}},
		{cloud: "keys-and-token", wantErr: []string{"ak, sk and auth.token are set together"}},
		{cloud: "password-and-token", wantErr: []string{"auth.password and auth.token are set together"}},
		{cloud: "password-in-secure-and-keys", wantErr: []string{"auth.ak, auth.sk and auth.password are set together"}},
		{cloud: "ak-without-sk", wantErr: []string{"auth.ak is set without sk (or secret_key)"}},
		{cloud: "sk-without-ak", wantErr: []string{"secret_key is set without ak (or access_key)"}},
		{cloud: "security-token-alone", wantErr: []string{"auth.security_token needs an access key pair"}},
		{cloud: "security-token-with-ak-only", wantErr: []string{"access_key is set without sk"}},
		{cloud: "otc-without-region", wantErr: []string{`clouds.yaml cloud "otc-without-region": needs auth.auth_url, or region_name with profile: otc`}},
		{cloud: "region-without-otc-profile", wantErr: []string{"needs auth.auth_url, or region_name with profile: otc"}},
		{cloud: "password-without-username", wantErr: []string{"auth.password is set without auth.username"}},
		{cloud: "password-without-domain", wantErr: []string{"needs auth.user_domain_name"}},
		{cloud: "password-without-project", wantErr: []string{"needs auth.project_name (such as eu-de) or auth.project_id"}},
		{cloud: "username-without-password", wantErr: []string{"auth.username is set without auth.password"}},
		{cloud: "nothing", wantErr: []string{`clouds.yaml cloud "nothing": has no credentials`}},
	}
	for _, tt := range tests {
		t.Run(tt.cloud, func(t *testing.T) {
			t.Parallel()
			c, err := cloudauth.LoadCloud(files, tt.cloud)
			if err != nil {
				t.Fatal(err)
			}
			got, err := c.Config()
			if len(tt.wantErr) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				// Config redacts itself when printed, so compare fields.
				if got.Kind != tt.want.Kind || got.IAM != tt.want.IAM || got.AccessKey != tt.want.AccessKey ||
					got.SecretKey != tt.want.SecretKey || got.SecurityToken != tt.want.SecurityToken || got.Token != tt.want.Token {
					t.Errorf("Config() differs from the expected %s configuration", tt.want.Kind)
				}
				return
			}
			if err == nil {
				t.Fatalf("Config() = %v; want an error", got)
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q; want it to contain %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "SECRET") {
				t.Errorf("error %q quotes a secret", err)
			}
			// Through New, the clouds.yaml path keeps naming YAML keys.
			_, err = cloudauth.New(cloudauth.Config{Cloud: tt.cloud, CloudsFiles: &files}, http.DefaultClient)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr[0]) || strings.Contains(err.Error(), "SECRET") || strings.Contains(err.Error(), "--") {
				t.Errorf("New: %v; want the same error, naming no flag and quoting no secret", err)
			}
		})
	}
}

// TestNew_flagErrorsNameFlags: the flag path's validation messages still
// name flags, while the clouds.yaml path names YAML keys (above).
func TestNew_flagErrorsNameFlags(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  cloudauth.Config
		want string
	}{
		{"password_without_endpoint", cloudauth.Config{IAM: cloudauth.IAMConfig{Username: "u", Password: "PW-SECRET", DomainName: "d", ProjectName: "eu-de"}},
			"(--iam-endpoint, OS_AUTH_URL)"},
		{"password_without_domain", cloudauth.Config{IAM: cloudauth.IAMConfig{Endpoint: "https://i/v3", Username: "u", Password: "PW-SECRET", ProjectName: "eu-de"}},
			"(--domain-name, OS_DOMAIN_NAME)"},
		{"cloud_without_name", cloudauth.Config{Kind: cloudauth.KindCloud}, "(--cloud, OS_CLOUD)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := cloudauth.New(tt.cfg, http.DefaultClient)
			if err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "SECRET") {
				t.Errorf("New: %v; want an error naming %s", err, tt.want)
			}
		})
	}
}

// TestLoadCloud_warnsAboutReadableSecrets: clouds.yaml with a secret, and
// secure.yaml, that others may read are warned about; a clouds.yaml
// without secrets is not.
func TestLoadCloud_warnsAboutReadableSecrets(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, content string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	clouds := write("clouds.yaml", "clouds: {c: {auth: {auth_url: 'https://iam.example/v3', username: u, user_domain_name: d, project_name: eu-de}}}\n", 0o644)
	secure := write("secure.yaml", "clouds: {c: {auth: {password: pw}}}\n", 0o644)
	cloud, err := cloudauth.LoadCloud(cloudauth.CloudsFiles{Clouds: []string{clouds}, Secure: []string{secure}}, "c")
	if err != nil {
		t.Fatal(err)
	}
	if len(cloud.Warnings) != 1 || !strings.Contains(cloud.Warnings[0], "secure.yaml") || strings.Contains(cloud.Warnings[0], "pw") {
		t.Errorf("warnings %q; want one about secure.yaml only, without the secret", cloud.Warnings)
	}
	if err := os.Chmod(secure, 0o600); err != nil {
		t.Fatal(err)
	}
	withKeys := write("keys.yaml", "clouds: {c: {auth: {ak: A, sk: S}}}\n", 0o640)
	cloud, err = cloudauth.LoadCloud(cloudauth.CloudsFiles{Clouds: []string{withKeys}, Secure: []string{secure}}, "c")
	if err != nil {
		t.Fatal(err)
	}
	if len(cloud.Warnings) != 1 || !strings.Contains(cloud.Warnings[0], "keys.yaml") {
		t.Errorf("warnings %q; want one about the clouds.yaml holding keys", cloud.Warnings)
	}
}

// TestIAMEndpoint: the IAM endpoint is found as the credentials find it,
// --iam-endpoint first, then the cloud's auth_url or OTC region, whatever
// credentials the cloud holds.
func TestIAMEndpoint(t *testing.T) {
	t.Parallel()
	dir := writeFiles(t, map[string]string{"clouds.yaml": cloudsYAML})
	files := &cloudauth.CloudsFiles{Clouds: []string{filepath.Join(dir, "clouds.yaml")}}
	tests := []struct {
		name    string
		cfg     cloudauth.Config
		want    string
		wantErr bool
	}{
		{"flag", cloudauth.Config{IAM: cloudauth.IAMConfig{Endpoint: "https://iam.example/v3"}, Cloud: "with-url", CloudsFiles: files}, "https://iam.example/v3", false},
		{"cloud_auth_url", cloudauth.Config{Cloud: "with-url", CloudsFiles: files}, "https://iam.eu-nl.otc.t-systems.com/v3", false},
		{"cloud_otc_region_without_password", cloudauth.Config{Cloud: "otc-password", CloudsFiles: files}, "https://iam.eu-de.otc.t-systems.com/v3", false},
		{"cloud_with_keys_only", cloudauth.Config{Cloud: "otcx-keys", CloudsFiles: files}, "", false},
		{"nothing", cloudauth.Config{}, "", false},
		{"unknown_cloud", cloudauth.Config{Cloud: "nope", CloudsFiles: files}, "", true},
	}
	for _, tt := range tests {
		got, err := cloudauth.IAMEndpoint(tt.cfg)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("%s: %q, %v; want %q, error %v", tt.name, got, err, tt.want, tt.wantErr)
		}
	}
}
