package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"time"
)

// profileName names the profiles of a scenario (S1 or S2) and an
// operation: facade-<name>-cpu.pprof and facade-<name>-allocs.pprof.
func profileName(scenario, op string) string { return scenario + "-" + op }

// profileFacade drives d (S1 over gRPC or S2 over the mirror) with 64
// callers while it takes a CPU profile of the facade for duration (at least
// 2s, in whole seconds) and then an allocation profile, saved in
// cfg.profileDir as facade-<name>-cpu.pprof and facade-<name>-allocs.pprof.
func profileFacade(ctx context.Context, cfg config, debugAddr, name string, duration time.Duration, d driver) error {
	if err := os.MkdirAll(cfg.profileDir, 0o755); err != nil {
		return err
	}
	defer d.close()
	seconds := int(max(duration/time.Second, 2))
	fetch := func(path, file string) error { return saveProfile(ctx, debugAddr, path, cfg.profileDir, file) }
	var perr error
	// The hook blocks while the CPU profile is taken, with the load
	// running; the measured second after it only lets the workers finish.
	r := drive(d, 64, cfg.warmup, time.Second, func(start bool) {
		if start {
			perr = fetch(fmt.Sprintf("/debug/pprof/profile?seconds=%d", seconds), "facade-"+name+"-cpu.pprof")
			if perr == nil {
				perr = fetch("/debug/pprof/allocs", "facade-"+name+"-allocs.pprof")
			}
		}
	})
	if r.errors > 0 {
		logf("  %s: %d errors while profiling, first: %v", name, r.errors, r.firstErr)
	}
	return perr
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
