// Package docs_test checks the project's documentation as a whole:
// README.md, the pages of docs/ and BENCHMARKS.md.
package docs_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/devenv-facade/devenv-facade/internal/readme"
)

// pages are README.md, BENCHMARKS.md and every page of docs/.
func pages(t *testing.T) []string {
	t.Helper()
	docs, err := filepath.Glob("*.md")
	if err != nil || len(docs) == 0 {
		t.Fatalf("no pages in docs/: %v", err)
	}
	return append([]string{"../README.md", "../BENCHMARKS.md"}, docs...)
}

// TestLinks: every relative link and #anchor of the documentation resolves
// as it does on GitHub.
func TestLinks(t *testing.T) {
	readme.CheckLinks(t, "..", pages(t)...)
}

// TestEveryPageLinked: README.md links every page of docs/, so that none
// is found only by browsing the directory.
func TestEveryPageLinked(t *testing.T) {
	src, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	linked := map[string]bool{}
	for _, l := range readme.Parse(src).Links {
		path, _, _ := strings.Cut(l.Dest, "#")
		linked[path] = true
	}
	for _, p := range pages(t)[2:] {
		if !linked["docs/"+p] {
			t.Errorf("README.md does not link docs/%s", p)
		}
	}
}

// TestBenchmarksNotes: the hand-written part of BENCHMARKS.md is
// bench/notes.md, which make bench appends to the tables it generates; an
// edit made to BENCHMARKS.md alone would be lost at the next run.
func TestBenchmarksNotes(t *testing.T) {
	report, err := os.ReadFile("../BENCHMARKS.md")
	if err != nil {
		t.Fatal(err)
	}
	notes, err := os.ReadFile("../bench/notes.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(string(report), "\n"+string(notes)) {
		t.Error("BENCHMARKS.md does not end with bench/notes.md: edit bench/notes.md and copy it over the end of BENCHMARKS.md (make bench does that)")
	}
}
