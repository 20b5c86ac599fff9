package gcfloor

import (
	"runtime"
	"runtime/metrics"
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

// TestKeep raises GOGC after collections while the live heap is small, and
// Stop sets it back. The test waits for the Keeper's tunings, which run
// after collections the test forces, rather than for time to pass.
func TestKeep(t *testing.T) {
	if gogc() != basePercent {
		t.Skip("GOGC is set in the environment")
	}
	type tuning struct{ set, inForce uint64 }
	tuned := make(chan tuning, 16)
	k := keep(64<<20, func(p int) {
		// Under the Keeper's lock: no other tuning between the two.
		select {
		case tuned <- tuning{uint64(p), gogc()}:
		default:
		}
	})
	defer k.Stop()
	// Keep tunes once at once, with the figures of the last collection,
	// if this process has had one; the tunings after the collections
	// forced below have figures.
	deadline := time.After(30 * time.Second)
	for {
		runtime.GC()
		select {
		case tu := <-tuned:
			if tu.set != tu.inForce {
				t.Fatalf("GOGC %d after the Keeper set %d", tu.inForce, tu.set)
			}
			if tu.set <= basePercent {
				continue
			}
			k.Stop()
			if got := gogc(); got != basePercent {
				t.Fatalf("GOGC %d after Stop; want %d", got, basePercent)
			}
			// The cleanup armed last runs after the next collection, and
			// neither tunes nor arms another.
			runtime.GC()
			runtime.GC()
			if got := gogc(); got != basePercent {
				t.Fatalf("GOGC %d after Stop and two collections; want %d", got, basePercent)
			}
			return
		case <-deadline:
			t.Fatal("no tuning above 100 after 30 s of collections")
		}
	}
}

// TestKeep_zeroFloor changes nothing.
func TestKeep_zeroFloor(t *testing.T) {
	if gogc() != basePercent {
		t.Skip("GOGC is set in the environment")
	}
	k := keep(0, func(int) { t.Error("a Keeper without a floor tuned") })
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
	if gogc() != basePercent {
		t.Skip("GOGC is set in the environment")
	}
	const floor = 32 << 20
	tuned := make(chan int, 1)
	k := keep(floor, func(p int) {
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
