package service

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	devenvv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/devenv/v1"
	notebookv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/notebook/v1"
	"github.com/devenv-facade/devenv-facade/internal/jsontok"
	"github.com/devenv-facade/devenv-facade/internal/vendorjson"
)

func TestForCallers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
	}{
		{"nothing_to_remove_kept_as_sent", `{ "a" : [1.50, null, {"b": "x"}] }`, `{ "a" : [1.50, null, {"b": "x"}] }`},
		{"credential", `{"spec":{"credential":{"ssh_private_key":"k"},"x":1}}`, `{"spec":{"x":1}}`},
		{"first_and_last_members", `{"token":1,"a":2,"secret_x":3}`, `{"a":2}`},
		{"only_member", `{"password":"p"}`, `{}`},
		{"snake_case", `{"access_key":"a","new_secret_key":"s","my_password":"p","ok":true}`, `{"ok":true}`},
		{"any_case_and_separators", `{"Token":"t","accessKey":"a","Private-Key":"k","PASSWORD":"p","SecretAccessKey":"s","ok":1}`, `{"ok":1}`},
		{"separators_inside_the_words", `{"Pass-Word":"p","to_ken":"t","cre-den_tial":{"k":"v"},"ok":1}`, `{"ok":1}`},
		{"separator_after_the_first_letter", `{"t_oken":"t","P-assword":"p","a-_ccess_key":"a","ok":1}`, `{"ok":1}`},
		{"separated_repository_url", `{"conn_ection_info":{"url":"https://u:pw@h/r.git"}}`, `{"conn_ection_info":{"url":"https://h/r.git"}}`},
		{"escaped_names", `{"pass\u0077ord":"p","\u0074oken":"t","ok":1}`, `{"ok":1}`},
		{"camel_case_repository_url", `{"repository":{"connectionInfo":{"url":"https://ghp_tok@h/r.git"}}}`, `{"repository":{"connectionInfo":{"url":"https://h/r.git"}}}`},
		{"escaped_repository_url", `{"connection\u005finfo":{"\u0075rl":"ssh://git:pw@h/r"}}`, `{"connection_info":{"url":"ssh://git@h/r"}}`},
		{"inside_arrays", `[{"refresh_token":"t","n":1},[{"passwd":"p"}]]`, `[{"n":1},[{}]]`},
		{"repository_url", `{"connection_info":{"url":"https://u:pw@h/r.git","protocol":"https"}}`, `{"connection_info":{"url":"https://h/r.git","protocol":"https"}}`},
		{"url_elsewhere_kept", `{"connection_info":{},"annotations":{"url":"https://u:pw@h/"}}`, `{"connection_info":{},"annotations":{"url":"https://u:pw@h/"}}`},
		{"strings_and_numbers_as_written", `{"token":0,"d":"a\u00e9<b>","n":1e3,"m":-0.0}`, `{"d":"aé<b>","n":1e3,"m":-0.0}`},
		{"a_value_that_names_a_secret_is_a_value", `{"description":"my token is not here"}`, `{"description":"my token is not here"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := forCallers([]byte(tt.in))
			if err != nil || string(got) != tt.want {
				t.Errorf("forCallers(%s) = %s, %v; want %s", tt.in, got, err, tt.want)
			}
		})
	}
	// Text that is not one JSON value never reaches forCallers: reading
	// the answer fails first.
	for _, bad := range []string{`{"token":`, `{"token":1} {"b":2}`, `{"password":1,}`} {
		if err := vendorjson.Unmarshal([]byte(bad), new(devenvv1.Instance)); err == nil {
			t.Errorf("vendorjson.Unmarshal(%s) reads an instance", bad)
		}
	}
	// Except a number whose exponent has no digits, which the read takes
	// (as protojson does): forCallers refuses it with encoding/json's
	// error, as it did when it checked the text with json.Valid, rather
	// than pass on text that is not JSON.
	for _, bad := range []string{`{"token":"t","x":1e}`, `{ "token":"t", "x":1e }`, `{"token":"t","x":[1,-2E+]}`, `{"secret":"s","x":{"y":3e-}}`} {
		if err := vendorjson.Unmarshal([]byte(bad), new(devenvv1.Instance)); err != nil {
			t.Fatalf("vendorjson.Unmarshal(%s): %v; the read took it", bad, err)
		}
		got, err := forCallers([]byte(bad))
		var syntax *json.SyntaxError
		if !errors.As(err, &syntax) {
			t.Errorf("forCallers(%s) = %s, %v; want encoding/json's syntax error", bad, got, err)
		}
	}
	for _, ok := range []string{`{"token":"t","x":1e5,"y":true,"z":false,"w":-0.5E-3}`} {
		if got, err := forCallers([]byte(ok)); err != nil || !json.Valid(got) {
			t.Errorf("forCallers(%s) = %s, %v", ok, got, err)
		}
	}
}

func FuzzForCallers(f *testing.F) {
	f.Add(`{"spec":{"credential":{"k":"v"}},"a":[1,null,true]}`)
	f.Add(`{"connection_info":{"url":"ssh://git:pw@h/r"}}`)
	f.Add(`[{"Token":"x"},"password"]`)
	f.Add(`{"connectionInfo":{"url":"https://t@h/"},"pass\u0077ord":1}`)
	f.Add("2" + strings.Repeat("0", 320)) // beyond float64
	f.Fuzz(func(t *testing.T, in string) {
		if !json.Valid([]byte(in)) {
			return // read before, and refused (FuzzReadIsValid)
		}
		got, err := forCallers([]byte(in))
		if err != nil {
			return
		}
		checkNoSecrets(t, []byte(in), got)
	})
}

// FuzzReadIsValid keeps forCallers' premise: the answers it is given were
// read by vendorjson.Unmarshal without an error, and any text that reads
// into one of the answers forCallers copies, json.Valid accepts (so
// jsontok's scanner, which relies on the syntax having been checked, never
// walks anything else).
func FuzzReadIsValid(f *testing.F) {
	for _, s := range []string{
		`{"id":"DE-1","spec":{"credential":{"k":"v"}},"a":[1,null,true]}`,
		`{"instances":[{"id":"x","status":"RUNNING"}],"total":1}`,
		`{"data":[{"id":"x","token":"t"}],"total":1}`,
		`{"current_status":"A","Current_Status":"B"}`,
		`{"a":"\ud800","b":-0.0e+5,"c":"\u0000"}`,
		"{\"a\":\"\xff\"}", `{"x":1e}`, `{"x":[1E+,{"y":2e-}]}`, `{"token":1} {"b":2}`, `{"password":1,}`, `{"id":01}`, `{"id":"x"}x`,
	} {
		f.Add(s)
	}
	answers := []func() proto.Message{
		func() proto.Message { return new(devenvv1.Instance) },
		func() proto.Message { return new(devenvv1.ListInstancesResponse) },
		func() proto.Message { return new(devenvv1.ActOnInstanceResponse) },
		func() proto.Message { return new(notebookv1.Notebook) },
		func() proto.Message { return new(notebookv1.ListNotebooksResponse) },
	}
	f.Fuzz(func(t *testing.T, in string) {
		for _, m := range answers {
			msg := m()
			if vendorjson.Unmarshal([]byte(in), msg) == nil && !json.Valid([]byte(in)) && !noExponentDigitsIn(in) {
				t.Fatalf("vendorjson.Unmarshal reads %q into a %T, which json.Valid refuses", in, msg)
			}
		}
	})
}

// FuzzCutForCallers: where cutForCallers takes compact JSON, its copy is
// the one copyForCallers writes token by token, byte for byte; and the
// answers ModelArts sends (compact, as the emulator's) take that way.
func FuzzCutForCallers(f *testing.F) {
	for _, s := range []string{
		`{"token":1,"a":2,"secret_x":3}`, `{"a":{"password":"p","b":[{"token":1},{"x":"token"}]},"c":1}`,
		`{"connection_info":{"protocol":"https","url":"https://u:pw@h/r.git"},"token":"t"}`,
		`{"connection_info":{"url":"https://h/r.git"}}`, `{"description":"my token"}`, `[{"Token":"x"},"password"]`,
		`{"token":1, "a":2}`, "{\"token\":1,\"a\":\"\u00e9\u2028\"}", `{"token":1,"a":"\n"}`, `{"Token":{}}` + " ",
		`{"x":{},"token":[],"y":[{"z":null}]}`,
	} {
		f.Add(s)
	}
	f.Add(string(sampleNotebookList(f)))
	f.Fuzz(func(t *testing.T, in string) {
		if !json.Valid([]byte(in)) {
			return
		}
		got, ok := cutForCallers([]byte(in))
		if !ok {
			return
		}
		want, wantErr := copyForCallers([]byte(in))
		if wantErr != nil || !bytes.Equal(got, want) {
			t.Fatalf("cutForCallers(%q) = %q; copyForCallers: %q, %v", in, got, want, wantErr)
		}
	})
}

// TestCutForCallersTakesCompactAnswers: a list of notebooks as ModelArts
// and the emulator write it (compact, maybe with a newline after it)
// takes cutForCallers' way, and loses its tokens.
func TestCutForCallersTakesCompactAnswers(t *testing.T) {
	t.Parallel()
	raw := sampleNotebookList(t)
	want, err := copyForCallers(raw)
	if err != nil {
		t.Fatal(err)
	}
	// The emulator's answers end with a newline (encoding/json's Encoder).
	for _, in := range [][]byte{raw, append(raw, '\n'), append([]byte(" \n"), raw...)} {
		got, ok := cutForCallers(in)
		if !ok || !bytes.Equal(got, want) || bytes.Contains(got, []byte(`"token"`)) {
			t.Fatalf("cutForCallers = %.200s, %v; want the list without its tokens, %.200s", got, ok, want)
		}
	}
	if _, ok := cutForCallers([]byte(`{"token":1,"a": 1}`)); ok {
		t.Error("cutForCallers takes JSON with white space between tokens")
	}
}

// noExponentDigitsIn reports whether in has a number whose exponent has
// no digits (noExponentDigits), the one thing the read takes that
// json.Valid refuses, and is valid once each such number is given a digit.
func noExponentDigitsIn(in string) bool {
	raw := []byte(in)
	s := jsontok.New(raw)
	var fixed []byte
	last := 0
	for {
		kind, text, err := s.Next()
		if err != nil {
			break
		}
		if kind == jsontok.Literal && noExponentDigits(text) {
			end := cap(raw) - cap(text) + len(text) // text is raw[start:end]
			fixed = append(append(fixed, raw[last:end]...), '0')
			last = end
		}
	}
	return last > 0 && json.Valid(append(fixed, raw[last:]...))
}
