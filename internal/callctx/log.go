package callctx

import (
	"context"
	"log/slog"

	"go.opentelemetry.io/otel/trace"
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
	if c := FromContext(ctx); c != nil && !hasAttr(r, LogKeyRequestID) {
		add[n] = slog.String(LogKeyRequestID, c.requestID)
		n++
	}
	if sc := trace.SpanContextFromContext(ctx); sc.HasTraceID() && !hasAttr(r, LogKeyTraceID) {
		add[n] = slog.String(LogKeyTraceID, sc.TraceID().String())
		n++
	}
	if n > 0 {
		r = r.Clone() // the record may be shared with other handlers
		r.AddAttrs(add[:n]...)
	}
	return l.Handler.Handle(ctx, r)
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
