package mirror

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/devenv-facade/devenv-facade/internal/apierror"
)

// A request the mirror cannot read into the API's message (a body that is
// not JSON, a value of the wrong type, a query value that is not a number)
// is answered in words a REST user understands, naming the parameter and
// what it takes, never with a decoder's own message ("unexpected EOF",
// "strconv.ParseInt: parsing ..."), and with ModelArts' code where it has
// one, as the vendor's error-code table words them:
//
//   - ModelArts.6400 "Invalid request payload {0}, please check.": a body
//     that is empty, not JSON or not a JSON object;
//   - ModelArts.6332 "Incorrect parameter type. The '{}' parameter must be
//     of the '{}' type.": a body member or query parameter of the wrong
//     type;
//   - ModelArts.6336 "'{}' property value is incorrect.": a number out of
//     its type's range.
//
// The emulator answers the same codes (internal/emulator, decodeBody and
// parseListQuery).

// readError is why a request could not be read, as the mirror answers it.
type readError struct {
	httpStatus int
	code       string
	message    string
}

func (e *readError) Error() string { return e.message }

func payloadError(detail string) *readError {
	return &readError{http.StatusBadRequest, "ModelArts.6400", "Invalid request payload (" + detail + "), please check."}
}

func typeError(field, typ, got string) *readError {
	return &readError{http.StatusBadRequest, "ModelArts.6332",
		fmt.Sprintf("Incorrect parameter type. The '%s' parameter must be of the '%s' type; got %s.", field, typ, got)}
}

func rangeError(field, why string) *readError {
	return &readError{http.StatusBadRequest, "ModelArts.6336", fmt.Sprintf("'%s' property value is incorrect: %s.", field, why)}
}

// write answers r with e, and logs the request as one that never reached
// the service.
func (e *readError) write(c *config, w http.ResponseWriter, r *http.Request) {
	c.logUnreadRequest(r.Context(), r, codes.InvalidArgument, e.message)
	writeJSON(w, e.httpStatus, errorBody{ErrorCode: e.code, ErrorMessage: e.message})
}

// quoted describes a value a caller sent, at most 64 bytes of it, in Go's
// quoted form: control, bidirectional and invisible characters escaped.
func quoted(v string) string {
	if len(v) > 64 {
		return strconv.Quote(strings.ToValidUTF8(v[:64], "")) + "..."
	}
	return strconv.Quote(v)
}

// checkQuery answers a request whose query parameters do not fit the
// fields of its route's message before next (grpc-gateway, which would
// answer with its parser's words) reads them. Parameters the API does not
// know are left alone, as grpc-gateway ignores them.
func (c *config) checkQuery(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rt := routeTable.find(r.Method, r.URL.EscapedPath())
		if rt == nil || rt.wholeBody || r.URL.RawQuery == "" {
			next.ServeHTTP(w, r)
			return
		}
		if e := queryError(rt, r.URL.RawQuery); e != nil {
			e.write(c, w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// queryError returns what is wrong with rawQuery for rt, or nil.
func queryError(rt *route, rawQuery string) *readError {
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		var esc url.EscapeError
		if errors.As(err, &esc) {
			return &readError{http.StatusBadRequest, apierror.FacadeCodePrefix + apierror.ReasonInvalidArgument,
				fmt.Sprintf("the query string holds %s, which is not a %%-escape (%%XX, with two hexadecimal digits)", quoted(string(esc)))}
		}
		return &readError{http.StatusBadRequest, apierror.FacadeCodePrefix + apierror.ReasonInvalidArgument,
			"the query string is malformed: give name=value pairs separated by '&'"}
	}
	seen := map[protoreflect.Name]string{}
	fields := rt.input.Fields()
	for key, values := range q {
		fd := fields.ByTextName(key)
		if fd == nil {
			fd = fields.ByJSONName(key)
		}
		if fd == nil || isVar(rt, string(fd.Name())) {
			continue // unknown (ignored), or set by the path
		}
		if other, ok := seen[fd.Name()]; ok {
			return rangeError(key, fmt.Sprintf("it is given as both %s and %s; give it once", other, key))
		}
		seen[fd.Name()] = key
		if len(values) > 1 && !fd.IsList() {
			return rangeError(key, fmt.Sprintf("it is given %d times; give it once", len(values)))
		}
		for _, v := range values {
			if e := queryValueError(key, fd, v); e != nil {
				return e
			}
		}
	}
	return nil
}

func isVar(rt *route, name string) bool {
	for _, v := range rt.vars {
		if v == name {
			return true
		}
	}
	return false
}

// queryValueError checks v, a value of the query parameter key, as
// grpc-gateway will read it into fd.
func queryValueError(key string, fd protoreflect.FieldDescriptor, v string) *readError {
	var err error
	var typ string
	bits := 64
	switch fd.Kind() {
	case protoreflect.BoolKind:
		_, err = strconv.ParseBool(v)
		if err != nil {
			return typeError(key, "boolean", quoted(v)+" (use true or false)")
		}
		return nil
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		typ, bits = "integer", 32
		_, err = strconv.ParseInt(v, 10, bits)
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		typ = "integer"
		_, err = strconv.ParseInt(v, 10, bits)
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		typ, bits = "integer", 32
		_, err = strconv.ParseUint(v, 10, bits)
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		typ = "integer"
		_, err = strconv.ParseUint(v, 10, bits)
	case protoreflect.FloatKind, protoreflect.DoubleKind:
		typ = "number"
		_, err = strconv.ParseFloat(v, bits)
	default:
		return nil // strings and the rest: grpc-gateway's to judge
	}
	switch {
	case err == nil:
		return nil
	case errors.Is(err, strconv.ErrRange):
		return rangeError(key, fmt.Sprintf("%s is beyond a %d-bit %s", quoted(v), bits, typ))
	}
	return typeError(key, typ, quoted(v))
}

// requestBody is a request's body, which the mirror's decoder reads; it
// carries why the body could not be read, for the error handler
// (writeError), since grpc-gateway keeps only a decoder error's text.
type requestBody struct {
	io.ReadCloser
	limit   int64
	failure *readError
}

// bodyError returns why a body could not be read into a message of md:
// err is the decoder's error, raw what it read of the body.
func bodyError(err error, raw []byte, md protoreflect.MessageDescriptor, limit int64) *readError {
	var tooLarge *http.MaxBytesError
	var syntax *json.SyntaxError
	switch {
	case errors.As(err, &tooLarge):
		return &readError{http.StatusRequestEntityTooLarge, apierror.FacadeCodePrefix + apierror.ReasonRequestTooLarge,
			fmt.Sprintf("the request body exceeds %d bytes", limit)}
	case errors.Is(err, io.EOF):
		return payloadError("empty body")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return payloadError("the body ends before its JSON value does")
	case errors.As(err, &syntax):
		return payloadError(fmt.Sprintf("the body is not JSON: %s, at byte %d", strings.TrimPrefix(syntax.Error(), "json: "), syntax.Offset))
	}
	if len(bytes.TrimSpace(raw)) > 0 {
		switch bytes.TrimSpace(raw)[0] {
		case '{':
		case '[':
			return payloadError("the body must be a JSON object; it is an array")
		default:
			return payloadError("the body must be a JSON object")
		}
	}
	if e := typeMismatch(raw, md); e != nil {
		return e
	}
	return payloadError("the body does not fit the request; see the API's reference for its members and their types")
}

// typeMismatch returns the error of the first member of raw, a JSON
// object, whose value has a JSON type its field does not take, or nil.
func typeMismatch(raw []byte, md protoreflect.MessageDescriptor) *readError {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	tok, err := d.Token()
	if err != nil || tok != json.Delim('{') {
		return nil
	}
	e, _ := checkObject(d, md, "")
	return e
}

// checkObject checks the members of an object of md, after its "{"; path
// names the object. It stops at the first mismatch, or at a token it
// cannot read (err).
func checkObject(d *json.Decoder, md protoreflect.MessageDescriptor, path string) (*readError, error) {
	seen := map[protoreflect.Name]bool{}
	for d.More() {
		tok, err := d.Token()
		if err != nil {
			return nil, err
		}
		name, _ := tok.(string)
		fd := md.Fields().ByJSONName(name)
		if fd == nil {
			fd = md.Fields().ByTextName(name)
		}
		if fd == nil { // unknown: ignored
			if err := skipValue(d); err != nil {
				return nil, err
			}
			continue
		}
		field := join(path, string(fd.Name()))
		if seen[fd.Name()] {
			return payloadError(field + " is given twice"), nil
		}
		seen[fd.Name()] = true
		if e, err := checkField(d, fd, field); e != nil || err != nil {
			return e, err
		}
	}
	_, err := d.Token() // "}"
	return nil, err
}

// checkField checks the value of fd, a member of an object.
func checkField(d *json.Decoder, fd protoreflect.FieldDescriptor, field string) (*readError, error) {
	tok, err := d.Token()
	if err != nil || tok == nil { // null: absent
		return nil, err
	}
	switch {
	case fd.IsMap():
		if tok != json.Delim('{') {
			return typeError(field, "object", jsonType(tok)), nil
		}
		for d.More() {
			k, err := d.Token()
			if err != nil {
				return nil, err
			}
			key, _ := k.(string) // the caller's: quoted, and cut if long
			if e, err := checkValue(d, fd.MapValue(), field+"["+quoted(key)+"]"); e != nil || err != nil {
				return e, err
			}
		}
		_, err := d.Token()
		return nil, err
	case fd.IsList():
		if tok != json.Delim('[') {
			return typeError(field, "array", jsonType(tok)), nil
		}
		for i := 0; d.More(); i++ {
			if e, err := checkValue(d, fd, fmt.Sprintf("%s[%d]", field, i)); e != nil || err != nil {
				return e, err
			}
		}
		_, err := d.Token()
		return nil, err
	}
	return checkToken(d, fd, field, tok)
}

// checkValue checks the next value, one of fd's (an element or a map
// value).
func checkValue(d *json.Decoder, fd protoreflect.FieldDescriptor, field string) (*readError, error) {
	tok, err := d.Token()
	if err != nil {
		return nil, err
	}
	return checkToken(d, fd, field, tok)
}

// checkToken checks one value of fd whose first token is tok, as protojson
// reads it: strings for strings and bytes, true or false, numbers (or
// strings holding them) for numbers, objects for messages.
func checkToken(d *json.Decoder, fd protoreflect.FieldDescriptor, field string, tok json.Token) (*readError, error) {
	want := ""
	switch fd.Kind() {
	case protoreflect.MessageKind, protoreflect.GroupKind:
		switch {
		case fd.Message().ParentFile().Package() == "google.protobuf":
			// Well-known types have JSON forms of their own (the API's
			// requests have none): left to the decoder.
			if tok == json.Delim('{') || tok == json.Delim('[') {
				return nil, skipRest(d)
			}
			return nil, nil
		case tok == json.Delim('{'):
			return checkObject(d, fd.Message(), field)
		}
		want = "object"
	case protoreflect.StringKind, protoreflect.BytesKind, protoreflect.EnumKind:
		if _, ok := tok.(string); ok {
			return nil, nil
		}
		want = "string"
	case protoreflect.BoolKind:
		if _, ok := tok.(bool); ok {
			return nil, nil
		}
		want = "boolean"
	case protoreflect.FloatKind, protoreflect.DoubleKind:
		want = "number"
		if _, ok := number(tok); ok {
			return nil, nil
		}
	default: // integers
		want = "integer"
		if f, ok := number(tok); ok && f == math.Trunc(f) {
			lo, hi := intRange(fd.Kind())
			if f < lo || f > hi {
				return rangeError(field, fmt.Sprintf("%v is beyond the range of %s (%.0f to %.0f)", tok, fd.Kind(), lo, hi)), nil
			}
			return nil, nil
		}
	}
	if tok == json.Delim('{') || tok == json.Delim('[') {
		if err := skipRest(d); err != nil {
			return nil, err
		}
	}
	return typeError(field, want, jsonType(tok)), nil
}

// number returns the value of tok if it is a number, or a string holding
// one (protojson takes both).
func number(tok json.Token) (float64, bool) {
	var s string
	switch t := tok.(type) {
	case json.Number:
		s = t.String()
	case string:
		s = t
	default:
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	return f, err == nil
}

// intRange returns the values an integer kind holds.
func intRange(k protoreflect.Kind) (lo, hi float64) {
	switch k {
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		return math.MinInt32, math.MaxInt32
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		return 0, math.MaxUint32
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return 0, math.MaxUint64
	}
	return math.MinInt64, math.MaxInt64
}

// jsonType names the JSON type of a value whose first token is tok, for
// "got ...".
func jsonType(tok json.Token) string {
	switch t := tok.(type) {
	case json.Delim:
		if t == '{' {
			return "an object"
		}
		return "an array"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	}
	return "null"
}

// skipValue skips the next value.
func skipValue(d *json.Decoder) error {
	var v json.RawMessage
	return d.Decode(&v)
}

// skipRest skips the rest of an object or array whose first token was
// read.
func skipRest(d *json.Decoder) error {
	for depth := 1; depth > 0; {
		tok, err := d.Token()
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

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}
