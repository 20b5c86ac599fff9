package reqcheck

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/devenv-facade/devenv-facade/internal/apierror"
)

// DecodeJSON decodes raw, one JSON value (as encoding/json reads it:
// syntax already checked), into m with opts, after checking it (see the
// package comment) with a scan of its tokens that builds nothing. When the
// scan finds something, m receives nothing of raw (the call answers only
// what was found, and the request's IDs come from the path), and what was
// found is kept for m's call.
func (c *Checker) DecodeJSON(raw []byte, m proto.Message, opts protojson.UnmarshalOptions) error {
	s := jsonScan{raw: raw, checkUTF8: !utf8.Valid(raw)}
	s.dec = json.NewDecoder(bytes.NewReader(raw))
	s.dec.UseNumber()
	if err := s.top(m.ProtoReflect().Descriptor()); err != nil {
		return err
	}
	decode := raw
	switch {
	case len(s.over) > 0 || s.utf8.Len() > 0:
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
	if len(s.over) == 0 && s.utf8.Len() == 0 {
		return nil
	}
	vs := new(apierror.Violations)
	for _, c := range s.over {
		vs.Add(overBound(c))
	}
	vs.Merge(&s.utf8)
	return c.keep(m, vs)
}

// jsonScan walks a request's JSON tokens along its message descriptor.
type jsonScan struct {
	raw []byte
	dec *json.Decoder
	// checkUTF8 is set when raw holds invalid UTF-8, which only a string
	// can.
	checkUTF8 bool
	// last is the raw text of the last token read, with the separators
	// before it.
	last []byte
	path []byte
	over []*count
	utf8 apierror.Violations
}

// errUnexpected is what a scan error wraps: raw does not hold what
// encoding/json let through.
var errUnexpected = errors.New("the request body is not JSON")

func (s *jsonScan) token() (json.Token, error) {
	start := s.dec.InputOffset()
	tok, err := s.dec.Token()
	if err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, fmt.Errorf("%w: %v", errUnexpected, err)
	}
	s.last = s.raw[start:s.dec.InputOffset()]
	return tok, nil
}

// top scans the request: an object of md, or anything the decoder then
// refuses.
func (s *jsonScan) top(md protoreflect.MessageDescriptor) error {
	tok, err := s.token()
	if err != nil {
		return err
	}
	if tok == json.Delim('{') {
		return s.message(md)
	}
	return s.skip(tok)
}

// message scans the members of an object of md, after its "{".
func (s *jsonScan) message(md protoreflect.MessageDescriptor) error {
	fields := md.Fields()
	for {
		tok, err := s.token()
		if err != nil {
			return err
		}
		if tok == json.Delim('}') {
			return nil
		}
		name, _ := tok.(string)
		fd := fields.ByJSONName(name)
		if fd == nil {
			fd = fields.ByTextName(name)
		}
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
	tok, err := s.token()
	if err != nil {
		return err
	}
	switch {
	case fd.IsList() && tok == json.Delim('['):
		return s.list(fd)
	case fd.IsMap() && tok == json.Delim('{'):
		return s.mapObject(fd)
	case fd.IsList() || fd.IsMap():
		return s.skip(tok) // null, or what the decoder refuses
	}
	return s.single(fd, tok, "")
}

// single scans one value of fd whose first token is tok; what starts the
// description of a string that is not valid UTF-8.
func (s *jsonScan) single(fd protoreflect.FieldDescriptor, tok json.Token, what string) error {
	switch {
	case fd.Kind() == protoreflect.MessageKind && tok == json.Delim('{') && !isWellKnown(fd.Message()):
		return s.message(fd.Message())
	case fd.Kind() == protoreflect.StringKind:
		if _, ok := tok.(string); ok && s.checkUTF8 && !utf8.Valid(s.last) {
			path := string(s.path)
			s.utf8.Add(apierror.Violation(path, apierror.ViolationMalformed, what+path+" is not valid UTF-8"))
		}
	}
	return s.skip(tok)
}

// list scans the elements of fd's array, after its "[": those past the
// bound are counted, not scanned.
func (s *jsonScan) list(fd protoreflect.FieldDescriptor) error {
	c := &count{bound: Bound(fd)}
	mark := len(s.path)
	for {
		tok, err := s.token()
		if err != nil {
			return err
		}
		if tok == json.Delim(']') {
			break
		}
		if c.n++; c.n > c.bound {
			if err := s.skip(tok); err != nil {
				return err
			}
			continue
		}
		s.path = append(append(append(s.path, '['), strconv.Itoa(c.n-1)...), ']')
		err = s.single(fd, tok, "")
		s.path = s.path[:mark]
		if err != nil {
			return err
		}
	}
	s.overIf(c)
	return nil
}

// mapObject scans the members of fd's object, after its "{": those past
// the bound are counted, not scanned.
func (s *jsonScan) mapObject(fd protoreflect.FieldDescriptor) error {
	c := &count{bound: Bound(fd)}
	for {
		tok, err := s.token()
		if err != nil {
			return err
		}
		if tok == json.Delim('}') {
			break
		}
		c.n++
		if c.n <= c.bound {
			if err := s.single(fd.MapKey(), tok, "a key of "); err != nil {
				return err
			}
		}
		if tok, err = s.token(); err != nil {
			return err
		}
		if c.n > c.bound {
			err = s.skip(tok)
		} else {
			err = s.single(fd.MapValue(), tok, "a value of ")
		}
		if err != nil {
			return err
		}
	}
	s.overIf(c)
	return nil
}

// overIf records c if it passed its bound.
func (s *jsonScan) overIf(c *count) {
	if c.n > c.bound {
		c.path = string(s.path)
		s.over = append(s.over, c)
	}
}

// skipValue skips the next value.
func (s *jsonScan) skipValue() error {
	tok, err := s.token()
	if err != nil {
		return err
	}
	return s.skip(tok)
}

// skip skips the rest of the value whose first token is tok.
func (s *jsonScan) skip(tok json.Token) error {
	if tok != json.Delim('{') && tok != json.Delim('[') {
		return nil
	}
	for depth := 1; depth > 0; {
		tok, err := s.token()
		if err != nil {
			return err
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			depth++
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
	}
	return nil
}

// isWellKnown reports whether md is one of protobuf's well-known types,
// which have their own JSON forms (no request of the API has one).
func isWellKnown(md protoreflect.MessageDescriptor) bool {
	return md.ParentFile().Package() == "google.protobuf"
}
