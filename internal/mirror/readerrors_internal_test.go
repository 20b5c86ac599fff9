package mirror

import (
	"bytes"
	"errors"
	"runtime"
	"strings"
	"testing"

	gwruntime "github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/protobuf/encoding/protojson"

	devenvv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/devenv/v1"
)

// FuzzBodyError: whatever the body, the explanation of a decoder's
// failure is one of the mirror's own, never the decoder's text.
func FuzzBodyError(f *testing.F) {
	f.Add(`{"spec":{"auto_stop":{"duration":"x"}}}`)
	f.Add(`{"spec":{"extend_storage":[{"location":{"path":1}}]},"annotations":{"a":[]}}`)
	f.Add(`{"name":"a","name":"b"}`)
	f.Add(`[`)
	md := (&devenvv1.CreateInstanceRequest{}).ProtoReflect().Descriptor()
	decoder := errors.New("proto: the decoder's own words")
	f.Fuzz(func(t *testing.T, raw string) {
		e := bodyError(decoder, []byte(raw), md, 1<<20)
		if e == nil || e.code == "" || strings.Contains(e.message, "proto:") {
			t.Fatalf("bodyError(%q) = %+v", raw, e)
		}
	})
}

// allocated returns the bytes f allocates (the process's count: callers
// do not run in parallel).
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestReadErrorCostInProportionToSize: a body of nearly 1 MiB (the
// mirror's limit) that cannot be read costs, read and explained, a few
// times its size at most, whatever tokens fill it: the explanation walks
// the body in place, not token by token into values.
func TestReadErrorCostInProportionToSize(t *testing.T) {
	// Not parallel: the allocation count is the process's.
	repeat := func(head, elem, tail string) []byte {
		var b strings.Builder
		b.WriteString(head)
		for b.Len() < 1<<20-len(tail)-len(elem) {
			b.WriteString(elem)
		}
		b.WriteString(tail)
		return []byte(b.String())
	}
	m := &vendorMarshaler{JSONPb: gwruntime.JSONPb{UnmarshalOptions: protojson.UnmarshalOptions{DiscardUnknown: true}}}
	for _, tc := range []struct {
		name, wantCode string
		body           []byte
	}{
		// Members the API does not know, then a value of the wrong type.
		{"numbers_then_wrong_type", "ModelArts.6332", repeat(`{"other":[0`, `,0`, `],"name":5}`)},
		{"strings_then_wrong_type", "ModelArts.6332", repeat(`{"other":{"a":""`, `,"":""`, `},"description":true}`)},
		{"nested_then_wrong_type", "ModelArts.6332", repeat(`{"other":[[]`, `,[]`, `],"spec":{"extend_storage":[{},{"type":3}]}}`)},
		{"members_in_a_known_message_then_wrong_type", "ModelArts.6332", repeat(`{"spec":{"storage":{"a":0`, `,"ab":0`, `},"auto_stop":1}}`)},
		{"numbers_then_twice", "ModelArts.6400", repeat(`{"name":"a","other":[0`, `,0`, `],"name":"b"}`)},
		// Not JSON at the end.
		{"numbers_then_not_json", "ModelArts.6400", repeat(`{"other":[0`, `,0`, `}`)},
	} {
		var e *readError
		n := allocated(func() {
			err := m.NewDecoder(bytes.NewReader(tc.body)).Decode(new(devenvv1.CreateInstanceRequest))
			errors.As(err, &e)
		})
		t.Logf("%s: %d bytes allocated for a %d-byte body", tc.name, n, len(tc.body))
		if e == nil || e.code != tc.wantCode {
			t.Errorf("%s: %+v; want %s", tc.name, e, tc.wantCode)
		}
		if n > uint64(8*len(tc.body)) {
			t.Errorf("%s: %d bytes allocated for a %d-byte body; want at most 8 times its size", tc.name, n, len(tc.body))
		}
	}
}
