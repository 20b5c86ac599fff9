package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// runS4 runs S4: with the emulator adding 100 ms to every answer, many
// callers straight to it, through the facade and through the bare facade,
// in cfg.s4Rounds slices taking turns; then cfg.s4InFlight calls in flight
// through fresh facades (runInFlight).
func runS4(ctx context.Context, cfg config, rep *report, emuURL string, fac, bare, emu *server, startFacade inFlightFacade, wl workload) error {
	logf("S4: the emulator adds 100 ms")
	if err := setFault(emuURL, "lat100ms"); err != nil {
		return err
	}
	floor := newHTTPDriver(emuURL, "bench-token", cfg.s4Callers, wl)
	defer floor.close()
	gd, err := newGRPCDriver(fac.addr, "", 16, wl)
	if err != nil {
		return err
	}
	defer gd.close()
	bd, err := newGRPCDriver(bare.addr, "", 16, wl)
	if err != nil {
		return err
	}
	defer bd.close()
	runs := []struct {
		name    string
		d       driver
		servers []*server
		res     *result
		usage   map[*server]usage
	}{
		{"S4-floor", floor, []*server{emu, self}, &rep.s4Floor, map[*server]usage{}},
		{"S4-facade", gd, []*server{fac, emu, self}, &rep.s4Facade, map[*server]usage{}},
		{"S4-bare", bd, []*server{bare, emu, self}, &rep.s4Bare, map[*server]usage{}},
	}
	warmup := max(cfg.warmup/time.Duration(cfg.s4Rounds), time.Second)
	for round := 1; round <= cfg.s4Rounds; round++ {
		var line []string
		for i := range runs {
			r := &runs[(i+round-1)%len(runs)]
			m := measure(r.servers)
			res := drive(r.d, cfg.s4Callers, warmup, cfg.s4Duration/time.Duration(cfg.s4Rounds), m.hook)
			r.res.merge(res)
			for s, u := range m.usage {
				x := r.usage[s]
				x.cpu += u.cpu
				x.peakRSS = max(x.peakRSS, u.peakRSS)
				r.usage[s] = x
			}
			line = append(line, fmt.Sprintf("%s %.0f/s", r.name, res.throughput()))
		}
		logf("  S4 round %d of %d: %s", round, cfg.s4Rounds, strings.Join(line, ", "))
	}
	for _, r := range runs {
		r.res.sort()
	}
	rep.s4FloorUsage, rep.s4FacadeUsage, rep.s4BareUsage = runs[0].usage, runs[1].usage, runs[2].usage

	if err := inFlight(ctx, cfg, rep, startFacade, wl); err != nil {
		return err
	}
	return setFault(emuURL, "")
}

// inFlight runs the in-flight runs (the emulator's latency already set)
// and keeps them in rep; the figures of inFlightTarget's run (else the
// first's) are S4's in-flight row and the peak-RSS target's.
func inFlight(ctx context.Context, cfg config, rep *report, startFacade inFlightFacade, wl workload) error {
	runs, err := runInFlight(ctx, cfg, startFacade, wl)
	if err != nil {
		return err
	}
	rep.inFlight = runs
	for i, run := range runs {
		if i == 0 || run.variant == inFlightTarget {
			rep.s4InFlight, rep.s4InFlightRSS, rep.s4InFlightName = run.res, run.peakRSS, inFlightVariants[run.variant].name
		}
	}
	return nil
}

func setFault(emuURL, spec string) error {
	method := http.MethodPut
	if spec == "" {
		method = http.MethodDelete
	}
	req, err := http.NewRequest(method, emuURL+"/emulator/faults", strings.NewReader(spec))
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("setting the emulator fault %q: %s", spec, resp.Status)
	}
	return nil
}
