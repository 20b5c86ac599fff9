package readme_test

import (
	"testing"

	"github.com/devenv-facade/devenv-facade/internal/readme"
)

func TestReplace(t *testing.T) {
	in := "a\n<!-- BEGIN generated:x -->\nold\n<!-- END generated:x -->\nb\n"
	got, err := readme.Replace(in, map[string]string{"x": "new\n"})
	if err != nil {
		t.Fatal(err)
	}
	if want := "a\n<!-- BEGIN generated:x -->\nnew\n<!-- END generated:x -->\nb\n"; got != want {
		t.Errorf("Replace = %q; want %q", got, want)
	}
	if _, err := readme.Replace(in, map[string]string{"y": ""}); err == nil {
		t.Error("Replace of a missing section succeeded")
	}
}
