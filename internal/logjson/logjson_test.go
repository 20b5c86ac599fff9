package logjson_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"math"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/devenv-facade/devenv-facade/internal/logjson"
)

// same logs r with a Handler and with slog's JSON handler of the same
// options and reports a difference.
func same(t *testing.T, millis bool, r slog.Record) {
	t.Helper()
	var got, want bytes.Buffer
	h := logjson.NewHandler(&got, logjson.Options{Level: slog.LevelDebug - 10, DurationsInMillis: millis})
	so := &slog.HandlerOptions{Level: slog.LevelDebug - 10}
	if millis {
		so.ReplaceAttr = logjson.DurationsInMillis
	}
	if err := h.Handle(context.Background(), r.Clone()); err != nil {
		t.Fatal(err)
	}
	if err := slog.NewJSONHandler(&want, so).Handle(context.Background(), r.Clone()); err != nil {
		t.Fatal(err)
	}
	if got.String() != want.String() {
		t.Errorf("millis %v:\n got %s\nwant %s", millis, got.String(), want.String())
	}
	// HandleAttrs, given the record's parts, writes the same line.
	var attrs []slog.Attr
	r.Attrs(func(a slog.Attr) bool { attrs = append(attrs, a); return true })
	var parts bytes.Buffer
	h = logjson.NewHandler(&parts, logjson.Options{Level: slog.LevelDebug - 10, DurationsInMillis: millis})
	if err := h.HandleAttrs(context.Background(), r.Time, r.Level, r.Message, attrs); err != nil {
		t.Fatal(err)
	}
	if parts.String() != want.String() {
		t.Errorf("HandleAttrs, millis %v:\n got %s\nwant %s", millis, parts.String(), want.String())
	}
}

var when = time.Date(2026, 12, 6, 19, 30, 1, 123456789, time.UTC)

// TestHandler_writesWhatSlogWrites: records of every kind, the call's
// line among them, are written byte for byte as slog's JSON handler
// writes them, with and without durations in milliseconds.
func TestHandler_writesWhatSlogWrites(t *testing.T) {
	t.Parallel()
	type group = []slog.Attr
	records := map[string]struct {
		t     time.Time
		level slog.Level
		msg   string
		attrs group
	}{
		"call": {when, slog.LevelInfo, "rpc", group{slog.String("method", "/modelarts.devenv.v1.DevEnvService/DeleteInstance"),
			slog.String("protocol", "grpc"), slog.String("code", "OK"), slog.Float64("duration_ms", 0.512),
			slog.String("request_id", "1b4e28ba-2fa1-11d2-883f-0016d3cca427"), slog.String("peer", "127.0.0.1:51532"),
			slog.String("project_id", "0123456789abcdef0123456789abcdef"), slog.String("instance_id", "fault-n1"),
			slog.String("credentials", "facade"), slog.Int("upstream_attempts", 1)}},
		"no time":      {time.Time{}, slog.LevelWarn, "m", nil},
		"local time":   {when.In(time.FixedZone("x", 5*3600+1800)), slog.LevelError, "m", nil},
		"year 10000":   {time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), slog.LevelInfo, "m", nil},
		"levels":       {when, slog.LevelInfo + 2, "m", nil},
		"below debug":  {when, slog.LevelDebug - 3, "m", nil},
		"escapes":      {when, slog.LevelInfo, "a\"b\\c\n\r\t\x00\x1f\x7f<>&\u2028\u2029\xff\xc3é😀", group{slog.String("k\"\n\xff", "v\u2028\x01")}},
		"numbers":      {when, slog.LevelInfo, "m", group{slog.Int64("i", math.MinInt64), slog.Uint64("u", math.MaxUint64), slog.Bool("t", true), slog.Bool("f", false)}},
		"floats":       {when, slog.LevelInfo, "m", group{slog.Float64("a", 0), slog.Float64("b", math.Copysign(0, -1)), slog.Float64("c", 1e-6), slog.Float64("d", 9.99e20), slog.Float64("e", 123.456), slog.Float64("f", 1e21), slog.Float64("g", 1e-7), slog.Float64("h", -2.5e-9)}},
		"float errors": {when, slog.LevelInfo, "m", group{slog.Float64("nan", math.NaN()), slog.Float64("inf", math.Inf(-1))}},
		"durations":    {when, slog.LevelInfo, "m", group{slog.Duration("grace", 20*time.Second), slog.Duration("d", 1234567*time.Nanosecond), slog.Duration("neg", -time.Millisecond)}},
		"other kinds": {when, slog.LevelInfo, "m", group{slog.Time("at", when), slog.Any("err", errors.New("boom")), slog.Any("n", nil),
			slog.Any("m", map[string]int{"x": 1}), slog.Group("g", slog.String("a", "b")), slog.Group("empty"), {}}},
		"many": {when, slog.LevelInfo, "m", func() group {
			var g group
			for i := range 40 {
				g = append(g, slog.Int(strings.Repeat("k", i), i))
			}
			return g
		}()},
	}
	for name, rec := range records {
		t.Run(name, func(t *testing.T) {
			r := slog.NewRecord(rec.t, rec.level, rec.msg, 0)
			r.AddAttrs(rec.attrs...)
			same(t, false, r)
			same(t, true, r)
		})
	}
}

// FuzzHandler: any message, keys, strings and numbers are written as
// slog writes them.
func FuzzHandler(f *testing.F) {
	f.Add("rpc", "method", "/a/b", 1.25, int64(3), int64(time.Second), true)
	f.Add("\x00\xff\u2028", "\"", "<&>\\", 1e-9, int64(-1), int64(-5), false)
	f.Fuzz(func(t *testing.T, msg, key, val string, fl float64, n, d int64, b bool) {
		r := slog.NewRecord(when, slog.Level(n%16), msg, 0)
		r.AddAttrs(slog.String(key, val), slog.Float64(key, fl), slog.Int64(val, n), slog.Duration(key, time.Duration(d)), slog.Bool(msg, b))
		same(t, false, r)
		same(t, true, r)
	})
}

// TestHandler_derived: handlers made by WithAttrs and WithGroup write
// what slog's would.
func TestHandler_derived(t *testing.T) {
	t.Parallel()
	var got, want bytes.Buffer
	log := func(h slog.Handler) {
		l := slog.New(h).With(slog.String("a", "b")).WithGroup("g")
		l.LogAttrs(context.Background(), slog.LevelInfo, "m", slog.Duration("d", time.Second))
	}
	log(logjson.NewHandler(&got, logjson.Options{DurationsInMillis: true}))
	log(slog.NewJSONHandler(&want, &slog.HandlerOptions{ReplaceAttr: logjson.DurationsInMillis}))
	// Compare without the times, which differ.
	g, w := got.String(), want.String()
	if g[strings.Index(g, `"level"`):] != w[strings.Index(w, `"level"`):] {
		t.Errorf("got %s\nwant %s", g, w)
	}
}

// TestHandler_linesWhole: lines logged at once, fast and slow ones mixed,
// all come out whole (each Write holds whole lines), every one of them
// once Flush has returned.
func TestHandler_linesWhole(t *testing.T) {
	t.Parallel()
	w := &countingWriter{}
	h := logjson.NewHandler(w, logjson.Options{})
	l := slog.New(h)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for range 200 {
				if i%2 == 0 {
					l.Info("fast", slog.Int("i", i))
				} else {
					l.Info("slow", slog.Any("err", errors.New("x")))
				}
			}
		})
	}
	wg.Wait()
	h.Flush()
	if w.lines != 1600 {
		t.Errorf("%d lines; want 1600", w.lines)
	}
}

// countingWriter counts lines and checks that every Write holds whole
// ones. Its writes are not locked against each other: the race detector
// sees any the handler does not serialize.
type countingWriter struct {
	writes int
	lines  int
}

func (c *countingWriter) Write(p []byte) (int, error) {
	c.writes++
	if p[len(p)-1] != '\n' {
		return 0, errors.New("not whole lines")
	}
	c.lines += bytes.Count(p, []byte("\n"))
	return len(p), nil
}

// BenchmarkCallLine is a call's log line written by slog's JSON handler
// (with durations in milliseconds, as the facade configures it) and by a
// Handler.
func BenchmarkCallLine(b *testing.B) {
	attrs := []slog.Attr{slog.String("method", "/modelarts.devenv.v1.DevEnvService/DeleteInstance"),
		slog.String("protocol", "grpc"), slog.String("code", "OK"), slog.Float64("duration_ms", 0.512),
		slog.String("request_id", "1b4e28ba-2fa1-11d2-883f-0016d3cca427"), slog.String("peer", "127.0.0.1:51532"),
		slog.String("project_id", "0123456789abcdef0123456789abcdef"), slog.String("instance_id", "fault-n1"),
		slog.String("credentials", "facade"), slog.Int("upstream_attempts", 1)}
	for name, h := range map[string]slog.Handler{
		"slog":    slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{ReplaceAttr: logjson.DurationsInMillis}),
		"logjson": logjson.NewHandler(io.Discard, logjson.Options{DurationsInMillis: true}),
	} {
		b.Run(name, func(b *testing.B) {
			l := slog.New(h)
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				l.LogAttrs(ctx, slog.LevelInfo, "rpc", attrs...)
			}
		})
	}
	// As the facade's call lines are logged: the record's parts handed
	// to the handler, without a record (service.logCall).
	b.Run("HandleAttrs", func(b *testing.B) {
		h := logjson.NewHandler(io.Discard, logjson.Options{DurationsInMillis: true})
		ctx := context.Background()
		b.ReportAllocs()
		for b.Loop() {
			_ = h.HandleAttrs(ctx, when, slog.LevelInfo, "rpc", attrs)
		}
	})
}

// BenchmarkCallLinesToPipe is call lines logged by many goroutines at
// once to a pipe that another goroutine reads, as the facade logs to its
// stderr under load: slog's JSON handler (a Write, a system call, per line,
// under its lock) against a Handler (lines grouped). cpu-ns/op is the
// process's CPU time (user and system, the reader's included) per line.
func BenchmarkCallLinesToPipe(b *testing.B) {
	attrs := []slog.Attr{slog.String("method", "/modelarts.devenv.v1.DevEnvService/DeleteInstance"),
		slog.String("protocol", "grpc"), slog.String("code", "OK"), slog.Float64("duration_ms", 0.512),
		slog.String("request_id", "1b4e28ba-2fa1-11d2-883f-0016d3cca427"), slog.String("peer", "127.0.0.1:51532"),
		slog.String("project_id", "0123456789abcdef0123456789abcdef"), slog.String("instance_id", "fault-n1"),
		slog.String("credentials", "facade"), slog.Int("upstream_attempts", 1)}
	for _, name := range []string{"slog", "logjson"} {
		b.Run(name, func(b *testing.B) {
			r, w, err := os.Pipe()
			if err != nil {
				b.Fatal(err)
			}
			done := make(chan struct{})
			go func() { _, _ = io.Copy(io.Discard, r); close(done) }()
			h := slog.Handler(logjson.NewHandler(w, logjson.Options{DurationsInMillis: true}))
			if name == "slog" {
				h = slog.NewJSONHandler(w, &slog.HandlerOptions{ReplaceAttr: logjson.DurationsInMillis})
			}
			l := slog.New(h)
			b.SetParallelism(32)
			b.ReportAllocs()
			var before, after syscall.Rusage
			_ = syscall.Getrusage(syscall.RUSAGE_SELF, &before)
			b.RunParallel(func(pb *testing.PB) {
				ctx := context.Background()
				for pb.Next() {
					l.LogAttrs(ctx, slog.LevelInfo, "rpc", attrs...)
				}
			})
			b.StopTimer()
			_ = syscall.Getrusage(syscall.RUSAGE_SELF, &after)
			cpu := time.Duration(after.Utime.Nano() + after.Stime.Nano() - before.Utime.Nano() - before.Stime.Nano())
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
			w.Close()
			<-done
			r.Close()
		})
	}
}

// TestHandler_enabled: a Handler is enabled for the levels slog's JSON
// handler with the same Level is, a LevelVar's changes included.
func TestHandler_enabled(t *testing.T) {
	t.Parallel()
	v := &slog.LevelVar{}
	for _, lv := range []slog.Leveler{nil, slog.LevelDebug, slog.LevelWarn, slog.Level(3), v} {
		h := logjson.NewHandler(io.Discard, logjson.Options{Level: lv})
		s := slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: lv})
		for _, set := range []slog.Level{slog.LevelInfo, slog.LevelError} {
			v.Set(set)
			for l := slog.LevelDebug - 2; l <= slog.LevelError+2; l++ {
				if got, want := h.Enabled(context.Background(), l), s.Enabled(context.Background(), l); got != want {
					t.Errorf("Level %v (var at %v): Enabled(%v) = %v; slog's %v", lv, set, l, got, want)
				}
			}
		}
	}
}
