package service

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// answerGen builds a vendor-like JSON answer from a fuzzer's bytes, each
// choice taking one byte (0 once they run out), so that mutating the bytes
// mutates the answer's shape: objects and arrays at any depth, members
// named as secrets (any case, "_" and "-" inside the words), URLs with
// user info in connection_info, strings with escapes, non-ASCII and
// U+2028, numbers with and without exponent digits, white space.
type answerGen struct {
	b []byte
	// plain says every choice so far leaves the answer compact, each of its
	// strings as copyForCallers writes it, and each of its numbers one
	// copyForCallers takes: cutForCallers must take it.
	plain bool
}

func (g *answerGen) pick(n int) int {
	if len(g.b) == 0 {
		return 0
	}
	c := int(g.b[0])
	g.b = g.b[1:]
	return c % n
}

var (
	genNames = []string{"id", "name", "status", "token", "Token", "to_ken", "TOKEN", "auth_token", "tokens",
		"password", "Pass-Word", "passwd", "my_password", "secret", "secretAccessKey", "SecretKey",
		"credential", "Cre-den_tial", "ssh_private_key", "privateKey", "access_key", "AccessKey",
		"connection_info", "connectionInfo", "Connection-Info", "conn_ection_info", "url", "URL", "u_rl",
		"protocol", "description", "t_oken", "P-assword", "a-_ccess_key", "_token", "-Connection_Info", "__connection-info_", "tok", "pass", "", "é", "to\u2028ken", "tok\\u0065n", "pass\\\"word"}
	genStrings = []string{"", "x", "RUNNING", "https://u:pw@h/r.git", "ssh://git:pw@h/r", "https://ghp_tok@h/r",
		"git:pw@host:r.git", "https://h/r.git", "my token is here", "password", "é中", "a b", "<&>",
		"\u2028", "\\u0074oken", "\\n", "\\\"", "\\/", "https://u:p\\u0040w@h/", "{\\\"token\\\":1}", "}],{["}
	genLiterals = []string{"0", "1", "-1.5", "1e3", "-0.0E+5", "true", "false", "null", "12345678901234567890"}
	// genOdd are what makes an answer one cutForCallers need not take: a
	// number without exponent digits, an invalid UTF-8 byte.
	genOdd   = []string{"1e", "2E+", "-3e-", "\"\xff\"", "\"\xc3\""}
	genSpace = []string{" ", "\n", "\t", "\r\n", "  "}
)

// value appends a value of at most depth levels.
func (g *answerGen) value(out []byte, depth int, connInfo bool) []byte {
	k := g.pick(10)
	if depth <= 0 && k < 5 {
		k += 5
	}
	switch {
	case k < 3:
		return g.object(out, depth-1, connInfo)
	case k < 5:
		out = append(out, '[')
		for i, n := 0, g.pick(4); i < n; i++ {
			if i > 0 {
				out = g.sep(out, ',')
			}
			out = g.value(out, depth-1, false)
		}
		return append(out, ']')
	case k < 8:
		return g.str(out, genStrings)
	case k == 8 && g.pick(8) == 0:
		g.plain = false
		return append(out, genOdd[g.pick(len(genOdd))]...)
	default:
		return append(out, genLiterals[g.pick(len(genLiterals))]...)
	}
}

// object appends an object; in connection_info (connInfo) it mostly has a url.
func (g *answerGen) object(out []byte, depth int, connInfo bool) []byte {
	out = append(out, '{')
	for i, n := 0, g.pick(6); i < n; i++ {
		if i > 0 {
			out = g.sep(out, ',')
		}
		var name string
		if connInfo && g.pick(2) == 0 {
			name = []string{"url", "URL", "u-rl", "Url"}[g.pick(4)]
		} else {
			name = genNames[g.pick(len(genNames))]
		}
		out = g.str(out, []string{name})
		out = g.sep(out, ':')
		f := foldKey(name)
		if strings.Contains(name, `\`) {
			f = "" // an escaped name: left to the fall-back
		}
		if f == "url" && connInfo && g.pick(3) > 0 {
			out = g.str(out, genStrings[3:10])
		} else {
			out = g.value(out, depth, f == "connectioninfo")
		}
	}
	return append(out, '}')
}

// str appends one of strs as a JSON string (strs hold JSON string
// contents, escapes and all).
func (g *answerGen) str(out []byte, strs []string) []byte {
	s := strs[g.pick(len(strs))]
	if strings.ContainsAny(s, "\\\u2028") {
		g.plain = false
	}
	out = append(out, '"')
	out = append(out, s...)
	return append(out, '"')
}

// sep appends c, now and then with white space around it.
func (g *answerGen) sep(out []byte, c byte) []byte {
	if g.pick(16) == 0 {
		g.plain = false
		out = append(out, genSpace[g.pick(len(genSpace))]...)
	}
	return append(out, c)
}

// FuzzCutAgainstCopy: on answers built from the fuzzer's bytes (answerGen)
// and on a list of notebooks with members put in at places the bytes
// choose, forCallers' fast way (cutForCallers) writes what the token by
// token copy (copyForCallers) writes, byte for byte, wherever it takes an
// answer; it takes every compact, plain one; forCallers writes what it
// wrote before (forCallersDecoder); and no secret reaches its answer.
func FuzzCutAgainstCopy(f *testing.F) {
	for _, s := range []string{"", "\x00", "\x02\x05\x03", "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09",
		"\x01\x05\x16\x00\x03\x00\x16\x01\x07\x00\x03", strings.Repeat("\x00\x03\x11\x02\x01", 20)} {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	list := sampleNotebooks(f, 3)
	f.Fuzz(func(t *testing.T, seed []byte, inList bool) {
		g := answerGen{b: seed, plain: true}
		var in []byte
		if inList {
			in = g.intoList(list)
		} else {
			in = g.value(nil, 6, false)
			if g.pick(8) == 0 {
				in = append(append([]byte(" \n"), in...), '\n')
			}
		}
		checkCut(t, in, g.plain)
	})
}

// intoList puts members and white space built from g into a copy of list
// (compact, whose strings hold no '"' or '{'), where g chooses.
func (g *answerGen) intoList(list []byte) []byte {
	var out []byte
	for i := 0; i < len(list); i++ {
		c := list[i]
		if c == '"' {
			j := bytes.IndexByte(list[i+1:], '"')
			out = append(out, list[i:i+j+2]...)
			i += j + 1
			continue
		}
		out = append(out, c)
		if c == '{' && g.pick(6) == 0 {
			if o := g.object(nil, 3, g.pick(2) == 0); len(o) > 2 {
				out = append(out, o[1:len(o)-1]...)
				if list[i+1] != '}' {
					out = g.sep(out, ',')
				}
			}
		}
		if c == ',' && g.pick(40) == 0 {
			g.plain = false
			out = append(out, ' ')
		}
	}
	return out
}

// checkCut checks forCallers' ways on in (see FuzzCutAgainstCopy); plain
// says cutForCallers must take it.
func checkCut(t *testing.T, in []byte, plain bool) {
	t.Helper()
	if !json.Valid(in) && !noExponentDigitsIn(string(in)) {
		if plain {
			t.Fatalf("answerGen built %q, which is not JSON", in)
		}
		return // refused when read (FuzzReadIsValid)
	}
	want, wantErr := copyForCallers(in)
	got, ok := cutForCallers(in)
	if ok && (wantErr != nil || !bytes.Equal(got, want)) {
		t.Fatalf("cutForCallers(%q) = %q; copyForCallers: %q, %v", in, got, want, wantErr)
	}
	if plain && !ok && wantErr == nil {
		t.Fatalf("cutForCallers does not take %q, compact and plain", in)
	}
	out, err := forCallers(in)
	if json.Valid(in) {
		before, beforeErr := forCallersDecoder(in)
		if fmt.Sprint(err) != fmt.Sprint(beforeErr) || !bytes.Equal(out, before) {
			t.Fatalf("forCallers(%q) = %q, %v; before: %q, %v", in, out, err, before, beforeErr)
		}
	}
	// An answer with no suspect word is passed on as it is, even with a
	// number json.Valid refuses ("1e": the read takes it).
	if err == nil && (json.Valid(in) || suspect(in)) {
		checkNoSecrets(t, in, out)
	}
}

// checkNoSecrets fails t when out, forCallers' answer to in, holds a
// member secretKey names, or a repository URL with its secret.
func checkNoSecrets(t *testing.T, in, out []byte) {
	t.Helper()
	var v any
	d := json.NewDecoder(bytes.NewReader(out))
	d.UseNumber()
	if err := d.Decode(&v); err != nil {
		t.Fatalf("forCallers(%q) = %q: not JSON: %v", in, out, err)
	}
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case []any:
			for _, e := range v {
				walk(e)
			}
		case map[string]any:
			for k, e := range v {
				if secretKey(k) {
					t.Fatalf("forCallers(%q) = %q: member %q is left", in, out, k)
				}
				if foldKey(k) == "connectioninfo" {
					if ci, ok := e.(map[string]any); ok {
						for n, u := range ci {
							if u, ok := u.(string); ok && foldKey(n) == "url" && u != repositoryURL(u) {
								t.Fatalf("forCallers(%q) = %q: url %q keeps its secret", in, out, u)
							}
						}
					}
				}
				walk(e)
			}
		}
	}
	walk(v)
}
