package scrub_test

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/devenv-facade/devenv-facade/internal/scrub"
)

func TestText(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in string
		max      int
		want     string
	}{
		{"plain", "The instance does not exist.", 64, "The instance does not exist."},
		{"controls_become_spaces", "line1\nline2\x00\x7f\u0085end", 64, "line1 line2   end"},
		{"line_separators", "a\u2028b\u2029c", 64, "a b c"},
		{"surrounding_space_trimmed", " \t x \r\n", 64, "x"},
		{"bad_utf8", "a\xff\xfeb", 64, "a\uFFFDb"},
		{"rtl_override", "txt.\u202Eexe", 64, "txt.exe"},
		{"bidi_embeddings_and_isolates", "\u202Aa\u202Bb\u202Cc\u202Dd\u2066e\u2067f\u2068g\u2069", 64, "abcdefg"},
		{"marks", "\u200Ea\u200Fb\u061Cc", 64, "abc"},
		{"zero_width", "in\u200Bst\u200Can\u200Dce\uFEFF", 64, "instance"},
		{"other_cf", "soft\u00ADhyphen\U000E0041tag\u2060wj", 64, "softhyphentagwj"},
		{"only_invisible", "\u200B\u202E\uFEFF", 64, ""},
		{"visible_unicode_kept", "Größe ✓ 名前 🙂", 64, "Größe ✓ 名前 🙂"},
		{"cut_at_rune_boundary", strings.Repeat("é", 10), 5, "éé"},
		{"cut_then_trimmed", "abcd efgh", 5, "abcd"},
		{"zero_max", "abc", 0, ""},
		{"invisible_do_not_count", "\u200B\u200Babc", 3, "abc"},
		{"work_bound", strings.Repeat("\u200B", 100) + "abc", 3, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := scrub.Text(tt.in, tt.max, nil); got != tt.want {
				t.Errorf("Text(%q, %d) = %q; want %q", tt.in, tt.max, got, tt.want)
			}
		})
	}
}

func TestText_redactsSecrets(t *testing.T) {
	t.Parallel()
	const (
		token = "MIIEtoken-0123456789abcdef"
		sig   = "9f86d081884c7d659a2feaa0c55ad015"
		ak    = "AKIA0123456789"
		pw    = `p"ss\word<&>`
		r     = scrub.Redacted
	)
	auth := "SDK-HMAC-SHA256 Access=" + ak + ", SignedHeaders=host;x-sdk-date, Signature=" + sig
	secrets := scrub.NewSecrets(token, auth, sig, ak, pw, "short", "")
	tests := []struct {
		name, in string
		max      int
		want     string
	}{
		{"token", "token " + token + " has expired", 200, "token " + r + " has expired"},
		{"twice", token + token, 200, r + r},
		{"split_by_zero_width", "bad " + token[:5] + "\u200B\u200D" + token[5:] + "\u202E", 200, "bad " + r},
		{"control_inside_is_not_joined", "bad " + token[:5] + "\n" + token[5:], 200, "bad " + token[:5] + " " + token[5:]},
		{"whole_authorization_once", "got " + auth, 200, "got " + r},
		{"signature_alone", "Signature=" + sig + ";", 200, "Signature=" + r + ";"},
		{"access_key_alone", "access key " + ak + " unknown", 200, "access key " + r + " unknown"},
		{"password_verbatim", "pw " + pw, 200, "pw " + r},
		{"password_json_escaped", `{"password":"p\"ss\\word<&>"}`, 200, `{"password":"` + r + `"}`},
		{"password_go_json_escaped", `{"password":"p\"ss\\word\u003c\u0026\u003e"}`, 200, `{"password":"` + r + `"}`},
		{"short_values_left_alone", "short answer", 200, "short answer"},
		// Redaction comes before the cut: no start of the token remains.
		{"secret_across_the_cut", "abc " + token, 10, "abc " + r[:6]},
		// The work bound (4×max bytes) cuts the token; its start is
		// dropped although invisible characters shrank the text before it.
		{"secret_across_the_work_bound", strings.Repeat("\u200B", 24) + "ok " + token, 20, "ok"},
		{"secret_inside_the_work_bound", strings.Repeat("\u200B", 5) + token + " x", 40, r + " x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := scrub.Text(tt.in, tt.max, secrets); got != tt.want {
				t.Errorf("Text(%q, %d) = %q; want %q", tt.in, tt.max, got, tt.want)
			}
		})
	}
}

func TestBytes_sameAsText(t *testing.T) {
	t.Parallel()
	const token = "MIIEtoken-0123456789abcdef"
	secrets := scrub.NewSecrets(token)
	for _, in := range []string{
		"",
		"short " + token,
		strings.Repeat("\u200B", 24) + "ok " + token, // the work bound cuts the token
		strings.Repeat("é", 100) + token,
	} {
		if got, want := scrub.Bytes([]byte(in), 20, secrets), scrub.Text(in, 20, secrets); got != want {
			t.Errorf("Bytes(%q) = %q; Text gives %q", in, got, want)
		}
	}
}

func TestNewSecrets_nothingToRedact(t *testing.T) {
	t.Parallel()
	if s := scrub.NewSecrets("", "1234567", "\u200B\u200B\u200Bab"); s != nil {
		t.Errorf("NewSecrets of short values = %v; want nil", s)
	}
	if s := scrub.NewSecrets(); s != nil {
		t.Errorf("NewSecrets() = %v; want nil", s)
	}
}

func TestText_markerInsideASecret(t *testing.T) {
	t.Parallel()
	// Replacing the secret forms it again; the text must not keep it.
	secret := "RED" + scrub.Redacted
	for _, in := range []string{"RED" + secret, "REDRED" + secret, "x" + secret + "RED" + secret} {
		if got := scrub.Text(in, 200, scrub.NewSecrets(secret)); strings.Contains(got, secret) {
			t.Errorf("Text(%q) = %q; still holds the secret", in, got)
		}
	}
	// A secret that the marker contains: every replacement forms it again.
	secret = scrub.Redacted[:8]
	if got := scrub.Text("x "+scrub.Redacted, 200, scrub.NewSecrets(secret)); strings.Contains(got, secret) {
		t.Errorf("Text = %q; still holds the secret %q", got, secret)
	}
}

// FuzzText checks the promises of Text whatever the input: no panic, valid
// UTF-8, no control or formatting characters, at most maxBytes bytes, and
// never the secret (as given, or as it reads once cleaned).
func FuzzText(f *testing.F) {
	f.Add("The instance does not exist.", "", uint16(1024))
	f.Add("token MIIEtoken-0123 expired", "MIIEtoken-0123", uint16(16))
	f.Add("a\u202Eb\u200Bc\xff\x00", "b\u200Bc\xff\x00zzzzz", uint16(3))
	f.Add(strings.Repeat("\u200B", 30)+"SECRETSECRET", "SECRETSECRET", uint16(20))
	f.Add("REDRED[REDACTED]", "RED[REDACTED]", uint16(64))
	f.Add("[REDACTED]", "[REDACTE", uint16(65)) // a secret inside the marker
	f.Fuzz(func(t *testing.T, s, secret string, maxBytes uint16) {
		got := scrub.Text(s, int(maxBytes), scrub.NewSecrets(secret))
		if !utf8.ValidString(got) {
			t.Fatalf("output is not valid UTF-8: %q", got)
		}
		if len(got) > int(maxBytes) {
			t.Fatalf("output has %d bytes; max %d", len(got), maxBytes)
		}
		for _, r := range got {
			if unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Cc, r) || r == '\u2028' || r == '\u2029' {
				t.Fatalf("output holds %U: %q", r, got)
			}
		}
		if len(secret) < scrub.MinSecretLen {
			return
		}
		if strings.Contains(got, secret) {
			t.Fatalf("output holds the secret %q: %q", secret, got)
		}
		if c := cleaned(secret); len(c) >= scrub.MinSecretLen && strings.Contains(got, c) {
			t.Fatalf("output holds the secret %q as %q: %q", secret, c, got)
		}
	})
}

// cleaned is an independent statement of how Text rewrites characters.
func cleaned(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case unicode.Is(unicode.Cf, r):
			return -1
		case unicode.Is(unicode.Cc, r), r == '\u2028', r == '\u2029':
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
}
