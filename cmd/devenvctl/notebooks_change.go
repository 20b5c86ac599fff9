package main

import (
	"cmp"
	"context"
	"fmt"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"

	notebookv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/notebook/v1"
	"github.com/devenv-facade/devenv-facade/internal/envflag"
)

// notebookKind is what notebooks create makes, as its errors name it.
var notebookKind = resourceKind{"notebook", "devenvctl notebooks get"}

func setupNotebooksList(fs *envflag.Set) action {
	var f struct {
		status, name, feature, poolID, owner, sortDir, sortKey, workspaceID string
		allUsers, watch                                                     bool
		paging
	}
	fs.String(&f.status, "status", "", "", "only notebooks in this status: "+notebookStatuses)
	fs.String(&f.name, "name", "", "", "only notebooks whose name contains this")
	fs.String(&f.feature, "feature", "", "", "only notebooks of this kind: NOTEBOOK (billed) or DEFAULT (the free CodeLab notebook)")
	fs.String(&f.poolID, "pool-id", "", "", "only notebooks of this dedicated resource pool")
	fs.String(&f.owner, "owner", "", "", "only notebooks of this user ID (ModelArts honours it for accounts with admin rights)")
	fs.String(&f.sortDir, "sort-dir", "", "", "sort order: ASC or DESC (ModelArts' default)")
	fs.String(&f.sortKey, "sort-key", "", "", "comma-separated fields to sort by, such as create_at")
	fs.String(&f.workspaceID, "workspace-id", "", "", "only notebooks of this workspace (ModelArts' default: 0)")
	fs.Bool(&f.allUsers, "all-users", "", false, "every user's notebooks in the project, not only the credentials' own (ListAllNotebooks; needs the right to change the project)")
	f.paging.define(fs, "notebooks")
	watchFlag(fs, &f.watch, "devenvctl notebooks watch")
	own := ownFlags(fs)
	return func(ctx context.Context, s *session, _ []string) error {
		if err := f.paging.check(); err != nil {
			return err
		}
		project, err := s.project("")
		if err != nil {
			return err
		}
		if f.watch {
			if err := checkListWatch(fs, own, "status", "name", "workspace-id"); err != nil {
				return err
			}
			return s.runWatch(ctx, notebooksWatchAPI(&watchFlags{status: f.status, name: f.name, workspaceID: f.workspaceID}, project), "")
		}
		pageSize := f.pageSize
		if f.all && pageSize == 0 {
			pageSize = 100
		}
		var resp *notebookv1.ListNotebooksResponse
		if f.allUsers {
			req := &notebookv1.ListAllNotebooksRequest{ProjectId: project, Feature: f.feature, Limit: int32(f.limit), Offset: int32(f.offset),
				Name: f.name, PoolId: f.poolID, Owner: f.owner, SortDir: f.sortDir, SortKey: f.sortKey, Status: f.status,
				WorkspaceId: f.workspaceID, PageSize: int32(pageSize), PageToken: f.pageToken}
			all, err := listPages(ctx, s, &f.paging, notebookv1.NotebookService_ListAllNotebooks_FullMethodName, req,
				func(t string) { req.PageToken = t }, s.nb.ListAllNotebooks, func(first, next *notebookv1.ListAllNotebooksResponse) {
					first.Data = append(first.Data, next.GetData()...)
					first.Total, first.NextPageToken = next.Total, next.GetNextPageToken()
					first.Current, first.Pages, first.Size = nil, nil, nil
				})
			if err != nil {
				return err
			}
			// The two answers are the same message, field for field.
			resp = &notebookv1.ListNotebooksResponse{Current: all.Current, Data: all.GetData(), Pages: all.Pages, Size: all.Size,
				Total: all.Total, NextPageToken: all.GetNextPageToken()}
		} else {
			req := &notebookv1.ListNotebooksRequest{ProjectId: project, Feature: f.feature, Limit: int32(f.limit), Offset: int32(f.offset),
				Name: f.name, PoolId: f.poolID, Owner: f.owner, SortDir: f.sortDir, SortKey: f.sortKey, Status: f.status,
				WorkspaceId: f.workspaceID, PageSize: int32(pageSize), PageToken: f.pageToken}
			resp, err = listPages(ctx, s, &f.paging, notebookv1.NotebookService_ListNotebooks_FullMethodName, req,
				func(t string) { req.PageToken = t }, s.nb.ListNotebooks, func(first, next *notebookv1.ListNotebooksResponse) {
					first.Data = append(first.Data, next.GetData()...)
					first.Total, first.NextPageToken = next.Total, next.GetNextPageToken()
					first.Current, first.Pages, first.Size = nil, nil, nil
				})
			if err != nil {
				return err
			}
		}
		if s.g.output == outputJSON {
			return s.printJSON(resp)
		}
		if err := s.printNotebookTable(resp.GetData()); err != nil {
			return err
		}
		s.morePages("notebooks", resp.GetNextPageToken())
		return nil
	}
}

// sshFlags are the flags that configure SSH access to a notebook.
type sshFlags struct {
	keyPairs, allowedIPs string
}

func (f *sshFlags) define(fs *envflag.Set) {
	fs.String(&f.keyPairs, "ssh-key-pairs", "", "", "allow SSH logins with these ECS key pairs: comma-separated names")
	fs.String(&f.allowedIPs, "ssh-allowed-ips", "", "", "allow SSH only from these public IP addresses: comma-separated, at most 5; empty for any (with --ssh-key-pairs)")
}

// endpoints returns the endpoints the flags ask for, or nil when none was
// given.
func (f *sshFlags) endpoints(fs *envflag.Set) ([]*notebookv1.EndpointRequest, error) {
	if !fs.Given("ssh-key-pairs") && !fs.Given("ssh-allowed-ips") {
		return nil, nil
	}
	if !fs.Given("ssh-key-pairs") {
		return nil, usagef("--ssh-allowed-ips goes with --ssh-key-pairs (the key pairs that may log in)")
	}
	return []*notebookv1.EndpointRequest{{Service: proto.String("SSH"), KeyPairNames: splitList(f.keyPairs), AllowedAccessIps: splitList(f.allowedIPs)}}, nil
}

func setupNotebooksCreate(fs *envflag.Set) action {
	var f struct {
		name, description, flavor, imageID, feature, poolID, workspaceID, fromFile string
		volCategory, volOwnership, volURI, volID                                   string
		volCapacity                                                                int
		wait                                                                       bool
		lease                                                                      leaseFlags
		ssh                                                                        sshFlags
	}
	fs.String(&f.name, "name", "", "", "the notebook's name (names need not be unique): 1 to 128 of A-Z a-z 0-9 - _")
	fs.String(&f.description, "description", "", "", `a description: at most 512 characters, none of & < > " ' /`)
	fs.String(&f.flavor, "flavor", "", "", "the flavor, one of devenvctl flavors list's IDs, such as modelarts.vm.cpu.2u")
	fs.String(&f.imageID, "image-id", "", "", "the image, one of devenvctl images list's IDs")
	fs.String(&f.volCategory, "volume-category", "", "", "the storage: EVS (a disk of its own; the default), EFS or SFS (SFS Turbo)")
	fs.String(&f.volOwnership, "volume-ownership", "", "", "MANAGED (by ModelArts; the default) or DEDICATED (your own SFS Turbo, with --volume-uri and --volume-id)")
	fs.Int(&f.volCapacity, "volume-capacity", "", 0, "the storage's size in GB: EVS 5 to 4096 (ModelArts' default 5), EFS 1 to 4096 (default 50)").Between(0, 4096)
	fs.String(&f.volURI, "volume-uri", "", "", "the SFS Turbo share path of a DEDICATED volume, such as 192.168.0.1:/user-1/mount/")
	fs.String(&f.volID, "volume-id", "", "", "the SFS Turbo file system ID of a DEDICATED volume")
	fs.String(&f.feature, "feature", "", "", "NOTEBOOK (billed; ModelArts' default) or DEFAULT (the free CodeLab notebook)")
	fs.String(&f.poolID, "pool-id", "", "", "a dedicated resource pool to run in")
	fs.String(&f.workspaceID, "workspace-id", "", "", "the workspace (ModelArts' default: 0)")
	f.lease.define(fs, "lease", "lease-type")
	f.ssh.define(fs)
	fs.String(&f.fromFile, "from-file", "", "", "read the request from this file: the vendor's create body (a CreateNotebookRequest in protobuf JSON); flags given replace its fields, --project its project_id")
	notebookWaitFlag(fs, &f.wait, "notebook", "RUNNING (FAILED_PRECONDITION if it ends in CREATE_FAILED or ERROR)")
	return func(ctx context.Context, s *session, _ []string) error {
		req := &notebookv1.CreateNotebookRequest{}
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
		setString := func(name string, dst *string, v string) {
			if given(name) {
				*dst = v
			}
		}
		setOptional := func(name string, dst **string, v string) {
			if given(name) {
				*dst = proto.String(v)
			}
		}
		setString("name", &req.Name, f.name)
		setOptional("description", &req.Description, f.description)
		setString("flavor", &req.Flavor, f.flavor)
		setString("image-id", &req.ImageId, f.imageID)
		setOptional("feature", &req.Feature, f.feature)
		setOptional("pool-id", &req.PoolId, f.poolID)
		setOptional("workspace-id", &req.WorkspaceId, f.workspaceID)
		if req.Volume == nil {
			req.Volume = &notebookv1.VolumeRequest{Category: "EVS", Ownership: "MANAGED"}
		}
		setString("volume-category", &req.Volume.Category, f.volCategory)
		setString("volume-ownership", &req.Volume.Ownership, f.volOwnership)
		if given("volume-capacity") {
			req.Volume.Capacity = proto.Int32(int32(f.volCapacity))
		}
		setOptional("volume-uri", &req.Volume.Uri, f.volURI)
		setOptional("volume-id", &req.Volume.Id, f.volID)
		lease, err := f.lease.request(fs, "lease", "lease-type")
		if err != nil {
			return err
		}
		if lease != nil {
			req.Lease, req.Duration = lease, nil
		}
		endpoints, err := f.ssh.endpoints(fs)
		if err != nil {
			return err
		}
		if endpoints != nil {
			req.Endpoints = endpoints
		}
		if given("wait") {
			req.Wait = f.wait
		}
		s.kind = notebookKind
		var resp *notebookv1.CreateNotebookResponse
		err = s.call(ctx, notebookv1.NotebookService_CreateNotebook_FullMethodName, req, func(ctx context.Context, opts ...grpc.CallOption) (err error) {
			if req.Wait {
				resp = new(notebookv1.CreateNotebookResponse)
				err = s.createWaiting(ctx, notebookv1.NotebookService_CreateNotebook_FullMethodName, "notebook", req, resp, opts...)
			} else {
				resp, err = s.nb.CreateNotebook(ctx, req, opts...)
			}
			return err
		})
		if err != nil {
			return err
		}
		return s.printNotebook(resp.GetNotebook())
	}
}

func setupNotebooksUpdate(fs *envflag.Set) action {
	var f struct {
		name, description, flavor, imageID, fromFile string
		storageSize                                  int
		ssh                                          sshFlags
	}
	fs.String(&f.name, "name", "", "", "the new name: 1 to 128 of A-Z a-z 0-9 - _")
	fs.String(&f.description, "description", "", "", `the new description: at most 512 characters, none of & < > " ' /; "" clears it`)
	fs.String(&f.flavor, "flavor", "", "", "the new flavor, one of devenvctl flavors switchable's IDs (STOPPED only)")
	fs.String(&f.imageID, "image-id", "", "", "the new image (STOPPED only)")
	fs.Int(&f.storageSize, "storage-size", "", 0, "grow the EVS storage to this many GB (RUNNING only)").Between(0, 4096)
	f.ssh.define(fs)
	fs.String(&f.fromFile, "from-file", "", "", "read the request from this file: the vendor's update body (an UpdateNotebookRequest in protobuf JSON); flags given replace its fields")
	return func(ctx context.Context, s *session, args []string) error {
		req := &notebookv1.UpdateNotebookRequest{}
		if f.fromFile != "" {
			if err := readRequest(f.fromFile, req); err != nil {
				return err
			}
		}
		project, err := s.project(req.GetProjectId())
		if err != nil {
			return err
		}
		req.ProjectId, req.NotebookId = project, args[0]
		for _, o := range []struct {
			name string
			dst  **string
			v    string
		}{{"name", &req.Name, f.name}, {"description", &req.Description, f.description}, {"flavor", &req.Flavor, f.flavor}, {"image-id", &req.ImageId, f.imageID}} {
			if fs.Given(o.name) {
				*o.dst = proto.String(o.v)
			}
		}
		if fs.Given("storage-size") {
			req.StorageNewSize = proto.Int32(int32(f.storageSize))
		}
		endpoints, err := f.ssh.endpoints(fs)
		if err != nil {
			return err
		}
		if endpoints != nil {
			req.Endpoints = endpoints
		}
		if req.Name == nil && req.Description == nil && req.Flavor == nil && req.ImageId == nil && req.StorageNewSize == nil &&
			len(req.Endpoints) == 0 && req.Hooks == nil {
			return usagef("nothing to update: give --name, --description, --flavor, --image-id, --storage-size, --ssh-key-pairs or --from-file")
		}
		resp, err := rpc(ctx, s, notebookv1.NotebookService_UpdateNotebook_FullMethodName, req, s.nb.UpdateNotebook)
		if err != nil {
			return err
		}
		return s.printNotebook(resp.GetNotebook())
	}
}

func setupNotebooksStart(fs *envflag.Set) action {
	var wait bool
	var lease leaseFlags
	lease.define(fs, "lease", "lease-type")
	notebookWaitFlag(fs, &wait, "notebook", "RUNNING (FAILED_PRECONDITION if it ends in START_FAILED or ERROR)")
	return func(ctx context.Context, s *session, args []string) error {
		project, err := s.project("")
		if err != nil {
			return err
		}
		lr, err := lease.request(fs, "lease", "lease-type")
		if err != nil {
			return err
		}
		req := &notebookv1.StartNotebookRequest{ProjectId: project, NotebookId: args[0], Wait: wait}
		if lr != nil {
			req.Duration, req.Type = lr.Duration, lr.Type
		}
		resp, err := rpc(ctx, s, notebookv1.NotebookService_StartNotebook_FullMethodName, req, s.nb.StartNotebook)
		if err != nil {
			return err
		}
		return s.printNotebook(resp.GetNotebook())
	}
}

func setupNotebooksStop(fs *envflag.Set) action {
	var wait bool
	notebookWaitFlag(fs, &wait, "notebook", "STOPPED")
	return func(ctx context.Context, s *session, args []string) error {
		project, err := s.project("")
		if err != nil {
			return err
		}
		resp, err := rpc(ctx, s, notebookv1.NotebookService_StopNotebook_FullMethodName,
			&notebookv1.StopNotebookRequest{ProjectId: project, NotebookId: args[0], Wait: wait}, s.nb.StopNotebook)
		if err != nil {
			return err
		}
		return s.printNotebook(resp.GetNotebook())
	}
}

func setupNotebooksDelete(fs *envflag.Set) action {
	var wait bool
	notebookWaitFlag(fs, &wait, "notebook", "gone")
	return func(ctx context.Context, s *session, args []string) error {
		project, err := s.project("")
		if err != nil {
			return err
		}
		resp, err := rpc(ctx, s, notebookv1.NotebookService_DeleteNotebook_FullMethodName,
			&notebookv1.DeleteNotebookRequest{ProjectId: project, NotebookId: args[0], Wait: wait}, s.nb.DeleteNotebook)
		if err != nil {
			return err
		}
		nb := resp.GetNotebook()
		if s.g.output == outputJSON {
			return s.printJSON(orEmpty(nb))
		}
		id := nb.GetId()
		if id == "" {
			id = args[0]
		}
		line := "Deleted notebook " + s.cell(id)
		switch {
		case wait:
			line += " (gone)"
		case nb.GetStatus() != "":
			line += " (" + s.cell(nb.GetStatus()) + ")"
		}
		if out := s.header.Get(mdOutcome); len(out) > 0 && out[0] == "inferred" {
			line += "; ModelArts did not confirm it: an attempt got no answer and a read found the notebook deleting or gone"
		}
		_, err = fmt.Fprintln(s.stdout, line+".")
		return err
	}
}

// printNotebookTable writes notebooks as a table with a header: the
// image by its name (notebooks get adds its tag and ID).
func (s *session) printNotebookTable(nbs []*notebookv1.Notebook) error {
	tw := s.newTable()
	fmt.Fprintln(tw, strings.Join(notebookColumns, "\t"))
	for _, nb := range nbs {
		fmt.Fprintln(tw, strings.Join(s.notebookRow(nb), "\t"))
	}
	return tw.Flush()
}

// notebookColumns are the columns of a table of notebooks.
var notebookColumns = []string{"ID", "NAME", "STATUS", "FLAVOR", "IMAGE", "CREATED", "STOPS"}

// notebookRow returns a notebook's cells in a table of notebooks: the
// image by its name, and when it stops while it runs.
func (s *session) notebookRow(nb *notebookv1.Notebook) []string {
	stops := ""
	if at, ok := leaseStopAt(nb.GetLease()); ok && strings.EqualFold(nb.GetStatus(), "RUNNING") {
		stops = formatEpochMillis(at)
	}
	return []string{s.cell(nb.GetId()), s.cell(nb.GetName()), s.cell(nb.GetStatus()), s.cell(nb.GetFlavor()),
		s.cell(cmp.Or(nb.GetImage().GetName(), nb.GetImage().GetId())), s.cell(formatEpochMillis(nb.GetCreateAt())), s.cell(stops)}
}
