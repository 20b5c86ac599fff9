package server

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/tap"
)

func (r *streams) count() (all, pending int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.all), r.pending
}

// TestStreams_finish: a stream whose handler returns is forgotten at once,
// without waiting for its context to end; one that never reaches a
// handler is forgotten when its context ends.
func TestStreams_finish(t *testing.T) {
	r := newStreams(time.Minute, 10, 10)
	info := &tap.Info{FullMethodName: "/modelarts.devenv.v1.DevEnvService/GetInstance", Header: metadata.MD{}}

	parent, end := context.WithCancel(t.Context())
	defer end()
	ctx, err := r.tap(parent, info, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	s := streamFrom(ctx)
	if !r.activate(s) {
		t.Fatal("activate refused a registered stream")
	}
	r.finish(s)
	if all, pending := r.count(); all != 0 || pending != 0 {
		t.Fatalf("after finish: %d streams, %d pending; want none", all, pending)
	}
	end() // the stream ends later: nothing left to do
	r.finish(s)
	if all, pending := r.count(); all != 0 || pending != 0 {
		t.Fatalf("after the end: %d streams, %d pending; want none", all, pending)
	}

	// A stream reset before its request arrived: no handler runs, and the
	// function its context's end starts forgets it (synctest.Wait waits
	// for that goroutine).
	synctest.Test(t, func(t *testing.T) {
		parent2, end2 := context.WithCancel(t.Context())
		defer end2()
		if _, err := r.tap(parent2, info, time.Now()); err != nil {
			t.Fatal(err)
		}
		if all, pending := r.count(); all != 1 || pending != 1 {
			t.Fatalf("a new stream: %d streams, %d pending; want 1 and 1", all, pending)
		}
		end2()
		synctest.Wait()
		if all, pending := r.count(); all != 0 || pending != 0 {
			t.Fatalf("a stream that ended without a handler: %d streams, %d pending; want none", all, pending)
		}
	})
}
