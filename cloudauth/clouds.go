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
// fields Open Telekom Cloud users have in it.
type Cloud struct {
	Profile    string    `yaml:"profile"`
	RegionName string    `yaml:"region_name"`
	Auth       CloudAuth `yaml:"auth"`
	// AK and SK are the OTC profile's names for the access key pair;
	// AccessKey, SecretKey and SecurityToken are python-otcextensions'.
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
	return fmt.Sprintf("auth (user %q, auth_url %s)", a.Username, redactURL(a.AuthURL))
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
	_, secure, err := readFirst(files.Secure)
	if err != nil {
		return Cloud{}, err
	}
	if s, ok := secure[name]; ok {
		entry = merge(entry, s)
	}
	raw, err := yaml.Marshal(entry)
	if err != nil {
		return Cloud{}, fmt.Errorf("cloudauth: cloud %q: %w", name, err)
	}
	var c Cloud
	if err := yaml.Unmarshal(raw, &c); err != nil {
		return Cloud{}, fmt.Errorf("cloudauth: cloud %q in %s: %s", name, cloudsPath, yamlerr.Describe(err))
	}
	return c, nil
}

// readFirst parses the "clouds" map of the first file in paths that exists.
func readFirst(paths []string) (string, map[string]any, error) {
	for _, p := range paths {
		raw, err := os.ReadFile(p)
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

// Config turns the cloud into a credential [Config]: an access key pair if
// it has one, else its user and password, else its token. With the "otc"
// profile and no auth_url, the IAM endpoint follows from region_name.
func (c Cloud) Config() (Config, error) {
	ak, sk := firstOf(c.AK, c.AccessKey), firstOf(c.SK, c.SecretKey)
	if ak != "" || sk != "" {
		return Config{Kind: KindAKSK, AccessKey: ak, SecretKey: sk, SecurityToken: c.SecurityToken}, nil
	}
	if c.Auth.Username != "" || c.Auth.Password != "" {
		endpoint := c.Auth.AuthURL
		if endpoint == "" && c.Profile == "otc" && c.RegionName != "" {
			endpoint = "https://iam." + c.RegionName + ".otc.t-systems.com/v3"
		}
		projectName := c.Auth.ProjectName
		if c.Auth.ProjectID != "" {
			projectName = "" // the ID is unambiguous
		}
		return Config{Kind: KindPassword, IAM: IAMConfig{
			Endpoint:    endpoint,
			Username:    c.Auth.Username,
			Password:    c.Auth.Password,
			DomainName:  firstOf(c.Auth.UserDomainName, c.Auth.DomainName, c.Auth.ProjectDomainName),
			ProjectName: projectName,
			ProjectID:   c.Auth.ProjectID,
		}}, nil
	}
	if c.Auth.Token != "" {
		return Config{Kind: KindToken, Token: c.Auth.Token}, nil
	}
	return Config{}, errors.New("cloudauth: the cloud has neither ak/sk, nor auth username/password, nor auth token")
}

func firstOf(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}
