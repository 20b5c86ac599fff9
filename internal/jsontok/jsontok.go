// Package jsontok reads the tokens of JSON text whose syntax has already
// been checked (by encoding/json, say) in place: a token is its kind and,
// for a string or a literal, a slice of the text, so reading a document
// allocates nothing per token, whatever its shape. It serves the walks of
// a request's body that must cost memory in proportion to the body's size
// with a small constant (package reqcheck's check, the REST mirror's
// description of a body it cannot read), where encoding/json's
// Decoder.Token allocates for every token. [Fields] finds the field of a
// protobuf message that a member names, without allocating either.
package jsontok

import (
	"bytes"
	"errors"
	"sync"
	"unicode/utf16"
	"unicode/utf8"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// Kind is a token's kind: its first byte for '{', '}', '[', ']' and '"'
// (a string), [Literal] for a number, true, false or null.
type Kind byte

// Literal is the kind of a number, true, false or null.
const Literal Kind = '0'

// ErrUnexpected is the error of a [Scanner] that finds the text ends
// before it should: the text does not hold JSON whose syntax was checked.
var ErrUnexpected = errors.New("jsontok: the text ends inside a value or before one")

// Scanner reads the tokens of one JSON text. The zero value is not
// usable; make one with [New].
type Scanner struct {
	raw []byte
	pos int // where the next token starts, or white space before it
	// name holds a string with its escapes decoded, reused by Unescape.
	name []byte
}

// New returns a Scanner of raw, JSON text whose syntax has been checked;
// it reads raw in place and never changes it.
func New(raw []byte) *Scanner {
	return &Scanner{raw: raw}
}

// Next reads the next token, passing over white space and the ':' and ','
// between tokens (the syntax is checked: they are where they should be):
// its kind and, for a string, what stands between its quotes, escapes
// undecoded ([Scanner.Unescape] decodes them), or for a literal its text.
// The text is a slice of the scanned text. At the end of the text it
// returns ErrUnexpected.
func (s *Scanner) Next() (kind Kind, text []byte, err error) {
	for ; s.pos < len(s.raw); s.pos++ {
		switch c := s.raw[s.pos]; c {
		case ' ', '\t', '\n', '\r', ':', ',':
		case '{', '}', '[', ']':
			s.pos++
			return Kind(c), nil, nil
		case '"':
			start := s.pos + 1
			for i := start; i < len(s.raw); i++ {
				switch s.raw[i] {
				case '\\':
					i++ // the escaped character is not the end
				case '"':
					s.pos = i + 1
					return '"', s.raw[start:i], nil
				}
			}
			return 0, nil, ErrUnexpected
		default:
			start := s.pos
			for s.pos < len(s.raw) && !endsLiteral(s.raw[s.pos]) {
				s.pos++
			}
			return Literal, s.raw[start:s.pos], nil
		}
	}
	return 0, nil, ErrUnexpected
}

// Offset returns where in the text the scanner is: just past the last
// token read (before any white space or separator that follows it).
func (s *Scanner) Offset() int { return s.pos }

// endsLiteral reports whether c, after a number or literal, is past its
// end: white space, a separator or the start of another token.
func endsLiteral(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\r', ':', ',', '{', '}', '[', ']', '"':
		return true
	}
	return false
}

// Skip skips the rest of the value whose first token, just read, is of
// kind: nothing for a string or a literal, up to the matching '}' or ']'
// for an object or an array.
func (s *Scanner) Skip(kind Kind) error {
	if kind != '{' && kind != '[' {
		return nil
	}
	for depth := 1; depth > 0; {
		kind, _, err := s.Next()
		if err != nil {
			return err
		}
		switch kind {
		case '{', '[':
			depth++
		case '}', ']':
			depth--
		}
	}
	return nil
}

// SkipValue skips the next value.
func (s *Scanner) SkipValue() error {
	kind, _, err := s.Next()
	if err != nil {
		return err
	}
	return s.Skip(kind)
}

// Unescape returns text, a string's content as [Scanner.Next] returns it,
// with its escapes decoded: text itself when it has none, else a buffer of
// s's that the next call reuses. A \u escape that is not a whole UTF-16
// character becomes U+FFFD, as encoding/json decodes it.
func (s *Scanner) Unescape(text []byte) []byte {
	i := bytes.IndexByte(text, '\\')
	if i < 0 {
		return text
	}
	out := append(s.name[:0], text[:i]...)
	for i < len(text) {
		c := text[i]
		if c != '\\' || i+1 == len(text) {
			out = append(out, c)
			i++
			continue
		}
		i += 2
		switch e := text[i-1]; e {
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, n := hex4(text[i:])
			i += n
			if utf16.IsSurrogate(r) {
				r2, n2 := rune(-1), 0
				if len(text) > i+1 && text[i] == '\\' && text[i+1] == 'u' {
					r2, n2 = hex4(text[i+2:])
				}
				if r = utf16.DecodeRune(r, r2); r != utf8.RuneError {
					i += 2 + n2
				}
			}
			out = utf8.AppendRune(out, r)
		default: // '"', '\\', '/'
			out = append(out, e)
		}
	}
	s.name = out
	return out
}

// hex4 reads the four hexadecimal digits of a \u escape at the start of b:
// the code unit and how many bytes it took (U+FFFD and what was read, if
// they are not four hexadecimal digits).
func hex4(b []byte) (rune, int) {
	var r rune
	for i := range 4 {
		if i == len(b) {
			return utf8.RuneError, i
		}
		var d byte
		switch c := b[i]; {
		case '0' <= c && c <= '9':
			d = c - '0'
		case 'a' <= c && c <= 'f':
			d = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			d = c - 'A' + 10
		default:
			return utf8.RuneError, i
		}
		r = r<<4 | rune(d)
	}
	return r, 4
}

// byName caches Fields's maps, by message descriptor.
var byName sync.Map

// Fields returns the fields of md, a message's descriptor, by the names
// protojson reads its members by: JSON name, then proto name. A lookup in
// it with a []byte converted (m[string(name)]) allocates nothing, where
// protoreflect.FieldDescriptors' lookups take a string. The map is made
// once per descriptor and shared: do not change it.
func Fields(md protoreflect.MessageDescriptor) map[string]protoreflect.FieldDescriptor {
	if m, ok := byName.Load(md); ok {
		return m.(map[string]protoreflect.FieldDescriptor)
	}
	fields := md.Fields()
	m := make(map[string]protoreflect.FieldDescriptor, 2*fields.Len())
	for i := range fields.Len() {
		m[fields.Get(i).TextName()] = fields.Get(i)
	}
	for i := range fields.Len() { // JSON names win, as they are looked up first
		m[fields.Get(i).JSONName()] = fields.Get(i)
	}
	byName.Store(md, m)
	return m
}
