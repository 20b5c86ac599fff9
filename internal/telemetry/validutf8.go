package telemetry

import (
	"context"
	"strings"
	"unicode/utf8"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// ValidUTF8 wraps an exporter so that every string it is handed is valid
// UTF-8: span names, status descriptions, event names, the keys and
// string values of span, event and link attributes (in string slices,
// slices and maps too) and of the resource. Each invalid byte sequence
// becomes U+FFFD.
//
// OTLP encodes these strings as protobuf strings, which must be UTF-8:
// one invalid string fails the marshalling of the whole batch, and every
// span in it is lost. Callers put bytes of their choosing into spans (a
// REST path with %FF becomes otelhttp's url.path; ModelArts' error_code
// becomes modelarts.error_code), so without this one caller could
// suppress everyone's traces.
//
// Spans that are valid, the common case, are passed on as they are, and
// checking them allocates nothing (except to look inside slice and map
// attribute values, which the facade's spans do not have); only an
// invalid span is copied, with its other fields unchanged.
func ValidUTF8(next sdktrace.SpanExporter) sdktrace.SpanExporter {
	return validUTF8Exporter{next}
}

type validUTF8Exporter struct{ sdktrace.SpanExporter }

// ExportSpans passes spans on to the wrapped exporter, replacing those
// with invalid UTF-8 by valid copies.
func (e validUTF8Exporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	var out []sdktrace.ReadOnlySpan // a copy of spans, once one is replaced
	for i, s := range spans {
		if spanValid(s) {
			continue
		}
		if out == nil {
			out = append([]sdktrace.ReadOnlySpan(nil), spans...)
		}
		out[i] = newValidSpan(s)
	}
	if out == nil {
		out = spans
	}
	return e.SpanExporter.ExportSpans(ctx, out)
}

// spanValid reports whether every string of s that OTLP encodes is valid
// UTF-8.
func spanValid(s sdktrace.ReadOnlySpan) bool {
	if !utf8.ValidString(s.Name()) || !utf8.ValidString(s.Status().Description) || !attrsValid(s.Attributes()) {
		return false
	}
	for _, ev := range s.Events() {
		if !utf8.ValidString(ev.Name) || !attrsValid(ev.Attributes) {
			return false
		}
	}
	for _, l := range s.Links() {
		if !attrsValid(l.Attributes) {
			return false
		}
	}
	return resourceValid(s.Resource())
}

func attrsValid(kvs []attribute.KeyValue) bool {
	for _, kv := range kvs {
		if !kvValid(kv) {
			return false
		}
	}
	return true
}

func kvValid(kv attribute.KeyValue) bool {
	return utf8.ValidString(string(kv.Key)) && valueValid(kv.Value)
}

func valueValid(v attribute.Value) bool {
	switch v.Type() {
	case attribute.STRING:
		return utf8.ValidString(v.AsString())
	case attribute.STRINGSLICE:
		for _, s := range v.AsStringSlice() {
			if !utf8.ValidString(s) {
				return false
			}
		}
	case attribute.SLICE:
		for _, e := range v.AsSlice() {
			if !valueValid(e) {
				return false
			}
		}
	case attribute.MAP:
		return attrsValid(v.AsMap())
	}
	return true
}

func resourceValid(r *resource.Resource) bool {
	if r == nil {
		return true
	}
	for it := r.Iter(); it.Next(); {
		if !kvValid(it.Attribute()) {
			return false
		}
	}
	return true
}

// validString returns s with each invalid UTF-8 sequence replaced by
// U+FFFD; s itself when it is valid.
func validString(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

func validAttrs(kvs []attribute.KeyValue) []attribute.KeyValue {
	if attrsValid(kvs) {
		return kvs
	}
	out := make([]attribute.KeyValue, len(kvs))
	for i, kv := range kvs {
		out[i] = validKV(kv)
	}
	return out
}

func validKV(kv attribute.KeyValue) attribute.KeyValue {
	if kvValid(kv) {
		return kv
	}
	return attribute.KeyValue{Key: attribute.Key(validString(string(kv.Key))), Value: validValue(kv.Value)}
}

func validValue(v attribute.Value) attribute.Value {
	if valueValid(v) {
		return v
	}
	switch v.Type() {
	case attribute.STRING:
		return attribute.StringValue(validString(v.AsString()))
	case attribute.STRINGSLICE:
		ss := v.AsStringSlice() // a copy
		for i, s := range ss {
			ss[i] = validString(s)
		}
		return attribute.StringSliceValue(ss)
	case attribute.SLICE:
		vs := v.AsSlice() // a copy
		for i, e := range vs {
			vs[i] = validValue(e)
		}
		return attribute.SliceValue(vs...)
	case attribute.MAP:
		return attribute.MapValue(validAttrs(v.AsMap())...)
	}
	return v
}

// validSpan is a span with invalid UTF-8 replaced; the fields it does not
// override come from the span it was made from.
type validSpan struct {
	sdktrace.ReadOnlySpan
	name   string
	status sdktrace.Status
	attrs  []attribute.KeyValue
	events []sdktrace.Event
	links  []sdktrace.Link
	res    *resource.Resource
}

func newValidSpan(s sdktrace.ReadOnlySpan) validSpan {
	v := validSpan{ReadOnlySpan: s, name: validString(s.Name()), status: s.Status(),
		attrs: validAttrs(s.Attributes()), events: s.Events(), links: s.Links(), res: s.Resource()}
	v.status.Description = validString(v.status.Description)
	if evs := v.events; len(evs) > 0 {
		v.events = make([]sdktrace.Event, len(evs))
		for i, ev := range evs {
			ev.Name = validString(ev.Name)
			ev.Attributes = validAttrs(ev.Attributes)
			v.events[i] = ev
		}
	}
	if ls := v.links; len(ls) > 0 {
		v.links = make([]sdktrace.Link, len(ls))
		for i, l := range ls {
			l.Attributes = validAttrs(l.Attributes)
			v.links[i] = l
		}
	}
	if !resourceValid(v.res) {
		v.res = resource.NewWithAttributes(v.res.SchemaURL(), validAttrs(v.res.Attributes())...)
	}
	return v
}

func (v validSpan) Name() string                     { return v.name }
func (v validSpan) Status() sdktrace.Status          { return v.status }
func (v validSpan) Attributes() []attribute.KeyValue { return v.attrs }
func (v validSpan) Events() []sdktrace.Event         { return v.events }
func (v validSpan) Links() []sdktrace.Link           { return v.links }
func (v validSpan) Resource() *resource.Resource     { return v.res }
