package modelarts

import (
	"encoding/json"
	"net/http"
)

// The DevEnviron v1 endpoints
// (https://docs.otc.t-systems.com/modelarts/api-ref/, "DevEnviron (Old
// Version)"). Each is one declaration: method, path, idempotency, and how a
// lost answer is resolved. Instances travel as the vendor's JSON
// (json.RawMessage): the client does not interpret them, the service reads
// them into the API's messages.

// CodeInstanceNotFound is ModelArts' "the instance does not exist": a
// delete with allow_missing and a wait for an instance to go read it.
const CodeInstanceNotFound = "ModelArts.6309"

// instancesPath and instancePath are the collection's and an instance's
// paths.
const (
	instancesPath = "/v1/{project_id}/demanager/instances"
	instancePath  = instancesPath + "/{instance_id}"
)

// CreateInstance creates an instance: POST /v1/{project_id}/demanager/instances
// with the vendor's create body; the answer is the instance (status
// CREATING). Not idempotent: never retried (a lost answer is resolved by
// the caller, by looking the name up).
var CreateInstance = MustEndpoint[json.RawMessage](Operation{
	Name:   "CreateInstance",
	Method: http.MethodPost,
	Path:   instancesPath,
})

// ListInstances lists instances: GET /v1/{project_id}/demanager/instances
// with the vendor's query parameters; the answer is {"total_count": n,
// "instances": [...]}. Idempotent.
var ListInstances = MustEndpoint[json.RawMessage](Operation{
	Name:       "ListInstances",
	Method:     http.MethodGet,
	Path:       instancesPath,
	Idempotent: true,
})

// GetInstance reads an instance: GET
// /v1/{project_id}/demanager/instances/{instance_id}. Idempotent.
var GetInstance = MustEndpoint[json.RawMessage](Operation{
	Name:       "GetInstance",
	Method:     http.MethodGet,
	Path:       instancePath,
	Idempotent: true,
})

// UpdateInstance changes an instance's description and auto-stop: PUT
// /v1/{project_id}/demanager/instances/{instance_id}; the answer is the
// instance. Idempotent: the same body sent twice leaves the same instance.
var UpdateInstance = MustEndpoint[json.RawMessage](Operation{
	Name:       "UpdateInstance",
	Method:     http.MethodPut,
	Path:       instancePath,
	Idempotent: true,
})

// ActionRequest is the body of the action endpoint.
type ActionRequest struct {
	// Action is "start" or "stop".
	Action string `json:"action"`
}

// ActionResponse is the answer of the action endpoint.
type ActionResponse struct {
	// CurrentStatus is the status after the request ("STARTING").
	CurrentStatus string `json:"current_status"`
	// PreviousState is the status before it ("STOPPED").
	PreviousState string `json:"previous_state"`
}

// InstanceAction starts or stops an instance: POST
// /v1/{project_id}/demanager/instances/{instance_id}/action with
// {"action": "start"|"stop"}. Not idempotent: never retried (a lost answer
// is resolved by the caller, by reading the instance's status).
var InstanceAction = MustEndpoint[ActionResponse](Operation{
	Name:   "InstanceAction",
	Method: http.MethodPost,
	Path:   instancePath + "/action",
})

// DeleteInstanceResponse is the body ModelArts returns for a delete.
type DeleteInstanceResponse struct {
	// InstanceID is the ID of the deleted instance.
	InstanceID string `json:"instance_id"`
}

// decodeFast reads the body ModelArts sends for a delete,
// {"instance_id":"<id>"}, with JSON whitespace around its tokens and an
// ID of printable ASCII without escapes; any other body is left to
// json.Unmarshal (which matches keys case-insensitively, unescapes, allows
// other fields, null, ...).
func (r *DeleteInstanceResponse) decodeFast(body []byte) bool {
	const key = `"instance_id"`
	i := skipSpace(body, 0)
	if i == len(body) || body[i] != '{' {
		return false
	}
	i = skipSpace(body, i+1)
	if len(body)-i < len(key) || string(body[i:i+len(key)]) != key {
		return false
	}
	i = skipSpace(body, i+len(key))
	if i == len(body) || body[i] != ':' {
		return false
	}
	i = skipSpace(body, i+1)
	if i == len(body) || body[i] != '"' {
		return false
	}
	start := i + 1
	end := start
	for ; end < len(body) && body[end] != '"'; end++ {
		if c := body[end]; c < 0x20 || c > 0x7e || c == '\\' {
			return false
		}
	}
	if end == len(body) {
		return false
	}
	i = skipSpace(body, end+1)
	if i == len(body) || body[i] != '}' || skipSpace(body, i+1) != len(body) {
		return false
	}
	r.InstanceID = string(body[start:end])
	return true
}

// skipSpace returns the index of the first byte of b from i that is not
// JSON whitespace, or len(b).
func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
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
	Path:       instancePath,
	Idempotent: true,
	InferredBy: []string{CodeInstanceNotFound},
})
