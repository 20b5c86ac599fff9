package emulator

import (
	"strings"
	"testing"
)

// FuzzParseSWRPath: the SWR address parser never panics, and what it
// accepts it reads back exactly: [host/]organisation/name:tag, each part
// of its characters.
func FuzzParseSWRPath(f *testing.F) {
	for _, s := range []string{
		"swr.xxx.com/op_svc_modelarts_container2/pytorch_1_8:train-pytorch_1.8.0-cuda_10.2-py_3.7",
		"org/name:tag", "host:443/org/name:v1", "name:tag", "org/name", "/org/name:tag", "a/b/c/d:e", "org/name:", ":tag",
		"org/Name:tag", "h/o/n:t:u", "org/na:me/x",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		ref, ok := parseSWRPath(p)
		if !ok {
			return
		}
		back := ref.namespace + "/" + ref.name + ":" + ref.tag
		if ref.host != "" {
			back = ref.host + "/" + back
		}
		if back != p {
			t.Errorf("parseSWRPath(%q) = %+v, which reads back as %q", p, ref, back)
		}
		for _, part := range []struct{ s, chars string }{{ref.namespace, imageNameChars}, {ref.name, imageNameChars}, {ref.tag, imageTagChars}} {
			if part.s == "" || strings.Trim(part.s, part.chars) != "" {
				t.Errorf("parseSWRPath(%q) accepted the part %q", p, part.s)
			}
		}
	})
}
