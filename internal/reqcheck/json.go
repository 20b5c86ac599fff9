package reqcheck

import (
	"bytes"
	"errors"
	"strconv"
	"strings"
	"sync"
	"unicode/utf16"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/devenv-facade/devenv-facade/internal/apierror"
)

// DecodeJSON decodes raw, one JSON value whose syntax encoding/json has
// already checked, into m with opts, after checking it (see the package
// comment) with a scan of its tokens that builds nothing: it reads them in
// place and allocates nothing per token. When the scan finds something, m
// receives nothing of raw (the call answers only what was found, and the
// request's IDs come from the path), and what was found is kept for m's
// call.
func (c *Checker) DecodeJSON(raw []byte, m proto.Message, opts protojson.UnmarshalOptions) error {
	s := jsonScan{raw: raw, checkUTF8: !utf8.Valid(raw)}
	if err := s.top(m.ProtoReflect().Descriptor()); err != nil {
		return err
	}
	decode := raw
	switch {
	case len(s.over) > 0 || s.utf8.vs.Len() > 0:
		// What was found is all the call answers; its IDs come from the
		// path.
		decode = []byte("{}")
	case s.checkUTF8:
		// Invalid UTF-8 in an unknown field, which the decoder would
		// refuse though it discards the field, is replaced unreported.
		decode = []byte(strings.ToValidUTF8(string(raw), "\uFFFD"))
	}
	if err := opts.Unmarshal(decode, m); err != nil {
		return err
	}
	if len(s.over) == 0 && s.utf8.vs.Len() == 0 {
		return nil
	}
	vs := new(apierror.Violations)
	for _, c := range s.over {
		vs.Add(overBound(c))
	}
	vs.Merge(&s.utf8.vs)
	return c.keep(m, vs)
}

// jsonScan walks a request's JSON tokens along its message descriptor,
// reading them from raw in place.
type jsonScan struct {
	raw []byte
	pos int // where the next token starts, or white space before it
	// checkUTF8 is set when raw holds invalid UTF-8, which only a string
	// can.
	checkUTF8 bool
	path      []byte
	over      []*count
	utf8      badUTF8
	// name holds a member's name with its escapes decoded, reused.
	name []byte
}

// errUnexpected is what a scan error wraps: raw does not hold what
// encoding/json let through.
var errUnexpected = errors.New("the request body is not JSON")

// A token's kind: its first byte ('{', '}', '[', ']'), '"' for a string,
// or literal for a number, true, false or null.
const literal = '0'

// token reads the next token, passing over white space and the ':' and
// ',' between tokens (raw's syntax is checked): its kind and, for a
// string, what stands between its quotes, escapes undecoded.
func (s *jsonScan) token() (kind byte, text []byte, err error) {
	for ; s.pos < len(s.raw); s.pos++ {
		switch c := s.raw[s.pos]; c {
		case ' ', '\t', '\n', '\r', ':', ',':
		case '{', '}', '[', ']':
			s.pos++
			return c, nil, nil
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
			return 0, nil, errUnexpected
		default:
			start := s.pos
			for s.pos < len(s.raw) && !endsLiteral(s.raw[s.pos]) {
				s.pos++
			}
			return literal, s.raw[start:s.pos], nil
		}
	}
	return 0, nil, errUnexpected
}

// endsLiteral reports whether c, after a number or literal, is past its
// end: white space, a separator or the start of another token.
func endsLiteral(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\r', ':', ',', '{', '}', '[', ']', '"':
		return true
	}
	return false
}

// top scans the request: an object of md, or anything the decoder then
// refuses.
func (s *jsonScan) top(md protoreflect.MessageDescriptor) error {
	kind, _, err := s.token()
	if err != nil {
		return err
	}
	if kind == '{' {
		return s.message(md)
	}
	return s.skip(kind)
}

// message scans the members of an object of md, after its "{".
func (s *jsonScan) message(md protoreflect.MessageDescriptor) error {
	fields := fieldsByName(md)
	for {
		kind, text, err := s.token()
		if err != nil || kind == '}' {
			return err
		}
		fd := fields[string(s.unescape(text))]
		if fd == nil {
			// Unknown: the decoder discards it.
			if err := s.skipValue(); err != nil {
				return err
			}
			continue
		}
		mark := len(s.path)
		if mark > 0 {
			s.path = append(s.path, '.')
		}
		s.path = append(s.path, fd.Name()...)
		err = s.fieldValue(fd)
		s.path = s.path[:mark]
		if err != nil {
			return err
		}
	}
}

// fieldValue scans the value of fd in a message.
func (s *jsonScan) fieldValue(fd protoreflect.FieldDescriptor) error {
	kind, text, err := s.token()
	if err != nil {
		return err
	}
	switch {
	case fd.IsList() && kind == '[':
		return s.list(fd)
	case fd.IsMap() && kind == '{':
		return s.mapObject(fd)
	case fd.IsList() || fd.IsMap():
		return s.skip(kind) // null, or what the decoder refuses
	}
	return s.single(fd, kind, text, whole)
}

// single scans one value of fd, whose first token is kind (text, for a
// string); p says what of the field at s.path the value is.
func (s *jsonScan) single(fd protoreflect.FieldDescriptor, kind byte, text []byte, p part) error {
	switch {
	case fd.Kind() == protoreflect.MessageKind && kind == '{' && !isWellKnown(fd.Message()):
		return s.message(fd.Message())
	case fd.Kind() == protoreflect.StringKind && kind == '"' && s.checkUTF8 && !utf8.Valid(text):
		s.utf8.add(s.path, p)
	}
	return s.skip(kind)
}

// list scans the elements of fd's array, after its "[": those past the
// bound are counted, not scanned.
func (s *jsonScan) list(fd protoreflect.FieldDescriptor) error {
	n, bound := 0, Bound(fd)
	mark := len(s.path)
	for {
		kind, text, err := s.token()
		if err != nil {
			return err
		}
		if kind == ']' {
			break
		}
		if n++; n > bound {
			if err := s.skip(kind); err != nil {
				return err
			}
			continue
		}
		s.path = append(strconv.AppendInt(append(s.path, '['), int64(n-1), 10), ']')
		err = s.single(fd, kind, text, whole)
		s.path = s.path[:mark]
		if err != nil {
			return err
		}
	}
	s.overIf(n, bound)
	return nil
}

// mapObject scans the members of fd's object, after its "{": those past
// the bound are counted, not scanned.
func (s *jsonScan) mapObject(fd protoreflect.FieldDescriptor) error {
	n, bound := 0, Bound(fd)
	for {
		kind, text, err := s.token()
		if err != nil {
			return err
		}
		if kind == '}' {
			break
		}
		n++
		if n <= bound {
			if err := s.single(fd.MapKey(), kind, text, mapKey); err != nil {
				return err
			}
		}
		if kind, text, err = s.token(); err != nil {
			return err
		}
		if n > bound {
			err = s.skip(kind)
		} else {
			err = s.single(fd.MapValue(), kind, text, mapValue)
		}
		if err != nil {
			return err
		}
	}
	s.overIf(n, bound)
	return nil
}

// overIf records the list or map at s.path if its n elements pass bound.
func (s *jsonScan) overIf(n, bound int) {
	if n > bound {
		s.over = append(s.over, &count{n: n, bound: bound, path: string(s.path)})
	}
}

// skipValue skips the next value.
func (s *jsonScan) skipValue() error {
	kind, _, err := s.token()
	if err != nil {
		return err
	}
	return s.skip(kind)
}

// skip skips the rest of the value whose first token is kind.
func (s *jsonScan) skip(kind byte) error {
	if kind != '{' && kind != '[' {
		return nil
	}
	for depth := 1; depth > 0; {
		kind, _, err := s.token()
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

// unescape returns text, a string's content, with its escapes decoded (in
// s.name, reused; text itself when it has none). A \u escape that is not
// a whole UTF-16 character becomes U+FFFD, as encoding/json decodes it.
func (s *jsonScan) unescape(text []byte) []byte {
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

// byName caches fieldsByName's maps, by message descriptor.
var byName sync.Map

// fieldsByName returns md's fields by the names protojson looks members
// up by: JSON name, then proto name. A lookup in it with a []byte
// converted allocates nothing, where FieldDescriptors' take a string.
func fieldsByName(md protoreflect.MessageDescriptor) map[string]protoreflect.FieldDescriptor {
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

// isWellKnown reports whether md is one of protobuf's well-known types,
// which have their own JSON forms (no request of the API has one).
func isWellKnown(md protoreflect.MessageDescriptor) bool {
	return md.ParentFile().Package() == "google.protobuf"
}
