package readme_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/devenv-facade/devenv-facade/internal/readme"
)

func TestSlug(t *testing.T) {
	for _, tc := range []struct{ heading, want string }{
		{"Run it, test it", "run-it-test-it"},
		{"Codes not in the table: by HTTP status", "codes-not-in-the-table-by-http-status"},
		{"The embedded ModelArts emulator", "the-embedded-modelarts-emulator"},
		{"--max-waits and  spaces", "--max-waits-and--spaces"},
		{"snake_case (and) 1.2/3", "snake_case-and-123"},
		{"Größe über", "größe-über"},
	} {
		if got := readme.Slug(tc.heading); got != tc.want {
			t.Errorf("Slug(%q) = %q; want %q", tc.heading, got, tc.want)
		}
	}
}

func TestParse(t *testing.T) {
	src := "# Title\n\n## `devenvctl` *flags*\n\n## Title\n\n" +
		"See [the\nAPI](api.md#the-api) and ![chart](a.png),\n`[not](a link)`, [ref][r].\n\n" +
		"```\n[nor](this)\n```\n\n[r]: other.md\n"
	doc := readme.Parse([]byte(src))
	for _, a := range []string{"title", "devenvctl-flags", "title-1"} {
		if !doc.Anchors[a] {
			t.Errorf("no anchor %q in %v", a, doc.Anchors)
		}
	}
	var got []string
	for _, l := range doc.Links {
		got = append(got, l.Dest)
	}
	if want := []string{"api.md#the-api", "a.png", "other.md"}; !slices.Equal(got, want) {
		t.Errorf("links %q; want %q", got, want)
	}
	if doc.Links[0].Line != 7 || doc.Links[1].Line != 8 {
		t.Errorf("lines %d, %d; want 7, 8", doc.Links[0].Line, doc.Links[1].Line)
	}
}

// fakeTB records what CheckLinks reports.
type fakeTB struct {
	testing.TB
	errors []string
}

func (f *fakeTB) Helper()                   {}
func (f *fakeTB) Errorf(s string, a ...any) { f.errors = append(f.errors, fmt.Sprintf(s, a...)) }

func TestCheckLinks(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("docs/api.md", "# The API\n\n## Input rules\n")
	write("src/x.go", "package x\n")
	good := write("README.md", "# R\n\n[a](docs/api.md) [b](docs/api.md#input-rules) [c](#r) [d](src/x.go#L1) [e](src/) [f](https://example.com/x#y)\n")
	bad := write("docs/bad.md", "# Bad\n\n[a](api.md#inputs) [b](missing.md) [c](#nowhere) [d](../../outside.md) [e](/abs.md)\n")

	f := &fakeTB{TB: t}
	readme.CheckLinks(f, dir, good)
	if len(f.errors) != 0 {
		t.Errorf("good links reported: %q", f.errors)
	}
	f = &fakeTB{TB: t}
	readme.CheckLinks(f, dir, bad)
	all := strings.Join(f.errors, "\n")
	for _, want := range []string{
		"bad.md:3: link api.md#inputs: api.md has no heading with anchor #inputs",
		"link missing.md: no such file",
		"link #nowhere: bad.md has no heading",
		"link ../../outside.md: outside the repository",
		"link /abs.md: an absolute path",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("no error %q in:\n%s", want, all)
		}
	}
	if len(f.errors) != 5 {
		t.Errorf("%d errors; want 5:\n%s", len(f.errors), all)
	}
}
