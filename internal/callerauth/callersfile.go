package callerauth

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/devenv-facade/devenv-facade/internal/callctx"
	"github.com/devenv-facade/devenv-facade/internal/yamlerr"
)

// entry is a caller as the file lists it.
type entry struct {
	caller    *Caller
	tokenHash []byte // nil when the caller has no token
	certNames []string
}

// policy is one version of the file, never modified once loaded.
type policy struct {
	entries []entry
}

// fileFormat is the YAML schema.
type fileFormat struct {
	Callers []struct {
		Name            string   `yaml:"name"`
		TokenSHA256     string   `yaml:"token_sha256"`
		ClientCertNames []string `yaml:"client_cert_names"`
		Projects        []string `yaml:"projects"`
		ReadOnly        []string `yaml:"read_only_projects"`
	} `yaml:"callers"`
}

// parse checks and compiles a callers file.
func parse(raw []byte) (*policy, error) {
	var f fileFormat
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("not a callers file: %s", describeYAMLError(err))
	}
	p := &policy{}
	names, hashes := map[string]bool{}, map[string]bool{}
	for i, c := range f.Callers {
		where := fmt.Sprintf("callers[%d]", i)
		switch {
		case c.Name == "":
			return nil, fmt.Errorf("%s: name is empty", where)
		case c.Name == callctx.TokenHolder:
			return nil, fmt.Errorf("%s: the name %q is reserved for callers admitted on their own IAM token; choose another", where, c.Name)
		case names[c.Name]:
			return nil, fmt.Errorf("%s: name %q appears twice", where, c.Name)
		case c.TokenSHA256 == "" && len(c.ClientCertNames) == 0:
			return nil, fmt.Errorf("%s (%s): needs token_sha256 or client_cert_names", where, c.Name)
		case len(c.Projects) == 0 && len(c.ReadOnly) == 0:
			return nil, fmt.Errorf("%s (%s): projects and read_only_projects are empty; use projects: [\"*\"] for every project", where, c.Name)
		}
		names[c.Name] = true
		caller := &Caller{Name: c.Name, projects: map[string]bool{}, readOnly: map[string]bool{}}
		for _, list := range []struct {
			key   string
			ids   []string
			all   *bool
			into  map[string]bool
			other map[string]bool
		}{
			{"projects", c.Projects, &caller.all, caller.projects, nil},
			{"read_only_projects", c.ReadOnly, &caller.readAll, caller.readOnly, caller.projects},
		} {
			for _, pr := range list.ids {
				switch {
				case pr == "*":
					*list.all = true
				case !projectPattern.MatchString(pr):
					return nil, fmt.Errorf("%s (%s): %s: %q is neither \"*\" nor 32 lowercase hex characters", where, c.Name, list.key, pr)
				case list.other[pr] || caller.all && list.other != nil:
					return nil, fmt.Errorf("%s (%s): project %q is in both projects and read_only_projects; keep one", where, c.Name, pr)
				default:
					list.into[pr] = true
				}
			}
		}
		e := entry{caller: caller, certNames: c.ClientCertNames}
		if c.TokenSHA256 != "" {
			h := strings.ToLower(c.TokenSHA256)
			if !hashPattern.MatchString(h) {
				return nil, fmt.Errorf("%s (%s): token_sha256 must be 64 hex characters (the SHA-256 of the token, not the token)", where, c.Name)
			}
			if hashes[h] {
				return nil, fmt.Errorf("%s (%s): token_sha256 is used by another caller", where, c.Name)
			}
			hashes[h] = true
			e.tokenHash, _ = hex.DecodeString(h)
		}
		p.entries = append(p.entries, e)
	}
	return p, nil
}

// describeYAMLError explains a parse error without quoting the file, which
// could hold a token pasted by mistake.
func describeYAMLError(err error) string {
	msg := yamlerr.Describe(err)
	if strings.HasPrefix(msg, "unknown field") {
		msg += " (allowed: name, token_sha256, client_cert_names, projects, read_only_projects)"
	}
	return msg
}

// byToken returns the caller whose token hash matches token. Every entry
// is compared, in constant time, whatever matches: the time taken tells
// nothing about which hash is close.
func (p *policy) byToken(token string) *Caller {
	sum := sha256.Sum256([]byte(token))
	var found *Caller
	for _, e := range p.entries {
		if e.tokenHash != nil && subtle.ConstantTimeCompare(sum[:], e.tokenHash) == 1 {
			found = e.caller
		}
	}
	return found
}

// byCertificate returns the caller that names the certificate.
func (p *policy) byCertificate(cert *x509.Certificate) *Caller {
	ids := append([]string{cert.Subject.CommonName}, cert.DNSNames...)
	for _, u := range cert.URIs {
		ids = append(ids, u.String())
	}
	for _, e := range p.entries {
		for _, n := range e.certNames {
			for _, id := range ids {
				if id != "" && id == n {
					return e.caller
				}
			}
		}
	}
	return nil
}
