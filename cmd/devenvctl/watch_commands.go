package main

import (
	"context"
	"slices"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"

	watchv1 "github.com/devenv-facade/devenv-facade/gen/devenvfacade/watch/v1"
	devenvv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/devenv/v1"
	notebookv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/notebook/v1"
	"github.com/devenv-facade/devenv-facade/internal/envflag"
)

// The statuses the watches' --status names, as the lists' do.
const (
	notebookStatuses = "INIT, CREATING, STARTING, RUNNING, STOPPING, STOPPED, SNAPSHOTTING, DELETING, CREATE_FAILED, START_FAILED, DELETE_FAILED, ERROR or FROZEN"
	instanceStatuses = "CREATING, CREATE_FAILED, STARTING, RESTARTING, START_FAILED, RUNNING, STOPPING, STOPPED, UNAVAILABLE, DELETED, RESIZING or RESIZE_FAILED"
)

// watchAbout is what the help of both watches says of how they run.
const watchAbout = `The table's header comes once, then a row per event, its type first: the
snapshot (ADDED) when the watch starts, then ADDED, MODIFIED and DELETED as
the facade sees them change; BOOKMARK events are not shown. The facade
polls ModelArts (every few seconds while one changes state): it sees states,
not transitions. -o json prints one JSON object a line per event, with
its resume_token, BOOKMARK and SNAPSHOT_COMPLETE included.

A watch the facade interrupts (drain, --max-connection-age), one that fell
behind (WATCH_TOO_SLOW) or whose connection fails goes on from the last
event shown, after a pause (0.5s, doubling up to 30s; it gives up after 10
failures in a row without an event); one whose last event the facade no
longer holds (RESUME_TOKEN_EXPIRED) starts again from a snapshot and shows
what changed meanwhile. Each is said on stderr. The watch runs until
Ctrl-C (exit 0), or for --timeout if given (exit 0).`

// notebooksWatchAPI watches notebooks (NotebookService.WatchNotebooks).
func notebooksWatchAPI(f *watchFlags, project string) watchAPI {
	return watchAPI{objectKey: "notebook", header: notebookColumns,
		row: func(s *session, obj proto.Message) []string { return s.notebookRow(obj.(*notebookv1.Notebook)) },
		open: func(ctx context.Context, s *session, token string, opts ...grpc.CallOption) (func() (watchEvent, error), error) {
			req := &notebookv1.WatchNotebooksRequest{ProjectId: project, Status: f.status, Name: f.name, WorkspaceId: f.workspaceID, ResumeToken: token}
			return eventsOf(s.nb.WatchNotebooks(ctx, req, opts...))
		}}
}

// instancesWatchAPI watches instances (DevEnvService.WatchInstances).
func instancesWatchAPI(f *watchFlags, project string) watchAPI {
	return watchAPI{objectKey: "instance", header: instanceColumns,
		row: func(s *session, obj proto.Message) []string { return s.instanceRow(obj.(*devenvv1.Instance)) },
		open: func(ctx context.Context, s *session, token string, opts ...grpc.CallOption) (func() (watchEvent, error), error) {
			req := &devenvv1.WatchInstancesRequest{ProjectId: project, Status: f.status, WorkspaceId: f.workspaceID, ResumeToken: token}
			return eventsOf(s.client.WatchInstances(ctx, req, opts...))
		}}
}

// resumeTokenFlag defines --resume-token.
func resumeTokenFlag(fs *envflag.Set, p *string) {
	fs.String(p, "resume-token", "", "", "go on after the event that carried this resume_token (from -o json) instead of starting with a snapshot")
}

// setupNotebooksWatch is devenvctl notebooks watch.
func setupNotebooksWatch(fs *envflag.Set) action {
	var f watchFlags
	f.define(fs, "notebooks", notebookStatuses, true)
	resumeTokenFlag(fs, &f.resumeToken)
	return func(ctx context.Context, s *session, _ []string) error {
		project, err := s.project("")
		if err != nil {
			return err
		}
		return s.runWatch(ctx, notebooksWatchAPI(&f, project), f.resumeToken)
	}
}

// setupWatch is devenvctl watch: the instances of the historical API.
func setupWatch(fs *envflag.Set) action {
	var f watchFlags
	f.define(fs, "instances", instanceStatuses, false)
	resumeTokenFlag(fs, &f.resumeToken)
	return func(ctx context.Context, s *session, _ []string) error {
		project, err := s.project("")
		if err != nil {
			return err
		}
		return s.runWatch(ctx, instancesWatchAPI(&f, project), f.resumeToken)
	}
}

// watchFlag defines list's --watch (-w).
func watchFlag(fs *envflag.Set, p *bool, command string) {
	fs.Bool(p, "watch", "", false, "list, then watch for changes, as "+command+" does (only with the filters it has)")
	fs.Alias("w", "watch")
}

// ownFlags returns the names of the flags defined on fs so far: called at
// the end of a command's setup, its own.
func ownFlags(fs *envflag.Set) []string {
	var names []string
	for _, f := range fs.Flags() {
		names = append(names, f.Name)
	}
	return names
}

// checkListWatch rejects, for a list given --watch, its own flags (own)
// that the watch does not have: all but keep, the filters both have.
func checkListWatch(fs *envflag.Set, own []string, keep ...string) error {
	for _, name := range own {
		if fs.Given(name) && name != "watch" && !slices.Contains(keep, name) {
			return usagef("--%s does not go with --watch: the watch filters only by --%s", name, strings.Join(keep, ", --"))
		}
	}
	return nil
}

// watchResponse is what both watches' responses have: an event's type
// and its resume token; [watchObject] finds its object.
type watchResponse interface {
	GetType() watchv1.EventType
	GetResumeToken() string
}

// eventsOf returns the function that reads a watch stream's next event,
// once the stream is open (or err, if opening it failed).
func eventsOf[Resp any, P interface {
	*Resp
	watchResponse
}](stream grpc.ServerStreamingClient[Resp], err error) (func() (watchEvent, error), error) {
	if err != nil {
		return nil, err
	}
	return func() (watchEvent, error) {
		resp, err := stream.Recv()
		if err != nil {
			return watchEvent{}, err
		}
		r := P(resp)
		ev := watchEvent{typ: r.GetType(), token: r.GetResumeToken()}
		if obj := watchObject(r); obj != nil {
			ev.id, ev.obj = obj.GetId(), obj
		}
		return ev, nil
	}, nil
}

// identified is an object of a watch: a notebook or an instance.
type identified interface {
	proto.Message
	GetId() string
}

// watchObject returns the object a watch response carries, or nil.
func watchObject(resp watchResponse) identified {
	switch r := resp.(type) {
	case *notebookv1.WatchNotebooksResponse:
		if nb := r.GetNotebook(); nb != nil {
			return nb
		}
	case *devenvv1.WatchInstancesResponse:
		if in := r.GetInstance(); in != nil {
			return in
		}
	}
	return nil
}
