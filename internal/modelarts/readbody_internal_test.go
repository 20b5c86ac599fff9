package modelarts

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// TestReadBody_announced checks that a body read by its announced length
// (readAnnounced) gives what a body of unannounced length (readAny) gives,
// bytes and error, whatever the body does: as announced, shorter, longer
// (up to and over the limit), failing midway, in one-byte reads, with its
// end said with the last bytes or after them.
func TestReadBody_announced(t *testing.T) {
	errBroken := errors.New("connection broken")
	const limit = 16
	tests := []struct {
		name   string
		length int64
		body   func() io.Reader
	}{
		{"as announced", 5, func() io.Reader { return strings.NewReader("hello") }},
		{"empty", 0, func() io.Reader { return strings.NewReader("") }},
		{"end with the last bytes", 5, func() io.Reader { return iotest.DataErrReader(strings.NewReader("hello")) }},
		{"one byte at a time", 5, func() io.Reader { return iotest.OneByteReader(strings.NewReader("hello")) }},
		{"shorter", 8, func() io.Reader { return strings.NewReader("hello") }},
		{"cut short", 8, func() io.Reader {
			return io.MultiReader(strings.NewReader("hel"), iotest.ErrReader(io.ErrUnexpectedEOF))
		}},
		{"broken midway", 5, func() io.Reader { return io.MultiReader(strings.NewReader("he"), iotest.ErrReader(errBroken)) }},
		{"broken at the end", 5, func() io.Reader {
			return io.MultiReader(strings.NewReader("hello"), iotest.ErrReader(errBroken))
		}},
		{"longer", 5, func() io.Reader { return strings.NewReader("hello, world") }},
		{"empty but longer", 0, func() io.Reader { return strings.NewReader("hello") }},
		{"longer than the limit", 5, func() io.Reader { return strings.NewReader(strings.Repeat("x", 40)) }},
		{"at the limit", limit, func() io.Reader { return strings.NewReader(strings.Repeat("x", limit)) }},
		{"over the limit announced", limit + 1, func() io.Reader { return strings.NewReader(strings.Repeat("x", limit+1)) }},
		{"unannounced", -1, func() io.Reader { return strings.NewReader("hello") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want, wantErr := readAny(tt.body(), limit)
			got, err := readBody(tt.body(), tt.length, limit)
			if !bytes.Equal(got, want) || !errors.Is(err, wantErr) || (err == nil) != (wantErr == nil) {
				t.Errorf("readBody = %q, %v; readAny = %q, %v", got, err, want, wantErr)
			}
		})
	}
}

// TestReadBody_announcedAllocs checks that a short body of announced
// length costs one allocation (the body itself), not a pooled buffer's
// limiting reader and the body's copy out of the buffer as well.
func TestReadBody_announcedAllocs(t *testing.T) {
	const answer = `{"instance_id":"fault-x1"}`
	r := strings.NewReader(answer)
	allocs := testing.AllocsPerRun(100, func() {
		r.Reset(answer)
		body, err := readBody(r, int64(len(answer)), DefaultMaxBodyBytes)
		if err != nil || string(body) != answer {
			panic(fmt.Sprintf("readBody = %q, %v", body, err))
		}
	})
	if allocs != 1 {
		t.Errorf("%v allocations per body; want 1", allocs)
	}
}
