package server_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	devenvv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/devenv/v1"
	"github.com/devenv-facade/devenv-facade/internal/cloudauth"
	"github.com/devenv-facade/devenv-facade/internal/server"
)

// TestActionAndDeleteAnswersAgree: the answers of an action and a delete
// are read by the client's JSON reader, which takes a member's name in any
// case and the last of duplicates, while REST callers read ModelArts' JSON
// with readers that match names as written. When the two readings differ
// ({"current_status": "STARTING", "Current_Status": "RUNNING"}), the REST
// answer says what the gRPC answer says; when they agree, it is ModelArts'
// JSON as it came.
func TestActionAndDeleteAnswersAgree(t *testing.T) {
	t.Parallel()
	answers := map[string]string{
		"act-differs": `{"current_status":"STARTING","Current_Status":"RUNNING","previous_state":"STOPPED"}`,
		"act-same":    `{"previous_state":"STOPPED","current_status":"STARTING","new_member":null}`,
		"del-differs": `{"instance_id":"del-differs","INSTANCE_ID":"other"}`,
		"del-same":    `{"instance_id":"del-same","new_member":[1]}`,
	}
	up := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		path := strings.TrimSuffix(r.URL.Path, "/action") // .../instances/{id}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, answers[path[strings.LastIndexByte(path, '/')+1:]])
	})
	f := startFacade(t, up, func(o *server.Options) { o.Credentials = cloudauth.Token("facade-token-agree") })
	base := f.httpURL + "/v1/" + project + "/demanager/instances/"
	// restValue reads the REST answer as a REST caller does, names as
	// written.
	restValue := func(t *testing.T, method, url, body, key string) (string, string) {
		t.Helper()
		code, b := restRaw(t, method, url, body, nil)
		var v map[string]any
		if code != http.StatusOK || json.Unmarshal([]byte(b), &v) != nil {
			t.Fatalf("REST %s %s: %d %s", method, url, code, b)
		}
		s, _ := v[key].(string)
		return s, b
	}
	for _, id := range []string{"act-differs", "act-same"} {
		g, err := f.client.ActOnInstance(t.Context(), &devenvv1.ActOnInstanceRequest{ProjectId: project, InstanceId: id, Action: "start"})
		if err != nil {
			t.Fatalf("gRPC %s: %v", id, err)
		}
		got, b := restValue(t, http.MethodPost, base+id+"/action", `{"action":"start"}`, "current_status")
		if got != g.GetCurrentStatus() {
			t.Errorf("%s: REST current_status %q (%s), gRPC %q", id, got, b, g.GetCurrentStatus())
		}
		if id == "act-same" && b != answers[id] {
			t.Errorf("%s: REST %s; want ModelArts' JSON as it came", id, b)
		}
	}
	for _, id := range []string{"del-differs", "del-same"} {
		g, err := f.client.DeleteInstance(t.Context(), &devenvv1.DeleteInstanceRequest{ProjectId: project, InstanceId: id})
		if err != nil {
			t.Fatalf("gRPC %s: %v", id, err)
		}
		got, b := restValue(t, http.MethodDelete, base+id, "", "instance_id")
		if got != g.GetInstanceId() {
			t.Errorf("%s: REST instance_id %q (%s), gRPC %q", id, got, b, g.GetInstanceId())
		}
		if id == "del-same" && b != answers[id] {
			t.Errorf("%s: REST %s; want ModelArts' JSON as it came", id, b)
		}
	}
}
