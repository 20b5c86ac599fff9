package reqcheck_test

import (
	"encoding/json"
	"testing"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	devenvv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/devenv/v1"
	"github.com/devenv-facade/devenv-facade/internal/reqcheck"
)

// The fuzz targets of this file hold the decoders to what the package
// promises, whatever the bytes: no panic; a request that decodes holds no
// list or map over its bound and only valid UTF-8 (it can be marshaled
// again); one in which nothing was found decodes exactly as the plain
// decoder decodes it; and one the plain decoder takes, within the bounds,
// has nothing found. `make fuzz` runs them.

// withinBounds reports whether req's lists and maps are within their
// bounds.
func withinBounds(req *devenvv1.CreateInstanceRequest) bool {
	return len(req.GetSpec().GetExtendStorage()) <= reqcheck.MaxExtendStorage && len(req.GetSpec().GetAnnotations()) <= reqcheck.MaxAnnotations
}

func FuzzDecodeProto(f *testing.F) {
	f.Add([]byte(emptyStorages(17)))
	f.Add([]byte(wire(nil).str(1, project).msg(6, wire(nil).msg(4, entry("\xff", "v")).msg(2, wire(nil).str(1, "obs")))))
	f.Add([]byte(wire(nil).msg(6, wire(nil).msg(4, entry("a", "b"))).msg(6, wire(nil).msg(4, entry("c", "d")))))
	f.Add([]byte{0x32, 0x02, 0x12})
	f.Fuzz(func(t *testing.T, b []byte) {
		var c reqcheck.Checker
		var got devenvv1.CreateInstanceRequest
		err := c.DecodeProto(b, &got)
		var plain devenvv1.CreateInstanceRequest
		plainErr := proto.UnmarshalOptions{DiscardUnknown: true}.Unmarshal(b, &plain)
		if err != nil {
			if plainErr == nil && withinBounds(&plain) {
				t.Fatalf("refused %x, which decodes within the bounds: %v", b, err)
			}
			return
		}
		if !withinBounds(&got) {
			t.Fatalf("decoded %d extend_storage and %d annotations", len(got.GetSpec().GetExtendStorage()), len(got.GetSpec().GetAnnotations()))
		}
		if _, err := proto.Marshal(&got); err != nil {
			t.Fatalf("the decoded request cannot be marshaled: %v", err)
		}
		foundAny := found(t, &c, &got) != nil
		if !foundAny && (plainErr != nil || !proto.Equal(&got, &plain)) {
			t.Fatalf("nothing found, but decoded %v where the plain decoder gives %v (%v)", &got, &plain, plainErr)
		}
		if foundAny && plainErr == nil && withinBounds(&plain) {
			t.Fatalf("found something in %x, which decodes within the bounds", b)
		}
	})
}

func FuzzDecodeJSON(f *testing.F) {
	f.Add(jsonBody(17, "extend_storage"))
	f.Add(jsonBody(3, "extendStorage"))
	f.Add("{\"name\":\"\xff\",\"spec\":{\"annotations\":{\"k\":\"v\"},\"x\":[{},[]]}}")
	f.Add(`{"spec":{"extend_storage":null,"storage":{"location":{"path":"/b/d/"}}}}`)
	f.Add(`[1,{"a":2}]`)
	f.Add(`{"sp\u0065c":{"extend\u005fstorage":[{},{"type":"\"\\"}],"x\ud83d\ude00":{"\"":[1,true,null,-2.5e3]}},"n\u0061me":"a\tb"}`)
	opts := protojson.UnmarshalOptions{DiscardUnknown: true}
	f.Fuzz(func(t *testing.T, s string) {
		if !json.Valid([]byte(s)) {
			return // the mirror passes on only what encoding/json reads
		}
		var c reqcheck.Checker
		var got devenvv1.CreateInstanceRequest
		err := c.DecodeJSON([]byte(s), &got, opts)
		var plain devenvv1.CreateInstanceRequest
		plainErr := opts.Unmarshal([]byte(s), &plain)
		if err != nil {
			if plainErr == nil {
				t.Fatalf("refused %q, which decodes: %v", s, err)
			}
			return
		}
		if !withinBounds(&got) {
			t.Fatalf("decoded %d extend_storage and %d annotations", len(got.GetSpec().GetExtendStorage()), len(got.GetSpec().GetAnnotations()))
		}
		if _, err := proto.Marshal(&got); err != nil {
			t.Fatalf("the decoded request cannot be marshaled: %v", err)
		}
		foundAny := found(t, &c, &got) != nil
		if !foundAny && plainErr == nil && !proto.Equal(&got, &plain) {
			t.Fatalf("nothing found, but decoded %v where the plain decoder gives %v", &got, &plain)
		}
		if foundAny && plainErr == nil && withinBounds(&plain) {
			t.Fatalf("found something in %q, which decodes within the bounds", s)
		}
	})
}
