package mirror

import (
	"context"
	"net/http"
	"net/http/httptrace"

	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/protobuf/proto"

	"github.com/devenv-facade/devenv-facade/internal/callctx"
	"github.com/devenv-facade/devenv-facade/internal/reqcheck"
	"github.com/devenv-facade/devenv-facade/internal/vendorjson"
)

// The values the mirror gives a call's context are each stored by their
// package under a key of its own (context.WithValue), one layer and one or
// two allocations apiece, and every lookup of another key walks past all of
// them. The mirror gives them instead in one layer per step, a struct that
// holds the values and answers their keys ([restCall] before routing,
// [inCall] around the service). The keys are unexported types of their
// packages; they are learnt once, by handing each package's reader a
// context that records the key it asks for ([keyOf]). A reader that turned
// out to ask for something else would leave its key unlearnt (nil), and the
// mirror would then store that value with the package's own function, as
// before (see withValues); the tests check that every value reads back
// through its package.

// contextKeys are the keys learnt by [keyOf].
var contextKeys = struct {
	protocol, peer, originals  any // restCall's
	span                       any // restCall's, from its parent
	incoming, outgoing, stream any // inCall's
}{
	protocol:  keyOf(func(ctx context.Context) { callctx.Protocol(ctx) }),
	peer:      keyOf(func(ctx context.Context) { peer.FromContext(ctx) }),
	originals: keyOf(func(ctx context.Context) { vendorjson.OriginalsFrom(ctx) }),
	span:      keyOf(func(ctx context.Context) { trace.SpanFromContext(ctx) }),
	incoming:  keyOf(func(ctx context.Context) { metadata.FromIncomingContext(ctx) }),
	outgoing:  keyOf(func(ctx context.Context) { metadata.FromOutgoingContext(ctx) }),
	stream:    keyOf(func(ctx context.Context) { grpc.ServerTransportStreamFromContext(ctx) }),
}

// noOutgoing is what metadata.NewOutgoingContext(ctx, nil) stores: no
// outgoing metadata, which hides the gateway's from the service (what the
// REST caller sent is passed on by no one).
var noOutgoing = metadata.NewOutgoingContext(context.Background(), nil).Value(contextKeys.outgoing)

// restProtocol is callctx.ProtocolREST as a context value, boxed once.
var restProtocol any = callctx.ProtocolREST

// keyOf returns the one key read asks its context for, or nil if it asks
// for none or for more than one.
func keyOf(read func(context.Context)) any {
	p := &keyProbe{Context: context.Background()}
	read(p)
	if p.asked != 1 {
		return nil
	}
	return p.key
}

// keyProbe is a context that records the keys it is asked for.
type keyProbe struct {
	context.Context
	key   any
	asked int
}

// Value records key and answers nothing.
func (p *keyProbe) Value(key any) any {
	p.key = key
	p.asked++
	return nil
}

// restCallKey is the key a restCall answers itself for ([routeOf]).
type restCallKey struct{}

// Value answers the call's protocol (REST), its peer, its Originals,
// itself, what its parent context holds under OpenTelemetry's span key
// (looked up once, by asCall: the span lookups of a call's steps stop
// here), and what its callctx.Room answers (the call's callctx.Call, once
// callctx.Begin has made it there). Of a key no layer below the record
// holds ([absentBelowREST], Options.AbsentBelow) it answers none, rather
// than have the lookup search net/http's layers for it.
func (c *restCall) Value(key any) any {
	if v, ok := c.value(key); ok {
		return v
	}
	if key != nil {
		if v, ok := c.room.Value(key); ok {
			return v
		}
		for _, k := range absentBelowREST {
			if key == k {
				return nil
			}
		}
		for _, k := range c.absentBelow {
			if key == k {
				return nil
			}
		}
	}
	return c.Context.Value(key)
}

// value answers the keys whose values only the record itself sets in a
// REST call's context (ok true): itself, the protocol, the peer, the
// Originals and the span key's value from below. [inCall.Value] asks it
// directly, past the layers between the two (caller authentication, the
// request's pending record, grpc-gateway's handler), none of which sets
// them.
func (c *restCall) value(key any) (any, bool) {
	if key == nil {
		return nil, false
	}
	if _, ok := key.(restCallKey); ok {
		return c, true
	}
	switch key {
	case contextKeys.protocol:
		return restProtocol, true
	case contextKeys.peer:
		return &c.peer, true
	case contextKeys.originals:
		return &c.originals, true
	case contextKeys.span:
		return c.span, true
	}
	return nil, false
}

// absentBelowREST are the keys of values no layer below a REST call's
// record holds: what the request check found (reqcheck.WithFinding, set by
// the mirror's query check and the interceptors, above the record) and a
// client trace (httptrace.WithClientTrace, which the ModelArts client's
// attempts add above it, after looking for one to compose with). Below
// the record are only net/http's server layers and the caller's trace
// context (Options.Propagator, or OpenTelemetry's handler).
var absentBelowREST = [...]any{
	keyOf(func(ctx context.Context) { reqcheck.FromContext(ctx) }),
	keyOf(func(ctx context.Context) { httptrace.ContextClientTrace(ctx) }),
}

// withValues returns c itself as the call's context, or, for values whose
// key is unlearnt, a context that adds them with their packages' functions.
func (c *restCall) withValues() context.Context {
	var ctx context.Context = c
	if contextKeys.protocol == nil {
		ctx = callctx.WithProtocol(ctx, callctx.ProtocolREST)
	}
	if contextKeys.peer == nil {
		ctx = peer.NewContext(ctx, &c.peer)
	}
	if contextKeys.originals == nil {
		ctx = vendorjson.WithOriginals(ctx, &c.originals)
	}
	return ctx
}

// inCall is the context of a unary call over the mirror, as a gRPC server
// would give it: the REST request's header metadata ([incomingMetadata])
// as incoming metadata, no outgoing metadata, and the call's transport
// stream ([callStream]), which keeps what the call sets with
// grpc.SetHeader and grpc.SetTrailer for the answer.
type inCall struct {
	context.Context
	incoming metadata.MD // nil: none
	stream   callStream
	rc       *restCall // the REST request's record; nil: none
}

// inCallKey is the key an inCall answers itself for.
type inCallKey struct{}

// newInCall returns the context of a call of method on ctx, the one
// grpc-gateway's server handler gives the service. The inCall is the REST
// request's own ([restCall].in) for its first call, the one a REST request
// makes, and an allocation of its own for any other, whose metadata goes
// to the server handler's stream ([callStream]).
func newInCall(ctx context.Context, method string) (context.Context, *inCall) {
	var c *inCall
	rc, _ := ctx.Value(restCallKey{}).(*restCall)
	if rc != nil && rc.inTaken.CompareAndSwap(false, true) {
		c = &rc.in // its metadata is kept, for writeCallHeader
	} else {
		c = &inCall{}
		c.stream.to = grpc.ServerTransportStreamFromContext(ctx)
	}
	c.Context, c.rc, c.stream.method = ctx, rc, method
	if rc != nil {
		c.incoming = incomingMetadata(rc.header)
	}
	if contextKeys.incoming != nil && contextKeys.outgoing != nil && contextKeys.stream != nil {
		return c, c
	}
	out := metadata.NewOutgoingContext(c, nil)
	if c.incoming != nil {
		out = metadata.NewIncomingContext(out, c.incoming)
	}
	return grpc.NewContextWithServerTransportStream(out, &c.stream), c
}

// Value answers the call's incoming metadata, its outgoing metadata (none:
// what the REST caller sent is passed on by no one), its transport
// stream, itself, and what only its REST request's record sets
// ([restCall.value]), asked of the record directly.
func (c *inCall) Value(key any) any {
	if key != nil {
		if _, ok := key.(inCallKey); ok {
			return c
		}
		switch key {
		case contextKeys.incoming:
			if c.incoming == nil {
				break // none read from the request: the gateway's, if any
			}
			return c.incoming
		case contextKeys.outgoing:
			return noOutgoing
		case contextKeys.stream:
			return &c.stream
		}
		if c.rc != nil {
			if v, ok := c.rc.value(key); ok {
				return v
			}
		}
	}
	return c.Context.Value(key)
}

// callStream is the grpc.ServerTransportStream of a unary call over the
// mirror: the call's method, as a gRPC server's stream gives it (that of
// grpc-gateway's server handlers has none), and the header and trailer
// metadata the call sets. Of the REST request's own call ([restCall].in)
// it keeps them (as [transportStream] keeps them: the first md as it is
// given, no copy), and the mirror writes the header with the answer
// ([writeCallHeader]); of any other call it passes them to the server
// handler's stream (to), which copies and joins them for the answer (a
// map per SetHeader, and two more per answer).
type callStream struct {
	transportStream
	to grpc.ServerTransportStream // nil: kept
}

// SetHeader adds md to the header metadata.
func (s *callStream) SetHeader(md metadata.MD) error {
	if s.to != nil {
		return s.to.SetHeader(md)
	}
	return s.transportStream.SetHeader(md)
}

// SendHeader adds md to the header metadata, which is written with the
// answer.
func (s *callStream) SendHeader(md metadata.MD) error { return s.SetHeader(md) }

// SetTrailer adds md to the trailer metadata.
func (s *callStream) SetTrailer(md metadata.MD) error {
	if s.to != nil {
		return s.to.SetTrailer(md)
	}
	return s.transportStream.SetTrailer(md)
}

// writeCallHeader is a forward-response option of the mux: it writes the
// header metadata the REST request's own call kept ([callStream]) with
// its answer, under the names [outgoingHeader] gives them, as
// grpc-gateway writes the metadata of its server handler's stream. (An
// error is answered in the vendor's shape, without them: writeError
// writes neither.)
func writeCallHeader(ctx context.Context, w http.ResponseWriter, _ proto.Message) error {
	rc, ok := ctx.Value(restCallKey{}).(*restCall)
	if !ok || !rc.inTaken.Load() {
		return nil
	}
	s := &rc.in.stream
	s.mu.Lock()
	defer s.mu.Unlock()
	for key, vals := range s.header {
		if name, ok := outgoingHeader(key); ok {
			for _, v := range vals {
				w.Header().Add(name, v)
			}
		}
	}
	return nil
}
