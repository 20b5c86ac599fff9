package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// cpuCategories sorts functions of a CPU profile into where the time goes.
// The first matching pattern wins; the order matters.
var cpuCategories = []struct {
	name string
	re   *regexp.Regexp
}{
	{"kernel: network system calls (loopback TCP)", regexp.MustCompile(`^(internal/runtime/syscall|syscall\.)`)},
	{"Go runtime: allocation and garbage collection", regexp.MustCompile(`^runtime\.(gc|mallocgc|scan|mark|greyobject|heapBits|\(\*mspan\)|nextFreeFast|memclr|findObject|wbBuf|bulkBarrier|\(\*gcWork\)|tryDeferToSpanScan|\(\*spanSet\)|spanOf|typePointers|\(\*mheap\)|\(\*mcache\)|\(\*mcentral\)|deductSweepCredit|sweepone|\(\*sweepLocked\)|writeHeapBits|newobject|makeslice|growslice|\(\*gcControllerState\)|pageIndexOf|\(\*pageAlloc\)|heapSetType)`)},
	{"Go runtime: goroutine stack growth", regexp.MustCompile(`^runtime\.(newstack|copystack|adjust|pcvalue|step|\(\*unwinder\)|\(\*stkframe\)|funcspdelta|getStackMap|stackalloc|stackfree|findfunc|readvarint|funcInfo|gentraceback|stackpoolalloc|stackcache)`)},
	{"Go runtime: copying memory (`memmove`)", regexp.MustCompile(`^runtime\.memmove`)},
	{"Go runtime: scheduling, channels, timers, locks", regexp.MustCompile(`^(runtime\.|internal/runtime|sync\.|sync/atomic|internal/sync|aeshash|internal/bytealg|time\.)`)},
	{"gRPC server and HTTP/2 framing", regexp.MustCompile(`^(google\.golang\.org/grpc|golang\.org/x/net/http2)`)},
	{"net/http (client to ModelArts; server of the mirror) and grpc-gateway", regexp.MustCompile(`^(net/http|net/textproto|bufio|net\.|internal/poll|net/url|github\.com/grpc-ecosystem)`)},
	{"JSON: protojson's decoder, encoding/json, the facade's vendorjson", regexp.MustCompile(`^(google\.golang\.org/protobuf/(encoding/protojson|internal/encoding/json)|encoding/json|github\.com/devenv-facade/devenv-facade/internal/vendorjson)`)},
	{"protobuf runtime: reflection (used by protojson), binary encoding", regexp.MustCompile(`^(google\.golang\.org/protobuf|reflect\.)`)},
	{"logging (one line per call)", regexp.MustCompile(`^log/slog`)},
	{"context", regexp.MustCompile(`^context\.`)},
	{"the facade's own code (validation, mapping, interceptors, client)", regexp.MustCompile(`^github\.com/devenv-facade`)},
	{"everything else (uuid, crypto/rand, strings, ...)", regexp.MustCompile(`.*`)},
}

// cpuSteps are steps of a call, each a function whose cumulative time
// (with everything it calls) is the step's; their stacks do not nest.
var cpuSteps = []struct {
	name, fn string
}{
	{"reading ModelArts' JSON into the API's messages (`vendorjson.Unmarshal`: code generated for the vendor's messages, unknown fields discarded)", "github.com/devenv-facade/devenv-facade/internal/vendorjson.Unmarshal"},
	{"writing the vendor's JSON (`vendorjson.Marshal`; the mirror's answer)", "github.com/devenv-facade/devenv-facade/internal/vendorjson.Marshal"},
	{"writing the gRPC answer (protobuf, `grpc.encode`)", "google.golang.org/grpc.encode"},
	{"the call to ModelArts (`modelarts.(*Client).send`: request, answer read)", "github.com/devenv-facade/devenv-facade/internal/modelarts.(*Client).send"},
	{"garbage collection in the background (`runtime.gcBgMarkWorker`)", "runtime.gcBgMarkWorker"},
}

var pprofRow = regexp.MustCompile(`^\s*([\d.]+)(ms|s)\s+[\d.]+%\s+[\d.]+%\s+[\d.]+(?:ms|s)?\s+[\d.]+%\s+(.*)$`)

// cpuBreakdown reads a CPU profile with `go tool pprof` and returns the
// share of each category of flat time.
func cpuBreakdown(ctx context.Context, root, profile string) ([]float64, error) {
	cmd := exec.CommandContext(ctx, "go", "tool", "pprof", "-top", "-nodecount=1000000", "-nodefraction=0", "-edgefraction=0", profile)
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go tool pprof %s: %w", profile, err)
	}
	shares := make([]float64, len(cpuCategories))
	total := 0.0
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		m := pprofRow.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		v, _ := strconv.ParseFloat(m[1], 64)
		if m[2] == "ms" {
			v /= 1000
		}
		total += v
		for i, c := range cpuCategories {
			if c.re.MatchString(m[3]) {
				shares[i] += v
				break
			}
		}
	}
	if total == 0 {
		return nil, fmt.Errorf("%s: no samples", profile)
	}
	for i := range shares {
		shares[i] /= total
	}
	return shares, nil
}

var pprofCumRow = regexp.MustCompile(`^\s*[\d.]+(?:ms|s)?\s+[\d.]+%\s+[\d.]+%\s+([\d.]+)(ms|s)\s+[\d.]+%\s+(.*?)(?: \(inline\))?$`)

// stepBreakdown reads a CPU profile with `go tool pprof -cum` and returns
// the share of the whole of each of cpuSteps.
func stepBreakdown(ctx context.Context, root, profile string) ([]float64, error) {
	cmd := exec.CommandContext(ctx, "go", "tool", "pprof", "-top", "-cum", "-nodecount=1000000", "-nodefraction=0", "-edgefraction=0", profile)
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go tool pprof %s: %w", profile, err)
	}
	total := 0.0
	if m := regexp.MustCompile(`Total samples = ([\d.]+)(ms|s)`).FindSubmatch(out); m != nil {
		total, _ = strconv.ParseFloat(string(m[1]), 64)
		if string(m[2]) == "ms" {
			total /= 1000
		}
	}
	if total == 0 {
		return nil, fmt.Errorf("%s: no samples", profile)
	}
	shares := make([]float64, len(cpuSteps))
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		m := pprofCumRow.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		for i, st := range cpuSteps {
			if m[3] == st.fn && shares[i] == 0 {
				v, _ := strconv.ParseFloat(m[1], 64)
				if m[2] == "ms" {
					v /= 1000
				}
				shares[i] = v / total
			}
		}
	}
	return shares, nil
}

// breakdownMarkdown tabulates the CPU profiles of S1 and S2 of each
// operation in dir.
func breakdownMarkdown(ctx context.Context, root, dir string, ops []string) string {
	var cols, stepCols [][]float64
	var names []string
	for _, op := range ops {
		for _, sc := range []string{"S1", "S2"} {
			abs, _ := filepath.Abs(filepath.Join(dir, "facade-"+profileName(sc, op)+"-cpu.pprof"))
			shares, err := cpuBreakdown(ctx, root, abs)
			if err != nil {
				logf("  CPU breakdown of %s %s: %v", op, sc, err)
				continue
			}
			steps, err := stepBreakdown(ctx, root, abs)
			if err != nil {
				logf("  step breakdown of %s %s: %v", op, sc, err)
				steps = make([]float64, len(cpuSteps))
			}
			cols, stepCols, names = append(cols, shares), append(stepCols, steps), append(names, opShort[op]+" "+sc)
		}
	}
	if len(cols) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("## Where the facade's CPU goes\n\nFlat CPU time of the facade's profiles under load, 64 callers, by category (`go tool pprof -top` on `bench/" +
		filepath.Base(dir) + "/facade-<scenario>-<operation>-cpu.pprof`, not committed; `make bench` writes them).\n\n| category | " +
		strings.Join(names, " | ") + " |\n|---|" + strings.Repeat("---:|", len(cols)) + "\n")
	for i, c := range cpuCategories {
		b.WriteString("| " + c.name + " |")
		for _, col := range cols {
			fmt.Fprintf(&b, " %.1f%% |", 100*col[i])
		}
		b.WriteString("\n")
	}
	b.WriteString("\nThe same profiles by step of a call: the CPU time of each step with everything it calls, as a share of the whole (the rest is serving the call: gRPC or HTTP, the interceptors, logging, and the runtime around them).\n\n| step | " +
		strings.Join(names, " | ") + " |\n|---|" + strings.Repeat("---:|", len(cols)) + "\n")
	for i, st := range cpuSteps {
		b.WriteString("| " + st.name + " |")
		for _, col := range stepCols {
			fmt.Fprintf(&b, " %.1f%% |", 100*col[i])
		}
		b.WriteString("\n")
	}
	b.WriteString("\n")
	return b.String()
}
