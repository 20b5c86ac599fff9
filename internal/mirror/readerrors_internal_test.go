package mirror

import (
	"errors"
	"strings"
	"testing"

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
