package vendorjson

import (
	"context"

	"google.golang.org/protobuf/proto"
)

// Originals holds the vendor JSON that messages were read from, so that
// they can be written back as ModelArts sent them ([MarshalWith]): with
// its explicit nulls and the fields the API does not declare, which
// reading drops. The reader decides what of the JSON may be written back
// (secrets removed); Originals only keeps it.
//
// One call's answer uses one Originals, from one goroutine at a time; it
// keeps every message it was given until the message is dropped ([Originals.Drop])
// or the Originals is. A nil *Originals
// keeps nothing.
type Originals struct {
	// one is the message kept while it is the only one (most calls keep
	// their answer alone), with oneRaw, its JSON: no map for it. Once a
	// second is kept, or a writer asks for them all ([Originals.kept]),
	// every message is in byMessage and one is nil.
	one       proto.Message
	oneRaw    []byte
	byMessage map[proto.Message][]byte
}

type originalsKey struct{}

// WithOriginals returns a context that asks readers of vendor JSON to keep
// what they read in o (see [OriginalsFrom]): the REST mirror, which
// answers in the vendor's JSON, gives each call one.
func WithOriginals(ctx context.Context, o *Originals) context.Context {
	return context.WithValue(ctx, originalsKey{}, o)
}

// OriginalsFrom returns the Originals of ctx, or nil when the call's
// answer will not be written as vendor JSON (a gRPC call): readers then
// skip the work of keeping anything.
func OriginalsFrom(ctx context.Context) *Originals {
	o, _ := ctx.Value(originalsKey{}).(*Originals)
	return o
}

// Keep records that m was read from raw, a JSON object, which [MarshalWith]
// then writes in m's place. raw is kept as it is, not copied.
func (o *Originals) Keep(m proto.Message, raw []byte) {
	if o == nil {
		return
	}
	if o.byMessage == nil && (o.one == nil || o.one == m) {
		o.one, o.oneRaw = m, raw
		return
	}
	o.kept()[m] = raw
}

// kept returns the map of every message o keeps, moving the one kept
// without a map into it.
func (o *Originals) kept() map[proto.Message][]byte {
	if o.byMessage == nil {
		o.byMessage = make(map[proto.Message][]byte)
	}
	if o.one != nil {
		o.byMessage[o.one] = o.oneRaw
		o.one, o.oneRaw = nil, nil
	}
	return o.byMessage
}

// Drop forgets m: a reader that read a message it will not answer with
// (a wait's reads of an instance before the last) drops it, so that what a
// call keeps does not grow with how often it reads.
func (o *Originals) Drop(m proto.Message) {
	switch {
	case o == nil:
	case o.one != nil && o.one == m:
		o.one, o.oneRaw = nil, nil
	default:
		delete(o.byMessage, m)
	}
}

// Move makes what o keeps for from be kept for to instead: the REST
// mirror moves a call's answer into the message the gateway writes.
func (o *Originals) Move(from, to proto.Message) {
	if o == nil {
		return
	}
	if o.one != nil && o.one == from {
		o.one = to
		return
	}
	if raw, ok := o.byMessage[from]; ok {
		delete(o.byMessage, from)
		o.byMessage[to] = raw
	}
}

// Get returns the JSON m was read from, if o keeps it: a reader that
// keeps it elsewhere (a watch's poller, whose objects outlive the call
// that read them) takes it from there.
func (o *Originals) Get(m proto.Message) ([]byte, bool) { return o.of(m) }

// of returns the JSON m was read from, if o keeps it.
func (o *Originals) of(m proto.Message) ([]byte, bool) {
	if o == nil {
		return nil, false
	}
	if o.one != nil && o.one == m {
		return o.oneRaw, true
	}
	raw, ok := o.byMessage[m]
	return raw, ok
}
