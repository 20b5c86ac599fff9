// Package logjson writes the facade's JSON log lines: the lines
// slog.NewJSONHandler writes, byte for byte, written faster for the
// records the facade logs on every call.
//
// A call's log line (method, protocol, code, duration_ms, request_id,
// peer and what the layers below add: strings, numbers, booleans) was a
// twentieth of the facade's CPU per DeleteInstance; slog's handler goes
// through ReplaceAttr for every attribute, and through encoding/json for
// the level (with ReplaceAttr set) and for every float. A [Handler]
// writes records whose attributes are all of those kinds itself, and hands
// every other record (groups, times, errors and other values, handlers
// made by WithAttrs or WithGroup) to slog's JSON handler, so the output is
// slog's in every case. Lines logged at the same time are written together
// (one Write, one system call, for several), rather than one at a time
// under a lock: under load, the write system call of each line took 3% of
// the facade's CPU, and calls queued for the lock around it (the largest
// wait on a lock in the facade's execution trace).
package logjson

import (
	"context"
	"io"
	"log/slog"
	"math"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"
)

// Options configures a [Handler].
type Options struct {
	// Level is the minimum level logged; nil means slog.LevelInfo.
	Level slog.Leveler
	// DurationsInMillis writes every time.Duration attribute as
	// [DurationsInMillis] does.
	DurationsInMillis bool
	// Linger is how long a line may wait for others to be written with
	// it in one Write, when no Write is under way (zero: it is written at
	// once). Lines that wait are written by a timer's goroutine, or at
	// [Handler.Flush].
	Linger time.Duration
}

// DurationsInMillis is an slog.HandlerOptions.ReplaceAttr that writes a
// duration attribute as milliseconds under its key with "_ms" appended
// (grace: 20s becomes grace_ms: 20000, with microsecond precision): slog
// writes a time.Duration as nanoseconds in JSON and as "20s" in text.
func DurationsInMillis(_ []string, a slog.Attr) slog.Attr {
	if a.Value.Kind() != slog.KindDuration {
		return a
	}
	return slog.Float64(a.Key+"_ms", millis(a.Value.Duration()))
}

func millis(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// Handler is an slog.Handler writing JSON lines to an io.Writer, as
// slog.NewJSONHandler with the same options does, but with the lines of
// records handled at the same time grouped into one Write (see
// groupWriter): every Write holds whole lines.
type Handler struct {
	opts Options
	w    *groupWriter
	// slow is slog's handler on the same writer, for the records the
	// handler does not write itself.
	slow slog.Handler
}

// NewHandler returns a Handler writing to w.
func NewHandler(w io.Writer, opts Options) *Handler {
	lw := newGroupWriter(w, opts.Linger)
	so := &slog.HandlerOptions{Level: opts.Level}
	if opts.DurationsInMillis {
		so.ReplaceAttr = DurationsInMillis
	}
	return &Handler{opts: opts, w: lw, slow: slog.NewJSONHandler(lw, so)}
}

// Flush returns once every line handled so far has been written: call it
// before the process exits, as lines handled while another was being
// written are written after their Handle has returned.
func (h *Handler) Flush() { h.w.flushed() }

// Enabled reports whether level is at least the handler's level, as
// slog's handler with the same Level does (asked on every call's line, it
// answers without asking slog's handler).
func (h *Handler) Enabled(_ context.Context, level slog.Level) bool {
	least := slog.LevelInfo
	if h.opts.Level != nil {
		least = h.opts.Level.Level()
	}
	return level >= least
}

// WithAttrs returns slog's JSON handler with attrs (on the same writer):
// the facade's call lines use none.
func (h *Handler) WithAttrs(attrs []slog.Attr) slog.Handler { return h.slow.WithAttrs(attrs) }

// WithGroup returns slog's JSON handler with the group (on the same
// writer).
func (h *Handler) WithGroup(name string) slog.Handler { return h.slow.WithGroup(name) }

// lines are the buffers lines are written in.
var lines = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// maxPooledLine bounds the buffers kept for reuse.
const maxPooledLine = 16 << 10

// Handle writes r as one JSON line.
func (h *Handler) Handle(ctx context.Context, r slog.Record) error {
	bp := lines.Get().(*[]byte)
	line, ok := h.appendRecord((*bp)[:0], r)
	var err error
	if ok {
		_, err = h.w.Write(line)
	} else {
		err = h.slow.Handle(ctx, r)
	}
	if cap(line) <= maxPooledLine {
		*bp = line
		lines.Put(bp)
	}
	return err
}

// HandleAttrs writes the line Handle writes for the record
// slog.NewRecord(t, level, msg, 0) with attrs added, without making the
// record: a record holds five attributes in itself and allocates for the
// rest, and a call's line has ten or more.
func (h *Handler) HandleAttrs(ctx context.Context, t time.Time, level slog.Level, msg string, attrs []slog.Attr) error {
	bp := lines.Get().(*[]byte)
	line, ok := h.appendHead((*bp)[:0], t, level, msg)
	for _, a := range attrs {
		if !ok {
			break
		}
		line, ok = h.appendAttr(line, a)
	}
	line = append(line, '}', '\n')
	var err error
	if ok {
		_, err = h.w.Write(line)
	} else {
		r := slog.NewRecord(t, level, msg, 0)
		r.AddAttrs(attrs...)
		err = h.slow.Handle(ctx, r)
	}
	if cap(line) <= maxPooledLine {
		*bp = line
		lines.Put(bp)
	}
	return err
}

// appendRecord appends r's line to b, or reports false if r holds
// something only slog's handler writes.
func (h *Handler) appendRecord(b []byte, r slog.Record) ([]byte, bool) {
	b, ok := h.appendHead(b, r.Time, r.Level, r.Message)
	if ok {
		r.Attrs(func(a slog.Attr) bool {
			b, ok = h.appendAttr(b, a)
			return ok
		})
	}
	return append(b, '}', '\n'), ok
}

// appendHead appends a line's opening brace, time, level and message, or
// reports false for a time only slog's handler writes.
func (h *Handler) appendHead(b []byte, t time.Time, level slog.Level, msg string) ([]byte, bool) {
	b = append(b, '{')
	if !t.IsZero() {
		t := t.Round(0)
		if y := t.Year(); y < 0 || y >= 10000 {
			return b, false
		}
		b = append(b, `"time":"`...)
		b = t.AppendFormat(b, time.RFC3339Nano)
		b = append(b, `",`...)
	}
	b = append(b, `"level":`...)
	b = appendString(b, level.String())
	b = append(b, `,"msg":`...)
	return appendString(b, msg), true
}

// appendAttr appends ,"key":value, or reports false for a value of a
// kind it leaves to slog.
func (h *Handler) appendAttr(b []byte, a slog.Attr) ([]byte, bool) {
	v := a.Value
	key := a.Key
	if v.Kind() == slog.KindDuration && h.opts.DurationsInMillis {
		key, v = a.Key+"_ms", slog.Float64Value(millis(v.Duration()))
	}
	switch v.Kind() {
	case slog.KindString:
		b = appendKey(b, key)
		return appendString(b, v.String()), true
	case slog.KindInt64:
		b = appendKey(b, key)
		return strconv.AppendInt(b, v.Int64(), 10), true
	case slog.KindUint64:
		b = appendKey(b, key)
		return strconv.AppendUint(b, v.Uint64(), 10), true
	case slog.KindBool:
		b = appendKey(b, key)
		return strconv.AppendBool(b, v.Bool()), true
	case slog.KindDuration:
		b = appendKey(b, key)
		return strconv.AppendInt(b, int64(v.Duration()), 10), true
	case slog.KindFloat64:
		// encoding/json (slog's writer of floats) writes a float in the
		// shortest decimal form, with an exponent below 1e-6 and from
		// 1e21 on, and refuses NaN and infinities; the exponent's forms
		// and the refusals are left to slog.
		f := v.Float64()
		if abs := math.Abs(f); math.IsNaN(f) || (abs != 0 && (abs < 1e-6 || abs >= 1e21)) {
			return b, false
		}
		b = appendKey(b, key)
		return appendFloat(b, f), true
	}
	return b, false // groups, times, errors, other values, LogValuers, empty attributes
}

// appendFloat appends f as strconv.AppendFloat(b, f, 'f', -1, 64) does.
// A whole number of thousandths under a million (the durations in
// milliseconds of DurationsInMillis, and the facade's duration_ms: every
// call's line has one) is written from its integer: its shortest form is
// the thousandths' decimal with the trailing zeros cut (any other decimal
// of three places or fewer is a thousandth or more away, where floats this
// size are a billionth apart), which AppendFloat's search for the shortest
// form would find at several times the cost.
func appendFloat(b []byte, f float64) []byte {
	if f >= 0 && f < 1e6 && !math.Signbit(f) { // -0 is written "-0"
		if n := math.Round(f * 1000); float64(n)/1000 == f {
			t := uint64(n)
			b = strconv.AppendUint(b, t/1000, 10)
			if frac := t % 1000; frac != 0 {
				digits := [4]byte{'.', byte('0' + frac/100), byte('0' + frac/10%10), byte('0' + frac%10)}
				end := 4
				for digits[end-1] == '0' {
					end--
				}
				b = append(b, digits[:end]...)
			}
			return b
		}
	}
	return strconv.AppendFloat(b, f, 'f', -1, 64)
}

func appendKey(b []byte, key string) []byte {
	b = append(b, ',')
	b = appendString(b, key)
	return append(b, ':')
}

// appendString appends s as a JSON string the way slog's JSON handler
// escapes it: quotes and backslashes with a backslash, \n, \r and \t,
// other control characters as \u00XX, invalid UTF-8 as \ufffd, U+2028 and
// U+2029 as \u2028 and \u2029; everything else (HTML's <, > and & among
// it) as it is.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	i := safePrefix(s)
	if i == len(s) { // the usual case: nothing to escape
		b = append(b, s...)
		return append(b, '"')
	}
	for i < len(s) {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// safePrefix returns how many of s's first bytes appendString writes as
// they are for certain: it looks at them eight at a time, as one word, and
// takes the eight when they are all printable ASCII other than '"' and
// '\\' (for a string of eight bytes or more, the last eight too, so that a
// string with nothing to escape is taken whole). What follows is for
// appendString's loop to look at byte by byte.
func safePrefix(s string) int {
	const (
		ones = 0x0101010101010101
		high = 0x8080808080808080
	)
	n := len(s)
	i := 0
	for i < n && n >= 8 {
		j := i
		if j+8 > n { // fewer than eight left: the last eight, once
			j = n - 8
		}
		t := s[j : j+8]
		w := uint64(t[0]) | uint64(t[1])<<8 | uint64(t[2])<<16 | uint64(t[3])<<24 |
			uint64(t[4])<<32 | uint64(t[5])<<40 | uint64(t[6])<<48 | uint64(t[7])<<56
		quote, backslash := w^(ones*'"'), w^(ones*'\\')
		// Where w's bytes are all ASCII (no high bit set in w), special
		// has a high bit set if and only if one of them is below 0x20,
		// '"' or '\\': the word tests "has a byte below n" and "has a zero
		// byte", which are exact as to whether there is one (not where).
		special := (w - ones*0x20) &^ w
		special |= (quote - ones) &^ quote
		special |= (backslash - ones) &^ backslash
		if (special|w)&high != 0 {
			return i
		}
		if j < i {
			return n
		}
		i += 8
	}
	return i
}
