package main

import (
	"context"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"

	notebookv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/notebook/v1"
	"github.com/devenv-facade/devenv-facade/internal/envflag"
)

// notebookArg is the argument of the commands that act on one notebook.
var notebookArg = []string{"NOTEBOOK_ID"}

// notebooksGroup is devenvctl notebooks: the notebooks of the notebook API.
var notebooksGroup = &group{name: "notebooks", summary: "Notebooks of the current DevEnviron API: list, watch, show, create, change, start, stop and delete them", commands: []*command{
	{name: "notebooks list", summary: "List the project's notebooks", remote: true, setup: setupNotebooksList, about: `List the notebooks the credentials own in the project (with --all-users,
every user's), filtered and ordered by ModelArts. Pages with --page-size and
--page-token; --all follows next_page_token to the end; or the vendor's
--offset and --limit (ModelArts' default page: 10 notebooks).

  devenvctl notebooks list --status RUNNING --sort-key create_at --sort-dir DESC
  devenvctl notebooks list --all -o json | jq -r '.data[].id'`},
	{name: "notebooks watch", summary: "Watch the project's notebooks change", remote: true, watch: true, setup: setupNotebooksWatch, about: `Watch the notebooks the credentials own in the project as they change, as
kubectl get -w does: first those there are (ADDED), then each change.
ModelArts has no such API: the facade polls it for every watcher of the
project at once.

` + watchAbout + `

  devenvctl notebooks watch
  devenvctl notebooks watch --name train --status RUNNING
  devenvctl notebooks watch -o json | jq -c 'select(.type == "MODIFIED") | [.notebook.name, .notebook.status]'`},
	{name: "notebooks get", args: notebookArg, summary: "Show one notebook", remote: true, setup: setupNotebooksGet, about: `Show one notebook: its status (with ModelArts' fail_reason and progress when
it failed), flavor, image, storage, endpoints, mounts and when it stops.

  devenvctl notebooks get f9937afa-4451-42db-a76b-72d624749f66
  devenvctl notebooks get f9937afa-4451-42db-a76b-72d624749f66 -o json | jq -r .status`},
	{name: "notebooks create", summary: "Create a notebook", remote: true, setup: setupNotebooksCreate, about: `Create a notebook and start it, from flags, from a request file, or both
(flags given replace the file's fields). The storage is an EVS disk managed
by ModelArts unless --volume-category and --volume-ownership say otherwise.
ModelArts answers at once with the notebook CREATING; with --wait the
command returns once it is RUNNING. Names need not be unique: a create whose
answer was lost is not resent (see docs/errors.md).

  devenvctl notebooks create --name nb-1 --flavor modelarts.vm.cpu.2u \
    --image-id 278e88d1-5b71-4766-8502-b3ba72e824d9 --volume-capacity 50 --lease 2h --wait
  devenvctl notebooks create --from-file body.json --name nb-2`},
	{name: "notebooks update", args: notebookArg, summary: "Change a notebook", remote: true, setup: setupNotebooksUpdate, about: `Change a notebook's name, description, flavor, image, SSH access or storage
size; what is not given keeps its value. ModelArts allows --flavor,
--image-id and the SSH flags only while the notebook is STOPPED,
--storage-size only while it is RUNNING (else FAILED_PRECONDITION,
ModelArts.6347). --from-file takes the vendor's update body (hooks too).

  devenvctl notebooks update f9937afa-4451-42db-a76b-72d624749f66 --description "nightly training"
  devenvctl notebooks update f9937afa-4451-42db-a76b-72d624749f66 --flavor modelarts.vm.cpu.8u`},
	{name: "notebooks start", args: notebookArg, summary: "Start a stopped notebook", remote: true, setup: setupNotebooksStart, about: `Start a stopped notebook: it passes through STARTING to RUNNING, and stops by
itself when its lease runs out (--lease from now; ModelArts' default: an
hour). With --wait the command returns once it is RUNNING.

  devenvctl notebooks start f9937afa-4451-42db-a76b-72d624749f66 --lease 4h --wait`},
	{name: "notebooks stop", args: notebookArg, summary: "Stop a running notebook", remote: true, setup: setupNotebooksStop, about: `Stop a running notebook: it passes through STOPPING to STOPPED. With --wait
the command returns once it is STOPPED.

  devenvctl notebooks stop f9937afa-4451-42db-a76b-72d624749f66 --wait`},
	{name: "notebooks delete", args: notebookArg, summary: "Delete a notebook and its storage", remote: true, setup: setupNotebooksDelete, about: `Delete a notebook, with its storage (what was under /home/ma-user/work/ is
lost). With --wait the command returns once ModelArts no longer knows the
notebook.

  devenvctl notebooks delete f9937afa-4451-42db-a76b-72d624749f66 --wait`},
}}

// notebookWaitFlag defines --wait with what it waits for.
func notebookWaitFlag(fs *envflag.Set, p *bool, what, target string) {
	fs.Bool(p, "wait", "", false, "return once the "+what+" is "+target+", rather than at once; --timeout then defaults to 15m")
}

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

// leaseFlags are the flags that set a notebook's lease as it starts: how
// long it runs before it stops by itself.
type leaseFlags struct {
	duration time.Duration
	typ      string
	noStop   bool
}

// define defines the lease flags on fs, named prefix+"lease" and so on.
func (l *leaseFlags) define(fs *envflag.Set, durationName, typeName string) {
	fs.Duration(&l.duration, durationName, "", 0, "stop the notebook by itself this long from now, in whole milliseconds (ModelArts takes 1h to 24h)")
	fs.String(&l.typ, typeName, "", "", "timing: stop at that time (ModelArts' default); idle: stop after that long without activity")
	fs.Bool(&l.noStop, "no-auto-stop", "", false, "never stop by itself (the vendor's duration -1)")
}

// request returns the lease the flags ask for, or nil when none was given.
func (l *leaseFlags) request(fs *envflag.Set, durationName, typeName string) (*notebookv1.LeaseRequest, error) {
	if !fs.Given(durationName) && !fs.Given(typeName) && !l.noStop {
		return nil, nil
	}
	lr := &notebookv1.LeaseRequest{}
	switch {
	case fs.Given(durationName) && l.noStop:
		return nil, usagef("--%s and --no-auto-stop contradict each other; give one", durationName)
	case fs.Given(durationName):
		ms, err := millis(l.duration, durationName)
		if err != nil {
			return nil, err
		}
		lr.Duration = proto.Int64(ms)
	case l.noStop:
		lr.Duration = proto.Int64(-1)
	}
	if fs.Given(typeName) {
		lr.Type = proto.String(l.typ)
	}
	return lr, nil
}

// millis returns a positive duration given to flag name in milliseconds,
// as the notebook API takes durations.
func millis(d time.Duration, name string) (int64, error) {
	switch {
	case d <= 0:
		return 0, usagef("--%s %s: want a positive duration such as 2h", name, d)
	case d%time.Millisecond != 0:
		return 0, usagef("--%s %s: want whole milliseconds", name, d)
	}
	return d.Milliseconds(), nil
}

// splitList splits a comma-separated flag value, trimming spaces and
// dropping empty entries.
func splitList(v string) []string {
	var out []string
	for _, part := range strings.Split(v, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}
