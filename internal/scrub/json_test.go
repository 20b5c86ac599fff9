package scrub_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/devenv-facade/devenv-facade/internal/scrub"
)

func TestSecrets_JSON(t *testing.T) {
	t.Parallel()
	const (
		token = "MIIEtoken-0123456789abcdef"
		pw    = `p"ss\word<&>`
		r     = scrub.Redacted
	)
	secrets := scrub.NewSecrets(token, pw, "12345678")
	tests := []struct {
		name, in, want string
	}{
		{"nothing_to_redact", `{"description":"a \u001b\u202e text"}`, `{"description":"a \u001b\u202e text"}`},
		{"value", `{"description":"echo ` + token + ` here"}`, `{"description":"echo ` + r + ` here"}`},
		{"content_kept_but_the_secret", `{"d":"\u001b` + "\u202e" + token + `"}`, `{"d":"\u001b` + "\u202e" + r + `"}`},
		{"key", `{"` + token + `":1}`, `{"` + r + `":1}`},
		{"nested_and_order_kept", `{ "b" : [ "x", {"c": "` + token + `"} ], "a":null }`, `{ "b" : [ "x", {"c": "` + r + `"} ], "a":null }`},
		{"escaped_in_the_string", `{"a":"` + token + `","b":"\u004dIIEtoken-0123456789abcdef"}`, `{"a":"` + r + `","b":"` + r + `"}`},
		{"json_escaped_password", `{"p":"p\"ss\\word<&>"}`, `{"p":"` + r + `"}`},
		{"go_escaped_password", `{"p":"p\"ss\\word\u003c\u0026\u003e"}`, `{"p":"` + r + `"}`},
		{"number_left_alone", `{"stop_timestamp":1234567890123}`, `{"stop_timestamp":1234567890123}`},
		{"unterminated_string", `{"a":"` + token + `","b":"` + token, `{"a":"` + r + `","b":"` + token},
		{"not_json", "HTTP " + token, "HTTP " + token},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := string(secrets.JSON([]byte(tt.in)))
			if got != tt.want {
				t.Errorf("JSON(%q)\n= %q\nwant %q", tt.in, got, tt.want)
			}
			if json.Valid([]byte(tt.in)) && !json.Valid([]byte(got)) {
				t.Errorf("JSON(%q) = %q: no longer JSON", tt.in, got)
			}
		})
	}
}

// TestSecrets_JSON_escapedOnly: a secret that b holds only with escapes,
// in no form the first search of b finds, is found in the string once
// decoded.
func TestSecrets_JSON_escapedOnly(t *testing.T) {
	t.Parallel()
	const (
		token = "MIIEtoken-0123456789abcdef"
		path  = "MIIE/token/with-slashes"
		r     = scrub.Redacted
	)
	secrets := scrub.NewSecrets(token, path)
	tests := []struct {
		name, in, want string
	}{
		{"value", `{"a":"x","b":"\u004dIIEtoken-0123456789abcdef!"}`, `{"a":"x","b":"` + r + `!"}`},
		{"key", `{"\u004d\u0049\u0049\u0045token-0123456789abcdef":1}`, `{"` + r + `":1}`},
		{"slashes", `{"p":"MIIE\/token\/with-slashes"}`, `{"p":"` + r + `"}`},
		{"in_an_array", `[1,"\u004dIIE\/token\/with-slashes"]`, `[1,"` + r + `"]`},
		{"escapes_without_a_secret_kept", `{"d":"a\nb\u00e9\/","e":"\u004dIIEtoken"}`, `{"d":"a\nb\u00e9\/","e":"\u004dIIEtoken"}`},
	}
	for _, tt := range tests {
		if got := string(secrets.JSON([]byte(tt.in))); got != tt.want {
			t.Errorf("%s: JSON(%q)\n= %q\nwant %q", tt.name, tt.in, got, tt.want)
		}
	}
}

// TestSecrets_JSON_sameBytes: an answer without a secret is returned as
// it is, not copied; a nil *Secrets changes nothing.
func TestSecrets_JSON_sameBytes(t *testing.T) {
	t.Parallel()
	b := []byte(`{"a":"` + strings.Repeat("x", 100) + `"}`)
	if got := scrub.NewSecrets("MIIEtoken-0123456789abcdef").JSON(b); &got[0] != &b[0] {
		t.Error("JSON copied an answer without secrets")
	}
	escaped := []byte(`{"a":"line\nbreak \u00e9","b":"` + strings.Repeat("x", 100) + `"}`)
	if got := scrub.NewSecrets("MIIEtoken-0123456789abcdef").JSON(escaped); &got[0] != &escaped[0] {
		t.Error("JSON copied an answer with escapes but without secrets")
	}
	var none *scrub.Secrets
	if got := none.JSON(b); &got[0] != &b[0] {
		t.Error("a nil *Secrets copied the answer")
	}
}

func FuzzSecrets_JSON(f *testing.F) {
	const token = "MIIEtoken-0123456789abcdef"
	f.Add(`{"a":"` + token + `"}`)
	f.Add(`["\u004dIIEtoken-0123456789abcdef", 1, {"` + token + `":null}]`)
	f.Add(`{"a":"\"` + token + `\\"}`)
	secrets := scrub.NewSecrets(token)
	f.Fuzz(func(t *testing.T, in string) {
		got := secrets.JSON([]byte(in))
		if !json.Valid([]byte(in)) {
			return
		}
		if !json.Valid(got) {
			t.Fatalf("JSON(%q) = %q: no longer JSON", in, got)
		}
		var v any
		d := json.NewDecoder(bytes.NewReader(got))
		d.UseNumber() // numbers beyond float64 are JSON too
		if err := d.Decode(&v); err != nil {
			t.Fatal(err)
		}
		var walk func(any)
		walk = func(v any) {
			switch v := v.(type) {
			case string:
				if strings.Contains(v, token) {
					t.Fatalf("JSON(%q) = %q: a string still holds the secret", in, got)
				}
			case []any:
				for _, e := range v {
					walk(e)
				}
			case map[string]any:
				for k, e := range v {
					walk(k)
					walk(e)
				}
			}
		}
		walk(v)
	})
}
