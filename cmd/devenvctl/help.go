package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/devenv-facade/devenv-facade/internal/envflag"
)

// printHelp writes devenvctl's help: the commands, the global flags and
// the exit codes.
func printHelp(w io.Writer) {
	fmt.Fprint(w, `devenvctl manages ModelArts DevEnviron notebooks through devenv-facade's
gRPC API: those of the current API (modelarts.notebook.v1.NotebookService,
the commands grouped by noun: notebooks, lease, flavors, storage, images)
and the instances of the historical one (modelarts.devenv.v1.DevEnvService,
the single-word commands list, get, create, ...).

Usage:
  devenvctl NOUN COMMAND [flags] [ARGS]     # devenvctl notebooks list
  devenvctl COMMAND [flags] [INSTANCE_ID]   # devenvctl list
  devenvctl [NOUN] COMMAND --help

Commands of the notebook API (NotebookService):
`)
	for _, g := range groups {
		printCommandList(w, g.commands)
	}
	fmt.Fprint(w, "\nCommands of the historical API (DevEnvService, /demanager/instances):\n")
	for _, cmd := range commands {
		if cmd.remote {
			fmt.Fprintf(w, "  %-8s %s\n", cmd.name, cmd.summary)
		}
	}
	fmt.Fprint(w, "\nOther commands:\n")
	for _, cmd := range commands {
		if !cmd.remote {
			fmt.Fprintf(w, "  %-8s %s\n", cmd.name, cmd.summary)
		}
	}
	fmt.Fprintln(w, "  help     Show a command's help: devenvctl help [NOUN] COMMAND")
	fs := envflag.New("devenvctl")
	var g globals
	g.define(fs)
	fmt.Fprint(w, "\nGlobal flags, after the command (each can also be set by the environment\nvariable shown; a flag wins):\n")
	printFlags(w, fs.Flags())
	fmt.Fprint(w, `
Output: a table, or with -o json one JSON document in the vendor's JSON
(snake_case names, integers as numbers): for the notebook API, the object
itself (notebook, lease, mount, image) as ModelArts answers it, and for
lists the vendor's envelope (current, data, pages, size, total) with
next_page_token; for the historical API, the instance for get, create and
update; total_count, instances and next_page_token for list; the response
for start, stop and delete. A watch prints one JSON object a line per
event: type, the object (notebook, instance) and resume_token.

Errors are printed on stderr with the gRPC code, the ModelArts code and
message, the request ID, each invalid field and any delay to wait.

Exit codes:
`)
	fmt.Fprint(w, exitTableText("  "))
}

// printCommandHelp writes a command's help: its synopsis, what it does,
// its own flags (the first own of flags) and the global ones.
func printCommandHelp(w io.Writer, cmd *command, flags []envflag.Info, own int) {
	fmt.Fprintf(w, "Usage: devenvctl %s [flags]", cmd.name)
	for _, a := range cmd.args {
		fmt.Fprint(w, " "+a)
	}
	fmt.Fprintf(w, "\n\n%s\n", cmd.about)
	if own > 0 {
		fmt.Fprint(w, "\nFlags:\n")
		printFlags(w, flags[:own])
	}
	fmt.Fprint(w, "\nGlobal flags (each can also be set by the environment variable shown; a flag wins):\n")
	printFlags(w, flags[own:])
	fmt.Fprint(w, "\nExit codes: 0 on success; see devenvctl --help for the others.\n")
}

// printFlags writes one entry per flag: its names, its variables, what it
// does and its default or accepted values; never a secret's value.
func printFlags(w io.Writer, flags []envflag.Info) {
	for _, f := range flags {
		names := make([]string, 0, 3)
		for _, a := range f.Aliases {
			names = append(names, "-"+a)
		}
		names = append(names, "--"+f.Name)
		env := []string{}
		if f.Env != "" {
			env = append(env, "$"+f.Env)
		}
		if f.Secret {
			names = append(names, "--"+f.Name+"-file FILE")
			if f.Env != "" {
				env = append(env, "$"+f.Env+"_FILE")
			}
		}
		fmt.Fprintf(w, "  %s", strings.Join(names, ", "))
		if len(env) > 0 {
			fmt.Fprintf(w, "  [%s]", strings.Join(env, ", "))
		}
		fmt.Fprintf(w, "\n      %s", f.Usage)
		def := f.Default
		if def == "false" || def == "0" || def == "0s" {
			def = "" // the zero value says nothing
		}
		switch {
		case f.Secret:
			fmt.Fprint(w, " (secret: its value is never printed; --"+f.Name+"-file reads it from a file)")
		case def != "" && f.Range != "":
			fmt.Fprintf(w, " (default %q; %s)", def, f.Range)
		case def != "":
			fmt.Fprintf(w, " (default %q)", def)
		case f.Range != "":
			fmt.Fprintf(w, " (%s)", f.Range)
		}
		fmt.Fprintln(w)
	}
}
