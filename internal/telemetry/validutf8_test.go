package telemetry_test

import (
	"context"
	"reflect"
	"testing"
	"unicode/utf8"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/devenv-facade/devenv-facade/internal/telemetry"
)

// lastBatch is an exporter that keeps the last batch it was handed.
type lastBatch struct{ spans []sdktrace.ReadOnlySpan }

func (l *lastBatch) ExportSpans(_ context.Context, spans []sdktrace.ReadOnlySpan) error {
	l.spans = spans
	return nil
}
func (l *lastBatch) Shutdown(context.Context) error { return nil }

// goodSpan is a span whose strings are all valid UTF-8, with something in
// every place the wrapper looks.
func goodSpan() tracetest.SpanStub {
	return tracetest.SpanStub{
		Name:       "GET /v1/{project_id}/demanager/instances/{instance_id}",
		Attributes: []attribute.KeyValue{attribute.String("url.path", "/v1/p/demanager/instances/ä"), attribute.Int("n", 1)},
		Events:     []sdktrace.Event{{Name: "joined", Attributes: []attribute.KeyValue{attribute.String("k", "v")}}},
		Links:      []sdktrace.Link{{Attributes: []attribute.KeyValue{attribute.String("k", "v")}}},
		Status:     sdktrace.Status{Code: codes.Error, Description: "bad"},
		Resource:   resource.NewSchemaless(attribute.String("service.name", "devenv-facade")),
	}
}

// TestValidUTF8: each string OTLP encodes that holds invalid UTF-8 reaches
// the exporter with U+FFFD in its place, the rest of the span unchanged;
// the valid spans of the batch reach it as they were.
func TestValidUTF8(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name      string
		bad, want func(*tracetest.SpanStub)
	}{
		{"span name",
			func(s *tracetest.SpanStub) { s.Name = "GET /\xff" },
			func(s *tracetest.SpanStub) { s.Name = "GET /\uFFFD" }},
		{"status description",
			func(s *tracetest.SpanStub) { s.Status.Description = "x\xc3(" },
			func(s *tracetest.SpanStub) { s.Status.Description = "x\uFFFD(" }},
		{"attribute value",
			func(s *tracetest.SpanStub) { s.Attributes[0] = attribute.String("url.path", "/v1/\xff\xfe") },
			func(s *tracetest.SpanStub) { s.Attributes[0] = attribute.String("url.path", "/v1/\uFFFD") }},
		{"attribute key",
			func(s *tracetest.SpanStub) { s.Attributes[1] = attribute.Int("n\xff", 1) },
			func(s *tracetest.SpanStub) { s.Attributes[1] = attribute.Int("n\uFFFD", 1) }},
		{"string slice attribute",
			func(s *tracetest.SpanStub) { s.Attributes[1] = attribute.StringSlice("l", []string{"a", "\xff"}) },
			func(s *tracetest.SpanStub) { s.Attributes[1] = attribute.StringSlice("l", []string{"a", "\uFFFD"}) }},
		{"slice attribute",
			func(s *tracetest.SpanStub) {
				s.Attributes[1] = attribute.Slice("l", attribute.IntValue(1), attribute.StringValue("\xff"))
			},
			func(s *tracetest.SpanStub) {
				s.Attributes[1] = attribute.Slice("l", attribute.IntValue(1), attribute.StringValue("\uFFFD"))
			}},
		{"map attribute",
			func(s *tracetest.SpanStub) { s.Attributes[1] = attribute.Map("m", attribute.String("k\xff", "v\xff")) },
			func(s *tracetest.SpanStub) {
				s.Attributes[1] = attribute.Map("m", attribute.String("k\uFFFD", "v\uFFFD"))
			}},
		{"event name",
			func(s *tracetest.SpanStub) { s.Events[0].Name = "\xffjoined" },
			func(s *tracetest.SpanStub) { s.Events[0].Name = "\uFFFDjoined" }},
		{"event attribute",
			func(s *tracetest.SpanStub) { s.Events[0].Attributes[0] = attribute.String("k", "v\xff") },
			func(s *tracetest.SpanStub) { s.Events[0].Attributes[0] = attribute.String("k", "v\uFFFD") }},
		{"link attribute",
			func(s *tracetest.SpanStub) { s.Links[0].Attributes[0] = attribute.String("k", "v\xff") },
			func(s *tracetest.SpanStub) { s.Links[0].Attributes[0] = attribute.String("k", "v\uFFFD") }},
		{"resource",
			func(s *tracetest.SpanStub) {
				s.Resource = resource.NewSchemaless(attribute.String("service.name", "devenv\xff"))
			},
			func(s *tracetest.SpanStub) {
				s.Resource = resource.NewSchemaless(attribute.String("service.name", "devenv\uFFFD"))
			}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			bad, want := goodSpan(), goodSpan()
			c.bad(&bad)
			c.want(&want)
			var got lastBatch
			batch := []sdktrace.ReadOnlySpan{goodSpan().Snapshot(), bad.Snapshot(), goodSpan().Snapshot()}
			if err := telemetry.ValidUTF8(&got).ExportSpans(t.Context(), batch); err != nil {
				t.Fatal(err)
			}
			if len(got.spans) != 3 {
				t.Fatalf("the exporter got %d spans; want 3", len(got.spans))
			}
			if g := tracetest.SpanStubFromReadOnlySpan(got.spans[1]); !reflect.DeepEqual(g, want) {
				t.Errorf("the span with invalid UTF-8 reached the exporter as\n%+v\nwant\n%+v", g, want)
			}
			if !spanStringsValid(got.spans[1]) {
				t.Error("the exporter got invalid UTF-8")
			}
			for _, i := range []int{0, 2} {
				if g := tracetest.SpanStubFromReadOnlySpan(got.spans[i]); !reflect.DeepEqual(g, goodSpan()) {
					t.Errorf("valid span %d reached the exporter as\n%+v", i, g)
				}
			}
			// The bad span itself is left as it was.
			if g := tracetest.SpanStubFromReadOnlySpan(batch[1]); !reflect.DeepEqual(g, bad) {
				t.Errorf("the span handed to ExportSpans changed to\n%+v", g)
			}
		})
	}
}

// TestValidUTF8_passThrough: a batch of valid spans reaches the exporter
// as it is (the same slice), and checking it allocates nothing.
// (Not parallel: AllocsPerRun refuses.)
func TestValidUTF8_passThrough(t *testing.T) {
	var got lastBatch
	exp := telemetry.ValidUTF8(&got)
	batch := []sdktrace.ReadOnlySpan{goodSpan().Snapshot(), goodSpan().Snapshot()}
	ctx := t.Context()
	allocs := testing.AllocsPerRun(100, func() {
		if err := exp.ExportSpans(ctx, batch); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("ExportSpans of valid spans allocates %v times; want 0", allocs)
	}
	if len(got.spans) != len(batch) || &got.spans[0] != &batch[0] {
		t.Error("the exporter did not get the batch itself")
	}
}

// spanStringsValid reports whether the strings of s checked here are
// valid UTF-8 (the name, status and first-level attribute strings).
func spanStringsValid(s sdktrace.ReadOnlySpan) bool {
	strs := []string{s.Name(), s.Status().Description}
	add := func(kvs []attribute.KeyValue) {
		for _, kv := range kvs {
			strs = append(strs, string(kv.Key), kv.Value.String())
		}
	}
	add(s.Attributes())
	for _, ev := range s.Events() {
		strs = append(strs, ev.Name)
		add(ev.Attributes)
	}
	for _, l := range s.Links() {
		add(l.Attributes)
	}
	add(s.Resource().Attributes())
	for _, str := range strs {
		if !utf8.ValidString(str) {
			return false
		}
	}
	return true
}
