package jsonwire

import (
	"strconv"

	"google.golang.org/protobuf/types/known/structpb"
)

// Struct reads a google.protobuf.Struct, the value of a field: a JSON
// object of free-form values.
func (d *Decoder) Struct() (*structpb.Struct, error) {
	if err := d.Enter(); err != nil {
		return nil, err
	}
	s, err := d.object()
	d.Leave()
	return s, err
}

// Value reads a google.protobuf.Value, the value of a field or an element
// of a list: any JSON value, null included.
func (d *Decoder) Value() (*structpb.Value, error) {
	if err := d.Enter(); err != nil {
		return nil, err
	}
	v, err := d.anyValue()
	d.Leave()
	return v, err
}

// object reads a Struct's object (protojson counts no message for a
// Struct inside a Value, only for the Values in it).
func (d *Decoder) object() (*structpb.Struct, error) {
	if err := d.OpenObject(); err != nil {
		return nil, err
	}
	s := &structpb.Struct{Fields: map[string]*structpb.Value{}}
	for first := true; ; first = false {
		name, more, err := d.NextMember(first)
		if err != nil {
			return nil, err
		}
		if !more {
			return s, nil
		}
		if _, dup := s.Fields[string(name)]; dup {
			return nil, d.DuplicateKey(string(name))
		}
		key := d.text(name)
		v, err := d.Value()
		if err != nil {
			return nil, err
		}
		s.Fields[key] = v
	}
}

// list reads a ListValue's array.
func (d *Decoder) list() (*structpb.ListValue, error) {
	if err := d.OpenArray(); err != nil {
		return nil, err
	}
	l := &structpb.ListValue{}
	for first := true; ; first = false {
		more, err := d.NextElement(first)
		if err != nil {
			return nil, err
		}
		if !more {
			return l, nil
		}
		v, err := d.Value()
		if err != nil {
			return nil, err
		}
		l.Values = append(l.Values, v)
	}
}

func (d *Decoder) anyValue() (*structpb.Value, error) {
	off := d.pos
	switch c := d.ws(); {
	case c == 'n':
		if d.literal("null") {
			v := &nullValue{}
			v.v.Kind = &v.k
			return &v.v, nil
		}
	case c == 't':
		if d.literal("true") {
			return boolValue(true), nil
		}
	case c == 'f':
		if d.literal("false") {
			return boolValue(false), nil
		}
	case c == '"':
		s, err := d.str(false)
		if err != nil {
			return nil, err
		}
		v := &stringValue{k: structpb.Value_StringValue{StringValue: d.text(s)}}
		v.v.Kind = &v.k
		return &v.v, nil
	case c == '-' || '0' <= c && c <= '9':
		off = d.pos
		n, ok := numberLen(d.buf[d.pos:])
		if !ok {
			break
		}
		f, err := strconv.ParseFloat(string(d.buf[d.pos:d.pos+n]), 64)
		d.pos += n
		if err != nil {
			return nil, d.errorAt(off, "invalid google.protobuf.Value: %s", d.tokenText(off))
		}
		v := &numberValue{k: structpb.Value_NumberValue{NumberValue: f}}
		v.v.Kind = &v.k
		return &v.v, nil
	case c == '{':
		s, err := d.object()
		if err != nil {
			return nil, err
		}
		v := &structValue{k: structpb.Value_StructValue{StructValue: s}}
		v.v.Kind = &v.k
		return &v.v, nil
	case c == '[':
		l, err := d.list()
		if err != nil {
			return nil, err
		}
		v := &listValue{k: structpb.Value_ListValue{ListValue: l}}
		v.v.Kind = &v.k
		return &v.v, nil
	}
	if err := d.Skip(); err != nil {
		return nil, err
	}
	return nil, d.errorAt(off, "invalid google.protobuf.Value: %s", d.tokenText(off))
}

// A Value and its kind are allocated together, in one of these: half the
// allocations of free-form values.
type (
	nullValue struct {
		v structpb.Value
		k structpb.Value_NullValue
	}
	boolValueKind struct {
		v structpb.Value
		k structpb.Value_BoolValue
	}
	stringValue struct {
		v structpb.Value
		k structpb.Value_StringValue
	}
	numberValue struct {
		v structpb.Value
		k structpb.Value_NumberValue
	}
	structValue struct {
		v structpb.Value
		k structpb.Value_StructValue
	}
	listValue struct {
		v structpb.Value
		k structpb.Value_ListValue
	}
)

func boolValue(b bool) *structpb.Value {
	v := &boolValueKind{k: structpb.Value_BoolValue{BoolValue: b}}
	v.v.Kind = &v.k
	return &v.v
}
