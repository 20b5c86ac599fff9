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
	"github.com/devenv-facade/devenv-facade/internal/jsontok"
	"github.com/devenv-facade/devenv-facade/internal/reqcheck"
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
//
// With a request check ([WithRequestCheck]), as the facade runs the mirror,
// such a request is answered after authorization: the error is held for
// the call (package reqcheck) and nothing of the body or query string is
// decoded, so a caller who may not make the call is told that, not what is
// wrong with its request.

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

// Err returns e as the error of a call that reached the service
// (reqcheck.Finding: the call answers e after authorization): its vendor
// code and HTTP status are e's, which the mirror answers as they are
// (toVendorError), so the answer is the one write gives.
func (e *readError) Err(requestID string) error {
	reason := apierror.ReasonInvalidArgument
	if e.httpStatus == http.StatusRequestEntityTooLarge {
		reason = apierror.ReasonRequestTooLarge
	}
	return apierror.FacadeAsVendor(codes.InvalidArgument, reason, e.message, apierror.Call{RequestID: requestID}, e.code, e.httpStatus)
}

// write answers r with e, and logs the request as one that never reached
// the service.
func (e *readError) write(c *config, w http.ResponseWriter, r *http.Request) {
	c.logUnreadRequest(r.Context(), r, codes.InvalidArgument, e.message)
	writeJSON(w, e.httpStatus, errorFor(r, e.code, e.message))
}

// quoted describes a value a caller sent, at most 64 bytes of it, in Go's
// quoted form: control, bidirectional and invisible characters escaped.
func quoted(v string) string {
	if len(v) > 64 {
		return strconv.Quote(strings.ToValidUTF8(v[:64], "")) + "..."
	}
	return strconv.Quote(v)
}

// checkQuery checks a request's query parameters against the fields of
// the message of rt, its route, before next (grpc-gateway, which would answer with
// its parser's words, before the call is authorized) reads them. Query
// parameters that do not fit are answered after authorization, as the
// body's are: the error goes into the request's context
// (reqcheck.WithFinding), for the service to answer once the call is
// authorized, and next sees no query string. Without c.check, such a
// request is answered at once. Parameters the API does not know are left
// alone, as grpc-gateway ignores them.
func (c *config) checkQuery(w http.ResponseWriter, r *http.Request, rt *route, next http.Handler) {
	if rt.wholeBody || r.URL.RawQuery == "" {
		next.ServeHTTP(w, r)
		return
	}
	if e := queryError(rt, r.URL.RawQuery); e != nil {
		if c.check == nil {
			e.write(c, w, r)
			return
		}
		u := *r.URL
		u.RawQuery = ""
		r = r.WithContext(reqcheck.WithFinding(r.Context(), e))
		r.URL = &u
	}
	next.ServeHTTP(w, r)
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
// (writeError), since grpc-gateway keeps only a decoder error's text. Only
// the decoder reads it ([requestBody.Read]).
type requestBody struct {
	io.ReadCloser
	limit    int64
	failure  *readError
	decoding bool // the decoder is reading
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
// object, whose value has a JSON type its field does not take, or nil. It
// reads raw in place (package jsontok), allocating nothing per token: a
// body that fails costs memory in proportion to its size like one that
// does not.
func typeMismatch(raw []byte, md protoreflect.MessageDescriptor) *readError {
	w := typeWalk{tokens: jsontok.New(raw)}
	kind, _, err := w.tokens.Next()
	if err != nil || kind != '{' {
		return nil
	}
	e, _ := w.object(md, "")
	return e
}

// typeWalk walks a body's tokens along its message's descriptor, for
// typeMismatch.
type typeWalk struct {
	tokens *jsontok.Scanner
}

// object checks the members of an object of md, after its "{"; path names
// the object. It stops at the first mismatch, or at a token it cannot read
// (err). The objects it walks are those of the message's fields, each at
// most once (a member given twice ends the walk), and the elements of
// lists and maps within their bounds (a body with more is not decoded:
// package reqcheck), so they are few whatever the body's size.
func (w *typeWalk) object(md protoreflect.MessageDescriptor, path string) (*readError, error) {
	fields := jsontok.Fields(md)
	seen := make([]bool, md.Fields().Len())
	for {
		kind, text, err := w.tokens.Next()
		if err != nil || kind == '}' {
			return nil, err
		}
		fd := fields[string(w.tokens.Unescape(text))]
		if fd == nil { // unknown: ignored
			if err := w.tokens.SkipValue(); err != nil {
				return nil, err
			}
			continue
		}
		field := join(path, string(fd.Name()))
		if seen[fd.Index()] {
			return payloadError(field + " is given twice"), nil
		}
		seen[fd.Index()] = true
		if e, err := w.field(fd, field); e != nil || err != nil {
			return e, err
		}
	}
}

// field checks the value of fd, a member of an object.
func (w *typeWalk) field(fd protoreflect.FieldDescriptor, field string) (*readError, error) {
	kind, text, err := w.tokens.Next()
	if err != nil || isNull(kind, text) { // null: absent
		return nil, err
	}
	switch {
	case fd.IsMap():
		if kind != '{' {
			return typeError(field, "object", jsonType(kind, text)), nil
		}
		for {
			kind, text, err := w.tokens.Next()
			if err != nil || kind == '}' {
				return nil, err
			}
			// The caller's key: quoted, and cut if long.
			key := quoted(string(w.tokens.Unescape(text)))
			if e, err := w.value(fd.MapValue(), field+"["+key+"]"); e != nil || err != nil {
				return e, err
			}
		}
	case fd.IsList():
		if kind != '[' {
			return typeError(field, "array", jsonType(kind, text)), nil
		}
		for i := 0; ; i++ {
			kind, text, err := w.tokens.Next()
			if err != nil || kind == ']' {
				return nil, err
			}
			if e, err := w.single(fd, fmt.Sprintf("%s[%d]", field, i), kind, text); e != nil || err != nil {
				return e, err
			}
		}
	}
	return w.single(fd, field, kind, text)
}

// value checks the next value, one of fd's (a map value).
func (w *typeWalk) value(fd protoreflect.FieldDescriptor, field string) (*readError, error) {
	kind, text, err := w.tokens.Next()
	if err != nil {
		return nil, err
	}
	return w.single(fd, field, kind, text)
}

// single checks one value of fd whose first token is kind (text, for a
// string or a literal), as protojson reads it: strings for strings and
// bytes, true or false, numbers (or strings holding them) for numbers,
// objects for messages.
func (w *typeWalk) single(fd protoreflect.FieldDescriptor, field string, kind jsontok.Kind, text []byte) (*readError, error) {
	want := ""
	switch fd.Kind() {
	case protoreflect.MessageKind, protoreflect.GroupKind:
		switch {
		case fd.Message().ParentFile().Package() == "google.protobuf":
			// Well-known types have JSON forms of their own (the API's
			// requests have none): left to the decoder.
			return nil, w.tokens.Skip(kind)
		case kind == '{':
			return w.object(fd.Message(), field)
		}
		want = "object"
	case protoreflect.StringKind, protoreflect.BytesKind, protoreflect.EnumKind:
		if kind == '"' {
			return nil, nil
		}
		want = "string"
	case protoreflect.BoolKind:
		if kind == jsontok.Literal && (string(text) == "true" || string(text) == "false") {
			return nil, nil
		}
		want = "boolean"
	case protoreflect.FloatKind, protoreflect.DoubleKind:
		want = "number"
		if _, ok := w.number(kind, text); ok {
			return nil, nil
		}
	default: // integers
		want = "integer"
		if f, ok := w.number(kind, text); ok && f == math.Trunc(f) {
			lo, hi := intRange(fd.Kind())
			if f < lo || f > hi {
				return rangeError(field, fmt.Sprintf("%s is beyond the range of %s (%.0f to %.0f)", w.numberText(kind, text), fd.Kind(), lo, hi)), nil
			}
			return nil, nil
		}
	}
	return typeError(field, want, jsonType(kind, text)), nil
}

// number returns the value of a number, or of a string holding one
// (protojson takes both).
func (w *typeWalk) number(kind jsontok.Kind, text []byte) (float64, bool) {
	if kind != '"' && (kind != jsontok.Literal || isWord(text)) {
		return 0, false
	}
	f, err := strconv.ParseFloat(w.numberText(kind, text), 64)
	return f, err == nil
}

// numberText is the text of a number, or of a string holding one.
func (w *typeWalk) numberText(kind jsontok.Kind, text []byte) string {
	if kind == '"' {
		return string(w.tokens.Unescape(text))
	}
	return string(text)
}

// isWord reports whether a literal is true, false or null.
func isWord(text []byte) bool {
	switch string(text) {
	case "true", "false", "null":
		return true
	}
	return false
}

func isNull(kind jsontok.Kind, text []byte) bool {
	return kind == jsontok.Literal && string(text) == "null"
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

// jsonType names the JSON type of a value whose first token is kind
// (text, for a literal), for "got ...".
func jsonType(kind jsontok.Kind, text []byte) string {
	switch kind {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	}
	switch string(text) {
	case "true", "false":
		return "a boolean"
	case "null":
		return "null"
	}
	return "a number"
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}
