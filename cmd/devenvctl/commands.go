package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	devenvv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/devenv/v1"
	"github.com/devenv-facade/devenv-facade/internal/buildinfo"
	"github.com/devenv-facade/devenv-facade/internal/envflag"
	"github.com/devenv-facade/devenv-facade/internal/scrub"
)

// command is one of devenvctl's commands.
type command struct {
	name    string
	args    []string // the arguments it takes, as help names them
	summary string   // one line, for the list of commands
	about   string   // the help's description and examples
	remote  bool     // it calls the facade: it takes the global flags
	watch   bool     // it watches: its call stays open until interrupted
	// setup defines the command's own flags on fs and returns its action,
	// which runs once fs is parsed.
	setup func(fs *envflag.Set) action
}

// action runs a command with its arguments.
type action func(ctx context.Context, s *session, args []string) error

// instanceArg is the argument of the commands that act on one instance.
var instanceArg = []string{"INSTANCE_ID"}

// commands are devenvctl's commands, in the order help lists them.
var commands = []*command{
	{name: "list", summary: "List the project's instances", remote: true, setup: setupList, about: `List the project's instances, filtered and ordered by ModelArts. Pages with
--page-size and --page-token; --all follows next_page_token to the end.

  devenvctl list --status RUNNING --sortby creation_timestamp --order desc
  devenvctl list --all -o json | jq -r '.instances[].id'`},
	{name: "get", args: instanceArg, summary: "Show one instance", remote: true, setup: setupGet, about: `Show one instance.

  devenvctl get DE-7d558ef8-c73d-11ea-964c-0255ac100033
  devenvctl get DE-7d558ef8-c73d-11ea-964c-0255ac100033 -o json | jq -r .status`},
	{name: "create", summary: "Create an instance", remote: true, setup: setupCreate, about: `Create an instance, from flags, from a request file, or both (flags given
replace the file's fields). ModelArts answers at once with the instance
CREATING; with --wait the command returns once it is RUNNING.

  devenvctl create --name notebook-1 --profile-id "Multi-Engine 1.0 (python3)-cpu" \
    --flavor modelarts.vm.cpu.2u --storage-path /bucket/notebooks/ --auto-stop 2h --wait
  devenvctl create --from-file request.json --name notebook-2`},
	{name: "update", args: instanceArg, summary: "Change an instance's description or auto-stop", remote: true, setup: setupUpdate, about: `Change an instance's description or automatic stop; what is not given keeps
its value. A new auto-stop duration applies from the next start.

  devenvctl update DE-7d558ef8-c73d-11ea-964c-0255ac100033 --description "nightly training" --auto-stop 4h
  devenvctl update DE-7d558ef8-c73d-11ea-964c-0255ac100033 --no-auto-stop`},
	{name: "start", args: instanceArg, summary: "Start a stopped instance", remote: true, setup: setupAction(true), about: `Start a stopped instance: it passes through STARTING to RUNNING. With --wait
the command returns once it is RUNNING.

  devenvctl start DE-7d558ef8-c73d-11ea-964c-0255ac100033 --wait`},
	{name: "stop", args: instanceArg, summary: "Stop a running instance", remote: true, setup: setupAction(false), about: `Stop a running instance: it passes through STOPPING to STOPPED. With --wait
the command returns once it is STOPPED.

  devenvctl stop DE-7d558ef8-c73d-11ea-964c-0255ac100033 --wait`},
	{name: "delete", args: instanceArg, summary: "Delete an instance", remote: true, setup: setupDelete, about: `Delete an instance; a running one must be stopped first (FAILED_PRECONDITION,
ModelArts.6304). With --wait the command returns once ModelArts no longer
knows the instance; with --allow-missing an instance that does not exist is
not an error.

  devenvctl delete DE-7d558ef8-c73d-11ea-964c-0255ac100033 --wait --allow-missing`},
	{name: "watch", summary: "Watch the project's instances change", remote: true, watch: true, setup: setupWatch, about: `Watch the project's instances as they change, as kubectl get -w does: first
those there are (ADDED), then each change. ModelArts has no such API: the
facade polls it for every watcher of the project at once.

` + watchAbout + `

  devenvctl watch
  devenvctl watch --status RUNNING
  devenvctl watch -o json | jq -c 'select(.type == "MODIFIED") | .instance.status'`},
	{name: "version", summary: "Print devenvctl's version", setup: setupVersion, about: `Print devenvctl's version, the commit it was built from and the Go version.`},
}

// findCommand returns the command called name, or nil.
func findCommand(name string) *command {
	for _, c := range commands {
		if c.name == name {
			return c
		}
	}
	return nil
}

// waitFlag defines --wait with what it waits for.
func waitFlag(fs *envflag.Set, p *bool, target string) {
	fs.Bool(p, "wait", "", false, "return once the instance is "+target+", rather than at once; --timeout then defaults to 15m")
}

func setupList(fs *envflag.Set) action {
	var f struct {
		status, sortby, order, deType, provisionType, workspaceID, showSelf, poolID, aiProject, pageToken string
		offset, limit, pageSize                                                                           int
		all, watch                                                                                        bool
	}
	fs.String(&f.status, "status", "", "", "only instances in this status: "+instanceStatuses)
	fs.Choice(&f.sortby, "sortby", "", "", []string{"name", "creation_timestamp"}, "sort by this field (ModelArts' default: name)")
	fs.Choice(&f.order, "order", "", "", []string{"asc", "desc"}, "sort order (ModelArts' default: asc)")
	fs.String(&f.workspaceID, "workspace-id", "", "", "only instances of this workspace (ModelArts' default: 0)")
	fs.String(&f.poolID, "pool-id", "", "", "only instances of this dedicated resource pool")
	fs.String(&f.aiProject, "ai-project", "", "", "only instances of this AI project")
	fs.Choice(&f.showSelf, "show-self", "", "", []string{"true", "false"}, "true: only your own instances (ModelArts' default); false: all you may see")
	fs.String(&f.deType, "de-type", "", "", "the environment type: Notebook, the only one ModelArts has")
	fs.String(&f.provisionType, "provision-type", "", "", "the provisioning type: Docker, or empty for all")
	fs.Int(&f.pageSize, "page-size", "", 0, "instances per page; 0: all in one answer, or 100 a page with --page-token").Between(0, 1000)
	fs.String(&f.pageToken, "page-token", "", "", "the next page: next_page_token of the previous page, with the same filters and order")
	fs.Bool(&f.all, "all", "", false, "follow next_page_token to the last page and print every instance (one JSON document with -o json)")
	fs.Int(&f.offset, "offset", "", 0, "the vendor's paging: the index of the first instance (not with --page-size, --page-token or --all)").Between(0, math.MaxInt32)
	fs.Int(&f.limit, "limit", "", 0, "the vendor's paging: at most this many instances; 0: all (not with --page-size, --page-token or --all)").Between(0, 1000)
	watchFlag(fs, &f.watch, "devenvctl watch")
	own := ownFlags(fs)
	return func(ctx context.Context, s *session, _ []string) error {
		if f.watch {
			if err := checkListWatch(fs, own, "status", "workspace-id"); err != nil {
				return err
			}
			project, err := s.project("")
			if err != nil {
				return err
			}
			return s.runWatch(ctx, instancesWatchAPI(&watchFlags{status: f.status, workspaceID: f.workspaceID}, project), "")
		}
		if (f.offset != 0 || f.limit != 0) && (f.pageSize != 0 || f.pageToken != "" || f.all) {
			return usagef("--offset and --limit (the vendor's paging) do not go with --page-size, --page-token or --all")
		}
		project, err := s.project("")
		if err != nil {
			return err
		}
		req := &devenvv1.ListInstancesRequest{
			ProjectId: project, DeType: f.deType, ProvisionType: f.provisionType, Status: f.status,
			Sortby: f.sortby, Order: f.order, Offset: int32(f.offset), Limit: int32(f.limit),
			WorkspaceId: f.workspaceID, ShowSelf: f.showSelf, PoolId: f.poolID, AiProject: f.aiProject,
			PageSize: int32(f.pageSize), PageToken: f.pageToken,
		}
		all := &devenvv1.ListInstancesResponse{}
		seen := map[string]bool{}
		for {
			var resp *devenvv1.ListInstancesResponse
			err := s.call(ctx, devenvv1.DevEnvService_ListInstances_FullMethodName, req, func(ctx context.Context, opts ...grpc.CallOption) (err error) {
				resp, err = s.client.ListInstances(ctx, req, opts...)
				return err
			})
			if err != nil {
				return err
			}
			if !f.all {
				all = resp
				break
			}
			all.Instances = append(all.Instances, resp.GetInstances()...)
			all.TotalCount = resp.TotalCount
			next := resp.GetNextPageToken()
			if next == "" {
				break
			}
			if seen[next] {
				return fmt.Errorf("--all: the facade returned the page token %q a second time; stopping", next)
			}
			seen[next] = true
			req.PageToken = next
		}
		if s.g.output == outputJSON {
			return s.printJSON(all)
		}
		if err := s.printInstanceTable(all.GetInstances()); err != nil {
			return err
		}
		if next := all.GetNextPageToken(); next != "" {
			fmt.Fprintf(s.stderr, "More instances: add --page-token %s (or use --all).\n", scrub.Text(next, maxPageToken, s.secrets))
		}
		return nil
	}
}

func setupGet(*envflag.Set) action {
	return func(ctx context.Context, s *session, args []string) error {
		project, err := s.project("")
		if err != nil {
			return err
		}
		var resp *devenvv1.GetInstanceResponse
		req := &devenvv1.GetInstanceRequest{ProjectId: project, InstanceId: args[0]}
		err = s.call(ctx, devenvv1.DevEnvService_GetInstance_FullMethodName, req, func(ctx context.Context, opts ...grpc.CallOption) (err error) {
			resp, err = s.client.GetInstance(ctx, req, opts...)
			return err
		})
		if err != nil {
			return err
		}
		return s.printInstance(resp.GetInstance())
	}
}

// maxPageToken bounds the page token the next-page hint shows.
const maxPageToken = 4096

// maxRequestFile bounds --from-file.
const maxRequestFile = 1 << 20

func setupCreate(fs *envflag.Set) action {
	var f struct {
		name, description, profileID, flavor, storageType, storagePath, workspaceID, poolID, aiProject, fromFile string
		autoStop                                                                                                 time.Duration
		wait                                                                                                     bool
	}
	fs.String(&f.name, "name", "", "", "the instance's name, unique in the project: 1 to 64 of A-Z a-z 0-9 - _")
	fs.String(&f.description, "description", "", "", `a description: at most 512 characters, none of & < > " ' /`)
	fs.String(&f.profileID, "profile-id", "", "", `the environment image (profile) ID, such as "Multi-Engine 1.0 (python3)-cpu"`)
	fs.String(&f.flavor, "flavor", "", "", "the machine flavor, such as modelarts.vm.cpu.2u")
	fs.String(&f.storageType, "storage-type", "", "", "the storage type: obs, ModelArts' documented one, is the default when --storage-path is given")
	fs.String(&f.storagePath, "storage-path", "", "", "the OBS directory the instance works in, ending in / and not a bucket root: /bucket/dir/")
	fs.Duration(&f.autoStop, "auto-stop", "", 0, "stop the instance this long after it starts, in whole seconds (ModelArts takes 1h to 24h); without it, it runs until stopped")
	fs.String(&f.workspaceID, "workspace-id", "", "", "the workspace (ModelArts' default: 0)")
	fs.String(&f.poolID, "pool-id", "", "", "a dedicated resource pool to run in")
	fs.String(&f.aiProject, "ai-project", "", "", "the AI project")
	fs.String(&f.fromFile, "from-file", "", "", "read the request from this file: a CreateInstanceRequest in protobuf JSON (the vendor's create body is one); flags given replace its fields, --project its project_id")
	waitFlag(fs, &f.wait, "RUNNING (FAILED_PRECONDITION if it ends in CREATE_FAILED)")
	return func(ctx context.Context, s *session, _ []string) error {
		req := &devenvv1.CreateInstanceRequest{}
		if f.fromFile != "" {
			if err := readRequest(f.fromFile, req); err != nil {
				return err
			}
		}
		project, err := s.project(req.GetProjectId())
		if err != nil {
			return err
		}
		req.ProjectId = project
		given := fs.Given
		if given("name") {
			req.Name = f.name
		}
		if given("description") {
			req.Description = proto.String(f.description)
		}
		if given("profile-id") {
			req.ProfileId = f.profileID
		}
		if given("flavor") {
			req.Flavor = f.flavor
		}
		spec := func() *devenvv1.CreateInstanceSpec {
			if req.Spec == nil {
				req.Spec = &devenvv1.CreateInstanceSpec{}
			}
			return req.Spec
		}
		if given("storage-type") || given("storage-path") {
			st := spec().GetStorage()
			if st == nil {
				st = &devenvv1.Storage{}
				spec().Storage = st
			}
			switch {
			case given("storage-type"):
				st.Type = proto.String(f.storageType)
			case st.Type == nil:
				st.Type = proto.String("obs")
			}
			if given("storage-path") {
				if st.Location == nil {
					st.Location = &devenvv1.StorageLocation{}
				}
				st.Location.Path = proto.String(f.storagePath)
			}
		}
		if given("auto-stop") {
			secs, err := autoStopSeconds(f.autoStop)
			if err != nil {
				return err
			}
			spec().AutoStop = &devenvv1.AutoStop{Enable: proto.Bool(true), Duration: proto.Int32(secs)}
		}
		if given("workspace-id") {
			req.Workspace = &devenvv1.Workspace{Id: proto.String(f.workspaceID)}
		}
		if given("pool-id") {
			req.Pool = &devenvv1.Pool{Id: proto.String(f.poolID)}
		}
		if given("ai-project") {
			req.AiProject = &devenvv1.AIProject{Id: proto.String(f.aiProject)}
		}
		if given("wait") {
			req.Wait = f.wait
		}
		var resp *devenvv1.CreateInstanceResponse
		err = s.call(ctx, devenvv1.DevEnvService_CreateInstance_FullMethodName, req, func(ctx context.Context, opts ...grpc.CallOption) (err error) {
			if req.Wait {
				resp = new(devenvv1.CreateInstanceResponse)
				err = s.createWaiting(ctx, devenvv1.DevEnvService_CreateInstance_FullMethodName, "instance", req, resp, opts...)
			} else {
				resp, err = s.client.CreateInstance(ctx, req, opts...)
			}
			return err
		})
		if err != nil {
			return err
		}
		return s.printInstance(resp.GetInstance())
	}
}

// createWaiting makes a create with wait set (method, CreateInstance or
// CreateNotebook) as a stream, so that the header the facade sends once
// ModelArts has accepted the create, with the new resource's ID, is seen
// before the answer: devenvctl says on stderr which kind ("instance",
// "notebook") it waits for, and, if the wait is cut short (Ctrl-C,
// --timeout), the error says it was created (see describeCall). The answer
// is read into resp.
func (s *session) createWaiting(ctx context.Context, method, kind string, req, resp proto.Message, opts ...grpc.CallOption) error {
	cs, err := s.conn.NewStream(ctx, &grpc.StreamDesc{StreamName: path.Base(method)}, method, opts...)
	if err != nil {
		return err
	}
	// A failed send (io.EOF) leaves the call's status to RecvMsg.
	if err := cs.SendMsg(req); err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	if err := cs.CloseSend(); err != nil {
		return err
	}
	if md, err := cs.Header(); err == nil {
		if ids := md.Get(mdInstanceID); len(ids) == 1 {
			fmt.Fprintf(s.stderr, "devenvctl: created %s %s; waiting until it is RUNNING (Ctrl-C stops the wait, not the %s)\n",
				kind, scrub.Text(ids[0], maxErrorText, s.secrets), kind)
		}
	}
	return cs.RecvMsg(resp)
}

// readRequest reads a request in protobuf JSON from path into m.
func readRequest(path string, m proto.Message) error {
	file, err := os.Open(path)
	if err != nil {
		return usagef("--from-file: %v", err)
	}
	defer file.Close()
	b, err := io.ReadAll(io.LimitReader(file, maxRequestFile+1))
	if err != nil {
		return usagef("--from-file %s: %v", path, err)
	}
	if len(b) > maxRequestFile {
		return usagef("--from-file %s: larger than %d bytes", path, maxRequestFile)
	}
	if err := protojson.Unmarshal(b, m); err != nil {
		return usagef("--from-file %s: not a %s in protobuf JSON: %v", path, m.ProtoReflect().Descriptor().Name(), err)
	}
	return nil
}

// autoStopSeconds returns an --auto-stop duration in seconds, as the API
// takes it.
func autoStopSeconds(d time.Duration) (int32, error) {
	switch {
	case d <= 0:
		return 0, usagef("--auto-stop %s: want a positive duration such as 2h (to turn automatic stopping off, use update --no-auto-stop)", d)
	case d%time.Second != 0:
		return 0, usagef("--auto-stop %s: want whole seconds", d)
	case d/time.Second > math.MaxInt32:
		return 0, usagef("--auto-stop %s: too long", d)
	}
	return int32(d / time.Second), nil
}

func setupUpdate(fs *envflag.Set) action {
	var description string
	var autoStop time.Duration
	var noAutoStop bool
	fs.String(&description, "description", "", "", `the new description: at most 512 characters, none of & < > " ' /; "" clears it`)
	fs.Duration(&autoStop, "auto-stop", "", 0, "turn automatic stopping on: this long after each start, in whole seconds (ModelArts takes 1h to 24h)")
	fs.Bool(&noAutoStop, "no-auto-stop", "", false, "turn automatic stopping off")
	return func(ctx context.Context, s *session, args []string) error {
		project, err := s.project("")
		if err != nil {
			return err
		}
		req := &devenvv1.UpdateInstanceRequest{ProjectId: project, InstanceId: args[0]}
		if fs.Given("description") {
			req.Description = proto.String(description)
		}
		switch {
		case fs.Given("auto-stop") && noAutoStop:
			return usagef("--auto-stop and --no-auto-stop contradict each other; give one")
		case fs.Given("auto-stop"):
			secs, err := autoStopSeconds(autoStop)
			if err != nil {
				return err
			}
			req.Spec = &devenvv1.UpdateInstanceSpec{AutoStop: &devenvv1.AutoStop{Enable: proto.Bool(true), Duration: proto.Int32(secs)}}
		case noAutoStop:
			req.Spec = &devenvv1.UpdateInstanceSpec{AutoStop: &devenvv1.AutoStop{Enable: proto.Bool(false)}}
		}
		if req.Description == nil && req.Spec == nil {
			return usagef("nothing to update: give --description, --auto-stop or --no-auto-stop")
		}
		var resp *devenvv1.UpdateInstanceResponse
		err = s.call(ctx, devenvv1.DevEnvService_UpdateInstance_FullMethodName, req, func(ctx context.Context, opts ...grpc.CallOption) (err error) {
			resp, err = s.client.UpdateInstance(ctx, req, opts...)
			return err
		})
		if err != nil {
			return err
		}
		return s.printInstance(resp.GetInstance())
	}
}

// transition is what StartInstance and StopInstance answer.
type transition interface {
	proto.Message
	GetCurrentStatus() string
	GetPreviousState() string
	GetInstance() *devenvv1.Instance
}

// setupAction returns the setup of start (start true) or stop.
func setupAction(start bool) func(fs *envflag.Set) action {
	return func(fs *envflag.Set) action {
		var wait bool
		target := "STOPPED"
		if start {
			target = "RUNNING (FAILED_PRECONDITION if it ends in START_FAILED)"
		}
		waitFlag(fs, &wait, target)
		return func(ctx context.Context, s *session, args []string) error {
			project, err := s.project("")
			if err != nil {
				return err
			}
			var resp transition
			startReq := &devenvv1.StartInstanceRequest{ProjectId: project, InstanceId: args[0], Wait: wait}
			stopReq := &devenvv1.StopInstanceRequest{ProjectId: project, InstanceId: args[0], Wait: wait}
			method, req := devenvv1.DevEnvService_StopInstance_FullMethodName, proto.Message(stopReq)
			if start {
				method, req = devenvv1.DevEnvService_StartInstance_FullMethodName, startReq
			}
			err = s.call(ctx, method, req, func(ctx context.Context, opts ...grpc.CallOption) (err error) {
				if start {
					resp, err = s.client.StartInstance(ctx, startReq, opts...)
				} else {
					resp, err = s.client.StopInstance(ctx, stopReq, opts...)
				}
				return err
			})
			if err != nil {
				return err
			}
			if s.g.output == outputJSON {
				return s.printJSON(resp)
			}
			return s.printTransition(args[0], resp)
		}
	}
}

func setupDelete(fs *envflag.Set) action {
	var wait, allowMissing bool
	waitFlag(fs, &wait, "gone")
	fs.Bool(&allowMissing, "allow-missing", "", false, "an instance that does not exist is not an error")
	return func(ctx context.Context, s *session, args []string) error {
		project, err := s.project("")
		if err != nil {
			return err
		}
		req := &devenvv1.DeleteInstanceRequest{ProjectId: project, InstanceId: args[0], AllowMissing: allowMissing, Wait: wait}
		var resp *devenvv1.DeleteInstanceResponse
		err = s.call(ctx, devenvv1.DevEnvService_DeleteInstance_FullMethodName, req, func(ctx context.Context, opts ...grpc.CallOption) (err error) {
			resp, err = s.client.DeleteInstance(ctx, req, opts...)
			return err
		})
		if err != nil {
			return err
		}
		if s.g.output == outputJSON {
			return s.printJSON(resp)
		}
		return s.printDeleted(resp.GetInstanceId(), wait, s.header.Get(mdDeleteOutcome))
	}
}

// versionJSON is version's output with -o json.
type versionJSON struct {
	Version   string `json:"version"`
	Commit    string `json:"commit"`
	Modified  bool   `json:"modified"`
	GoVersion string `json:"go_version"`
}

func setupVersion(*envflag.Set) action {
	return func(_ context.Context, s *session, _ []string) error {
		info := buildinfo.Read()
		if s.g.output == outputJSON {
			b, err := json.MarshalIndent(versionJSON{info.Version, info.Commit, info.Modified, info.GoVersion}, "", "  ")
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(s.stdout, "%s\n", b)
			return err
		}
		_, err := fmt.Fprintf(s.stdout, "devenvctl %s\n", info)
		return err
	}
}
