// Package gcfloor keeps the Go garbage collector's heap goal at or above a
// floor, so that a process whose live heap is small does not collect
// garbage dozens of times a second.
//
// The runtime starts the next collection when the heap reaches its goal:
// the live heap of the last collection plus GOGC percent of it (and of the
// stacks and globals it scanned). With the facade's few MiB of live heap
// and GOGC's 100, that goal is under 8 MiB, which calls allocating about
// 12 KiB each fill some thirty times a second at 10,000 calls a second,
// and each collection has costs that do not shrink with the heap: scanning
// every goroutine's stack, shrinking the stacks it finds mostly unused
// (which the next deep call grows again by copying), the assists of the
// goroutines that allocate while it marks. [Keep] raises GOGC after each
// collection, just enough for the next goal to reach the floor; once the
// live heap is half the floor or more, GOGC is back at its usual 100 and
// the floor changes nothing. A memory limit (GOMEMLIMIT) still bounds the
// heap as before: the runtime collects when it nears the limit, whatever
// GOGC says; and while GOGC is raised, the Keeper sets a limit of its own
// (see [Keep]).
//
// What the floor costs is memory: a heap that grows to the floor before
// it is collected, and, when the live heap jumps between two collections,
// up to about twice the floor more than without it.
package gcfloor

import (
	"math"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
)

// basePercent is GOGC's default, the percent [Keep] never goes below.
const basePercent = 100

// heapMinimum is the runtime's smallest heap goal at GOGC 100 (4 MiB,
// defaultHeapMinimum in runtime/mgcpacer.go), which it scales with GOGC:
// at GOGC 1000 no collection starts under 40 MiB, whatever is live.
const heapMinimum = 4 << 20

// Percent returns the GOGC percent at which the next collection's heap
// goal is at least floor bytes, given the live heap the last collection
// marked and the stack and global bytes it scanned: the runtime's goal is
// marked + (marked + stacks + globals) * percent / 100. It is never below
// GOGC's default of 100, nor above the percent at which the runtime's own
// minimum goal, 4 MiB scaled by GOGC, would pass the floor (at GOGC 10,000
// that minimum is 400 MiB, however little is live).
func Percent(floor, marked, stacks, globals uint64) int {
	scanned := marked + stacks + globals
	if floor <= marked || scanned == 0 {
		return basePercent
	}
	highest := float64(floor * 100 / heapMinimum)
	// Rounded up, so that the goal reaches the floor.
	p := min(math.Ceil(float64(floor-marked)*100/float64(scanned)), highest)
	if p <= basePercent {
		return basePercent
	}
	return int(p)
}

// Keeper keeps the heap goal at or above its floor, until stopped.
type Keeper struct {
	floor uint64

	mu      sync.Mutex
	stopped bool
	percent int   // the GOGC percent last set
	limit   int64 // the memory limit in force when Keep started
	limited bool  // the Keeper's own memory limit is in force
	samples []metrics.Sample
	// Test hooks: before reads the figures, after has set GOGC and the
	// limit.
	before func()
	after  func(percent int)
}

// sentinel is what a Keeper drops after each tuning so that the next
// collection runs its cleanup: large enough, and with a pointer, to be an
// allocation of its own (the runtime may batch tiny objects without
// pointers, and then not run their cleanups promptly).
type sentinel struct {
	_ *int
	_ [2]uint64
}

// The figures a tuning reads, in this order.
var figures = []string{
	"/gc/heap/live:bytes", "/gc/scan/stack:bytes", "/gc/scan/globals:bytes",
	"/memory/classes/total:bytes", "/memory/classes/heap/released:bytes",
}

// Keep starts keeping the heap goal at or above floor bytes: after each
// collection it sets GOGC (debug.SetGCPercent) to [Percent] of what the
// collection found. It tunes once at once (with the figures of the last
// collection, if any) and then after every collection, from the runtime's
// cleanup goroutine; it starts no goroutine of its own. A floor of 0 keeps
// nothing. Stop ends it and sets GOGC back to 100.
//
// A tuning comes late: the runtime runs cleanups once it has swept, most
// of the way into the next cycle, and the goal it sets at the end of that
// cycle uses the GOGC in force, from figures a cycle old. Should the live
// heap jump meanwhile (calls piling up), a raised GOGC would take the
// goal to that many times the new live heap: at GOGC 800, 450 MiB for 50
// MiB live. So while GOGC is raised, the Keeper also sets a memory limit
// (debug.SetMemoryLimit) of what the process uses after the collection
// plus the floor, or keeps the limit already in force if that is lower:
// the heap then stays under it, the collector working harder if it must,
// until the next tuning sets GOGC back to 100 and the limit back to the
// one Keep found.
//
// Keep is for a process whose GOGC is the runtime's default: a GOGC set
// by the environment is the operator's choice, and the caller should not
// start a Keeper then. Set the process's memory limit before Keep, and
// not after.
func Keep(floor uint64) *Keeper {
	return keep(floor, nil, nil)
}

func keep(floor uint64, before func(), after func(int)) *Keeper {
	k := &Keeper{floor: floor, percent: basePercent, limit: debug.SetMemoryLimit(-1), before: before, after: after}
	for _, name := range figures {
		k.samples = append(k.samples, metrics.Sample{Name: name})
	}
	if floor == 0 {
		k.stopped = true
		return k
	}
	k.tune()
	return k
}

// tune sets GOGC and the memory limit from the last collection's figures
// and arms the next tuning, unless the Keeper has stopped.
func (k *Keeper) tune() {
	if k.before != nil {
		k.before()
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.stopped {
		return
	}
	metrics.Read(k.samples)
	var v [5]uint64
	for i, s := range k.samples {
		if s.Value.Kind() == metrics.KindUint64 {
			v[i] = s.Value.Uint64()
		}
	}
	live, stacks, globals, total, released := v[0], v[1], v[2], v[3], v[4]
	p := Percent(k.floor, live, stacks, globals)
	if p != k.percent {
		debug.SetGCPercent(p)
		k.percent = p
	}
	switch {
	case p > basePercent:
		limit := k.limit
		if used := total - min(released, total); used < uint64(math.MaxInt64)-k.floor {
			limit = min(limit, int64(used+k.floor))
		}
		debug.SetMemoryLimit(limit)
		k.limited = true
	case k.limited:
		debug.SetMemoryLimit(k.limit)
		k.limited = false
	}
	if k.after != nil {
		k.after(k.percent)
	}
	runtime.AddCleanup(new(sentinel), (*Keeper).tune, k)
}

// Floor returns the floor in bytes (0: none).
func (k *Keeper) Floor() uint64 { return k.floor }

// Stop ends the tuning and sets GOGC back to 100 and the memory limit
// back to the one Keep found, if the Keeper had changed them. The cleanup
// armed last still runs after the next collection, and does nothing.
func (k *Keeper) Stop() {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.stopped {
		return
	}
	k.stopped = true
	if k.percent != basePercent {
		debug.SetGCPercent(basePercent)
		k.percent = basePercent
	}
	if k.limited {
		debug.SetMemoryLimit(k.limit)
		k.limited = false
	}
}
