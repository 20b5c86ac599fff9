package reqcheck

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"unicode/utf8"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/devenv-facade/devenv-facade/internal/apierror"
)

// maxDepth bounds how deep the walk follows nested messages; the API's
// requests nest four deep.
const maxDepth = 32

// fixBuffer is what a copy of a request reserves before it grows (see
// grow): the copy of a request over a bound is much smaller than the
// request.
const fixBuffer = 4 << 10

// ErrMalformed is the error of a request that is not a protobuf message
// (or nests deeper than any request of the API).
var ErrMalformed = errors.New("the request is not a valid protobuf message")

// DecodeProto decodes b, the protobuf wire form of a request, into m
// after checking it (see the package comment). When it finds something, m
// receives b without the elements over a bound and without the strings
// that are not valid UTF-8, and what it found is kept for m's call. Bytes
// that are not a protobuf message are an error ([ErrMalformed]), and
// nothing is decoded from them. Fields the API does not know are
// discarded, as the mirror's JSON decoder discards them: kept, they would
// only cost memory (five times their size, as the decoder gathers them).
func (c *Checker) DecodeProto(b []byte, m proto.Message) error {
	md := m.ProtoReflect().Descriptor()
	var check walker
	if _, err := check.walk(nil, b, md, nil, 0); err != nil {
		return err
	}
	if len(check.over) == 0 && check.utf8.vs.Len() == 0 {
		return unmarshal.Unmarshal(b, m)
	}
	vs := new(apierror.Violations)
	for _, c := range check.over {
		vs.Add(overBound(c))
	}
	vs.Merge(&check.utf8.vs)

	fix := walker{fix: true}
	fixed, err := fix.walk(make([]byte, 0, min(len(b), fixBuffer)), b, md, nil, 0)
	if err != nil {
		return err
	}
	if err := unmarshal.Unmarshal(fixed, m); err != nil {
		return err
	}
	return c.keep(m, vs)
}

// unmarshal decodes requests.
var unmarshal = proto.UnmarshalOptions{DiscardUnknown: true}

// walker walks a request's wire form: it counts the elements of each
// repeated field and map and checks strings or, with fix, copies the
// request without the elements over a bound and without the strings that
// are not valid UTF-8. It allocates nothing per element: elements past a
// bound are counted and skipped, a bad string costs an allocation the
// first time its field is reported only, and a copy is never larger than
// what it copies.
type walker struct {
	fix bool
	// path is the field being walked ("spec.extend_storage[2].type"),
	// grown and cut back in place.
	path []byte
	// over lists the repeated fields and maps found over their bound.
	over []*count
	// utf8 gathers the strings that are not valid UTF-8.
	utf8 badUTF8
	// scratch holds, by depth, a buffer for the copy of a nested message.
	scratch [][]byte
}

// count is the number of elements of one repeated field or map of one
// message. Every occurrence of a singular message field is one message
// (the decoder merges them), so their counts add up.
type count struct {
	n     int
	bound int
	path  string // set once n passes bound
}

// scope holds the counts of one message and the scopes of its singular
// message fields. Scopes are made when a message is walked: at most one
// per singular message field of the request, and one per element within
// a bound.
type scope struct {
	counts map[protowire.Number]*count
	sub    map[protowire.Number]*scope
}

func (s *scope) count(fd protoreflect.FieldDescriptor) *count {
	if s.counts == nil {
		s.counts = map[protowire.Number]*count{}
	}
	c := s.counts[fd.Number()]
	if c == nil {
		c = &count{bound: Bound(fd)}
		s.counts[fd.Number()] = c
	}
	return c
}

func (s *scope) child(num protowire.Number) *scope {
	if s.sub == nil {
		s.sub = map[protowire.Number]*scope{}
	}
	c := s.sub[num]
	if c == nil {
		c = &scope{}
		s.sub[num] = c
	}
	return c
}

// walk walks b, a message of md whose counts are in sc (nil: a new one),
// appending what to decode to out when w.fix is set.
func (w *walker) walk(out, b []byte, md protoreflect.MessageDescriptor, sc *scope, depth int) ([]byte, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("%w: it nests more than %d messages deep", ErrMalformed, maxDepth)
	}
	if sc == nil {
		sc = &scope{}
	}
	fields := md.Fields()
	for len(b) > 0 {
		field, tagLen, num, typ, err := next(b)
		if err != nil {
			return nil, err
		}
		b = b[len(field):]
		fd := fields.ByNumber(num)
		if fd == nil || !wireTypeFits(fd, typ) {
			continue // unknown to the decoder, which discards it
		}
		mark := len(w.path)
		if !md.IsMapEntry() {
			if mark > 0 {
				w.path = append(w.path, '.')
			}
			w.path = append(w.path, fd.Name()...)
		}
		out, err = w.occurrence(out, field, tagLen, fd, typ, sc, depth)
		w.path = w.path[:mark]
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// occurrence walks one occurrence of fd in a message whose counts are in
// sc: field is its tag (tagLen bytes) and value.
func (w *walker) occurrence(out, field []byte, tagLen int, fd protoreflect.FieldDescriptor, typ protowire.Type, sc *scope, depth int) ([]byte, error) {
	var sub *scope // a new message per element
	switch {
	case fd.IsList() || fd.IsMap():
		c := sc.count(fd)
		elems := 1
		if typ == protowire.BytesType && isPackable(fd) {
			payload, _ := protowire.ConsumeBytes(field[tagLen:])
			elems = packedCount(payload, fd)
		}
		c.n += elems
		if c.n > c.bound {
			if c.path == "" {
				c.path = string(w.path)
				w.over = append(w.over, c)
			}
			return out, nil // left out, unwalked
		}
		if fd.IsMap() {
			return w.mapEntry(out, field, tagLen, fd.Message(), depth)
		}
		w.path = append(append(append(w.path, '['), strconv.Itoa(c.n-elems)...), ']')
	case fd.Kind() == protoreflect.MessageKind:
		sub = sc.child(fd.Number())
	}
	switch fd.Kind() {
	case protoreflect.MessageKind:
		return w.nested(out, field, tagLen, fd.Message(), sub, depth)
	case protoreflect.StringKind:
		return w.str(out, field, tagLen, whole), nil
	}
	return w.copy(out, field), nil
}

// nested walks field, an occurrence of a message field (its tag is tagLen
// bytes), as a message of md whose counts are in sc.
func (w *walker) nested(out, field []byte, tagLen int, md protoreflect.MessageDescriptor, sc *scope, depth int) ([]byte, error) {
	payload, _ := protowire.ConsumeBytes(field[tagLen:])
	if !w.fix {
		_, err := w.walk(nil, payload, md, sc, depth+1)
		return out, err
	}
	// The copy of the nested message goes to a buffer of its depth,
	// reused by the next message at that depth once appended to out.
	for len(w.scratch) <= depth {
		w.scratch = append(w.scratch, nil)
	}
	inner, err := w.walk(w.scratch[depth][:0], payload, md, sc, depth+1)
	if err != nil {
		return nil, err
	}
	w.scratch[depth] = inner
	return appendField(out, field[:tagLen], inner), nil
}

// mapEntry walks field, one entry of a map (md is its entry message),
// reporting invalid UTF-8 in a key or value under the map's name.
func (w *walker) mapEntry(out, field []byte, tagLen int, md protoreflect.MessageDescriptor, depth int) ([]byte, error) {
	b, _ := protowire.ConsumeBytes(field[tagLen:])
	var inner []byte
	for len(b) > 0 {
		f, n, num, typ, err := next(b)
		if err != nil {
			return nil, err
		}
		b = b[len(f):]
		fd := md.Fields().ByNumber(num)
		switch {
		case fd == nil || !wireTypeFits(fd, typ):
			// Unknown to the decoder, which discards it.
		case fd.Kind() == protoreflect.MessageKind:
			if inner, err = w.nested(inner, f, n, fd.Message(), nil, depth+1); err != nil {
				return nil, err
			}
		case fd.Kind() == protoreflect.StringKind && fd.Number() == 1:
			inner = w.str(inner, f, n, mapKey)
		case fd.Kind() == protoreflect.StringKind:
			inner = w.str(inner, f, n, mapValue)
		default:
			inner = w.copy(inner, f)
		}
	}
	if !w.fix {
		return out, nil
	}
	return appendField(out, field[:tagLen], inner), nil
}

// str checks field, an occurrence of a string field (its tag is tagLen
// bytes; p says what of the field at w.path it is): invalid UTF-8 is
// reported or, when fixing, left out.
func (w *walker) str(out, field []byte, tagLen int, p part) []byte {
	s, _ := protowire.ConsumeBytes(field[tagLen:])
	switch {
	case utf8.Valid(s):
		return w.copy(out, field)
	case !w.fix:
		w.utf8.add(w.path, p)
	}
	return out
}

// copy appends field unchanged, when fixing.
func (w *walker) copy(out, field []byte) []byte {
	if w.fix {
		return append(grow(out, len(field)), field...)
	}
	return out
}

// next splits off b's first field: the whole field, the length of its tag,
// its number and wire type.
func next(b []byte) (field []byte, tagLen int, num protowire.Number, typ protowire.Type, err error) {
	num, typ, n := protowire.ConsumeTag(b)
	if n < 0 {
		return nil, 0, 0, 0, fmt.Errorf("%w: %v", ErrMalformed, protowire.ParseError(n))
	}
	m := protowire.ConsumeFieldValue(num, typ, b[n:])
	if m < 0 {
		return nil, 0, 0, 0, fmt.Errorf("%w: %v", ErrMalformed, protowire.ParseError(m))
	}
	return b[:n+m], n, num, typ, nil
}

// appendField appends a length-delimited field: tag, then v.
func appendField(out, tag, v []byte) []byte {
	out = grow(out, len(tag)+protowire.SizeBytes(len(v)))
	return protowire.AppendBytes(append(out, tag...), v)
}

// grow returns out with room for n more bytes, at least doubling its
// capacity when it must grow: append grows a large slice by a quarter at a
// time, which makes a copy built piece by piece allocate five times its
// size; doubling, twice at most. A copy is never larger than what it
// copies.
func grow(out []byte, n int) []byte {
	if cap(out)-len(out) >= n {
		return out
	}
	return slices.Grow(out, max(n, cap(out)))
}

// overBound is the violation of a field with more elements than its bound.
func overBound(c *count) *errdetails.BadRequest_FieldViolation {
	return apierror.Violation(c.path, apierror.ViolationMalformed,
		fmt.Sprintf("%s may have at most %d entries; got %d", c.path, c.bound, c.n))
}

// wireTypeFits reports whether the decoder reads an occurrence of fd with
// wire type typ as fd, rather than as an unknown field.
func wireTypeFits(fd protoreflect.FieldDescriptor, typ protowire.Type) bool {
	if fd.IsList() && typ == protowire.BytesType && isPackable(fd) {
		return true
	}
	return typ == wireType(fd.Kind())
}

// isPackable reports whether fd's elements may be packed, several in one
// length-delimited occurrence.
func isPackable(fd protoreflect.FieldDescriptor) bool {
	switch fd.Kind() {
	case protoreflect.StringKind, protoreflect.BytesKind, protoreflect.MessageKind, protoreflect.GroupKind:
		return false
	}
	return fd.IsList()
}

func wireType(k protoreflect.Kind) protowire.Type {
	switch k {
	case protoreflect.StringKind, protoreflect.BytesKind, protoreflect.MessageKind:
		return protowire.BytesType
	case protoreflect.GroupKind:
		return protowire.StartGroupType
	case protoreflect.Fixed32Kind, protoreflect.Sfixed32Kind, protoreflect.FloatKind:
		return protowire.Fixed32Type
	case protoreflect.Fixed64Kind, protoreflect.Sfixed64Kind, protoreflect.DoubleKind:
		return protowire.Fixed64Type
	}
	return protowire.VarintType
}

// packedCount returns how many elements of fd a packed payload holds.
func packedCount(b []byte, fd protoreflect.FieldDescriptor) int {
	switch wireType(fd.Kind()) {
	case protowire.Fixed32Type:
		return len(b) / 4
	case protowire.Fixed64Type:
		return len(b) / 8
	}
	n := 0
	for _, c := range b {
		if c < 0x80 {
			n++
		}
	}
	return n
}
