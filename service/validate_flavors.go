package service

import (
	notebookv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/notebook/v1"
)

// Values the flavor lists' filters and every list's order take, as the
// vendor spells them; callers may write them in any case.
var (
	flavorCategories = []string{"CPU", "GPU"}
	flavorTypes      = []string{"MANAGED", "DEDICATED"}
	sortDirs         = []string{"ASC", "DESC"}
)

func validateListFlavors(req *notebookv1.ListFlavorsRequest) []*violation {
	_, badCategory := checkUpper("category", req.GetCategory(), flavorCategories...)
	_, badType := checkUpper("type", req.GetType(), flavorTypes...)
	_, badDir := checkUpper("sort_dir", req.GetSortDir(), sortDirs...)
	vs := violations(checkProjectID(req.GetProjectId()), badCategory, badType, badDir, checkSortKey(req.GetSortKey()))
	return append(vs, checkPaging(req)...)
}

func validateListSwitchableFlavors(req *notebookv1.ListSwitchableFlavorsRequest) []*violation {
	vs := violations(checkProjectID(req.GetProjectId()), checkNotebookID(req.GetNotebookId()))
	return append(vs, checkPaging(req)...)
}
