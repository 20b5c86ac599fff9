// Package logbuf provides a buffer that several goroutines may write to at
// once, for tests that capture log output while servers run, and that can
// wait for a line to appear without polling.
package logbuf

import (
	"bytes"
	"context"
	"strings"
	"sync"
)

// Buffer is a bytes.Buffer guarded by a mutex. The zero value is ready.
type Buffer struct {
	mu      sync.Mutex
	b       bytes.Buffer
	written chan struct{} // closed and replaced on every write
}

// Write appends p, as [io.Writer] requires, and wakes [Buffer.WaitFor].
func (s *Buffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.written != nil {
		close(s.written)
		s.written = nil
	}
	return s.b.Write(p)
}

// String returns everything written so far.
func (s *Buffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// WaitFor returns the first complete line that contains every one of subs,
// waiting for writes until there is one or ctx is done (then it returns
// ctx's error).
func (s *Buffer) WaitFor(ctx context.Context, subs ...string) (string, error) {
	for {
		s.mu.Lock()
		line, ok := findLine(s.b.String(), subs)
		if s.written == nil {
			s.written = make(chan struct{})
		}
		written := s.written
		s.mu.Unlock()
		if ok {
			return line, nil
		}
		select {
		case <-written:
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
}

func findLine(text string, subs []string) (string, bool) {
	for line := range strings.Lines(text) {
		if !strings.HasSuffix(line, "\n") {
			break // incomplete
		}
		all := true
		for _, sub := range subs {
			if !strings.Contains(line, sub) {
				all = false
				break
			}
		}
		if all {
			return strings.TrimSuffix(line, "\n"), true
		}
	}
	return "", false
}
