// Package callctx carries what the facade knows about one call through its
// layers: the request ID, the protocol the call came in on, and the
// attributes of the call's single log line.
//
// The server's call interceptor creates a [Call] and stores it in the call's
// context; every layer below may read the request ID and add log attributes
// without knowing who logs them.
package callctx

import (
	"context"
	"encoding/binary"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"

	"github.com/google/uuid"
)

// Metadata keys the facade reads from callers and sets on answers (gRPC
// metadata; the REST mirror maps the headers of the same names).
const (
	// MetadataKeyAuthToken carries the caller's own IAM token, forwarded to
	// ModelArts as X-Auth-Token in place of the configured credentials.
	MetadataKeyAuthToken = "x-auth-token"
	// MetadataKeyRequestID carries the caller's request ID, forwarded to
	// ModelArts as X-Request-Id; it is also set in the response header
	// metadata (generated when the caller sent none or an invalid one).
	MetadataKeyRequestID = "x-request-id"
	// MetadataKeyDeleteOutcome is set in the response header metadata of a
	// DeleteInstance that succeeded without ModelArts confirming it: an
	// attempt got no answer and a retry found the instance gone. Its value
	// is "inferred".
	MetadataKeyDeleteOutcome = "x-delete-outcome"
	// MetadataKeyOutcome is set in the response header metadata of a call
	// (create, start, stop, delete) that succeeded without ModelArts
	// confirming it: its answer was lost, and the instance's state shows
	// the call took effect. Its value is "inferred".
	MetadataKeyOutcome = "x-outcome"
	// MetadataKeyInstanceID is set in the response header metadata of a
	// CreateInstance with wait set, and the header is sent at once, as
	// soon as ModelArts has accepted the create and before the wait: a
	// caller that stops waiting (Ctrl-C, its deadline) knows the ID of the
	// instance it created. (Over gRPC only; the REST mirror answers as
	// ModelArts does.)
	MetadataKeyInstanceID = "x-instance-id"
)

// MaxRequestIDLen bounds a caller-supplied request ID.
const MaxRequestIDLen = 128

// Protocols a call can arrive on ([Protocol]).
const (
	ProtocolGRPC = "grpc"
	ProtocolREST = "rest"
)

// Call is what the facade keeps for one call: its request ID and the
// attributes of its log line. It is safe for concurrent use.
type Call struct {
	requestID string
	// untraced: the call is known to carry no trace context ([Untraced]).
	untraced bool
	mu       sync.Mutex
	attrs    []slog.Attr
	buf      [8]slog.Attr // attrs' first array: one allocation per call
}

// New returns a Call with the given request ID.
func New(requestID string) *Call {
	c := &Call{requestID: requestID}
	c.attrs = c.buf[:0]
	return c
}

// RequestID returns the call's request ID, or "" for a nil Call.
func (c *Call) RequestID() string {
	if c == nil {
		return ""
	}
	return c.requestID
}

// Annotate adds attributes to the call's log line; on a nil Call it does
// nothing. It is [Annotate] for a Call already found: code that annotates
// a call several times finds it once (each search goes through the
// context's layers). Never pass it a secret.
func (c *Call) Annotate(attrs ...slog.Attr) {
	if c == nil {
		return
	}
	c.mu.Lock()
	c.attrs = append(c.attrs, attrs...)
	c.mu.Unlock()
}

// AppendAttrs appends the call's log attributes to dst and returns it.
func (c *Call) AppendAttrs(dst []slog.Attr) []slog.Attr {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append(dst, c.attrs...)
}

type callKey struct{}

// NewContext returns ctx carrying c.
func NewContext(ctx context.Context, c *Call) context.Context {
	return context.WithValue(ctx, callKey{}, c)
}

// Begin returns ctx carrying a new Call with the given request ID, and the
// Call. When the nearest holder of a call in ctx is an unused [Room] (the
// gRPC stream's record, which the server allocates for every call anyway),
// the Call is made there and ctx is returned as it is; otherwise the Call
// and a context layer are allocated, as with [New] and [NewContext].
func Begin(ctx context.Context, requestID string) (context.Context, *Call) {
	if r, ok := ctx.Value(callKey{}).(*Room); ok && r.taken.CompareAndSwap(false, true) {
		r.call.requestID = requestID
		r.call.untraced = r.untraced
		r.call.attrs = r.call.buf[:0]
		r.set.Store(&r.call)
		return ctx, &r.call
	}
	c := New(requestID)
	return NewContext(ctx, c), c
}

// Room is space for one [Call] inside a context value that a server makes
// for each call anyway: [Begin] makes the call's Call there, which saves
// the call two allocations (the Call and a context layer). A context type
// that holds a Room answers Value(key) with [Room.Value] first, for the
// lifetime of one call; the zero Room is ready to use.
type Room struct {
	call  Call
	taken atomic.Bool          // Begin has claimed the room
	set   atomic.Pointer[Call] // &call once Begin has filled it in
	// protocol, when not nil, is the protocol the call arrived on
	// ([Protocol]), as an interface value made once (protocols).
	protocol any
	// untraced is what the Call made here says of [Untraced].
	untraced bool
	// anonymous: no identity is held below the Room ([Room.SetAnonymous]).
	anonymous bool
}

// SetAnonymous records that nothing below the Room holds an [Identity]:
// the server authenticates no callers, so none is established before the
// call's context is made. [IdentityFrom] then stops at the Room (finding
// one only in layers above it) instead of searching every layer below for
// none. Call it only before the context holding the Room is shared.
func (r *Room) SetAnonymous() { r.anonymous = true }

// SetUntraced records that the call carries no trace context and none will
// be added to its context: nothing records spans, and the caller sent none
// (only the server knows both). The call's [Untraced] then says so, and
// what would look for a span context in its context (a search through
// every layer, each time) need not. Call it only before the context
// holding the Room is shared.
func (r *Room) SetUntraced() { r.untraced = true }

// Untraced reports whether the call ctx carries is known to carry no trace
// context ([Room.SetUntraced]): then trace.SpanContextFromContext(ctx) is
// invalid and trace.SpanFromContext(ctx) records nothing. False when not
// known, which is always safe.
func Untraced(ctx context.Context) bool {
	c := FromContext(ctx)
	return c != nil && c.untraced
}

// Untraced is [Untraced] for the call itself.
func (c *Call) Untraced() bool { return c.untraced }

// protocols are the protocols' names as interface values, which a Room
// hands out without allocating.
var protocols = map[string]any{ProtocolGRPC: ProtocolGRPC, ProtocolREST: ProtocolREST}

// SetProtocol records the protocol the call arrived on, for [Protocol] to
// find here rather than below (a gRPC call's context has no mark of its
// own, and the search for one would go through every layer of it). Call
// it only before the context holding the Room is shared.
func (r *Room) SetProtocol(protocol string) {
	p, ok := protocols[protocol]
	if !ok {
		p = protocol
	}
	r.protocol = p
}

// Value answers the lookups that are the Room's (ok true): the key
// [FromContext] looks under gives the Room's Call once [Begin] has made it,
// and the Room itself before (which FromContext reads as no call, and
// Begin as room to make one); [Protocol]'s key gives the protocol set with
// [Room.SetProtocol]; [IdentityFrom]'s key gives none after
// [Room.SetAnonymous]. Other keys are not the Room's (ok false).
func (r *Room) Value(key any) (v any, ok bool) {
	switch key.(type) {
	case callKey:
		if c := r.set.Load(); c != nil {
			return c, true
		}
		return r, true
	case protocolKey:
		if r.protocol != nil {
			return r.protocol, true
		}
	case identityKey:
		if r.anonymous {
			return nil, true
		}
	}
	return nil, false
}

// FromContext returns the call ctx carries, or nil.
func FromContext(ctx context.Context) *Call {
	c, _ := ctx.Value(callKey{}).(*Call)
	return c
}

// RequestID returns the request ID of the call ctx carries, or "" when ctx
// carries no call (code running outside the call interceptor).
func RequestID(ctx context.Context) string {
	return FromContext(ctx).RequestID()
}

// Annotate adds attributes to the log line of the call ctx carries; without
// a call it does nothing. Never pass it a secret.
func Annotate(ctx context.Context, attrs ...slog.Attr) {
	FromContext(ctx).Annotate(attrs...)
}

type protocolKey struct{}

// WithProtocol marks ctx as a call that arrived on protocol (ProtocolREST
// for the REST mirror). Calls without the mark arrived over gRPC.
func WithProtocol(ctx context.Context, protocol string) context.Context {
	return context.WithValue(ctx, protocolKey{}, protocol)
}

// Protocol returns the protocol ctx's call arrived on: ProtocolREST when
// [WithProtocol] marked it so, else ProtocolGRPC.
func Protocol(ctx context.Context) string {
	if p, ok := ctx.Value(protocolKey{}).(string); ok {
		return p
	}
	return ProtocolGRPC
}

// ValidRequestID reports whether a caller-supplied request ID can be used
// as is: 1 to [MaxRequestIDLen] visible ASCII characters, so that it can go
// into a header and a log line unchanged.
func ValidRequestID(id string) bool {
	if id == "" || len(id) > MaxRequestIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		if id[i] < 0x21 || id[i] > 0x7e {
			return false
		}
	}
	return true
}

// NewRequestID returns a fresh request ID: a random (version 4) UUID.
//
// Its 122 random bits come from math/rand/v2's generator (ChaCha8, seeded
// by the runtime), not from crypto/rand: a request ID only has to be
// unique, it is not a secret and nothing is authorised by knowing one, and
// the generator is cheaper (the request-ID step measured 1.0 -> 0.3 µs per
// call in the benchmark harness).
func NewRequestID() string {
	var u uuid.UUID
	binary.LittleEndian.PutUint64(u[:8], rand.Uint64())
	binary.LittleEndian.PutUint64(u[8:], rand.Uint64())
	u[6] = u[6]&0x0f | 0x40 // version 4
	u[8] = u[8]&0x3f | 0x80 // the RFC 9562 variant
	return u.String()
}
