package main

import (
	"context"

	notebookv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/notebook/v1"
	"github.com/devenv-facade/devenv-facade/internal/envflag"
)

// notebookArg is the argument of the commands that act on one notebook.
var notebookArg = []string{"NOTEBOOK_ID"}

// notebooksGroup is devenvctl notebooks: the notebooks of the notebook API.
var notebooksGroup = &group{name: "notebooks", summary: "Notebooks of the current DevEnviron API", commands: []*command{
	{name: "notebooks get", args: notebookArg, summary: "Show one notebook", remote: true, setup: setupNotebooksGet, about: `Show one notebook: its status (with ModelArts' fail_reason and progress when
it failed), flavor, image, storage, endpoints, mounts and when it stops.

  devenvctl notebooks get f9937afa-4451-42db-a76b-72d624749f66
  devenvctl notebooks get f9937afa-4451-42db-a76b-72d624749f66 -o json | jq -r .status`},
}}

func setupNotebooksGet(*envflag.Set) action {
	return func(ctx context.Context, s *session, args []string) error {
		project, err := s.project("")
		if err != nil {
			return err
		}
		resp, err := rpc(ctx, s, notebookv1.NotebookService_GetNotebook_FullMethodName,
			&notebookv1.GetNotebookRequest{ProjectId: project, NotebookId: args[0]}, s.nb.GetNotebook)
		if err != nil {
			return err
		}
		return s.printNotebook(resp.GetNotebook())
	}
}
