package modelarts

import (
	"encoding/json"
	"net/http"
)

// The endpoints of the current DevEnviron API
// (https://docs.otc.t-systems.com/modelarts/api-ref/, "Development
// Environment Management", called "DevEnviron (New Version)" before the old
// one became historical): notebooks, their lease and flavors here, OBS
// mounts in mounts.go, images in images.go. As for the old API, each is one
// declaration, and answers travel as the vendor's JSON (json.RawMessage),
// which the service reads. ModelArts documents 201 or 204 for some of them
// and answers 200 with a body in every sample; any 2xx is success, and a
// 204 gives an empty json.RawMessage.
//
// Retries: reads and deletes are idempotent and retried; creates, start,
// stop, lease renewal, mounting, unmounting, image creation and image
// registration are sent once, whatever happens (their callers resolve a
// lost answer by reading the state); the update is a PUT of the fields to
// set, idempotent as the old API's.
//
// Path parameters are escaped into one segment each (see [Request]). The
// vendor puts literal routes where IDs sit, GET .../notebooks/all and
// .../notebooks/flavors beside .../notebooks/{id}, and .../images/group
// beside .../images/{id}, so a notebook ID "all" or "flavors" and an image
// ID "group" (in any case) are refused with [ErrInvalidPathSegment] on
// every route that takes one: such a request would reach another
// operation, or a route that does not exist. (Notebook and image IDs are
// UUIDs; the service checks that first.)

// Query parameter names whose spelling differs by route (fact sheet §9.9):
// the notebook lists take the workspace as "workspaceId", the image lists
// as "workspace_id". Every other query parameter is the vendor's
// snake_case name, given with each endpoint.
const (
	QueryNotebookWorkspace = "workspaceId"
	QueryImageWorkspace    = "workspace_id"
)

// The codes that say a notebook, mount or image does not exist (all sent
// with HTTP 400): 6309 is OTC's for notebooks (see [CodeInstanceNotFound]),
// 6404 Huawei Cloud's for notebooks and images, 6797 the image's.
const (
	CodeResourceNotFound = "ModelArts.6404"
	CodeImageNotFound    = "ModelArts.6797"
)

// notebooksPath and notebookPath are the notebook collection's and a
// notebook's paths; the vendor calls the notebook ID {id}.
const (
	notebooksPath = "/v1/{project_id}/notebooks"
	notebookPath  = notebooksPath + "/{id}"
)

// notebookLiterals are the literal segments the vendor's routes put where
// a notebook ID sits: never a notebook ID.
var notebookLiterals = []string{"all", "flavors"}

// notebookReserved reserves them for the notebook path's {id}.
var notebookReserved = map[string][]string{"id": notebookLiterals}

// notFound are the codes that, answering a retried delete of a notebook or
// image whose first attempt got no answer, mean that attempt deleted it.
var notFound = []string{CodeInstanceNotFound, CodeResourceNotFound}

// CreateNotebook creates a notebook (vendor: CreateNotebook): POST
// /v1/{project_id}/notebooks with the vendor's NotebookCreateReq; the
// answer is the notebook (status CREATING). Not idempotent: never resent.
// The new API allows duplicate names, so its caller cannot resolve a lost
// answer by the name alone.
var CreateNotebook = MustEndpoint[json.RawMessage](Operation{
	Name:   "CreateNotebook",
	Method: http.MethodPost,
	Path:   notebooksPath,
})

// ListNotebooks lists the caller's notebooks (vendor: ListNotebooks): GET
// /v1/{project_id}/notebooks with the query feature, limit, offset, name,
// pool_id, owner, sort_dir, sort_key, status and workspaceId
// ([QueryNotebookWorkspace]); the answer is {current, data, pages, size,
// total}. Idempotent.
var ListNotebooks = MustEndpoint[json.RawMessage](Operation{
	Name:       "ListNotebooks",
	Method:     http.MethodGet,
	Path:       notebooksPath,
	Idempotent: true,
})

// ListAllNotebooks lists every user's notebooks in the project (vendor:
// ListAllNotebooks): GET /v1/{project_id}/notebooks/all with the query of
// [ListNotebooks] and its answer. Idempotent.
var ListAllNotebooks = MustEndpoint[json.RawMessage](Operation{
	Name:       "ListAllNotebooks",
	Method:     http.MethodGet,
	Path:       notebooksPath + "/all",
	Idempotent: true,
})

// GetNotebook reads a notebook (vendor: ShowNotebook): GET
// /v1/{project_id}/notebooks/{id}. Idempotent.
var GetNotebook = MustEndpoint[json.RawMessage](Operation{
	Name:       "GetNotebook",
	Method:     http.MethodGet,
	Path:       notebookPath,
	Idempotent: true,
	Reserved:   notebookReserved,
})

// UpdateNotebook changes a notebook (vendor: UpdateNotebook): PUT
// /v1/{project_id}/notebooks/{id} with the vendor's NotebookUpdateReq; the
// answer is the notebook. Idempotent: the same body sent twice leaves the
// same notebook (storage_new_size is the size to reach, not an increment).
var UpdateNotebook = MustEndpoint[json.RawMessage](Operation{
	Name:       "UpdateNotebook",
	Method:     http.MethodPut,
	Path:       notebookPath,
	Idempotent: true,
	Reserved:   notebookReserved,
})

// DeleteNotebook deletes a notebook and its storage (vendor:
// DeleteNotebook): DELETE /v1/{project_id}/notebooks/{id}; the answer is
// the notebook (status DELETING). Idempotent and retried. When an attempt
// got no answer and a retry then hears that the notebook does not exist
// (6309 or 6404), the first attempt is taken to have deleted it
// ([Result].Inferred). A retry may as well hear 6357 (the deletion the
// lost attempt started is still running): that is an error here, for the
// caller to resolve by reading the notebook.
var DeleteNotebook = MustEndpoint[json.RawMessage](Operation{
	Name:       "DeleteNotebook",
	Method:     http.MethodDelete,
	Path:       notebookPath,
	Idempotent: true,
	InferredBy: notFound,
	Reserved:   notebookReserved,
})

// StartNotebook starts a stopped notebook (vendor: StartNotebook): POST
// /v1/{project_id}/notebooks/{id}/start with the query duration (run time
// in milliseconds, which re-arms the lease) and type ("timing" or "idle"),
// and no body; the answer is the notebook (status STARTING). Not
// idempotent: never resent.
var StartNotebook = MustEndpoint[json.RawMessage](Operation{
	Name:     "StartNotebook",
	Method:   http.MethodPost,
	Path:     notebookPath + "/start",
	Reserved: notebookReserved,
})

// StopNotebook stops a running notebook (vendor: StopNotebook): POST
// /v1/{project_id}/notebooks/{id}/stop, no query, no body; the answer is
// the notebook (status STOPPING). Not idempotent: never resent.
var StopNotebook = MustEndpoint[json.RawMessage](Operation{
	Name:     "StopNotebook",
	Method:   http.MethodPost,
	Path:     notebookPath + "/stop",
	Reserved: notebookReserved,
})

// GetLease reads a running notebook's lease, its auto-stop (vendor:
// ShowLease): GET /v1/{project_id}/notebooks/{id}/lease; the answer is
// {create_at, duration, enable, type, update_at}. Idempotent.
var GetLease = MustEndpoint[json.RawMessage](Operation{
	Name:       "GetLease",
	Method:     http.MethodGet,
	Path:       notebookPath + "/lease",
	Idempotent: true,
	Reserved:   notebookReserved,
})

// RenewLease resets a running notebook's lease to now + duration (vendor:
// RenewLease): PATCH /v1/{project_id}/notebooks/{id}/lease with the body
// {duration, type} and an optional query duration, which wins over the
// body and means "timing"; the answer is the lease. Not idempotent (each
// renewal moves the deadline from the time it arrives): never resent.
var RenewLease = MustEndpoint[json.RawMessage](Operation{
	Name:     "RenewLease",
	Method:   http.MethodPatch,
	Path:     notebookPath + "/lease",
	Reserved: notebookReserved,
})

// ListFlavors lists the flavors notebooks can run on (vendor:
// ListFlavors): GET /v1/{project_id}/notebooks/flavors with the query
// category, type, limit, offset, sort_dir and sort_key; the answer is
// {current, data, flavors, pages, size, total} (data and flavors both
// list the flavors; either may be missing). Idempotent.
var ListFlavors = MustEndpoint[json.RawMessage](Operation{
	Name:       "ListFlavors",
	Method:     http.MethodGet,
	Path:       notebooksPath + "/flavors",
	Idempotent: true,
})

// ListSwitchableFlavors lists the flavors a notebook may switch to
// (vendor: ShowSwitchableFlavors): GET
// /v1/{project_id}/notebooks/{id}/flavors with the query limit and offset;
// the answer is that of [ListFlavors]. Idempotent.
var ListSwitchableFlavors = MustEndpoint[json.RawMessage](Operation{
	Name:       "ListSwitchableFlavors",
	Method:     http.MethodGet,
	Path:       notebookPath + "/flavors",
	Idempotent: true,
	Reserved:   notebookReserved,
})
