package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// profileCallers is how many callers drive a profiled server.
const profileCallers = 64

// allocListCallers is how many callers drive the lists' allocation
// window (see profileServer).
const allocListCallers = 2

// allocCalls and allocListCalls are how many calls the allocation count
// of an operation, and of a list, is made of (see profileServer).
const (
	allocCalls     = 4 * profileCallers
	allocListCalls = 3 * allocListCallers
)

// profileName names the profiles of a scenario (S1 or S2) and an
// operation: <server>-<name>-cpu.pprof and <server>-<name>-allocs.pprof.
func profileName(scenario, op string) string { return scenario + "-" + op }

// profTarget is a server to profile: the one measured (run), and its twin
// that records the stack of every allocation (count).
type profTarget struct {
	name       string
	run, count endpoint
}

// endpoint is where a facade (or the bare facade) serves.
type endpoint struct{ grpcAddr, mirrorURL, debugAddr string }

// driver drives the endpoint over gRPC (S1) or its mirror (S2).
func (e endpoint) driver(scenario string, wl workload) (driver, error) {
	if scenario == "S1" {
		return newGRPCDriver(e.grpcAddr, "", 4, wl)
	}
	return newHTTPDriver(e.mirrorURL, "", profileCallers, wl), nil
}

// profileServer drives t over gRPC (S1) or its mirror (S2) with
// profileCallers callers and, after the warm-up, takes a CPU profile for
// seconds (<name>-cpu.pprof in cfg.profileDir); with trace, then an
// execution trace of one second (<name>.trace); then it drives t's
// counting twin for a second between two allocation profiles
// (<name>-allocs-before.pprof, <name>-allocs.pprof, each after a forced
// GC, so that they are up to date). It returns what the server spent per
// call in those windows.
func profileServer(ctx context.Context, cfg config, name, scenario string, seconds int, t profTarget, wl workload, trace bool) (*perCall, error) {
	if err := os.MkdirAll(cfg.profileDir, 0o755); err != nil {
		return nil, err
	}
	dir := cfg.profileDir
	fetch := func(e endpoint, path, file string) error { return saveProfile(ctx, e.debugAddr, path, dir, file) }
	d, err := t.run.driver(scenario, wl)
	if err != nil {
		return nil, err
	}
	defer d.close()
	cpuFile, before, after := name+"-cpu.pprof", name+"-allocs-before.pprof", name+"-allocs.pprof"
	var cpuErr error
	var wg sync.WaitGroup
	r := drive(d, profileCallers, cfg.warmup, time.Duration(seconds)*time.Second, func(start bool) {
		if start {
			wg.Go(func() { cpuErr = fetch(t.run, fmt.Sprintf("/debug/pprof/profile?seconds=%d", seconds), cpuFile) })
			return
		}
		wg.Wait()
	})
	if r.errors > 0 {
		logf("  %s: %d errors while profiling, first: %v", name, r.errors, r.firstErr)
	}
	if cpuErr != nil {
		return nil, cpuErr
	}
	pc, err := analyseCPU(filepath.Join(dir, cpuFile), r.calls)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if trace {
		var traceErr error
		r = drive(d, profileCallers, 200*time.Millisecond, time.Second, func(start bool) {
			if start {
				wg.Go(func() { traceErr = fetch(t.run, "/debug/pprof/trace?seconds=1", name+".trace") })
				return
			}
			wg.Wait()
		})
		if traceErr != nil {
			return nil, traceErr
		}
		abs, _ := filepath.Abs(filepath.Join(dir, name+".trace"))
		created, parks, err := traceCounts(ctx, cfg.root, abs)
		if err != nil {
			return nil, err
		}
		pc.addTrace(created, parks, r.calls)
	}

	cd, err := t.count.driver(scenario, wl)
	if err != nil {
		return nil, err
	}
	defer cd.close()
	// The counting twin records the stack of every allocation: a list of
	// 100 takes it seconds per call. Its allocations are counted between
	// two moments when no call is in flight, over a fixed number of calls
	// (driveCalls), so that the count is exactly theirs: a window of time
	// would cut calls at its edges, which for a few slow calls (the lists)
	// weighs as much as the calls themselves. The lists are driven by
	// allocListCallers callers; a call allocates what it allocates at any
	// concurrency.
	callers, warm, calls := profileCallers, 500*time.Millisecond, allocCalls
	if wl.op == opList || wl.op == opListNotebooks {
		callers, warm, calls = allocListCallers, 2*time.Second, allocListCalls
	}
	drive(cd, callers, warm, 0, func(bool) {}) // the warm-up; it returns when its calls have ended
	beforeErr := fetch(t.count, "/debug/pprof/heap?gc=1", before)
	r = driveCalls(cd, callers, calls)
	afterErr := fetch(t.count, "/debug/pprof/heap?gc=1", after)
	if err := errors.Join(beforeErr, afterErr); err != nil {
		return nil, err
	}
	if err := pc.addAllocs(filepath.Join(dir, before), filepath.Join(dir, after), r.calls); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return pc, nil
}

// heapProfile saves the facade's heap profile now.
func heapProfile(ctx context.Context, dir, debugAddr, file string) error {
	return saveProfile(ctx, debugAddr, "/debug/pprof/heap", dir, file)
}

// saveProfile fetches a pprof endpoint of the facade into dir/file.
func saveProfile(ctx context.Context, debugAddr, path, dir, file string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+debugAddr+path, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", path, resp.Status)
	}
	f, err := os.Create(filepath.Join(dir, file))
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(f, resp.Body)
	return err
}

// driveCalls makes calls calls with d, spread over callers callers, and
// returns when all of them have ended; its result counts every call.
func driveCalls(d driver, callers, calls int) result {
	var next atomic.Int64
	var mu sync.Mutex
	var r result
	var wg sync.WaitGroup
	start := time.Now()
	for w := range callers {
		wg.Go(func() {
			call := d.caller(w)
			for next.Add(1) <= int64(calls) {
				ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
				t0 := time.Now()
				err := call(ctx, callSeq.Add(1))
				el := time.Since(t0)
				cancel()
				mu.Lock()
				r.lat = append(r.lat, el)
				if err != nil {
					r.errors++
					if r.firstErr == nil {
						r.firstErr = err
					}
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	r.elapsed = time.Since(start)
	r.calls, r.allCalls = len(r.lat), len(r.lat)
	slices.Sort(r.lat)
	return r
}
