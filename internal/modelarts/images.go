package modelarts

import (
	"encoding/json"
	"net/http"
)

// The images notebooks run (see notebooks.go for what the endpoints
// share): the built-in catalog and the project's own, registered from SWR
// or saved from a running notebook.

// imagesPath and imagePath are the image collection's and an image's
// paths; the vendor calls the image ID {id}.
const (
	imagesPath = "/v1/{project_id}/images"
	imagePath  = imagesPath + "/{id}"
)

// imageReserved reserves the image routes' literal for {id}.
var imageReserved = map[string][]string{"id": {"group"}}

// imageGone are the codes that, answering a retried image delete whose
// first attempt got no answer, mean that attempt deleted it.
var imageGone = []string{CodeImageNotFound, CodeResourceNotFound}

// CreateImage saves a running notebook as an image (vendor: CreateImage):
// POST /v1/{project_id}/notebooks/{id}/create-image with {name,
// namespace, tag, description, workspace_id}; the answer is the image
// (status INIT) while the notebook goes SNAPSHOTTING. Not idempotent:
// never resent.
var CreateImage = MustEndpoint[json.RawMessage](Operation{
	Name:     "CreateImage",
	Method:   http.MethodPost,
	Path:     notebookPath + "/create-image",
	Reserved: notebookReserved,
})

// ListImages lists the images the project may use (vendor: ListImage):
// GET /v1/{project_id}/images with the query limit, offset, name,
// name_fuzzy_match, namespace, service_type, type, sort_dir, sort_key and
// workspace_id ([QueryImageWorkspace]); the answer is {current, data,
// pages, size, total}. Idempotent.
var ListImages = MustEndpoint[json.RawMessage](Operation{
	Name:       "ListImages",
	Method:     http.MethodGet,
	Path:       imagesPath,
	Idempotent: true,
})

// RegisterImage registers an SWR image (vendor: RegisterImage): POST
// /v1/{project_id}/images with {swr_path, arch, description, origin,
// resource_category, service_type, services, visibility, workspace_id};
// the answer is the image. Not idempotent: never resent (a second one
// answers 6737, the tag being taken).
var RegisterImage = MustEndpoint[json.RawMessage](Operation{
	Name:   "RegisterImage",
	Method: http.MethodPost,
	Path:   imagesPath,
})

// ListImageGroups lists the project's images grouped by name (vendor:
// ListImageGroup): GET /v1/{project_id}/images/group with the query name,
// name_fuzzy_match, namespace, type and workspace_id
// ([QueryImageWorkspace]), no paging; the answer is {current, data,
// pages, size, total}. Idempotent.
var ListImageGroups = MustEndpoint[json.RawMessage](Operation{
	Name:       "ListImageGroups",
	Method:     http.MethodGet,
	Path:       imagesPath + "/group",
	Idempotent: true,
})

// GetImage reads an image (vendor: ShowImage): GET
// /v1/{project_id}/images/{id}. Idempotent.
var GetImage = MustEndpoint[json.RawMessage](Operation{
	Name:       "GetImage",
	Method:     http.MethodGet,
	Path:       imagePath,
	Idempotent: true,
	Reserved:   imageReserved,
})

// DeleteImage deletes one of the project's images (vendor: DeleteImage):
// DELETE /v1/{project_id}/images/{id} with the query force ("true" also
// deletes a private image's SWR content; sent as a query as OTC documents
// it, never as Huawei Cloud's body {"is_force"}); the answer is the image
// (status DELETED). Idempotent and retried; a retry that hears 6797 or
// 6404 after an attempt without an answer reports the image deleted
// ([Result].Inferred).
var DeleteImage = MustEndpoint[json.RawMessage](Operation{
	Name:       "DeleteImage",
	Method:     http.MethodDelete,
	Path:       imagePath,
	Idempotent: true,
	InferredBy: imageGone,
	Reserved:   imageReserved,
})
