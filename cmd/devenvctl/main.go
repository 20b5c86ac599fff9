package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/devenv-facade/devenv-facade/internal/clock"
	"github.com/devenv-facade/devenv-facade/internal/envflag"
	"github.com/devenv-facade/devenv-facade/internal/scrub"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.LookupEnv, os.Stdout, os.Stderr)
	stop()
	os.Exit(exitCode(err))
}

// run is main without the process: arguments, environment and output are
// parameters, so tests can drive it. It writes results on stdout and
// errors on stderr itself; what it returns (nil on success) decides the
// exit status, through exitCode.
func run(ctx context.Context, args []string, lookupEnv func(string) (string, bool), stdout, stderr io.Writer) error {
	return runClock(ctx, clock.Real(), args, lookupEnv, stdout, stderr)
}

// runClock is run with the clock devenvctl pauses on (between the
// attempts of a watch), which tests replace.
func runClock(ctx context.Context, clk clock.Clock, args []string, lookupEnv func(string) (string, bool), stdout, stderr io.Writer) error {
	c := &cli{lookupEnv: lookupEnv, stdout: stdout, stderr: stderr, clock: clk}
	err := c.dispatch(ctx, args)
	if err != nil {
		printError(stderr, err, c.secrets)
	}
	return err
}

// cli is one run of the command.
type cli struct {
	lookupEnv      func(string) (string, bool)
	stdout, stderr io.Writer
	secrets        *scrub.Secrets // the tokens, once parsed: never printed
	clock          clock.Clock    // what pauses between a watch's attempts
}

// dispatch runs the command args name.
func (c *cli) dispatch(ctx context.Context, args []string) error {
	if len(args) == 0 {
		printHelp(c.stderr)
		return usagef("no command given (see devenvctl --help)")
	}
	name, rest := args[0], args[1:]
	switch name {
	case "-h", "-help", "--help":
		printHelp(c.stdout)
		return nil
	case "--version", "-version":
		name = "version"
	case "help":
		if len(rest) == 0 {
			printHelp(c.stdout)
			return nil
		}
		// help notebooks list: the help of notebooks list.
		return c.dispatch(ctx, append(rest[:min(len(rest), 2):min(len(rest), 2)], "--help"))
	}
	if g := findGroup(name); g != nil {
		return c.dispatchGroup(ctx, g, rest)
	}
	cmd := findCommand(name)
	if cmd == nil {
		if strings.HasPrefix(name, "-") {
			return usagef("flags go after the command: devenvctl COMMAND %s ... (see devenvctl --help)", name)
		}
		return usagef("unknown command %q (see devenvctl --help)", name)
	}
	return c.runCommand(ctx, cmd, rest)
}

// dispatchGroup runs the command of group g that args name: devenvctl
// notebooks list.
func (c *cli) dispatchGroup(ctx context.Context, g *group, args []string) error {
	if len(args) == 0 {
		printGroupHelp(c.stderr, g)
		return usagef("%s needs a command: %s (see devenvctl %s --help)", g.name, g.commandNames(), g.name)
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		printGroupHelp(c.stdout, g)
		return nil
	}
	cmd := g.find(args[0])
	if cmd == nil {
		if strings.HasPrefix(args[0], "-") {
			return usagef("flags go after the command: devenvctl %s COMMAND %s ... (see devenvctl %s --help)", g.name, args[0], g.name)
		}
		return usagef("unknown command %q of devenvctl %s; want %s (see devenvctl %s --help)", args[0], g.name, g.commandNames(), g.name)
	}
	return c.runCommand(ctx, cmd, args[1:])
}

// runCommand parses a command's flags and arguments and runs it.
func (c *cli) runCommand(ctx context.Context, cmd *command, args []string) error {
	fs := envflag.New("devenvctl " + cmd.name)
	act := cmd.setup(fs)
	own := len(fs.Flags())
	var g globals
	if cmd.remote {
		g.define(fs)
	} else {
		g.defineOutput(fs)
	}
	positional, err := fs.ParseArgs(args, c.lookupEnv)
	if err != nil {
		if errors.Is(err, envflag.ErrHelp) {
			printCommandHelp(c.stdout, cmd, fs.Flags(), own)
			return nil
		}
		return usagef("%v (see devenvctl %s --help)", err, cmd.name)
	}
	if cmd.remote {
		g.resolve(fs, c.lookupEnv)
		c.secrets = scrub.NewSecrets(g.token, g.authToken)
		for _, name := range fs.SecretsOnCommandLine() {
			fmt.Fprintf(c.stderr, "devenvctl: warning: %s was given on the command line, where every user of this host can read it (ps, /proc); give %s-file or its environment variable instead\n", name, name)
		}
	}
	for _, w := range fs.Warnings() {
		fmt.Fprintf(c.stderr, "devenvctl: warning: %s\n", w)
	}
	if len(positional) != len(cmd.args) {
		switch {
		case len(cmd.args) == 0:
			return usagef("devenvctl %s takes no arguments; got %q (see devenvctl %s --help)", cmd.name, positional[0], cmd.name)
		case len(positional) == 0:
			return usagef("devenvctl %s needs %s (see devenvctl %s --help)", cmd.name, strings.Join(cmd.args, " "), cmd.name)
		default:
			return usagef("devenvctl %s takes %s; got %d arguments (see devenvctl %s --help)", cmd.name, strings.Join(cmd.args, " "), len(positional), cmd.name)
		}
	}
	for _, a := range positional {
		if a == "" {
			return usagef("devenvctl %s: %s is empty", cmd.name, strings.Join(cmd.args, " "))
		}
	}
	s := &session{g: &g, stdout: c.stdout, stderr: c.stderr, secrets: c.secrets, clock: c.clock}
	if cmd.remote {
		// A watch keeps its call open for as long as it runs: the
		// connection pings the facade so that one that vanished is noticed.
		s.pings = cmd.watch || fs.Given("watch")
		if err := g.check(); err != nil {
			return err
		}
		closeConn, err := s.connect()
		if err != nil {
			return err
		}
		defer closeConn()
	}
	return act(ctx, s, positional)
}
