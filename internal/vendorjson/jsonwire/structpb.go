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
		key := string(name)
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
			return &structpb.Value{Kind: &structpb.Value_NullValue{}}, nil
		}
	case c == 't':
		if d.literal("true") {
			return &structpb.Value{Kind: &structpb.Value_BoolValue{BoolValue: true}}, nil
		}
	case c == 'f':
		if d.literal("false") {
			return &structpb.Value{Kind: &structpb.Value_BoolValue{BoolValue: false}}, nil
		}
	case c == '"':
		s, err := d.str(false)
		if err != nil {
			return nil, err
		}
		return &structpb.Value{Kind: &structpb.Value_StringValue{StringValue: string(s)}}, nil
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
		return &structpb.Value{Kind: &structpb.Value_NumberValue{NumberValue: f}}, nil
	case c == '{':
		s, err := d.object()
		if err != nil {
			return nil, err
		}
		return &structpb.Value{Kind: &structpb.Value_StructValue{StructValue: s}}, nil
	case c == '[':
		l, err := d.list()
		if err != nil {
			return nil, err
		}
		return &structpb.Value{Kind: &structpb.Value_ListValue{ListValue: l}}, nil
	}
	if err := d.Skip(); err != nil {
		return nil, err
	}
	return nil, d.errorAt(off, "invalid google.protobuf.Value: %s", d.tokenText(off))
}
