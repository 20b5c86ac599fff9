package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
)

// group is a noun of the new notebook API (modelarts.notebook.v1.
// NotebookService) whose commands act on one kind of resource:
// devenvctl notebooks list, devenvctl lease renew.
type group struct {
	name    string
	summary string // one line, for the list of commands
	// commands are the group's commands, named "GROUP VERB", in the
	// order help lists them.
	commands []*command
}

// groups are the new API's nouns, in the order help lists them.
var groups = []*group{notebooksGroup, leaseGroup, flavorsGroup, storageGroup, imagesGroup}

// findGroup returns the group called name, or nil.
func findGroup(name string) *group {
	for _, g := range groups {
		if g.name == name {
			return g
		}
	}
	return nil
}

// find returns g's command called verb, or nil.
func (g *group) find(verb string) *command {
	for _, c := range g.commands {
		if c.name == g.name+" "+verb {
			return c
		}
	}
	return nil
}

// commandNames returns g's verbs: "list, get or create".
func (g *group) commandNames() string {
	verbs := make([]string, len(g.commands))
	for i, c := range g.commands {
		verbs[i] = strings.TrimPrefix(c.name, g.name+" ")
	}
	if len(verbs) == 1 {
		return verbs[0]
	}
	return strings.Join(verbs[:len(verbs)-1], ", ") + " or " + verbs[len(verbs)-1]
}

// printGroupHelp writes a group's help: its commands.
func printGroupHelp(w io.Writer, g *group) {
	fmt.Fprintf(w, "Usage: devenvctl %s COMMAND [flags] [ARGS]\n\n%s.\n\nCommands:\n", g.name, g.summary)
	printCommandList(w, g.commands)
	fmt.Fprintf(w, "\nSee devenvctl %s COMMAND --help for a command's flags, and devenvctl --help\nfor the global flags and the exit codes.\n", g.name)
}

// printCommandList writes one line per command: its name, its arguments
// and its summary.
func printCommandList(w io.Writer, cmds []*command) {
	for _, c := range cmds {
		fmt.Fprintf(w, "  %-38s %s\n", strings.TrimSpace(c.name+" "+strings.Join(c.args, " ")), c.summary)
	}
}

// rpc runs one call of the notebook API, fn (a method of the generated
// client) with req, through session.call: its deadline, metadata and
// errors.
func rpc[Req proto.Message, Resp any](ctx context.Context, s *session, method string, req Req,
	fn func(context.Context, Req, ...grpc.CallOption) (Resp, error)) (Resp, error) {
	var resp Resp
	err := s.call(ctx, method, req, func(ctx context.Context, opts ...grpc.CallOption) (err error) {
		resp, err = fn(ctx, req, opts...)
		return err
	})
	return resp, err
}
