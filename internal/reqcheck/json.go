package reqcheck

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/devenv-facade/devenv-facade/internal/apierror"
	"github.com/devenv-facade/devenv-facade/internal/jsontok"
)

// DecodeJSON decodes raw, one JSON value whose syntax encoding/json has
// already checked, into m with opts, after checking it (see the package
// comment) with a scan of its tokens that builds nothing: it reads them in
// place and allocates nothing per token. When the scan finds something, m
// receives nothing of raw (the call answers only what was found, and the
// request's IDs come from the path), and what was found is kept for m's
// call.
func (c *Checker) DecodeJSON(raw []byte, m proto.Message, opts protojson.UnmarshalOptions) error {
	s := jsonScan{tokens: jsontok.New(raw), checkUTF8: !utf8.Valid(raw)}
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
// reading them from raw in place (package jsontok).
type jsonScan struct {
	tokens *jsontok.Scanner
	// checkUTF8 is set when raw holds invalid UTF-8, which only a string
	// can.
	checkUTF8 bool
	path      []byte
	over      []*count
	utf8      badUTF8
}

// top scans the request: an object of md, or anything the decoder then
// refuses.
func (s *jsonScan) top(md protoreflect.MessageDescriptor) error {
	kind, _, err := s.tokens.Next()
	if err != nil {
		return err
	}
	if kind == '{' {
		return s.message(md)
	}
	return s.tokens.Skip(kind)
}

// message scans the members of an object of md, after its "{".
func (s *jsonScan) message(md protoreflect.MessageDescriptor) error {
	fields := jsontok.Fields(md)
	for {
		kind, text, err := s.tokens.Next()
		if err != nil || kind == '}' {
			return err
		}
		fd := fields[string(s.tokens.Unescape(text))]
		if fd == nil {
			// Unknown: the decoder discards it.
			if err := s.tokens.SkipValue(); err != nil {
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
	kind, text, err := s.tokens.Next()
	if err != nil {
		return err
	}
	switch {
	case fd.IsList() && kind == '[':
		return s.list(fd)
	case fd.IsMap() && kind == '{':
		return s.mapObject(fd)
	case fd.IsList() || fd.IsMap():
		return s.tokens.Skip(kind) // null, or what the decoder refuses
	}
	return s.single(fd, kind, text, whole)
}

// single scans one value of fd, whose first token is kind (text, for a
// string); p says what of the field at s.path the value is.
func (s *jsonScan) single(fd protoreflect.FieldDescriptor, kind jsontok.Kind, text []byte, p part) error {
	switch {
	case fd.Kind() == protoreflect.MessageKind && kind == '{' && !isWellKnown(fd.Message()):
		return s.message(fd.Message())
	case fd.Kind() == protoreflect.StringKind && kind == '"' && s.checkUTF8 && !utf8.Valid(text):
		s.utf8.add(s.path, p)
	}
	return s.tokens.Skip(kind)
}

// list scans the elements of fd's array, after its "[": those past the
// bound are counted, not scanned.
func (s *jsonScan) list(fd protoreflect.FieldDescriptor) error {
	n, bound := 0, Bound(fd)
	mark := len(s.path)
	for {
		kind, text, err := s.tokens.Next()
		if err != nil {
			return err
		}
		if kind == ']' {
			break
		}
		if n++; n > bound {
			if err := s.tokens.Skip(kind); err != nil {
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
		kind, text, err := s.tokens.Next()
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
		if kind, text, err = s.tokens.Next(); err != nil {
			return err
		}
		if n > bound {
			err = s.tokens.Skip(kind)
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

// isWellKnown reports whether md is one of protobuf's well-known types,
// which have their own JSON forms (no request of the API has one).
func isWellKnown(md protoreflect.MessageDescriptor) bool {
	return md.ParentFile().Package() == "google.protobuf"
}
