package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// profileCallers is how many callers drive a profiled server.
const profileCallers = 64

// allocListCallers is how many callers drive the lists' allocation
// window (see profileServer).
const allocListCallers = 2

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
	// 100 takes it seconds per call at profileCallers callers, and a
	// window of one second saw none of ListNotebooks' complete. Lists
	// are counted with allocListCallers callers, for longer; a call
	// allocates what it allocates at any concurrency.
	callers, warm, window := profileCallers, 500*time.Millisecond, time.Second
	if wl.op == opList || wl.op == opListNotebooks {
		callers, warm, window = allocListCallers, 2*time.Second, 6*time.Second
	}
	var beforeErr, afterErr error
	r = drive(cd, callers, warm, window, func(start bool) {
		if start {
			beforeErr = fetch(t.count, "/debug/pprof/heap?gc=1", before)
			return
		}
		afterErr = fetch(t.count, "/debug/pprof/heap?gc=1", after)
	})
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
