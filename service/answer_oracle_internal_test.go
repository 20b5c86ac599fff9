package service

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
)

// forCallers returns raw, the vendor's JSON of an instance or a list
// (already read as such), without what callers must not see: the members
// secretKey names, and the password or token in a repository's
// connection_info.url (repositoryURL). Everything else is kept as
// ModelArts wrote it. raw itself is returned when it can hold none of
// that (suspect: the common case, one pass and a search per word);
// otherwise the JSON is written anew, in the same order.
func forCallersDecoder(raw []byte) ([]byte, error) {
	if !suspect(raw) {
		return raw, nil
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var out bytes.Buffer
	out.Grow(len(raw))
	if err := copyValueDecoder(d, &out, "", ""); err != nil {
		return nil, err
	}
	if _, err := d.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("vendor JSON: data after the value")
	}
	return out.Bytes(), nil
}

// copyValue copies the next JSON value of d to out, without the members
// secretKey names; key is the member the value belongs to ("" in an array
// or at the top) and parent the member of the object around it, both
// folded (foldKey).
func copyValueDecoder(d *json.Decoder, out *bytes.Buffer, parent, key string) error {
	tok, err := d.Token()
	if err != nil {
		return err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			out.WriteByte('{')
			first := true
			for d.More() {
				k, err := d.Token()
				if err != nil {
					return err
				}
				name, _ := k.(string)
				if secretKey(name) {
					var skip json.RawMessage
					if err := d.Decode(&skip); err != nil {
						return err
					}
					continue
				}
				if !first {
					out.WriteByte(',')
				}
				first = false
				writeJSONDecoder(out, name)
				out.WriteByte(':')
				if err := copyValueDecoder(d, out, key, foldKey(name)); err != nil {
					return err
				}
			}
			out.WriteByte('}')
		case '[':
			out.WriteByte('[')
			for i := 0; d.More(); i++ {
				if i > 0 {
					out.WriteByte(',')
				}
				if err := copyValueDecoder(d, out, key, ""); err != nil {
					return err
				}
			}
			out.WriteByte(']')
		}
		_, err := d.Token() // the closing delimiter
		return err
	case string:
		if parent == "connectioninfo" && key == "url" {
			t = repositoryURL(t)
		}
		writeJSONDecoder(out, t)
	case json.Number:
		out.WriteString(t.String())
	case bool, nil:
		writeJSONDecoder(out, t)
	}
	return nil
}

// writeJSON writes a string, bool or null as JSON.
func writeJSONDecoder(out *bytes.Buffer, v any) {
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v) // cannot fail for these
	out.Truncate(out.Len() - 1)
}

// FuzzForCallersDifferential checks forCallers against forCallersDecoder,
// the way it was written before: the same answer, byte for byte, or the
// same error, for any text that is one JSON value (any other is refused
// when the answer is read, before forCallers).
func FuzzForCallersDifferential(f *testing.F) {
	for _, s := range []string{
		`{"spec":{"credential":{"k":"v"}},"a":[1,null,true]}`,
		`{"connection_info":{"url":"ssh://git:pw@h/r"}}`,
		`[{"Token":"x"},"password"]`,
		`{"connectionInfo":{"url":"https://t@h/"},"pass\u0077ord":1}`,
		`{ "token" : 1 , "a" : [ 1.50 , -0.0e+5 , "\u003c\/\b\f\n\u2028\ud800x" ] }`,
		"{\"token\":1,\"a\":\"\xff\xc3\u2029\x7f<&>\"}",
		"{\"token\":1,\"a\":\"\u2028\",\"b\":\"\u2029\x7f<&>\"}",
		`{"token":`, `{"token":1} {"b":2}`, `{"password":1,}`, `{"token":1}  `, ``, `{"token":[1,}`,
		"2" + strings.Repeat("0", 320),
	} {
		f.Add(s)
	}
	if nb, err := os.ReadFile("../internal/emulator/testdata/notebook-reference/show-response.json"); err == nil {
		f.Add(string(nb))
	}
	f.Fuzz(func(t *testing.T, in string) {
		if !json.Valid([]byte(in)) {
			return // read before, and refused (FuzzReadIsValid)
		}
		got, err := forCallers([]byte(in))
		want, wantErr := forCallersDecoder([]byte(in))
		if fmt.Sprint(err) != fmt.Sprint(wantErr) || !bytes.Equal(got, want) {
			t.Fatalf("forCallers(%q) = %q, %v; before: %q, %v", in, got, err, want, wantErr)
		}
	})
}

// sampleNotebookList returns a list of 100 notebooks as ModelArts' notebook API
// answers it (ListNotebooks' "data"), each the vendor's sample notebook,
// which holds a token.
func sampleNotebookList(tb testing.TB) []byte {
	tb.Helper()
	return sampleNotebooks(tb, 100)
}

// sampleNotebooks returns a list of n notebooks, as sampleNotebookList.
func sampleNotebooks(tb testing.TB, n int) []byte {
	tb.Helper()
	nb, err := os.ReadFile("../internal/emulator/testdata/notebook-reference/show-response.json")
	if err != nil {
		tb.Fatal(err)
	}
	var b bytes.Buffer
	b.WriteString(`{"current":0,"data":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		if err := json.Compact(&b, nb); err != nil {
			tb.Fatal(err)
		}
	}
	fmt.Fprintf(&b, `],"pages":1,"size":%d,"total":%d}`, n, n)
	return b.Bytes()
}

// BenchmarkForCallers drops the tokens of a list of 100 notebooks, the
// work the REST mirror adds to ListNotebooks: cut is forCallers (its
// bytes cut, cutForCallers), copy the copy token by token it falls back
// on (copyForCallers), Decoder the way it was done before
// (forCallersDecoder).
func BenchmarkForCallers(b *testing.B) {
	raw := sampleNotebookList(b)
	for _, bm := range []struct {
		name string
		f    func([]byte) ([]byte, error)
	}{{"cut", forCallers}, {"copy", copyForCallers}, {"Decoder", forCallersDecoder}} {
		b.Run(bm.name, func(b *testing.B) {
			b.SetBytes(int64(len(raw)))
			b.ReportAllocs()
			for b.Loop() {
				if out, err := bm.f(raw); err != nil || bytes.Contains(out, []byte(`"token"`)) {
					b.Fatalf("%s, %v", out, err)
				}
			}
		})
	}
}

// TestForCallersNotebookList checks that a list of notebooks loses each
// notebook's token and nothing else of what the way before kept.
func TestForCallersNotebookList(t *testing.T) {
	t.Parallel()
	raw := sampleNotebookList(t)
	got, err := forCallers(raw)
	want, wantErr := forCallersDecoder(raw)
	if err != nil || wantErr != nil || !bytes.Equal(got, want) {
		t.Fatalf("forCallers = %.200s, %v; before: %.200s, %v", got, err, want, wantErr)
	}
	if bytes.Contains(got, []byte(`"token"`)) || !bytes.Contains(raw, []byte(`"token"`)) {
		t.Fatalf("forCallers left a token, or the list has none: %.300s", got)
	}
}
