package jsontok_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"google.golang.org/protobuf/types/known/structpb"

	"github.com/devenv-facade/devenv-facade/internal/jsontok"
)

// decoderTokens returns the tokens of raw as encoding/json's Decoder reads them,
// written as jsontok's: the kind, then for a string its decoded value, for
// a literal its text.
func decoderTokens(t *testing.T, raw string) []string {
	t.Helper()
	d := json.NewDecoder(strings.NewReader(raw))
	d.UseNumber()
	var out []string
	for {
		tok, err := d.Token()
		if err != nil {
			return out
		}
		switch v := tok.(type) {
		case json.Delim:
			out = append(out, string(v))
		case string:
			out = append(out, `"`+v)
		case json.Number:
			out = append(out, "0"+v.String())
		case bool:
			out = append(out, fmt.Sprint("0", v))
		case nil:
			out = append(out, "0null")
		}
	}
}

// scannerTokens returns the tokens of raw as a Scanner reads them.
func scannerTokens(t *testing.T, raw string) []string {
	t.Helper()
	s := jsontok.New([]byte(raw))
	var out []string
	for {
		kind, text, err := s.Next()
		if errors.Is(err, jsontok.ErrUnexpected) {
			return out
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		switch kind {
		case '"':
			out = append(out, `"`+validUTF8(s.Unescape(text)))
		case jsontok.Literal:
			out = append(out, "0"+string(text))
		default:
			out = append(out, string(kind))
		}
	}
}

// validUTF8 returns b with each byte that is not part of a UTF-8
// character replaced by U+FFFD, as encoding/json decodes strings.
func validUTF8(b []byte) string {
	var out strings.Builder
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		out.WriteRune(r) // RuneError for an invalid byte (n == 1)
		b = b[n:]
	}
	return out.String()
}

func TestScanner(t *testing.T) {
	t.Parallel()
	for _, raw := range []string{
		`{}`,
		` { "a" : [ 1 , -2.5e3 , true , false , null , "x" ] , "b" : { } } `,
		`"only a string"`,
		`[[],[[]],{"":""}]`,
		`{"esc\"aped":"\\\/\b\f\n\r\t\u0041\u00e9\ud83d\ude00"}`,
		`{"lone":"\ud83d","lone2":"\ude00x","pair_broken":"\ud83d\u0041"}`,
	} {
		if got, want := scannerTokens(t, raw), decoderTokens(t, raw); !slices.Equal(got, want) {
			t.Errorf("%s:\n got %q\nwant %q", raw, got, want)
		}
	}
}

func TestSkip(t *testing.T) {
	t.Parallel()
	s := jsontok.New([]byte(`{"a":[1,{"b":[[]]}],"c":2}`))
	if kind, _, _ := s.Next(); kind != '{' {
		t.Fatalf("first token %q", kind)
	}
	if kind, text, _ := s.Next(); kind != '"' || string(text) != "a" {
		t.Fatalf("member %q %q", kind, text)
	}
	if err := s.SkipValue(); err != nil {
		t.Fatal(err)
	}
	if kind, text, _ := s.Next(); kind != '"' || string(text) != "c" {
		t.Fatalf("after the skipped value: %q %q; want the member c", kind, text)
	}
	if err := jsontok.New([]byte(`[1,[2`)).SkipValue(); !errors.Is(err, jsontok.ErrUnexpected) {
		t.Errorf("skipping a truncated value: %v; want ErrUnexpected", err)
	}
}

// TestNoAllocationPerToken: reading and skipping a document allocates
// nothing once the scanner is made, whatever its tokens.
func TestNoAllocationPerToken(t *testing.T) {
	raw := []byte(`{"a":[` + strings.Repeat(`0,"x",{"k":null},[true],`, 1000) + `1],"b\u0041":"\n"}`)
	s := jsontok.New(raw)
	n := testing.AllocsPerRun(10, func() {
		*s = *jsontok.New(raw)
		for {
			kind, text, err := s.Next()
			if err != nil {
				return
			}
			if kind == '"' {
				s.Unescape(text)
			}
		}
	})
	// One at most: a new Scanner's buffer for the one name with an escape
	// (the Scanner itself stays on the stack); the tokens none.
	if n > 1 {
		t.Errorf("%v allocations per read of %d bytes; want at most 1", n, len(raw))
	}
}

func TestFields(t *testing.T) {
	t.Parallel()
	md := (&structpb.Value{}).ProtoReflect().Descriptor()
	fields := jsontok.Fields(md)
	for _, name := range []string{"nullValue", "null_value", "structValue", "struct_value"} {
		if fields[name] == nil {
			t.Errorf("Fields(%s)[%q] is missing", md.FullName(), name)
		}
	}
	if fields["nullvalue"] != nil {
		t.Error("a name protojson does not read is found")
	}
}

// FuzzScanner: on any text encoding/json accepts, a Scanner reads the
// tokens its Decoder reads.
func FuzzScanner(f *testing.F) {
	f.Add(`{"a":[1,-2.5e3,true,false,null,"x\u0041\ud83d\ude00"],"b":{}}`)
	f.Add(`"\ud83d\u0041"`)
	f.Add(` [ ] `)
	f.Fuzz(func(t *testing.T, raw string) {
		if !json.Valid([]byte(raw)) {
			return
		}
		if got, want := scannerTokens(t, raw), decoderTokens(t, raw); !slices.Equal(got, want) {
			t.Fatalf("%q:\n got %q\nwant %q", raw, got, want)
		}
	})
}
