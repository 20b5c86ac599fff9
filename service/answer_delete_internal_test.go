package service

import (
	"context"
	"testing"

	devenvv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/devenv/v1"
	"github.com/devenv-facade/devenv-facade/internal/vendorjson"
)

// TestKeepDeleteEcho: what a REST delete's caller gets of ModelArts'
// answer is what keepOriginal keeps, for the compact echo keepDeleteEcho
// keeps without reading it again and for every other answer it passes on;
// and the compact echo is kept without keepOriginal's second reading (at
// most one allocation, where keepOriginal makes three or more).
func TestKeepDeleteEcho(t *testing.T) {
	for _, tc := range []struct{ id, raw string }{
		{"DE-1", `{"instance_id":"DE-1"}`},
		{"3f2b6c1e-5a8d-4d1c-9f0e-7b6a5c4d3e2f", `{"instance_id":"3f2b6c1e-5a8d-4d1c-9f0e-7b6a5c4d3e2f"}`},
		{"DE-1", "{\"instance_id\":\"DE-1\"}\n"}, // json.Encoder's, the emulator's
		{"DE-1", " \r\n{\"instance_id\":\"DE-1\"} \t"},
		{"DE-1", "\v{\"instance_id\":\"DE-1\"}"},       // not JSON white space: not JSON
		{"DE-1", "{\"instance_id\":\"DE-1\"}\u00a0"},   // nor is U+00A0
		{"DE-1", "\f{\"instance_id\":\"DE-1\"}\u0085"}, // nor \f, U+0085
		{"DE-1", `{"instance_id": "DE-1"}`},
		{"DE-1", `{"instance_id":"DE-1","extra":null}`},
		{"DE-A", `{"instance_id":"DE-\u0041"}`},
		{"DE-1", `{"Instance_Id":"DE-1"}`},
		{"DE-1", `{"instance_id":"DE-2","instance_id":"DE-1"}`},
		{"DE-1", `{"instance_id":"DE-1","password":"p"}`},
		{"password-1", `{"instance_id":"password-1"}`},
		{"DE-é", `{"instance_id":"DE-é"}`},
		{`DE-"1`, `{"instance_id":"DE-\"1"}`},
		{`DE-\u0041`, `{"instance_id":"DE-\u0041"}`}, // an ID the echo escapes
		{`DE-\\`, `{"instance_id":"DE-\\"}`},
		{"DE-1", `{"instance_id":"DE-1"`},
		{"DE-1", `[]`},
		{"DE-1", ``},
	} {
		var echo, orig vendorjson.Originals
		var raw []byte
		if tc.raw != "" {
			raw = []byte(tc.raw)
		}
		a := &devenvv1.DeleteInstanceResponse{InstanceId: tc.id}
		b := &devenvv1.DeleteInstanceResponse{InstanceId: tc.id}
		keepDeleteEcho(vendorjson.WithOriginals(context.Background(), &echo), a, raw)
		keepOriginal(vendorjson.WithOriginals(context.Background(), &orig), b, raw)
		got, err1 := vendorjson.MarshalWith(a, &echo)
		want, err2 := vendorjson.MarshalWith(b, &orig)
		if string(got) != string(want) || (err1 == nil) != (err2 == nil) {
			t.Errorf("%s: keepDeleteEcho gives %s (%v); keepOriginal %s (%v)", tc.raw, got, err1, want, err2)
		}
	}
	// Without Originals (a gRPC call): nothing kept, nothing read.
	keepDeleteEcho(context.Background(), &devenvv1.DeleteInstanceResponse{InstanceId: "DE-1"}, []byte(`{"instance_id":"DE-1"}`))

	raw := []byte("{\"instance_id\":\"DE-1\"}\n")
	var o vendorjson.Originals
	ctx := vendorjson.WithOriginals(context.Background(), &o)
	out := &devenvv1.DeleteInstanceResponse{InstanceId: "DE-1"}
	if n := testing.AllocsPerRun(100, func() { keepDeleteEcho(ctx, out, raw) }); n > 1 {
		t.Errorf("keepDeleteEcho of the compact echo: %v allocations; want it kept without reading it again", n)
	}
}

func BenchmarkKeepDeleteEcho(b *testing.B) {
	raw := []byte(`{"instance_id":"3f2b6c1e-5a8d-4d1c-9f0e-7b6a5c4d3e2f"}`)
	var o vendorjson.Originals
	ctx := vendorjson.WithOriginals(context.Background(), &o)
	out := &devenvv1.DeleteInstanceResponse{InstanceId: "3f2b6c1e-5a8d-4d1c-9f0e-7b6a5c4d3e2f"}
	b.Run("echo", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			keepDeleteEcho(ctx, out, raw)
		}
	})
	b.Run("keepOriginal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			keepOriginal(ctx, out, raw)
		}
	})
}
