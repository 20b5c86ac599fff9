package scrub_test

import (
	"errors"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/devenv-facade/devenv-facade/internal/scrub"
)

func TestURL(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, in, want string }{
		{"plain", "https://modelarts.eu-de.otc.t-systems.com", "https://modelarts.eu-de.otc.t-systems.com"},
		{"path_kept", "https://gw.example/modelarts/", "https://gw.example/modelarts/"},
		{"escaped_path_kept", "https://gw.example/a%2Fb", "https://gw.example/a%2Fb"},
		{"user_and_password", "https://user:s3cret-pw@host.example/v3", "https://host.example/v3"},
		{"user_only", "https://s3cret-pw@host.example", "https://host.example"},
		{"query_and_fragment", "https://host.example/v3?token=s3cret-pw#s3cret-pw", "https://host.example/v3"},
		{"no_scheme", "host.example", "host.example"},
		{"scheme_relative", "//user:s3cret-pw@host.example/x", "//host.example/x"},
		{"unparsable_escape", "https://user:s3cret-pw@host.example/%zz", "https://xxxxx@host.example/%zz"},
		{"unparsable_password", "https://user:s3cret%pw@host.example/", "https://xxxxx@host.example/"},
		{"slash_in_password", "https://user:s3cret/pw@host.example/", "https://xxxxx@host.example/"},
		{"slash_in_numeric_password", "https://user:12/s3cret-pw@host.example/", "https://xxxxx@host.example/"},
		{"at_in_path_after_user_info", "https://@:/s3cret-pw@host.example", "https://xxxxx@host.example"},
		{"at_in_password", "https://user:s3cret@pw@host.example/%zz", "https://xxxxx@host.example/%zz"},
		{"unparsable_query_cut", "https://user:s3cret-pw@host.example/%zz?token=s3cret-pw", "https://xxxxx@host.example/%zz"},
		{"unparsable_without_user_info", "https://host.example/%zz?token=s3cret-pw", "https://host.example/%zz"},
		{"opaque_user_info", "user:s3cret-pw@host.example", "xxxxx@host.example"},
		{"opaque_after_scheme", "https:user:s3cret-pw@host.example", "xxxxx@host.example"},
		{"control_character", "https://user:s3cret-pw@host.example/\x7f", "https://xxxxx@host.example/\x7f"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := scrub.URL(tt.in)
			if got != tt.want {
				t.Errorf("URL(%q) = %q; want %q", tt.in, got, tt.want)
			}
			if strings.Contains(got, "s3cret") {
				t.Errorf("URL(%q) = %q; leaks the secret", tt.in, got)
			}
		})
	}
}

func TestParseURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in   string
		wantErr    string // "" for success
		wantReason error  // checked with errors.Is when set
	}{
		{"valid", "https://user:s3cret-pw@host.example/v3", "", nil},
		{"bad_escape_in_path", "https://user:s3cret-pw@host.example/%zz",
			`parse "https://xxxxx@host.example/%zz": invalid URL escape "%zz"`, url.EscapeError("%zz")},
		{"bad_escape_in_password", "https://user:s3%zz@host.example/",
			`parse "https://xxxxx@host.example/": invalid before the last "@" (not shown)`, nil},
		{"slash_in_password", "https://user:s3cret/pw@host.example/",
			`parse "https://xxxxx@host.example/": invalid before the last "@" (not shown)`, nil},
		{"bad_port", "https://user:s3cret-pw@host.example:port/",
			`parse "https://xxxxx@host.example:port/": invalid port ":port" after host`, nil},
		{"no_user_info", "https://host.example/%zz?token=s3cret-pw",
			`parse "https://host.example/%zz": invalid URL escape "%zz"`, nil},
		{"missing_scheme", ":s3cret-pw@host", `parse "xxxxx@host": invalid before the last "@" (not shown)`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			u, err := scrub.ParseURL(tt.in)
			if tt.wantErr == "" {
				if err != nil || u.String() != tt.in {
					t.Fatalf("ParseURL(%q) = %v, %v; want the parsed URL", tt.in, u, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("ParseURL(%q) succeeded; want %s", tt.in, tt.wantErr)
			}
			if err.Error() != tt.wantErr {
				t.Errorf("ParseURL(%q) error = %q; want %q", tt.in, err, tt.wantErr)
			}
			if strings.Contains(err.Error(), "s3") {
				t.Errorf("ParseURL(%q) error leaks the password: %v", tt.in, err)
			}
			if _, ok := err.(*url.Error); !ok {
				t.Errorf("error is %T; want *url.Error", err)
			}
			if tt.wantReason != nil && !errors.Is(err, tt.wantReason) {
				t.Errorf("error %v does not wrap %v", err, tt.wantReason)
			}
		})
	}
}

// FuzzURL checks that URL and ParseURL never show the password of
// "https://user:password@rest", whatever the parts.
func FuzzURL(f *testing.F) {
	f.Add("user", "pzsswxrt", "host.example/%zz")
	f.Add("user", "12/s3cret", "host.example/")
	f.Add("user", "pw/pzsswxrt", "host.example/")
	f.Add("u", "p@ss?w#rd", "h:port/x?y#z")
	f.Add("", "s3cret", "[::1")
	f.Fuzz(func(t *testing.T, user, password, rest string) {
		raw := "https://" + user + ":" + password + "@" + rest
		unescaped, err := url.PathUnescape(rest)
		if err != nil {
			unescaped = rest
		}
		shown := "https://xxxxx@" + rest
		// Escaping (of a host or path) writes % and hex digits: a password
		// made of those could appear without being shown.
		if len(password) < 4 || strings.ContainsAny(password, "%0123456789ABCDEFabcdef") ||
			strings.Contains(shown, password) || strings.Contains(strconv.Quote(shown), password) || strings.Contains(unescaped, password) {
			return // the password is also somewhere else
		}
		if got := scrub.URL(raw); strings.Contains(got, password) {
			t.Fatalf("URL(%q) = %q; shows the password", raw, got)
		}
		if _, err := scrub.ParseURL(raw); err != nil && strings.Contains(err.Error(), password) {
			t.Fatalf("ParseURL(%q) error %q shows the password", raw, err)
		}
	})
}
