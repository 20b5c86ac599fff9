package main

import (
	"flag"
	"strings"
	"testing"

	"github.com/devenv-facade/devenv-facade/internal/envflag"
	"github.com/devenv-facade/devenv-facade/internal/readme"
)

var update = flag.Bool("update", false, "rewrite the generated sections of docs/configuration.md")

// TestDocs_flags keeps docs/configuration.md's table of flags in step with the code.
func TestDocs_flags(t *testing.T) {
	var cfg config
	readme.Check(t, "../../docs/configuration.md", map[string]string{"facade-flags": flagTable(newFlags(&cfg).Flags())},
		*update, "go test ./cmd/devenv-facade -run Docs -update")
}

// flagTable renders flags as a Markdown table.
func flagTable(flags []envflag.Info) string {
	var b strings.Builder
	b.WriteString("| Flag | Environment | Default | Accepts | Meaning |\n|---|---|---|---|---|\n")
	cell := func(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
	code := func(s string) string {
		if s == "" {
			return ""
		}
		return "`" + s + "`"
	}
	for _, f := range flags {
		def := code(f.Default)
		switch {
		case f.Secret:
			def = "(secret)"
		case f.Default == "":
			def = "empty"
		}
		b.WriteString("| `--" + f.Name + "` | " + code(f.Env) + " | " + def + " | " + cell(f.Range) + " | " + cell(f.Usage) + " |\n")
	}
	return b.String()
}
