package main

import "testing"

// TestAttribute checks which feature a sample's stack (leaf first) is
// counted under.
func TestAttribute(t *testing.T) {
	const mod = "github.com/devenv-facade/devenv-facade/"
	tests := []struct {
		name  string
		funcs []string
		want  string
	}{
		{"logjson writes the call's line", []string{
			mod + "internal/logjson.(*Handler).Handle",
			mod + "internal/callctx.logHandler.Handle",
			mod + "service.(*Service).UnaryInterceptor.func1",
		}, "logging (the call's line, its attributes)"},
		{"logjson's number formatting", []string{
			mod + "internal/logjson.appendFloat",
			mod + "internal/logjson.(*Handler).Handle",
		}, "logging (the call's line, its attributes)"},
		{"slog", []string{"log/slog.(*Logger).log", mod + "service.(*Service).logCall"}, "logging (the call's line, its attributes)"},
		{"the RPC's own step", []string{mod + "service.(*Service).DeleteInstance"}, "other facade code (the RPC's own step)"},
		{"the transport under DirectClient is the upstream exchange", []string{
			"net/http.(*Transport).roundTrip",
			"net/http.(*Transport).RoundTrip",
			mod + "internal/modelarts.(*DirectClient).Do",
			mod + "internal/modelarts.(*Client).do",
		}, "common: upstream HTTP exchange (net/http client)"},
		{"building the upstream request is the upstream exchange", []string{
			mod + "internal/modelarts.newHTTPRequest",
			mod + "internal/modelarts.(*Client).attempt",
		}, "common: upstream HTTP exchange (net/http client)"},
		{"a rare answer of DirectClient stays the client's", []string{
			mod + "internal/modelarts.(*DirectClient).fail",
			mod + "internal/modelarts.(*DirectClient).unusual",
		}, "client: send and retry loop, answer handling"},
		{"an answer of announced length is read as any answer", []string{
			"runtime.makeslice",
			mod + "internal/modelarts.readAnnounced",
			mod + "internal/modelarts.readBody",
		}, "common: reading the answer's body"},
		{"the attempts' deadlines are the attempt's", []string{
			"context.WithCancelCause",
			mod + "internal/modelarts.(*deadlines).start",
			mod + "internal/modelarts.(*Client).attempt",
		}, "attempt: context, deadline timer, httptrace"},
		{"the call's attributes are the log line's", []string{
			mod + "internal/callctx.withCallAttrs",
			mod + "internal/callctx.HandleCallAttrs",
			mod + "service.(*Service).logCall",
		}, "logging (the call's line, its attributes)"},
		{"vendorjson is common", []string{mod + "internal/vendorjson.Marshal", mod + "internal/modelarts.(*Client).send"}, "common: JSON and protobuf conversions"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := attribute(tt.funcs); got != tt.want {
				t.Errorf("attribute(%q) = %q, want %q", tt.funcs, got, tt.want)
			}
		})
	}
}
