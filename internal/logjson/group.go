package logjson

import (
	"io"
	"sync"
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
// A line is in the io.Writer by the time the writer of the moment (a
// logger, or the goroutine it handed the rest to) is done; a process that
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
)

func newGroupWriter(w io.Writer) *groupWriter {
	g := &groupWriter{w: w}
	g.room.L = &g.mu
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
	g.writing = true
	return len(p), g.flush(maxRounds)
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

// flushed returns once every line written so far is in the io.Writer.
func (g *groupWriter) flushed() {
	g.mu.Lock()
	for g.writing {
		g.room.Wait()
	}
	g.mu.Unlock()
}
