package service

import (
	"bytes"
	"math"
	"unicode/utf8"
)

// cutForCallers is forCallers' way for compact JSON (no white space
// between tokens but inside a member it drops; before and after the
// value, as encoding/json's Encoder ends an answer with a newline, it is
// left out) whose strings are all written as copyForCallers writes them
// (no escape, valid UTF-8 without U+2028 or U+2029), as ModelArts and the
// emulator write their answers. The copy copyForCallers would write is
// then raw itself less the members it drops (with a comma each), and with
// each repository URL it changes rewritten, so raw is copied a run at a
// time between those, and is returned itself when nothing is found. ok is
// false, with nothing done, when raw is not such JSON, or holds a number
// copyForCallers refuses (noExponentDigits) outside a member it drops:
// forCallers then writes it anew.
//
// It reads the bytes themselves, relying on raw's syntax having been
// checked by the read: the strings' conditions are checked on the whole
// text at once (so that a string ends at the next '"'), a string is
// crossed with bytes.IndexByte, and of the strings only members' names
// are looked at, each distinct name about once (cutter.member); a member
// it drops is crossed by counting brackets (BenchmarkForCallers compares
// it with copyForCallers).
func cutForCallers(raw []byte) (out []byte, ok bool) {
	if bytes.IndexByte(raw, '\\') >= 0 || !utf8.Valid(raw) ||
		bytes.IndexByte(raw, 0xe2) >= 0 && (bytes.Contains(raw, []byte("\u2028")) || bytes.Contains(raw, []byte("\u2029"))) {
		return nil, false
	}
	start := len(raw) - len(bytes.TrimLeft(raw, " \t\r\n"))
	end := len(bytes.TrimRight(raw, " \t\r\n"))
	if start >= end || end > math.MaxInt32 {
		return nil, false
	}
	c := cutter{raw: raw[:end], i: start, mark: start, runs: make([][]byte, 0, 128)} // a list of 100 with a token each
	if !c.value(false, false) || c.i != end {
		return nil, false
	}
	if len(c.runs) == 0 {
		return raw[start:end], true
	}
	// One allocation of the copy's length, not cleared before it is
	// written (bytes.Join): clearing 150 KB cost a fifth of the cut.
	return bytes.Join(append(c.runs, raw[c.mark:end]), nil), true
}

// cutter is cutForCallers' reader: it stands at raw[i], and runs are the
// copy of raw up to mark, in pieces (empty while nothing is cut).
type cutter struct {
	raw  []byte
	i    int
	runs [][]byte
	mark int
	// fold holds a member's name folded (appendFolded), reused.
	fold [64]byte
	// names are names looked at and what member said of them, each in one
	// of two places its bytes choose: an answer's objects repeat a few
	// dozen names (a list's items are alike), so each is folded about once.
	names [128]seenName
}

// seenName is a member's name, where it stands in raw (at, n: without
// pointers, so that a cutter is cheap to clear and to keep on the stack),
// and what cutter.member said of it.
type seenName struct {
	at                      int32
	n                       uint16
	secret, connInfo, isURL bool
}

// value reads the value at c.i, moving past it, and cuts what forCallers
// drops or changes of it. connInfo says the value is a member whose name
// folds to "connectioninfo"; url says it is the member "url" (folded) of
// such an object: a string there is passed through repositoryURL. It
// reports false when the value is not what cutForCallers takes.
func (c *cutter) value(connInfo, url bool) bool {
	raw := c.raw
	if c.i >= len(raw) {
		return false
	}
	switch raw[c.i] {
	case '{':
		c.i++
		for kept, first := 0, true; ; first = false {
			if c.i >= len(raw) {
				return false
			}
			prev := c.i // at the ',' before a member after the first
			switch raw[c.i] {
			case '}':
				if !first {
					return false
				}
				c.i++
				return true
			case ',':
				if first {
					return false
				}
				c.i++
			default:
				if !first {
					return false
				}
			}
			start := c.i
			name, ok := c.str()
			if !ok || c.i >= len(raw) || raw[c.i] != ':' {
				return false
			}
			c.i++
			secret, isConnInfo, isURL := c.member(name, connInfo)
			if secret {
				if !c.skip() {
					return false
				}
				c.cut(prev, c.i) // the member, and the ',' before it
			} else {
				if kept == 0 && start > prev {
					c.cut(prev, start) // the ',' before the first member kept
				}
				kept++
				if !c.value(isConnInfo, isURL) {
					return false
				}
			}
			if c.i < len(raw) && raw[c.i] == '}' {
				c.i++
				return true
			}
		}
	case '[':
		c.i++
		if c.i < len(raw) && raw[c.i] == ']' {
			c.i++
			return true
		}
		for {
			if !c.value(false, false) || c.i >= len(raw) {
				return false
			}
			switch raw[c.i] {
			case ']':
				c.i++
				return true
			case ',':
				c.i++
			default:
				return false
			}
		}
	case '"':
		start := c.i
		text, ok := c.str()
		if !ok {
			return false
		}
		if url {
			if u := repositoryURL(string(text)); u != string(text) {
				c.cut(start, c.i)
				c.runs = append(c.runs, appendJSONString(nil, u))
			}
		}
		return true
	default: // a number, true, false or null: as written
		text := c.literal()
		return len(text) > 0 && !noExponentDigits(text)
	}
}

// member says what forCallers does with the member named name: secret,
// it is dropped (secretKey); connInfo, its name folds to
// "connectioninfo"; url, it is the member "url" (folded) of such an
// object (inConnInfo).
func (c *cutter) member(name []byte, inConnInfo bool) (secret, connInfo, url bool) {
	n := len(name)
	if n == 0 {
		return false, false, false
	}
	if n > math.MaxUint16 {
		secret, connInfo, isURL := c.lookAt(name)
		return secret, connInfo, inConnInfo && isURL
	}
	x := uint64(n)<<24 ^ uint64(name[0])<<16 ^ uint64(name[min(1, n-1)])<<32 ^ uint64(name[n/2])<<8 ^ uint64(name[n-1])
	x *= 0x9e3779b97f4a7c15
	seen := &c.names[x>>57]
	if !c.holds(seen, name) {
		other := &c.names[x>>50&127]
		if c.holds(other, name) {
			seen = other
		} else {
			if seen.n != 0 && other.n == 0 {
				seen = other
			}
			// name is raw[at:at+n]: its content, read by str.
			seen.at, seen.n = int32(cap(c.raw)-cap(name)), uint16(n)
			seen.secret, seen.connInfo, seen.isURL = c.lookAt(name)
		}
	}
	return seen.secret, seen.connInfo, inConnInfo && seen.isURL
}

// holds reports whether seen is name's.
func (c *cutter) holds(seen *seenName, name []byte) bool {
	return int(seen.n) == len(name) && bytes.Equal(c.raw[seen.at:int(seen.at)+len(name)], name)
}

// lookAt is member for a name it has not seen lately: isURL says name
// folds to "url".
func (c *cutter) lookAt(name []byte) (secret, connInfo, isURL bool) {
	fold := appendFolded(c.fold[:0], name)
	return secretFolded(fold), string(fold) == "connectioninfo", string(fold) == "url"
}

// str reads the string at c.i, moving past it, and returns its content:
// raw has no escape, so the string ends at the next '"'.
func (c *cutter) str() (text []byte, ok bool) {
	if c.i >= len(c.raw) || c.raw[c.i] != '"' {
		return nil, false
	}
	n := bytes.IndexByte(c.raw[c.i+1:], '"')
	if n < 0 {
		return nil, false
	}
	text = c.raw[c.i+1 : c.i+1+n]
	c.i += n + 2
	return text, true
}

// literal reads the number, true, false or null at c.i, moving past it,
// and returns its text (empty when none stands there).
func (c *cutter) literal() []byte {
	start := c.i
	for c.i < len(c.raw) {
		switch b := c.raw[c.i]; {
		case '0' <= b && b <= '9', 'a' <= b && b <= 'z', b == '-', b == '+', b == '.', b == 'E':
			c.i++
			continue
		}
		break
	}
	return c.raw[start:c.i]
}

// skip moves past the value of a member cutForCallers drops, and the
// white space before it, whatever the value holds: the read checked its
// syntax, and it is not copied.
func (c *cutter) skip() bool {
	raw := c.raw
	for c.i < len(raw) && (raw[c.i] == ' ' || raw[c.i] == '\t' || raw[c.i] == '\r' || raw[c.i] == '\n') {
		c.i++
	}
	if c.i >= len(raw) {
		return false
	}
	switch raw[c.i] {
	case '"':
		_, ok := c.str()
		return ok
	case '{', '[':
	default:
		return len(c.literal()) > 0
	}
	for depth := 0; c.i < len(raw); {
		switch raw[c.i] {
		case '"':
			if _, ok := c.str(); !ok {
				return false
			}
			continue
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				c.i++
				return true
			}
		}
		c.i++
	}
	return false
}

// cut leaves raw[from:to] out of the copy: the text before it, from where
// the last cut ended, is copied.
func (c *cutter) cut(from, to int) {
	c.runs = append(c.runs, c.raw[c.mark:from])
	c.mark = to
}
