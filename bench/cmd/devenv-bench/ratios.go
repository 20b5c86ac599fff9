package main

import (
	"fmt"
	"slices"
)

func fmtRatio(v float64, ok bool) string {
	if !ok {
		return "-"
	}
	return fmt.Sprintf("%.2f", v)
}

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

type target struct {
	name, value, target string
	ok                  bool
}

func (r *report) targets() []target {
	var ts []target
	has := func(op string) bool { return slices.Contains(r.cfg.ops, op) }
	keyC := keyConcurrency(r.cfg.concurrency)
	for _, op := range r.cfg.ops {
		for _, c := range r.cfg.concurrency {
			if v, ok := r.proxyCPURatioValue(op, "S1", "B1", c); ok {
				tgt, met := "(informative)", true
				if op == opDelete && c == keyC {
					tgt, met = "≤ 1.10", v <= 1.10
				}
				ts = append(ts, target{fmt.Sprintf("%s: facade CPU per call ÷ bare facade's, gRPC (S1 ÷ B1, c=%d)", opShort[op], c), fmt.Sprintf("%.2f", v), tgt, met})
			}
		}
		if v, ok := r.proxyCPURatioValue(op, "S2", "B2", keyC); ok {
			ts = append(ts, target{fmt.Sprintf("%s: facade CPU per call ÷ bare facade's, mirror (S2 ÷ B2, c=%d)", opShort[op], keyC), fmt.Sprintf("%.2f", v), "(informative)", true})
		}
		if v, ok := r.throughputRatioValue(op, "S1", "B1", keyC); ok {
			ts = append(ts, target{fmt.Sprintf("%s: facade ÷ bare facade throughput, gRPC (S1 ÷ B1, c=%d)", opShort[op], keyC), fmt.Sprintf("%.2f", v), "(informative)", true})
		}
	}
	if has(opDelete) {
		for _, c := range r.cfg.concurrency {
			if v, ok := r.cpuRatioValue(opDelete, "S1", c); ok {
				ts = append(ts, target{fmt.Sprintf("Delete: facade CPU per call ÷ emulator CPU per request (S1, c=%d)", c), fmt.Sprintf("%.2f", v), "≤ 2.0", v <= 2.0})
			}
		}
		for _, c := range r.cfg.concurrency {
			if v, ok := r.throughputRatioValue(opDelete, "S1", "S3", c); ok && c == keyC {
				ts = append(ts, target{fmt.Sprintf("Delete: S1 ÷ S3 throughput (c=%d)", c), fmt.Sprintf("%.2f", v), "≥ 1.2", v >= 1.2})
			}
			if v, ok := r.throughputRatioValue(opDelete, "S2", "S1", c); ok {
				tgt, met := "≥ 0.9", v >= 0.9
				if c != keyC {
					tgt, met = "(informative)", true
				}
				ts = append(ts, target{fmt.Sprintf("Delete: S2 ÷ S1 throughput (c=%d)", c), fmt.Sprintf("%.2f", v), tgt, met})
			}
		}
		if v, ok := r.throughputRatioValue(opDelete, "B2", "B1", keyC); ok {
			ts = append(ts, target{fmt.Sprintf("Delete: bare facade's mirror ÷ its gRPC throughput (B2 ÷ B1, c=%d)", keyC), fmt.Sprintf("%.2f", v), "(informative)", true})
		}
	}
	// The reads of the new API (GetNotebook, ListNotebooks) have no targets
	// of their own yet: their ratios are informative.
	for _, op := range []string{opGet, opList, opGetNotebook, opListNotebooks} {
		if !has(op) {
			continue
		}
		for _, c := range r.cfg.concurrency {
			if v, ok := r.throughputRatioValue(op, "S1", "S3", c); ok {
				tgt, met := "≥ 1.2", v >= 1.2
				if op == opGetNotebook || op == opListNotebooks {
					tgt, met = "(informative)", true
				}
				ts = append(ts, target{fmt.Sprintf("%s: S1 ÷ S3 throughput (c=%d)", opShort[op], c), fmt.Sprintf("%.2f", v), tgt, met})
			}
		}
		if v, ok := r.throughputRatioValue(op, "S2", "S1", keyC); ok {
			tgt, met := "(informative)", true
			if op == opList {
				tgt, met = "≥ 0.9", v >= 0.9
			}
			ts = append(ts, target{fmt.Sprintf("%s: S2 ÷ S1 throughput (c=%d)", opShort[op], keyC), fmt.Sprintf("%.2f", v), tgt, met})
		}
		for _, sc := range []string{"S1", "S2"} {
			if v, ok := r.cpuRatioValue(op, sc, keyC); ok {
				ts = append(ts, target{fmt.Sprintf("%s: facade CPU per call ÷ emulator CPU per request (%s, c=%d)", opShort[op], sc, keyC), fmt.Sprintf("%.2f", v), "(informative)", true})
			}
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
		ts = append(ts, target{fmt.Sprintf("facade peak RSS, %d in flight", r.cfg.s4InFlight), fmt.Sprintf("%.0f MiB", rss), "< 512 MiB", rss < 512})
	}
	return ts
}
