// Package vendorjson writes and reads the API's messages as ModelArts does
// on the wire: the proto field names (snake_case, the vendor's), only the
// fields that are present, and JSON value types as the vendor uses them.
//
// It differs from proto3's canonical JSON mapping (protojson) where a
// vendor client would notice: 64-bit integers are JSON numbers, as
// ModelArts sends its millisecond timestamps ("stop_timestamp":
// 1594891408723), not strings; fields with presence are written when set,
// even to "" or 0 (a field ModelArts sent is passed on as it came), and
// fields without presence only when not zero. Reading accepts what
// ModelArts and its clients send: numbers or strings for integers,
// explicit nulls for absent values, and fields this API does not know
// (ignored). What reading drops can be written back: a reader keeps the
// JSON beside the messages it read in an [Originals], and [MarshalWith]
// writes those messages as that JSON.
//
// The messages of the vendor's APIs (the proto packages modelarts.*) are
// read and written by code generated for them (package codec, by
// protoc-gen-vendorjson: `make generate`), without protobuf reflection;
// reading them accepts and refuses exactly what protojson with
// DiscardUnknown does. Other messages go through protojson and a writer
// over reflection, which the tests keep as the reference of the
// generated code.
package vendorjson

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"sync"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/devenv-facade/devenv-facade/internal/vendorjson/codec"
	"github.com/devenv-facade/devenv-facade/internal/vendorjson/jsonwire"
)

// marshalBuffers are the buffers Marshal writes into, reused: a fresh one
// grows by doubling, which for a list of 100 instances (about 120 KB)
// allocated and copied twice the answer. Buffers beyond maxPooledBuffer
// are left to the garbage collector.
var marshalBuffers = sync.Pool{New: func() any { return new([]byte) }}

const maxPooledBuffer = 4 << 20

// Marshal writes m as ModelArts would.
func Marshal(m proto.Message) ([]byte, error) {
	return MarshalWith(m, nil)
}

// MarshalWith writes m as Marshal does, except that m, or any message in
// it, that o keeps (see [Originals]) is written as the JSON it was read
// from. When o keeps m itself, the answer is that JSON, shared, not
// copied.
//
// The messages of the vendor's APIs are written by generated code
// (package codec); others, by a writer over protobuf reflection that
// writes the same bytes (the tests compare the two).
func MarshalWith(m proto.Message, o *Originals) ([]byte, error) {
	if raw, ok := o.of(m); ok {
		return raw, nil
	}
	buf := marshalBuffers.Get().(*[]byte)
	w := jsonwire.Writer{Buf: (*buf)[:0]}
	if o != nil && (o.one != nil || len(o.byMessage) > 0) {
		w.Kept = o.kept()
	}
	ok, err := codec.Marshal(&w, m)
	if ok {
		var out []byte
		if err == nil {
			out = bytes.Clone(w.Buf)
		}
		if cap(w.Buf) <= maxPooledBuffer {
			*buf = w.Buf[:0]
			marshalBuffers.Put(buf)
		}
		return out, err
	}
	marshalBuffers.Put(buf)
	return marshalReflect(m, o)
}

// marshalReflect writes m as MarshalWith does, by protobuf reflection:
// the writer of the messages without generated code, and the reference
// the generated code is tested against.
func marshalReflect(m proto.Message, o *Originals) ([]byte, error) {
	var buf bytes.Buffer
	w := writer{buf: &buf, originals: o}
	if err := w.message(m.ProtoReflect()); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// writer writes a message into buf, each message o keeps as it came.
type writer struct {
	buf       *bytes.Buffer
	originals *Originals
}

// unmarshalOptions read vendor JSON: unknown fields are ignored.
var unmarshalOptions = protojson.UnmarshalOptions{DiscardUnknown: true}

// Unmarshal reads vendor JSON into m.
//
// The messages of the vendor's APIs are read by generated code (package
// codec), which accepts and refuses what protojson with DiscardUnknown
// does and makes the same messages (the tests compare the two); others,
// by protojson.
func Unmarshal(b []byte, m proto.Message) error {
	var d jsonwire.Decoder
	d.Reset(b)
	if ok, err := codec.Unmarshal(&d, m); ok {
		if err != nil {
			return fmt.Errorf("vendorjson: reading %s: %w", m.ProtoReflect().Descriptor().FullName(), err)
		}
		return nil
	}
	return unmarshalReflect(b, m)
}

// unmarshalReflect reads b into m with protojson: the reader of the
// messages without generated code, and the reference the generated code
// is tested against.
func unmarshalReflect(b []byte, m proto.Message) error {
	return unmarshalOptions.Unmarshal(b, m)
}

// wellKnown are the message types written by protojson: their JSON form is
// not their fields'.
var wellKnown = map[protoreflect.FullName]bool{
	"google.protobuf.Struct":    true,
	"google.protobuf.Value":     true,
	"google.protobuf.ListValue": true,
	"google.protobuf.Timestamp": true,
	"google.protobuf.Duration":  true,
	"google.protobuf.FieldMask": true,
}

func (w writer) message(m protoreflect.Message) error {
	buf := w.buf
	if raw, ok := w.originals.of(m.Interface()); ok {
		buf.Write(raw)
		return nil
	}
	switch v := m.Interface().(type) {
	case *structpb.Struct:
		return writeStruct(buf, v)
	case *structpb.Value:
		return writeAny(buf, v)
	case *structpb.ListValue:
		return writeList(buf, v)
	}
	if wellKnown[m.Descriptor().FullName()] {
		b, err := protojson.Marshal(m.Interface())
		if err != nil {
			return fmt.Errorf("vendorjson: %s: %w", m.Descriptor().FullName(), err)
		}
		// protojson's output varies its spacing on purpose; ours is
		// compact, always.
		return json.Compact(buf, b)
	}
	buf.WriteByte('{')
	fields := m.Descriptor().Fields()
	first := true
	for i := range fields.Len() {
		fd := fields.Get(i)
		if !m.Has(fd) {
			continue // absent, or a zero scalar without presence
		}
		if !first {
			buf.WriteByte(',')
		}
		first = false
		writeString(buf, string(fd.Name()))
		buf.WriteByte(':')
		if err := w.field(fd, m.Get(fd)); err != nil {
			return err
		}
	}
	buf.WriteByte('}')
	return nil
}

func (w writer) field(fd protoreflect.FieldDescriptor, v protoreflect.Value) error {
	buf := w.buf
	switch {
	case fd.IsList():
		l := v.List()
		buf.WriteByte('[')
		for i := range l.Len() {
			if i > 0 {
				buf.WriteByte(',')
			}
			if err := w.value(fd, l.Get(i)); err != nil {
				return err
			}
		}
		buf.WriteByte(']')
		return nil
	case fd.IsMap():
		type entry struct {
			key string
			val protoreflect.Value
		}
		var entries []entry
		v.Map().Range(func(k protoreflect.MapKey, val protoreflect.Value) bool {
			entries = append(entries, entry{k.String(), val})
			return true
		})
		sort.Slice(entries, func(i, j int) bool { return entries[i].key < entries[j].key })
		buf.WriteByte('{')
		for i, e := range entries {
			if i > 0 {
				buf.WriteByte(',')
			}
			writeString(buf, e.key)
			buf.WriteByte(':')
			if err := w.value(fd.MapValue(), e.val); err != nil {
				return err
			}
		}
		buf.WriteByte('}')
		return nil
	}
	return w.value(fd, v)
}

func (w writer) value(fd protoreflect.FieldDescriptor, v protoreflect.Value) error {
	buf := w.buf
	switch fd.Kind() {
	case protoreflect.MessageKind, protoreflect.GroupKind:
		return w.message(v.Message())
	case protoreflect.StringKind:
		writeString(buf, v.String())
	case protoreflect.BoolKind:
		buf.WriteString(strconv.FormatBool(v.Bool()))
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind,
		protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		buf.WriteString(strconv.FormatInt(v.Int(), 10))
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind, protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		buf.WriteString(strconv.FormatUint(v.Uint(), 10))
	case protoreflect.FloatKind, protoreflect.DoubleKind:
		f := v.Float()
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return fmt.Errorf("vendorjson: %s: %v is not a JSON number", fd.FullName(), f)
		}
		writeFloat(buf, f)
	case protoreflect.EnumKind:
		if ev := fd.Enum().Values().ByNumber(v.Enum()); ev != nil {
			writeString(buf, string(ev.Name()))
		} else {
			buf.WriteString(strconv.FormatInt(int64(v.Enum()), 10))
		}
	case protoreflect.BytesKind:
		writeString(buf, base64.StdEncoding.EncodeToString(v.Bytes()))
	default:
		return fmt.Errorf("vendorjson: %s: kind %v", fd.FullName(), fd.Kind())
	}
	return nil
}

const hex = "0123456789abcdef"

// writeString writes s as a JSON string, escaping what JSON requires and,
// as encoding/json does, <, >, & and U+2028/U+2029; invalid UTF-8 becomes
// U+FFFD.
func writeString(buf *bytes.Buffer, s string) {
	buf.WriteByte('"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			buf.WriteString(s[start:i])
			switch c {
			case '"', '\\':
				buf.WriteByte('\\')
				buf.WriteByte(c)
			case '\n':
				buf.WriteString(`\n`)
			case '\r':
				buf.WriteString(`\r`)
			case '\t':
				buf.WriteString(`\t`)
			default:
				buf.WriteString(`\u00`)
				buf.WriteByte(hex[c>>4])
				buf.WriteByte(hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			buf.WriteString(s[start:i])
			buf.WriteString(`\ufffd`)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			buf.WriteString(s[start:i])
			buf.WriteString(`\u202`)
			buf.WriteByte(hex[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	buf.WriteString(s[start:])
	buf.WriteByte('"')
}

// writeStruct writes a free-form object (flavor_details.params,
// extend_params) with its keys in sorted order.
func writeStruct(buf *bytes.Buffer, st *structpb.Struct) error {
	keys := make([]string, 0, len(st.GetFields()))
	for k := range st.GetFields() {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	buf.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			buf.WriteByte(',')
		}
		writeString(buf, k)
		buf.WriteByte(':')
		if err := writeAny(buf, st.GetFields()[k]); err != nil {
			return err
		}
	}
	buf.WriteByte('}')
	return nil
}

// writeList writes a free-form array.
func writeList(buf *bytes.Buffer, l *structpb.ListValue) error {
	buf.WriteByte('[')
	for i, v := range l.GetValues() {
		if i > 0 {
			buf.WriteByte(',')
		}
		if err := writeAny(buf, v); err != nil {
			return err
		}
	}
	buf.WriteByte(']')
	return nil
}

// writeAny writes a free-form value; an unset one is null.
func writeAny(buf *bytes.Buffer, v *structpb.Value) error {
	switch k := v.GetKind().(type) {
	case *structpb.Value_StringValue:
		writeString(buf, k.StringValue)
	case *structpb.Value_NumberValue:
		f := k.NumberValue
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return fmt.Errorf("vendorjson: google.protobuf.Value: %v is not a JSON number", f)
		}
		writeFloat(buf, f)
	case *structpb.Value_BoolValue:
		buf.WriteString(strconv.FormatBool(k.BoolValue))
	case *structpb.Value_StructValue:
		return writeStruct(buf, k.StructValue)
	case *structpb.Value_ListValue:
		return writeList(buf, k.ListValue)
	default: // null, or no kind
		buf.WriteString("null")
	}
	return nil
}

// writeFloat writes a finite number as encoding/json does: plain decimals
// from 1e-6 up to 1e21, exponent notation beyond, so a huge number from a
// hostile upstream is written in a few bytes, not hundreds.
func writeFloat(buf *bytes.Buffer, f float64) {
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b := strconv.AppendFloat(buf.AvailableBuffer(), f, format, -1, 64)
	if format == 'e' {
		// Clean up e-09 to e-9, as encoding/json does.
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	buf.Write(b)
}
