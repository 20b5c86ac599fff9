package main

import (
	"bytes"
	"log/slog"
	"math"
	"os"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/KimMachineGun/automemlimit/memlimit"
)

// TestSetMemoryLimit: without GOMEMLIMIT, the Go runtime's soft limit is
// 90% of the container's memory limit, or none without one (never the
// default's, which cannot be told from none), and the limit is logged.
// Not parallel: the limit is the process's.
func TestSetMemoryLimit(t *testing.T) {
	t.Setenv("GOMEMLIMIT", "")
	t.Setenv("AUTOMEMLIMIT", "") // restored after the test, unset during it
	if err := os.Unsetenv("AUTOMEMLIMIT"); err != nil {
		t.Fatal(err)
	}
	old := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(old) })
	for _, tc := range []struct {
		name     string
		provider memlimit.Provider
		want     int64
		log      string
	}{
		{"container limit", memlimit.Limit(1 << 30), 1 << 30 * 9 / 10, `gomemlimit_mib=921 from="the container's memory limit"`},
		{"no limit", func() (uint64, error) { return 0, memlimit.ErrNoLimit }, math.MaxInt64, "no Go memory limit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			debug.SetMemoryLimit(math.MaxInt64)
			var logs bytes.Buffer
			setMemoryLimit(slog.New(slog.NewTextHandler(&logs, nil)), tc.provider)
			if got := debug.SetMemoryLimit(-1); got != tc.want {
				t.Errorf("memory limit %d; want %d", got, tc.want)
			}
			if !strings.Contains(logs.String(), tc.log) {
				t.Errorf("logs %q; want %q", logs.String(), tc.log)
			}
		})
	}
}
