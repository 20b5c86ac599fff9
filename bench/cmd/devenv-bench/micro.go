package main

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"os/exec"
	"regexp"
	"strings"
)

// microResult is one line of `go test -bench` output.
type microResult struct {
	pkg, name                      string
	nsPerOp, bytesPerOp, allocsPer string
}

var benchLine = regexp.MustCompile(`^(Benchmark\S+?)(?:-\d+)?\s+\d+\s+([\d.]+) ns/op(?:\s+[\d.]+ MB/s)?\s+([\d.]+) B/op\s+([\d.]+) allocs/op`)

// microPackages are the facade's packages with benchmarks:
// internal/server's BenchmarkObservability (metrics and tracing, per
// call) and internal/telemetry's BenchmarkTracingOff (the tracing handler
// without an exporter) among them.
var microPackages = []string{"./internal/modelarts", "./internal/vendorjson", "./service", "./internal/server", "./internal/telemetry"}

// microBenchmarks runs the Go benchmarks of the facade's packages.
func microBenchmarks(ctx context.Context, root string, smoke bool) ([]microResult, error) {
	benchtime := "1s"
	if smoke {
		benchtime = "100ms"
	}
	args := append([]string{"test", "-run", "^$", "-bench", ".", "-benchmem", "-benchtime", benchtime}, microPackages...)
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir, cmd.Stderr = root, os.Stderr
	out, err := cmd.Output()
	if err != nil {
		os.Stderr.Write(out)
		return nil, err
	}
	var res []microResult
	var pkg string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		if rest, ok := strings.CutPrefix(line, "pkg: "); ok {
			pkg = strings.TrimPrefix(rest, "github.com/devenv-facade/devenv-facade/")
		}
		if m := benchLine.FindStringSubmatch(line); m != nil {
			res = append(res, microResult{pkg: pkg, name: m[1], nsPerOp: m[2], bytesPerOp: m[3], allocsPer: m[4]})
		}
	}
	return res, nil
}
