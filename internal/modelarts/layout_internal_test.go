package modelarts

import (
	"testing"
	"unsafe"
)

// TestClient_hotFieldsApart: what every call writes (latency, reach,
// deadlines) is at least cacheLinePad bytes from the fields every call
// reads, and from whatever follows the Client in memory.
func TestClient_hotFieldsApart(t *testing.T) {
	var c Client
	readEnd := unsafe.Offsetof(c.lastSecrets) + unsafe.Sizeof(c.lastSecrets)
	for name, off := range map[string]uintptr{"httpClient": unsafe.Offsetof(c.httpClient), "observer": unsafe.Offsetof(c.observer), "flights": unsafe.Offsetof(c.flights)} {
		if off >= unsafe.Offsetof(c.latency) {
			t.Errorf("%s (offset %d) is among the fields every call writes", name, off)
		}
	}
	if gap := unsafe.Offsetof(c.latency) - readEnd; gap < cacheLinePad {
		t.Errorf("%d bytes between the fields every call reads and those it writes; want at least %d", gap, cacheLinePad)
	}
	writeEnd := unsafe.Offsetof(c.deadlines) + unsafe.Sizeof(c.deadlines)
	if gap := unsafe.Sizeof(c) - writeEnd; gap < cacheLinePad {
		t.Errorf("%d bytes after the fields every call writes; want at least %d", gap, cacheLinePad)
	}
	if unsafe.Offsetof(c.reach) < unsafe.Offsetof(c.latency) || unsafe.Offsetof(c.deadlines) < unsafe.Offsetof(c.reach) {
		t.Error("latency, reach and deadlines are not together, in that order")
	}
}
