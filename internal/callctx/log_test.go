package callctx_test

import (
	"bytes"
	"context"
	"log/slog"
	"testing"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/devenv-facade/devenv-facade/internal/callctx"
	"github.com/devenv-facade/devenv-facade/internal/logjson"
)

// TestHandleAttrs: a record handed over as its parts (HandleAttrs, and
// HandleCallAttrs with the call) comes out as the same record through the
// handler's Handle does, with the call's request ID and
// trace ID added when it lacks them, whether the wrapped handler takes
// parts (logjson) or only records (slog's).
func TestHandleAttrs(t *testing.T) {
	t.Parallel()
	when := time.Date(2026, 12, 6, 22, 40, 0, 0, time.UTC)
	call := callctx.NewContext(context.Background(), callctx.New("req-1"))
	traced := trace.ContextWithSpanContext(call, trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: trace.TraceID{1, 2, 3}, SpanID: trace.SpanID{4}}))
	inners := map[string]func(*bytes.Buffer) slog.Handler{
		"logjson": func(b *bytes.Buffer) slog.Handler { return logjson.NewHandler(b, logjson.Options{}) },
		"slog":    func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) },
	}
	cases := []struct {
		name  string
		ctx   context.Context
		attrs []slog.Attr
		want  string
	}{
		{"no call", context.Background(), []slog.Attr{slog.String("a", "1")}, `,"a":"1"}`},
		{"call", call, []slog.Attr{slog.String("a", "1")}, `,"a":"1","request_id":"req-1"}`},
		{"call with its ID", call, []slog.Attr{slog.String("request_id", "req-1"), slog.Int("n", 2)}, `,"request_id":"req-1","n":2}`},
		{"traced", traced, []slog.Attr{slog.String("a", "1")}, `,"a":"1","request_id":"req-1","trace_id":"01020300000000000000000000000000"}`},
		{"many", call, []slog.Attr{slog.Int("a", 1), slog.Int("b", 2), slog.Int("c", 3), slog.Int("d", 4), slog.Int("e", 5), slog.Int("f", 6)},
			`,"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"request_id":"req-1"}`},
	}
	for name, inner := range inners {
		for _, tc := range cases {
			var parts, record bytes.Buffer
			attrs := append([]slog.Attr(nil), tc.attrs...)
			if err := callctx.HandleAttrs(callctx.NewLogHandler(inner(&parts)), tc.ctx, when, slog.LevelInfo, "rpc", attrs[:len(attrs):len(attrs)]); err != nil {
				t.Fatal(err)
			}
			var byCall bytes.Buffer
			if err := callctx.HandleCallAttrs(callctx.NewLogHandler(inner(&byCall)), tc.ctx, callctx.FromContext(tc.ctx), when, slog.LevelInfo, "rpc", attrs[:len(attrs):len(attrs)]); err != nil {
				t.Fatal(err)
			}
			r := slog.NewRecord(when, slog.LevelInfo, "rpc", 0)
			r.AddAttrs(tc.attrs...)
			if err := callctx.NewLogHandler(inner(&record)).Handle(tc.ctx, r); err != nil {
				t.Fatal(err)
			}
			want := `{"time":"2026-12-06T22:40:00Z","level":"INFO","msg":"rpc"` + tc.want + "\n"
			if parts.String() != want || record.String() != want || byCall.String() != want {
				t.Errorf("%s, %s:\nparts  %s\ncall   %s\nrecord %s\nwant   %s", name, tc.name, parts.String(), byCall.String(), record.String(), want)
			}
			for i := range tc.attrs {
				if !attrs[i].Equal(tc.attrs[i]) {
					t.Errorf("%s, %s: HandleAttrs changed its argument", name, tc.name)
				}
			}
		}
	}
}
