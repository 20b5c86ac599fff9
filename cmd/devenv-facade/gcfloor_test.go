package main

import (
	"bytes"
	"log/slog"
	"math"
	"os"
	"runtime/debug"
	"strings"
	"testing"
)

// TestKeepHeapFloor: the floor is the flag's, at most half the Go memory
// limit; none when the flag is 0 or GOGC is set; what was done is logged.
// Not parallel: GOGC and the memory limit are the process's.
func TestKeepHeapFloor(t *testing.T) {
	if os.Getenv("GOGC") != "" {
		t.Skip("GOGC is set: a Keeper's Stop would set the process's GOGC to 100")
	}
	t.Setenv("GOGC", "") // unset again after the test
	old := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(old) })
	for _, tc := range []struct {
		name      string
		mib       int
		gogc      string
		limit     int64
		wantFloor uint64 // 0: no Keeper
		log       string
	}{
		{"default, no memory limit", 32, "", math.MaxInt64, 32 << 20, "gc_heap_floor_mib=32"},
		{"under half the memory limit", 32, "", 230 << 20, 32 << 20, "gc_heap_floor_mib=32"},
		{"half the memory limit at most", 200, "", 230 << 20, 115 << 20, "gc_heap_floor_mib=115"},
		{"off", 0, "", math.MaxInt64, 0, ""},
		{"GOGC set", 32, "200", math.MaxInt64, 0, `no GC heap floor: GOGC is set" gogc=200`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.gogc == "" {
				if err := os.Unsetenv("GOGC"); err != nil {
					t.Fatal(err)
				}
			} else {
				t.Setenv("GOGC", tc.gogc)
			}
			debug.SetMemoryLimit(tc.limit)
			var logs bytes.Buffer
			k := keepHeapFloor(slog.New(slog.NewTextHandler(&logs, nil)), tc.mib)
			switch {
			case tc.wantFloor == 0 && k != nil:
				k.Stop()
				t.Fatalf("a Keeper with floor %d; want none", k.Floor())
			case tc.wantFloor != 0 && k == nil:
				t.Fatalf("no Keeper; want floor %d", tc.wantFloor)
			case k != nil:
				k.Stop()
				if k.Floor() != tc.wantFloor {
					t.Errorf("floor %d; want %d", k.Floor(), tc.wantFloor)
				}
			}
			if !strings.Contains(logs.String(), tc.log) {
				t.Errorf("logs %q; want %q", logs.String(), tc.log)
			}
		})
	}
}
