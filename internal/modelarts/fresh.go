package modelarts

import (
	"time"
)

// The freshness window (Options.FreshFor): a read's success answer also
// answers the identical reads (coalesce.go's flightKey) that come within
// the window after it, as long as no write made with the client has ended
// since its request began; a call can ask for a request of its own
// ([Fresh]). Answers kept take memory: at most maxKeptBytes in all, body,
// URL and bookkeeping counted; beyond it an answer is not kept.

// maxKeptBytes bounds the memory of the answers a window keeps.
const maxKeptBytes = 32 << 20

// keptOverhead is what an answer kept costs beside its body and URL: the
// map entry, the response and the key.
const keptOverhead = 256

// window holds the answers of a client's freshness window; flights.mu
// guards it.
type window struct {
	keep     time.Duration // Options.FreshFor
	maxBytes int
	bytes    int
	answers  map[flightKey]kept
	// swept is when a full window was last swept of the answers it may
	// no longer give: at most once per keep, so that a full window of
	// fresh answers does not make every read scan it.
	swept time.Time
}

// kept is an answer in the window.
type kept struct {
	answer *response
	at     time.Time // when it came, by the client's clock
	writes uint64    // flights.writes when its request began
	size   int
}

func newWindow(keep time.Duration) *window {
	return &window{keep: keep, maxBytes: maxKeptBytes, answers: map[flightKey]kept{}}
}

// fresh reports whether k may still answer at now, when flights.writes
// is writes.
func (w *window) fresh(k kept, writes uint64, now time.Time) bool {
	return k.writes == writes && now.Sub(k.at) < w.keep && !now.Before(k.at)
}

// take returns the answer kept for key, if it may still answer; one that
// may not is dropped.
func (w *window) take(key flightKey, writes uint64, now time.Time) (kept, bool) {
	k, ok := w.answers[key]
	if !ok {
		return kept{}, false
	}
	if !w.fresh(k, writes, now) {
		w.drop(key, k)
		return kept{}, false
	}
	return k, true
}

// put keeps answer, which came at now to a read whose request began when
// flights.writes was writes, in place of any answer kept for key; unless
// it does not fit. current is flights.writes now.
func (w *window) put(key flightKey, answer *response, writes, current uint64, now time.Time) {
	if old, ok := w.answers[key]; ok {
		w.drop(key, old)
	}
	size := len(answer.body) + len(key.url) + keptOverhead
	if w.bytes+size > w.maxBytes && now.Sub(w.swept) >= w.keep {
		w.swept = now
		for k, e := range w.answers {
			if !w.fresh(e, current, now) {
				w.drop(k, e)
			}
		}
	}
	if w.bytes+size > w.maxBytes {
		return
	}
	w.answers[key] = kept{answer: answer, at: now, writes: writes, size: size}
	w.bytes += size
}

func (w *window) drop(key flightKey, k kept) {
	delete(w.answers, key)
	w.bytes -= k.size
}
