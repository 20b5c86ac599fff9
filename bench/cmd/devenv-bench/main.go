// Command devenv-bench measures what the facade costs: it builds and starts
// the ModelArts emulator, the facade and a vanguard transcoder as separate
// processes on loopback, drives them from this process, and writes
// BENCHMARKS.md with a latency chart. Every figure comes from one run, all
// contenders measured against the same emulator process.
//
// Scenarios, each run with DeleteInstance, GetInstance and ListInstances
// (100 instances):
//
//	S0 floor   HTTP client -> emulator
//	S1 gRPC    gRPC client -> facade -> emulator
//	S2 mirror  HTTP client -> facade REST mirror -> emulator
//	S3 peer    gRPC client -> vanguard (gRPC to REST) -> emulator
//	S4         with 100 ms added by the emulator: many callers straight to
//	           it and through the facade (Little's law), then 10,000 in
//	           flight through the facade
//
// Run it with `make bench` (full) or `make bench-smoke` (about a second per
// scenario, to prove the harness works).
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
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
	readDuration    time.Duration // GetInstance and ListInstances
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
}

func main() {
	var cfg config
	var conc, extra string
	smoke := flag.Bool("smoke", false, "about a second per scenario, small S4; proves the harness works")
	flag.StringVar(&cfg.root, "root", "..", "repository root (the facade's module)")
	flag.StringVar(&cfg.out, "out", "../BENCHMARKS.md", "report to write")
	flag.StringVar(&cfg.chart, "chart", "../bench/latency.png", "latency chart to write (PNG)")
	flag.DurationVar(&cfg.duration, "duration", 10*time.Second, "measured time per scenario and concurrency")
	flag.DurationVar(&cfg.warmup, "warmup", 2*time.Second, "unmeasured warm-up before each measurement")
	flag.IntVar(&cfg.rounds, "rounds", 5, "slices each point is measured in, the scenarios S0-S3 taking turns (each slice has its share of the warm-up, at least 200ms)")
	flag.DurationVar(&cfg.readDuration, "read-duration", 5*time.Second, "measured time per scenario and concurrency of GetInstance and ListInstances")
	flag.DurationVar(&cfg.readWarmup, "read-warmup", time.Second, "unmeasured warm-up before each GetInstance and ListInstances measurement")
	ops := flag.String("ops", "delete,get,list", "comma-separated operations to run S0-S3 with (for investigations; the report needs all)")
	flag.StringVar(&conc, "concurrency", "1,16,64,256", "concurrency levels for S0-S3")
	flag.DurationVar(&cfg.s4Duration, "s4-duration", 30*time.Second, "measured time of each S4 run")
	flag.IntVar(&cfg.s4Callers, "s4-callers", 1000, "concurrent callers in S4")
	flag.IntVar(&cfg.s4InFlight, "s4-inflight", 10000, "calls in flight for the facade's peak-RSS run")
	flag.DurationVar(&cfg.s4InFlightTime, "s4-inflight-duration", 10*time.Second, "measured time of the in-flight run")
	flag.StringVar(&cfg.profileDir, "profile", "", "if set, save CPU and allocation profiles of the facade under S1 and S2 (c=64) of each operation here")
	flag.BoolVar(&cfg.micro, "micro", true, "run the Go micro-benchmarks too")
	flag.StringVar(&cfg.notes, "notes", "notes.md", "hand-written analysis appended to the report")
	flag.StringVar(&extra, "facade-args", "", "extra flags for the facade, space-separated")
	only := flag.String("scenarios", "", "comma-separated subset of S0,S1,S2,S3 to run (for investigations; the report needs all)")
	flag.BoolVar(&cfg.skipS4, "skip-s4", false, "skip S4 (for investigations)")
	flag.Parse()
	if *smoke {
		cfg.duration, cfg.warmup, cfg.s4Duration, cfg.s4InFlightTime = time.Second, 200*time.Millisecond, time.Second, time.Second
		cfg.readDuration, cfg.readWarmup, cfg.rounds = time.Second, 200*time.Millisecond, 1
		cfg.s4Callers, cfg.s4InFlight, conc = 100, 500, "1,16"
	}
	for _, c := range strings.Split(conc, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(c))
		if err != nil || n < 1 {
			fmt.Fprintf(os.Stderr, "devenv-bench: bad concurrency %q\n", c)
			os.Exit(2)
		}
		cfg.concurrency = append(cfg.concurrency, n)
	}
	if cfg.rounds < 1 {
		fmt.Fprintf(os.Stderr, "devenv-bench: -rounds %d: at least 1\n", cfg.rounds)
		os.Exit(2)
	}
	for _, op := range strings.Split(*ops, ",") {
		op = strings.TrimSpace(op)
		if opNames[op] == "" {
			fmt.Fprintf(os.Stderr, "devenv-bench: unknown operation %q (delete, get, list)\n", op)
			os.Exit(2)
		}
		cfg.ops = append(cfg.ops, op)
	}
	cfg.facadeExtraArgs = strings.Fields(extra)
	if *only != "" {
		cfg.scenarios = map[string]bool{}
		for _, id := range strings.Split(*only, ",") {
			cfg.scenarios[strings.TrimSpace(id)] = true
		}
	}
	wd, _ := os.Getwd()
	cfg.benchDir = wd

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
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

	rep := &report{cfg: cfg, smoke: smoke, started: time.Now()}
	if cfg.micro {
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
	mirrorAddr, debugAddr, err := freeAddr(), freeAddr(), nil
	facadeArgs := append([]string{"--grpc-addr", "127.0.0.1:0", "--http-addr", mirrorAddr, "--modelarts-endpoint", emuURL,
		"--auth-token", "bench-token", "--max-upstream-inflight", strconv.Itoa(2 * max(cfg.s4InFlight, cfg.s4Callers)),
		"--debug-addr", debugAddr, "--admin-addr", ""}, cfg.facadeExtraArgs...)
	// The facade logs text on a terminal and JSON elsewhere (--log-format
	// auto); its stderr here is a pipe.
	grpcLine := regexp.MustCompile(`(?:msg=serving grpc_addr=|"msg":"serving","grpc_addr":")([^\s"]+)`)
	fac, err := start(ctx, "facade", filepath.Join(tmp, "devenv-facade"), grpcLine, facadeArgs...)
	if err != nil {
		return err
	}
	defer fac.stop()
	van, err := start(ctx, "vanguard", filepath.Join(tmp, "vanguard-proxy"), regexp.MustCompile(`msg="serving vanguard" addr=(\S+)`),
		"--addr", "127.0.0.1:0", "--backend", emuURL)
	if err != nil {
		return err
	}
	defer van.stop()
	rep.procs = []*server{fac, van, emu}

	getInstance, err := seed(emuURL, "bench-token")
	if err != nil {
		return err
	}
	if err := sameAnswers(ctx, fac.addr, van.addr, getInstance); err != nil {
		return err
	}
	workloads := map[string]workload{opDelete: {op: opDelete}, opGet: {op: opGet, instance: getInstance}, opList: {op: opList}}

	scenarios := []struct {
		id, name string
		servers  []*server
		driver   func(c int, wl workload) (driver, error)
	}{
		{"S0", "floor: HTTP -> emulator", []*server{emu}, func(c int, wl workload) (driver, error) {
			return newHTTPDriver(emuURL, "bench-token", c, wl), nil
		}},
		{"S1", "gRPC -> facade -> emulator", []*server{fac, emu}, func(c int, wl workload) (driver, error) {
			return newGRPCDriver(fac.addr, "", min(c, 4), wl)
		}},
		{"S2", "HTTP -> facade mirror -> emulator", []*server{fac, emu}, func(c int, wl workload) (driver, error) {
			return newHTTPDriver("http://"+mirrorAddr, "", c, wl), nil
		}},
		{"S3", "gRPC -> vanguard -> emulator", []*server{van, emu}, func(c int, wl workload) (driver, error) {
			return newGRPCDriver(van.addr, "bench-token", min(c, 4), wl)
		}},
	}
	// Each point is measured in cfg.rounds slices, the scenarios taking
	// turns, so that a change in the machine's other load during the run
	// falls on all of them alike and their ratios hold.
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
			for round := 1; round <= cfg.rounds; round++ {
				var line []string
				for _, sc := range scenarios {
					if cfg.scenarios != nil && !cfg.scenarios[sc.id] {
						continue
					}
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
						measured[k] = &point{op: op, scenario: sc.id, name: sc.name, concurrency: c, usage: map[*server]usage{}}
					}
					measured[k].add(r, m.usage)
					line = append(line, fmt.Sprintf("%s %.0f/s", sc.id, r.throughput()))
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

	if cfg.profileDir != "" {
		for _, op := range cfg.ops {
			logf("profiling the facade under S1 and S2 of %s, c=64", op)
			duration := cfg.readDuration
			if op == opDelete {
				duration = cfg.duration
			}
			gd, err := newGRPCDriver(fac.addr, "", 4, workloads[op])
			if err != nil {
				return err
			}
			if err := profileFacade(ctx, cfg, debugAddr, profileName("S1", op), duration, gd); err != nil {
				return err
			}
			if err := profileFacade(ctx, cfg, debugAddr, profileName("S2", op), duration, newHTTPDriver("http://"+mirrorAddr, "", 64, workloads[op])); err != nil {
				return err
			}
		}
		rep.breakdown = breakdownMarkdown(ctx, cfg.root, cfg.profileDir, cfg.ops)
	}

	rep.finished = time.Now()
	if cfg.skipS4 {
		return rep.write()
	}
	logf("S4: the emulator adds 100 ms")
	if err := setFault(emuURL, "lat100ms"); err != nil {
		return err
	}
	floor := newHTTPDriver(emuURL, "bench-token", cfg.s4Callers, workloads[opDelete])
	m := measure([]*server{emu, self})
	rep.s4Floor = drive(floor, cfg.s4Callers, cfg.warmup, cfg.s4Duration, m.hook)
	rep.s4FloorUsage = m.usage
	floor.close()
	logf("  S4-floor: %.0f calls/s", rep.s4Floor.throughput())

	gd, err := newGRPCDriver(fac.addr, "", 16, workloads[opDelete])
	if err != nil {
		return err
	}
	m = measure([]*server{fac, emu, self})
	rep.s4Facade = drive(gd, cfg.s4Callers, cfg.warmup, cfg.s4Duration, m.hook)
	rep.s4FacadeUsage = m.usage
	logf("  S4-facade: %.0f calls/s", rep.s4Facade.throughput())

	m = measure([]*server{fac})
	hook := m.hook
	if cfg.profileDir != "" {
		hook = func(start bool) {
			if !start {
				if err := heapProfile(ctx, cfg.profileDir, debugAddr, "facade-inflight-heap.pprof"); err != nil {
					logf("  heap profile: %v", err)
				}
			}
			m.hook(start)
		}
	}
	rep.s4InFlight = drive(gd, cfg.s4InFlight, cfg.warmup, cfg.s4InFlightTime, hook)
	rep.s4InFlightRSS = m.usage[fac].peakRSS
	gd.close()
	logf("  %d in flight: %.0f calls/s, facade peak RSS %d MiB", cfg.s4InFlight, rep.s4InFlight.throughput(), rep.s4InFlightRSS>>20)
	if err := setFault(emuURL, ""); err != nil {
		return err
	}
	rep.finished = time.Now()
	return rep.write()
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

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
}
