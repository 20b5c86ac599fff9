package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/devenv-facade/devenv-facade/internal/emulator"
	"github.com/devenv-facade/devenv-facade/internal/smallfile"
	"github.com/devenv-facade/devenv-facade/internal/yamlerr"
)

// fileConfig is the schema of the --config file (see the command's doc).
type fileConfig struct {
	Tokens []struct {
		Token   string `yaml:"token"`
		Project string `yaml:"project"`
	} `yaml:"tokens"`
	IAMUsers []struct {
		Name     string `yaml:"name"`
		Password string `yaml:"password"`
		Domain   string `yaml:"domain"`
	} `yaml:"iam_users"`
	AccessKeys []struct {
		AK            string `yaml:"ak"`
		SK            string `yaml:"sk"`
		SecurityToken string `yaml:"security_token"`
	} `yaml:"access_keys"`
	Projects      map[string]string `yaml:"projects"`
	TokenLifetime time.Duration     `yaml:"token_lifetime"`
}

// unknownFieldPattern reads the key out of yaml's "field X not found in
// type T" (a *yaml.TypeError entry). The yaml package has no structured
// form of this error; the message is the one in go.yaml.in/yaml/v3
// decode.go. Keys are names from the schema's neighbourhood, not values,
// so naming them does not reveal a secret.
var unknownFieldPattern = regexp.MustCompile(`^line (\d+): field (\S+) not found in type`)

// maxConfigFile bounds the --config file.
const maxConfigFile = 1 << 20

// readConfig reads the --config file strictly: an unknown key is an error
// naming it. Other errors give a line, never the file's content, which
// holds passwords and secret keys. An empty file configures nothing; one
// that is not a regular file, or larger than maxConfigFile, is refused.
func readConfig(path string) (*fileConfig, error) {
	raw, err := smallfile.Read(path, maxConfigFile)
	if err != nil {
		return nil, fmt.Errorf("--config: %w", err)
	}
	var fc fileConfig
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(&fc); err != nil && !errors.Is(err, io.EOF) {
		var te *yaml.TypeError
		if errors.As(err, &te) {
			for _, msg := range te.Errors {
				if m := unknownFieldPattern.FindStringSubmatch(msg); m != nil {
					return nil, fmt.Errorf("--config %s: unknown key %q at line %s (known: tokens, iam_users, access_keys, projects, token_lifetime)",
						path, m[2], m[1])
				}
			}
		}
		return nil, fmt.Errorf("--config %s: %s", path, yamlerr.Describe(err))
	}
	return &fc, nil
}

// projectIDPattern is the shape of an IAM project ID, as the emulator
// checks it.
var projectIDPattern = regexp.MustCompile(`^[0-9a-f]{32}$`)

// credentials gathers what the emulator accepts, from the --config file
// and the flags together, checked entry by entry. Error messages say where
// an entry came from ("--config access_keys[1]", "--access-keys entry 2")
// and never quote a token, password or key.
type credentials struct {
	tokens   map[string]string // token → project ID or "*"
	tokenAt  map[string]string // token → where it was given
	users    []emulator.IAMUser
	userAt   map[[2]string]string // name, domain → where
	keys     []emulator.AccessKey
	keyAt    map[string]string // AK → where
	projects map[string]string // name → ID
	lifetime time.Duration     // 0: the emulator's default
}

func newCredentials() *credentials {
	return &credentials{
		tokens: map[string]string{}, tokenAt: map[string]string{},
		userAt: map[[2]string]string{}, keyAt: map[string]string{},
		projects: map[string]string{},
	}
}

func (c *credentials) addToken(where, token, project string) error {
	switch {
	case token == "":
		return fmt.Errorf("%s: the token is empty", where)
	case project != "*" && !projectIDPattern.MatchString(project):
		return fmt.Errorf("%s: project must be \"*\" or a project ID of 32 lowercase hex characters", where)
	case c.tokenAt[token] != "":
		return fmt.Errorf("%s: the same token is already given by %s", where, c.tokenAt[token])
	}
	c.tokens[token], c.tokenAt[token] = project, where
	return nil
}

func (c *credentials) addUser(where string, u emulator.IAMUser) error {
	id := [2]string{u.Name, u.Domain}
	switch {
	case u.Name == "" || u.Password == "" || u.Domain == "":
		return fmt.Errorf("%s: an IAM user needs a name, a password and a domain", where)
	case c.userAt[id] != "":
		return fmt.Errorf("%s: user %q in domain %q is already given by %s", where, u.Name, u.Domain, c.userAt[id])
	}
	c.users, c.userAt[id] = append(c.users, u), where
	return nil
}

func (c *credentials) addKey(where string, k emulator.AccessKey) error {
	switch {
	case k.ID == "" || k.Secret == "":
		return fmt.Errorf("%s: an access key needs an AK and an SK", where)
	case c.keyAt[k.ID] != "":
		return fmt.Errorf("%s: the same AK is already given by %s", where, c.keyAt[k.ID])
	}
	c.keys, c.keyAt[k.ID] = append(c.keys, k), where
	return nil
}

func (c *credentials) addProject(where, name, id string) error {
	switch {
	case name == "":
		return fmt.Errorf("%s: the project name is empty", where)
	case !projectIDPattern.MatchString(id):
		return fmt.Errorf("%s: project %q: the ID must be 32 lowercase hex characters", where, name)
	case c.projects[name] != "" && c.projects[name] != id:
		return fmt.Errorf("%s: project %q is given twice with different IDs", where, name)
	}
	c.projects[name] = id
	return nil
}

// addFile adds the entries of the --config file.
func (c *credentials) addFile(fc *fileConfig) error {
	for i, t := range fc.Tokens {
		if err := c.addToken(fmt.Sprintf("--config tokens[%d]", i), t.Token, t.Project); err != nil {
			return err
		}
	}
	for i, u := range fc.IAMUsers {
		if err := c.addUser(fmt.Sprintf("--config iam_users[%d]", i), emulator.IAMUser{Name: u.Name, Password: u.Password, Domain: u.Domain}); err != nil {
			return err
		}
	}
	for i, k := range fc.AccessKeys {
		if err := c.addKey(fmt.Sprintf("--config access_keys[%d]", i), emulator.AccessKey{ID: k.AK, Secret: k.SK, SecurityToken: k.SecurityToken}); err != nil {
			return err
		}
	}
	for name, id := range fc.Projects {
		if err := c.addProject("--config projects", name, id); err != nil {
			return err
		}
	}
	if fc.TokenLifetime < 0 {
		return errors.New("--config token_lifetime: must not be negative")
	}
	c.lifetime = fc.TokenLifetime
	return nil
}

// entries splits a comma-separated flag value; an empty value has none.
func entries(s string) []string {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// addTokensFlag adds --tokens: "token=project_id,token2=*".
func (c *credentials) addTokensFlag(s string) error {
	for i, e := range entries(s) {
		tok, project, ok := strings.Cut(strings.TrimSpace(e), "=")
		if !ok || tok == "" || project == "" {
			return fmt.Errorf("--tokens entry %d: want comma-separated token=project_id pairs", i+1)
		}
		if err := c.addToken(fmt.Sprintf("--tokens entry %d", i+1), tok, project); err != nil {
			return err
		}
	}
	return nil
}

// addUsersFlag adds --iam-users: "name:password@domain,...". The name ends
// at the first ":" and the domain starts after the last "@", so the
// password may hold both (but no ",").
func (c *credentials) addUsersFlag(s string) error {
	for i, e := range entries(s) {
		where := fmt.Sprintf("--iam-users entry %d", i+1)
		name, rest, ok1 := strings.Cut(strings.TrimSpace(e), ":")
		at := strings.LastIndexByte(rest, '@')
		if !ok1 || at < 0 {
			return fmt.Errorf("%s: want name:password@domain", where)
		}
		if err := c.addUser(where, emulator.IAMUser{Name: name, Password: rest[:at], Domain: rest[at+1:]}); err != nil {
			return err
		}
	}
	return nil
}

// addKeysFlag adds --access-keys: "AK:SK" or "AK:SK:security_token", comma
// separated.
func (c *credentials) addKeysFlag(s string) error {
	for i, e := range entries(s) {
		where := fmt.Sprintf("--access-keys entry %d", i+1)
		parts := strings.SplitN(strings.TrimSpace(e), ":", 3)
		if len(parts) < 2 {
			return fmt.Errorf("%s: want AK:SK or AK:SK:security_token", where)
		}
		k := emulator.AccessKey{ID: parts[0], Secret: parts[1]}
		if len(parts) == 3 {
			if parts[2] == "" {
				return fmt.Errorf("%s: the security token after the second \":\" is empty", where)
			}
			k.SecurityToken = parts[2]
		}
		if err := c.addKey(where, k); err != nil {
			return err
		}
	}
	return nil
}

// addProjectsFlag adds --projects: "name=project_id,...".
func (c *credentials) addProjectsFlag(s string) error {
	for i, e := range entries(s) {
		name, id, ok := strings.Cut(strings.TrimSpace(e), "=")
		if !ok {
			return fmt.Errorf("--projects entry %d: want name=project_id", i+1)
		}
		if err := c.addProject(fmt.Sprintf("--projects entry %d", i+1), name, id); err != nil {
			return err
		}
	}
	return nil
}

// flagCredentials are the credential flags' values.
type flagCredentials struct {
	tokens, users, keys, projects string
	lifetime                      time.Duration
}

// gather reads the --config file (if configFile is not empty), then adds
// the flags' entries.
func gather(configFile string, flags flagCredentials) (*credentials, error) {
	c := newCredentials()
	if configFile != "" {
		fc, err := readConfig(configFile)
		if err != nil {
			return nil, err
		}
		if err := c.addFile(fc); err != nil {
			return nil, err
		}
	}
	if err := c.addTokensFlag(flags.tokens); err != nil {
		return nil, err
	}
	if err := c.addUsersFlag(flags.users); err != nil {
		return nil, err
	}
	if err := c.addKeysFlag(flags.keys); err != nil {
		return nil, err
	}
	if err := c.addProjectsFlag(flags.projects); err != nil {
		return nil, err
	}
	switch {
	case flags.lifetime < 0:
		return nil, errors.New("--token-lifetime: must not be negative")
	case flags.lifetime > 0:
		c.lifetime = flags.lifetime
	}
	return c, nil
}

// options returns opts with the credentials set. With no tokens and no
// IAM users, the emulator accepts any token (access keys do not change
// that).
func (c *credentials) options(opts emulator.Options) emulator.Options {
	opts.Tokens, opts.IAMUsers, opts.AccessKeys, opts.Projects = c.tokens, c.users, c.keys, c.projects
	opts.TokenLifetime = c.lifetime
	return opts
}
