// Package scrub makes text the facade did not write safe to pass on to
// callers and logs: upstream error messages, request IDs and bodies, IAM's
// explanations, and URLs from configuration.
//
// [Text] returns valid UTF-8 with no control characters and no invisible
// formatting characters (Unicode category Cf: bidirectional overrides such
// as U+202E, zero-width spaces and joiners, U+FEFF), bounded in length, with
// every known secret replaced by [Redacted]. [Secrets.JSON] takes the
// secrets out of the strings of a JSON answer whose content is passed on as
// it is. [URL] describes a URL without its user info.
//
// Redaction is a safety net for an upstream that echoes what it was sent; it
// matches secrets byte for byte (and in their JSON-escaped forms; in a JSON
// answer, in its strings once their escapes are decoded), so text that
// encodes a secret some other way (reversed, base64, case-folded) passes. Keep secrets out of upstream requests where they do not belong.
package scrub

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Redacted replaces each occurrence of a secret in [Text].
const Redacted = "[REDACTED]"

// MinSecretLen is the length, in bytes, below which [NewSecrets] ignores a
// value. Real secrets (IAM tokens, keys, signatures) are far longer, while
// replacing every occurrence of a short value such as "t" or "pass" would
// shred ordinary words in a message and, with the marker's position, reveal
// the value anyway. A configured password shorter than this is not redacted.
const MinSecretLen = 8

// Secrets is a set of values that [Text] replaces with [Redacted]. A nil
// *Secrets redacts nothing. It is immutable, so safe for concurrent use.
type Secrets struct {
	// forms holds every value in the form it takes in cleaned text, and
	// its JSON-escaped forms, longest first and without duplicates. Longest
	// first makes a secret that contains another (an Authorization header
	// and its signature) disappear whole.
	forms []string
	// raw holds forms as bytes, for looking through a body without
	// converting it, and probes a piece of each to look for first (see
	// probe).
	raw, probes [][]byte
}

// NewSecrets prepares values for redaction. Values shorter than
// [MinSecretLen] bytes, once cleaned like text, are dropped; it returns nil
// when no value is left. Each value is matched as it is and in the forms a
// JSON encoder gives it (an upstream that quotes a request body in its
// message escapes quotes, backslashes and, for Go, "<", ">" and "&").
func NewSecrets(values ...string) *Secrets {
	var forms []string
	for _, v := range values {
		if len(v) < MinSecretLen {
			continue
		}
		if plain(v) { // the common case (tokens, keys, signatures): one form
			forms = append(forms, v)
			continue
		}
		for _, f := range [...]string{v, jsonEscape(v, false), jsonEscape(v, true)} {
			if f = strings.Map(cleanRune, strings.ToValidUTF8(f, "\uFFFD")); len(f) >= MinSecretLen {
				forms = append(forms, f)
			}
		}
	}
	if len(forms) == 0 {
		return nil
	}
	slices.SortFunc(forms, func(a, b string) int {
		if len(a) != len(b) {
			return len(b) - len(a)
		}
		return strings.Compare(a, b)
	})
	forms = slices.Compact(forms)
	raw, probes := make([][]byte, len(forms)), make([][]byte, len(forms))
	for i, f := range forms {
		raw[i] = []byte(f)
		probes[i] = probe(raw[i])
	}
	return &Secrets{forms: forms, raw: raw, probes: probes}
}

// probe returns the piece of a secret's form that a search of a long text
// looks for first: up to 32 bytes starting at the first byte that is rare
// in JSON answers (not a lowercase letter, digit, space or common
// punctuation), or the form's start if it has none early enough. A search
// runs from one occurrence of the piece's first byte to the next, so
// starting at a rare byte makes it several times faster than starting at,
// say, an "a".
func probe(f []byte) []byte {
	const size = 32
	for i := 0; i+MinSecretLen <= len(f); i++ {
		if c := f[i]; !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || strings.IndexByte(` "_:,.-/`, c) >= 0) {
			return f[i:min(len(f), i+size)]
		}
	}
	return f[:min(len(f), size)]
}

// plain reports whether v is printable ASCII that neither cleaning nor JSON
// escaping changes.
func plain(v string) bool {
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c < 0x20 || c > 0x7e, c == '"', c == '\\', c == '<', c == '>', c == '&':
			return false
		}
	}
	return true
}

// jsonEscape returns v as it appears inside a JSON string.
func jsonEscape(v string, escapeHTML bool) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(escapeHTML)
	if enc.Encode(v) != nil { // cannot fail for a string
		return v
	}
	out := bytes.TrimSuffix(b.Bytes(), []byte("\n"))
	return string(out[1 : len(out)-1])
}

// Text makes s safe to pass on and returns at most maxBytes bytes of it:
//
//   - invalid UTF-8 becomes U+FFFD;
//   - control characters (Cc) and the line and paragraph separators
//     U+2028 and U+2029 become spaces, so the text stays on one line;
//   - formatting characters (Cf) are removed: bidirectional controls
//     (U+202A–U+202E, U+2066–U+2069, U+200E, U+200F, U+061C), zero-width
//     characters (U+200B–U+200D, U+FEFF), soft hyphens, tags and the rest,
//     which could make a message read differently from what it says;
//   - every occurrence of a secret becomes [Redacted]; as this happens
//     after the two steps above, a secret split by invisible characters is
//     still found;
//   - surrounding white space is trimmed, and the text is cut at a rune
//     boundary to maxBytes.
//
// Secrets are replaced before the text is cut, so a cut never leaves the
// start of a secret behind. Only the first 4×maxBytes bytes of s are looked
// at (this bounds the work on hostile input); when s is longer, a tail of
// the text that could be the start of a secret cut there is dropped too.
func Text(s string, maxBytes int, secrets *Secrets) string {
	maxBytes = max(maxBytes, 0)
	cut := false
	if limit := 4 * maxBytes; len(s) > limit {
		for i := 0; i < utf8.UTFMax-1 && limit > 0 && !utf8.RuneStart(s[limit]); i++ {
			limit--
		}
		s, cut = s[:limit], true
	}
	s = strings.Map(cleanRune, strings.ToValidUTF8(s, "\uFFFD"))
	if secrets != nil {
		s = secrets.redact(s)
		if cut {
			s = s[:len(s)-secrets.partialSuffix(s)]
		}
	}
	s = strings.TrimSpace(s)
	if len(s) <= maxBytes {
		return s
	}
	end := maxBytes
	for end > 0 && !utf8.RuneStart(s[end]) {
		end--
	}
	return strings.TrimSpace(s[:end])
}

// Bytes is [Text] for a byte slice: it converts only the part of b that
// Text looks at, so a long body costs no copy of itself.
func Bytes(b []byte, maxBytes int, secrets *Secrets) string {
	// One byte past the work bound tells Text that the input goes on.
	return Text(string(b[:min(len(b), 4*max(maxBytes, 0)+1)]), maxBytes, secrets)
}

// maxRedactPasses bounds how often redact goes over a text. One pass is
// enough unless a secret contains part of the marker: then a replacement
// can form a new occurrence ("RED" + "RED[REDACTED]" becomes
// "RED[REDACTED]"), which the next pass removes.
const maxRedactPasses = 4

// redact replaces every occurrence of a secret with the marker. Text that
// still holds one after maxRedactPasses passes is replaced whole: by the
// marker, or by nothing if the marker itself holds a secret.
func (ss *Secrets) redact(s string) string {
	for range maxRedactPasses {
		changed := false
		for _, f := range ss.forms {
			if strings.Contains(s, f) {
				s, changed = strings.ReplaceAll(s, f, Redacted), true
			}
		}
		if !changed {
			return s
		}
	}
	if ss.holds(s) {
		if ss.holds(Redacted) {
			return ""
		}
		return Redacted
	}
	return s
}

// holds reports whether s contains a secret.
func (ss *Secrets) holds(s string) bool {
	for _, f := range ss.forms {
		if strings.Contains(s, f) {
			return true
		}
	}
	return false
}

// partialSuffix returns the length of the longest tail of s that is a
// proper prefix of a secret: what is left of a secret that the work bound
// cut through.
func (ss *Secrets) partialSuffix(s string) int {
	longest := 0
	for _, f := range ss.forms {
		for i := max(0, len(s)-(len(f)-1)); i < len(s)-longest; i++ {
			if s[i] == f[0] && strings.HasPrefix(f, s[i:]) {
				longest = len(s) - i
				break
			}
		}
	}
	return longest
}

// cleanRune maps control characters and line separators to a space and
// drops formatting characters; see [Text].
func cleanRune(r rune) rune {
	switch {
	case r < utf8.RuneSelf:
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	case unicode.Is(unicode.Cf, r):
		return -1
	case unicode.IsControl(r), r == '\u2028', r == '\u2029':
		return ' '
	}
	return r
}
