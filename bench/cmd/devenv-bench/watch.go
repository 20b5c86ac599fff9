package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The watch scenario (-watch): N watchers of one project through the
// facade (WatchNotebooks over gRPC) against N independent pollers calling
// ListNotebooks through it every poll interval. It measures what each side
// costs ModelArts (requests counted by a proxy in front of the emulator),
// what a watcher costs the facade in memory, and how long a change of a
// notebook's state takes to reach every watcher.

// watchProject is the project the watch scenario watches and polls; only
// its seeded notebooks are in it.
const watchProject = "a7c4000000000000000000000000a7c4"

// watchLinger is how long the facade keeps polling after the last watcher
// left (service.Options, not a flag).
const watchLinger = 10 * time.Second

// watchConfig is the watch scenario's part of the command line.
type watchConfig struct {
	watchers, pollers int
	notebooks         int           // in the watched project
	conns             int           // gRPC connections on each side; 0: one per watcher and per poller
	interval          time.Duration // the facade's poll intervals (fast and steady) and the pollers'
	duration          time.Duration // measured time of each side
	out               string        // the report's file; empty: standard output
	profileDir        string        // if set, the facade's heap and goroutine profiles with the watchers go here
}

// watchReport is what the watch scenario measured.
type watchReport struct {
	cfg                       watchConfig
	started                   time.Time
	watched                   sideUsage
	memBefore, memWatching    memSample
	connectTime               time.Duration
	watchErrors               int
	firstWatchErr             error
	lat                       latencies
	stoppedAfter, stoppedLeft int64 // list requests in two windows after the last watcher left
	pollSides                 []pollSide
}

// pollSide is what the pollers did and cost through one facade.
type pollSide struct {
	name  string
	usage sideUsage
	res   pollResult
}

// sideUsage is what one side (the watchers or the pollers) cost during its
// measured window.
type sideUsage struct {
	elapsed        time.Duration
	lists, all     int64
	facCPU, emuCPU time.Duration
}

func (u sideUsage) perMinute(n int64) float64 { return float64(n) / u.elapsed.Minutes() }

func (u sideUsage) cores(cpu time.Duration) float64 { return cpu.Seconds() / u.elapsed.Seconds() }

// runWatch runs the watch scenario: the emulator, a counting proxy in front
// of it, one facade polling through the proxy; first the watchers (memory,
// upstream requests, latency of changes), then, once the facade's poller
// has stopped, the pollers (upstream requests).
func runWatch(ctx context.Context, cfg config, wc watchConfig) error {
	tmp, err := os.MkdirTemp("", "devenv-bench-watch")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	logf("building the facade and the emulator")
	if err := buildSteps(ctx, tmp,
		buildStep{cfg.root, "./cmd/devenv-facade", "devenv-facade"},
		buildStep{cfg.root, "./cmd/modelarts-emulator", "modelarts-emulator"}); err != nil {
		return err
	}
	// Starts and stops take effect at once, so that a change has one
	// state the watchers must see, at a known time.
	emu, err := start(ctx, "emulator", filepath.Join(tmp, "modelarts-emulator"), addrLine, "--addr", "127.0.0.1:0", "--request-log", "0",
		"--create-delay", "0", "--start-delay", "0", "--stop-delay", "0")
	if err != nil {
		return err
	}
	defer emu.stop()
	emuURL := "http://" + emu.addr
	proxy, err := startCountingProxy(emuURL)
	if err != nil {
		return err
	}
	defer proxy.close()
	debugAddr := freeAddr()
	caps := strconv.Itoa(max(2*wc.watchers, 1000))
	grpcLine := regexp.MustCompile(`(?:msg=serving grpc_addr=|"msg":"serving","grpc_addr":")([^\s"]+)`)
	startFacade := func(name, debug string, extra ...string) (*server, error) {
		args := []string{"--grpc-addr", "127.0.0.1:0", "--http-addr", "", "--admin-addr", "", "--debug-addr", debug,
			"--modelarts-endpoint", proxy.url(), "--auth-token", "bench-token", "--max-upstream-inflight", strconv.Itoa(max(2*wc.pollers, 1000))}
		if wc.watchers > 0 {
			iv := wc.interval.String()
			args = append(args, "--watch-poll-interval", iv, "--watch-steady-poll-interval", iv, "--max-watches", caps, "--max-watches-per-caller", caps)
		}
		args = append(append(args, extra...), cfg.facadeExtraArgs...)
		return start(ctx, name, filepath.Join(tmp, "devenv-facade"), grpcLine, args...)
	}
	fac, err := startFacade("facade", debugAddr)
	if err != nil {
		return err
	}
	defer fac.stop()

	ids, err := seedWatchProject(emuURL, "bench-token", wc.notebooks)
	if err != nil {
		return err
	}
	rep := &watchReport{cfg: wc, started: time.Now()}
	if err := warmFacade(ctx, fac.addr, wc.notebooks); err != nil {
		return err
	}

	if wc.watchers > 0 {
		if err := rep.measureWatchers(ctx, fac, emu, proxy, emuURL, debugAddr, ids); err != nil {
			return err
		}
	}
	if wc.pollers == 0 {
		return rep.write()
	}
	// The pollers, through the same facade, and through a second one
	// that does not coalesce identical reads in flight: there every poll
	// is a request upstream, as if the pollers polled ModelArts.
	facNC, err := startFacade("facade (no read coalescing)", "", "--no-read-coalescing")
	if err != nil {
		return err
	}
	defer facNC.stop()
	if err := warmFacade(ctx, facNC.addr, wc.notebooks); err != nil {
		return err
	}
	for _, side := range []struct {
		name string
		fac  *server
	}{{"pollers", fac}, {"pollers, --no-read-coalescing", facNC}} {
		logf("%d %s, ListNotebooks every %s, for %s", wc.pollers, side.name, wc.interval, wc.duration)
		var before, used sideUsage
		hook := func(start bool) {
			lists, all := proxy.counts()
			u := sideUsage{lists: lists, all: all, facCPU: side.fac.cpuTime(), emuCPU: emu.cpuTime()}
			if start {
				before = u
				return
			}
			used = sideUsage{lists: u.lists - before.lists, all: u.all - before.all,
				facCPU: u.facCPU - before.facCPU, emuCPU: u.emuCPU - before.emuCPU}
		}
		res, err := runPollers(ctx, side.fac.addr, wc, hook)
		if err != nil {
			return err
		}
		used.elapsed = res.elapsed
		logf("  %d calls (%d errors), %d slots missed; %d list requests upstream (%.0f per minute)",
			res.calls, res.errors, res.missed, used.lists, used.perMinute(used.lists))
		if res.firstErr != nil {
			logf("  first poller error: %v", res.firstErr)
		}
		rep.pollSides = append(rep.pollSides, pollSide{name: side.name, usage: used, res: res})
	}
	return rep.write()
}

// measureWatchers connects the watchers, samples the facade's memory
// before and after, changes notebooks for wc.duration while counting the
// requests upstream, and then checks that the facade stops polling once
// the watchers are gone.
func (rep *watchReport) measureWatchers(ctx context.Context, fac, emu *server, proxy *countingProxy, emuURL, debugAddr string, ids []string) error {
	wc := rep.cfg
	var err error
	if rep.memBefore, err = sampleMemory(ctx, fac, debugAddr); err != nil {
		return err
	}
	logf("facade before the watchers: RSS %.1f MiB, heap in use %.1f MiB, %d goroutines",
		mib(rep.memBefore.rss), mib(rep.memBefore.heapInuse), rep.memBefore.goroutines)
	logf("%d watchers connecting (%s)", wc.watchers, connsText(wc.conns, "watcher"))
	ws, err := startWatchers(ctx, fac.addr, wc.watchers, wc.conns, time.Minute)
	if err != nil {
		return err
	}
	defer ws.stop()
	rep.connectTime = ws.connectTime
	logf("  every watcher had its snapshot %s after the first connected", ws.connectTime.Round(time.Millisecond))
	// A poll interval for the facade to settle (the first poll's garbage,
	// the watchers' first bookmarks), then the memory with them.
	time.Sleep(wc.interval)
	if rep.memWatching, err = sampleMemory(ctx, fac, debugAddr); err != nil {
		return err
	}
	logf("facade with the watchers: RSS %.1f MiB, heap in use %.1f MiB, %d goroutines",
		mib(rep.memWatching.rss), mib(rep.memWatching.heapInuse), rep.memWatching.goroutines)
	if wc.profileDir != "" {
		if err := os.MkdirAll(wc.profileDir, 0o755); err != nil {
			return err
		}
		if err := heapProfile(ctx, wc.profileDir, debugAddr, "facade-watchers-heap.pprof"); err != nil {
			return err
		}
		if err := saveProfile(ctx, debugAddr, "/debug/pprof/goroutine", wc.profileDir, "facade-watchers-goroutines.pprof"); err != nil {
			return err
		}
		logf("  saved the facade's heap and goroutine profiles with the watchers in %s", wc.profileDir)
	}

	logf("changing a notebook's state every %s to %s, for %s", wc.interval, 2*wc.interval, wc.duration)
	lists0, all0 := proxy.counts()
	fac0, emu0 := fac.cpuTime(), emu.cpuTime()
	t0 := time.Now()
	changes, err := changeNotebooks(ctx, emuURL, "bench-token", ids, wc.duration, wc.interval)
	if err != nil {
		return err
	}
	elapsed := time.Since(t0)
	lists1, all1 := proxy.counts()
	rep.watched = sideUsage{elapsed: elapsed, lists: lists1 - lists0, all: all1 - all0,
		facCPU: fac.cpuTime() - fac0, emuCPU: emu.cpuTime() - emu0}
	logf("  watchers: %d changes; %d list requests upstream (%.0f per minute)", len(changes), rep.watched.lists, rep.watched.perMinute(rep.watched.lists))
	// The last change's events.
	time.Sleep(wc.interval + 2*time.Second)
	events := ws.stop()
	rep.watchErrors, rep.firstWatchErr = ws.errors()
	rep.lat = measureLatencies(changes, events, proxy)
	logf("  change -> watcher: %d arrivals, %d missed; p50 %s, p99 %s, max %s",
		len(rep.lat.arrivals), rep.lat.missed, pct(rep.lat.arrivals, 50), pct(rep.lat.arrivals, 99), pct(rep.lat.arrivals, 100))

	// The facade should stop polling watchLinger after the last watcher
	// left: count the list requests in two windows after that.
	logf("waiting for the facade to stop polling (%s after the last watcher left)", watchLinger)
	time.Sleep(watchLinger + wc.interval)
	a, _ := proxy.counts()
	time.Sleep(2 * wc.interval)
	b, _ := proxy.counts()
	time.Sleep(2 * wc.interval)
	c, _ := proxy.counts()
	rep.stoppedAfter, rep.stoppedLeft = b-a, c-b
	return nil
}

// warmFacade makes one ListNotebooks call, the facade's first upstream
// connection among them, before anything is measured.
func warmFacade(ctx context.Context, addr string, notebooks int) error {
	d, err := newGRPCDriver(addr, "", 1, workload{})
	if err != nil {
		return err
	}
	defer d.close()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return checkWatchList(d.notebooks[0].ListNotebooks(ctx, pollRequest(notebooks)))
}

// seedWatchProject creates n RUNNING notebooks (the emulator's create delay
// is zero) in watchProject, straight at the emulator, and returns their IDs.
func seedWatchProject(emuURL, token string, n int) ([]string, error) {
	do := seeder(token)
	base := emuURL + "/v1/" + watchProject + "/notebooks"
	var ids []string
	for i := range n {
		body := fmt.Sprintf(`{"name":"watch-%03d","flavor":"modelarts.vm.cpu.2u","image_id":"e1a07296-22a8-4f05-8bc8-e936c8e54090",`+
			`"volume":{"category":"EVS","ownership":"MANAGED","capacity":50},"lease":{"duration":86400000,"type":"timing"}}`, i)
		b, err := do(http.MethodPost, base, []byte(body))
		if err != nil {
			return nil, fmt.Errorf("seeding the watched project: %w", err)
		}
		id := jsonString(b, "id")
		if id == "" {
			return nil, fmt.Errorf("seeding the watched project: no notebook ID in %.300s", b)
		}
		ids = append(ids, id)
	}
	logf("seeded %d notebooks in project %s", n, watchProject)
	return ids, nil
}

// jsonString returns the first string member named key in a JSON body,
// enough for the ID of a created notebook.
func jsonString(b []byte, key string) string {
	m := regexp.MustCompile(`"` + regexp.QuoteMeta(key) + `":"([^"]*)"`).FindSubmatch(b)
	if m == nil {
		return ""
	}
	return string(m[1])
}

// change is one notebook state change made during the measurement.
type change struct {
	id, status string    // the notebook and the status it has after the change
	at         time.Time // just before the request that made it was sent
}

// changeNotebooks stops and starts the notebooks in turn (the first is
// stopped, the second stopped, ...; a stopped one is started when its turn
// comes again) for duration, waiting between one and two poll intervals
// (at random) between changes, so that changes fall at every point of the
// facade's poll cycle.
func changeNotebooks(ctx context.Context, emuURL, token string, ids []string, duration, interval time.Duration) ([]change, error) {
	do := seeder(token)
	running := make(map[string]bool, len(ids))
	for _, id := range ids {
		running[id] = true
	}
	var changes []change
	end := time.Now().Add(duration)
	for k := 0; ; k++ {
		wait := interval + time.Duration(rand.Int64N(int64(interval)))
		if time.Until(end) < wait {
			time.Sleep(time.Until(end))
			return changes, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(wait):
		}
		id := ids[k%len(ids)]
		action, status := "stop", "STOPPED"
		if !running[id] {
			action, status = "start", "RUNNING"
		}
		at := time.Now()
		if _, err := do(http.MethodPost, emuURL+"/v1/"+watchProject+"/notebooks/"+id+"/"+action, nil); err != nil {
			return nil, fmt.Errorf("changing notebook %s: %w", id, err)
		}
		running[id] = !running[id]
		changes = append(changes, change{id: id, status: status, at: at})
	}
}

// latencies is how long the changes took to reach the watchers.
type latencies struct {
	changes  int
	arrivals []time.Duration // change -> a watcher, every watcher of every change; sorted
	missed   int             // (change, watcher) pairs the watcher never saw
	// Per change, from the upstream answer to the poll that saw it (the
	// last list answer the proxy sent before the first watcher had the
	// event) to the first watcher and to the last, and the spread from the
	// first watcher to the last: the fan-out. Sorted.
	pollToFirst, pollToLast, fanout []time.Duration
}

// measureLatencies matches every change with the first event of each
// watcher that carries the notebook in its new status.
func measureLatencies(changes []change, events [][]watchEvent, proxy *countingProxy) latencies {
	l := latencies{changes: len(changes)}
	for _, c := range changes {
		var first, last time.Time
		for _, evs := range events {
			i := slices.IndexFunc(evs, func(e watchEvent) bool { return e.id == c.id && e.status == c.status && !e.at.Before(c.at) })
			if i < 0 {
				l.missed++
				continue
			}
			at := evs[i].at
			l.arrivals = append(l.arrivals, at.Sub(c.at))
			if first.IsZero() || at.Before(first) {
				first = at
			}
			if at.After(last) {
				last = at
			}
		}
		if first.IsZero() {
			continue
		}
		l.fanout = append(l.fanout, last.Sub(first))
		if polled, ok := proxy.lastListEndBefore(first); ok && polled.After(c.at) {
			l.pollToFirst = append(l.pollToFirst, first.Sub(polled))
			l.pollToLast = append(l.pollToLast, last.Sub(polled))
		}
	}
	for _, s := range [][]time.Duration{l.arrivals, l.pollToFirst, l.pollToLast, l.fanout} {
		slices.Sort(s)
	}
	return l
}

// pct returns the p-th percentile of sorted (100: the largest), 0 if empty.
func pct(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[int(p/100*float64(len(sorted)-1))]
}

// memSample is the facade's memory at one moment, after a forced garbage
// collection.
type memSample struct {
	rss, heapInuse int64
	goroutines     int
}

var (
	heapInuseLine  = regexp.MustCompile(`(?m)^# HeapInuse = (\d+)$`)
	goroutinesLine = regexp.MustCompile(`^goroutine profile: total (\d+)`)
)

// sampleMemory forces a garbage collection in the facade (through its
// profiling endpoint), waits a second, and reads its resident set, its
// heap in use and its goroutines.
func sampleMemory(ctx context.Context, s *server, debugAddr string) (memSample, error) {
	get := func(path string) ([]byte, error) {
		ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+debugAddr+path, nil)
		if err != nil {
			return nil, err
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err == nil && resp.StatusCode != http.StatusOK {
			err = fmt.Errorf("%s: %s", path, resp.Status)
		}
		return b, err
	}
	if _, err := get("/debug/pprof/heap?gc=1"); err != nil {
		return memSample{}, fmt.Errorf("forcing a GC in the facade: %w", err)
	}
	time.Sleep(time.Second)
	var m memSample
	m.rss = s.rss()
	heap, err := get("/debug/pprof/heap?debug=1")
	if err != nil {
		return memSample{}, err
	}
	if sm := heapInuseLine.FindSubmatch(heap); sm != nil {
		m.heapInuse, _ = strconv.ParseInt(string(sm[1]), 10, 64)
	}
	gs, err := get("/debug/pprof/goroutine?debug=1")
	if err != nil {
		return memSample{}, err
	}
	if sm := goroutinesLine.FindSubmatch(gs); sm != nil {
		m.goroutines, _ = strconv.Atoi(string(sm[1]))
	}
	if m.rss == 0 || m.heapInuse == 0 || m.goroutines == 0 {
		return memSample{}, errors.New("reading the facade's memory: RSS, heap or goroutines missing")
	}
	return m, nil
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

func connsText(conns int, client string) string {
	if conns <= 0 {
		return "a gRPC connection per " + client
	}
	return fmt.Sprintf("%d gRPC connections", conns)
}

// write writes the report as Markdown to wc.out, or to standard output.
func (rep *watchReport) write() error {
	md := rep.markdown()
	if rep.cfg.out == "" {
		_, err := os.Stdout.WriteString(md)
		return err
	}
	logf("writing %s", rep.cfg.out)
	return os.WriteFile(rep.cfg.out, []byte(md), 0o644)
}

func (rep *watchReport) markdown() string {
	wc := rep.cfg
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	p("## Watch: %d watchers against %d pollers\n\n", wc.watchers, wc.pollers)
	p("%s; one project of %d notebooks; the facade polls every %s (fast and steady interval alike), the pollers call ListNotebooks every %s; "+
		"%s on each side; each side measured for %s. Upstream requests counted by a proxy in front of the emulator.\n\n",
		rep.started.Format("2006-01-02 15:04"), wc.notebooks, wc.interval, wc.interval, connsText(wc.conns, "client"), wc.duration)
	if wc.watchers > 0 && wc.pollers > 0 {
		ratio := func(a, b float64) string {
			if b == 0 {
				return "–"
			}
			return fmt.Sprintf("%.0f", a/b)
		}
		w := rep.watched
		p("| per minute | %d watchers |", wc.watchers)
		for _, ps := range rep.pollSides {
			p(" %d %s | ÷ watchers |", wc.pollers, ps.name)
		}
		p("\n|---|---:|%s\n", strings.Repeat("---:|---:|", len(rep.pollSides)))
		row := func(name, format string, of func(u sideUsage) float64) {
			p("| %s | "+format+" |", name, of(w))
			for _, ps := range rep.pollSides {
				p(" "+format+" | %s |", of(ps.usage), ratio(of(ps.usage), of(w)))
			}
			p("\n")
		}
		row("upstream list requests", "%.1f", func(u sideUsage) float64 { return u.perMinute(u.lists) })
		row("upstream requests, all", "%.1f", func(u sideUsage) float64 { return u.perMinute(u.all) })
		row("facade CPU, cores", "%.3f", func(u sideUsage) float64 { return u.cores(u.facCPU) })
		row("emulator CPU, cores", "%.3f", func(u sideUsage) float64 { return u.cores(u.emuCPU) })
		p("\n")
	}
	for _, ps := range rep.pollSides {
		q := ps.res
		p("%d %s (asking for %.0f calls per minute): %d ListNotebooks calls ended in the window (%.0f per minute), %d of them with an error", wc.pollers, ps.name,
			float64(wc.pollers)*time.Minute.Seconds()/wc.interval.Seconds(), q.calls, float64(q.calls)/q.elapsed.Minutes(), q.errors)
		if q.firstErr != nil {
			p(" (first: %v)", q.firstErr)
		}
		p(", %d poll slots missed because the previous call was still running; %d upstream list requests for them.\n\n", q.missed, ps.usage.lists)
	}
	if wc.watchers > 0 {
		n := float64(wc.watchers)
		mb, mw := rep.memBefore, rep.memWatching
		p("| facade, after a forced GC | before | with %d watchers | per watcher |\n|---|---:|---:|---:|\n", wc.watchers)
		p("| RSS | %.1f MiB | %.1f MiB | %.1f KiB |\n", mib(mb.rss), mib(mw.rss), float64(mw.rss-mb.rss)/1024/n)
		p("| heap in use | %.1f MiB | %.1f MiB | %.1f KiB |\n", mib(mb.heapInuse), mib(mw.heapInuse), float64(mw.heapInuse-mb.heapInuse)/1024/n)
		p("| goroutines | %d | %d | %.2f |\n\n", mb.goroutines, mw.goroutines, float64(mw.goroutines-mb.goroutines)/n)
		l := rep.lat
		p("Every watcher had its snapshot %s after the first connected. %d changes (a notebook stopped or started at the emulator, one every %s to %s at random), "+
			"%d arrivals, %d missed; %d watchers ended with an error", rep.connectTime.Round(time.Millisecond), l.changes, wc.interval, 2*wc.interval,
			len(l.arrivals), l.missed, rep.watchErrors)
		if rep.firstWatchErr != nil {
			p(" (first: %v)", rep.firstWatchErr)
		}
		p(".\n\n")
		ms := func(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/1e6) }
		row := func(name string, s []time.Duration) {
			p("| %s | %d | %s | %s | %s | %s |\n", name, len(s), ms(pct(s, 0)), ms(pct(s, 50)), ms(pct(s, 99)), ms(pct(s, 100)))
		}
		p("| time | samples | min | p50 | p99 | max |\n|---|---:|---:|---:|---:|---:|\n")
		row("change → each watcher", l.arrivals)
		row("poll's upstream answer → first watcher", l.pollToFirst)
		row("poll's upstream answer → last watcher", l.pollToLast)
		row("fan-out: first watcher → last", l.fanout)
		p("\nAfter the last watcher left: %d list requests upstream in the %s from %s after, %d in the %s after that (0: the poller stopped).\n",
			rep.stoppedAfter, 2*wc.interval, watchLinger+wc.interval, rep.stoppedLeft, 2*wc.interval)
	}
	return b.String()
}
