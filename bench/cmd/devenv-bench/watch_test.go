package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"
)

func TestIsNotebookList(t *testing.T) {
	for _, tc := range []struct {
		path string
		want bool
	}{
		{"/v1/" + watchProject + "/notebooks", true},
		{"/v1/p/notebooks", true},
		{"/v1/" + watchProject + "/notebooks/", false},
		{"/v1/" + watchProject + "/notebooks/all", false},
		{"/v1/" + watchProject + "/notebooks/f9937afa/stop", false},
		{"/v1/" + watchProject + "/demanager/instances", false},
		{"/v1//notebooks", false},
		{"/v2/" + watchProject + "/notebooks", false},
		{"/emulator/faults", false},
	} {
		if got := isNotebookList(tc.path); got != tc.want {
			t.Errorf("isNotebookList(%q) = %v; want %v", tc.path, got, tc.want)
		}
	}
}

// TestCountingProxy: requests through the proxy reach the upstream and are
// counted, the notebook lists apart, with the time each list ended.
func TestCountingProxy(t *testing.T) {
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, r.Method+" "+r.URL.Path)
	}))
	defer upstream.Close()
	p, err := startCountingProxy(upstream.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer p.close()
	client := &http.Client{Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()
	send := func(method, path string) {
		t.Helper()
		req, _ := http.NewRequest(method, p.url()+path, nil)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if want := method + " " + path; string(b) != want {
			t.Fatalf("%s %s through the proxy answered %q; want %q", method, path, b, want)
		}
	}
	before := time.Now()
	send(http.MethodGet, "/v1/"+watchProject+"/notebooks")
	send(http.MethodPost, "/v1/"+watchProject+"/notebooks")
	send(http.MethodGet, "/v1/"+watchProject+"/notebooks/x")
	send(http.MethodGet, "/v1/"+watchProject+"/notebooks")
	after := time.Now()
	if lists, all := p.counts(); lists != 2 || all != 4 {
		t.Errorf("counts() = %d lists, %d in all; want 2, 4", lists, all)
	}
	end, ok := p.lastListEndBefore(after)
	if !ok || end.Before(before) || end.After(after) {
		t.Errorf("lastListEndBefore(after the requests) = %v, %v; want a time between %v and %v", end, ok, before, after)
	}
	if _, ok := p.lastListEndBefore(before); ok {
		t.Error("lastListEndBefore(before any request) found a list")
	}
}

// TestMeasureLatencies: each change is matched with each watcher's first
// event carrying the notebook in its new status at or after the change;
// an event of the same notebook in another status, or before the change,
// does not count, and a watcher without one is counted as missed.
func TestMeasureLatencies(t *testing.T) {
	t0 := time.Date(2026, 12, 6, 17, 0, 0, 0, time.UTC)
	ms := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Millisecond) }
	changes := []change{
		{id: "a", status: "STOPPED", at: ms(0)},
		{id: "b", status: "STOPPED", at: ms(3000)},
	}
	events := [][]watchEvent{
		{ // sees both
			{id: "a", status: "STOPPED", at: ms(1500)},
			{id: "b", status: "STOPPED", at: ms(4100)},
		},
		{ // a stale event of b before its change, then both
			{id: "b", status: "STOPPED", at: ms(100)},
			{id: "a", status: "RUNNING", at: ms(1200)},
			{id: "a", status: "STOPPED", at: ms(1520)},
			{id: "b", status: "STOPPED", at: ms(4150)},
		},
		{ // misses b
			{id: "a", status: "STOPPED", at: ms(1510)},
		},
	}
	p := &countingProxy{listEnds: []time.Time{ms(-500), ms(1490), ms(3490), ms(4090)}}
	l := measureLatencies(changes, events, p)
	d := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	want := latencies{
		changes:     2,
		arrivals:    []time.Duration{d(1100), d(1150), d(1500), d(1510), d(1520)},
		missed:      1,
		pollToFirst: []time.Duration{d(10), d(10)},
		pollToLast:  []time.Duration{d(30), d(60)},
		fanout:      []time.Duration{d(20), d(50)},
	}
	if l.changes != want.changes || l.missed != want.missed || !slices.Equal(l.arrivals, want.arrivals) ||
		!slices.Equal(l.pollToFirst, want.pollToFirst) || !slices.Equal(l.pollToLast, want.pollToLast) || !slices.Equal(l.fanout, want.fanout) {
		t.Errorf("measureLatencies = %+v;\nwant %+v", l, want)
	}
	if got := pct(l.arrivals, 50); got != d(1500) {
		t.Errorf("p50 = %v; want 1.5s", got)
	}
	if got := pct(l.arrivals, 100); got != d(1520) {
		t.Errorf("max = %v; want 1.52s", got)
	}
}
