package jsonwire

import "unsafe"

// Reading a list of 100 instances made some 5,000 small allocations for
// its strings and the pointers of optional fields: most of the garbage
// collector's work. The Decoder hands them out of chunks instead.
//
// A chunk lives as long as any string or pointer in it: the strings and
// fields of one document's messages, which are read together and mostly
// dropped together.

const (
	// textChunk is the size of the chunks strings are copied into (less
	// for a smaller document); a longer string than maxChunkedText gets
	// an allocation of its own.
	textChunk      = 4 << 10
	maxChunkedText = 512

	// slabLen is how many values of one type a slab of optional fields'
	// values holds.
	slabLen = 32
)

// text returns b as a string, copied into the document's chunks of text.
// A chunk's bytes are never written again once a string holds them.
func (d *Decoder) text(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if len(b) > maxChunkedText {
		return string(b)
	}
	if cap(d.chunk)-len(d.chunk) < len(b) {
		d.chunk = make([]byte, 0, min(textChunk, max(len(d.buf), len(b))))
	}
	start := len(d.chunk)
	d.chunk = append(d.chunk, b...)
	return unsafe.String(&d.chunk[start], len(b))
}

// StringPtr returns a pointer to v (an optional field's value) from a slab.
func (d *Decoder) StringPtr(v string) *string {
	if len(d.strings) == cap(d.strings) {
		d.strings = make([]string, 0, slabLen)
	}
	d.strings = append(d.strings, v)
	return &d.strings[len(d.strings)-1]
}

// Int32Ptr returns a pointer to v (an optional field's value) from a slab.
func (d *Decoder) Int32Ptr(v int32) *int32 {
	if len(d.int32s) == cap(d.int32s) {
		d.int32s = make([]int32, 0, slabLen)
	}
	d.int32s = append(d.int32s, v)
	return &d.int32s[len(d.int32s)-1]
}

// Int64Ptr returns a pointer to v (an optional field's value) from a slab.
func (d *Decoder) Int64Ptr(v int64) *int64 {
	if len(d.int64s) == cap(d.int64s) {
		d.int64s = make([]int64, 0, slabLen)
	}
	d.int64s = append(d.int64s, v)
	return &d.int64s[len(d.int64s)-1]
}

// BoolPtr returns a pointer to v (an optional field's value) from a slab.
func (d *Decoder) BoolPtr(v bool) *bool {
	if len(d.bools) == cap(d.bools) {
		d.bools = make([]bool, 0, slabLen)
	}
	d.bools = append(d.bools, v)
	return &d.bools[len(d.bools)-1]
}

// Text returns b, a map key, as a string (see text).
func (d *Decoder) Text(b []byte) string { return d.text(b) }
