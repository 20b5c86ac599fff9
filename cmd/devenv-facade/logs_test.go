package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/devenv-facade/devenv-facade/internal/logbuf"
)

// TestRun_logsDurationsInMilliseconds: every duration in the JSON log is a
// number of milliseconds under a key ending in _ms (slog would write a
// time.Duration as nanoseconds: "grace":20000000000).
func TestRun_logsDurationsInMilliseconds(t *testing.T) {
	t.Parallel()
	var logs logbuf.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0", "--admin-addr", "",
			"--log-format", "json", "--shutdown-grace", "3s"}, noEnv, &logs, &logs)
	}()
	waitForServing(t, &logs)
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run: %v", err)
	}
	lines := map[string]map[string]any{}
	for l := range strings.Lines(logs.String()) {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("a log line is not JSON: %v\n%s", err, l)
		}
		lines[m["msg"].(string)] = m
	}
	if got := lines["shutting down"]["grace_ms"]; got != 3000.0 {
		t.Errorf(`"shutting down" has grace_ms %v; want 3000: %v`, got, lines["shutting down"])
	}
	if got, ok := lines["stopped"]["shutdown_ms"].(float64); !ok || got < 0 || got > 3000 {
		t.Errorf(`"stopped" has shutdown_ms %v; want the milliseconds the shutdown took: %v`, lines["stopped"]["shutdown_ms"], lines["stopped"])
	}
	for msg, m := range lines {
		for k := range m {
			if k == "grace" || k == "shutdown" {
				t.Errorf("%q has a duration %s without its unit: %v", msg, k, m)
			}
		}
	}
}

// TestNewLogger_durationsInMilliseconds: a duration logged some other way
// (slog.Duration, slog.Any) still comes out in milliseconds under a key
// naming the unit, in JSON and text alike.
func TestNewLogger_durationsInMilliseconds(t *testing.T) {
	t.Parallel()
	for _, format := range []string{"json", "text"} {
		var out strings.Builder
		logger, err := newLogger(&out, "info", format)
		if err != nil {
			t.Fatal(err)
		}
		logger.Info("x", slog.Duration("grace", 20*time.Second), slog.Any("wait", 1500*time.Microsecond),
			slog.Group("g", slog.Duration("took", time.Millisecond)))
		if f, ok := logger.Handler().(interface{ Flush() }); ok {
			f.Flush() // JSON lines wait for others (logLinger) until flushed
		}
		want := map[string][]string{
			"json": {`"grace_ms":20000`, `"wait_ms":1.5`, `"g":{"took_ms":1}`},
			"text": {"grace_ms=20000", "wait_ms=1.5", "g.took_ms=1"},
		}[format]
		for _, w := range want {
			if !strings.Contains(out.String(), w) {
				t.Errorf("%s: %s lacks %s", format, out.String(), w)
			}
		}
	}
}
