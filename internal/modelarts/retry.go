package modelarts

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/devenv-facade/devenv-facade/internal/clock"
	"github.com/devenv-facade/devenv-facade/internal/options"
)

// RetryPolicy says how the client retries idempotent operations (see
// [Operation]). Operations that are not idempotent are never retried.
//
// A call is retried when no answer arrived (connection refused or reset, the
// attempt timed out), and on answers the code table marks [RetryByFacade]:
// HTTP 502, 503, 504 and 429, and the ModelArts codes that ask to try again
// soon. Waits grow exponentially with full jitter, never shorter than a
// Retry-After header or the delay the vendor documents for the code, and no
// attempt starts that could not finish before the call's deadline.
type RetryPolicy struct {
	// MaxAttempts counts the first attempt too; 1 disables retries. Zero
	// means 3.
	MaxAttempts int
	// InitialBackoff and MaxBackoff bound the wait before retry n, drawn
	// uniformly from [0, min(MaxBackoff, InitialBackoff*Multiplier^(n-1))).
	// Zero means 100ms and 2s (or InitialBackoff, if longer).
	InitialBackoff, MaxBackoff time.Duration
	// Multiplier grows the backoff; at least 1. Zero means 2.
	Multiplier float64
	// MaxRetryAfter is the longest Retry-After the client waits out; an
	// answer asking for more is returned to the caller at once. Zero
	// means 5s.
	MaxRetryAfter time.Duration
	// AttemptTimeout bounds one attempt, so that a stalled connection
	// leaves time for another. Zero means 10s; options.NoLimit, no bound
	// but the call's.
	AttemptTimeout time.Duration
}

// DefaultRetryPolicy returns the policy a zero RetryPolicy stands for:
// 3 attempts, backoff from 100ms up to 2s (doubling, full jitter),
// Retry-After honoured up to 5s, 10s per attempt.
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{MaxAttempts: 3, InitialBackoff: 100 * time.Millisecond, MaxBackoff: 2 * time.Second,
		Multiplier: 2, MaxRetryAfter: 5 * time.Second, AttemptTimeout: 10 * time.Second}
}

// WithDefaults returns p with its zero fields set to their defaults.
func (p RetryPolicy) WithDefaults() RetryPolicy {
	d := DefaultRetryPolicy()
	p.MaxAttempts = options.Or(p.MaxAttempts, d.MaxAttempts)
	p.InitialBackoff = options.Or(p.InitialBackoff, d.InitialBackoff)
	p.MaxBackoff = options.Or(p.MaxBackoff, max(d.MaxBackoff, p.InitialBackoff))
	p.Multiplier = options.Or(p.Multiplier, d.Multiplier)
	p.MaxRetryAfter = options.Or(p.MaxRetryAfter, d.MaxRetryAfter)
	p.AttemptTimeout = options.Or(p.AttemptTimeout, d.AttemptTimeout)
	return p
}

// Validate reports, as an *options.Error naming the fields, what makes p
// unusable once its zero fields take their defaults: a negative field
// (AttemptTimeout may be options.NoLimit), a Multiplier below 1, or a
// MaxBackoff below InitialBackoff. [NewClient] refuses such a policy.
func (p RetryPolicy) Validate() error {
	p = p.WithDefaults()
	switch {
	case p.MaxAttempts < 1:
		return options.Errorf("modelarts", "{MaxAttempts} %d is negative", p.MaxAttempts)
	case p.InitialBackoff < 0 || p.MaxBackoff < 0:
		return options.Errorf("modelarts", "{InitialBackoff} %s and {MaxBackoff} %s must not be negative", p.InitialBackoff, p.MaxBackoff)
	case p.MaxBackoff < p.InitialBackoff:
		return options.Errorf("modelarts", "{MaxBackoff} %s is below {InitialBackoff} %s", p.MaxBackoff, p.InitialBackoff)
	case p.Multiplier < 1:
		return options.Errorf("modelarts", "{Multiplier} %g is below 1", p.Multiplier)
	case p.MaxRetryAfter < 0:
		return options.Errorf("modelarts", "{MaxRetryAfter} %s is negative", p.MaxRetryAfter)
	case p.AttemptTimeout < options.NoLimit:
		return options.Errorf("modelarts", "{AttemptTimeout} %s is negative (options.NoLimit: no bound but the call's)", p.AttemptTimeout)
	}
	return nil
}

// backoff returns the jittered wait before retry number n (1 for the first
// retry).
func (p RetryPolicy) backoff(n int) time.Duration {
	ceiling := float64(p.InitialBackoff) * math.Pow(p.Multiplier, float64(n-1))
	ceiling = math.Min(ceiling, float64(p.MaxBackoff))
	return time.Duration(rand.Int64N(int64(ceiling) + 1))
}

// RetryBudget limits retries across all calls, as gRPC's retry throttling
// (gRFC A6) does: a bucket of MaxTokens, drained by 1 for every attempt that
// fails in a retryable way and refilled by Ratio for every attempt that gets
// a final answer; retries are allowed only while the bucket is more than
// half full. A healthy upstream keeps it full; a failing one empties it
// after a handful of failures, and from then on each call makes one attempt,
// so a hard-down upstream sees about one request per call instead of
// MaxAttempts. It is safe for concurrent use.
type RetryBudget struct {
	mu        sync.Mutex
	tokens    float64
	maxTokens float64
	ratio     float64
	// full: tokens == maxTokens (written under mu). An answer to a full
	// budget changes nothing, so record does not lock it: with a healthy
	// upstream, calls on every core would otherwise take turns at the
	// lock for each attempt.
	full atomic.Bool
}

// NewRetryBudget returns a full budget. gRPC's suggested values are 10 and
// 0.1: at most one retry per ten successful attempts, in the long run.
func NewRetryBudget(maxTokens, ratio float64) *RetryBudget {
	b := &RetryBudget{tokens: maxTokens, maxTokens: maxTokens, ratio: ratio}
	b.full.Store(true)
	return b
}

func (b *RetryBudget) record(failed bool) {
	if !failed && b.full.Load() {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if failed {
		b.tokens = math.Max(0, b.tokens-1)
	} else {
		b.tokens = math.Min(b.maxTokens, b.tokens+b.ratio)
	}
	b.full.Store(b.tokens == b.maxTokens)
}

func (b *RetryBudget) allow() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.tokens > b.maxTokens/2
}

// ErrOverloaded is returned, before any request is sent, when the client
// already has its maximum of calls in flight and none finished within the
// short wait allowed (Options.MaxInFlight, MaxInFlightWait).
var ErrOverloaded = errors.New("modelarts: too many calls in flight to ModelArts")

// limiter caps concurrent calls.
type limiter struct {
	slots chan struct{}
	wait  time.Duration
}

// acquire takes a slot, waiting at most l.wait on clk. A nil limiter has
// no cap. Every successful acquire must be paired with a release.
func (l *limiter) acquire(ctx context.Context, clk clock.Clock) error {
	if l == nil {
		return nil
	}
	select {
	case l.slots <- struct{}{}:
		return nil
	default:
	}
	if l.wait <= 0 {
		return ErrOverloaded
	}
	select {
	case l.slots <- struct{}{}:
		return nil
	case <-clk.After(l.wait):
		return ErrOverloaded
	case <-ctx.Done():
		return ctx.Err()
	}
}

// release frees a slot taken by acquire.
func (l *limiter) release() {
	if l != nil {
		<-l.slots
	}
}

// latency keeps an exponentially weighted average of how long attempts that
// got an answer took, to judge whether another attempt fits before a
// deadline.
type latency struct{ ewma atomic.Int64 }

// minAttemptEstimate is assumed for an attempt before anything is measured.
const minAttemptEstimate = 5 * time.Millisecond

func (l *latency) observe(d time.Duration) {
	old := l.ewma.Load()
	if old == 0 {
		l.ewma.Store(int64(d))
		return
	}
	l.ewma.Store(old - old/5 + int64(d)/5)
}

func (l *latency) estimate() time.Duration {
	return max(time.Duration(l.ewma.Load()), minAttemptEstimate)
}
