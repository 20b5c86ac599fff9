package envflag

import (
	"fmt"
	"io"
	"slices"
	"strings"
)

// Info describes a flag, for documentation generated from the code.
type Info struct {
	// Name is the flag's name, without dashes.
	Name string
	// Env is its environment variable, or "".
	Env string
	// Default is its default value as text ("" for secrets).
	Default string
	// Range says which values are accepted ("100ms to 10m0s", "one of
	// text, json"), or "".
	Range string
	// Usage is the help text.
	Usage string
	// Secret marks a secret flag; it also has a file twin, Name+"-file".
	Secret bool
	// Aliases are its other names ("o" for "output"), from [Set.Alias].
	Aliases []string
}

// Flags describes the flags in the order they were defined, without the
// file twins of secret flags.
func (s *Set) Flags() []Info {
	var out []Info
	for _, sp := range s.specs {
		if !sp.twin {
			out = append(out, Info{Name: sp.name, Env: sp.env, Default: sp.def, Range: sp.rangeText, Usage: sp.usage, Secret: sp.secret,
				Aliases: slices.Clone(sp.aliases)})
		}
	}
	return out
}

// PrintUsage writes the help text: a synopsis line, the header text and one
// entry per flag, in the order they were defined.
func (s *Set) PrintUsage(w io.Writer, header string) {
	fmt.Fprintf(w, "Usage: %s [flags]\n\n", s.name)
	if header != "" {
		fmt.Fprintf(w, "%s\n\n", strings.TrimRight(header, "\n"))
	}
	if s.config != nil {
		fmt.Fprintf(w, "Flags (each can also be set by the environment variable shown, or by its name in\nthe --%s file; a flag wins over its variable, which wins over the file):\n", s.config.name)
	} else {
		fmt.Fprintln(w, "Flags (each can also be set by the environment variable shown; a flag wins):")
	}
	for _, sp := range s.specs {
		fmt.Fprint(w, " ")
		for _, a := range sp.aliases {
			fmt.Fprintf(w, " %s%s,", dashes(a), a)
		}
		fmt.Fprintf(w, " --%s", sp.name)
		if sp.env != "" {
			fmt.Fprintf(w, "  [$%s]", sp.env)
		}
		fmt.Fprintf(w, "\n      %s", sp.usage)
		switch {
		case sp.secret && s.config != nil:
			fmt.Fprintf(w, " (secret: its value is never printed, nor read from the --%s file: give --%s-file there)", s.config.name, sp.name)
		case sp.secret:
			fmt.Fprint(w, " (secret: its value is never printed)")
		case sp.def != "" && sp.rangeText != "":
			fmt.Fprintf(w, " (default %q; %s)", sp.def, sp.rangeText)
		case sp.def != "":
			fmt.Fprintf(w, " (default %q)", sp.def)
		case sp.rangeText != "":
			fmt.Fprintf(w, " (%s)", sp.rangeText)
		}
		fmt.Fprintln(w)
	}
}

// dashes is how a flag's name is written in help: -o, --output.
func dashes(name string) string {
	if len(name) == 1 {
		return "-"
	}
	return "--"
}
