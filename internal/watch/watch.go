// Package watch turns a list that can only be polled into a change stream
// with Kubernetes watch semantics, shared by any number of subscribers.
//
// A [Hub] keeps one poller per key (the service makes the key of the
// upstream credentials, the API, the project and the workspace, so that two
// callers with different credentials never share one). A poller runs only
// while someone subscribes: the first [Hub.Subscribe] of a key starts it,
// and it stops [Config.Linger] after the last subscriber left. It reads the
// whole list ([Source].Poll), compares it with what it saw before by ID,
// and records an event per object that appeared (ADDED), changed
// (MODIFIED) or disappeared (DELETED), numbered in order, in a bounded
// history. It polls every [Config.PollInterval] while any object is in a
// transitional state ([Source].Transitional), every
// [Config.SteadyPollInterval] when none is.
//
// A [Subscription] first receives the objects its filter matches (ADDED),
// then a SNAPSHOT_COMPLETE marker, then the events its filter matches, in
// the poller's order; an object that enters the filter is sent as ADDED,
// one that leaves it as DELETED (Kubernetes' rule). When nothing matched
// for [Config.BookmarkInterval] it receives a BOOKMARK. Every event carries
// a resume token; a subscription started with one receives the events after
// it from the history, or [ErrTokenExpired] when the history no longer
// holds them or the token is from another poller (another replica, a
// restart, a poller that stopped and started again): never a silently
// wrong stream.
//
// A subscriber that falls [Config.Buffer] events behind is ended with
// [ErrTooSlow]; the poller never waits for a subscriber.
package watch

import (
	"errors"
	"time"

	"github.com/devenv-facade/devenv-facade/internal/clock"
	"github.com/devenv-facade/devenv-facade/internal/options"
)

// Kind is what happened to the object an event carries.
type Kind uint8

// The kinds of event, as the proto's devenvfacade.watch.v1.EventType
// names them.
const (
	// Added: the object is new to the subscriber (snapshot, created, or
	// now matching its filter).
	Added Kind = iota + 1
	// Modified: the object changed; the event carries it as it is now.
	Modified
	// Deleted: the object is gone, or no longer matches the filter; the
	// event carries it as it was last seen.
	Deleted
	// Bookmark: nothing matched for a while; the event carries only a
	// token.
	Bookmark
	// SnapshotComplete: the snapshot has been sent; changes follow.
	SnapshotComplete
)

// String returns the kind's name as the proto's enum writes it without
// its EVENT_TYPE_ prefix.
func (k Kind) String() string {
	switch k {
	case Added:
		return "ADDED"
	case Modified:
		return "MODIFIED"
	case Deleted:
		return "DELETED"
	case Bookmark:
		return "BOOKMARK"
	case SnapshotComplete:
		return "SNAPSHOT_COMPLETE"
	}
	return "UNSPECIFIED"
}

// Event is one event a [Subscription] delivers.
type Event[T any] struct {
	// Kind is what happened.
	Kind Kind
	// Object is the object (its zero value for Bookmark and
	// SnapshotComplete). Objects are shared between subscribers: never
	// change one.
	Object T
	// Token is the event's resume token.
	Token string
}

// Errors a subscription ends with (besides a poll's error and its
// context's).
var (
	// ErrTokenExpired: the resume token is older than the history the
	// poller keeps, or from another poller (another replica, a restart,
	// a poller stopped and started again). List again, or subscribe
	// without a token.
	ErrTokenExpired = errors.New("watch: the resume token has expired")
	// ErrMalformedToken: the resume token is not one a watch gave.
	ErrMalformedToken = errors.New("watch: not a resume token")
	// ErrTooSlow: the subscriber fell more than Config.Buffer events
	// behind.
	ErrTooSlow = errors.New("watch: the subscriber fell behind")
	// ErrInterrupted: the subscription was asked to end (Next's
	// interrupt).
	ErrInterrupted = errors.New("watch: interrupted")
	// ErrClosed: the hub was closed.
	ErrClosed = errors.New("watch: the hub is closed")
)

// Defaults of [Config].
const (
	DefaultPollInterval       = 2 * time.Second
	DefaultSteadyPollInterval = 15 * time.Second
	DefaultBookmarkInterval   = 30 * time.Second
	DefaultLinger             = 10 * time.Second
	DefaultHistory            = 4096
	DefaultBuffer             = 256
	DefaultPollTimeout        = 5 * time.Minute
)

// Config configures a [Hub]. Zero fields mean their defaults.
type Config struct {
	// Clock times the polls, bookmarks and linger. Nil: the system clock.
	Clock clock.Clock
	// PollInterval is the pause between polls while any object is in a
	// transitional state, and after a poll that failed.
	PollInterval time.Duration
	// SteadyPollInterval is the pause between polls while none is.
	SteadyPollInterval time.Duration
	// BookmarkInterval is how long a subscriber goes without an event
	// before it receives a BOOKMARK (at the next poll after it).
	BookmarkInterval time.Duration
	// Linger is how long a poller goes on after its last subscriber left.
	Linger time.Duration
	// History is how many events a poller keeps for resumes.
	History int
	// Buffer is how many events a subscriber may fall behind before it is
	// ended with ErrTooSlow.
	Buffer int
	// PollTimeout bounds one whole poll (every page of the list, retries
	// included), in real time: a poll still running then is cancelled
	// and fails with its context's error. Each request of it has its own
	// bound too (the ModelArts client's); this one bounds their sum.
	PollTimeout time.Duration
}

func (c Config) withDefaults() Config {
	c.Clock = clock.Or(c.Clock)
	c.PollInterval = options.Or(c.PollInterval, DefaultPollInterval)
	c.SteadyPollInterval = options.Or(c.SteadyPollInterval, max(DefaultSteadyPollInterval, c.PollInterval))
	c.BookmarkInterval = options.Or(c.BookmarkInterval, DefaultBookmarkInterval)
	c.Linger = options.Or(c.Linger, DefaultLinger)
	c.History = options.Or(c.History, DefaultHistory)
	c.Buffer = options.Or(c.Buffer, DefaultBuffer)
	c.PollTimeout = options.Or(c.PollTimeout, DefaultPollTimeout)
	return c
}

func (c Config) validate() error {
	switch {
	case c.PollInterval < 0:
		return options.Errorf("watch", "{PollInterval} %s is negative", c.PollInterval)
	case c.SteadyPollInterval < c.PollInterval:
		return options.Errorf("watch", "{SteadyPollInterval} %s is below {PollInterval} %s", c.SteadyPollInterval, c.PollInterval)
	case c.BookmarkInterval < 0:
		return options.Errorf("watch", "{BookmarkInterval} %s is negative", c.BookmarkInterval)
	case c.Linger < 0:
		return options.Errorf("watch", "{Linger} %s is negative", c.Linger)
	case c.PollTimeout < 0:
		return options.Errorf("watch", "{PollTimeout} %s is negative", c.PollTimeout)
	case c.History < 1:
		return options.Errorf("watch", "{History} %d is below 1", c.History)
	case c.Buffer < 1:
		return options.Errorf("watch", "{Buffer} %d is below 1", c.Buffer)
	}
	return nil
}
