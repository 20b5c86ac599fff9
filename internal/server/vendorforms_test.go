package server_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protojson"

	devenvv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/devenv/v1"
	"github.com/devenv-facade/devenv-facade/internal/cloudauth"
	"github.com/devenv-facade/devenv-facade/internal/emulator"
	"github.com/devenv-facade/devenv-facade/internal/server"
)

// TestMirror_answersLikeModelArts sends requests in the forms the vendor's
// clients use, good and bad, to the mirror and to the emulator (which
// answers as ModelArts does) and expects the same HTTP status and, for
// errors, the same error_code: show_self as Python clients send it, the
// vendor's own codes for values ModelArts checks itself, and for bodies
// and query values that cannot be read.
func TestMirror_answersLikeModelArts(t *testing.T) {
	t.Parallel()
	f, direct := startLifecycle(t, newFakeClock(), nil, emulator.Options{})
	list := "/v1/" + project + "/demanager/instances"
	action := list + "/" + stopped + "/action"
	tests := []struct {
		name, method, path, body string
		wantStatus               int
		wantCode                 string
	}{
		{"show_self_True", http.MethodGet, list + "?de_type=Notebook&show_self=True", "", 200, ""},
		{"show_self_False", http.MethodGet, list + "?de_type=Notebook&show_self=False", "", 200, ""},
		{"show_self_bad", http.MethodGet, list + "?de_type=Notebook&show_self=maybe", "", 400, "ModelArts.6336"},
		{"order_bad", http.MethodGet, list + "?de_type=Notebook&order=up", "", 400, "ModelArts.6336"},
		{"status_bad", http.MethodGet, list + "?de_type=Notebook&status=running", "", 400, "ModelArts.6336"},
		{"sortby_bad", http.MethodGet, list + "?de_type=Notebook&sortby=status", "", 400, "ModelArts.6303"},
		{"action_unknown", http.MethodPost, action, `{"action":"jump"}`, 400, "ModelArts.6336"},
		{"action_missing", http.MethodPost, action, `{}`, 400, "ModelArts.6335"},
		{"action_empty", http.MethodPost, action, "", 400, "ModelArts.6400"},
		{"action_not_json", http.MethodPost, action, `start`, 400, "ModelArts.6400"},
		{"action_truncated", http.MethodPost, action, `{"action":`, 400, "ModelArts.6400"},
		{"action_not_an_object", http.MethodPost, action, `["start"]`, 400, "ModelArts.6400"},
		{"action_wrong_type", http.MethodPost, action, `{"action": 1}`, 400, "ModelArts.6332"},
		{"limit_not_a_number", http.MethodGet, list + "?de_type=Notebook&limit=abc", "", 400, "ModelArts.6332"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for _, target := range []struct{ name, base string }{{"ModelArts (the emulator)", direct}, {"the mirror", f.httpURL}} {
				code, body := mirrorCall(t, tt.method, target.base+tt.path, tt.body)
				if code != tt.wantStatus || tt.wantCode != "" && body["error_code"] != tt.wantCode {
					t.Errorf("%s: %d %v; want %d %s", target.name, code, body, tt.wantStatus, tt.wantCode)
				}
			}
		})
	}
}

// TestMirror_passesOnWhatModelArtsSent: the mirror answers an instance, a
// list, an action or a delete as ModelArts sent it, byte for byte when it holds no secret (its
// layout, explicit nulls, fields the API does not declare, numbers as
// written), and otherwise in the same order without the secrets: the
// credential objects, any member named as a secret, a repository URL's
// password. Pages of the facade's own paging are made of the instances as
// ModelArts sent them. gRPC answers hold none of the secrets either.
func TestMirror_passesOnWhatModelArtsSent(t *testing.T) {
	t.Parallel()
	plain := `{
  "id": "DE-plain",
  "name": "n",
  "status": "RUNNING",
  "future_field": {"list": [1, null, "x"], "flag": true},
  "profile": {"provision": {"spec": {"params": {"annotations": null}}}},
  "spec": {"repository": null, "failed_reasons": null, "extend_storage": null, "extend_params": null, "future_spec": 1.50}
}`
	secret := `{"id":"DE-secret","name":"s","spec":{"credential":{"ssh_private_key":"KEY-0a9f","access_token":"TOK-1b8e"},` +
		`"repository":{"connection_info":{"url":"https://user:PW-2c7d@git.example/r.git","credential":{"access_token":"TOK-3d6c"}}}},` +
		`"new_api_token":"TOK-4e5b","future_field":null}`
	secretForCallers := `{"id":"DE-secret","name":"s","spec":{"repository":{"connection_info":{"url":"https://git.example/r.git"}}},"future_field":null}`
	list := `{"total_count": 2, "instances": [` + plain + `,` + secret + `], "future_top": null}`
	action := `{"current_status": "STARTING", "previous_state": "STOPPED", "queue": null}`
	deleted := `{"instance_id": "DE-plain", "job_id": 7}`
	upstream := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case strings.HasSuffix(r.URL.Path, "/action"):
			_, _ = io.WriteString(w, action)
		case r.Method == http.MethodDelete:
			_, _ = io.WriteString(w, deleted)
		case strings.HasSuffix(r.URL.Path, "/instances"):
			if r.Method == http.MethodPost {
				_, _ = io.WriteString(w, plain)
				return
			}
			_, _ = io.WriteString(w, list)
		case strings.HasSuffix(r.URL.Path, "/DE-secret"):
			_, _ = io.WriteString(w, secret)
		default:
			_, _ = io.WriteString(w, plain)
		}
	})
	f := startFacade(t, upstream, func(o *server.Options) { o.Credentials = cloudauth.Token("facade-token") })
	base := f.httpURL + "/v1/" + project + "/demanager/instances"
	create := `{"name":"n","profile_id":"p","flavor":"modelarts.vm.cpu.2u","spec":{"storage":{"type":"obs","location":{"path":"/bucket/dir/"}}}}`
	tests := []struct {
		name, method, url, body, want string
	}{
		{"get", http.MethodGet, base + "/DE-plain", "", plain},
		{"get_with_secrets", http.MethodGet, base + "/DE-secret", "", secretForCallers},
		{"update", http.MethodPut, base + "/DE-plain", `{"description":"d"}`, plain},
		{"create", http.MethodPost, base, create, plain},
		{"action", http.MethodPost, base + "/DE-plain/action", `{"action":"start"}`, action},
		{"delete", http.MethodDelete, base + "/DE-plain", "", deleted},
		{"list", http.MethodGet, base + "?de_type=Notebook", "", `{"total_count":2,"instances":[` + compact(t, plain) + `,` + secretForCallers + `],"future_top":null}`},
	}
	for _, tt := range tests {
		code, body := restRaw(t, tt.method, tt.url, tt.body, nil)
		if code != http.StatusOK || body != tt.want {
			t.Errorf("%s: %d\n%s\nwant 200\n%s", tt.name, code, body, tt.want)
		}
	}

	// A page of the facade's paging: the instance as ModelArts sent it
	// (written anew, in the same order, as the list held a secret).
	code, body := restRaw(t, http.MethodGet, base+"?de_type=Notebook&page_size=1", "", nil)
	var page struct {
		TotalCount    int               `json:"total_count"`
		Instances     []json.RawMessage `json:"instances"`
		NextPageToken string            `json:"next_page_token"`
	}
	if err := json.Unmarshal([]byte(body), &page); code != http.StatusOK || err != nil || len(page.Instances) != 1 ||
		page.NextPageToken == "" || page.TotalCount != 2 || string(page.Instances[0]) != compact(t, plain) {
		t.Errorf("page: %d %s (%v); want the first instance as ModelArts sent it, and a next page", code, body, err)
	}

	got, err := f.client.GetInstance(t.Context(), &devenvv1.GetInstanceRequest{ProjectId: project, InstanceId: "DE-secret"})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := protojson.Marshal(got)
	for _, s := range []string{"KEY-0a9f", "TOK-1b8e", "PW-2c7d", "TOK-3d6c", "TOK-4e5b"} {
		if strings.Contains(string(b), s) {
			t.Errorf("the gRPC answer holds %s: %s", s, b)
		}
	}
}

// compact returns s, a JSON text, without its insignificant space.
func compact(t *testing.T, s string) string {
	t.Helper()
	var b bytes.Buffer
	if err := json.Compact(&b, []byte(s)); err != nil {
		t.Fatal(err)
	}
	return b.String()
}
