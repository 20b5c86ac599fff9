// Package examples_test keeps docs/clients.md ("Calling from other
// languages") true to the programs in examples/ and to what test-outside.sh runs.
package examples_test

import (
	"flag"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/devenv-facade/devenv-facade/internal/readme"
)

var update = flag.Bool("update", false, "rewrite the example sections of docs/clients.md from examples/")

// TestDocs_examples: docs/clients.md shows each example program whole, as it
// is in examples/ (go test ./examples -run Docs -update rewrites them).
func TestDocs_examples(t *testing.T) {
	want := map[string]string{}
	for _, ex := range []struct{ section, file, lang string }{
		{"example-go", "go/main.go", "go"},
		{"example-node", "node/example.mjs", "js"},
		{"example-python", "python/example.py", "python"},
	} {
		src, err := os.ReadFile(ex.file)
		if err != nil {
			t.Fatal(err)
		}
		want[ex.section] = "```" + ex.lang + "\n" + string(src) + "```\n"
	}
	readme.Check(t, "../docs/clients.md", want, *update, "go test ./examples -run Docs -update")
}

// TestDocs_commandsAreTested: every command of docs/clients.md's "From a
// project of your own" is one test-outside.sh runs, verbatim but for the
// facade's address, so that make test-examples tests what the docs say.
func TestDocs_commandsAreTested(t *testing.T) {
	raw, err := os.ReadFile("../docs/clients.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(raw)
	start := strings.Index(text, "\n## From a project of your own\n")
	if start < 0 {
		t.Fatal(`docs/clients.md has no "## From a project of your own" section`)
	}
	section := text[start+1:]
	if end := regexp.MustCompile(`(?m)^##`).FindAllStringIndex(section, 2); len(end) == 2 {
		section = section[:end[1][0]]
	}
	script, err := os.ReadFile("test-outside.sh")
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?s)```sh\n(.*?)```").FindAllStringSubmatch(section, -1)
	if len(blocks) < 3 {
		t.Fatalf("the section has %d sh blocks; want one per language", len(blocks))
	}
	commands := 0
	for _, b := range blocks {
		for line := range strings.Lines(b[1]) {
			line = strings.TrimSpace(line)
			if line == "" || strings.HasPrefix(line, "#") {
				continue // output, or a comment
			}
			line = strings.ReplaceAll(line, "127.0.0.1:9090", "$ADDR")
			commands++
			if !strings.Contains(string(script), line) {
				t.Errorf("docs/clients.md's command %q is not run by examples/test-outside.sh", line)
			}
		}
	}
	if commands < 15 {
		t.Errorf("found %d commands in the section; want every language's", commands)
	}
}
