package watch

import (
	"context"
	"sync"
	"time"
)

// Source is what a poller reads, and how it tells objects apart.
type Source[T any] struct {
	// Poll reads the whole list (every page), in the upstream's order.
	// It runs on the poller's goroutine with the hub's context, not a
	// subscriber's.
	Poll func(ctx context.Context) ([]T, error)
	// ID names an object; objects with the same ID are the same object.
	// A poll that lists an ID twice keeps the first.
	ID func(T) string
	// Equal reports whether two versions of an object are the same (no
	// MODIFIED event between them).
	Equal func(a, b T) bool
	// Transitional reports whether an object is changing state, which
	// makes the poller poll every Config.PollInterval. Nil: never.
	Transitional func(T) bool
	// Permanent reports whether a poll's error ends the watch (a token
	// the upstream no longer accepts, a project the credentials may not
	// read): the poller stops and every subscriber ends with the error.
	// Other errors are retried after Config.PollInterval, and the watch
	// goes on. The first poll's error ends the watch whatever it is: the
	// subscribers have nothing yet, and learn at once why. Nil: every
	// later error is retried.
	Permanent func(error) bool
	// OnRetry, if set, is told of every error that is retried.
	OnRetry func(error)
}

// Request says what a subscription watches, and from where.
type Request[T any] struct {
	// Key names the poller: subscriptions with the same key share one.
	// The key must say everything that makes two polls differ (whose
	// credentials, which API, project and workspace).
	Key string
	// Source says how to poll, for the first subscription of a key (a
	// poller that runs already keeps the Source it started with).
	Source func() Source[T]
	// Filter selects the objects the subscription receives; nil: all.
	Filter func(T) bool
	// ResumeToken, if set, resumes after the event that carried it
	// instead of starting with a snapshot.
	ResumeToken string
	// Interrupt, once closed, ends a Subscribe still waiting for the
	// poller's first read with ErrInterrupted (as Next's interrupt ends
	// Next); nil: never.
	Interrupt <-chan struct{}
}

// Hub keeps one poller per key and their subscriptions. It is safe for
// concurrent use.
type Hub[T any] struct {
	cfg    Config
	ctx    context.Context // the pollers'; cancelled by Close
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	pollers map[string]*poller[T]
	closed  bool
}

// NewHub returns a hub configured by cfg, or an error naming the field of
// cfg it cannot use.
func NewHub[T any](cfg Config) (*Hub[T], error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Hub[T]{cfg: cfg, ctx: ctx, cancel: cancel, pollers: make(map[string]*poller[T])}, nil
}

// Close stops every poller and ends every subscription with ErrClosed,
// then waits for the pollers' goroutines to return. Subscribe fails with
// ErrClosed afterwards.
func (h *Hub[T]) Close() {
	h.mu.Lock()
	h.closed = true
	h.mu.Unlock()
	h.cancel()
	h.wg.Wait()
}

// Pollers returns how many pollers run.
func (h *Hub[T]) Pollers() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.pollers)
}

// Subscribers returns how many subscriptions are open, over every poller.
func (h *Hub[T]) Subscribers() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, p := range h.pollers {
		p.mu.Lock()
		n += len(p.subs)
		p.mu.Unlock()
	}
	return n
}

// Subscribe opens a subscription: with a snapshot of what the key's poller
// sees, or, with req.ResumeToken, after the event that carried the token.
// It starts the key's poller if none runs, and waits (bounded by ctx) for
// its first poll. It fails with ErrMalformedToken or ErrTokenExpired for a
// token it cannot resume from, with the first poll's error, with ctx's, or
// with ErrInterrupted once req.Interrupt is closed.
// The caller must Close the subscription.
func (h *Hub[T]) Subscribe(ctx context.Context, req Request[T]) (*Subscription[T], error) {
	var resume *token
	if req.ResumeToken != "" {
		t, err := parseToken(req.ResumeToken)
		if err != nil {
			return nil, err
		}
		if t.kind != tokenAfter {
			return nil, ErrTokenExpired
		}
		resume = &t
	}
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil, ErrClosed
	}
	p := h.pollers[req.Key]
	if p == nil {
		if resume != nil {
			// No poller: the token's epoch cannot be a running one's.
			h.mu.Unlock()
			return nil, ErrTokenExpired
		}
		p = h.startLocked(req.Key, req.Source())
	}
	s := &Subscription[T]{p: p, filter: req.Filter, notify: make(chan struct{}, 1), pending: true}
	p.mu.Lock()
	p.subs[s] = struct{}{}
	p.idleSince = time.Time{}
	p.mu.Unlock()
	h.mu.Unlock()

	select {
	case <-p.ready:
	case <-ctx.Done():
		s.Close()
		return nil, ctx.Err()
	case <-req.Interrupt:
		s.Close()
		return nil, ErrInterrupted
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err != nil {
		p.removeLocked(s)
		return nil, p.err
	}
	if resume != nil {
		if err := p.resumeLocked(s, *resume); err != nil {
			p.removeLocked(s)
			return nil, err
		}
	} else {
		p.snapshotLocked(s)
	}
	s.pending = false
	s.lastEventAt = h.cfg.Clock.Now()
	return s, nil
}

// startLocked starts the poller of key, with h.mu held.
func (h *Hub[T]) startLocked(key string, src Source[T]) *poller[T] {
	p := &poller[T]{
		h: h, key: key, src: src, epoch: newEpoch(),
		ready: make(chan struct{}), done: make(chan struct{}), subs: make(map[*Subscription[T]]struct{}),
		history: make([]record[T], 0, min(h.cfg.History, 64)),
	}
	h.pollers[key] = p
	h.wg.Add(1)
	go p.run()
	return p
}

// poller polls one key's list and fans its changes out.
type poller[T any] struct {
	h     *Hub[T]
	key   string
	src   Source[T]
	epoch epoch
	ready chan struct{} // closed after the first poll, or when the poller stops
	done  chan struct{} // closed when run returns

	mu           sync.Mutex
	err          error // why the poller stopped
	stopped      bool
	view         []T          // the last poll's objects, in its order
	byID         map[string]T // view by ID
	seq          uint64       // the last event's number; 0: none yet
	history      []record[T]  // a ring of the last cfg.History events
	histStart    int          // index of the oldest event in history
	transitional bool         // some object in view is transitional
	subs         map[*Subscription[T]]struct{}
	idleSince    time.Time // when the last subscriber left; zero while there is one
}

// record is one event of the whole list, before any filter.
type record[T any] struct {
	seq       uint64
	kind      Kind // Added, Modified or Deleted
	prev, cur T    // before (Modified, Deleted) and after (Added, Modified; Deleted: prev)
	token     string
}

// run polls until the poller stops: the hub closes, the first poll or a
// permanent error fails, or the linger after the last subscriber passes.
func (p *poller[T]) run() {
	defer p.h.wg.Done()
	defer close(p.done)
	ctx, cfg := p.h.ctx, p.h.cfg
	first := true
	for {
		if p.lingered() {
			return
		}
		items, err := p.poll(ctx)
		switch {
		case ctx.Err() != nil:
			p.stop(ErrClosed)
			return
		case err != nil && (first || (p.src.Permanent != nil && p.src.Permanent(err))):
			p.stop(err)
			return
		case err != nil:
			if p.src.OnRetry != nil {
				p.src.OnRetry(err)
			}
		default:
			p.apply(items, first)
			first = false
		}
		wait := p.pause(err != nil)
		select {
		case <-cfg.Clock.After(wait):
		case <-ctx.Done():
			p.stop(ErrClosed)
			return
		}
	}
}

// poll reads the list once, within Config.PollTimeout.
func (p *poller[T]) poll(ctx context.Context) ([]T, error) {
	ctx, cancel := context.WithTimeout(ctx, p.h.cfg.PollTimeout)
	defer cancel()
	return p.src.Poll(ctx)
}

// pause is how long to wait before the next poll: the fast interval while
// an object is transitional or after a failed poll, else the steady one;
// no longer than what is left of the linger when nobody subscribes.
func (p *poller[T]) pause(failed bool) time.Duration {
	cfg := p.h.cfg
	p.mu.Lock()
	defer p.mu.Unlock()
	wait := cfg.SteadyPollInterval
	if p.transitional || failed {
		wait = cfg.PollInterval
	}
	if len(p.subs) == 0 && !p.idleSince.IsZero() {
		wait = min(wait, p.idleSince.Add(cfg.Linger).Sub(cfg.Clock.Now()))
	}
	return wait
}

// lingered stops the poller if nobody has subscribed for the linger, and
// reports whether it did.
func (p *poller[T]) lingered() bool {
	h := p.h
	h.mu.Lock()
	defer h.mu.Unlock()
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.subs) > 0 || p.idleSince.IsZero() || h.cfg.Clock.Now().Before(p.idleSince.Add(h.cfg.Linger)) {
		return false
	}
	delete(h.pollers, p.key)
	p.stopped, p.err = true, ErrClosed
	select {
	case <-p.ready:
	default:
		close(p.ready)
	}
	return true
}

// stop stops the poller for err: it leaves the hub (a later subscription
// starts a new poller, with a new epoch), and every subscription ends with
// err.
func (p *poller[T]) stop(err error) {
	h := p.h
	h.mu.Lock()
	if h.pollers[p.key] == p {
		delete(h.pollers, p.key)
	}
	h.mu.Unlock()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stopped, p.err = true, err
	for s := range p.subs {
		s.fail(err)
	}
	select {
	case <-p.ready:
	default:
		close(p.ready)
	}
}

// apply takes a poll's objects: the first poll is the baseline; later
// ones become events, recorded and sent to the subscriptions.
func (p *poller[T]) apply(items []T, first bool) {
	src, cfg := p.src, p.h.cfg
	p.mu.Lock()
	defer p.mu.Unlock()
	byID := make(map[string]T, len(items))
	view := make([]T, 0, len(items))
	var recs []record[T]
	var zero T
	transitional := false
	for _, it := range items {
		id := src.ID(it)
		if _, dup := byID[id]; dup {
			continue
		}
		byID[id] = it
		view = append(view, it)
		if src.Transitional != nil && src.Transitional(it) {
			transitional = true
		}
		if first {
			continue
		}
		old, seen := p.byID[id]
		switch {
		case !seen:
			recs = append(recs, record[T]{kind: Added, prev: zero, cur: it})
		case !src.Equal(old, it):
			recs = append(recs, record[T]{kind: Modified, prev: old, cur: it})
		}
	}
	if !first {
		for _, old := range p.view {
			if _, ok := byID[src.ID(old)]; !ok {
				recs = append(recs, record[T]{kind: Deleted, prev: old, cur: old})
			}
		}
	}
	p.view, p.byID, p.transitional = view, byID, transitional
	for i := range recs {
		p.seq++
		recs[i].seq = p.seq
		recs[i].token = token{kind: tokenAfter, epoch: p.epoch, seq: p.seq}.String()
		p.recordLocked(recs[i])
	}
	if first {
		close(p.ready)
		return
	}
	now := cfg.Clock.Now()
	var bookmark string
	for s := range p.subs {
		if s.pending {
			continue
		}
		if !s.deliver(recs, now, cfg.BookmarkInterval, cfg.Buffer) {
			continue
		}
		if bookmark == "" {
			bookmark = token{kind: tokenAfter, epoch: p.epoch, seq: p.seq}.String()
		}
		s.bookmark(bookmark, now, cfg.Buffer)
	}
}

// recordLocked adds r to the history, dropping the oldest event when it
// is full.
func (p *poller[T]) recordLocked(r record[T]) {
	n := p.h.cfg.History
	if len(p.history) < n {
		p.history = append(p.history, r)
		return
	}
	p.history[p.histStart] = r
	p.histStart = (p.histStart + 1) % n
}

// snapshotLocked queues the snapshot for s: the objects its filter
// matches (ADDED, with a token that cannot be resumed from: a subscriber
// cut off within the snapshot must start again) and the marker, whose
// token resumes after the snapshot.
func (p *poller[T]) snapshotLocked(s *Subscription[T]) {
	inSnap := token{kind: tokenInSnapshot, epoch: p.epoch, seq: p.seq}.String()
	for _, it := range p.view {
		if s.filter == nil || s.filter(it) {
			s.queue = append(s.queue, item[T]{Event: Event[T]{Kind: Added, Object: it, Token: inSnap}})
		}
	}
	s.queue = append(s.queue, item[T]{Event: Event[T]{Kind: SnapshotComplete, Token: token{kind: tokenAfter, epoch: p.epoch, seq: p.seq}.String()}, resumable: true})
	s.backlog = len(s.queue)
}

// resumeLocked queues for s the events after t, or returns ErrTokenExpired
// if the history does not hold all of them or t is another poller's.
func (p *poller[T]) resumeLocked(s *Subscription[T], t token) error {
	if t.epoch != p.epoch || t.seq > p.seq || p.seq-t.seq > uint64(len(p.history)) {
		return ErrTokenExpired
	}
	n := len(p.history)
	for i := range n {
		r := p.history[(p.histStart+i)%n]
		if r.seq <= t.seq {
			continue
		}
		if ev, ok := r.eventFor(s.filter); ok {
			s.queue = append(s.queue, item[T]{Event: ev, resumable: true})
		}
	}
	s.backlog = len(s.queue)
	return nil
}

// removeLocked forgets s.
func (p *poller[T]) removeLocked(s *Subscription[T]) {
	if _, ok := p.subs[s]; !ok {
		return
	}
	delete(p.subs, s)
	if len(p.subs) == 0 {
		p.idleSince = p.h.cfg.Clock.Now()
	}
}

// eventFor is r as a subscriber with filter sees it (Kubernetes' rule: an
// object entering the filter is ADDED, one leaving it DELETED), and
// whether it sees it at all.
func (r record[T]) eventFor(filter func(T) bool) (Event[T], bool) {
	match := func(v T) bool { return filter == nil || filter(v) }
	switch r.kind {
	case Added:
		if match(r.cur) {
			return Event[T]{Kind: Added, Object: r.cur, Token: r.token}, true
		}
	case Modified:
		before, after := match(r.prev), match(r.cur)
		switch {
		case before && after:
			return Event[T]{Kind: Modified, Object: r.cur, Token: r.token}, true
		case after:
			return Event[T]{Kind: Added, Object: r.cur, Token: r.token}, true
		case before:
			return Event[T]{Kind: Deleted, Object: r.cur, Token: r.token}, true
		}
	case Deleted:
		if match(r.prev) {
			return Event[T]{Kind: Deleted, Object: r.prev, Token: r.token}, true
		}
	}
	return Event[T]{}, false
}
