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
	{"Go runtime: scheduling, channels, timers, locks", regexp.MustCompile(`^(runtime\.|internal/runtime|sync\.|sync/atomic|internal/sync|aeshash|internal/bytealg|time\.)`)},
	{"gRPC server and HTTP/2 framing", regexp.MustCompile(`^(google\.golang\.org/grpc|golang\.org/x/net/http2)`)},
	{"net/http (client to ModelArts; server of the mirror) and grpc-gateway", regexp.MustCompile(`^(net/http|net/textproto|bufio|net\.|internal/poll|net/url|github\.com/grpc-ecosystem)`)},
	{"protobuf and JSON encoding", regexp.MustCompile(`^(google\.golang\.org/protobuf|encoding/json)`)},
	{"logging (one line per call)", regexp.MustCompile(`^log/slog`)},
	{"context", regexp.MustCompile(`^context\.`)},
	{"the facade's own code (validation, mapping, interceptors, client)", regexp.MustCompile(`^github\.com/devenv-facade`)},
	{"everything else (uuid, crypto/rand, strings, ...)", regexp.MustCompile(`.*`)},
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

// breakdownMarkdown tabulates the CPU profiles of S1 and S2 in dir.
func breakdownMarkdown(ctx context.Context, root, dir string) string {
	var cols [][]float64
	var names []string
	for _, sc := range []string{"S1", "S2"} {
		abs, _ := filepath.Abs(filepath.Join(dir, "facade-"+sc+"-cpu.pprof"))
		shares, err := cpuBreakdown(ctx, root, abs)
		if err != nil {
			logf("  CPU breakdown of %s: %v", sc, err)
			continue
		}
		cols, names = append(cols, shares), append(names, sc+" (c=64)")
	}
	if len(cols) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("## Where the facade's CPU goes\n\nFlat CPU time of the facade's profiles under load, by category (`go tool pprof -top` on `bench/" +
		filepath.Base(dir) + "/facade-S1-cpu.pprof` and `...-S2-...`, not committed; `make bench` writes them).\n\n| category | " +
		strings.Join(names, " | ") + " |\n|---|" + strings.Repeat("---:|", len(cols)) + "\n")
	for i, c := range cpuCategories {
		b.WriteString("| " + c.name + " |")
		for _, col := range cols {
			fmt.Fprintf(&b, " %.1f%% |", 100*col[i])
		}
		b.WriteString("\n")
	}
	b.WriteString("\n")
	return b.String()
}
