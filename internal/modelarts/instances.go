package modelarts

import "net/http"

// The DevEnviron v1 endpoints
// (https://docs.otc.t-systems.com/modelarts/api-ref/, "DevEnviron (Old
// Version)"). Each is one declaration: method, path, idempotency, and how a
// lost answer is resolved.

// CodeInstanceNotFound is ModelArts' "the instance does not exist".
const CodeInstanceNotFound = "ModelArts.6309"

// DeleteInstanceResponse is the body ModelArts returns for a delete.
type DeleteInstanceResponse struct {
	// InstanceID is the ID of the deleted instance.
	InstanceID string `json:"instance_id"`
}

// DeleteInstance deletes a development environment instance:
// DELETE /v1/{project_id}/demanager/instances/{instance_id}. Deletes are
// idempotent and retried. When an attempt was sent but got no answer and a
// retry then hears that the instance does not exist, the first attempt is
// taken to have deleted it ([Result].Inferred). (The instance could also
// never have existed; either way it is gone, which is what was asked.)
var DeleteInstance = MustEndpoint[DeleteInstanceResponse](Operation{
	Name:       "DeleteInstance",
	Method:     http.MethodDelete,
	Path:       "/v1/{project_id}/demanager/instances/{instance_id}",
	Idempotent: true,
	InferredBy: []string{CodeInstanceNotFound},
})
