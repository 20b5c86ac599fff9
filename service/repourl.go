package service

import (
	"net/url"
	"strings"

	devenvv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/devenv/v1"
)

// withoutSecrets removes what an instance may carry that is a secret yet
// has a field in the API: a password (or, on http(s), a token) in a code
// repository's URL. The credential objects ModelArts returns have no field
// and are dropped when the answer is read; forCallers (answer.go) removes
// the same from the vendor JSON REST callers get.
func withoutSecrets(inst *devenvv1.Instance) {
	for _, r := range []*devenvv1.Repository{inst.GetRepository(), inst.GetSpec().GetRepository()} {
		if ci := r.GetConnectionInfo(); ci != nil && ci.Url != nil {
			clean := repositoryURL(ci.GetUrl())
			ci.Url = &clean
		}
	}
}

// repositoryURL returns a repository URL without its secrets: on http(s)
// without any user info (GitHub-style URLs put a token there, as the user
// name), elsewhere without a password ("ssh://git:pw@host/r" becomes
// "ssh://git@host/r"; an scp-like "user:pw@host:r" becomes "user@host:r").
// A user name alone ("git@github.com:org/r.git") is kept.
func repositoryURL(raw string) string {
	if u, err := url.Parse(raw); err == nil && u.Scheme != "" && u.Host != "" {
		if u.User == nil {
			return raw
		}
		if u.Scheme == "http" || u.Scheme == "https" {
			u.User = nil
		} else {
			u.User = url.User(u.User.Username())
		}
		return u.String()
	}
	at := strings.LastIndexByte(raw, '@')
	if at < 0 {
		return raw
	}
	if colon := strings.IndexByte(raw[:at], ':'); colon >= 0 {
		return raw[:colon] + raw[at:]
	}
	return raw
}
