package watch

import (
	"context"
	"sync"
	"time"
)

// Subscription is one subscriber's view of a poller: the events its filter
// matches, queued until [Subscription.Next] takes them. Next is for one
// goroutine at a time; Close for any.
type Subscription[T any] struct {
	p      *poller[T]
	filter func(T) bool
	notify chan struct{} // receives when the queue or err changes

	// Guarded by p.mu.
	pending     bool      // subscribed, snapshot or history not yet queued
	lastEventAt time.Time // when the last event was queued

	mu        sync.Mutex
	queue     []item[T]
	head      int    // queue[head:] are the events not yet taken
	backlog   int    // how many of those were queued at Subscribe (snapshot, history): not bound by Config.Buffer
	err       error  // why the subscription ended, if it did
	resumable string // the token of the last event taken that can be resumed from
	closed    bool
}

// compactAfter is how many events taken from the front of a queue that
// is not empty make Next move the rest to the front (when they are at
// least half of it).
const compactAfter = 32

// item is a queued event.
type item[T any] struct {
	Event[T]
	// resumable: the token resumes (every event but the snapshot's ADDED).
	resumable bool
}

// Next returns the next event, waiting for one until ctx is done (ctx's
// error) or interrupt is closed (ErrInterrupted; a nil interrupt never
// is). It returns ErrTooSlow once the subscriber fell behind, a poll's
// error once the poller stopped for it, ErrClosed once the hub closed:
// at once, even with events still queued (the subscriber resumes from
// [Subscription.LastToken]).
func (s *Subscription[T]) Next(ctx context.Context, interrupt <-chan struct{}) (Event[T], error) {
	for {
		select {
		case <-interrupt:
			return Event[T]{}, ErrInterrupted
		default:
		}
		s.mu.Lock()
		if s.err != nil {
			err := s.err
			s.mu.Unlock()
			return Event[T]{}, err
		}
		if s.head < len(s.queue) {
			it := s.queue[s.head]
			s.queue[s.head] = item[T]{} // let the object go
			s.head++
			if s.backlog > 0 {
				s.backlog--
			}
			switch {
			case s.head == len(s.queue):
				s.queue, s.head = s.queue[:0], 0
			case s.head >= compactAfter && s.head*2 >= len(s.queue):
				// A subscriber that never quite catches up would
				// otherwise grow the array by every event it ever had.
				n := copy(s.queue, s.queue[s.head:])
				clear(s.queue[n:])
				s.queue, s.head = s.queue[:n], 0
			}
			if it.resumable {
				s.resumable = it.Token
			}
			s.mu.Unlock()
			return it.Event, nil
		}
		s.mu.Unlock()
		select {
		case <-s.notify:
		case <-ctx.Done():
			return Event[T]{}, ctx.Err()
		case <-interrupt:
			return Event[T]{}, ErrInterrupted
		}
	}
}

// LastToken returns the token of the last event Next returned that can be
// resumed from, or "" if there is none (nothing returned yet, or only part
// of the snapshot: a subscriber cut off within the snapshot starts again).
func (s *Subscription[T]) LastToken() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.resumable
}

// Close ends the subscription; the poller stops Config.Linger after its
// last subscription closed. Close may be called more than once.
func (s *Subscription[T]) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	s.mu.Unlock()
	s.p.mu.Lock()
	s.p.removeLocked(s)
	s.p.mu.Unlock()
}

// deliver queues the events of recs that s's filter matches, with p.mu
// held, and reports whether s is due a bookmark: nothing queued for it for
// bookmarkEvery. A subscriber already buffer events behind is ended with
// ErrTooSlow instead; one that is not takes the whole poll's events, so
// that a poll with more changes than buffer ends nobody.
func (s *Subscription[T]) deliver(recs []record[T], now time.Time, bookmarkEvery time.Duration, buffer int) (bookmarkDue bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.admitLocked(buffer) {
		return false
	}
	queued := false
	for _, r := range recs {
		if ev, ok := r.eventFor(s.filter); ok {
			s.queue = append(s.queue, item[T]{Event: ev, resumable: true})
			queued = true
		}
	}
	if queued {
		s.lastEventAt = now
		s.signal()
	}
	return !queued && now.Sub(s.lastEventAt) >= bookmarkEvery
}

// bookmark queues a BOOKMARK with tok, with p.mu held.
func (s *Subscription[T]) bookmark(tok string, now time.Time, buffer int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.admitLocked(buffer) {
		return
	}
	s.queue = append(s.queue, item[T]{Event: Event[T]{Kind: Bookmark, Token: tok}, resumable: true})
	s.lastEventAt = now
	s.signal()
}

// admitLocked reports whether s may be queued more events: it has not
// ended, and is fewer than buffer events behind (the snapshot or history
// it was queued at Subscribe not counted); else it ends s with ErrTooSlow.
func (s *Subscription[T]) admitLocked(buffer int) bool {
	if s.err != nil || s.closed {
		return false
	}
	if len(s.queue)-s.head-s.backlog >= buffer {
		s.err = ErrTooSlow
		s.queue, s.head, s.backlog = nil, 0, 0
		s.signal()
		return false
	}
	return true
}

// fail ends s with err, with p.mu held.
func (s *Subscription[T]) fail(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err == nil {
		s.err = err
		s.queue, s.head, s.backlog = nil, 0, 0
	}
	s.signal()
}

// signal wakes Next, with s.mu held.
func (s *Subscription[T]) signal() {
	select {
	case s.notify <- struct{}{}:
	default:
	}
}
