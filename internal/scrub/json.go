package scrub

import (
	"bytes"
	"encoding/json"
)

// JSON returns b, a JSON text an upstream answered, with every secret in
// its strings (object keys and values) replaced by [Redacted]. Unlike
// [Text] it neither cleans nor bounds anything: an answer's content is
// passed on as the upstream wrote it, except for the secrets. A string
// that holds none keeps its bytes, so does everything outside strings,
// and when no string holds a secret, b itself is returned.
//
// A string is searched once its escapes are decoded, so a secret written
// with escapes ("\u004dII...", "a\/b") is found too. The cost is one
// search of b per form of each secret; when none is found and b holds a
// backslash, also one pass over b that decodes only the strings with
// escapes (a string without any is a piece of b, so it holds no secret
// either).
//
// A secret outside any string (inside a number, or in a text that is not
// JSON) is left alone: it is not text, and replacing it would change what
// the answer means. A nil *Secrets returns b.
func (ss *Secrets) JSON(b []byte) []byte {
	if ss == nil {
		return b
	}
	inPlain := ss.inBytes(b) // else only a string with escapes can hold one
	if !inPlain && bytes.IndexByte(b, '\\') < 0 {
		return b
	}
	var out []byte // nil until a string changes
	done := 0      // b[:done] is in out
	for i := 0; i < len(b); i++ {
		q := bytes.IndexByte(b[i:], '"')
		if q < 0 {
			break
		}
		i += q
		end, escaped := stringEnd(b, i)
		if end < 0 {
			break // an unterminated string: not JSON from here on
		}
		if !inPlain && !escaped {
			i = end - 1
			continue
		}
		s := string(b[i+1 : end-1])
		if escaped {
			if json.Unmarshal(b[i:end], &s) != nil {
				i = end - 1
				continue
			}
		}
		if r := ss.redact(s); r != s {
			out = append(out, b[done:i]...)
			out = append(out, '"')
			out = append(out, jsonEscape(r, false)...)
			out = append(out, '"')
			done = end
		}
		i = end - 1
	}
	if out == nil {
		return b
	}
	return append(out, b[done:]...)
}

// inBytes reports whether b holds a form of a secret.
func (ss *Secrets) inBytes(b []byte) bool {
	for i, f := range ss.raw {
		if bytes.Contains(b, ss.probes[i]) && bytes.Contains(b, f) {
			return true
		}
	}
	return false
}

// stringEnd returns the index just past the JSON string that starts with
// the quote at b[start], and whether it holds escapes; -1 when the string
// does not end.
func stringEnd(b []byte, start int) (end int, escaped bool) {
	for i := start + 1; i < len(b); i++ {
		switch b[i] {
		case '\\':
			escaped = true
			i++ // the escaped character, a quote included
		case '"':
			return i + 1, escaped
		}
	}
	return -1, escaped
}
