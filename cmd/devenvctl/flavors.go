package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	notebookv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/notebook/v1"
	"github.com/devenv-facade/devenv-facade/internal/envflag"
)

// flavorsGroup is devenvctl flavors: the machines notebooks run on.
var flavorsGroup = &group{name: "flavors", summary: "The flavors (machines) notebooks run on", commands: []*command{
	{name: "flavors list", summary: "List the flavors a notebook may be created with", remote: true, setup: setupFlavorsList, about: `List the flavors a notebook may be created with (the IDs a create's flavor
takes), with their CPUs, memory and GPUs, and whether they are sold out.

  devenvctl flavors list --category GPU
  devenvctl flavors list --all -o json | jq -r '.data[].id'`},
	{name: "flavors switchable", args: notebookArg, summary: "List the flavors a notebook may switch to", remote: true, setup: setupFlavorsSwitchable, about: `List the flavors a notebook may switch to (an update's flavor, while it is
STOPPED).

  devenvctl flavors switchable f9937afa-4451-42db-a76b-72d624749f66`},
}}

func setupFlavorsList(fs *envflag.Set) action {
	var f struct {
		category, typ, sortDir, sortKey string
		paging
	}
	fs.String(&f.category, "category", "", "", "only flavors of this category: CPU or GPU")
	fs.String(&f.typ, "type", "", "", "only flavors of this kind: NOTEBOOK (billed) or DEFAULT (the free CodeLab flavor)")
	fs.String(&f.sortDir, "sort-dir", "", "", "sort order: ASC or DESC")
	fs.String(&f.sortKey, "sort-key", "", "", "comma-separated fields to sort by")
	f.paging.define(fs, "flavors")
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
		req := &notebookv1.ListFlavorsRequest{ProjectId: project, Category: f.category, Type: f.typ, SortDir: f.sortDir, SortKey: f.sortKey,
			Limit: int32(f.limit), Offset: int32(f.offset), PageSize: int32(pageSize), PageToken: f.pageToken}
		resp, err := listPages(ctx, s, &f.paging, notebookv1.NotebookService_ListFlavors_FullMethodName, req,
			func(t string) { req.PageToken = t }, s.nb.ListFlavors, func(first, next *notebookv1.ListFlavorsResponse) {
				first.Data = append(flavorsOf(first.GetData(), first.GetFlavors()), flavorsOf(next.GetData(), next.GetFlavors())...)
				first.Flavors = first.Data
				first.Total, first.NextPageToken = next.Total, next.GetNextPageToken()
				first.Current, first.Pages, first.Size = nil, nil, nil
			})
		if err != nil {
			return err
		}
		if s.g.output == outputJSON {
			return s.printJSON(resp)
		}
		if err := s.printFlavorTable(flavorsOf(resp.GetData(), resp.GetFlavors())); err != nil {
			return err
		}
		s.morePages("flavors", resp.GetNextPageToken())
		return nil
	}
}

func setupFlavorsSwitchable(fs *envflag.Set) action {
	var p paging
	p.define(fs, "flavors")
	return func(ctx context.Context, s *session, args []string) error {
		if err := p.check(); err != nil {
			return err
		}
		project, err := s.project("")
		if err != nil {
			return err
		}
		pageSize := p.pageSize
		if p.all && pageSize == 0 {
			pageSize = 100
		}
		req := &notebookv1.ListSwitchableFlavorsRequest{ProjectId: project, NotebookId: args[0],
			Limit: int32(p.limit), Offset: int32(p.offset), PageSize: int32(pageSize), PageToken: p.pageToken}
		resp, err := listPages(ctx, s, &p, notebookv1.NotebookService_ListSwitchableFlavors_FullMethodName, req,
			func(t string) { req.PageToken = t }, s.nb.ListSwitchableFlavors, func(first, next *notebookv1.ListSwitchableFlavorsResponse) {
				first.Data = append(flavorsOf(first.GetData(), first.GetFlavors()), flavorsOf(next.GetData(), next.GetFlavors())...)
				first.Flavors = first.Data
				first.Total, first.NextPageToken = next.Total, next.GetNextPageToken()
				first.Current, first.Pages, first.Size = nil, nil, nil
			})
		if err != nil {
			return err
		}
		if s.g.output == outputJSON {
			return s.printJSON(resp)
		}
		if err := s.printFlavorTable(flavorsOf(resp.GetData(), resp.GetFlavors())); err != nil {
			return err
		}
		s.morePages("flavors", resp.GetNextPageToken())
		return nil
	}
}

// flavorsOf returns a flavor list's records: data, or, from an answer
// that has only the other spelling, flavors.
func flavorsOf(data, flavors []*notebookv1.Flavor) []*notebookv1.Flavor {
	if len(data) > 0 {
		return data
	}
	return flavors
}

// printFlavorTable writes flavors as a table with a header.
func (s *session) printFlavorTable(flavors []*notebookv1.Flavor) error {
	tw := s.newTable()
	fmt.Fprintln(tw, "ID\tCATEGORY\tARCH\tVCPUS\tMEMORY\tGPU\tFREE\tSOLD OUT")
	for _, f := range flavors {
		vcpus, memory, gpu := "", "", ""
		if f.Vcpus != nil {
			vcpus = strconv.Itoa(int(f.GetVcpus()))
		}
		if f.Memory != nil {
			memory = memoryText(f.GetMemory())
		}
		if g := f.GetGpu(); g != nil {
			gpu = strings.TrimSpace(strconv.FormatFloat(g.GetGpu(), 'f', -1, 64) + " x " + g.GetType())
			if g.GetGpuMemory() != "" {
				gpu += " " + g.GetGpuMemory() + " GB"
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", s.cell(f.GetId()), s.cell(f.GetCategory()), s.cell(f.GetArch()),
			s.cell(vcpus), s.cell(memory), s.cell(gpu), s.cell(yesNo(f.Free)), s.cell(yesNo(f.SoldOut)))
	}
	return tw.Flush()
}

// memoryText formats a flavor's memory, in KiB as ModelArts gives it:
// "8 GB" for 8388608.
func memoryText(kib int64) string {
	const gib = 1 << 20
	if kib%gib == 0 {
		return strconv.FormatInt(kib/gib, 10) + " GB"
	}
	return strconv.FormatFloat(float64(kib)/gib, 'f', 1, 64) + " GB"
}

// yesNo formats an optional boolean: "yes", "no" or "" when unset.
func yesNo(b *bool) string {
	switch {
	case b == nil:
		return ""
	case *b:
		return "yes"
	}
	return "no"
}
