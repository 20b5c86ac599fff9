package modelarts

import (
	"context"
	"crypto/sha256"
	"fmt"
	"math"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
)

// Coalesced reads: calls of a GET operation that are identical (the same
// credentials, the same URL with its query) and in flight at the same time
// share one request to ModelArts, and every one of them gets its answer.
//
// The shared request runs on a goroutine of its own, until the latest
// deadline of the calls waiting for it (which grows as calls join) or the
// client's timeout (Options.Timeout), whichever is sooner; it has the
// context values of the call that started it (its trace span, say) and
// carries that call's request ID. Its retries happen inside it. Each
// call waits for the answer until its own context ends: then it leaves at
// once with its context's error, and the request goes on for the calls
// still waiting; when the last one leaves, the request is cancelled.
//
// A read never joins a request that began before a call of another method
// (a write) made with the client ended: whoever made the write and reads
// next sees at least what the write did. A joined answer is otherwise up
// to one request older than the call that joined it: ModelArts answered
// it at some moment after the first call's request was sent.

// flights are the reads in flight that identical calls may join.
type flights struct {
	mu sync.Mutex
	m  map[flightKey]*flight
	// window, if not nil, keeps answers for Options.FreshFor.
	window *window
	// writes counts the calls of other methods than GET that have ended:
	// a read joins only a flight that began when it had the same value.
	writes atomic.Uint64
}

// flightKey is what makes two reads identical.
type flightKey struct {
	// caller is set when the calls carry a caller's token, whose SHA-256
	// is token; otherwise they use the configured credentials.
	caller bool
	token  [sha256.Size]byte
	method string
	url    string // scheme, host, escaped path and query
}

// flight is one read shared by the calls that wait for it.
type flight struct {
	done chan struct{} // closed once the outcome below is set
	// The outcome: what the read's send returned, and how many calls
	// waited for it when it came (flights.mu when it came).
	answer *response
	res    Result
	err    error
	shared int

	// waiters counts the calls waiting (flights.mu); when the last one
	// leaves, cancel aborts the request.
	waiters int
	cancel  context.CancelFunc
	// writes is flights.writes when the flight began.
	writes uint64
	// requestID is the X-Request-Id the flight's requests carry.
	requestID string
	// attempts counts the requests sent so far, for calls that leave
	// before the answer.
	attempts atomic.Int32
	// latest is the latest deadline of the calls that joined, in Unix
	// nanoseconds; noDeadline once one without a deadline joined.
	latest atomic.Int64
}

// noDeadline is flight.latest for a call without a deadline.
const noDeadline = math.MaxInt64

// extend makes f last at least until the deadline of ctx, a waiter's.
func (f *flight) extend(ctx context.Context) {
	d := int64(noDeadline)
	if t, ok := ctx.Deadline(); ok {
		d = t.UnixNano()
	}
	for {
		old := f.latest.Load()
		if d <= old || f.latest.CompareAndSwap(old, d) {
			return
		}
	}
}

// until returns when f's request must end: at the latest deadline of its
// waiters, or at end (the client's timeout) if that is sooner.
func (f *flight) until(end time.Time) time.Time {
	if l := f.latest.Load(); l < end.UnixNano() {
		return time.Unix(0, l)
	}
	return end
}

// coalesces reports whether calls of op may share a request: reads only.
func coalesces(op *Operation) bool { return op.Method == http.MethodGet }

// wrote records that a call of another method than GET has ended.
func (g *flights) wrote() {
	if g != nil {
		g.writes.Add(1)
	}
}

// send performs the read out for a call configured by cc: it joins the
// identical read in flight, or starts one that later identical calls may
// join, and waits for its answer or for ctx to end.
func (g *flights) send(ctx context.Context, c *Client, out *outgoing, cc *callConfig) (*response, Result, error) {
	key := flightKey{method: out.op.Method, url: out.url.String()}
	if cc.token != "" {
		key.caller, key.token = true, sha256.Sum256([]byte(cc.token))
	}
	if err := ctx.Err(); err != nil {
		// The caller has given up already: nothing is started or joined
		// for it.
		return nil, Result{}, fmt.Errorf("modelarts: %s %s: %w", out.op.Name, out.url.Path, err)
	}
	g.mu.Lock()
	writes := g.writes.Load()
	if g.window != nil && !cc.fresh {
		now := c.clock.Now()
		if k, ok := g.window.take(key, writes, now); ok {
			g.mu.Unlock()
			c.observer.UpstreamReused(out.op.Name)
			return k.answer, Result{Recent: true, Age: now.Sub(k.at)}, nil
		}
	}
	f := g.m[key]
	if joined := f != nil && f.writes == writes && !cc.fresh; joined {
		f.waiters++
		f.extend(ctx)
		g.mu.Unlock()
		c.observer.UpstreamJoined(out.op.Name)
		if span := trace.SpanFromContext(ctx); span.IsRecording() {
			// The requests' spans are under the span of the call that
			// sent them: this one's trace says where its answer came
			// from.
			span.AddEvent("joined an identical read in flight", trace.WithAttributes(
				attribute.String("modelarts.operation", out.op.Name), attribute.String("devenv.upstream_request_id", f.requestID)))
		}
		return g.wait(ctx, key, f, out, true)
	}
	// A flight that began before the last write ended stays for its own
	// waiters; later calls get this one.
	fctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	f = &flight{done: make(chan struct{}), cancel: cancel, waiters: 1, writes: writes, requestID: cc.requestID}
	f.extend(ctx)
	g.m[key] = f
	g.mu.Unlock()
	go g.run(fctx, c, key, f, out, *cc)
	return g.wait(ctx, key, f, out, false)
}

// wait waits for f's outcome, or until ctx ends; joined says whether the
// call joined f rather than started it.
func (g *flights) wait(ctx context.Context, key flightKey, f *flight, out *outgoing, joined bool) (*response, Result, error) {
	select {
	case <-f.done:
		res := f.res
		if f.shared > 1 {
			res.Shared = f.shared
			if joined {
				res.JoinedRequestID = f.requestID
			}
		}
		return f.answer, res, f.err
	case <-ctx.Done():
		g.leave(key, f)
		res := Result{Attempts: int(f.attempts.Load())}
		if joined {
			res.JoinedRequestID = f.requestID
		}
		return nil, res, fmt.Errorf("modelarts: %s %s: waiting for the answer: %w", out.op.Name, out.url.Path, ctx.Err())
	}
}

// run sends the flight's read within ctx (cancelled when every waiter has
// left) and hands the outcome to its waiters.
func (g *flights) run(ctx context.Context, c *Client, key flightKey, f *flight, out *outgoing, cc callConfig) {
	defer f.cancel()
	var res Result
	answer, err := c.sendAlone(ctx, out, &cc, f, &res)
	g.mu.Lock()
	// Forgotten as the outcome is set: a call that comes later starts a
	// request of its own, or takes the answer from the window. An answer
	// whose flight a later one replaced is not kept: it may be older.
	if g.m[key] == f {
		delete(g.m, key)
		if g.window != nil && err == nil && answer.readErr == nil {
			g.window.put(key, answer, f.writes, g.writes.Load(), c.clock.Now())
		}
	}
	f.shared = f.waiters
	g.mu.Unlock()
	f.answer, f.res, f.err = answer, res, err
	close(f.done)
}

// leave records that a call stopped waiting for f; the last one to go
// cancels the request.
func (g *flights) leave(key flightKey, f *flight) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if f.waiters--; f.waiters > 0 {
		return
	}
	if g.m[key] == f {
		delete(g.m, key)
	}
	f.cancel()
}
