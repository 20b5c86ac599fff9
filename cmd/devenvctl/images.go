package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"google.golang.org/protobuf/proto"

	notebookv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/notebook/v1"
	"github.com/devenv-facade/devenv-facade/internal/envflag"
)

// imageArg is the argument of the commands that act on one image.
var imageArg = []string{"IMAGE_ID"}

// imagesGroup is devenvctl images: the images notebooks run.
var imagesGroup = &group{name: "images", summary: "The images notebooks run: list, show, register, save a notebook as one, delete", commands: []*command{
	{name: "images list", summary: "List the images", remote: true, setup: setupImagesList, about: `List the images notebooks may run (ModelArts' own, BUILD_IN, and yours,
DEDICATED): the IDs a notebook's create and update take.

  devenvctl images list --type BUILD_IN --name pytorch
  devenvctl images list --all -o json | jq -r '.data[] | .id + " " + .swr_path'`},
	{name: "images get", args: imageArg, summary: "Show one image", remote: true, setup: setupImagesGet, about: `Show one image.

  devenvctl images get 278e88d1-5b71-4766-8502-b3ba72e824d9`},
	{name: "images register", summary: "Register an SWR image", remote: true, setup: setupImagesRegister, about: `Register an image you pushed to SWR, so notebooks can run it.

  devenvctl images register --swr-path swr.eu-de.otc.t-systems.com/my-org/pytorch_1_8:v1 \
    --description "PyTorch 1.8 with our tools" --services NOTEBOOK,SSH`},
	{name: "images create", args: notebookArg, summary: "Save a running notebook as an image", remote: true, setup: setupImagesCreate, about: `Save a running notebook as an image in SWR (the notebook is SNAPSHOTTING
meanwhile). ModelArts answers at once with the image INIT; with --wait the
command returns once it is ACTIVE.

  devenvctl images create f9937afa-4451-42db-a76b-72d624749f66 --name my-env --namespace my-org --tag v1 --wait`},
	{name: "images groups", summary: "List the image groups (an image's versions)", remote: true, setup: setupImagesGroups, about: `List the image groups: each image name with how many versions (tags) it has.

  devenvctl images groups --namespace my-org`},
	{name: "images delete", args: imageArg, summary: "Delete an image", remote: true, setup: setupImagesDelete, about: `Delete an image from ModelArts; with --force, its content in SWR too (a
private image).

  devenvctl images delete 278e88d1-5b71-4766-8502-b3ba72e824d9`},
}}

// imageFilters are the filters images list and images groups share.
type imageFilters struct {
	name, namespace, typ, workspaceID string
	exactName                         bool
}

func (f *imageFilters) define(fs *envflag.Set) {
	fs.String(&f.name, "name", "", "", "only images whose name contains this (with --exact-name: of this name)")
	fs.Bool(&f.exactName, "exact-name", "", false, "--name matches that name only, not every name containing it")
	fs.String(&f.namespace, "namespace", "", "", "only images of this SWR organization")
	fs.String(&f.typ, "type", "", "", "only images of this kind: BUILD_IN (ModelArts') or DEDICATED (yours)")
	fs.String(&f.workspaceID, "workspace-id", "", "", "only images of this workspace (ModelArts' default: 0)")
}

// fuzzy returns name_fuzzy_match as the flags set it.
func (f *imageFilters) fuzzy(fs *envflag.Set) *bool {
	if !fs.Given("exact-name") {
		return nil
	}
	return proto.Bool(!f.exactName)
}

func setupImagesList(fs *envflag.Set) action {
	var f struct {
		imageFilters
		serviceType, sortDir, sortKey string
		paging
	}
	f.imageFilters.define(fs)
	fs.String(&f.serviceType, "service-type", "", "", "only images of this use: COMMON, INFERENCE, TRAIN, DEV or UNKNOWN")
	fs.String(&f.sortDir, "sort-dir", "", "", "sort order: ASC or DESC (ModelArts' default)")
	fs.String(&f.sortKey, "sort-key", "", "", "comma-separated fields to sort by, such as updateTime")
	f.paging.define(fs, "images")
	return func(ctx context.Context, s *session, _ []string) error {
		if err := f.paging.check(); err != nil {
			return err
		}
		project, err := s.project("")
		if err != nil {
			return err
		}
		pageSize := f.pageSize
		if f.all && pageSize == 0 {
			pageSize = 100
		}
		req := &notebookv1.ListImagesRequest{ProjectId: project, Name: f.name, NameFuzzyMatch: f.fuzzy(fs), Namespace: f.namespace,
			ServiceType: f.serviceType, SortDir: f.sortDir, SortKey: f.sortKey, Type: f.typ, WorkspaceId: f.workspaceID,
			Limit: int32(f.limit), Offset: int32(f.offset), PageSize: int32(pageSize), PageToken: f.pageToken}
		resp, err := listPages(ctx, s, &f.paging, notebookv1.NotebookService_ListImages_FullMethodName, req,
			func(t string) { req.PageToken = t }, s.nb.ListImages, func(first, next *notebookv1.ListImagesResponse) {
				first.Data = append(first.Data, next.GetData()...)
				first.Total, first.NextPageToken = next.Total, next.GetNextPageToken()
				first.Current, first.Pages, first.Size = nil, nil, nil
			})
		if err != nil {
			return err
		}
		if s.g.output == outputJSON {
			return s.printJSON(resp)
		}
		tw := s.newTable()
		fmt.Fprintln(tw, "ID\tNAME\tTYPE\tSTATUS\tARCH\tSERVICES\tCREATED")
		for _, im := range resp.GetData() {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", s.cell(im.GetId()), s.cell(imageName(im)), s.cell(im.GetType()), s.cell(im.GetStatus()),
				s.cell(im.GetArch()), s.cell(strings.Join(im.GetDevServices(), ",")), s.cell(formatEpochMillis(im.GetCreateAt())))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		s.morePages("images", resp.GetNextPageToken())
		return nil
	}
}

// printImage writes one image: with -o json the image itself, as
// ModelArts answers it, else one field a line.
func (s *session) printImage(im *notebookv1.Image) error {
	if s.g.output == outputJSON {
		return s.printJSON(orEmpty(im))
	}
	t := s.newFieldTable()
	t.row("ID", im.GetId())
	t.row("Name", imageName(im))
	t.row("Status", im.GetStatus())
	t.rowIf("Message", im.GetStatusMessage())
	t.row("SWR path", im.GetSwrPath())
	t.row("Namespace", im.GetNamespace())
	t.row("Description", im.GetDescription())
	t.row("Type", im.GetType())
	t.row("Origin", im.GetOrigin())
	t.row("Visibility", im.GetVisibility())
	t.row("Service type", im.GetServiceType())
	t.row("Services", strings.Join(im.GetDevServices(), ","))
	categories := im.GetResourceCategories()
	if len(categories) == 0 {
		categories = im.GetSupportResCategories()
	}
	t.row("Categories", strings.Join(categories, ","))
	t.row("Arch", im.GetArch())
	if im.Size != nil {
		t.row("Size", strconv.FormatInt(im.GetSize(), 10)+" bytes")
	}
	t.row("Workspace", im.GetWorkspaceId())
	t.row("Created", formatEpochMillis(im.GetCreateAt()))
	t.row("Updated", formatEpochMillis(im.GetUpdateAt()))
	return t.flush()
}

func setupImagesGet(*envflag.Set) action {
	return func(ctx context.Context, s *session, args []string) error {
		project, err := s.project("")
		if err != nil {
			return err
		}
		resp, err := rpc(ctx, s, notebookv1.NotebookService_GetImage_FullMethodName,
			&notebookv1.GetImageRequest{ProjectId: project, ImageId: args[0]}, s.nb.GetImage)
		if err != nil {
			return err
		}
		return s.printImage(resp.GetImage())
	}
}

func setupImagesRegister(fs *envflag.Set) action {
	var f struct {
		swrPath, arch, description, origin, categories, serviceType, services, visibility, workspaceID string
	}
	fs.String(&f.swrPath, "swr-path", "", "", "the image's SWR address: [host/]organization/name:tag")
	fs.String(&f.arch, "arch", "", "", "X86_64 (ModelArts' default) or AARCH64")
	fs.String(&f.description, "description", "", "", "a description: at most 512 characters")
	fs.String(&f.origin, "origin", "", "", "CUSTOMIZE (ModelArts' default) or IMAGE_SAVE")
	fs.String(&f.categories, "resource-categories", "", "", "the flavor categories it runs on, comma-separated: CPU, GPU (ModelArts' default: both)")
	fs.String(&f.serviceType, "service-type", "", "", "its use: COMMON, INFERENCE, TRAIN, DEV or UNKNOWN")
	fs.String(&f.services, "services", "", "", "the ways into a notebook it supports, comma-separated: NOTEBOOK, SSH (ModelArts' default: both)")
	fs.String(&f.visibility, "visibility", "", "", "PRIVATE (ModelArts' default) or PUBLIC (every user may use it by its ID)")
	fs.String(&f.workspaceID, "workspace-id", "", "", "the workspace (ModelArts' default: 0)")
	return func(ctx context.Context, s *session, _ []string) error {
		if f.swrPath == "" {
			return usagef("devenvctl images register needs --swr-path")
		}
		project, err := s.project("")
		if err != nil {
			return err
		}
		req := &notebookv1.RegisterImageRequest{ProjectId: project, SwrPath: f.swrPath,
			ResourceCategory: splitList(f.categories), Services: splitList(f.services)}
		for _, o := range []struct {
			name string
			dst  **string
			v    string
		}{{"arch", &req.Arch, f.arch}, {"description", &req.Description, f.description}, {"origin", &req.Origin, f.origin},
			{"service-type", &req.ServiceType, f.serviceType}, {"visibility", &req.Visibility, f.visibility}, {"workspace-id", &req.WorkspaceId, f.workspaceID}} {
			if fs.Given(o.name) {
				*o.dst = proto.String(o.v)
			}
		}
		resp, err := rpc(ctx, s, notebookv1.NotebookService_RegisterImage_FullMethodName, req, s.nb.RegisterImage)
		if err != nil {
			return err
		}
		return s.printImage(resp.GetImage())
	}
}

func setupImagesCreate(fs *envflag.Set) action {
	var f struct {
		name, namespace, tag, description, workspaceID string
		wait                                           bool
	}
	fs.String(&f.name, "name", "", "", "the image's name: 1 to 512 of a-z 0-9 . _ -")
	fs.String(&f.namespace, "namespace", "", "", "the SWR organization to save it in")
	fs.String(&f.tag, "tag", "", "", "the image's tag: 1 to 64 of A-Z a-z 0-9 . _ -")
	fs.String(&f.description, "description", "", "", "a description: at most 512 characters")
	fs.String(&f.workspaceID, "workspace-id", "", "", "the workspace (ModelArts' default: 0)")
	notebookWaitFlag(fs, &f.wait, "image", "ACTIVE (FAILED_PRECONDITION if it ends in CREATE_FAILED or ERROR)")
	return func(ctx context.Context, s *session, args []string) error {
		if f.name == "" || f.namespace == "" {
			return usagef("devenvctl images create needs --name and --namespace")
		}
		project, err := s.project("")
		if err != nil {
			return err
		}
		req := &notebookv1.CreateImageRequest{ProjectId: project, NotebookId: args[0], Name: f.name, Namespace: f.namespace, Wait: f.wait}
		for _, o := range []struct {
			name string
			dst  **string
			v    string
		}{{"tag", &req.Tag, f.tag}, {"description", &req.Description, f.description}, {"workspace-id", &req.WorkspaceId, f.workspaceID}} {
			if fs.Given(o.name) {
				*o.dst = proto.String(o.v)
			}
		}
		resp, err := rpc(ctx, s, notebookv1.NotebookService_CreateImage_FullMethodName, req, s.nb.CreateImage)
		if err != nil {
			return err
		}
		return s.printImage(resp.GetImage())
	}
}

func setupImagesGroups(fs *envflag.Set) action {
	var f imageFilters
	f.define(fs)
	return func(ctx context.Context, s *session, _ []string) error {
		project, err := s.project("")
		if err != nil {
			return err
		}
		resp, err := rpc(ctx, s, notebookv1.NotebookService_ListImageGroups_FullMethodName,
			&notebookv1.ListImageGroupsRequest{ProjectId: project, Name: f.name, NameFuzzyMatch: f.fuzzy(fs), Namespace: f.namespace,
				Type: f.typ, WorkspaceId: f.workspaceID}, s.nb.ListImageGroups)
		if err != nil {
			return err
		}
		if s.g.output == outputJSON {
			return s.printJSON(orEmpty(resp))
		}
		tw := s.newTable()
		fmt.Fprintln(tw, "NAME\tNAMESPACE\tVERSIONS\tCREATED\tUPDATED")
		for _, g := range resp.GetData() {
			versions := ""
			if g.VersionCount != nil {
				versions = strconv.Itoa(int(g.GetVersionCount()))
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", s.cell(g.GetName()), s.cell(g.GetNamespace()), s.cell(versions),
				s.cell(formatEpochMillis(g.GetCreateAt())), s.cell(formatEpochMillis(g.GetUpdateAt())))
		}
		return tw.Flush()
	}
}

func setupImagesDelete(fs *envflag.Set) action {
	var force bool
	fs.Bool(&force, "force", "", false, "delete the image's content from SWR too (a private image)")
	return func(ctx context.Context, s *session, args []string) error {
		project, err := s.project("")
		if err != nil {
			return err
		}
		resp, err := rpc(ctx, s, notebookv1.NotebookService_DeleteImage_FullMethodName,
			&notebookv1.DeleteImageRequest{ProjectId: project, ImageId: args[0], Force: force}, s.nb.DeleteImage)
		if err != nil {
			return err
		}
		if s.g.output == outputJSON {
			return s.printJSON(orEmpty(resp.GetImage()))
		}
		_, err = fmt.Fprintln(s.stdout, "Deleted image "+s.cell(args[0])+".")
		return err
	}
}
