package server

import (
	"context"
	"errors"
	"net/http/httptrace"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/tap"

	"github.com/devenv-facade/devenv-facade/internal/apierror"
	"github.com/devenv-facade/devenv-facade/internal/callctx"
	"github.com/devenv-facade/devenv-facade/internal/callerauth"
	"github.com/devenv-facade/devenv-facade/internal/reqcheck"
	"github.com/devenv-facade/devenv-facade/internal/scrub"
	"github.com/devenv-facade/devenv-facade/internal/vendorjson"
)

// maxMethodBytes bounds a method name, which the client chose, in logs and
// error messages.
const maxMethodBytes = 128

// Why a stream's context was cancelled by the registry.
var (
	// errNoRequest: the stream sent its headers but not its request in time.
	errNoRequest = errors.New("the stream delivered no request in time")
	// errShuttingDown: the facade is shutting down; calls still running
	// after the grace period are cancelled with it.
	errShuttingDown = errors.New("the facade is shutting down")
)

// streamState is where a gRPC stream is in its life.
type streamState uint8

const (
	// statePending: headers arrived, the request message has not.
	statePending streamState = iota
	// stateActive: a unary call whose request arrived; its handler runs.
	stateActive
	// stateLongLived: a streaming call (health Watch, reflection), which
	// may stay open indefinitely; it counts as such from the start of its
	// handler.
	stateLongLived
	// stateStreaming: a streaming call of the API (a watch) whose request
	// arrived; until then it is pending. The service bounds these calls
	// (its watch caps), not maxLongLived, and they end when asked (their
	// [callctx.Ender]) rather than being cancelled at shutdown.
	stateStreaming
)

// stream is the registry's record of one gRPC stream, and the stream's
// context: the same object cancels the stream and finds its record again
// (one allocation fewer than a record and a context wrapper), and holds the
// call's [callctx.Call] (its room, which [callctx.Begin] fills in: two
// allocations fewer than a Call and a context layer of its own).
//
// Nothing is registered to run when the context ends: a stream whose
// handler ran is forgotten when the handler returns ([streams.finish]),
// and one that ended without reaching a handler (reset by its client, or
// its request unreadable) is found ended by the next sweep, or at once by
// an admission its share would otherwise refuse ([streams.admit]). A
// function registered with context.AfterFunc cost every call five
// allocations and two more entries in contexts' child sets, for the rare
// stream that never reaches a handler.
type stream struct {
	context.Context
	r       *streams
	cancel  context.CancelCauseFunc
	started time.Time
	state   streamState
	// share, key and bytes are what the stream holds of pending calls'
	// room while it is pending (pending.go).
	share *share
	key   string
	bytes int
	room  callctx.Room
	// traceChecked: the tap looked in the stream's headers for the
	// propagator's fields (streams.traceFields); traceSent: it found one.
	// A call whose headers were looked at and hold none need not look
	// again in its metadata (traceContextExtractor).
	traceChecked, traceSent bool
	// grpc: a gRPC stream (made by tap), below which nothing holds the
	// values of absentBelowGRPC.
	grpc bool
}

type streamKey struct{}

// Value finds the stream's record ([streamFrom]) and its call's
// ([callctx.FromContext]); a gRPC stream answers nil for the keys of
// absentBelowGRPC without asking the layers below it.
func (s *stream) Value(key any) any {
	if key == (streamKey{}) {
		return s
	}
	if v, ok := s.room.Value(key); ok {
		return v
	}
	if s.grpc && absentBelow(key) {
		return nil
	}
	return s.Context.Value(key)
}

// absentBelowGRPC are the context keys of values that only layers above a
// gRPC stream's record ever hold: what the request check found
// (reqcheck.WithFinding, set by the interceptors or by the REST mirror),
// the vendor's JSON kept for REST callers (vendorjson.WithOriginals, set
// by the REST mirror, whose calls run in no gRPC stream), and a client
// trace (httptrace.WithClientTrace, which the client's attempts add, and
// which first looks for one to compose with). Below the record are only
// grpc-go's layers of the stream and its connection. Each call asks for
// each of them and finds none; the search went through every one of
// those layers (about 0.35 us each, three per DeleteInstance). The keys
// are their packages' own, unexported: keyOf learns each by asking a
// context that records what it is asked.
var absentBelowGRPC = [...]any{
	keyOf(func(ctx context.Context) { reqcheck.FromContext(ctx) }),
	keyOf(func(ctx context.Context) { vendorjson.OriginalsFrom(ctx) }),
	keyOf(func(ctx context.Context) { httptrace.ContextClientTrace(ctx) }),
}

// absentBelow reports whether key is one of absentBelowGRPC. The keys
// are comparable (empty structs): comparing any key with them cannot
// panic.
func absentBelow(key any) bool {
	for _, k := range absentBelowGRPC {
		if key == k {
			return true
		}
	}
	return false
}

// keyProbe is a context that records the last key it was asked for.
type keyProbe struct {
	context.Context
	key any
}

func (p *keyProbe) Value(key any) any {
	p.key = key
	return nil
}

// keyOf returns the key lookup asks a context for (the last, if several).
// It panics if lookup asks for none.
func keyOf(lookup func(context.Context)) any {
	p := &keyProbe{Context: context.Background()}
	lookup(p)
	if p.key == nil {
		panic("server: a context lookup asked for no key")
	}
	return p.key
}

// streams tracks every gRPC stream from the moment its headers arrive (the
// tap handle) to the end of its handler (or of the stream, for one that
// never reaches a handler), so that the facade can
//
//   - end streams that never deliver their request (requestTimeout after
//     their headers), which would otherwise hold a goroutine and their
//     headers for as long as the client likes;
//   - bound what streams waiting for their request may hold, shared by
//     what is known of their caller (pending.go), and how many long-lived
//     streaming calls (health watches, reflection) may be open;
//   - at shutdown, end long-lived streams and streams without a request at
//     once, and cancel calls still running after the grace period, without
//     a context or timer of its own per call;
//   - ask every streaming call to end, through its [callctx.Ender], when
//     the facade drains or when the gRPC connection it runs on reaches the
//     age at which grpc-go has sent its GOAWAY ([streamEndAge]).
//
// The transport cancels a stream by cancelling the context the tap handle
// returned: grpc-go reads the request through that context, so a blocked
// read ends, and the handler's context derives from it.
//
// REST requests with a body are tracked the same way while their body is
// read ([streams.holdREST]), in the same shares; net/http's read timeout
// ends their read.
type streams struct {
	requestTimeout time.Duration
	maxLongLived   int
	callerAuth     bool            // callers are authenticated (their identity is set)
	known          map[string]bool // full method names served; nil: all

	mu        sync.Mutex
	all       map[*stream]struct{}
	shares    [callerauth.UnverifiedHolder + 1]*share
	pending   int
	longLived int
	// cutoff, once set (at shutdown), replaces requestTimeout: streams
	// still pending at that time are ended.
	cutoff time.Time
	// purged is when admit last looked for pending streams that ended
	// without a handler; it looks at most once per purgeEvery.
	purged time.Time
	// enders holds the Ender of every streaming call running, over gRPC
	// or REST, with when the gRPC connection it runs on was accepted (zero
	// when unknown: a REST call); endAge is the connection age at which
	// the call is asked to end (zero: never).
	enders map[*callctx.Ender]time.Time
	endAge time.Duration
	// traceFields, when not nil, are the trace propagator's fields (metadata
	// keys, lowercase as gRPC's headers are), which tap looks for in a
	// stream's headers.
	traceFields []string
}

// newStreams returns a registry that ends streams waiting for their
// request after requestTimeout, lets maxPending of them wait, shared as
// pendingShares says (callerAuth: whether callers are authenticated), and
// bounds long-lived streams to maxLongLived.
func newStreams(requestTimeout time.Duration, maxPending int, callerAuth bool, maxLongLived int) *streams {
	return &streams{requestTimeout: requestTimeout, maxLongLived: maxLongLived, callerAuth: callerAuth,
		all: make(map[*stream]struct{}), shares: pendingShares(maxPending, callerAuth),
		enders: make(map[*callctx.Ender]time.Time)}
}

// tap registers a new stream (a grpc tap.ServerInHandle). It refuses
// methods the server does not serve and streams beyond the bounds, before
// grpc-go creates the stream; its refusals carry ErrorInfo with the
// caller's request ID (or a new one). It runs after caller authentication's
// tap, whose findings ([callerauth.StandingOf]) decide the stream's share.
func (r *streams) tap(ctx context.Context, info *tap.Info, now time.Time) (context.Context, error) {
	if r.known != nil && !r.known[info.FullMethodName] {
		return nil, apierror.New(codes.Unimplemented, apierror.ReasonUnknownMethod,
			"unknown method "+scrub.Text(info.FullMethodName, maxMethodBytes, nil), headerRequestID(info))
	}
	s, err := r.admit(ctx, metadataBytes(info.Header), now, func() string { return headerRequestID(info) })
	if err != nil {
		return nil, err // not a nil *stream in a non-nil context.Context
	}
	// The call's protocol is found in its stream, not by a search through
	// all of grpc-go's layers below it for a mark no gRPC call has.
	s.room.SetProtocol(callctx.ProtocolGRPC)
	s.grpc = true
	if !r.callerAuth {
		// Nothing below the stream holds a caller's identity either.
		s.room.SetAnonymous()
	}
	if r.traceFields != nil {
		// The headers are the call's incoming metadata (grpc-go hands the
		// tap the same map), with the lowercase keys HTTP/2 requires.
		s.traceChecked = true
		for _, f := range r.traceFields {
			if len(info.Header[f]) > 0 {
				s.traceSent = true
				break
			}
		}
		if !s.traceSent {
			// traceFields is set only when nothing records spans: the
			// call's context will hold no span context.
			s.room.SetUntraced()
		}
	}
	return s, nil
}

// admit registers a pending call (a stream, or a REST request with a body)
// whose headers hold bytes, in its caller's share, or refuses it with
// RESOURCE_EXHAUSTED (OVERLOADED) if the share is full; requestID gives
// the refusal's request ID.
func (r *streams) admit(ctx context.Context, bytes int, now time.Time, requestID func() string) (*stream, error) {
	// Without caller authentication every call is unidentified: nothing
	// to search its context for.
	standing, key := callerauth.Unidentified, ""
	if r.callerAuth {
		standing, key = callerauth.StandingOf(ctx)
	}
	cctx, cancel := context.WithCancelCause(ctx)
	s := &stream{Context: cctx, r: r, started: now, cancel: cancel, share: r.shares[standing], key: key, bytes: bytes}
	r.mu.Lock()
	why := s.share.reserve(key, bytes)
	if why != "" && r.purgeEnded(now) > 0 {
		why = s.share.reserve(key, bytes)
	}
	if why != "" {
		r.mu.Unlock()
		cancel(nil)
		return nil, overloaded(ctx, why, requestID())
	}
	r.pending++
	r.all[s] = struct{}{}
	r.mu.Unlock()
	return s, nil
}

// purgeEvery is how often at most admit looks through the streams for
// pending ones that have ended, when a share is full: the look costs
// time in proportion to the streams open, under the registry's lock, and
// a flood of refused streams must not make it run for each of them.
const purgeEvery = time.Millisecond

// purgeEnded forgets the pending streams whose context has ended (grpc-go
// ended them without any handler: reset by the client, or a request it
// could not read), unless it did so less than purgeEvery before now, and
// returns how many it forgot; r.mu is held. grpc-go cancels a stream's
// context however the stream ends, and the stream's context derives from
// it, so an ended stream's Err is set.
func (r *streams) purgeEnded(now time.Time) int {
	if now.Sub(r.purged) < purgeEvery && !now.Before(r.purged) {
		return 0
	}
	r.purged = now
	n := 0
	for s := range r.all {
		if s.state == statePending && s.Err() != nil {
			r.forget(s)
			n++
		}
	}
	return n
}

// finish forgets a stream whose handler has returned: nothing is left to
// track (shutdown waits for the stream through grpc-go itself).
func (r *streams) finish(s *stream) { r.done(s) }

// streamFrom returns the stream ctx belongs to, or nil.
func streamFrom(ctx context.Context) *stream {
	s, _ := ctx.Value(streamKey{}).(*stream)
	return s
}

// activate marks a unary call whose request arrived. It reports false when
// the stream was already ended (its request came too late).
func (r *streams) activate(s *stream) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.all[s]; !ok {
		return false
	}
	if s.state == statePending {
		r.unpend(s)
		s.state = stateActive
	}
	return true
}

// unpend gives back what a pending stream held of pending calls' room;
// r.mu is held.
func (r *streams) unpend(s *stream) {
	r.pending--
	s.share.release(s.key, s.bytes)
}

// openLongLived marks a streaming call, which may stay open indefinitely,
// or refuses it beyond the bound and once shutdown has begun (a client
// that reopens its health watch at once must not hold the drain).
func (r *streams) openLongLived(s *stream, requestID string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case !r.cutoff.IsZero():
		return apierror.New(codes.Unavailable, apierror.ReasonShuttingDown, "the facade is shutting down", requestID)
	case !r.has(s):
		return apierror.New(codes.Canceled, apierror.ReasonCanceled, errNoRequest.Error(), requestID)
	case r.longLived >= r.maxLongLived:
		return apierror.New(codes.ResourceExhausted, apierror.ReasonOverloaded,
			"too many streaming calls are open; retry later", requestID)
	}
	if s.state == statePending {
		r.unpend(s)
	}
	s.state = stateLongLived
	r.longLived++
	return nil
}

// requestArrived marks a streaming call of the API whose request has
// arrived: it gives back what it held as a pending call, and runs on as
// stateStreaming.
func (r *streams) requestArrived(s *stream) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.has(s) && s.state == statePending {
		r.unpend(s)
		s.state = stateStreaming
	}
}

// openEnder registers the Ender of a streaming call, whose gRPC connection
// was accepted at born (zero: not a gRPC connection, or unknown). Once
// shutdown has begun, it asks the call to end at once.
func (r *streams) openEnder(e *callctx.Ender, born time.Time) {
	r.mu.Lock()
	draining := !r.cutoff.IsZero()
	if !draining {
		r.enders[e] = born
	}
	r.mu.Unlock()
	if draining {
		e.End(callctx.EndDraining)
	}
}

// closeEnder forgets the Ender of a streaming call that ended.
func (r *streams) closeEnder(e *callctx.Ender) {
	r.mu.Lock()
	delete(r.enders, e)
	r.mu.Unlock()
}

// has reports whether s is still registered; r.mu is held.
func (r *streams) has(s *stream) bool {
	_, ok := r.all[s]
	return ok
}

// done forgets a stream that ended.
func (r *streams) done(s *stream) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.all[s]; !ok {
		return
	}
	r.forget(s)
}

// forget removes s; r.mu is held.
func (r *streams) forget(s *stream) {
	delete(r.all, s)
	switch s.state {
	case statePending:
		r.unpend(s)
	case stateLongLived:
		r.longLived--
	}
}

// sweep ends the streams that have waited for their request longer than
// the request timeout (or past the shutdown cutoff), and returns how many;
// forgets the pending streams that ended without a handler; and asks the streaming calls whose connection has reached endAge to end
// ([callctx.EndConnectionAge]).
func (r *streams) sweep(now time.Time) int {
	limit := now.Add(-r.requestTimeout)
	r.mu.Lock()
	if !r.cutoff.IsZero() && !now.Before(r.cutoff) {
		limit = now
	}
	var ended []*stream
	for s := range r.all {
		switch {
		case s.state != statePending:
		case s.Err() != nil:
			// Ended without a handler: nothing to cancel.
			r.forget(s)
		case !s.started.After(limit):
			ended = append(ended, s)
			r.forget(s)
		}
	}
	var aged []*callctx.Ender
	if r.endAge > 0 {
		for e, born := range r.enders {
			if !born.IsZero() && now.Sub(born) >= r.endAge {
				aged = append(aged, e)
				delete(r.enders, e)
			}
		}
	}
	r.mu.Unlock()
	for _, s := range ended {
		s.cancel(errNoRequest)
	}
	for _, e := range aged {
		e.End(callctx.EndConnectionAge)
	}
	return len(ended)
}

// shutdown ends every long-lived stream now, asks every streaming call of
// the API to end ([callctx.EndDraining]: they end cleanly, with a status
// their clients can resume from, and the drain then need not wait for
// them), and gives streams still waiting for their request until cutoff.
func (r *streams) shutdown(cutoff time.Time) {
	r.mu.Lock()
	r.cutoff = cutoff
	var ended []*stream
	for s := range r.all {
		if s.state == stateLongLived {
			ended = append(ended, s)
			r.forget(s)
		}
	}
	enders := make([]*callctx.Ender, 0, len(r.enders))
	for e := range r.enders {
		enders = append(enders, e)
	}
	clear(r.enders)
	r.mu.Unlock()
	for _, s := range ended {
		s.cancel(errShuttingDown)
	}
	for _, e := range enders {
		e.End(callctx.EndDraining)
	}
}

// cancelActive cancels the calls still running, and any streaming call
// opened since shutdown began, with errShuttingDown.
func (r *streams) cancelActive() {
	r.mu.Lock()
	var ended []*stream
	for s := range r.all {
		if s.state == stateActive || s.state == stateLongLived || s.state == stateStreaming {
			ended = append(ended, s)
		}
	}
	r.mu.Unlock()
	for _, s := range ended {
		s.cancel(errShuttingDown)
	}
}

// sweepEvery runs sweep every interval until ctx is done. tick is
// time.NewTicker's channel in production.
func (r *streams) sweepEvery(ctx context.Context, tick <-chan time.Time, now func() time.Time) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick:
			r.sweep(now())
		}
	}
}

// calls counts the calls in flight, over gRPC and REST, for the shutdown's
// log.
type calls struct{ n atomic.Int64 }

func (c *calls) begin()          { c.n.Add(1) }
func (c *calls) end()            { c.n.Add(-1) }
func (c *calls) inFlight() int64 { return c.n.Load() }

// headerRequestID returns the call's x-request-id if it is acceptable, or
// a new one, for refusals made before any interceptor runs.
func headerRequestID(info *tap.Info) string {
	if ids := info.Header.Get(callctx.MetadataKeyRequestID); len(ids) > 0 && callctx.ValidRequestID(ids[0]) {
		return ids[0]
	}
	return callctx.NewRequestID()
}

// requestIDOf returns the x-request-id of a call's incoming metadata if it
// is acceptable, or a new one.
func requestIDOf(ctx context.Context) string {
	if ids := metadata.ValueFromIncomingContext(ctx, callctx.MetadataKeyRequestID); len(ids) > 0 && callctx.ValidRequestID(ids[0]) {
		return ids[0]
	}
	return callctx.NewRequestID()
}
