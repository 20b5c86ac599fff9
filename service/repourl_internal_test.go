package service

import (
	"net/url"
	"testing"
)

func TestRepositoryURL(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"https://github.com/org/repo.git", "https://github.com/org/repo.git"},
		{"https://ghp_secret123@github.com/org/repo.git", "https://github.com/org/repo.git"},
		{"https://user:pass@codeclub.example/org/repo.git", "https://codeclub.example/org/repo.git"},
		{"ssh://git@github.com/org/repo.git", "ssh://git@github.com/org/repo.git"},
		{"ssh://git:pass@github.com/org/repo.git", "ssh://git@github.com/org/repo.git"},
		{"git@github.com:org/repo.git", "git@github.com:org/repo.git"},
		{"git:pass@github.com:org/repo.git", "git@github.com:org/repo.git"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := repositoryURL(tt.in); got != tt.want {
			t.Errorf("repositoryURL(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}

func FuzzRepositoryURL(f *testing.F) {
	for _, s := range []string{"https://t@h/r", "ssh://u:p@h/r", "u:p@h:r", "git@h:r"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		got := repositoryURL(raw)
		if u, err := url.Parse(got); err == nil && u.Scheme != "" && u.Host != "" && u.User != nil {
			if _, has := u.User.Password(); has || u.Scheme == "http" || u.Scheme == "https" {
				t.Errorf("repositoryURL(%q) = %q keeps a secret in its user info", raw, got)
			}
		}
		if got2 := repositoryURL(got); got2 != got {
			t.Errorf("not idempotent: %q -> %q -> %q", raw, got, got2)
		}
	})
}
