package logjson

import (
	"io"
	"sync"
	"time"
)

// groupWriter writes the lines of many goroutines to one io.Writer, whole
// and in the order they arrive, several to one Write when they arrive
// while another is being written (a group commit).
//
// A line's Write appends it to what is pending. If no one is writing, the
// caller becomes the writer: it writes what is pending, and again what
// arrived meanwhile, until nothing is left; callers that arrive while it
// writes return at once, their lines written by it. Under load the facade
// so makes a few large writes instead of a system call per call's line,
// and its calls do not queue on a lock held across each write. A writer
// that has written maxRounds times for others hands what is left to a
// goroutine, so that no call is held up by the others' lines for long.
// Pending lines are bounded (maxPending bytes): beyond it, callers wait
// for the writer, as they waited for one another before.
//
// With a linger (positive), a line that finds no write under way does not
// start one: it waits up to linger for others to join it, and a timer's
// goroutine writes what is pending then, or a caller at once when
// lingerBytes are pending. Under load the facade so makes one write per
// linger rather than one per call's line, which it otherwise mostly did:
// lines seldom arrive during the few microseconds a write takes.
//
// A line is in the io.Writer by the time the writer of the moment (a
// logger, the timer's goroutine, or the goroutine a logger handed the rest
// to) is done; a process that
// exits must wait for that ([Handler.Flush]). A process that dies before
// (killed, or a panic nobody recovers) loses every line still pending and
// the write in progress: up to maxPending bytes (about 800 call lines)
// and one write, where a writer that wrote each line at once would lose
// only the line being written.
type groupWriter struct {
	w io.Writer

	mu      sync.Mutex
	room    sync.Cond // broadcast when a write has taken what was pending, and when writing ends
	pending []byte
	spare   []byte // the other buffer, kept between writes
	writing bool

	// linger is how long a line waits for others before a write (zero:
	// no wait); timer, when linger is positive, writes what waited, and
	// armed tells whether it is set.
	linger time.Duration
	timer  *time.Timer
	armed  bool
}

const (
	// maxPending bounds the bytes of lines waiting for the writer (about
	// 800 call lines).
	maxPending = 256 << 10
	// maxRounds is how many writes one caller makes before it hands the
	// rest to a goroutine.
	maxRounds = 8
	// maxKeptBuffer bounds a buffer kept for the next write: pending
	// lines grow one to at most twice maxPending.
	maxKeptBuffer = 2 * maxPending
	// lingerBytes is how much may wait for the linger's timer: a caller
	// that finds as much pending writes it at once.
	lingerBytes = 32 << 10
)

// newGroupWriter returns a groupWriter on w whose lines wait up to linger
// for others (zero: none).
func newGroupWriter(w io.Writer, linger time.Duration) *groupWriter {
	g := &groupWriter{w: w, linger: linger}
	g.room.L = &g.mu
	if linger > 0 {
		g.timer = time.AfterFunc(time.Hour, g.lingered)
		g.timer.Stop()
	}
	return g
}

// Write writes p, one or more whole lines, or leaves it to the writer of
// the moment. Its error is the error of the writes it made itself.
func (g *groupWriter) Write(p []byte) (int, error) {
	g.mu.Lock()
	for g.writing && len(g.pending) > 0 && len(g.pending)+len(p) > maxPending {
		g.room.Wait()
	}
	g.pending = append(g.pending, p...)
	if g.writing {
		g.mu.Unlock()
		return len(p), nil
	}
	if g.linger > 0 && len(g.pending) < lingerBytes {
		if !g.armed {
			g.armed = true
			g.timer.Reset(g.linger)
		}
		g.mu.Unlock()
		return len(p), nil
	}
	g.writing = true
	return len(p), g.flush(maxRounds)
}

// lingered writes what waited for the linger, unless a write is under way
// (whose writer writes it) or nothing is left; it runs on the timer's
// goroutine.
func (g *groupWriter) lingered() {
	g.mu.Lock()
	g.armed = false
	if g.writing || len(g.pending) == 0 {
		g.mu.Unlock()
		return
	}
	g.writing = true
	_ = g.flush(-1) // the loggers whose lines these are have returned
}

// flush writes what is pending until nothing is, at most rounds times
// (negative: no limit) before it hands the rest to a goroutine. g.mu is
// held on entry and released on return.
func (g *groupWriter) flush(rounds int) error {
	var first error
	for i := 0; len(g.pending) > 0; i++ {
		if i == rounds {
			go func() {
				g.mu.Lock()
				_ = g.flush(-1) // the loggers whose lines these are have returned
			}()
			g.mu.Unlock()
			return first
		}
		batch := g.pending
		g.pending = g.spare[:0]
		g.mu.Unlock()
		if _, err := g.w.Write(batch); err != nil && first == nil {
			first = err
		}
		g.mu.Lock()
		g.spare = nil
		if cap(batch) <= maxKeptBuffer {
			g.spare = batch[:0]
		}
		g.room.Broadcast()
	}
	g.writing = false
	g.room.Broadcast()
	g.mu.Unlock()
	return first
}

// flushed returns once every line written so far is in the io.Writer:
// it writes what waits for the linger itself.
func (g *groupWriter) flushed() {
	g.mu.Lock()
	for g.writing {
		g.room.Wait()
	}
	if g.armed && g.timer.Stop() {
		g.armed = false
	}
	if len(g.pending) == 0 {
		g.mu.Unlock()
		return
	}
	g.writing = true
	_ = g.flush(-1)
}
