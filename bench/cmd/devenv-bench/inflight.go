package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// inFlightVariant is a way to run the in-flight run's facade: how it
// speaks to the emulator, and its environment.
type inFlightVariant struct {
	name string   // in the report
	args []string // facade flags
	env  []string
}

// inFlightVariants are the facades -inflight-variants chooses from.
var inFlightVariants = map[string]inFlightVariant{
	// The default: HTTP/1.1, a connection per call in flight.
	"http1": {name: "HTTP/1.1"},
	// HTTP/2 without TLS: calls multiplexed on few connections.
	"h2c": {name: "HTTP/2 (h2c)", args: []string{"--modelarts-h2c=true"}},
	// h2c with the soft memory limit the facade sets itself in a
	// container limited to 512 MiB (90% of it).
	"h2c-memlimit": {name: "h2c, GOMEMLIMIT 460MiB", args: []string{"--modelarts-h2c=true"}, env: []string{"GOMEMLIMIT=460MiB"}},
}

// inFlightTarget is the variant whose peak RSS is the target's: HTTP/2,
// since over HTTP/1.1 each call in flight takes a connection and two more
// goroutines (the report shows both).
const inFlightTarget = "h2c"

// inFlightFacade starts a fresh facade for an in-flight run: extra flags,
// extra environment; it returns the facade and its --debug-addr.
type inFlightFacade func(name string, extra, env []string) (*server, string, error)

// inFlightRun is what one in-flight run measured on one facade.
type inFlightRun struct {
	variant string // a key of inFlightVariants
	env     []string
	res     result
	cpu     time.Duration // the facade's, over the measured part
	peakRSS int64         // VmHWM over the measured part
	peak    inFlightSample
	// Over the measured part, from the facade's runtime metrics: GC
	// cycles and the GC's CPU time (the runtime's estimate, without idle
	// mark workers).
	gcCycles float64
	gcCPU    float64 // seconds
}

// inFlightSample is the facade's memory at one moment of the run.
type inFlightSample struct {
	rss        int64              // VmRSS
	metrics    map[string]float64 // /debug/runtime-metrics
	goroutines []goroutineGroup   // by entry function, most first
	total      int                // goroutines in the profile
	profile    string             // the goroutine profile (debug=1)
}

// goroutineGroup is how many goroutines started in one function.
type goroutineGroup struct {
	entry string
	count int
}

// inFlightSamples is how many samples of the facade's memory the run
// takes, evenly spread over the measured part; the report shows the one
// with the largest resident set.
const inFlightSamples = 3

// runInFlight drives cfg.s4InFlight DeleteInstance calls in flight (the
// emulator adding 100 ms) through a fresh facade for each of
// cfg.inFlightVariants, one after the other, sampling where the facade's
// memory is while they wait.
func runInFlight(ctx context.Context, cfg config, startFacade inFlightFacade, wl workload) ([]inFlightRun, error) {
	var runs []inFlightRun
	for _, v := range cfg.inFlightVariants {
		run, err := runInFlightOn(ctx, cfg, startFacade, v, wl)
		if err != nil {
			return nil, err
		}
		runs = append(runs, run)
	}
	return runs, nil
}

func runInFlightOn(ctx context.Context, cfg config, startFacade inFlightFacade, key string, wl workload) (inFlightRun, error) {
	v := inFlightVariants[key]
	env := append(slices.Clone(v.env), cfg.inFlightEnv...)
	run := inFlightRun{variant: key, env: env}
	fac, debugAddr, err := startFacade("facade ("+v.name+")", v.args, env)
	if err != nil {
		return run, err
	}
	defer fac.stop()
	gd, err := newGRPCDriver(fac.addr, "", 16, wl)
	if err != nil {
		return run, err
	}
	defer gd.close()
	m := measure([]*server{fac})
	var before map[string]float64
	var wg sync.WaitGroup
	stop := make(chan struct{})
	var samples []inFlightSample
	hook := func(start bool) {
		if start {
			before, _ = runtimeMetrics(ctx, debugAddr)
			m.hook(true)
			wg.Go(func() {
				every := cfg.s4InFlightTime / (inFlightSamples + 1)
				for range inFlightSamples {
					select {
					case <-stop:
						return
					case <-time.After(every):
					}
					s, err := sampleInFlight(ctx, fac, debugAddr)
					if err != nil {
						logf("  sampling the facade's memory: %v", err)
						continue
					}
					samples = append(samples, s)
				}
			})
			return
		}
		close(stop)
		wg.Wait()
		m.hook(false)
		after, err := runtimeMetrics(ctx, debugAddr)
		if err != nil {
			logf("  the facade's runtime metrics: %v", err)
		}
		if before != nil && after != nil {
			run.gcCycles = after["/gc/cycles/total:gc-cycles"] - before["/gc/cycles/total:gc-cycles"]
			// Without the idle mark workers, which run on processors
			// with nothing else to do.
			gc := func(m map[string]float64) float64 {
				return m["/cpu/classes/gc/total:cpu-seconds"] - m["/cpu/classes/gc/mark/idle:cpu-seconds"]
			}
			run.gcCPU = gc(after) - gc(before)
		}
		if cfg.profileDir != "" {
			if err := os.MkdirAll(cfg.profileDir, 0o755); err != nil {
				logf("  heap profile: %v", err)
			} else if err := heapProfile(ctx, cfg.profileDir, debugAddr, "facade-inflight-"+key+"-heap.pprof"); err != nil {
				logf("  heap profile: %v", err)
			}
		}
	}
	logf("  %d in flight, %s", cfg.s4InFlight, v.name)
	run.res = drive(gd, cfg.s4InFlight, cfg.warmup, cfg.s4InFlightTime, hook)
	run.res.sort()
	run.cpu, run.peakRSS = m.usage[fac].cpu, m.usage[fac].peakRSS
	for _, s := range samples {
		if s.rss >= run.peak.rss {
			run.peak = s
		}
	}
	if cfg.profileDir != "" && run.peak.profile != "" {
		// The goroutine profile of the sample shown, in its text form.
		if err := os.WriteFile(filepath.Join(cfg.profileDir, "facade-inflight-"+key+"-goroutines.txt"), []byte(run.peak.profile), 0o644); err != nil {
			logf("  goroutine profile: %v", err)
		}
	}
	run.peak.profile = ""
	logf("  %d in flight, %s: %.0f calls/s, %d errors, facade peak RSS %d MiB, %d goroutines",
		cfg.s4InFlight, v.name, run.res.throughput(), run.res.errors, run.peakRSS>>20, run.peak.total)
	if run.res.errors > 0 {
		logf("  first error: %v", run.res.firstErr)
	}
	return run, nil
}

// sampleInFlight reads the facade's resident set, runtime metrics and
// goroutines now.
func sampleInFlight(ctx context.Context, fac *server, debugAddr string) (inFlightSample, error) {
	s := inFlightSample{rss: fac.rss()}
	var err error
	if s.metrics, err = runtimeMetrics(ctx, debugAddr); err != nil {
		return s, err
	}
	body, err := debugGet(ctx, debugAddr, "/debug/pprof/goroutine?debug=1")
	if err != nil {
		return s, err
	}
	s.goroutines, s.total = goroutinesByEntry(body)
	s.profile = body
	return s, nil
}

// runtimeMetrics reads the facade's /debug/runtime-metrics.
func runtimeMetrics(ctx context.Context, debugAddr string) (map[string]float64, error) {
	body, err := debugGet(ctx, debugAddr, "/debug/runtime-metrics")
	if err != nil {
		return nil, err
	}
	m := map[string]float64{}
	for line := range strings.SplitSeq(body, "\n") {
		name, value, ok := strings.Cut(line, " ")
		if !ok {
			continue
		}
		if v, err := strconv.ParseFloat(value, 64); err == nil {
			m[name] = v
		}
	}
	return m, nil
}

func debugGet(ctx context.Context, debugAddr, path string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+debugAddr+path, nil)
	if err != nil {
		return "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("%s: %s", path, resp.Status)
	}
	return string(b), nil
}

// goroutinesByEntry counts the goroutines of a goroutine profile in its
// text form (debug=1: "N @ addresses", then a "#\taddress\tfunction+offset\tfile:line"
// line per frame, innermost first) by the function each started in, its
// outermost frame; most first.
func goroutinesByEntry(profile string) ([]goroutineGroup, int) {
	counts := map[string]int{}
	total := 0
	sc := bufio.NewScanner(strings.NewReader(profile))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	n, entry := 0, ""
	flush := func() {
		if n > 0 {
			if entry == "" {
				entry = "(unknown)"
			}
			counts[entry] += n
			total += n
		}
		n, entry = 0, ""
	}
	for sc.Scan() {
		line := sc.Text()
		if count, _, ok := strings.Cut(line, " @ "); ok {
			flush()
			n, _ = strconv.Atoi(count)
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) >= 3 && f[0] == "#" {
			fn := f[2]
			if i := strings.LastIndex(fn, "+0x"); i > 0 {
				fn = fn[:i]
			}
			if fn != "runtime.goexit" {
				entry = fn
			}
		}
	}
	flush()
	groups := make([]goroutineGroup, 0, len(counts))
	for e, c := range counts {
		groups = append(groups, goroutineGroup{e, c})
	}
	slices.SortFunc(groups, func(a, b goroutineGroup) int {
		if a.count != b.count {
			return b.count - a.count
		}
		return strings.Compare(a.entry, b.entry)
	})
	return groups, total
}

// inFlightSection writes the in-flight runs: calls, peak RSS, and where the
// memory was at the sample with the largest resident set.
func (r *report) inFlightSection(b *strings.Builder) {
	if len(r.inFlight) == 0 {
		return
	}
	w := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	w("### %d calls in flight: where the memory is\n\n", r.cfg.s4InFlight)
	latency := 100 * time.Millisecond
	if r.cfg.inFlightOnly {
		latency = r.cfg.inFlightLatency
	}
	w("DeleteInstance over gRPC (16 connections), %d callers, the emulator adding %s, through a fresh facade for each column (`--max-upstream-inflight %d`, otherwise default settings", r.cfg.s4InFlight, latency, 2*max(r.cfg.s4InFlight, r.cfg.s4Callers))
	if len(r.cfg.inFlightEnv) > 0 {
		w("; environment `%s`", strings.Join(r.cfg.inFlightEnv, " "))
	}
	w("), %s warm-up, %s measured. The emulator serves HTTP/1.1 and HTTP/2 without TLS (h2c) on one port. **HTTP/1.1** is the facade's default to a plain-http upstream: a connection per call in flight, with net/http's reader and writer goroutines. **HTTP/2 (h2c)** is `--modelarts-h2c`, what an upstream speaking HTTP/2 gets (an https one by ALPN, without the flag): calls share a few connections, one goroutine each besides the call's; its peak RSS is the target's. **h2c, GOMEMLIMIT 460MiB** adds the soft memory limit the facade sets itself in a container limited to 512 MiB (90%% of the cgroup's limit; there is none here). The memory rows are from the facade's `/debug/runtime-metrics` (package runtime/metrics) and goroutine profile, sampled %d times during the measured part; the sample shown is the one with the largest resident set.\n\n",
		r.cfg.warmup, r.cfg.s4InFlightTime, inFlightSamples)
	w("| | %s |\n|---|%s\n", strings.Join(mapRuns(r.inFlight, func(x inFlightRun) string { return inFlightVariants[x.variant].name }), " | "),
		strings.Repeat("---:|", len(r.inFlight)))
	row := func(name string, f func(x inFlightRun) string) {
		w("| %s | %s |\n", name, strings.Join(mapRuns(r.inFlight, f), " | "))
	}
	mib := func(v float64) string { return fmt.Sprintf("%.1f", v/(1<<20)) }
	metric := func(x inFlightRun, names ...string) float64 {
		var v float64
		for _, n := range names {
			v += x.peak.metrics[n]
		}
		return v
	}
	row("calls/s", func(x inFlightRun) string { return fmt.Sprintf("%.0f", x.res.throughput()) })
	row("p50 / p99 ms", func(x inFlightRun) string { return ms(x.res.percentile(50)) + " / " + ms(x.res.percentile(99)) })
	row("errors", func(x inFlightRun) string { return strconv.Itoa(x.res.errors) })
	row("facade CPU µs per call", func(x inFlightRun) string {
		if x.res.calls == 0 {
			return "-"
		}
		return fmt.Sprintf("%.0f", float64(x.cpu.Microseconds())/float64(x.res.calls))
	})
	row("**peak RSS (VmHWM), MiB**", func(x inFlightRun) string { return "**" + mib(float64(x.peakRSS)) + "**" })
	row("RSS at the sample (VmRSS), MiB", func(x inFlightRun) string { return mib(float64(x.peak.rss)) })
	row("goroutines", func(x inFlightRun) string { return strconv.Itoa(x.peak.total) })
	row("goroutine stacks, MiB", func(x inFlightRun) string { return mib(metric(x, "/memory/classes/heap/stacks:bytes")) })
	row("stack per goroutine, KiB", func(x inFlightRun) string {
		if x.peak.total == 0 {
			return "-"
		}
		return fmt.Sprintf("%.1f", metric(x, "/memory/classes/heap/stacks:bytes")/float64(x.peak.total)/1024)
	})
	// What the stacks hold: the stack the last GC scanned per goroutine
	// (each from its top to where it was), and the size new goroutines
	// start with, the runtime's average of the former plus a guard,
	// rounded up to a power of two.
	row("stack in use per goroutine at the last GC, KiB", func(x inFlightRun) string {
		if x.peak.total == 0 {
			return "-"
		}
		return fmt.Sprintf("%.1f", metric(x, "/gc/scan/stack:bytes")/float64(x.peak.total)/1024)
	})
	row("new goroutines' starting stack, KiB", func(x inFlightRun) string {
		return fmt.Sprintf("%.0f", metric(x, "/gc/stack/starting-size:bytes")/1024)
	})
	row("heap objects, MiB", func(x inFlightRun) string { return mib(metric(x, "/memory/classes/heap/objects:bytes")) })
	row("live heap at the last GC, MiB", func(x inFlightRun) string { return mib(metric(x, "/gc/heap/live:bytes")) })
	row("heap free and unused, not returned to the OS, MiB", func(x inFlightRun) string {
		return mib(metric(x, "/memory/classes/heap/free:bytes", "/memory/classes/heap/unused:bytes"))
	})
	row("heap returned to the OS (not resident), MiB", func(x inFlightRun) string { return mib(metric(x, "/memory/classes/heap/released:bytes")) })
	row("runtime metadata and other, MiB", func(x inFlightRun) string {
		return mib(metric(x, "/memory/classes/metadata/mcache/free:bytes", "/memory/classes/metadata/mcache/inuse:bytes",
			"/memory/classes/metadata/mspan/free:bytes", "/memory/classes/metadata/mspan/inuse:bytes", "/memory/classes/metadata/other:bytes",
			"/memory/classes/os-stacks:bytes", "/memory/classes/other:bytes", "/memory/classes/profiling/buckets:bytes"))
	})
	row("Go runtime's total (/memory/classes/total), MiB", func(x inFlightRun) string { return mib(metric(x, "/memory/classes/total:bytes")) })
	row("GC heap goal, MiB", func(x inFlightRun) string { return mib(metric(x, "/gc/heap/goal:bytes")) })
	row("GOMEMLIMIT, MiB", func(x inFlightRun) string {
		if v := metric(x, "/gc/gomemlimit:bytes"); v < 1<<62 {
			return mib(v)
		}
		return "none"
	})
	row("GC cycles; GC CPU (assists, dedicated workers, pauses) ÷ the facade's CPU", func(x inFlightRun) string {
		if x.cpu == 0 {
			return "-"
		}
		return fmt.Sprintf("%.0f, %.0f%%", x.gcCycles, 100*x.gcCPU/x.cpu.Seconds())
	})
	w("\nGoroutines by the function they started in, at that sample:\n\n| function | %s |\n|---|%s\n",
		strings.Join(mapRuns(r.inFlight, func(x inFlightRun) string { return inFlightVariants[x.variant].name }), " | "), strings.Repeat("---:|", len(r.inFlight)))
	var entries []string
	for _, x := range r.inFlight {
		for i, g := range x.peak.goroutines {
			if i < 6 && !slices.Contains(entries, g.entry) {
				entries = append(entries, g.entry)
			}
		}
	}
	for _, e := range entries {
		w("| `%s` | %s |\n", e, strings.Join(mapRuns(r.inFlight, func(x inFlightRun) string {
			for _, g := range x.peak.goroutines {
				if g.entry == e {
					return strconv.Itoa(g.count)
				}
			}
			return "0"
		}), " | "))
	}
	w("| others | %s |\n\n", strings.Join(mapRuns(r.inFlight, func(x inFlightRun) string {
		n := x.peak.total
		for _, g := range x.peak.goroutines {
			if slices.Contains(entries, g.entry) {
				n -= g.count
			}
		}
		return strconv.Itoa(n)
	}), " | "))
}

func mapRuns(runs []inFlightRun, f func(inFlightRun) string) []string {
	out := make([]string, len(runs))
	for i, x := range runs {
		out[i] = f(x)
	}
	return out
}
