package callctx

import (
	"context"
	"log/slog"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/devenv-facade/devenv-facade/internal/logjson"
)

// Log attribute keys the handler of [NewLogHandler] adds.
const (
	// LogKeyRequestID holds the call's request ID.
	LogKeyRequestID = "request_id"
	// LogKeyTraceID holds the call's W3C trace ID.
	LogKeyTraceID = "trace_id"
)

// NewLogHandler wraps h so that every record logged with the context of a
// call carries the call's request ID and, when the call is part of a
// trace (the facade's own, or a caller's passed in traceparent), its trace
// ID, unless the record has them already. Records logged with another
// context pass unchanged.
func NewLogHandler(h slog.Handler) slog.Handler { return logHandler{h} }

type logHandler struct{ slog.Handler }

// Handle adds the call's attributes to r and passes it on.
func (l logHandler) Handle(ctx context.Context, r slog.Record) error {
	if ctx == nil {
		return l.Handler.Handle(ctx, r)
	}
	var add [2]slog.Attr
	n := 0
	c := FromContext(ctx)
	if c != nil && !hasAttr(r, LogKeyRequestID) {
		add[n] = slog.String(LogKeyRequestID, c.requestID)
		n++
	}
	if c == nil || !c.untraced { // else no span context to look for
		if sc := trace.SpanContextFromContext(ctx); sc.HasTraceID() && !hasAttr(r, LogKeyTraceID) {
			add[n] = slog.String(LogKeyTraceID, sc.TraceID().String())
			n++
		}
	}
	if n > 0 {
		r = r.Clone() // the record may be shared with other handlers
		r.AddAttrs(add[:n]...)
	}
	return l.Handler.Handle(ctx, r)
}

// HandleAttrs handles the record slog.NewRecord(t, level, msg, 0) with
// attrs added, as h.Handle would, and keeps nothing of attrs. When h is
// the handler of [NewLogHandler] around a logjson handler, or a logjson
// handler, the record is never made: a record holds five attributes in
// itself and allocates for the rest, and a call's line has ten or more.
// (The handlers are matched by their types, not by an interface, so that
// attrs, which the caller may keep on its stack, does not escape.)
func HandleAttrs(h slog.Handler, ctx context.Context, t time.Time, level slog.Level, msg string, attrs []slog.Attr) error {
	return HandleCallAttrs(h, ctx, nil, t, level, msg, attrs)
}

// HandleCallAttrs is [HandleAttrs] for a record of the call c that ctx
// carries (c is FromContext(ctx), known to the caller; nil: looked up in
// ctx if the handler needs it): what [NewLogHandler]'s handler adds of
// the call is taken from c, without a search of ctx's layers for it.
func HandleCallAttrs(h slog.Handler, ctx context.Context, c *Call, t time.Time, level slog.Level, msg string, attrs []slog.Attr) error {
	switch h := h.(type) {
	case *logjson.Handler:
		return h.HandleAttrs(ctx, t, level, msg, attrs)
	case logHandler:
		if ctx != nil {
			if c == nil {
				c = FromContext(ctx)
			}
			attrs = withCallAttrs(ctx, c, attrs)
		}
		if j, ok := h.Handler.(*logjson.Handler); ok {
			return j.HandleAttrs(ctx, t, level, msg, attrs)
		}
		return h.Handler.Handle(ctx, record(t, level, msg, attrs))
	}
	return h.Handle(ctx, record(t, level, msg, attrs))
}

func record(t time.Time, level slog.Level, msg string, attrs []slog.Attr) slog.Record {
	r := slog.NewRecord(t, level, msg, 0)
	r.AddAttrs(attrs...)
	return r
}

// withCallAttrs returns attrs with what [NewLogHandler]'s handler adds to
// a record logged with ctx, whose call is c: a copy if it adds anything.
func withCallAttrs(ctx context.Context, c *Call, attrs []slog.Attr) []slog.Attr {
	var add [2]slog.Attr
	n := 0
	if c != nil && !hasKey(attrs, LogKeyRequestID) {
		add[n] = slog.String(LogKeyRequestID, c.requestID)
		n++
	}
	if c == nil || !c.untraced { // else no span context to look for
		if sc := trace.SpanContextFromContext(ctx); sc.HasTraceID() && !hasKey(attrs, LogKeyTraceID) {
			add[n] = slog.String(LogKeyTraceID, sc.TraceID().String())
			n++
		}
	}
	if n == 0 {
		return attrs
	}
	return append(attrs[:len(attrs):len(attrs)], add[:n]...)
}

func hasKey(attrs []slog.Attr, key string) bool {
	for _, a := range attrs {
		if a.Key == key {
			return true
		}
	}
	return false
}

// WithAttrs keeps the wrapping.
func (l logHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return logHandler{l.Handler.WithAttrs(attrs)}
}

// WithGroup keeps the wrapping.
func (l logHandler) WithGroup(name string) slog.Handler { return logHandler{l.Handler.WithGroup(name)} }

func hasAttr(r slog.Record, key string) bool {
	found := false
	r.Attrs(func(a slog.Attr) bool {
		found = a.Key == key
		return !found
	})
	return found
}
