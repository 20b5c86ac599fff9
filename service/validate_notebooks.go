package service

import (
	"fmt"
	"strings"

	notebookv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/notebook/v1"
)

// The checks of NotebookService's requests (the notebooks themselves; the
// lease, flavors, mounts and images have their own files). Each rule is
// the one the proto documents on the field.

// notebookLiterals are the literal segments the vendor's routes put where
// a notebook ID sits (GET .../notebooks/all, .../notebooks/flavors): never
// a notebook ID, in any case.
var notebookLiterals = []string{"all", "flavors"}

// checkNotebookID accepts what checkInstanceID accepts under the field
// name notebook_id, but for the vendor's literal segments.
func checkNotebookID(id string) *violation {
	const field = "notebook_id"
	if id == "" {
		return newViolation(field, violationRequired, "notebook_id is required: 1 to 64 characters from A-Z, a-z, 0-9, '-' and '_'")
	}
	if !isIDString(id, maxInstanceIDLen) {
		return newViolation(field, violationMalformed, fmt.Sprintf("notebook_id must be 1 to 64 characters from A-Z, a-z, 0-9, '-' and '_'; got %s", describe(id)))
	}
	for _, lit := range notebookLiterals {
		if strings.EqualFold(id, lit) {
			return newViolation(field, violationMalformed, fmt.Sprintf("notebook_id must be a notebook's ID, not %s (a route of its own at ModelArts)", describe(id)))
		}
	}
	return nil
}

// validateGetNotebook checks a GetNotebookRequest.
func validateGetNotebook(req *notebookv1.GetNotebookRequest) []*violation {
	return violations(checkProjectID(req.GetProjectId()), checkNotebookID(req.GetNotebookId()))
}
