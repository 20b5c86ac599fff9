package jsonwire

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"unicode/utf8"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"
)

// Writer appends vendor JSON to Buf: the generated code writes a message's
// members in the order its fields are declared, each value with the
// method of its type; a message that Kept holds is written as that JSON
// instead (vendorjson's Originals).
type Writer struct {
	Buf  []byte
	Kept map[proto.Message][]byte
}

// Original writes the JSON kept for m, if there is some, and says whether
// it did.
func (w *Writer) Original(m proto.Message) bool {
	if len(w.Kept) == 0 {
		return false
	}
	raw, ok := w.Kept[m]
	if ok {
		w.Buf = append(w.Buf, raw...)
	}
	return ok
}

// Raw appends s, JSON text (punctuation, a member's quoted name).
func (w *Writer) Raw(s string) { w.Buf = append(w.Buf, s...) }

// Bool writes true or false.
func (w *Writer) Bool(v bool) { w.Buf = strconv.AppendBool(w.Buf, v) }

// Int writes an integer as a JSON number (64-bit ones too).
func (w *Writer) Int(v int64) { w.Buf = strconv.AppendInt(w.Buf, v, 10) }

// Enum writes an enum value: its name when names has one, else its
// number.
func (w *Writer) Enum(v int32, names map[int32]string) {
	if name, ok := names[v]; ok {
		w.String(name)
		return
	}
	w.Int(int64(v))
}

// Double writes a finite number as encoding/json does; field (its full
// name) is for the error of NaN or an infinity, which JSON cannot hold.
func (w *Writer) Double(v float64, field string) error {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return fmt.Errorf("vendorjson: %s: %v is not a JSON number", field, v)
	}
	w.float(v)
	return nil
}

// float writes a finite number as encoding/json does: plain decimals from
// 1e-6 up to 1e21, exponent notation beyond.
func (w *Writer) float(f float64) {
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	start := len(w.Buf)
	w.Buf = strconv.AppendFloat(w.Buf, f, format, -1, 64)
	if format == 'e' {
		// e-09 becomes e-9, as encoding/json writes it.
		b := w.Buf[start:]
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			w.Buf = w.Buf[:len(w.Buf)-1]
		}
	}
}

// safe marks the ASCII bytes a JSON string holds as they are.
var safe = func() (t [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()

const hexDigits = "0123456789abcdef"

// String writes s as a JSON string, escaping what JSON requires and, as
// encoding/json does, <, >, & and U+2028/U+2029; invalid UTF-8 becomes
// U+FFFD.
func (w *Writer) String(s string) {
	b := append(w.Buf, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if safe[c] {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i++
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	w.Buf = append(b, '"')
}

// Struct writes a google.protobuf.Struct (a field's value): a free-form
// object, its keys in sorted order.
func (w *Writer) Struct(s *structpb.Struct) error {
	if w.Original(s) {
		return nil
	}
	return w.object(s)
}

// Value writes a google.protobuf.Value (a field's value, an element of a
// list); an unset one is null.
func (w *Writer) Value(v *structpb.Value) error {
	if w.Original(v) {
		return nil
	}
	return w.anyValue(v)
}

func (w *Writer) object(s *structpb.Struct) error {
	fields := s.GetFields()
	var small [16]string // on the stack: most objects are small
	keys := small[:0]
	for k := range fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	w.Buf = append(w.Buf, '{')
	for i, k := range keys {
		if i > 0 {
			w.Buf = append(w.Buf, ',')
		}
		w.String(k)
		w.Buf = append(w.Buf, ':')
		if err := w.anyValue(fields[k]); err != nil {
			return err
		}
	}
	w.Buf = append(w.Buf, '}')
	return nil
}

func (w *Writer) list(l *structpb.ListValue) error {
	w.Buf = append(w.Buf, '[')
	for i, v := range l.GetValues() {
		if i > 0 {
			w.Buf = append(w.Buf, ',')
		}
		if err := w.anyValue(v); err != nil {
			return err
		}
	}
	w.Buf = append(w.Buf, ']')
	return nil
}

func (w *Writer) anyValue(v *structpb.Value) error {
	switch k := v.GetKind().(type) {
	case *structpb.Value_StringValue:
		w.String(k.StringValue)
	case *structpb.Value_NumberValue:
		f := k.NumberValue
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return fmt.Errorf("vendorjson: google.protobuf.Value: %v is not a JSON number", f)
		}
		w.float(f)
	case *structpb.Value_BoolValue:
		w.Bool(k.BoolValue)
	case *structpb.Value_StructValue:
		return w.object(k.StructValue)
	case *structpb.Value_ListValue:
		return w.list(k.ListValue)
	default: // null, or no kind
		w.Buf = append(w.Buf, "null"...)
	}
	return nil
}
