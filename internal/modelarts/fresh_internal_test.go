package modelarts

import (
	"bytes"
	"testing"
	"time"
)

// TestWindow_boundedMemory: a window keeps answers within its bytes; an
// answer that does not fit is not kept, until a sweep has dropped those
// that may no longer answer; replacing an answer frees the old one's
// bytes.
func TestWindow_boundedMemory(t *testing.T) {
	t.Parallel()
	w := newWindow(time.Second)
	w.maxBytes = 2000
	now := time.Date(2026, 12, 6, 17, 0, 0, 0, time.UTC)
	key := func(s string) flightKey { return flightKey{method: "GET", url: s} }
	body := func(n int) *response { return &response{status: 200, body: bytes.Repeat([]byte("x"), n)} }

	w.put(key("a"), body(1000), 0, 0, now)
	w.put(key("b"), body(1000), 0, 0, now) // 1000+1+256 more: over 2000
	if _, ok := w.take(key("b"), 0, now); ok {
		t.Error("an answer beyond the window's bytes was kept")
	}
	if _, ok := w.take(key("a"), 0, now); !ok || w.bytes != 1000+1+keptOverhead {
		t.Errorf("the first answer: kept %v, window bytes %d; want kept, %d", ok, w.bytes, 1000+1+keptOverhead)
	}
	w.put(key("a"), body(10), 0, 0, now)
	if w.bytes != 10+1+keptOverhead || len(w.answers) != 1 {
		t.Errorf("after replacing: %d bytes, %d answers; want %d, 1", w.bytes, len(w.answers), 10+1+keptOverhead)
	}
	w.put(key("a"), body(1000), 0, 0, now)
	later := now.Add(time.Second) // "a" may no longer answer: a sweep drops it
	w.put(key("b"), body(1000), 0, 0, later)
	if _, ok := w.take(key("b"), 0, later); !ok || len(w.answers) != 1 {
		t.Errorf("after the sweep: b kept %v, %d answers; want kept, 1", ok, len(w.answers))
	}
	if w.bytes != 1000+1+keptOverhead {
		t.Errorf("window bytes %d; want %d", w.bytes, 1000+1+keptOverhead)
	}
}
