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

// profileFacade drives S1 (over gRPC) or S2 (over the mirror) at
// concurrency 64 while it takes a CPU profile and then an allocation profile
// of the facade, saved in cfg.profileDir as facade-<scenario>-cpu.pprof and
// facade-<scenario>-allocs.pprof.
func profileFacade(ctx context.Context, cfg config, fac *server, debugAddr, scenario string, d driver) error {
	if err := os.MkdirAll(cfg.profileDir, 0o755); err != nil {
		return err
	}
	defer d.close()
	seconds := int(max(cfg.duration/time.Second, 2))
	fetch := func(path, file string) error { return saveProfile(ctx, debugAddr, path, cfg.profileDir, file) }
	var perr error
	drive(d, 64, cfg.warmup, time.Duration(seconds)*time.Second+time.Second, func(start bool) {
		if start {
			perr = fetch(fmt.Sprintf("/debug/pprof/profile?seconds=%d", seconds), "facade-"+scenario+"-cpu.pprof")
			if perr == nil {
				perr = fetch("/debug/pprof/allocs", "facade-"+scenario+"-allocs.pprof")
			}
		}
	})
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
