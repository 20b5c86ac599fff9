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

// fromSlab returns a pointer to v, appended to *slab, which it first
// replaces with a fresh slab of slabLen values when it is full (the
// pointers handed out before keep the old one).
func fromSlab[T any](slab *[]T, v T) *T {
	if len(*slab) == cap(*slab) {
		*slab = make([]T, 0, slabLen)
	}
	*slab = append(*slab, v)
	return &(*slab)[len(*slab)-1]
}

// StringPtr returns a pointer to v (an optional field's value) from a slab.
func (d *Decoder) StringPtr(v string) *string { return fromSlab(&d.strings, v) }

// Int32Ptr returns a pointer to v (an optional field's value) from a slab.
func (d *Decoder) Int32Ptr(v int32) *int32 { return fromSlab(&d.int32s, v) }

// Int64Ptr returns a pointer to v (an optional field's value) from a slab.
func (d *Decoder) Int64Ptr(v int64) *int64 { return fromSlab(&d.int64s, v) }

// BoolPtr returns a pointer to v (an optional field's value) from a slab.
func (d *Decoder) BoolPtr(v bool) *bool { return fromSlab(&d.bools, v) }

// Text returns b, a map key, as a string (see text).
func (d *Decoder) Text(b []byte) string { return d.text(b) }
