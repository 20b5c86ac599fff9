package main

import (
	"fmt"
	"slices"
	"strconv"
)

func fmtRatio(v float64, ok bool) string {
	if !ok {
		return "-"
	}
	return fmt.Sprintf("%.2f", v)
}

// isList reports whether op is one of the lists issue 23 sets targets for.
func isList(op string) bool { return op == opList || op == opListNotebooks }

// proxyCPURatioValue is the proxy of scenario a's CPU per call ÷ that of
// scenario b's, at c callers.
func (r *report) proxyCPURatioValue(op, a, b string, c int) (float64, bool) {
	pa, oka := r.find(op, a, c)
	pb, okb := r.find(op, b, c)
	if !oka || !okb || pa.proxy == nil || pb.proxy == nil {
		return 0, false
	}
	ca, oka := cpuPer1000(pa, pa.proxy)
	cb, okb := cpuPer1000(pb, pb.proxy)
	if !oka || !okb || cb == 0 {
		return 0, false
	}
	return float64(ca) / float64(cb), true
}

// cpuRatio is the proxy's CPU per call ÷ the emulator's per request, in
// one point, or "-".
func (r *report) cpuRatio(op, scenario string, c int) string {
	return fmtRatio(r.cpuRatioValue(op, scenario, c))
}

func (r *report) cpuRatioValue(op, scenario string, c int) (float64, bool) {
	p, ok := r.find(op, scenario, c)
	if !ok || p.proxy == nil {
		return 0, false
	}
	pcpu, okp := cpuPer1000(p, p.proxy)
	ecpu, oke := cpuPer1000(p, r.server("emulator"))
	if !okp || !oke || ecpu == 0 {
		return 0, false
	}
	return float64(pcpu) / float64(ecpu), true
}

// throughputRatio is a's throughput ÷ b's at c callers, or "-".
func (r *report) throughputRatio(op, a, b string, c int) string {
	if v, ok := r.throughputRatioValue(op, a, b, c); ok {
		return fmt.Sprintf("%.2f", v)
	}
	return "-"
}

func (r *report) throughputRatioValue(op, a, b string, c int) (float64, bool) {
	pa, oka := r.find(op, a, c)
	pb, okb := r.find(op, b, c)
	if !oka || !okb || pb.result.throughput() == 0 {
		return 0, false
	}
	return pa.result.throughput() / pb.result.throughput(), true
}

// target is one row of the report's "Ratios and targets": a ratio, its
// bound ("(informative)" for none), and whether it was met. A target of an
// operation the run measured whose scenarios did not all run (-scenarios)
// is listed with the value "-" (not measured) rather than left out, so
// that a run shows every target it was meant to check.
type target struct {
	name, value, target string
	ok                  bool
}

// notMeasured is the value of a target whose ratio the run did not measure.
const notMeasured = "-"

// bound is a target's bound on a ratio: at least or at most limit.
type bound struct {
	atLeast bool
	limit   float64
}

func (b bound) String() string {
	limit := strconv.FormatFloat(b.limit, 'f', -1, 64)
	if b.limit == float64(int(b.limit)) {
		limit = fmt.Sprintf("%.1f", b.limit)
	}
	if b.atLeast {
		return "≥ " + limit
	}
	return "≤ " + limit
}

func (b bound) met(v float64) bool {
	if b.atLeast {
		return v >= b.limit
	}
	return v <= b.limit
}

// checked is the target named name of the ratio v (ok: measured) against b.
func checked(name string, v float64, ok bool, b bound) target {
	if !ok {
		return target{name: name, value: notMeasured, target: b.String()}
	}
	return target{name, fmt.Sprintf("%.2f", v), b.String(), b.met(v)}
}

// informative is the row of the ratio v, with no bound; nothing when it was
// not measured.
func informative(ts []target, name string, v float64, ok bool) []target {
	if !ok {
		return ts
	}
	return append(ts, target{name, fmt.Sprintf("%.2f", v), "(informative)", true})
}

// Issue 23's bounds (ratios within one run, at keyConcurrency callers).
var (
	listOverVanguard = bound{atLeast: true, limit: 1.5}   // List: S1 ÷ S3 throughput
	cpuOverBare      = bound{atLeast: false, limit: 1.15} // S1 ÷ B1 (and Delete's S2 ÷ B2) CPU per call
	mirrorOverGRPC   = bound{atLeast: true, limit: 0.9}   // S2 ÷ S1 throughput
	overVanguard     = bound{atLeast: true, limit: 1.2}   // the older S1 ÷ S3 target of Delete and Get
)

// targets are the report's ratios and targets: issue 23's first
// (ListInstances(100) and ListNotebooks(100): S1 ≥ 1.5× S3's throughput,
// S1's CPU per call ≤ 1.15× B1's, S2 ≥ 0.9× S1's throughput; DeleteInstance:
// S1 ≤ 1.15× B1 and S2 ≤ 1.15× B2 in CPU per call; the facade's peak RSS
// with 10,000 calls in flight), then the older ones it did not replace and
// the informative ratios.
func (r *report) targets() []target {
	var ts []target
	has := func(op string) bool { return slices.Contains(r.cfg.ops, op) }
	keyC := keyConcurrency(r.cfg.concurrency)
	for _, op := range []string{opList, opListNotebooks} {
		if !has(op) {
			continue
		}
		v, ok := r.throughputRatioValue(op, "S1", "S3", keyC)
		ts = append(ts, checked(fmt.Sprintf("%s: facade ÷ vanguard throughput, gRPC (S1 ÷ S3, c=%d)", opShort[op], keyC), v, ok, listOverVanguard))
		v, ok = r.proxyCPURatioValue(op, "S1", "B1", keyC)
		ts = append(ts, checked(fmt.Sprintf("%s: facade CPU per call ÷ bare facade's, gRPC (S1 ÷ B1, c=%d)", opShort[op], keyC), v, ok, cpuOverBare))
		v, ok = r.throughputRatioValue(op, "S2", "S1", keyC)
		ts = append(ts, checked(fmt.Sprintf("%s: mirror ÷ gRPC throughput (S2 ÷ S1, c=%d)", opShort[op], keyC), v, ok, mirrorOverGRPC))
	}
	if has(opDelete) {
		v, ok := r.proxyCPURatioValue(opDelete, "S1", "B1", keyC)
		ts = append(ts, checked(fmt.Sprintf("Delete: facade CPU per call ÷ bare facade's, gRPC (S1 ÷ B1, c=%d)", keyC), v, ok, cpuOverBare))
		v, ok = r.proxyCPURatioValue(opDelete, "S2", "B2", keyC)
		ts = append(ts, checked(fmt.Sprintf("Delete: facade CPU per call ÷ bare facade's, mirror (S2 ÷ B2, c=%d)", keyC), v, ok, cpuOverBare))
	}

	// The older targets issue 23 left, and the informative ratios.
	for _, op := range r.cfg.ops {
		for _, c := range r.cfg.concurrency {
			if isList(op) && c == keyC || op == opDelete && c == keyC {
				continue // a target above
			}
			v, ok := r.proxyCPURatioValue(op, "S1", "B1", c)
			ts = informative(ts, fmt.Sprintf("%s: facade CPU per call ÷ bare facade's, gRPC (S1 ÷ B1, c=%d)", opShort[op], c), v, ok)
		}
		if op != opDelete {
			v, ok := r.proxyCPURatioValue(op, "S2", "B2", keyC)
			ts = informative(ts, fmt.Sprintf("%s: facade CPU per call ÷ bare facade's, mirror (S2 ÷ B2, c=%d)", opShort[op], keyC), v, ok)
		}
		v, ok := r.throughputRatioValue(op, "S1", "B1", keyC)
		ts = informative(ts, fmt.Sprintf("%s: facade ÷ bare facade throughput, gRPC (S1 ÷ B1, c=%d)", opShort[op], keyC), v, ok)
	}
	if has(opDelete) {
		for _, c := range r.cfg.concurrency {
			if v, ok := r.cpuRatioValue(opDelete, "S1", c); ok {
				ts = append(ts, checked(fmt.Sprintf("Delete: facade CPU per call ÷ emulator CPU per request (S1, c=%d)", c), v, ok, bound{limit: 2.0}))
			}
		}
		for _, c := range r.cfg.concurrency {
			if v, ok := r.throughputRatioValue(opDelete, "S1", "S3", c); ok && c == keyC {
				ts = append(ts, checked(fmt.Sprintf("Delete: S1 ÷ S3 throughput (c=%d)", c), v, ok, overVanguard))
			}
			if v, ok := r.throughputRatioValue(opDelete, "S2", "S1", c); ok {
				if c == keyC {
					ts = append(ts, checked(fmt.Sprintf("Delete: S2 ÷ S1 throughput (c=%d)", c), v, ok, mirrorOverGRPC))
				} else {
					ts = informative(ts, fmt.Sprintf("Delete: S2 ÷ S1 throughput (c=%d)", c), v, ok)
				}
			}
		}
		v, ok := r.throughputRatioValue(opDelete, "B2", "B1", keyC)
		ts = informative(ts, fmt.Sprintf("Delete: bare facade's mirror ÷ its gRPC throughput (B2 ÷ B1, c=%d)", keyC), v, ok)
	}
	// GetInstance keeps the older S1 ÷ S3 ≥ 1.2 at every concurrency, and
	// ListInstances at the concurrencies other than issue 23's; the rest of
	// the reads' ratios are informative.
	for _, op := range []string{opGet, opList, opGetNotebook, opListNotebooks} {
		if !has(op) {
			continue
		}
		for _, c := range r.cfg.concurrency {
			if isList(op) && c == keyC {
				continue // a target above
			}
			v, ok := r.throughputRatioValue(op, "S1", "S3", c)
			name := fmt.Sprintf("%s: S1 ÷ S3 throughput (c=%d)", opShort[op], c)
			if ok && (op == opGet || op == opList) {
				ts = append(ts, checked(name, v, ok, overVanguard))
			} else {
				ts = informative(ts, name, v, ok)
			}
		}
		if !isList(op) {
			v, ok := r.throughputRatioValue(op, "S2", "S1", keyC)
			ts = informative(ts, fmt.Sprintf("%s: S2 ÷ S1 throughput (c=%d)", opShort[op], keyC), v, ok)
		}
		for _, sc := range []string{"S1", "S2"} {
			v, ok := r.cpuRatioValue(op, sc, keyC)
			ts = informative(ts, fmt.Sprintf("%s: facade CPU per call ÷ emulator CPU per request (%s, c=%d)", opShort[op], sc, keyC), v, ok)
		}
	}
	if s1, ok := r.find(opDelete, "S1", keyC); ok {
		base, _ := cpuPer1000(s1, s1.proxy)
		for _, o := range []struct{ id, name string }{{"O1", "metrics"}, {"O2", "exported tracing"}} {
			p, ok := r.find(opDelete, o.id, keyC)
			if !ok {
				continue
			}
			cpu, _ := cpuPer1000(p, p.proxy)
			if o.id == "O1" {
				v := float64(base)/float64(cpu) - 1
				ts = append(ts, target{fmt.Sprintf("Delete: CPU per call of metrics (S1 ÷ O1 − 1, c=%d)", keyC), fmt.Sprintf("%+.1f%%", 100*v), "< 5%", v < 0.05})
			} else {
				v := float64(cpu)/float64(base) - 1
				ts = append(ts, target{fmt.Sprintf("Delete: CPU per call of exporting every span (O2 ÷ S1 − 1, c=%d)", keyC), fmt.Sprintf("%+.1f%%", 100*v), "(informative)", true})
			}
		}
	}
	if f := r.s4Floor.throughput(); f > 0 {
		if b := r.s4Bare.throughput(); b > 0 {
			v := r.s4Facade.throughput() / b
			ts = append(ts, target{"S4 facade ÷ S4-bare throughput", fmt.Sprintf("%.3f", v), "≥ 0.95", v >= 0.95})
		}
		v := r.s4Facade.throughput() / f
		ts = append(ts, target{"S4 facade ÷ S4-floor throughput", fmt.Sprintf("%.3f", v), "≥ 0.97", v >= 0.97})
		bound := float64(r.cfg.s4Callers * 10)
		ts = append(ts, target{"S4-floor ÷ bound", fmt.Sprintf("%.3f", f/bound), "(informative)", true})
		ts = append(ts, target{"S4 facade ÷ bound", fmt.Sprintf("%.3f", r.s4Facade.throughput()/bound), "(informative)", true})
		if b := r.s4Bare.throughput(); b > 0 {
			ts = append(ts, target{"S4-bare ÷ bound", fmt.Sprintf("%.3f", b/bound), "(informative)", true})
		}
	}
	if r.s4InFlightRSS > 0 {
		rss := float64(r.s4InFlightRSS) / (1 << 20)
		ts = append(ts, target{fmt.Sprintf("facade peak RSS, %d in flight, %s to the emulator", r.cfg.s4InFlight, r.s4InFlightName), fmt.Sprintf("%.0f MiB", rss), "< 512 MiB", rss < 512})
	}
	return ts
}
