// Package readme holds the tests' helpers for the project's Markdown
// (README.md, docs/, BENCHMARKS.md): generated sections kept in step with
// the code that defines them (a section lies between
// "<!-- BEGIN generated:NAME -->" and "<!-- END generated:NAME -->" lines),
// and relative links and #anchors checked as GitHub resolves them.
package readme

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// Check compares the named sections of the file at path with want (name →
// body). With update it rewrites the file; otherwise it fails the test for
// each section that differs, naming the command that updates it.
func Check(tb testing.TB, path string, want map[string]string, update bool, updateCmd string) {
	tb.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	out, err := Replace(string(raw), want)
	if err != nil {
		tb.Fatal(err)
	}
	if out == string(raw) {
		return
	}
	if update {
		if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
			tb.Fatal(err)
		}
		return
	}
	tb.Errorf("%s: generated sections differ from the code; run: %s", path, updateCmd)
}

// Replace returns text with the body of each named section replaced.
func Replace(text string, sections map[string]string) (string, error) {
	for name, body := range sections {
		begin, end := "<!-- BEGIN generated:"+name+" -->\n", "<!-- END generated:"+name+" -->"
		i, j := strings.Index(text, begin), strings.Index(text, end)
		if i < 0 || j < i {
			return "", fmt.Errorf("no %q ... %q section", begin, end)
		}
		text = text[:i+len(begin)] + body + text[j:]
	}
	return text, nil
}
