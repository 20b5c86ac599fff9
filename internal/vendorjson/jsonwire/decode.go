// Package jsonwire is the runtime of the generated vendor JSON code
// (package codec, written by protoc-gen-vendorjson): a single-pass,
// validating JSON reader and an appending writer, without reflection.
//
// The reader accepts exactly what protojson accepts with DiscardUnknown
// (the reference that package vendorjson's tests compare it with): the
// same tokens (numbers, literals and strings as protojson's tokenizer
// reads them), integers as numbers or strings with protojson's rules for
// fractions and exponents, the same recursion limit. The writer writes
// what vendorjson's reflective writer writes, byte for byte.
package jsonwire

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
)

// recursionLimit is protojson's default (protowire.DefaultRecursionLimit):
// how deeply messages may nest.
const recursionLimit = 10000

// Decoder reads one JSON document. The generated code drives it: a
// message is [Decoder.Enter], [Decoder.OpenObject], then
// [Decoder.NextMember] until it reports the end of the object, each
// member's value read with the method of its type, or skipped
// ([Decoder.Skip]).
type Decoder struct {
	buf   []byte
	pos   int
	depth int    // messages that may still be entered
	tmp   []byte // unescaped names

	chunk   []byte // text (see alloc.go)
	strings []string
	int32s  []int32
	int64s  []int64
	bools   []bool
}

// Reset makes d read b from its start.
func (d *Decoder) Reset(b []byte) {
	*d = Decoder{buf: b, depth: recursionLimit, tmp: d.tmp[:0]}
}

// Error is a reading error: what is wrong, and where in the input.
type Error struct {
	Offset int // bytes from the start of the input
	Line   int // 1-based
	Column int // 1-based, in runes
	Msg    string
}

// Error says what is wrong and where: "(line L:C): message", as protojson
// says it.
func (e *Error) Error() string {
	return fmt.Sprintf("(line %d:%d): %s", e.Line, e.Column, e.Msg)
}

// errorAt returns an error at offset off of the input.
func (d *Decoder) errorAt(off int, format string, args ...any) error {
	if off > len(d.buf) {
		off = len(d.buf)
	}
	line := 1 + bytes.Count(d.buf[:off], []byte{'\n'})
	last := bytes.LastIndexByte(d.buf[:off], '\n')
	col := utf8.RuneCount(d.buf[last+1:off]) + 1
	return &Error{Offset: off, Line: line, Column: col, Msg: fmt.Sprintf(format, args...)}
}

// errUnexpectedEOF is the error of an input that ends inside a value.
var errUnexpectedEOF = errors.New("unexpected EOF")

func (d *Decoder) eof() error {
	return d.errorAt(len(d.buf), "%v", errUnexpectedEOF)
}

// ws skips whitespace and returns the next byte, or 0 at the end.
func (d *Decoder) ws() byte {
	for d.pos < len(d.buf) {
		switch c := d.buf[d.pos]; c {
		case ' ', '\n', '\r', '\t':
			d.pos++
		default:
			return c
		}
	}
	return 0
}

// unexpected returns the error of an unexpected token at d.pos.
func (d *Decoder) unexpected() error {
	if d.pos >= len(d.buf) {
		return d.eof()
	}
	return d.errorAt(d.pos, "syntax error: unexpected %s", d.tokenText(d.pos))
}

// tokenText returns the text of what starts at off, quoted, for errors.
func (d *Decoder) tokenText(off int) string {
	const most = 32
	end := off
	if off < len(d.buf) && d.buf[off] == '"' {
		// A string, to its closing quote (escapes not minded).
		end++
		for end < len(d.buf) && end-off < most && d.buf[end] != '"' {
			end++
		}
		if end < len(d.buf) && d.buf[end] == '"' {
			end++
		}
		return strconv.Quote(string(d.buf[off:end]))
	}
	for end < len(d.buf) && end-off < most && !isDelim(d.buf[end]) {
		end++
	}
	if end == off && off < len(d.buf) {
		end++
	}
	return strconv.Quote(string(d.buf[off:end]))
}

// isDelim says whether c ends a number or a literal, as protojson's
// tokenizer decides it.
func isDelim(c byte) bool {
	return !(c == '-' || c == '+' || c == '.' || c == '_' ||
		'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9')
}

// End checks that nothing but whitespace follows the document.
func (d *Decoder) End() error {
	if d.ws() != 0 || d.pos < len(d.buf) {
		return d.unexpected()
	}
	return nil
}

// Enter counts a message entered, failing beyond the recursion limit;
// [Decoder.Leave] counts it left.
func (d *Decoder) Enter() error {
	d.depth--
	if d.depth < 0 {
		return d.errorAt(d.pos, "exceeded max recursion depth")
	}
	return nil
}

// Leave counts a message left (see [Decoder.Enter]).
func (d *Decoder) Leave() { d.depth++ }

// OpenObject reads the '{' of an object.
func (d *Decoder) OpenObject() error {
	if d.ws() != '{' {
		return d.unexpected()
	}
	d.pos++
	return nil
}

// OpenArray reads the '[' of an array.
func (d *Decoder) OpenArray() error {
	if d.ws() != '[' {
		return d.unexpected()
	}
	d.pos++
	return nil
}

// NextMember reads up to the next member's value in an object: the ','
// before it (unless first), its name and ':'. It returns more false, after
// reading the '}', at the end of the object. The name is valid until the
// next call.
func (d *Decoder) NextMember(first bool) (name []byte, more bool, err error) {
	c := d.ws()
	if c == '}' {
		d.pos++
		return nil, false, nil
	}
	if !first {
		if c != ',' {
			return nil, false, d.unexpected()
		}
		d.pos++
		c = d.ws()
	}
	if c != '"' {
		return nil, false, d.unexpected()
	}
	name, err = d.str(true)
	if err != nil {
		return nil, false, err
	}
	if d.ws() != ':' {
		if d.pos >= len(d.buf) {
			return nil, false, d.eof()
		}
		return nil, false, d.errorAt(d.pos, "syntax error: unexpected character %q, missing \":\" after field name", d.buf[d.pos])
	}
	d.pos++
	return name, true, nil
}

// NextElement reads up to the next element of an array: the ',' before it
// (unless first). It returns more false, after reading the ']', at the end
// of the array.
func (d *Decoder) NextElement(first bool) (more bool, err error) {
	c := d.ws()
	if c == ']' {
		d.pos++
		return false, nil
	}
	if !first {
		if c != ',' {
			return false, d.unexpected()
		}
		d.pos++
		if d.ws() == ']' {
			return false, d.unexpected()
		}
	}
	return true, nil
}

// Mark records that the member name (of field index i) was read from the
// object whose seen bits are seen, failing if it was read before (under
// either of its names).
func (d *Decoder) Mark(seen []uint64, i int, name []byte) error {
	w, bit := i/64, uint64(1)<<(i%64)
	if seen[w]&bit != 0 {
		return d.errorAt(d.pos, "duplicate field %q", name)
	}
	seen[w] |= bit
	return nil
}

// Null reads a null, if the next value is one.
func (d *Decoder) Null() bool {
	if d.ws() == 'n' && d.literal("null") {
		return true
	}
	return false
}

// literal reads lit (null, true, false) at d.pos, if it is there,
// delimited.
func (d *Decoder) literal(lit string) bool {
	end := d.pos + len(lit)
	if end > len(d.buf) || string(d.buf[d.pos:end]) != lit || end < len(d.buf) && !isDelim(d.buf[end]) {
		return false
	}
	d.pos = end
	return true
}

// invalid returns the error of a value at off that field (its JSON name)
// of kind does not take.
func (d *Decoder) invalid(off int, kind, field string) error {
	if off >= len(d.buf) {
		return d.eof()
	}
	return d.errorAt(off, "invalid value for %s field %s: %s", kind, field, d.tokenText(off))
}

// String reads a string, the value of field (its JSON name, for errors).
func (d *Decoder) String(field string) (string, error) {
	if d.ws() != '"' {
		return "", d.value(field, "string")
	}
	b, err := d.str(false)
	if err != nil {
		return "", err
	}
	return d.text(b), nil
}

// value returns the error of a value of the wrong type for field: the
// value's own syntax error, if it has one.
func (d *Decoder) value(field, kind string) error {
	off := d.pos
	if err := d.Skip(); err != nil {
		return err
	}
	return d.invalid(off, kind, field)
}

// Bool reads true or false.
func (d *Decoder) Bool(field string) (bool, error) {
	switch d.ws() {
	case 't':
		if d.literal("true") {
			return true, nil
		}
	case 'f':
		if d.literal("false") {
			return false, nil
		}
	}
	return false, d.value(field, "bool")
}

// Int32 reads a 32-bit integer: a number or a string holding one.
func (d *Decoder) Int32(field string) (int32, error) {
	n, err := d.integer(field, "int32", 32)
	return int32(n), err
}

// Int64 reads a 64-bit integer: a number or a string holding one.
func (d *Decoder) Int64(field string) (int64, error) {
	return d.integer(field, "int64", 64)
}

func (d *Decoder) integer(field, kind string, bits int) (int64, error) {
	var off int
	var num []byte
	switch c := d.ws(); {
	case c == '-' || '0' <= c && c <= '9':
		off = d.pos
		n, ok := numberLen(d.buf[d.pos:])
		if !ok {
			return 0, d.value(field, kind)
		}
		num = d.buf[d.pos : d.pos+n]
		d.pos += n
	case c == '"':
		off = d.pos
		s, err := d.str(false)
		if err != nil {
			return 0, err
		}
		if n, ok := numberLen(s); !ok || n != len(s) {
			return 0, d.invalid(off, kind, field)
		}
		num = s
	default:
		return 0, d.value(field, kind)
	}
	v, ok := parseInt(num, bits)
	if !ok {
		return 0, d.invalid(off, kind, field)
	}
	return v, nil
}

// Double reads a 64-bit float: a number, or a string holding one or
// "NaN", "Infinity", "-Infinity".
func (d *Decoder) Double(field string) (float64, error) {
	const kind = "double"
	var num []byte
	var off int
	switch c := d.ws(); {
	case c == '-' || '0' <= c && c <= '9':
		off = d.pos
		n, ok := numberLen(d.buf[d.pos:])
		if !ok {
			return 0, d.value(field, kind)
		}
		num = d.buf[d.pos : d.pos+n]
		d.pos += n
	case c == '"':
		off = d.pos
		s, err := d.str(false)
		if err != nil {
			return 0, err
		}
		switch string(s) {
		case "NaN":
			return math.NaN(), nil
		case "Infinity":
			return math.Inf(1), nil
		case "-Infinity":
			return math.Inf(-1), nil
		}
		if n, ok := numberLen(s); !ok || n != len(s) {
			return 0, d.invalid(off, kind, field)
		}
		num = s
	default:
		return 0, d.value(field, kind)
	}
	f, err := strconv.ParseFloat(string(num), 64)
	if err != nil {
		return 0, d.invalid(off, kind, field)
	}
	return f, nil
}

// Enum reads an enum value: its name (looked up in names) or its number.
// ok is false for a name that names does not have: the value is then
// dropped, as protojson drops it with DiscardUnknown.
func (d *Decoder) Enum(field string, names map[string]int32) (v int32, ok bool, err error) {
	const kind = "enum"
	switch c := d.ws(); {
	case c == '"':
		s, err := d.str(false)
		if err != nil {
			return 0, false, err
		}
		v, ok := names[string(s)]
		return v, ok, nil
	case c == '-' || '0' <= c && c <= '9':
		off := d.pos
		n, ok := numberLen(d.buf[d.pos:])
		if !ok {
			return 0, false, d.value(field, kind)
		}
		num := d.buf[d.pos : d.pos+n]
		d.pos += n
		v, ok := parseInt(num, 32)
		if !ok {
			return 0, false, d.invalid(off, kind, field)
		}
		return int32(v), true, nil
	}
	return 0, false, d.value(field, kind)
}

// DuplicateKey returns the error of a map key read twice.
func (d *Decoder) DuplicateKey(key string) error {
	return d.errorAt(d.pos, "duplicate map key %q", key)
}

// Unknown skips the value of a member this message does not declare. A
// name in brackets names an extension: protojson fails on those it can
// resolve (no message here has extensions), and so does Unknown.
func (d *Decoder) Unknown(name []byte) error {
	if n := len(name); n >= 2 && name[0] == '[' && name[n-1] == ']' {
		full := string(name[1 : n-1])
		if _, err := protoregistry.GlobalTypes.FindExtensionByName(protoreflect.FullName(full)); err != protoregistry.NotFound {
			return d.errorAt(d.pos, "field %q: this message has no extensions", name)
		}
	}
	return d.Skip()
}

// Skip reads and validates a value of any type, as protojson skips an
// unknown member's value (nesting limited by the messages left, see
// [Decoder.Enter]).
func (d *Decoder) Skip() error {
	return d.skip(0)
}

func (d *Decoder) skip(open int) error {
	switch c := d.ws(); {
	case c == '{':
		open++
		if open > d.depth {
			return d.errorAt(d.pos, "exceeded max recursion depth")
		}
		d.pos++
		for first := true; ; first = false {
			_, more, err := d.NextMember(first)
			if err != nil {
				return err
			}
			if !more {
				return nil
			}
			if err := d.skip(open); err != nil {
				return err
			}
		}
	case c == '[':
		open++
		if open > d.depth {
			return d.errorAt(d.pos, "exceeded max recursion depth")
		}
		d.pos++
		for first := true; ; first = false {
			more, err := d.NextElement(first)
			if err != nil {
				return err
			}
			if !more {
				return nil
			}
			if err := d.skip(open); err != nil {
				return err
			}
		}
	case c == '"':
		_, err := d.str(false)
		return err
	case c == 'n':
		if d.literal("null") {
			return nil
		}
	case c == 't':
		if d.literal("true") {
			return nil
		}
	case c == 'f':
		if d.literal("false") {
			return nil
		}
	case c == '-' || '0' <= c && c <= '9':
		if n, ok := numberLen(d.buf[d.pos:]); ok {
			d.pos += n
			return nil
		}
	case c == 0 && d.pos >= len(d.buf):
		return d.eof()
	}
	return d.errorAt(d.pos, "syntax error: invalid value %s", d.tokenText(d.pos))
}

// numberLen returns the length of the JSON number that b starts with, as
// protojson's tokenizer reads it (which accepts a dangling exponent, "1e",
// before a delimiter), and whether there is one, delimited.
func numberLen(b []byte) (int, bool) {
	i := 0
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && '1' <= b[i] && b[i] <= '9':
		i++
		for i < len(b) && '0' <= b[i] && b[i] <= '9' {
			i++
		}
	default:
		return 0, false
	}
	if i+1 < len(b) && b[i] == '.' && '0' <= b[i+1] && b[i+1] <= '9' {
		i += 2
		for i < len(b) && '0' <= b[i] && b[i] <= '9' {
			i++
		}
	}
	if i+1 < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if b[i] == '+' || b[i] == '-' {
			i++
			if i == len(b) {
				return 0, false
			}
		}
		for i < len(b) && '0' <= b[i] && b[i] <= '9' {
			i++
		}
	}
	if i < len(b) && !isDelim(b[i]) {
		return 0, false
	}
	return i, true
}

// parseInt converts a number token (see numberLen) to an integer of bits
// bits, as protojson does: fractions and exponents are taken when the
// value is an integer ("1.0", "1e2", "100e-2"), and the value must fit.
func parseInt(num []byte, bits int) (int64, bool) {
	// The common case: digits only.
	if len(num) > 0 && len(num) <= 18 {
		i, neg := 0, num[0] == '-'
		if neg {
			i = 1
		}
		var v int64
		plain := i < len(num)
		for ; i < len(num); i++ {
			c := num[i]
			if c < '0' || c > '9' {
				plain = false
				break
			}
			v = v*10 + int64(c-'0')
		}
		if plain {
			if neg {
				v = -v
			}
			if bits == 32 && (v < math.MinInt32 || v > math.MaxInt32) {
				return 0, false
			}
			return v, true
		}
	}
	s, ok := intString(num)
	if !ok {
		return 0, false
	}
	v, err := strconv.ParseInt(s, 10, bits)
	return v, err == nil
}

// intString writes a number token as an integer in plain decimal, if it is
// one (protojson's rules: see parseInt).
func intString(num []byte) (string, bool) {
	neg := false
	if num[0] == '-' {
		neg = true
		num = num[1:]
	}
	var intp, frac, exp []byte
	i := 0
	if num[0] == '0' {
		i = 1
	} else {
		for i < len(num) && '0' <= num[i] && num[i] <= '9' {
			i++
		}
		intp = num[:i]
	}
	if i < len(num) && num[i] == '.' {
		j := i + 1
		for j < len(num) && '0' <= num[j] && num[j] <= '9' {
			j++
		}
		frac = num[i+1 : j]
		i = j
	}
	if i < len(num) && (num[i] == 'e' || num[i] == 'E') {
		exp = num[i+1:]
	}
	for len(frac) > 0 && frac[len(frac)-1] == '0' {
		frac = frac[:len(frac)-1]
	}
	if len(intp) == 0 && len(frac) == 0 {
		return "0", true
	}
	e := 0
	if len(exp) > 0 {
		v, err := strconv.ParseInt(string(exp), 10, 32)
		if err != nil {
			return "", false
		}
		e = int(v)
	}
	var digits []byte
	if e >= 0 {
		if len(frac) > e || len(intp)+e > 20 {
			return "", false
		}
		digits = append(append(digits, intp...), frac...)
		for range e - len(frac) {
			digits = append(digits, '0')
		}
	} else {
		if len(frac) > 0 {
			return "", false
		}
		at := len(intp) + e
		if at < 0 {
			return "", false
		}
		for _, c := range intp[at:] {
			if c != '0' {
				return "", false
			}
		}
		digits = intp[:at]
	}
	if neg {
		return "-" + string(digits), true
	}
	return string(digits), true
}

// str reads a string at d.pos (a '"'), validating it as protojson does
// (UTF-8, no control characters, escapes of UTF-16 surrogates in pairs),
// and returns its contents: a slice of the input when it has no escapes,
// else of a buffer that the next call reuses when name, or fresh.
func (d *Decoder) str(name bool) ([]byte, error) {
	start := d.pos + 1
	i := start
	b := d.buf
	for i < len(b) {
		for i < len(b) && plainText[b[i]] {
			i++
		}
		if i == len(b) {
			break
		}
		c := b[i]
		switch {
		case c == '"':
			d.pos = i + 1
			return b[start:i], nil
		case c == '\\':
			return d.escaped(start, i, name)
		case c < 0x20:
			return nil, d.errorAt(i, "syntax error: invalid character %q in string", rune(c))
		case c < utf8.RuneSelf:
			i++
		default:
			r, n := utf8.DecodeRune(b[i:])
			if r == utf8.RuneError && n == 1 {
				return nil, d.errorAt(i, "syntax error: invalid UTF-8 in string")
			}
			i += n
		}
	}
	return nil, d.eof()
}

// escaped goes on reading the string that starts at start, from the
// escape at i.
func (d *Decoder) escaped(start, i int, name bool) ([]byte, error) {
	b := d.buf
	var out []byte
	if name {
		out = d.tmp[:0]
	}
	out = append(out, b[start:i]...)
	for i < len(b) {
		c := b[i]
		switch {
		case c == '"':
			d.pos = i + 1
			if name {
				d.tmp = out
			}
			return out, nil
		case c == '\\':
			if i+1 >= len(b) {
				return nil, d.eof()
			}
			switch e := b[i+1]; e {
			case '"', '\\', '/':
				out = append(out, e)
				i += 2
			case 'b':
				out = append(out, '\b')
				i += 2
			case 'f':
				out = append(out, '\f')
				i += 2
			case 'n':
				out = append(out, '\n')
				i += 2
			case 'r':
				out = append(out, '\r')
				i += 2
			case 't':
				out = append(out, '\t')
				i += 2
			case 'u':
				if i+6 > len(b) {
					return nil, d.eof()
				}
				r, ok := hex4(b[i+2 : i+6])
				if !ok {
					return nil, d.errorAt(i, "syntax error: invalid escape code %q in string", b[i:i+6])
				}
				i += 6
				if utf16.IsSurrogate(r) {
					if i+6 > len(b) {
						return nil, d.eof()
					}
					r2, ok2 := hex4(b[i+2 : i+6])
					r = utf16.DecodeRune(r, r2)
					if b[i] != '\\' || b[i+1] != 'u' || !ok2 || r == utf8.RuneError {
						return nil, d.errorAt(i, "syntax error: invalid escape code %q in string", b[i:i+6])
					}
					i += 6
				}
				out = utf8.AppendRune(out, r)
			default:
				return nil, d.errorAt(i, "syntax error: invalid escape code %q in string", b[i:i+2])
			}
		case c < 0x20:
			return nil, d.errorAt(i, "syntax error: invalid character %q in string", rune(c))
		case c < utf8.RuneSelf:
			out = append(out, c)
			i++
		default:
			r, n := utf8.DecodeRune(b[i:])
			if r == utf8.RuneError && n == 1 {
				return nil, d.errorAt(i, "syntax error: invalid UTF-8 in string")
			}
			out = append(out, b[i:i+n]...)
			i += n
		}
	}
	return nil, d.eof()
}

// plainText marks the bytes a string holds as they are: printable ASCII
// but the quote and the backslash.
var plainText = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// hex4 reads four hexadecimal digits.
func hex4(b []byte) (rune, bool) {
	var r rune
	for _, c := range b {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}
