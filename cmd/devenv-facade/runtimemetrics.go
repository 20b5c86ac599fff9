package main

import (
	"fmt"
	"net/http"
	"runtime/metrics"
	"strings"
)

// serveRuntimeMetrics answers GET /debug/runtime-metrics with every scalar
// metric of package runtime/metrics, one "name value" line each: where the memory is (/memory/classes/...: heap objects, goroutine
// stacks, runtime metadata), the GC's goal and limit (/gc/heap/goal:bytes,
// /gc/gomemlimit:bytes), the goroutines (/sched/goroutines:goroutines).
// Unlike runtime.ReadMemStats it does not stop the world. Histograms are
// left out.
func serveRuntimeMetrics(w http.ResponseWriter, _ *http.Request) {
	descs := metrics.All()
	samples := make([]metrics.Sample, 0, len(descs))
	for _, d := range descs {
		if d.Kind == metrics.KindUint64 || d.Kind == metrics.KindFloat64 {
			samples = append(samples, metrics.Sample{Name: d.Name})
		}
	}
	metrics.Read(samples)
	var b strings.Builder
	for _, s := range samples {
		switch s.Value.Kind() {
		case metrics.KindUint64:
			fmt.Fprintf(&b, "%s %d\n", s.Name, s.Value.Uint64())
		case metrics.KindFloat64:
			fmt.Fprintf(&b, "%s %g\n", s.Name, s.Value.Float64())
		}
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte(b.String()))
}
