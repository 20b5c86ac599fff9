// Package envflag defines command-line flags that each have an
// environment-variable twin. A flag given on the command line wins over its
// variable, which wins over the default. The help text lists every flag with
// its variable and default, and never prints the value of a secret flag.
//
// A secret flag --x (variable X) also has a file twin --x-file (X_FILE)
// naming a file that holds the value, so secrets need not appear in process
// listings or the environment.
package envflag

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// Set is a set of flags with environment twins.
type Set struct {
	name  string
	fs    *flag.FlagSet
	specs []spec
}

type spec struct {
	name, env, usage, def string
	secret                bool
	value                 *string // secret flags: the value
	file                  *string // secret flags: the path of the file twin
}

// New returns an empty Set for the named program.
func New(name string) *Set {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return &Set{name: name, fs: fs}
}

// String defines a string flag.
func (s *Set) String(p *string, name, env, def, usage string) {
	s.fs.StringVar(p, name, def, usage)
	s.specs = append(s.specs, spec{name: name, env: env, usage: usage, def: def})
}

// Secret defines a string flag whose value is never shown in the help text
// or in error messages, and its file twin name-file (env_FILE): the value is
// then read from that file, without a trailing newline.
func (s *Set) Secret(p *string, name, env, usage string) {
	file := new(string)
	s.fs.StringVar(p, name, "", usage)
	s.fs.StringVar(file, name+"-file", "", "")
	fileEnv := ""
	if env != "" {
		fileEnv = env + "_FILE"
	}
	s.specs = append(s.specs, spec{name: name, env: env, usage: usage, secret: true, value: p, file: file},
		spec{name: name + "-file", env: fileEnv, usage: "file holding the value of --" + name})
}

// Duration defines a duration flag, written like "30s" or "1m30s".
func (s *Set) Duration(p *time.Duration, name, env string, def time.Duration, usage string) {
	s.fs.DurationVar(p, name, def, usage)
	s.specs = append(s.specs, spec{name: name, env: env, usage: usage, def: def.String()})
}

// Int defines an integer flag.
func (s *Set) Int(p *int, name, env string, def int, usage string) {
	s.fs.IntVar(p, name, def, usage)
	s.specs = append(s.specs, spec{name: name, env: env, usage: usage, def: fmt.Sprint(def)})
}

// Bool defines a boolean flag.
func (s *Set) Bool(p *bool, name, env string, def bool, usage string) {
	s.fs.BoolVar(p, name, def, usage)
	s.specs = append(s.specs, spec{name: name, env: env, usage: usage, def: fmt.Sprint(def)})
}

// ErrHelp is returned by Parse when -h, -help or --help was given.
var ErrHelp = flag.ErrHelp

// Parse parses args, then fills every flag not given on the command line
// from its environment variable, looked up with lookupEnv (os.LookupEnv in
// production). Positional arguments are an error.
func (s *Set) Parse(args []string, lookupEnv func(string) (string, bool)) error {
	if err := s.fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return ErrHelp
		}
		return s.scrub(err)
	}
	if s.fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (all settings are flags)", s.fs.Arg(0))
	}
	given := map[string]bool{}
	s.fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	fromEnv := map[string]bool{}
	for _, sp := range s.specs {
		if given[sp.name] || sp.env == "" {
			continue
		}
		v, ok := lookupEnv(sp.env)
		if !ok {
			continue
		}
		fromEnv[sp.name] = true
		if err := s.fs.Set(sp.name, v); err != nil {
			if sp.secret {
				return fmt.Errorf("environment variable %s: invalid value", sp.env)
			}
			return fmt.Errorf("environment variable %s: %w", sp.env, err)
		}
	}
	for _, sp := range s.specs {
		if sp.secret {
			if err := s.readSecretFile(sp, given, fromEnv); err != nil {
				return err
			}
		}
	}
	return nil
}

// readSecretFile resolves a secret given both directly and as a file: the
// command line wins over the environment; both at the same level is an
// error. A file that wins is read into the value.
func (s *Set) readSecretFile(sp spec, given, fromEnv map[string]bool) error {
	fileName := sp.name + "-file"
	if *sp.file == "" {
		return nil
	}
	if *sp.value != "" {
		switch {
		case given[sp.name] && fromEnv[fileName]:
			return nil // the flag wins over the variable's file
		case given[fileName] && fromEnv[sp.name]:
			// the file flag wins over the variable: read it below
		default:
			return fmt.Errorf("--%s and --%s are both set; give one", sp.name, fileName)
		}
	}
	raw, err := os.ReadFile(*sp.file)
	if err != nil {
		return fmt.Errorf("--%s: %w", fileName, err)
	}
	v := strings.TrimRight(string(raw), "\r\n")
	if v == "" {
		return fmt.Errorf("--%s: %s is empty", fileName, *sp.file)
	}
	*sp.value = v
	return nil
}

// scrub removes the values of secret flags from a flag parse error. The flag
// package quotes the offending value in some messages.
func (s *Set) scrub(err error) error {
	for _, sp := range s.specs {
		if sp.secret && strings.Contains(err.Error(), "-"+sp.name) {
			return fmt.Errorf("invalid value for flag --%s", sp.name)
		}
	}
	return err
}

// PrintUsage writes the help text: a synopsis line, the header text and one
// entry per flag, in the order they were defined.
func (s *Set) PrintUsage(w io.Writer, header string) {
	fmt.Fprintf(w, "Usage: %s [flags]\n\n", s.name)
	if header != "" {
		fmt.Fprintf(w, "%s\n\n", strings.TrimRight(header, "\n"))
	}
	fmt.Fprintln(w, "Flags (each can also be set by the environment variable shown; a flag wins):")
	for _, sp := range s.specs {
		fmt.Fprintf(w, "  --%s", sp.name)
		if sp.env != "" {
			fmt.Fprintf(w, "  [$%s]", sp.env)
		}
		fmt.Fprintf(w, "\n      %s", sp.usage)
		switch {
		case sp.secret:
			fmt.Fprint(w, " (secret: its value is never printed)")
		case sp.def != "":
			fmt.Fprintf(w, " (default %q)", sp.def)
		}
		fmt.Fprintln(w)
	}
}
