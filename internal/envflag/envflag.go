// Package envflag defines command-line flags that each have an
// environment-variable twin. A flag given on the command line wins over its
// variable, which wins over the default. The help text lists every flag with
// its variable, default and accepted range, and never prints the value of a
// secret flag.
//
// Every value is checked when it is parsed, with messages that say what is
// accepted ("want a duration with a unit, such as 5s"), and numbers and
// durations can be given a range ([DurationFlag.Between],
// [IntFlag.Between]) that is enforced once all sources are read, naming the
// flag, its variable and the range.
//
// A secret flag --x (variable X) also has a file twin --x-file (X_FILE)
// naming a file that holds the value, so secrets need not appear in process
// listings or the environment.
//
// A program may also take a YAML configuration file ([Set.ConfigFile]):
// keys are flag names, values go through the same checks as on the command
// line, and a flag wins over its variable, which wins over the file, which
// wins over the default. Secrets are never read from the file itself, only
// through their file twins. [Set.Settings] and [Set.PrintConfig] say what
// each flag's value is and where it came from, secrets redacted.
//
// Commands that take arguments as well as flags parse with
// [Set.ParseArgs], which accepts flags before, between and after the
// arguments; a short name such as -o can be given to a flag with
// [Set.Alias].
package envflag

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/devenv-facade/devenv-facade/internal/smallfile"
)

// Set is a set of flags with environment twins.
type Set struct {
	name     string
	fs       *flag.FlagSet
	specs    []*spec
	failed   *failure // the last value a flag.Value refused
	given    map[string]bool
	fromEnv  map[string]bool
	fromFile map[string]bool
	viaFile  map[string]bool   // secrets whose file twins win (and were read, unless only printing)
	aliases  map[string]string // alias -> flag name
	warnings []string

	config     *spec   // the flag naming the configuration file, if any
	configPath *string // its value

	printConfig *bool // set by the flag PrintConfigFlag defined, if any
}

// failure is a value a flag refused, with why.
type failure struct {
	name  string
	value string
	err   error
}

type spec struct {
	name, env, usage, def string
	secret                bool
	twin                  bool                 // the file twin of a secret flag
	value                 *string              // secret flags: the value
	file                  *string              // secret flags: the path of the file twin
	check                 func() error         // range check, run after parsing
	validate              func(v string) error // parse and range check v without storing it
	rangeText             string               // for the help text
	current               func() string
	aliases               []string
}

// New returns an empty Set for the named program.
func New(name string) *Set {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return &Set{name: name, fs: fs}
}

// ErrHelp is returned by Parse when -h, -help or --help was given.
var ErrHelp = flag.ErrHelp

// Parse parses args, then fills every flag not given on the command line
// from its environment variable, looked up with lookupEnv (os.LookupEnv in
// production), then every flag still unset from the configuration file
// (see [Set.ConfigFile]), reads the secret files, and checks every range.
// Positional arguments are an error.
func (s *Set) Parse(args []string, lookupEnv func(string) (string, bool)) error {
	positional, err := s.parseCommandLine(args)
	if err != nil {
		return err
	}
	if len(positional) > 0 {
		return fmt.Errorf("unexpected argument %q (all settings are flags)", positional[0])
	}
	return s.resolve(lookupEnv)
}

// ParseArgs is [Set.Parse] for commands that take arguments: it returns the
// arguments that are not flags, in order. Flags may come before, between
// and after them; everything after "--" is an argument. (A flag whose value
// is "--" must then be written --flag=--.)
func (s *Set) ParseArgs(args []string, lookupEnv func(string) (string, bool)) ([]string, error) {
	positional, err := s.parseCommandLine(args)
	if err != nil {
		return nil, err
	}
	return positional, s.resolve(lookupEnv)
}

// parseCommandLine parses the flags in args and returns the other
// arguments. The flag package stops at the first argument that is not a
// flag; parsing resumes after it.
func (s *Set) parseCommandLine(args []string) ([]string, error) {
	var positional []string
	for rest := args; ; {
		if err := s.fs.Parse(rest); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, ErrHelp
			}
			if f := s.failed; f != nil {
				return nil, fmt.Errorf("--%s %q: %w", f.name, f.value, f.err)
			}
			return nil, s.scrub(err)
		}
		left := s.fs.Args()
		if len(left) == 0 {
			return positional, nil
		}
		if used := len(rest) - len(left); used > 0 && rest[used-1] == "--" {
			return append(positional, left...), nil // after the terminator
		}
		positional = append(positional, left[0])
		rest = left[1:]
	}
}

// resolve fills the flags not given on the command line from their
// variables, then from the configuration file, reads the secret files and
// checks the ranges.
func (s *Set) resolve(lookupEnv func(string) (string, bool)) error {
	s.given, s.fromEnv, s.fromFile, s.viaFile = map[string]bool{}, map[string]bool{}, map[string]bool{}, map[string]bool{}
	s.fs.Visit(func(f *flag.Flag) { s.given[f.Name] = true })
	for alias, name := range s.aliases {
		if s.given[alias] {
			s.given[name] = true
		}
	}
	for _, sp := range s.specs {
		if s.given[sp.name] || sp.env == "" {
			continue
		}
		v, ok := lookupEnv(sp.env)
		if !ok {
			continue
		}
		s.fromEnv[sp.name] = true
		s.failed = nil
		if err := s.fs.Set(sp.name, v); err != nil {
			if sp.secret {
				return fmt.Errorf("environment variable %s: invalid value", sp.env)
			}
			if f := s.failed; f != nil {
				return fmt.Errorf("environment variable %s=%q (--%s): %w", sp.env, v, sp.name, f.err)
			}
			return fmt.Errorf("environment variable %s: %w", sp.env, err)
		}
	}
	if s.config != nil && *s.configPath != "" {
		if err := s.loadConfigFile(*s.configPath); err != nil {
			return err
		}
	}
	for i, sp := range s.specs {
		if sp.secret {
			if err := s.resolveSecretFile(sp, s.specs[i+1]); err != nil {
				return err
			}
		}
	}
	for _, sp := range s.specs {
		if sp.check == nil {
			continue
		}
		if err := sp.check(); err != nil {
			return fmt.Errorf("%s: %w", s.source(sp), err)
		}
	}
	return nil
}

// Alias makes alias another name for the flag name, which must already be
// defined: Alias("o", "output") lets -o json stand for --output json. The
// alias has no variable of its own; given on the command line, it counts
// as the flag given there.
func (s *Set) Alias(alias, name string) {
	f := s.fs.Lookup(name)
	if f == nil {
		panic("envflag: Alias(" + alias + ", " + name + "): no flag " + name) // a programming error, like flag's redefinition panic
	}
	s.fs.Var(f.Value, alias, "")
	if s.aliases == nil {
		s.aliases = map[string]string{}
	}
	s.aliases[alias] = name
	for _, sp := range s.specs {
		if sp.name == name {
			sp.aliases = append(sp.aliases, alias)
		}
	}
}

// Given reports whether the flag name was set by the last Parse or
// ParseArgs, on the command line (under its name or an alias), by its
// environment variable or by the configuration file, rather than left at
// its default.
func (s *Set) Given(name string) bool {
	return s.given[name] || s.fromEnv[name] || s.fromFile[name]
}

// level ranks where a flag's value came from: 3 the command line, 2 its
// variable, 1 the configuration file, 0 its default.
func (s *Set) level(name string) int {
	switch {
	case s.given[name]:
		return 3
	case s.fromEnv[name]:
		return 2
	case s.fromFile[name]:
		return 1
	}
	return 0
}

// source names where a flag's value came from, with the value, for an
// error message: "--grace -1s", "PROG_GRACE=-1s" or "--grace (default 0s)".
func (s *Set) source(sp *spec) string {
	v := ""
	if sp.current != nil {
		v = sp.current()
	}
	switch {
	case s.given[sp.name]:
		return fmt.Sprintf("--%s %s", sp.name, v)
	case s.fromEnv[sp.name]:
		return fmt.Sprintf("%s=%s (--%s)", sp.env, v, sp.name)
	case s.fromFile[sp.name]:
		return fmt.Sprintf("config file %s: %s: %s (--%s)", *s.configPath, sp.name, v, sp.name)
	}
	return fmt.Sprintf("--%s (default %s)", sp.name, v)
}

// maxSecretFile bounds a secret's file: IAM tokens, the longest secrets,
// take a few KiB.
const maxSecretFile = 64 << 10

// resolveSecretFile resolves a secret given both directly and as a file:
// the higher source wins (command line, then variable, then configuration
// file); both at the same level is an error. A file that wins is read into
// the value, unless the configuration is only to be printed
// ([Set.PrintConfigFlag]); a file others may read is noted in
// [Set.Warnings].
func (s *Set) resolveSecretFile(sp, fileSpec *spec) error {
	fileName := fileSpec.name
	if *sp.file == "" {
		return nil
	}
	if *sp.value != "" {
		lv, lf := s.level(sp.name), s.level(fileName)
		switch {
		case lv > lf:
			return nil // the value wins over a file given at a lower level
		case lv == lf && lv == 2:
			return fmt.Errorf("environment variables %s and %s are both set; set one", sp.env, fileSpec.env)
		case lv == lf:
			return fmt.Errorf("--%s and --%s are both given; give one", sp.name, fileName)
		}
		// the file wins over a value given at a lower level
		*sp.value = ""
	}
	s.viaFile[sp.name] = true
	if s.printConfig != nil && *s.printConfig {
		return nil // printing reads no secret: the start reads and checks the file
	}
	return s.readSecretFile(sp, fileName)
}

// readSecretFile reads the secret's file (a regular file of at most
// maxSecretFile bytes) into its value.
func (s *Set) readSecretFile(sp *spec, fileName string) error {
	raw, err := smallfile.Read(*sp.file, maxSecretFile)
	if err != nil {
		return fmt.Errorf("--%s: %w", fileName, err)
	}
	v := strings.TrimRight(string(raw), "\r\n")
	if v == "" {
		return fmt.Errorf("--%s: %s is empty", fileName, *sp.file)
	}
	if fi, err := os.Stat(*sp.file); err == nil && readableByOthers(fi) {
		s.warnings = append(s.warnings, fmt.Sprintf("--%s: %s (mode %s) is readable by others than its owner; chmod go-r it",
			fileName, *sp.file, fi.Mode().Perm()))
	}
	*sp.value = v
	return nil
}

// Warnings returns what Parse noticed that is not an error, for the
// program to log: secret files others may read.
func (s *Set) Warnings() []string { return slices.Clone(s.warnings) }

// SecretsOnCommandLine returns the secret flags whose values were given
// on the command line itself (not as a file or variable), where every
// user of the host can read them in the process listing.
func (s *Set) SecretsOnCommandLine() []string {
	var names []string
	for _, sp := range s.specs {
		if sp.secret && s.given[sp.name] {
			names = append(names, "--"+sp.name)
		}
	}
	return names
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
