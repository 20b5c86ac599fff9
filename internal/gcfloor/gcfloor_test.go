package gcfloor

import (
	"math"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestPercent(t *testing.T) {
	const mib = 1 << 20
	tests := []struct {
		name                           string
		floor, marked, stacks, globals uint64
		want                           int
	}{
		{"no floor", 0, 3 * mib, 0, 0, 100},
		{"live heap above the floor", 32 * mib, 40 * mib, mib, mib, 100},
		{"live heap at the floor", 32 * mib, 32 * mib, 0, 0, 100},
		{"live heap half the floor: GOGC's goal reaches it", 32 * mib, 16 * mib, 0, 0, 100},
		{"live heap just over half the floor", 32 * mib, 15 * mib, 0, 0, 114},                       // (32-15)/15 = 1.133.. up to 114
		{"small live heap", 32 * mib, 3 * mib, 512 << 10, 512 << 10, 725},                           // 29/4 = 7.25
		{"stacks and globals count", 32 * mib, 2 * mib, 2 * mib, 0, 750},                            // 30/4
		{"rounded up so the goal reaches the floor", 10 * mib, 3 * mib, 0, 0, 234},                  // 7/3 = 2.333..
		{"nothing scanned yet", 32 * mib, 0, 0, 0, 100},                                             // no collection yet
		{"tiny heap: the runtime's minimum goal reaches the floor", 32 * mib, 100 << 10, 0, 0, 800}, // 4 MiB * 8
		{"no collection yet: globals only", 32 * mib, 0, 0, 64 << 10, 800},
		{"floor under the runtime's minimum goal", 2 * mib, 100 << 10, 0, 0, 100},
		{"goal exactly reached", 300 * mib, 100 * mib, 0, 0, 200},               // 100 + 100*2
		{"everything but the heap scanned", 64 * mib, 0, 4 * mib, 4 * mib, 800}, // 64/8
		{"live heap one byte under the floor", 32 * mib, 32*mib - 1, 0, 0, 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Percent(tt.floor, tt.marked, tt.stacks, tt.globals)
			if got != tt.want {
				t.Errorf("Percent(%d, %d, %d, %d) = %d; want %d", tt.floor, tt.marked, tt.stacks, tt.globals, got, tt.want)
			}
			if minimum := uint64(heapMinimum) * uint64(got) / 100; got > basePercent && minimum > tt.floor {
				t.Errorf("at GOGC %d the runtime's minimum goal %d passes the floor %d", got, minimum, tt.floor)
			}
			if highest := int(tt.floor / (heapMinimum / 100)); got > basePercent && got < highest {
				scanned := tt.marked + tt.stacks + tt.globals
				if goal := float64(tt.marked) + float64(scanned)*float64(got)/100; goal < float64(tt.floor) {
					t.Errorf("goal %v under the floor %d", goal, tt.floor)
				}
				if goal := float64(tt.marked) + float64(scanned)*float64(got-1)/100; goal >= float64(tt.floor) {
					t.Errorf("%d is more than needed: %d already gives %v", got, got-1, goal)
				}
			}
		})
	}
}

// gogc reads the GOGC percent in force.
func gogc() uint64 {
	s := []metrics.Sample{{Name: "/gc/gogc:percent"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// memoryLimit reads the memory limit in force.
func memoryLimit() int64 { return debug.SetMemoryLimit(-1) }

// skipUnlessDefaults skips a test when GOGC or GOMEMLIMIT is set in the
// environment: the Keeper's Stop sets GOGC back to 100, and the tests
// compare against no limit.
func skipUnlessDefaults(t *testing.T) {
	t.Helper()
	if gogc() != basePercent || memoryLimit() != math.MaxInt64 {
		t.Skip("GOGC or GOMEMLIMIT is set in the environment")
	}
}

// tuning is what a Keeper's after hook saw, under the Keeper's lock.
type tuning struct {
	set     int    // the percent the Keeper reports
	inForce uint64 // GOGC in force
	limit   int64  // memory limit in force
}

// recorder returns an after hook that sends each tuning to the channel it
// returns, if there is room.
func recorder() (func(int), chan tuning) {
	ch := make(chan tuning, 16)
	return func(p int) {
		select {
		case ch <- tuning{p, gogc(), memoryLimit()}:
		default:
		}
	}, ch
}

// raised forces collections until a tuning raises GOGC, and returns it.
func raised(t *testing.T, tuned chan tuning) tuning {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		runtime.GC()
		select {
		case tu := <-tuned:
			if tu.set > basePercent {
				return tu
			}
		case <-deadline:
			t.Fatal("no tuning above 100 after 30 s of collections")
		}
	}
}

// TestKeep raises GOGC after collections while the live heap is small,
// with a memory limit of what the process uses plus the floor, and Stop
// sets both back; the tuning armed before Stop, which runs after the next
// collection, changes nothing. The test waits for the Keeper's tunings,
// which run after collections it forces, rather than for time to pass.
func TestKeep(t *testing.T) {
	skipUnlessDefaults(t)
	const floor = 64 << 20
	after, tuned := recorder()
	stopped := make(chan struct{}, 16)
	var k *Keeper
	k = keep(floor, func() {
		if k != nil {
			k.mu.Lock()
			done := k.stopped
			k.mu.Unlock()
			if done {
				stopped <- struct{}{}
			}
		}
	}, after)
	defer k.Stop()
	tu := raised(t, tuned)
	if uint64(tu.set) != tu.inForce {
		t.Fatalf("GOGC %d after the Keeper set %d", tu.inForce, tu.set)
	}
	if tu.limit < floor || tu.limit == math.MaxInt64 {
		t.Fatalf("memory limit %d while GOGC is raised; want what the process uses plus the floor", tu.limit)
	}
	k.Stop()
	if got, limit := gogc(), memoryLimit(); got != basePercent || limit != math.MaxInt64 {
		t.Fatalf("GOGC %d, memory limit %d after Stop; want 100 and none", got, limit)
	}
	runtime.GC()
	select {
	case <-stopped:
	case <-time.After(30 * time.Second):
		t.Fatal("the tuning armed before Stop did not run 30 s after a collection")
	}
	if got, limit := gogc(), memoryLimit(); got != basePercent || limit != math.MaxInt64 {
		t.Fatalf("GOGC %d, memory limit %d after the last tuning; want 100 and none", got, limit)
	}
}

// TestKeep_keepsLowerLimit: a memory limit lower than what the Keeper
// would set stays in force, and is what Stop leaves.
func TestKeep_keepsLowerLimit(t *testing.T) {
	skipUnlessDefaults(t)
	const low = 16 << 20 // under what the test process uses plus the floor
	debug.SetMemoryLimit(low)
	defer debug.SetMemoryLimit(math.MaxInt64)
	after, tuned := recorder()
	k := keep(64<<20, nil, after)
	defer k.Stop()
	if tu := raised(t, tuned); tu.limit != low {
		t.Errorf("memory limit %d while GOGC is raised; want the lower one in force, %d", tu.limit, low)
	}
	k.Stop()
	if limit := memoryLimit(); limit != low {
		t.Errorf("memory limit %d after Stop; want %d", limit, low)
	}
}

// TestKeep_liveHeapJumps: the live heap grows from almost nothing to 48
// MiB between two tunings (calls piling up). The collection that finds it
// sets its goal from the raised GOGC, yet the heap goal stays under the
// Keeper's memory limit, or at the live heap if that is over the limit
// (without the limit, GOGC 800 would put it at about 440 MiB); the tuning
// after that collection sets GOGC and the limit back.
func TestKeep_liveHeapJumps(t *testing.T) {
	skipUnlessDefaults(t)
	var blocking atomic.Bool
	waiting, gate := make(chan struct{}, 1), make(chan struct{})
	const floor = 32 << 20
	after, tuned := recorder()
	k := keep(floor, func() {
		if blocking.Load() {
			waiting <- struct{}{}
			<-gate
		}
	}, after)
	defer k.Stop()
	tu := raised(t, tuned)
	blocking.Store(true) // the next tuning waits for the gate
	var held [][]byte
	for range 48 << 10 {
		held = append(held, make([]byte, 1<<10))
	}
	runtime.GC() // sets the goal with the raised GOGC
	select {
	case <-waiting:
	case <-time.After(30 * time.Second):
		t.Fatal("no tuning 30 s after a collection")
	}
	blocking.Store(false)
	// Tunings run one at a time: those before the waiting one are done.
	for len(tuned) > 0 {
		<-tuned
	}
	s := []metrics.Sample{{Name: "/gc/heap/goal:bytes"}, {Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	goal, live := s[0].Value.Uint64(), s[1].Value.Uint64()
	if got := gogc(); got != uint64(tu.set) {
		t.Fatalf("GOGC %d before the next tuning; want the raised %d", got, tu.set)
	}
	if live < 48<<20 {
		t.Fatalf("%d KiB live; want 48 MiB or more", live>>10)
	}
	// The runtime never sets a goal under the live heap, and over the
	// limit it works to the live heap.
	limit := memoryLimit()
	if limit == math.MaxInt64 || goal > max(uint64(limit), live+live/16) || goal > live+2*floor {
		t.Errorf("heap goal %d MiB with %d MiB live at GOGC %d and memory limit %d MiB; want at most the limit or the live heap, and under the live heap plus twice the floor", goal>>20, live>>20, tu.set, limit>>20)
	}
	close(gate)
	select {
	case tu = <-tuned:
	case <-time.After(30 * time.Second):
		t.Fatal("no tuning 30 s after the gate opened")
	}
	if tu.set != basePercent || tu.inForce != basePercent || tu.limit != math.MaxInt64 {
		t.Errorf("after a collection that found 48 MiB live: GOGC %d (in force %d), memory limit %d; want 100 and none", tu.set, tu.inForce, tu.limit)
	}
	runtime.KeepAlive(held)
}

// TestKeep_zeroFloor changes nothing.
func TestKeep_zeroFloor(t *testing.T) {
	skipUnlessDefaults(t)
	k := keep(0, func() { t.Error("a Keeper without a floor tuned") }, nil)
	runtime.GC()
	runtime.GC()
	if got := gogc(); got != basePercent {
		t.Errorf("GOGC %d; want %d", got, basePercent)
	}
	k.Stop()
	if k.Floor() != 0 {
		t.Errorf("Floor() = %d", k.Floor())
	}
}

// TestKeep_goalAtFloor: after a collection that found a small live heap,
// the runtime's heap goal is the floor (not GOGC's scaled minimum of 4 MiB
// per 100 percent, which a percent computed from the live heap alone would
// raise to hundreds of MiB). The test forces the collections and reads the
// figures after the Keeper's tuning, allocating nothing in between.
func TestKeep_goalAtFloor(t *testing.T) {
	skipUnlessDefaults(t)
	const floor = 32 << 20
	tuned := make(chan int, 1)
	k := keep(floor, nil, func(p int) {
		select {
		case tuned <- p:
		default:
		}
	})
	defer k.Stop()
	<-tuned // Keep's own, at once
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}, {Name: "/gc/heap/goal:bytes"}}
	var sink [][]byte
	for round := range 4 {
		for range 8 << 10 { // 8 MiB of garbage
			sink = append(sink[:0], make([]byte, 1<<10))
		}
		runtime.GC()
		var p int
		select {
		case p = <-tuned:
		case <-time.After(30 * time.Second):
			t.Fatalf("round %d: no tuning 30 s after a collection", round)
		}
		metrics.Read(s)
		live, goal := s[0].Value.Uint64(), s[1].Value.Uint64()
		if live > floor/4 {
			t.Fatalf("round %d: %d KiB live; the test expects a small live heap", round, live>>10)
		}
		if p <= basePercent || goal < floor || goal > floor+floor/20 {
			t.Errorf("round %d: GOGC %d, heap goal %d KiB with %d KiB live; want above 100 and the floor, %d KiB", round, p, goal>>10, live>>10, floor>>10)
		}
	}
	runtime.KeepAlive(sink)
}
