package logjson

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// gate is an io.Writer whose every Write announces itself on entered and
// waits for proceed, recording what it was given.
type gate struct {
	entered chan []byte
	proceed chan struct{}
	mu      sync.Mutex
	writes  []string
}

func newGate() *gate {
	return &gate{entered: make(chan []byte), proceed: make(chan struct{})}
}

func (g *gate) Write(p []byte) (int, error) {
	g.entered <- bytes.Clone(p)
	<-g.proceed
	g.mu.Lock()
	g.writes = append(g.writes, string(p))
	g.mu.Unlock()
	return len(p), nil
}

// TestGroupWriter_groupsWhileWriting: lines that arrive while a write is
// under way return at once and are written together by the writer, in
// the order they arrived, in its next write.
func TestGroupWriter_groupsWhileWriting(t *testing.T) {
	t.Parallel()
	gt := newGate()
	g := newGroupWriter(gt, 0)
	first := make(chan error)
	go func() { _, err := g.Write([]byte("a\n")); first <- err }()
	if got := string(<-gt.entered); got != "a\n" {
		t.Fatalf("first write %q", got)
	}
	for _, l := range []string{"b\n", "c\n", "d\n"} {
		if _, err := g.Write([]byte(l)); err != nil { // returns while "a" is being written
			t.Fatal(err)
		}
	}
	gt.proceed <- struct{}{}
	if got := string(<-gt.entered); got != "b\nc\nd\n" {
		t.Errorf("second write %q; want the three lines that arrived meanwhile", got)
	}
	gt.proceed <- struct{}{}
	if err := <-first; err != nil {
		t.Fatal(err)
	}
}

// TestGroupWriter_bounded: while a write is under way, lines wait beyond
// maxPending bytes pending, until the write has taken them.
func TestGroupWriter_bounded(t *testing.T) {
	t.Parallel()
	gt := newGate()
	g := newGroupWriter(gt, 0)
	go func() { _, _ = g.Write([]byte("first\n")) }()
	<-gt.entered
	big := []byte(strings.Repeat("x", maxPending-1) + "\n")
	if _, err := g.Write(big); err != nil { // fits: pending was empty
		t.Fatal(err)
	}
	third := make(chan struct{})
	go func() { _, _ = g.Write([]byte("third\n")); close(third) }()
	// third waits (it would take pending past the bound) until the write
	// under way returns and the next takes the pending lines.
	gt.proceed <- struct{}{}
	if got := <-gt.entered; len(got) != maxPending {
		t.Errorf("second write of %d bytes; want the %d pending", len(got), maxPending)
	}
	<-third // now in pending, or written: it returned
	gt.proceed <- struct{}{}
	if got := string(<-gt.entered); got != "third\n" {
		t.Errorf("third write %q", got)
	}
	gt.proceed <- struct{}{}
}

// TestGroupWriter_handsOff: a caller that has written maxRounds times
// for others returns, and a goroutine writes what is left.
func TestGroupWriter_handsOff(t *testing.T) {
	t.Parallel()
	gt := newGate()
	g := newGroupWriter(gt, 0)
	first := make(chan struct{})
	go func() { _, _ = g.Write([]byte("0\n")); close(first) }()
	for i := 1; i <= maxRounds; i++ {
		<-gt.entered
		if _, err := g.Write(fmt.Appendf(nil, "%d\n", i)); err != nil { // pending while a write is under way
			t.Fatal(err)
		}
		gt.proceed <- struct{}{}
	}
	// The first caller made maxRounds writes ("0" .. "7") and handed "8"
	// on.
	<-first
	if got := string(<-gt.entered); got != fmt.Sprintf("%d\n", maxRounds) {
		t.Errorf("the goroutine's write %q", got)
	}
	flushed := make(chan struct{})
	go func() { g.flushed(); close(flushed) }()
	select {
	case <-flushed:
		t.Fatal("flushed returned while the goroutine's write was under way")
	default:
	}
	gt.proceed <- struct{}{}
	<-flushed
}

// TestGroupWriter_orderAndWholeLines: lines from many goroutines at once
// all reach the writer, whole, each goroutine's in its order.
func TestGroupWriter_orderAndWholeLines(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	g := newGroupWriter(&out, 0) // bytes.Buffer is not safe for concurrent use: -race sees a write not serialized
	var wg sync.WaitGroup
	const goroutines, lines = 8, 500
	for i := range goroutines {
		wg.Go(func() {
			for j := range lines {
				_, _ = g.Write(fmt.Appendf(nil, "%d %d\n", i, j))
			}
		})
	}
	wg.Wait()
	g.flushed() // a goroutine handed the last lines may still be writing
	next := make([]int, goroutines)
	got := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	for _, l := range got {
		var i, j int
		if _, err := fmt.Sscanf(l, "%d %d", &i, &j); err != nil || j != next[i] {
			t.Fatalf("line %q (err %v); want goroutine %d's line %d", l, err, i, next[i])
		}
		next[i]++
	}
	if len(got) != goroutines*lines {
		t.Errorf("%d lines; want %d", len(got), goroutines*lines)
	}
}

// recorder is an io.Writer recording each Write.
type recorder struct {
	mu     sync.Mutex
	writes []string
}

func (r *recorder) Write(p []byte) (int, error) {
	r.mu.Lock()
	r.writes = append(r.writes, string(p))
	r.mu.Unlock()
	return len(p), nil
}

func (r *recorder) got() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.writes)
}

// TestGroupWriter_lingerGroups: with a linger, lines that find no write
// under way wait for one another and go out in one write, at flushed at
// the latest; lingerBytes pending are written at once by their caller.
func TestGroupWriter_lingerGroups(t *testing.T) {
	t.Parallel()
	var r recorder
	g := newGroupWriter(&r, time.Hour)
	for _, l := range []string{"a\n", "b\n", "c\n"} {
		if _, err := g.Write([]byte(l)); err != nil {
			t.Fatal(err)
		}
	}
	if got := r.got(); len(got) != 0 {
		t.Fatalf("written before the linger ended: %q", got)
	}
	g.flushed()
	if got := r.got(); !slices.Equal(got, []string{"a\nb\nc\n"}) {
		t.Fatalf("writes %q; want the three lines in one", got)
	}
	g.flushed() // nothing pending: returns

	big := strings.Repeat("x", lingerBytes) + "\n"
	if _, err := g.Write([]byte(big)); err != nil {
		t.Fatal(err)
	}
	if got := r.got(); len(got) != 2 || got[1] != big {
		t.Fatalf("after lingerBytes: %d writes; want the large line written at once", len(got))
	}
}

// TestGroupWriter_lingerTimer: a line that waits for the linger is written
// by the timer, with no flushed: its Write returned at once.
func TestGroupWriter_lingerTimer(t *testing.T) {
	t.Parallel()
	gt := newGate()
	g := newGroupWriter(gt, time.Millisecond)
	if _, err := g.Write([]byte("a\n")); err != nil { // returns: the timer writes
		t.Fatal(err)
	}
	if got := string(<-gt.entered); got != "a\n" {
		t.Fatalf("the timer's write %q", got)
	}
	if _, err := g.Write([]byte("b\n")); err != nil { // pending while the timer's write is under way
		t.Fatal(err)
	}
	gt.proceed <- struct{}{}
	if got := string(<-gt.entered); got != "b\n" {
		t.Fatalf("second write %q; want the line that arrived during the first", got)
	}
	gt.proceed <- struct{}{}
	g.flushed()
}
