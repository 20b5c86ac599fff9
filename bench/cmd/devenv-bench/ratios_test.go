package main

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// countingDriver's callers count the calls made and in flight; each call
// takes a little while, so that callers overlap.
type countingDriver struct{ made, inFlight, maxInFlight atomic.Int64 }

func (d *countingDriver) caller(int) caller {
	return func(ctx context.Context, n int64) error {
		in := d.inFlight.Add(1)
		for {
			m := d.maxInFlight.Load()
			if in <= m || d.maxInFlight.CompareAndSwap(m, in) {
				break
			}
		}
		time.Sleep(time.Millisecond)
		d.made.Add(1)
		d.inFlight.Add(-1)
		if n%5 == 0 {
			return errors.New("every fifth call fails")
		}
		return nil
	}
}

func (d *countingDriver) close() {}

// TestDriveCalls: the allocation window's calls are exactly those asked
// for, spread over the callers, and all have ended when driveCalls
// returns (so the profile taken then sees all of them, and no other).
func TestDriveCalls(t *testing.T) {
	d := &countingDriver{}
	r := driveCalls(d, 4, 10)
	if got := d.made.Load(); got != 10 || r.calls != 10 || len(r.lat) != 10 {
		t.Errorf("driveCalls made %d calls, counted %d (%d latencies); want 10", got, r.calls, len(r.lat))
	}
	if d.inFlight.Load() != 0 {
		t.Errorf("%d calls in flight after driveCalls", d.inFlight.Load())
	}
	if d.maxInFlight.Load() < 2 || d.maxInFlight.Load() > 4 {
		t.Errorf("at most %d calls in flight; want 2 to 4 callers at work", d.maxInFlight.Load())
	}
	if r.errors == 0 || r.firstErr == nil {
		t.Errorf("errors %d, first %v; want the failed calls counted", r.errors, r.firstErr)
	}
}

// TestTargets: issue 23's targets head the table, each checked against
// its bound, and those whose scenarios did not run are listed as not
// measured rather than left out.
func TestTargets(t *testing.T) {
	fac, bare := &server{name: "facade"}, &server{name: "bare facade"}
	pt := func(op, sc string, calls int, proxy *server, cpu time.Duration) point {
		return point{op: op, scenario: sc, proxy: proxy, concurrency: 64,
			result: result{calls: calls, elapsed: time.Second}, usage: map[*server]usage{proxy: {cpu: cpu}}}
	}
	r := &report{cfg: config{ops: []string{opList, opListNotebooks, opDelete}, concurrency: []int{1, 64}}, points: []point{
		pt(opList, "S1", 300, fac, 3*time.Second), pt(opList, "S3", 150, fac, time.Second), pt(opList, "B1", 300, bare, 2*time.Second),
		pt(opList, "S2", 280, fac, time.Second),
		pt(opDelete, "S1", 1000, fac, 1100*time.Millisecond), pt(opDelete, "B1", 1000, bare, time.Second),
	}}
	got := map[string]target{}
	var order []string
	for _, tg := range r.targets() {
		got[tg.name] = tg
		order = append(order, tg.name)
	}
	want := []struct {
		name, value, bound string
		ok                 bool
	}{
		{"List-100: facade ÷ vanguard throughput, gRPC (S1 ÷ S3, c=64)", "2.00", "≥ 1.5", true},
		{"List-100: facade CPU per call ÷ bare facade's, gRPC (S1 ÷ B1, c=64)", "1.50", "≤ 1.15", false},
		{"List-100: mirror ÷ gRPC throughput (S2 ÷ S1, c=64)", "0.93", "≥ 0.9", true},
		{"ListNotebooks-100: facade ÷ vanguard throughput, gRPC (S1 ÷ S3, c=64)", notMeasured, "≥ 1.5", false},
		{"Delete: facade CPU per call ÷ bare facade's, gRPC (S1 ÷ B1, c=64)", "1.10", "≤ 1.15", true},
		{"Delete: facade CPU per call ÷ bare facade's, mirror (S2 ÷ B2, c=64)", notMeasured, "≤ 1.15", false},
	}
	for i, w := range want {
		g, ok := got[w.name]
		if !ok {
			t.Errorf("no target %q in %s", w.name, strings.Join(order, "; "))
			continue
		}
		if g.value != w.value || g.target != w.bound || g.ok != w.ok {
			t.Errorf("%s = %s (%s, met %v); want %s (%s, met %v)", w.name, g.value, g.target, g.ok, w.value, w.bound, w.ok)
		}
		if i < 3 && order[i] != w.name {
			t.Errorf("target %d is %q; want %q first", i, order[i], w.name)
		}
	}
}
