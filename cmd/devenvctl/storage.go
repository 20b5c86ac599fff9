package main

import (
	"context"
	"fmt"

	notebookv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/notebook/v1"
	"github.com/devenv-facade/devenv-facade/internal/envflag"
)

// storageGroup is devenvctl storage: OBS directories mounted into a
// running notebook.
var storageGroup = &group{name: "storage", summary: "OBS directories mounted into a running notebook: list, mount, show, unmount", commands: []*command{
	{name: "storage list", args: notebookArg, summary: "List a notebook's OBS mounts", remote: true, setup: setupStorageList, about: `List the OBS directories mounted into a notebook.

  devenvctl storage list 7c6b5a49-3827-4165-9403-f2e1d0c9b8a7`},
	{name: "storage attach", args: notebookArg, summary: "Mount an OBS directory into a running notebook", remote: true, setup: setupStorageAttach, about: `Mount an OBS directory into a running notebook. ModelArts answers at once
with the mount MOUNTING; with --wait the command returns once it is MOUNTED.

  devenvctl storage attach 7c6b5a49-3827-4165-9403-f2e1d0c9b8a7 \
    --uri obs://my-bucket/datasets/ --mount-path /data/datasets/ --wait`},
	{name: "storage get", args: []string{"NOTEBOOK_ID", "STORAGE_ID"}, summary: "Show one OBS mount", remote: true, setup: setupStorageGet, about: `Show one OBS mount of a notebook.

  devenvctl storage get 7c6b5a49-3827-4165-9403-f2e1d0c9b8a7 91dd2d3f-2d92-475f-a375-04636af26cc9`},
	{name: "storage detach", args: []string{"NOTEBOOK_ID", "STORAGE_ID"}, summary: "Unmount an OBS directory", remote: true, setup: setupStorageDetach, about: `Unmount an OBS directory from a notebook (the data stays in OBS). With --wait
the command returns once the mount is gone.

  devenvctl storage detach 7c6b5a49-3827-4165-9403-f2e1d0c9b8a7 91dd2d3f-2d92-475f-a375-04636af26cc9 --wait`},
}}

func setupStorageList(*envflag.Set) action {
	return func(ctx context.Context, s *session, args []string) error {
		project, err := s.project("")
		if err != nil {
			return err
		}
		resp, err := rpc(ctx, s, notebookv1.NotebookService_ListStorageMounts_FullMethodName,
			&notebookv1.ListStorageMountsRequest{ProjectId: project, NotebookId: args[0]}, s.nb.ListStorageMounts)
		if err != nil {
			return err
		}
		if s.g.output == outputJSON {
			return s.printJSON(orEmpty(resp))
		}
		tw := s.newTable()
		fmt.Fprintln(tw, "ID\tCATEGORY\tMOUNT PATH\tURI\tSTATUS")
		for _, m := range resp.GetData() {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", s.cell(m.GetId()), s.cell(m.GetCategory()), s.cell(m.GetMountPath()), s.cell(m.GetUri()), s.cell(m.GetStatus()))
		}
		return tw.Flush()
	}
}

// printMount writes one mount: with -o json the mount itself, as ModelArts
// answers it, else one field a line.
func (s *session) printMount(notebookID string, m *notebookv1.StorageMount) error {
	if s.g.output == outputJSON {
		return s.printJSON(orEmpty(m))
	}
	t := s.newFieldTable()
	t.row("ID", m.GetId())
	t.row("Notebook", notebookID)
	t.row("Status", m.GetStatus())
	t.row("Category", m.GetCategory())
	t.row("URI", m.GetUri())
	t.row("Mount path", m.GetMountPath())
	return t.flush()
}

func setupStorageAttach(fs *envflag.Set) action {
	var category, mountPath, uri string
	var wait bool
	fs.String(&uri, "uri", "", "", "the OBS directory: obs://bucket/dir/")
	fs.String(&mountPath, "mount-path", "", "", "where it appears in the notebook, under /data/: such as /data/datasets/")
	fs.String(&category, "category", "", "OBS", "the storage: OBS (or OBSFS), an OBS parallel file system")
	notebookWaitFlag(fs, &wait, "mount", "MOUNTED (FAILED_PRECONDITION if it ends in MOUNT_FAILED)")
	return func(ctx context.Context, s *session, args []string) error {
		if uri == "" || mountPath == "" {
			return usagef("devenvctl storage attach needs --uri and --mount-path")
		}
		project, err := s.project("")
		if err != nil {
			return err
		}
		resp, err := rpc(ctx, s, notebookv1.NotebookService_AttachStorageMount_FullMethodName,
			&notebookv1.AttachStorageMountRequest{ProjectId: project, NotebookId: args[0], Category: category, MountPath: mountPath, Uri: uri, Wait: wait},
			s.nb.AttachStorageMount)
		if err != nil {
			return err
		}
		return s.printMount(args[0], resp.GetStorageMount())
	}
}

func setupStorageGet(*envflag.Set) action {
	return func(ctx context.Context, s *session, args []string) error {
		project, err := s.project("")
		if err != nil {
			return err
		}
		resp, err := rpc(ctx, s, notebookv1.NotebookService_GetStorageMount_FullMethodName,
			&notebookv1.GetStorageMountRequest{ProjectId: project, NotebookId: args[0], StorageId: args[1]}, s.nb.GetStorageMount)
		if err != nil {
			return err
		}
		return s.printMount(args[0], resp.GetStorageMount())
	}
}

func setupStorageDetach(fs *envflag.Set) action {
	var wait bool
	notebookWaitFlag(fs, &wait, "mount", "gone (FAILED_PRECONDITION if it ends in UNMOUNT_FAILED)")
	return func(ctx context.Context, s *session, args []string) error {
		project, err := s.project("")
		if err != nil {
			return err
		}
		resp, err := rpc(ctx, s, notebookv1.NotebookService_DetachStorageMount_FullMethodName,
			&notebookv1.DetachStorageMountRequest{ProjectId: project, NotebookId: args[0], StorageId: args[1], Wait: wait}, s.nb.DetachStorageMount)
		if err != nil {
			return err
		}
		if s.g.output == outputJSON {
			return s.printJSON(orEmpty(resp.GetStorageMount()))
		}
		line := "Unmounted " + s.cell(args[1]) + " from notebook " + s.cell(args[0])
		if wait {
			line += " (gone)"
		} else if st := resp.GetStorageMount().GetStatus(); st != "" {
			line += " (" + s.cell(st) + ")"
		}
		_, err = fmt.Fprintln(s.stdout, line+".")
		return err
	}
}
