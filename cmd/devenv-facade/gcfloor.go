package main

import (
	"log/slog"
	"math"
	"os"
	"runtime/debug"

	"github.com/devenv-facade/devenv-facade/internal/gcfloor"
)

// defaultGCHeapFloorMiB is --gc-heap-floor-mib's default: about what a
// busy facade allocates in a few hundred milliseconds, and under the
// Kubernetes manifest's memory request with the rest of the process.
const defaultGCHeapFloorMiB = 32

// keepHeapFloor starts keeping the garbage collector's heap goal at or
// above mib MiB (package gcfloor), at most half the Go memory limit in
// force (set it first: [setMemoryLimit]), unless mib is 0 or the
// environment sets GOGC, and logs what it did. It returns the Keeper, or
// nil when it started none.
func keepHeapFloor(logger *slog.Logger, mib int) *gcfloor.Keeper {
	if mib <= 0 {
		return nil
	}
	if gogc := os.Getenv("GOGC"); gogc != "" {
		logger.Info("no GC heap floor: GOGC is set", slog.String("gogc", gogc))
		return nil
	}
	floor := uint64(mib) << 20
	if limit := debug.SetMemoryLimit(-1); limit != math.MaxInt64 && floor > uint64(limit)/2 {
		floor = uint64(limit) / 2
	}
	logger.Info("GC heap floor", slog.Uint64("gc_heap_floor_mib", floor>>20))
	return gcfloor.Keep(floor)
}
