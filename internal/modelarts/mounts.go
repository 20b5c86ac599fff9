package modelarts

import (
	"encoding/json"
	"net/http"
)

// The dynamic OBS mounts of a running notebook (see notebooks.go for what
// the endpoints share). The vendor calls the notebook ID {instance_id} on
// these routes, and the mount's ID {storage_id}.

// storagePath and mountPath are a notebook's mounts' and one mount's
// paths.
const (
	storagePath = notebooksPath + "/{instance_id}/storage"
	mountPath   = storagePath + "/{storage_id}"
)

// mountReserved reserves the notebook routes' literals for {instance_id}.
var mountReserved = map[string][]string{"instance_id": notebookLiterals}

// ListStorageMounts lists a notebook's OBS mounts (vendor:
// ListAttachableObss): GET /v1/{project_id}/notebooks/{instance_id}/storage,
// no query; the answer is {current, data, pages, size, total}. Idempotent.
var ListStorageMounts = MustEndpoint[json.RawMessage](Operation{
	Name:       "ListStorageMounts",
	Method:     http.MethodGet,
	Path:       storagePath,
	Idempotent: true,
	Reserved:   mountReserved,
})

// AttachStorageMount mounts an OBS parallel file system directory into a
// running notebook (vendor: AttachObs): POST
// /v1/{project_id}/notebooks/{instance_id}/storage with {category,
// mount_path, uri}; the answer is the mount (status MOUNTING). Not
// idempotent: never resent.
var AttachStorageMount = MustEndpoint[json.RawMessage](Operation{
	Name:     "AttachStorageMount",
	Method:   http.MethodPost,
	Path:     storagePath,
	Reserved: mountReserved,
})

// GetStorageMount reads a mount (vendor: ShowAttachableObs): GET
// /v1/{project_id}/notebooks/{instance_id}/storage/{storage_id}.
// Idempotent.
var GetStorageMount = MustEndpoint[json.RawMessage](Operation{
	Name:       "GetStorageMount",
	Method:     http.MethodGet,
	Path:       mountPath,
	Idempotent: true,
	Reserved:   mountReserved,
})

// DetachStorageMount unmounts a mount, leaving the objects in OBS (vendor:
// CancelObs): DELETE
// /v1/{project_id}/notebooks/{instance_id}/storage/{storage_id}; the
// answer is the mount (status UNMOUNTING). Sent once, whatever happens,
// though a DELETE: its caller resolves a lost answer by reading the mount.
var DetachStorageMount = MustEndpoint[json.RawMessage](Operation{
	Name:     "DetachStorageMount",
	Method:   http.MethodDelete,
	Path:     mountPath,
	Reserved: mountReserved,
})
