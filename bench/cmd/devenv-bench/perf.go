package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"sort"
	"strings"

	"github.com/google/pprof/profile"
)

// perCall is what a server spends per call in one profiled window: CPU
// (from the CPU profile), allocations (the difference of two allocation
// profiles), goroutines created and goroutine parks (from an execution
// trace), and timers created (allocations of time.newTimer).
type perCall struct {
	calls      int // calls in the CPU profile's window
	allocCalls int // calls in the allocation window

	cpuMicros float64            // CPU µs per call
	allocs    float64            // allocations per call
	bytes     float64            // bytes allocated per call
	timers    float64            // timers created per call
	cpuBy     map[string]float64 // µs per call by feature or, for common work, category
	allocsBy  map[string]float64 // allocations per call by the same keys

	traceCalls int                // calls in the trace's window (0: no trace)
	goroutines float64            // goroutines created per call
	parks      float64            // goroutines parked (Running->Waiting) per call
	started    map[string]float64 // goroutines created per call by start function
}

// featureRule attributes the profile samples whose stack has a matching
// frame (the one nearest the leaf decides) to a feature of the facade, or,
// with common set, to work the bare facade does as well.
type featureRule struct {
	name   string
	common bool
	re     *regexp.Regexp
}

const facadePkg = `^github\.com/devenv-facade/devenv-facade/`

// featureRules name the facade's features by the functions that do their
// work. A sample's stack is walked from the leaf: the first frame matching
// a rule decides. Rules marked common stop the walk at work the bare facade
// does too (sending the HTTP request, reading the answer, converting JSON
// and protobuf, grpc-gateway), even when a feature's frame encloses it;
// samples no rule matches are common too (the gRPC and HTTP servers, the
// runtime, garbage collection).
var featureRules = []featureRule{
	// The facade's ModelArts client hands requests to the transport itself
	// (modelarts.DirectClient) and builds them without
	// http.NewRequestWithContext (newHTTPRequest): what they do is the
	// bare facade's http.Client.Do and NewRequestWithContext.
	{"upstream HTTP exchange (net/http client)", true, regexp.MustCompile(`^net/http\.\(\*Client\)\.Do$|^net/http\.NewRequestWithContext$|` + facadePkg + `internal/modelarts\.(\(\*DirectClient\)\.Do|newHTTPRequest)$`)},
	{"reading the answer's body", true, regexp.MustCompile(facadePkg + `internal/modelarts\.(readBody|readAnnounced)$|^main\.\(\*service\)\.do$`)},
	{"JSON and protobuf conversions", true, regexp.MustCompile(`^encoding/json\.|` + facadePkg + `internal/vendorjson\.|^google\.golang\.org/protobuf/|^google\.golang\.org/grpc/encoding/proto\.`)},
	{"grpc-gateway and generated code", true, regexp.MustCompile(`^github\.com/grpc-ecosystem/grpc-gateway/|` + facadePkg + `gen/`)},
	{"tracing: otelgrpc, otelhttp, spans, propagation", false, regexp.MustCompile(`^go\.opentelemetry\.io/|` + facadePkg + `internal/modelarts\.recordAttempt|` + facadePkg + `internal/telemetry\.|` + facadePkg + `internal/mirror\.nameSpan`)},
	{"metrics (Prometheus)", false, regexp.MustCompile(`^github\.com/prometheus/|^github\.com/grpc-ecosystem/go-grpc-middleware/|` + facadePkg + `internal/metrics\.`)},
	{"request ID (make, check, send back)", false, regexp.MustCompile(`^github\.com/google/uuid\.|` + facadePkg + `internal/callctx\.(NewRequestID|ValidRequestID)|^google\.golang\.org/grpc\.SetHeader$|` + facadePkg + `service\.incomingRequestID|` + facadePkg + `internal/mirror\.WithRequestID`)},
	{"logging (the call's line, its attributes)", false, regexp.MustCompile(`^log/slog\.|` + facadePkg + `internal/logjson\.|` + facadePkg + `service\.\(\*Service\)\.logCall|` + facadePkg + `internal/callctx\.(logHandler|Annotate|\(\*Call\)|hasAttr|hasKey|HandleAttrs|HandleCallAttrs|withCallAttrs|record$)`)},
	{"stream registry and call tracking (request timeout, drain)", false, regexp.MustCompile(facadePkg + `internal/server\.(\(\*streams\)|\(\*Server\)\.tap|\(\*Server\)\.trackCall|streamFrom|\(\*codec\)\.invalidFields|\(\*streamCtx\))`)},
	{"limiter (in-flight cap)", false, regexp.MustCompile(facadePkg + `internal/modelarts\.\(\*limiter\)`)},
	{"reachability, retry budget, latency estimate", false, regexp.MustCompile(facadePkg + `internal/modelarts\.(\(\*reachability\)|\(\*RetryBudget\)|\(\*latency\))`)},
	{"attempt: context, deadline timer, httptrace", false, regexp.MustCompile(facadePkg + `internal/modelarts\.(\(\*Client\)\.attempt|\(\*deadlines\)|\(\*attemptContext\))|^net/http/httptrace\.`)},
	{"upstream request: URL, headers, credentials", false, regexp.MustCompile(facadePkg + `internal/modelarts\.\(\*Client\)\.(newRequest|outgoing)|` + facadePkg + `internal/cloudauth\.|` + facadePkg + `internal/modelarts\.(EscapePathSegment|checkSegment)`)},
	// Before the client's rule, which would take modelarts.APIError.
	{"pipeline: credentials, validation, error mapping", false, regexp.MustCompile(facadePkg + `service\.(handle|\(\*Service\)\.credentials|validate|checkCallerToken|callerToken|\(\*call\))|` + facadePkg + `internal/apierror\.|` + facadePkg + `internal/modelarts\.(APIError|upstreamError|transportCause)$`)},
	{"client: send and retry loop, answer handling", false, regexp.MustCompile(facadePkg + `internal/modelarts\.`)},
	{"interceptor chain and the service interceptor", false, regexp.MustCompile(facadePkg + `(internal/server\.(chainUnary|chained)|service\.\(\*Service\)\.UnaryInterceptor|internal/mirror\.(invoke|\(\*intercepted\)))`)},
	{"mirror middleware (routes, body limit, peer, protocol)", false, regexp.MustCompile(facadePkg + `internal/mirror\.`)},
	{"other facade code (the RPC's own step)", false, regexp.MustCompile(facadePkg)},
}

// attribute returns the key a sample's stack counts under: a feature's
// name, or for common work the flat category of its leaf ("common: ...").
func attribute(funcs []string) string {
	for _, fn := range funcs { // leaf first
		for _, r := range featureRules {
			if r.re.MatchString(fn) {
				if r.common {
					return "common: " + r.name
				}
				return r.name
			}
		}
	}
	if len(funcs) == 0 {
		return "common: " + cpuCategories[len(cpuCategories)-1].name
	}
	for _, c := range cpuCategories {
		if c.re.MatchString(funcs[0]) {
			return "common: " + c.name
		}
	}
	return "common: " + cpuCategories[len(cpuCategories)-1].name
}

// profiler reports whether a stack is the profiler's own work (writing a
// profile), which is left out.
func profiler(funcs []string) bool {
	for _, fn := range funcs {
		if strings.HasPrefix(fn, "runtime/pprof.") || strings.HasPrefix(fn, "net/http/pprof.") {
			return true
		}
	}
	return false
}

// sampleFuncs lists a sample's function names, leaf first (inlined frames
// included).
func sampleFuncs(s *profile.Sample) []string {
	var out []string
	for _, loc := range s.Location {
		for _, l := range loc.Line {
			if l.Function != nil {
				out = append(out, l.Function.Name)
			}
		}
	}
	return out
}

func readProfile(path string) (*profile.Profile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return profile.Parse(f)
}

func sampleIndex(p *profile.Profile, typ string) int {
	for i, st := range p.SampleType {
		if st.Type == typ {
			return i
		}
	}
	return -1
}

// analyseCPU reads the CPU profile of a window with calls calls.
func analyseCPU(cpuPath string, calls int) (*perCall, error) {
	pc := &perCall{calls: calls, cpuBy: map[string]float64{}, allocsBy: map[string]float64{}}
	if calls == 0 {
		return nil, fmt.Errorf("no calls in the profiled window")
	}
	cpu, err := readProfile(cpuPath)
	if err != nil {
		return nil, err
	}
	ci := sampleIndex(cpu, "cpu")
	if ci < 0 {
		return nil, fmt.Errorf("%s: no cpu samples", cpuPath)
	}
	for _, s := range cpu.Sample {
		funcs := sampleFuncs(s)
		if profiler(funcs) {
			continue
		}
		us := float64(s.Value[ci]) / 1e3 / float64(calls)
		pc.cpuMicros += us
		pc.cpuBy[attribute(funcs)] += us
	}
	return pc, nil
}

// addAllocs reads the allocation profiles before and after a window with
// calls calls, of a server that records every allocation
// (GODEBUG=memprofilerate=1): the counts are exact.
func (pc *perCall) addAllocs(allocsBefore, allocsAfter string, calls int) error {
	if calls == 0 {
		return fmt.Errorf("no calls in the allocation window")
	}
	before, err := readProfile(allocsBefore)
	if err != nil {
		return err
	}
	after, err := readProfile(allocsAfter)
	if err != nil {
		return err
	}
	before.Scale(-1)
	diff, err := profile.Merge([]*profile.Profile{after, before})
	if err != nil {
		return err
	}
	oi, bi := sampleIndex(diff, "alloc_objects"), sampleIndex(diff, "alloc_space")
	if oi < 0 || bi < 0 {
		return fmt.Errorf("%s: no allocation samples", allocsAfter)
	}
	pc.allocCalls = calls
	for _, s := range diff.Sample {
		funcs := sampleFuncs(s)
		if profiler(funcs) {
			continue
		}
		n := float64(s.Value[oi]) / float64(calls)
		pc.allocs += n
		pc.bytes += float64(s.Value[bi]) / float64(calls)
		pc.allocsBy[attribute(funcs)] += n
		if len(funcs) > 0 && (funcs[0] == "time.newTimer" || funcs[0] == "runtime.newTimer") {
			pc.timers += n
		}
	}
	return nil
}

// traceCounts reads an execution trace with `go tool trace -d=parsed` and
// returns how many goroutines were created (by start function) and how
// often goroutines parked.
func traceCounts(ctx context.Context, root, path string) (created map[string]int, parks int, err error) {
	cmd := exec.CommandContext(ctx, "go", "tool", "trace", "-d=parsed", path)
	cmd.Dir = root
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, 0, err
	}
	if err := cmd.Start(); err != nil {
		return nil, 0, err
	}
	created = map[string]int{}
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	want := 0 // 2: the next line is TransitionStack=, 1: the next is its first frame
	for sc.Scan() {
		line := sc.Text()
		switch {
		case want == 2:
			want = 0
			if strings.HasPrefix(line, "TransitionStack=") {
				want = 1
			} else {
				created["(unknown)"]++
			}
		case want == 1:
			want = 0
			fn, _, _ := strings.Cut(strings.TrimSpace(line), " @ ")
			created[fn]++
		case strings.Contains(line, " StateTransition ") && strings.Contains(line, " NotExist->Runnable "):
			want = 2
		case strings.Contains(line, " StateTransition ") && strings.Contains(line, " Running->Waiting "):
			parks++
		}
	}
	if want > 0 {
		created["(unknown)"]++
	}
	if err := cmd.Wait(); err != nil {
		return nil, 0, fmt.Errorf("go tool trace %s: %w", path, err)
	}
	return created, parks, sc.Err()
}

// addTrace adds a trace's counts over calls calls to pc.
func (pc *perCall) addTrace(created map[string]int, parks, calls int) {
	if calls == 0 {
		return
	}
	pc.traceCalls = calls
	pc.started = map[string]float64{}
	for fn, n := range created {
		pc.goroutines += float64(n) / float64(calls)
		pc.started[fn] = float64(n) / float64(calls)
	}
	pc.parks = float64(parks) / float64(calls)
}

// topStarted lists the start functions of goroutines created at least
// 0.05 times per call, most first.
func (pc *perCall) topStarted() string {
	type kv struct {
		fn string
		n  float64
	}
	var all []kv
	for fn, n := range pc.started {
		if n >= 0.05 {
			all = append(all, kv{fn, n})
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].n > all[j].n })
	var parts []string
	for _, x := range all {
		parts = append(parts, fmt.Sprintf("`%s` %.2f", x.fn, x.n))
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, ", ")
}
