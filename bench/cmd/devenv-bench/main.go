// Command devenv-bench measures what the facade costs: it builds and starts
// the ModelArts emulator, the facade and a vanguard transcoder as separate
// processes on loopback, drives them from this process, and writes
// BENCHMARKS.md with a latency chart. Every figure comes from one run, all
// contenders measured against the same emulator process.
//
// Scenarios, each run with DeleteInstance, GetInstance and ListInstances
// (100 instances) of the old API, and GetNotebook and ListNotebooks (100
// notebooks) of the new one:
//
//	S0 floor   HTTP client -> emulator
//	S1 gRPC    gRPC client -> facade -> emulator
//	S2 mirror  HTTP client -> facade REST mirror -> emulator
//	S3 peer    gRPC client -> vanguard (gRPC to REST) -> emulator
//	S4         with 100 ms added by the emulator: many callers straight to
//	           it and through the facade (Little's law), then 10,000 in
//	           flight through the facade
//
// With -watch it runs only the watch scenario instead (watch.go): 1,000
// WatchNotebooks calls on one project against 1,000 independent pollers of
// ListNotebooks, counting the requests that reach the emulator.
//
// Run it with `make bench` (full) or `make bench-smoke` (about a second per
// scenario, to prove the harness works).
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

type config struct {
	root, benchDir  string
	out, chart      string
	duration        time.Duration
	warmup          time.Duration
	rounds          int           // slices per point, the scenarios taking turns
	readDuration    time.Duration // the reads: GetInstance, ListInstances, GetNotebook, ListNotebooks
	readWarmup      time.Duration
	ops             []string
	concurrency     []int
	s4Duration      time.Duration
	s4Callers       int
	s4InFlight      int
	s4InFlightTime  time.Duration
	profileDir      string
	micro           bool
	notes           string
	facadeExtraArgs []string
	scenarios       map[string]bool // nil: all
	skipS4          bool
	s4Rounds        int
	observability   bool
	compare         string // another source tree whose facade runs as C1 and C2
	// The in-flight runs: their facades (keys of inFlightVariants) and
	// extra environment; inFlightOnly runs nothing
	// else.
	inFlightVariants []string
	inFlightEnv      []string
	inFlightOnly     bool
	inFlightLatency  time.Duration
}

func main() {
	var cfg config
	var conc, extra string
	smoke := flag.Bool("smoke", false, "about a second per scenario, small S4; proves the harness works (with -watch: 20 watchers and pollers, polls every second, 3s measured)")
	flag.StringVar(&cfg.root, "root", "..", "repository root (the facade's module)")
	flag.StringVar(&cfg.out, "out", "../BENCHMARKS.md", "report to write")
	flag.StringVar(&cfg.chart, "chart", "../bench/latency.png", "latency chart to write (PNG)")
	flag.DurationVar(&cfg.duration, "duration", 10*time.Second, "measured time per scenario and concurrency")
	flag.DurationVar(&cfg.warmup, "warmup", 2*time.Second, "unmeasured warm-up before each measurement")
	flag.IntVar(&cfg.rounds, "rounds", 5, "slices each point is measured in, the scenarios S0-S3 taking turns (each slice has its share of the warm-up, at least 200ms)")
	flag.DurationVar(&cfg.readDuration, "read-duration", 5*time.Second, "measured time per scenario and concurrency of the reads (GetInstance, ListInstances, GetNotebook, ListNotebooks)")
	flag.DurationVar(&cfg.readWarmup, "read-warmup", time.Second, "unmeasured warm-up before each measurement of a read")
	ops := flag.String("ops", strings.Join(opOrder, ","), "comma-separated operations to run S0-S3 with (for investigations; the report needs all)")
	flag.StringVar(&conc, "concurrency", "1,16,64,256", "concurrency levels for S0-S3")
	flag.DurationVar(&cfg.s4Duration, "s4-duration", 30*time.Second, "measured time of each S4 run")
	flag.IntVar(&cfg.s4Callers, "s4-callers", 1000, "concurrent callers in S4")
	flag.IntVar(&cfg.s4InFlight, "s4-inflight", 10000, "calls in flight for the facade's peak-RSS run")
	flag.DurationVar(&cfg.s4InFlightTime, "s4-inflight-duration", 10*time.Second, "measured time of the in-flight run")
	variants := flag.String("inflight-variants", "http1,h2c,h2c-memlimit", "the in-flight run's facades, each fresh and measured in turn: http1 (the default, HTTP/1.1 to the emulator), h2c (--modelarts-h2c, HTTP/2 without TLS; the peak-RSS target's), h2c-memlimit (h2c with GOMEMLIMIT=460MiB, what the facade sets itself under a 512 MiB container limit)")
	inFlightEnv := flag.String("inflight-env", "", "extra environment of the in-flight run's facades, space-separated NAME=value (for investigations, e.g. GOMEMLIMIT=400MiB)")
	flag.DurationVar(&cfg.inFlightLatency, "inflight-latency", 100*time.Millisecond, "latency the emulator adds in -inflight-only runs (for investigations: with seconds, every call of the run is in the facade at once whatever the machine's load; S4 always adds 100ms)")
	flag.BoolVar(&cfg.inFlightOnly, "inflight-only", false, "run only S4's in-flight runs, and write only their section (for investigations)")
	flag.IntVar(&cfg.s4Rounds, "s4-rounds", 3, "slices S4's floor, facade and bare facade runs are measured in, taking turns (each with a warm-up of at least 1s)")
	flag.StringVar(&cfg.compare, "compare", "", "another checkout of the repository: its facade runs too, as C1 (gRPC) and C2 (mirror) beside S1 and S2, for before/after measurements in one run (for investigations)")
	flag.BoolVar(&cfg.observability, "observability", true, "also run the facade with --metrics=false and with its spans exported over OTLP (DeleteInstance, at 64 callers)")
	flag.StringVar(&cfg.profileDir, "profile", "", "if set, save CPU and allocation profiles (and, for DeleteInstance, execution traces) of the facade and the bare facade under gRPC and their mirrors (c=64) of each operation here")
	flag.BoolVar(&cfg.micro, "micro", true, "run the Go micro-benchmarks too")
	flag.StringVar(&cfg.notes, "notes", "notes.md", "hand-written reading of the tables, appended to the report (empty: none); BENCHMARKS.md must end with it (docs/docs_test.go)")
	flag.StringVar(&extra, "facade-args", "", "extra flags for the facade, space-separated")
	only := flag.String("scenarios", "", "comma-separated subset of S0,S1,S2,S3 to run (for investigations; the report needs all)")
	flag.BoolVar(&cfg.skipS4, "skip-s4", false, "skip S4 (for investigations)")
	var wc watchConfig
	watch := flag.Bool("watch", false, "run the watch scenario instead of S0-S4: -watchers watches of one project against -pollers independent pollers (see watch.go); writes its report to -watch-out (and, with -profile, the facade's heap and goroutine profiles with the watchers)")
	flag.IntVar(&wc.watchers, "watchers", 1000, "watch scenario: concurrent WatchNotebooks calls (0: none)")
	flag.IntVar(&wc.pollers, "pollers", 1000, "watch scenario: independent pollers calling ListNotebooks every -watch-interval (0: none)")
	flag.IntVar(&wc.notebooks, "watch-notebooks", 10, "watch scenario: notebooks in the watched project (1 to 50: one page of ListNotebooks)")
	flag.IntVar(&wc.conns, "watch-conns", 0, "watch scenario: gRPC connections the watchers, and the pollers, share (0: one each)")
	flag.DurationVar(&wc.interval, "watch-interval", 2*time.Second, "watch scenario: the facade's --watch-poll-interval and --watch-steady-poll-interval, and the pollers' interval")
	flag.DurationVar(&wc.duration, "watch-duration", time.Minute, "watch scenario: measured time of the watchers and of the pollers")
	flag.StringVar(&wc.out, "watch-out", "", "watch scenario: file to write its Markdown report to (empty: standard output)")
	flag.Parse()
	if *smoke {
		cfg.duration, cfg.warmup, cfg.s4Duration, cfg.s4InFlightTime = time.Second, 200*time.Millisecond, time.Second, time.Second
		cfg.readDuration, cfg.readWarmup, cfg.rounds = time.Second, 200*time.Millisecond, 1
		cfg.s4Callers, cfg.s4InFlight, conc, cfg.s4Rounds = 100, 500, "1,16", 1
	}
	for _, c := range strings.Split(conc, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(c))
		if err != nil || n < 1 {
			fmt.Fprintf(os.Stderr, "devenv-bench: bad concurrency %q\n", c)
			os.Exit(2)
		}
		cfg.concurrency = append(cfg.concurrency, n)
	}
	if cfg.rounds < 1 || cfg.s4Rounds < 1 {
		fmt.Fprintf(os.Stderr, "devenv-bench: -rounds %d, -s4-rounds %d: at least 1\n", cfg.rounds, cfg.s4Rounds)
		os.Exit(2)
	}
	for _, op := range strings.Split(*ops, ",") {
		op = strings.TrimSpace(op)
		if opNames[op] == "" {
			fmt.Fprintf(os.Stderr, "devenv-bench: unknown operation %q (%s)\n", op, strings.Join(opOrder, ", "))
			os.Exit(2)
		}
		cfg.ops = append(cfg.ops, op)
	}
	cfg.facadeExtraArgs = strings.Fields(extra)
	cfg.inFlightEnv = strings.Fields(*inFlightEnv)
	for _, v := range strings.Split(*variants, ",") {
		v = strings.TrimSpace(v)
		if _, ok := inFlightVariants[v]; !ok {
			fmt.Fprintf(os.Stderr, "devenv-bench: -inflight-variants: unknown %q (http1, h2c, h2c-memlimit)\n", v)
			os.Exit(2)
		}
		cfg.inFlightVariants = append(cfg.inFlightVariants, v)
	}
	if *only != "" {
		cfg.scenarios = map[string]bool{}
		for _, id := range strings.Split(*only, ",") {
			cfg.scenarios[strings.TrimSpace(id)] = true
		}
	}
	if cfg.notes != "" {
		if _, err := os.Stat(cfg.notes); err != nil {
			fmt.Fprintf(os.Stderr, "devenv-bench: -notes: %v (run it from bench/, or give -notes \"\" for a report without them)\n", err)
			os.Exit(2)
		}
	}
	wd, _ := os.Getwd()
	cfg.benchDir = wd

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *watch {
		if *smoke {
			wc.watchers, wc.pollers, wc.interval, wc.duration = min(wc.watchers, 20), min(wc.pollers, 20), time.Second, 3*time.Second
		}
		if wc.watchers < 0 || wc.pollers < 0 || wc.notebooks < 1 || wc.notebooks > 50 || wc.interval < time.Second || wc.duration <= 0 {
			fmt.Fprintf(os.Stderr, "devenv-bench: -watchers %d, -pollers %d: at least 0; -watch-notebooks %d: 1 to 50; -watch-interval %s: at least 1s; -watch-duration %s: positive\n",
				wc.watchers, wc.pollers, wc.notebooks, wc.interval, wc.duration)
			os.Exit(2)
		}
		wc.profileDir = cfg.profileDir
		if err := runWatch(ctx, cfg, wc); err != nil {
			fmt.Fprintf(os.Stderr, "devenv-bench: %v\n", err)
			os.Exit(1)
		}
		return
	}
	if err := run(ctx, cfg, *smoke); err != nil {
		fmt.Fprintf(os.Stderr, "devenv-bench: %v\n", err)
		os.Exit(1)
	}
}

var addrLine = regexp.MustCompile(`(?:addr|url)=(?:http://)?(\S+)`)

func run(ctx context.Context, cfg config, smoke bool) error {
	tmp, err := os.MkdirTemp("", "devenv-bench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	logf("building the servers")
	if err := build(ctx, cfg.root, cfg.benchDir, tmp); err != nil {
		return err
	}

	rep := &report{cfg: cfg, smoke: smoke, started: time.Now(), perCall: map[string]*perCall{}}
	if cfg.micro && !cfg.inFlightOnly {
		logf("micro-benchmarks")
		if rep.micro, err = microBenchmarks(ctx, cfg.root, smoke); err != nil {
			return err
		}
	}

	emu, err := start(ctx, "emulator", filepath.Join(tmp, "modelarts-emulator"), addrLine, "--addr", "127.0.0.1:0", "--request-log", "0", "--create-delay", "0")
	if err != nil {
		return err
	}
	defer emu.stop()
	emuURL := "http://" + emu.addr
	mirrorAddr, debugAddr := freeAddr(), freeAddr()
	facadeArgs := func(mirror, debug string, extra ...string) []string {
		args := []string{"--grpc-addr", "127.0.0.1:0", "--http-addr", mirror, "--modelarts-endpoint", emuURL,
			"--auth-token", "bench-token", "--max-upstream-inflight", strconv.Itoa(2 * max(cfg.s4InFlight, cfg.s4Callers)),
			"--debug-addr", debug, "--admin-addr", ""}
		return append(append(args, extra...), cfg.facadeExtraArgs...)
	}
	// The facade logs text on a terminal and JSON elsewhere (--log-format
	// auto); its stderr here is a pipe.
	grpcLine := regexp.MustCompile(`(?:msg=serving grpc_addr=|"msg":"serving","grpc_addr":")([^\s"]+)`)
	facadeBin := filepath.Join(tmp, "devenv-facade")
	startInFlightFacade := func(name string, extra, env []string) (*server, string, error) {
		debug := freeAddr()
		s, err := startEnv(ctx, name, facadeBin, grpcLine, env, facadeArgs("", debug, extra...)...)
		return s, debug, err
	}
	if cfg.inFlightOnly {
		return runInFlightOnly(ctx, cfg, rep, emuURL, startInFlightFacade)
	}
	fac, err := start(ctx, "facade", facadeBin, grpcLine, facadeArgs(mirrorAddr, debugAddr)...)
	if err != nil {
		return err
	}
	defer fac.stop()
	bareMirror, bareDebug := freeAddr(), freeAddr()
	bareLine := regexp.MustCompile(`msg="serving bare facade" grpc_addr=(\S+)`)
	bare, err := start(ctx, "bare facade", filepath.Join(tmp, "bare-facade"), bareLine,
		"--grpc-addr", "127.0.0.1:0", "--http-addr", bareMirror, "--debug-addr", bareDebug, "--backend", emuURL, "--token", "bench-token",
		"--max-idle-conns", strconv.Itoa(2*max(cfg.s4InFlight, cfg.s4Callers)))
	if err != nil {
		return err
	}
	defer bare.stop()
	van, err := start(ctx, "vanguard", filepath.Join(tmp, "vanguard-proxy"), regexp.MustCompile(`msg="serving vanguard" addr=(\S+)`),
		"--addr", "127.0.0.1:0", "--backend", emuURL)
	if err != nil {
		return err
	}
	defer van.stop()
	rep.procs = []*server{fac, bare, van, emu}
	var cmp *server
	cmpMirror := freeAddr()
	if cfg.compare != "" {
		logf("building the facade of %s", cfg.compare)
		bin := filepath.Join(tmp, "devenv-facade-compare")
		cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/devenv-facade")
		cmd.Dir, cmd.Stdout, cmd.Stderr = cfg.compare, os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("building the facade of %s: %w", cfg.compare, err)
		}
		if cmp, err = start(ctx, "facade (compare)", bin, grpcLine, facadeArgs(cmpMirror, "")...); err != nil {
			return err
		}
		defer cmp.stop()
		rep.procs = append(rep.procs, cmp)
	}
	// Two more facades, for what metrics and tracing cost: one with
	// --metrics=false, one exporting every span over OTLP to a sink in
	// this process.
	var facNoMetrics, facTraced *server
	if cfg.observability {
		if facNoMetrics, err = start(ctx, facadeNoMetrics, facadeBin, grpcLine, facadeArgs("", "", "--metrics=false")...); err != nil {
			return err
		}
		defer facNoMetrics.stop()
		if rep.sink, err = startOTLPSink(); err != nil {
			return err
		}
		defer rep.sink.close()
		env := []string{"OTEL_EXPORTER_OTLP_ENDPOINT=http://" + rep.sink.addr, "OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf",
			"OTEL_TRACES_SAMPLER=parentbased_always_on", "OTEL_SDK_DISABLED=", "OTEL_TRACES_EXPORTER="}
		if facTraced, err = startEnv(ctx, facadeTraced, facadeBin, grpcLine, env, facadeArgs("", "")...); err != nil {
			return err
		}
		defer facTraced.stop()
		rep.procs = append(rep.procs, facNoMetrics, facTraced)
	}

	getInstance, err := seed(emuURL, "bench-token")
	if err != nil {
		return err
	}
	if err := sameAnswers(ctx, fac.addr, "vanguard", van.addr, getInstance); err != nil {
		return err
	}
	if err := sameAnswers(ctx, fac.addr, "the bare facade", bare.addr, getInstance); err != nil {
		return err
	}
	getNotebook, err := seedNotebooks(emuURL, "bench-token")
	if err != nil {
		return err
	}
	if err := sameNotebookAnswers(ctx, cfg.ops, fac.addr, "vanguard", van.addr, getNotebook); err != nil {
		return err
	}
	if err := sameNotebookAnswers(ctx, cfg.ops, fac.addr, "the bare facade", bare.addr, getNotebook); err != nil {
		return err
	}
	workloads := map[string]workload{opDelete: {op: opDelete}, opGet: {op: opGet, instance: getInstance}, opList: {op: opList},
		opGetNotebook: {op: opGetNotebook, notebook: getNotebook}, opListNotebooks: {op: opListNotebooks}}

	// keyC is the concurrency the targets are set at (64), or the
	// largest measured; the bare facade's reads and the observability
	// variants run there only, to keep the run short.
	keyC := keyConcurrency(cfg.concurrency)
	atKey := func(op string, c int) bool { return c == keyC }
	bareRuns := func(op string, c int) bool { return op == opDelete || c == keyC }
	scenarios := []scenario{
		{id: "S0", name: "floor: HTTP -> emulator", servers: []*server{emu}, driver: func(c int, wl workload) (driver, error) {
			return newHTTPDriver(emuURL, "bench-token", c, wl), nil
		}},
		{id: "S1", name: "gRPC -> facade -> emulator", proxy: fac, servers: []*server{fac, emu}, driver: func(c int, wl workload) (driver, error) {
			return newGRPCDriver(fac.addr, "", min(c, 4), wl)
		}},
		{id: "B1", name: "gRPC -> bare facade -> emulator", proxy: bare, servers: []*server{bare, emu}, runs: bareRuns, driver: func(c int, wl workload) (driver, error) {
			return newGRPCDriver(bare.addr, "", min(c, 4), wl)
		}},
		{id: "S2", name: "HTTP -> facade mirror -> emulator", proxy: fac, servers: []*server{fac, emu}, driver: func(c int, wl workload) (driver, error) {
			return newHTTPDriver("http://"+mirrorAddr, "", c, wl), nil
		}},
		{id: "B2", name: "HTTP -> bare facade mirror -> emulator", proxy: bare, servers: []*server{bare, emu}, runs: bareRuns, driver: func(c int, wl workload) (driver, error) {
			return newHTTPDriver("http://"+bareMirror, "", c, wl), nil
		}},
		{id: "S3", name: "gRPC -> vanguard -> emulator", proxy: van, servers: []*server{van, emu}, driver: func(c int, wl workload) (driver, error) {
			return newGRPCDriver(van.addr, "bench-token", min(c, 4), wl)
		}},
	}
	if cmp != nil {
		scenarios = append(scenarios,
			scenario{id: "C1", name: "gRPC -> facade (compare) -> emulator", proxy: cmp, servers: []*server{cmp, emu},
				driver: func(c int, wl workload) (driver, error) { return newGRPCDriver(cmp.addr, "", min(c, 4), wl) }},
			scenario{id: "C2", name: "HTTP -> facade (compare) mirror -> emulator", proxy: cmp, servers: []*server{cmp, emu},
				driver: func(c int, wl workload) (driver, error) { return newHTTPDriver("http://"+cmpMirror, "", c, wl), nil }})
	}
	if cfg.observability {
		deleteAtKey := func(op string, c int) bool { return op == opDelete && atKey(op, c) }
		scenarios = append(scenarios,
			scenario{id: "O1", name: "gRPC -> facade, metrics off -> emulator", proxy: facNoMetrics, servers: []*server{facNoMetrics, emu}, runs: deleteAtKey,
				driver: func(c int, wl workload) (driver, error) { return newGRPCDriver(facNoMetrics.addr, "", min(c, 4), wl) }},
			scenario{id: "O2", name: "gRPC -> facade, spans exported -> emulator", proxy: facTraced, servers: []*server{facTraced, emu}, runs: deleteAtKey,
				driver: func(c int, wl workload) (driver, error) { return newGRPCDriver(facTraced.addr, "", min(c, 4), wl) }})
	}
	rep.scenarios = scenarios
	// Each point is measured in cfg.rounds slices, the scenarios taking
	// turns (each round starting with another one), so that a change in
	// the machine's other load during the run falls on all of them alike
	// and their ratios hold.
	type key struct {
		op, scenario string
		c            int
	}
	measured := map[key]*point{}
	for _, op := range cfg.ops {
		warmup, duration := cfg.readWarmup, cfg.readDuration
		if op == opDelete {
			warmup, duration = cfg.warmup, cfg.duration
		}
		warmup, duration = max(warmup/time.Duration(cfg.rounds), 200*time.Millisecond), duration/time.Duration(cfg.rounds)
		for _, c := range cfg.concurrency {
			var active []scenario
			for _, sc := range scenarios {
				if (cfg.scenarios == nil || cfg.scenarios[sc.id]) && (sc.runs == nil || sc.runs(op, c)) {
					active = append(active, sc)
				}
			}
			for round := 1; round <= cfg.rounds; round++ {
				var line []string
				for i := range active {
					sc := active[(i+round-1)%len(active)]
					d, err := sc.driver(c, workloads[op])
					if err != nil {
						return err
					}
					m := measure(append(sc.servers, self))
					r := drive(d, c, warmup, duration, m.hook)
					d.close()
					if r.errors > 0 {
						logf("  %s %s c=%d: %d errors, first: %v", op, sc.id, c, r.errors, r.firstErr)
					}
					k := key{op, sc.id, c}
					if measured[k] == nil {
						measured[k] = &point{op: op, scenario: sc.id, name: sc.name, proxy: sc.proxy, concurrency: c, usage: map[*server]usage{}}
					}
					measured[k].add(r, m.usage)
					if sc.id == "O2" {
						rep.tracedCalls += r.allCalls
					}
					if u, ok := m.usage[sc.proxy]; ok && sc.proxy != nil && r.calls > 0 {
						line = append(line, fmt.Sprintf("%s %.0f/s %.1fµs", sc.id, r.throughput(), float64(u.cpu.Nanoseconds())/1e3/float64(r.calls)))
					} else {
						line = append(line, fmt.Sprintf("%s %.0f/s", sc.id, r.throughput()))
					}
				}
				logf("%s c=%d, round %d of %d: %s", op, c, round, cfg.rounds, strings.Join(line, ", "))
			}
		}
		for _, sc := range scenarios {
			for _, c := range cfg.concurrency {
				if p := measured[key{op, sc.id, c}]; p != nil {
					p.result.sort()
					rep.points = append(rep.points, *p)
				}
			}
		}
	}
	if rep.sink != nil {
		// The facade exports in batches of 512 spans, or every 5s.
		time.Sleep(6 * time.Second)
		rep.tracedSpans = rep.sink.spans.Load()
	}

	if cfg.profileDir != "" {
		// The allocations are counted on twins of the facade and the bare
		// facade that record every allocation's stack
		// (GODEBUG=memprofilerate=1), which would slow the measured ones.
		countMirror, countDebug := freeAddr(), freeAddr()
		facCount, err := startEnv(ctx, "facade (counting allocations)", facadeBin, grpcLine, []string{"GODEBUG=memprofilerate=1"}, facadeArgs(countMirror, countDebug)...)
		if err != nil {
			return err
		}
		defer facCount.stop()
		bareCountMirror, bareCountDebug := freeAddr(), freeAddr()
		bareCount, err := startEnv(ctx, "bare facade (counting allocations)", filepath.Join(tmp, "bare-facade"), bareLine, []string{"GODEBUG=memprofilerate=1"},
			"--grpc-addr", "127.0.0.1:0", "--http-addr", bareCountMirror, "--debug-addr", bareCountDebug, "--backend", emuURL, "--token", "bench-token")
		if err != nil {
			return err
		}
		defer bareCount.stop()
		targets := []profTarget{
			{"facade", endpoint{fac.addr, "http://" + mirrorAddr, debugAddr}, endpoint{facCount.addr, "http://" + countMirror, countDebug}},
			{"bare", endpoint{bare.addr, "http://" + bareMirror, bareDebug}, endpoint{bareCount.addr, "http://" + bareCountMirror, bareCountDebug}},
		}
		for _, op := range cfg.ops {
			seconds := int(max(cfg.readDuration/time.Second, 2))
			if op == opDelete {
				seconds = int(max(cfg.duration/time.Second, 2))
			}
			for _, t := range targets {
				logf("profiling the %s under gRPC and its mirror, %s, c=%d", t.name, op, profileCallers)
				for _, sc := range []string{"S1", "S2"} {
					name := t.name + "-" + profileName(sc, op)
					pc, err := profileServer(ctx, cfg, name, sc, seconds, t, workloads[op], op == opDelete)
					if err != nil {
						return err
					}
					rep.perCall[name] = pc
				}
			}
		}
		rep.breakdown = breakdownMarkdown(ctx, cfg.root, cfg.profileDir, cfg.ops)
	}

	rep.finished = time.Now()
	if cfg.skipS4 {
		return rep.write()
	}
	if err := runS4(ctx, cfg, rep, emuURL, fac, bare, emu, startInFlightFacade, workloads[opDelete]); err != nil {
		return err
	}
	rep.finished = time.Now()
	return rep.write()
}

// runInFlightOnly is run with -inflight-only: the in-flight runs alone,
// their section alone in cfg.out.
func runInFlightOnly(ctx context.Context, cfg config, rep *report, emuURL string, startFacade inFlightFacade) error {
	logf("S4's in-flight runs only: the emulator adds %s", cfg.inFlightLatency)
	if err := setFault(emuURL, "lat"+cfg.inFlightLatency.String()); err != nil {
		return err
	}
	if err := inFlight(ctx, cfg, rep, startFacade, workload{op: opDelete}); err != nil {
		return err
	}
	if err := setFault(emuURL, ""); err != nil {
		return err
	}
	var b strings.Builder
	rep.inFlightSection(&b)
	logf("writing %s", cfg.out)
	return os.WriteFile(cfg.out, []byte(b.String()), 0o644)
}

// Names of the facades that measure observability.
const (
	facadeNoMetrics = "facade (metrics off)"
	facadeTraced    = "facade (spans exported)"
)

// scenario is one path the calls take.
type scenario struct {
	id, name string
	proxy    *server   // the facade, bare facade or vanguard on the path; nil for S0
	servers  []*server // the processes whose CPU is measured
	driver   func(c int, wl workload) (driver, error)
	runs     func(op string, c int) bool // nil: at every point
}

// keyConcurrency is 64 if measured, else the largest concurrency.
func keyConcurrency(cs []int) int {
	if slices.Contains(cs, 64) {
		return 64
	}
	return slices.Max(cs)
}

func (r *report) write() error {
	logf("writing %s and %s", r.cfg.out, r.cfg.chart)
	if err := writeChart(r.cfg.chart, r.points); err != nil {
		return err
	}
	return os.WriteFile(r.cfg.out, []byte(r.markdown()), 0o644)
}

// freeAddr returns a loopback address with a port free right now.
func freeAddr() string {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "127.0.0.1:0"
	}
	defer lis.Close()
	return lis.Addr().String()
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
}
