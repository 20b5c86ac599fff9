package service

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"strings"

	"unicode/utf8"

	"google.golang.org/protobuf/proto"

	devenvv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/devenv/v1"
	"github.com/devenv-facade/devenv-facade/internal/jsontok"
	"github.com/devenv-facade/devenv-facade/internal/vendorjson"
)

// What callers get of ModelArts' answers. gRPC callers get the API's
// messages, read from the vendor's JSON: fields the API does not declare
// are dropped, the credentials among them, and so are secrets in fields it
// declares (withoutSecrets). REST callers get the vendor's JSON itself, as
// ModelArts sent it (its explicit nulls, fields the API does not declare,
// its order), less the same secrets (forCallers): the service keeps it
// beside the messages it read, in the call's vendorjson.Originals, which
// the mirror writes in their place. (The client has already replaced the
// call's own tokens in both.)

// readInstance reads the vendor's JSON of an instance, for the call of ctx.
func readInstance(ctx context.Context, raw []byte) (*devenvv1.Instance, error) {
	var inst devenvv1.Instance
	if err := vendorjson.Unmarshal(raw, &inst); err != nil {
		return nil, err
	}
	withoutSecrets(&inst)
	if o := vendorjson.OriginalsFrom(ctx); o != nil {
		clean, err := forCallers(raw)
		if err != nil {
			return nil, err
		}
		o.Keep(&inst, clean)
	}
	return &inst, nil
}

// keepOriginal keeps raw, ModelArts' JSON answer (or nil), for REST
// callers, as m, the answer made of it, when the call's answer is vendor
// JSON. m was made by the client's reader (encoding/json, which takes a
// member's name in any case and the last of duplicates); raw is kept only
// if the API's reader makes m of it too, so that REST callers, whose
// readers match names as written, are told what gRPC callers are. When it
// does not, REST callers get m as the facade writes it.
func keepOriginal(ctx context.Context, m proto.Message, raw []byte) {
	o := vendorjson.OriginalsFrom(ctx)
	if o == nil || !bytes.HasPrefix(bytes.TrimSpace(raw), []byte("{")) {
		return // not an object (an empty or null answer): the facade's own
	}
	read := m.ProtoReflect().New().Interface()
	if vendorjson.Unmarshal(raw, read) != nil || !proto.Equal(read, m) {
		return // {"current_status": "A", "Current_Status": "B"}: m says B
	}
	if clean, err := forCallers(raw); err == nil {
		o.Keep(m, clean)
	}
}

// keepDeleteEcho is keepOriginal for a delete's answer: out, the answer,
// is made of raw, ModelArts' JSON echo of the deleted instance's ID (or
// nil). When raw is that echo written compactly and without escapes,
// {"instance_id":"<out's ID>"}, as ModelArts and the emulator write it
// (white space around it allowed, and kept, as keepOriginal keeps it),
// the API's reader makes out of it by construction, and raw is kept
// without being read a second time (a message, its field and a
// comparison by reflection on every REST delete); any other raw goes
// through keepOriginal's check.
func keepDeleteEcho(ctx context.Context, out *devenvv1.DeleteInstanceResponse, raw []byte) {
	const prefix, suffix = `{"instance_id":"`, `"}`
	id, echo := out.GetInstanceId(), bytes.Trim(raw, jsonSpace)
	if len(echo) != len(prefix)+len(id)+len(suffix) || !bytes.HasPrefix(echo, []byte(prefix)) ||
		!bytes.HasSuffix(echo, []byte(suffix)) || string(echo[len(prefix):len(echo)-len(suffix)]) != id || !plainJSONText(id) {
		keepOriginal(ctx, out, raw)
		return
	}
	if o := vendorjson.OriginalsFrom(ctx); o != nil {
		if clean, err := forCallers(raw); err == nil {
			o.Keep(out, clean)
		}
	}
}

// jsonSpace is JSON's white space (RFC 8259), which is all the white
// space an answer may have around its value: bytes.TrimSpace's other
// spaces (\v, \f, U+0085, U+00A0, ...) make it no JSON.
const jsonSpace = " \t\r\n"

// plainJSONText reports whether s is written in a JSON string as it is:
// printable ASCII other than '"' and the backslash.
func plainJSONText(s string) bool {
	for i := range len(s) {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// listUse says what a list read from ModelArts answers: the list itself,
// or some of its instances (a page, a lookup).
type listUse bool

const (
	answerList      listUse = false
	answerInstances listUse = true
)

// readList reads the vendor's JSON of a list of instances, for the call of
// ctx. REST callers get the list as ModelArts sent it, or, when use is
// answerInstances, each instance as ModelArts sent it (splitting the list
// costs a second reading of it, so it is done only then).
func readList(ctx context.Context, raw []byte, use listUse) (*devenvv1.ListInstancesResponse, error) {
	var list devenvv1.ListInstancesResponse
	if err := vendorjson.Unmarshal(raw, &list); err != nil {
		return nil, err
	}
	for _, inst := range list.GetInstances() {
		withoutSecrets(inst)
	}
	o := vendorjson.OriginalsFrom(ctx)
	if o == nil {
		return &list, nil
	}
	clean, err := forCallers(raw)
	if err != nil {
		return nil, err
	}
	o.Keep(&list, clean)
	if use != answerInstances {
		return &list, nil
	}
	var items struct {
		Instances []json.RawMessage `json:"instances"`
	}
	if err := json.Unmarshal(clean, &items); err != nil {
		return nil, err
	}
	if len(items.Instances) == len(list.GetInstances()) {
		for i, inst := range list.GetInstances() {
			o.Keep(inst, items.Instances[i])
		}
	}
	return &list, nil
}

// secretKeyParts name the members of ModelArts' answers that are never
// passed on, wherever they are: spec.credential and
// repository.connection_info.credential (an SSH private key and a
// repository's access token), and any member ModelArts may add whose name
// says it holds a secret. A member whose key, folded (foldKey), holds one
// of them is dropped.
var secretKeyParts = []string{"credential", "password", "passwd", "secret", "token", "privatekey", "accesskey"}

// secretKeyPartBytes are secretKeyParts as byte slices, for copier.secret.
var secretKeyPartBytes = func() [][]byte {
	b := make([][]byte, len(secretKeyParts))
	for i, p := range secretKeyParts {
		b[i] = []byte(p)
	}
	return b
}()

// suspectWords are what an answer that may hold a member forCallers
// changes holds, in ASCII lower case and folded as foldKey folds a name
// (so "pass_word" holds "passw"): a piece of each secretKeyParts, and the
// start of connection_info.
var suspectWords = [][]byte{[]byte("credential"), []byte("passw"), []byte("secret"), []byte("token"),
	[]byte("private"), []byte("access"), []byte("connection")}

// foldKey returns a member's name as secretKey and copyValue compare it:
// in ASCII lower case, without "_" and "-". ModelArts names members in
// lower snake case, but the API's reader also takes the lowerCamelCase
// JSON names (connectionInfo for connection_info), so a gRPC answer read
// from such a name has its secrets removed: the vendor's JSON REST callers
// get must lose the same, whatever the case or separators.
func foldKey(key string) string {
	b := make([]byte, 0, len(key))
	for i := 0; i < len(key); i++ {
		switch c := key[i]; {
		case c == '_' || c == '-':
		case 'A' <= c && c <= 'Z':
			b = append(b, c+'a'-'A')
		default:
			b = append(b, c)
		}
	}
	return string(b)
}

// secretKey reports whether an answer's member named key is dropped.
func secretKey(key string) bool {
	k := foldKey(key)
	for _, p := range secretKeyParts {
		if strings.Contains(k, p) {
			return true
		}
	}
	return false
}

// suspect reports whether raw may hold a member forCallers drops or
// changes: a suspect word in any ASCII case, its letters maybe apart by
// "_" or "-" (which foldKey drops: "Pass-Word" is a secret's name), or an
// escape (\u) that could spell a member's name. It reads raw once, in
// chunks lowered into a buffer on the stack (asciiLower), each
// overlapping the last by the longest word less one byte, and looks up
// each pair of bytes among the words' first two (suspectStarts), or a
// word's first byte before a separator, before comparing a word
// (foldedPrefix, on raw itself, so that a word spread by separators over
// the chunk's end is found): it allocates nothing whatever the answer's
// size, and runs on every answer a REST caller gets.
func suspect(raw []byte) bool {
	if bytes.Contains(raw, []byte(`\u`)) {
		return true
	}
	if len(raw) <= 256 { // an action's or a delete's answer: no 4 KB to clear
		var small [256]byte
		return suspectIn(raw, small[:])
	}
	var buf [4096]byte
	return suspectIn(raw, buf[:])
}

// suspectIn is suspect of raw (without \u), lowered chunk by chunk into
// buf, which must be longer than the longest word.
func suspectIn(raw, buf []byte) bool {
	const overlap = len("connection") - 1 // the longest suspect word, less one
	for start := 0; start < len(raw); start += len(buf) - overlap {
		chunk := buf[:asciiLower(buf, raw[start:])]
		for i := 0; i+1 < len(chunk); i++ {
			c0, c1 := chunk[i], chunk[i+1]
			if suspectStarts[c0]&(1<<(c1&63)) == 0 || c1 >= 128 {
				if (c1 != '_' && c1 != '-') || suspectStarts[c0] == 0 {
					continue
				}
			}
			for _, w := range suspectWords {
				if foldedPrefix(raw[start+i:], w) {
					return true
				}
			}
		}
		if start+len(chunk) >= len(raw) {
			break
		}
	}
	return false
}

// foldedPrefix reports whether b starts with word (ASCII lower case) in
// any ASCII case, its letters maybe apart by "_" or "-".
func foldedPrefix(b, word []byte) bool {
	j := 0
	for k := 0; k < len(word); j++ {
		if j == len(b) {
			return false
		}
		c := b[j]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		switch {
		case c == word[k]:
			k++
		case k == 0 || (c != '_' && c != '-'):
			return false
		}
	}
	return true
}

// suspectStarts says which pairs of bytes start a suspect word: bit b&63 of
// suspectStarts[a] is set when some word starts with a, b (a set bit may
// also stand for another b of the same low six bits: the word is compared
// then).
var suspectStarts = func() (t [256]uint64) {
	for _, w := range suspectWords {
		t[w[0]] |= 1 << (w[1] & 63)
	}
	return t
}()

// asciiLower copies as much of src as fits into dst with ASCII upper case
// letters lowered, eight bytes at a time, and returns how much it copied.
func asciiLower(dst, src []byte) int {
	n := min(len(dst), len(src))
	const ones = 0x0101010101010101
	i := 0
	for ; i+8 <= n; i += 8 {
		x := binary.LittleEndian.Uint64(src[i:])
		a := x & (0x7f * ones)                 // each byte without its high bit
		ge := a + (0x80-'A')*ones              // high bit set: the byte is at least 'A'
		gt := a + (0x80-'Z'-1)*ones            // high bit set: the byte is past 'Z'
		upper := ge &^ gt &^ x & (0x80 * ones) // 'A'..'Z', and ASCII
		binary.LittleEndian.PutUint64(dst[i:], x|upper>>2)
	}
	for ; i < n; i++ {
		c := src[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst[i] = c
	}
	return n
}

// forCallers returns raw, the vendor's JSON of an instance or a list that
// vendorjson.Unmarshal (or encoding/json) has just read without an error,
// without what callers must not see: the members secretKey names, and the
// password or token in a repository's connection_info.url
// (repositoryURL). Everything else is kept as ModelArts wrote it. raw
// itself is returned when it can hold none of that (suspect: the common
// case, one pass); otherwise the JSON is written anew, in the same order,
// without white space, each string as encoding/json writes it (escapes
// decoded, "<>&" kept, an invalid UTF-8 byte as U+FFFD), numbers and
// literals as written. Both ways of making that copy rely on raw's
// syntax having been checked by the read (checking it again, json.Valid,
// was a third of forCallers' time on a list of notebooks, each of which
// holds a token): compact JSON whose strings need no rewriting, as
// ModelArts writes it, is cut where it loses something, reading its bytes
// (cutForCallers); any other is copied token by token with jsontok's
// scanner (copyForCallers). The read accepts one thing json.Valid refuses, as protojson does: a
// number whose exponent has no digits ("1e", "1e+"); forCallers refuses
// one among what it copies with encoding/json's error of the text, as it
// did when it checked the whole text. FuzzReadIsValid keeps the premise
// true: any other text vendorjson reads into an answer, json.Valid
// accepts.
func forCallers(raw []byte) ([]byte, error) {
	if !suspect(raw) {
		return raw, nil
	}
	if out, ok := cutForCallers(raw); ok {
		return out, nil
	}
	return copyForCallers(raw)
}

// copyForCallers is forCallers' way for any JSON whose syntax is checked:
// it writes the copy anew, token by token.
func copyForCallers(raw []byte) ([]byte, error) {
	c := copier{s: jsontok.New(raw), out: make([]byte, 0, len(raw))}
	kind, text, err := c.s.Next()
	if err != nil {
		return nil, err
	}
	if err := c.value(kind, text, false, false); err != nil {
		if errors.Is(err, errNoExponentDigits) {
			var v json.RawMessage
			if jerr := json.Unmarshal(raw, &v); jerr != nil {
				return nil, jerr
			}
		}
		return nil, err
	}
	return c.out, nil
}

// errNoExponentDigits is the copier's error of a number whose exponent
// has no digits.
var errNoExponentDigits = errors.New("vendor JSON: a number's exponent has no digits")

// noExponentDigits reports whether text, a literal the read accepted,
// is a number ending in its exponent's "e", "E" or sign.
func noExponentDigits(text []byte) bool {
	if len(text) == 0 || (text[0] != '-' && (text[0] < '0' || text[0] > '9')) {
		return false // true, false or null
	}
	switch text[len(text)-1] {
	case 'e', 'E', '+', '-':
		return true
	}
	return false
}

// copier copies a JSON text whose syntax is checked to out, as forCallers
// writes it.
type copier struct {
	s   *jsontok.Scanner
	out []byte
	// fold holds a member's name folded (foldKey), reused.
	fold []byte
}

// value copies the value whose first token, just read, is kind and text.
// connInfo says the value is a member whose
// name folds to "connectioninfo"; url says it is the member "url" (folded)
// of such an object: a string there is passed through repositoryURL.
func (c *copier) value(kind jsontok.Kind, text []byte, connInfo, url bool) error {
	switch kind {
	case '{':
		c.out = append(c.out, '{')
		first := true
		for {
			kind, text, err := c.s.Next()
			if err != nil {
				return err
			}
			if kind == '}' {
				break
			}
			name := c.s.Unescape(text)
			if c.secret(name) {
				if err := c.s.SkipValue(); err != nil {
					return err
				}
				continue
			}
			isConnInfo := string(c.fold) == "connectioninfo"
			isURL := connInfo && string(c.fold) == "url"
			if !first {
				c.out = append(c.out, ',')
			}
			first = false
			c.appendString(text)
			c.out = append(c.out, ':')
			kind, text, err = c.s.Next()
			if err != nil {
				return err
			}
			if err := c.value(kind, text, isConnInfo, isURL); err != nil {
				return err
			}
		}
		c.out = append(c.out, '}')
	case '[':
		c.out = append(c.out, '[')
		for i := 0; ; i++ {
			kind, text, err := c.s.Next()
			if err != nil {
				return err
			}
			if kind == ']' {
				break
			}
			if i > 0 {
				c.out = append(c.out, ',')
			}
			if err := c.value(kind, text, false, false); err != nil {
				return err
			}
		}
		c.out = append(c.out, ']')
	case '"':
		if url {
			c.out = appendJSONString(c.out, repositoryURL(validUTF8(c.s.Unescape(text))))
			return nil
		}
		c.appendString(text)
	default: // a number, true, false or null: as written
		if noExponentDigits(text) {
			return errNoExponentDigits
		}
		c.out = append(c.out, text...)
	}
	return nil
}

// secret reports whether the member named name (unescaped) is dropped, as
// secretKey does, leaving name folded in c.fold.
func (c *copier) secret(name []byte) bool {
	c.fold = appendFolded(c.fold[:0], name)
	return secretFolded(c.fold)
}

// appendFolded appends name folded as foldKey folds it: in ASCII lower
// case, without "_" and "-".
func appendFolded(fold, name []byte) []byte {
	for _, b := range name {
		switch {
		case b == '_' || b == '-':
		case 'A' <= b && b <= 'Z':
			fold = append(fold, b+'a'-'A')
		default:
			fold = append(fold, b)
		}
	}
	return fold
}

// secretFolded reports whether a member whose name, folded, is fold is
// dropped (secretKey): it compares fold with secretKeyParts only where a
// pair of bytes that starts one of them stands.
func secretFolded(fold []byte) bool {
	for i := 0; i+1 < len(fold); i++ {
		if secretPartStarts[fold[i]]&(1<<(fold[i+1]&63)) == 0 {
			continue
		}
		for _, p := range secretKeyPartBytes {
			if bytes.HasPrefix(fold[i:], p) {
				return true
			}
		}
	}
	return false
}

// secretPartStarts says which pairs of bytes start one of secretKeyParts,
// as suspectStarts does for suspectWords: a member's name is compared with
// the parts only where such a pair stands.
var secretPartStarts = func() (t [256]uint64) {
	for _, p := range secretKeyParts {
		t[p[0]] |= 1 << (p[1] & 63)
	}
	return t
}()

// appendString appends the string whose content, as the scanner read it,
// is text, as encoding/json's Encoder (SetEscapeHTML(false)) writes the
// string Decoder.Token reads of it: text itself between quotes when it has
// no escape and is valid UTF-8 without U+2028 or U+2029 (which the
// encoder escapes), else decoded and written anew.
func (c *copier) appendString(text []byte) {
	if bytes.IndexByte(text, '\\') < 0 && utf8.Valid(text) && (bytes.IndexByte(text, 0xe2) < 0 || // U+2028 and U+2029 start with 0xe2
		!bytes.Contains(text, []byte("\u2028")) && !bytes.Contains(text, []byte("\u2029"))) {
		c.out = append(c.out, '"')
		c.out = append(c.out, text...)
		c.out = append(c.out, '"')
		return
	}
	c.out = appendJSONString(c.out, validUTF8(c.s.Unescape(text)))
}

// validUTF8 returns b as a string with each byte that is not part of a
// UTF-8 character replaced by U+FFFD, as encoding/json decodes strings.
func validUTF8(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	var out strings.Builder
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		out.WriteRune(r) // RuneError for an invalid byte (n == 1)
		b = b[n:]
	}
	return out.String()
}

// appendJSONString appends s as JSON, as encoding/json's Encoder writes it
// with SetEscapeHTML(false).
func appendJSONString(out []byte, s string) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // cannot fail for a string
	return append(out, bytes.TrimSuffix(b.Bytes(), []byte("\n"))...)
}
