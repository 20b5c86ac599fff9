package logbuf_test

import (
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/devenv-facade/devenv-facade/internal/logbuf"
)

func TestWaitFor(t *testing.T) {
	t.Parallel()
	var b logbuf.Buffer
	got := make(chan string, 1)
	go func() {
		line, err := b.WaitFor(context.Background(), "ready", "addr=")
		if err != nil {
			t.Error(err)
		}
		got <- line
	}()
	_, _ = io.WriteString(&b, "starting\nready but no address\n")
	_, _ = io.WriteString(&b, "ready addr=1.2.3.4")
	_, _ = io.WriteString(&b, ":5\n")
	if line := <-got; line != "ready addr=1.2.3.4:5" {
		t.Errorf("WaitFor = %q", line)
	}
}

func TestWaitFor_contextEnds(t *testing.T) {
	t.Parallel()
	var b logbuf.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if _, err := b.WaitFor(ctx, "never"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("WaitFor = %v; want the context's error", err)
	}
}
