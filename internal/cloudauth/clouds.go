package cloudauth

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/devenv-facade/devenv-facade/internal/scrub"
	"github.com/devenv-facade/devenv-facade/internal/smallfile"
	"github.com/devenv-facade/devenv-facade/internal/yamlerr"
)

// CloudsFiles lists where clouds.yaml and secure.yaml are looked for. The
// first file of each list that exists is read.
type CloudsFiles struct {
	Clouds []string
	Secure []string
}

// DefaultCloudsFiles returns the standard OpenStack locations: the file
// named by OS_CLIENT_CONFIG_FILE if set, else ./clouds.yaml,
// ~/.config/openstack/clouds.yaml and /etc/openstack/clouds.yaml; and
// secure.yaml in the same directories.
func DefaultCloudsFiles() CloudsFiles {
	dirs := []string{"."}
	if home, err := os.UserHomeDir(); err == nil {
		dirs = append(dirs, filepath.Join(home, ".config", "openstack"))
	}
	dirs = append(dirs, "/etc/openstack")
	var f CloudsFiles
	for _, d := range dirs {
		f.Clouds = append(f.Clouds, filepath.Join(d, "clouds.yaml"))
		f.Secure = append(f.Secure, filepath.Join(d, "secure.yaml"))
	}
	if p := os.Getenv("OS_CLIENT_CONFIG_FILE"); p != "" {
		f.Clouds = []string{p}
	}
	return f
}

// Cloud is one entry of clouds.yaml (merged with secure.yaml), with the
// fields Open Telekom Cloud users have in it. Keys it does not know are
// ignored.
type Cloud struct {
	// Name is the entry's key under "clouds"; [LoadCloud] sets it. It only
	// labels errors.
	Name string `yaml:"-"`
	// Warnings, set by [LoadCloud], name files holding its secrets that
	// others than their owner may read.
	Warnings   []string  `yaml:"-"`
	Profile    string    `yaml:"profile"`
	RegionName string    `yaml:"region_name"`
	Auth       CloudAuth `yaml:"auth"`
	// AK and SK are the OTC profile's names for the access key pair;
	// AccessKey, SecretKey and SecurityToken are python-otcextensions'.
	// All five may also sit under auth (CloudAuth), where
	// gophertelekomcloud reads them.
	AK            string `yaml:"ak"`
	SK            string `yaml:"sk"`
	AccessKey     string `yaml:"access_key"`
	SecretKey     string `yaml:"secret_key"`
	SecurityToken string `yaml:"security_token"`
}

// CloudAuth is the auth section of a cloud.
type CloudAuth struct {
	AuthURL           string `yaml:"auth_url"`
	Username          string `yaml:"username"`
	Password          string `yaml:"password"`
	ProjectName       string `yaml:"project_name"`
	ProjectID         string `yaml:"project_id"`
	UserDomainName    string `yaml:"user_domain_name"`
	DomainName        string `yaml:"domain_name"`
	ProjectDomainName string `yaml:"project_domain_name"`
	Token             string `yaml:"token"`
	// AK, SK, AccessKey, SecretKey and SecurityToken are the access key
	// pair, as at the cloud's top level (see [Cloud]).
	AK            string `yaml:"ak"`
	SK            string `yaml:"sk"`
	AccessKey     string `yaml:"access_key"`
	SecretKey     string `yaml:"secret_key"`
	SecurityToken string `yaml:"security_token"`
}

// String describes the cloud without secrets.
func (c Cloud) String() string {
	return fmt.Sprintf("cloud (profile %q, region %q)", c.Profile, c.RegionName)
}

// Format prints String whatever the verb.
func (c Cloud) Format(f fmt.State, _ rune) { redact(f, c.String()) }

// LogValue logs String.
func (c Cloud) LogValue() slog.Value { return slog.StringValue(c.String()) }

// String describes the auth section without secrets.
func (a CloudAuth) String() string {
	return fmt.Sprintf("auth (user %q, auth_url %s)", a.Username, scrub.URL(a.AuthURL))
}

// Format prints String whatever the verb.
func (a CloudAuth) Format(f fmt.State, _ rune) { redact(f, a.String()) }

// LogValue logs String.
func (a CloudAuth) LogValue() slog.Value { return slog.StringValue(a.String()) }

// LoadCloud reads the named cloud from the first existing clouds.yaml of
// files, merged with the same entry of the first existing secure.yaml.
func LoadCloud(files CloudsFiles, name string) (Cloud, error) {
	cloudsPath, clouds, err := readFirst(files.Clouds)
	if err != nil {
		return Cloud{}, err
	}
	if clouds == nil {
		return Cloud{}, fmt.Errorf("cloudauth: no clouds.yaml found (looked in %s)", strings.Join(files.Clouds, ", "))
	}
	entry, ok := clouds[name]
	if !ok {
		return Cloud{}, fmt.Errorf("cloudauth: %s has no cloud %q", cloudsPath, name)
	}
	var warnings []string
	if holdsSecret(entry) {
		warnings = appendModeWarning(warnings, cloudsPath)
	}
	securePath, secure, err := readFirst(files.Secure)
	if err != nil {
		return Cloud{}, err
	}
	if s, ok := secure[name]; ok {
		entry = merge(entry, s)
		warnings = appendModeWarning(warnings, securePath)
	}
	raw, err := yaml.Marshal(entry)
	if err != nil {
		return Cloud{}, fmt.Errorf("cloudauth: cloud %q: %w", name, err)
	}
	var c Cloud
	if err := yaml.Unmarshal(raw, &c); err != nil {
		return Cloud{}, fmt.Errorf("cloudauth: cloud %q in %s: %s", name, cloudsPath, yamlerr.Describe(err))
	}
	c.Name, c.Warnings = name, warnings
	return c, nil
}

// secretKeys are the keys of a cloud (at its top level or under auth) that
// hold a secret.
var secretKeys = []string{"password", "token", "ak", "sk", "access_key", "secret_key", "security_token"}

// holdsSecret reports whether a cloud's entry holds a secret.
func holdsSecret(entry any) bool {
	m, _ := entry.(map[string]any)
	auth, _ := m["auth"].(map[string]any)
	for _, k := range secretKeys {
		if m[k] != nil || auth[k] != nil {
			return true
		}
	}
	return false
}

// appendModeWarning adds a warning if others than its owner may read path.
func appendModeWarning(warnings []string, path string) []string {
	if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o044 != 0 {
		warnings = append(warnings, fmt.Sprintf("%s (mode %s) holds credentials and is readable by others than its owner; chmod go-r it",
			path, fi.Mode().Perm()))
	}
	return warnings
}

// maxCloudsFile bounds clouds.yaml and secure.yaml, which describe a few
// clouds in a few KiB.
const maxCloudsFile = 1 << 20

// readFirst parses the "clouds" map of the first file in paths that
// exists. It must be a regular file of at most maxCloudsFile bytes.
func readFirst(paths []string) (string, map[string]any, error) {
	for _, p := range paths {
		raw, err := smallfile.Read(p, maxCloudsFile)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return p, nil, fmt.Errorf("cloudauth: %w", err)
		}
		var doc struct {
			Clouds map[string]any `yaml:"clouds"`
		}
		if err := yaml.Unmarshal(raw, &doc); err != nil {
			return p, nil, fmt.Errorf("cloudauth: %s: %s", p, yamlerr.Describe(err))
		}
		if doc.Clouds == nil {
			doc.Clouds = map[string]any{}
		}
		return p, doc.Clouds, nil
	}
	return "", nil, nil
}

// merge overlays b on a, recursively for maps.
func merge(a, b any) any {
	am, aok := a.(map[string]any)
	bm, bok := b.(map[string]any)
	if !aok || !bok {
		return b
	}
	out := make(map[string]any, len(am)+len(bm))
	for k, v := range am {
		out[k] = v
	}
	for k, v := range bm {
		out[k] = merge(out[k], v)
	}
	return out
}

// Config turns the cloud into a credential [Config], after checking that
// the cloud names one kind of credentials, completely and unambiguously.
// Errors name the YAML keys involved (as "auth.password"), never a value.
//
// The access key pair is ak and sk, or access_key and secret_key (the same
// pair under other names), with the optional security_token of a temporary
// key. Each of these five keys may sit at the cloud's top level or under
// auth; the rules:
//
//   - A key given both at the top level and under auth (or as ak and
//     access_key, or as sk and secret_key) must have the same value there;
//     different values are an error naming both keys.
//   - A cloud holds exactly one kind of credentials: an access key pair
//     (any of the five keys), auth.password, or auth.token. Two kinds
//     together are an error naming the keys set, rather than one being
//     silently preferred.
//   - An access key pair needs both the access key and the secret key;
//     security_token alone, or with only one of them, is an error.
//   - auth.password needs auth.username; the IAM endpoint, auth.auth_url
//     or, with profile: otc, region_name (giving
//     https://iam.{region_name}.otc.t-systems.com/v3); the domain,
//     auth.user_domain_name, else auth.domain_name, else
//     auth.project_domain_name; and the project, auth.project_id or
//     auth.project_name (the ID wins when both are given, since it is
//     unambiguous). auth.auth_url wins over region_name.
//   - auth.username without auth.password (and without other credentials)
//     is an error saying the password is missing (it may belong in
//     secure.yaml).
//   - Other settings (auth.username, the domain and project names,
//     auth.auth_url) may accompany any kind: only secrets decide the kind.
func (c Cloud) Config() (Config, error) {
	fail := func(format string, args ...any) (Config, error) {
		return Config{}, fmt.Errorf("cloudauth: clouds.yaml cloud %q: %s", c.Name, fmt.Sprintf(format, args...))
	}
	ak, err := placed("ak", c.AK, c.Auth.AK, "access_key", c.AccessKey, c.Auth.AccessKey)
	if err != nil {
		return fail("%v", err)
	}
	sk, err := placed("sk", c.SK, c.Auth.SK, "secret_key", c.SecretKey, c.Auth.SecretKey)
	if err != nil {
		return fail("%v", err)
	}
	st, err := placed("security_token", c.SecurityToken, c.Auth.SecurityToken, "", "", "")
	if err != nil {
		return fail("%v", err)
	}

	var secrets []string // the YAML keys of the credentials given
	for _, s := range []setting{ak, sk, st} {
		if s.value != "" {
			secrets = append(secrets, s.path)
		}
	}
	keys := len(secrets) > 0
	if c.Auth.Password != "" {
		secrets = append(secrets, "auth.password")
	}
	if c.Auth.Token != "" {
		secrets = append(secrets, "auth.token")
	}
	kinds := 0
	for _, set := range []bool{keys, c.Auth.Password != "", c.Auth.Token != ""} {
		if set {
			kinds++
		}
	}
	if kinds > 1 {
		return fail("%s are set together; give one kind of credentials: an access key pair (ak and sk), "+
			"a password (auth.username and auth.password) or a token (auth.token)", joinAnd(secrets))
	}

	switch {
	case keys:
		switch {
		case ak.value == "" && sk.value == "":
			return fail("%s needs an access key pair: ak and sk (or access_key and secret_key), at the top level or under auth", st.path)
		case sk.value == "":
			return fail("%s is set without sk (or secret_key), at the top level or under auth", ak.path)
		case ak.value == "":
			return fail("%s is set without ak (or access_key), at the top level or under auth", sk.path)
		}
		return Config{Kind: KindAKSK, AccessKey: ak.value, SecretKey: sk.value, SecurityToken: st.value}, nil
	case c.Auth.Password != "":
		endpoint := c.IAMEndpoint()
		domain := firstOf(c.Auth.UserDomainName, c.Auth.DomainName, c.Auth.ProjectDomainName)
		projectName := c.Auth.ProjectName
		if c.Auth.ProjectID != "" {
			projectName = "" // the ID is unambiguous
		}
		switch {
		case c.Auth.Username == "":
			return fail("auth.password is set without auth.username")
		case endpoint == "":
			return fail("needs auth.auth_url, or region_name with profile: otc")
		case domain == "":
			return fail("needs auth.user_domain_name (the account name; or auth.domain_name)")
		case projectName == "" && c.Auth.ProjectID == "":
			return fail("needs auth.project_name (such as eu-de) or auth.project_id")
		}
		return Config{Kind: KindPassword, IAM: IAMConfig{
			Endpoint:    endpoint,
			Username:    c.Auth.Username,
			Password:    c.Auth.Password,
			DomainName:  domain,
			ProjectName: projectName,
			ProjectID:   c.Auth.ProjectID,
		}}, nil
	case c.Auth.Token != "":
		return Config{Kind: KindToken, Token: c.Auth.Token}, nil
	case c.Auth.Username != "":
		return fail("auth.username is set without auth.password (which may sit in secure.yaml)")
	}
	return fail("has no credentials: give ak and sk (or access_key and secret_key, at the top level or under auth), " +
		"auth.username and auth.password, or auth.token")
}

// IAMEndpoint returns the IAM v3 endpoint the cloud names: auth.auth_url,
// or with profile: otc and region_name,
// https://iam.{region_name}.otc.t-systems.com/v3; "" if neither.
func (c Cloud) IAMEndpoint() string {
	if c.Auth.AuthURL != "" {
		return c.Auth.AuthURL
	}
	if c.Profile == "otc" && c.RegionName != "" {
		return "https://iam." + c.RegionName + ".otc.t-systems.com/v3"
	}
	return ""
}

// setting is a value and the YAML key it came from.
type setting struct {
	path, value string
}

// placed reads one setting that may be written at the cloud's top level or
// under auth, under its name or under an alias (if alias is not empty).
// Values given in several places must agree; errors name the keys, not the
// values.
func placed(name, top, underAuth, alias, aliasTop, aliasUnderAuth string) (setting, error) {
	var got setting
	for _, s := range []setting{{name, top}, {"auth." + name, underAuth}, {alias, aliasTop}, {"auth." + alias, aliasUnderAuth}} {
		switch {
		case s.value == "":
		case got.value == "":
			got = s
		case got.value != s.value:
			return setting{}, fmt.Errorf("%s and %s have different values; keep one", got.path, s.path)
		}
	}
	return got, nil
}

// joinAnd joins "a", "b" and "c" as "a, b and c".
func joinAnd(items []string) string {
	if len(items) < 2 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}

func firstOf(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}
