package main

import (
	"slices"
	"testing"
)

// TestGoroutinesByEntry counts a goroutine profile's goroutines by the
// function each started in, its outermost frame other than runtime.goexit.
func TestGoroutinesByEntry(t *testing.T) {
	const profile = "goroutine profile: total 7\n" +
		"3 @ 0x1 0x2 0x3\n" +
		"#\t0x1\truntime.gopark+0x1\t/go/src/runtime/proc.go:1\n" +
		"#\t0x2\tnet/http.(*persistConn).readLoop+0x2a\t/go/src/net/http/transport.go:2\n" +
		"#\t0x3\truntime.goexit+0x1\t/go/src/runtime/asm.s:3\n" +
		"\n" +
		"2 @ 0x4\n" +
		"#\t0x4\tcontext.WithDeadlineCause.func2+0x0\t/go/src/context/context.go:652\n" +
		"\n" +
		"2 @ 0x1 0x5\n" +
		"#\t0x1\truntime.gopark+0x1\t/go/src/runtime/proc.go:1\n" +
		"#\t0x5\tnet/http.(*persistConn).readLoop+0x3b\t/go/src/net/http/transport.go:5\n"
	groups, total := goroutinesByEntry(profile)
	want := []goroutineGroup{{"net/http.(*persistConn).readLoop", 5}, {"context.WithDeadlineCause.func2", 2}}
	if total != 7 || !slices.Equal(groups, want) {
		t.Errorf("goroutinesByEntry: %v, total %d; want %v, total 7", groups, total, want)
	}
}
