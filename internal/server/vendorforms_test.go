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

// TestMirror_answersLikeModelArtsOnNotebooks is TestMirror_answersLikeModelArts
// for the new API (/v1/{project_id}/notebooks... and /images...): each bad
// request goes to the emulator (which answers as ModelArts does) and to the
// mirror, and both must answer HTTP 400 with the same error_code, the
// vendor's, though the facade refuses the request itself (gRPC callers get
// INVALID_ARGUMENT). The cases named in differ cannot agree, and say what
// each side answers: a value the facade refuses for a rule of its own,
// which ModelArts accepts, keeps the facade's code or the field's; a
// refusal that ModelArts answers with two codes (by a length, or by what
// the notebook is) gets the one of its commonest cause.
func TestMirror_answersLikeModelArtsOnNotebooks(t *testing.T) {
	t.Parallel()
	f, direct := startLifecycle(t, newFakeClock(), nil, emulator.Options{})
	nbs := "/v1/" + project + "/notebooks"
	images := "/v1/" + project + "/images"
	running := nbs + "/" + emulator.SampleNotebookID
	evs := nbs + "/" + emulator.SampleSSHNotebookID // RUNNING, with an EVS volume
	stopped := nbs + "/936bea3e-d3df-435e-8b58-d817283284ae"
	long := func(n int) string { return strings.Repeat("a", n) }
	// create is a valid create body with some fields replaced (a value of
	// "" drops the field).
	create := func(fields ...string) string {
		body := map[string]json.RawMessage{"name": json.RawMessage(`"nb1"`), "flavor": json.RawMessage(`"modelarts.vm.cpu.2u"`),
			"image_id": json.RawMessage(`"` + emulator.SampleImageID + `"`), "volume": json.RawMessage(`{"category":"evs","ownership":"managed","capacity":50}`)}
		for i := 0; i < len(fields); i += 2 {
			if fields[i+1] == "" {
				delete(body, fields[i])
				continue
			}
			body[fields[i]] = json.RawMessage(fields[i+1])
		}
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	// mount is an AttachObs body with the fields that are not "".
	mount := func(category, path, uri string) string {
		body := map[string]string{}
		for k, v := range map[string]string{"category": category, "mount_path": path, "uri": uri} {
			if v != "" {
				body[k] = v
			}
		}
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	const swr = `"swr_path":"swr.example.com/org/name:tag"`
	agree := []struct {
		name, method, path, body, wantCode string
	}{
		// CreateNotebook
		{"create_name_missing", http.MethodPost, nbs, create("name", ""), "ModelArts.6335"},
		{"create_name_character", http.MethodPost, nbs, create("name", `"my nb"`), "ModelArts.6334"},
		{"create_name_wrong_type", http.MethodPost, nbs, create("name", `1`), "ModelArts.6332"},
		{"create_description_character", http.MethodPost, nbs, create("description", `"a<b"`), "ModelArts.6334"},
		{"create_description_quote", http.MethodPost, nbs, create("description", `"it's"`), "ModelArts.6334"},
		{"create_flavor_missing", http.MethodPost, nbs, create("flavor", ""), "ModelArts.6335"},
		{"create_flavor_malformed", http.MethodPost, nbs, create("flavor", `"cpu 2u"`), "ModelArts.6323"},
		{"create_image_missing", http.MethodPost, nbs, create("image_id", ""), "ModelArts.6335"},
		{"create_image_malformed", http.MethodPost, nbs, create("image_id", `"e1a07296.22a8"`), "ModelArts.6797"},
		{"create_volume_missing", http.MethodPost, nbs, create("volume", ""), "ModelArts.6335"},
		{"create_volume_category_missing", http.MethodPost, nbs, create("volume", `{"ownership":"managed"}`), "ModelArts.6335"},
		{"create_volume_category_unknown", http.MethodPost, nbs, create("volume", `{"category":"nfs","ownership":"managed"}`), "ModelArts.6324"},
		{"create_volume_ownership_missing", http.MethodPost, nbs, create("volume", `{"category":"evs"}`), "ModelArts.6335"},
		{"create_volume_ownership_unknown", http.MethodPost, nbs, create("volume", `{"category":"evs","ownership":"shared"}`), "ModelArts.6336"},
		{"create_volume_dedicated_evs", http.MethodPost, nbs, create("volume", `{"category":"evs","ownership":"dedicated","uri":"192.168.0.1:/x/","id":"sfs1"}`), "ModelArts.6336"},
		{"create_volume_dedicated_without_uri", http.MethodPost, nbs, create("volume", `{"category":"efs","ownership":"dedicated","id":"sfs1"}`), "ModelArts.6335"},
		{"create_volume_dedicated_without_id", http.MethodPost, nbs, create("volume", `{"category":"efs","ownership":"dedicated","uri":"192.168.0.1:/x/"}`), "ModelArts.6335"},
		{"create_volume_evs_too_small", http.MethodPost, nbs, create("volume", `{"category":"evs","ownership":"managed","capacity":4}`), "ModelArts.6331"},
		{"create_volume_evs_too_large", http.MethodPost, nbs, create("volume", `{"category":"evs","ownership":"managed","capacity":5000}`), "ModelArts.6331"},
		{"create_feature_unknown", http.MethodPost, nbs, create("feature", `"PAID"`), "ModelArts.6336"},
		{"create_duration_range", http.MethodPost, nbs, create("duration", `1000`), "ModelArts.6349"},
		{"create_lease_duration_range", http.MethodPost, nbs, create("lease", `{"duration":1000}`), "ModelArts.6349"},
		{"create_lease_type_unknown", http.MethodPost, nbs, create("lease", `{"duration":3600000,"type":"sometimes"}`), "ModelArts.6336"},
		{"create_endpoint_service_unknown", http.MethodPost, nbs, create("endpoints", `[{"service":"FTP"}]`), "ModelArts.6336"},
		{"create_endpoint_service_twice", http.MethodPost, nbs, create("endpoints", `[{"service":"SSH"},{"service":"ssh"}]`), "ModelArts.6336"},
		{"create_endpoint_six_addresses", http.MethodPost, nbs, create("endpoints", `[{"service":"SSH","allowed_access_ips":["1.1.1.1","1.1.1.2","1.1.1.3","1.1.1.4","1.1.1.5","1.1.1.6"]}]`), "ModelArts.6336"},
		{"create_endpoint_address_malformed", http.MethodPost, nbs, create("endpoints", `[{"service":"SSH","allowed_access_ips":["1.1.1"]}]`), "ModelArts.6336"},
		{"create_endpoint_key_pair_empty", http.MethodPost, nbs, create("endpoints", `[{"service":"SSH","key_pair_names":[""]}]`), "ModelArts.6336"},
		{"create_hook_type_unknown", http.MethodPost, nbs, create("hooks", `{"container_hooks":{"pre_start":{"script":"/a.sh","type":"PYTHON"}}}`), "ModelArts.6336"},
		{"create_hook_script_missing", http.MethodPost, nbs, create("hooks", `{"container_hooks":{"pre_start":{"type":"SCRIPT"}}}`), "ModelArts.6335"},
		{"create_hook_script_relative", http.MethodPost, nbs, create("hooks", `{"container_hooks":{"post_start":{"script":"a.sh"}}}`), "ModelArts.6336"},
		{"create_hook_command_not_base64", http.MethodPost, nbs, create("hooks", `{"container_hooks":{"post_start":{"script":"%%%","type":"COMMAND"}}}`), "ModelArts.6336"},
		{"create_pool_malformed", http.MethodPost, nbs, create("pool_id", `"AB"`), "ModelArts.6336"},
		{"create_workspace_malformed", http.MethodPost, nbs, create("workspace_id", `"nope"`), "ModelArts.0102"},
		// ListNotebooks, ListAllNotebooks
		{"list_feature_unknown", http.MethodGet, nbs + "?feature=PAID", "", "ModelArts.6336"},
		{"list_name_character", http.MethodGet, nbs + "?name=a%20b", "", "ModelArts.6334"},
		{"list_status_unknown", http.MethodGet, nbs + "?status=AWAKE", "", "ModelArts.6336"},
		{"list_sort_dir_unknown", http.MethodGet, nbs + "?sort_dir=UP", "", "ModelArts.6336"},
		{"list_sort_key_malformed", http.MethodGet, nbs + "?sort_key=a%20b", "", "ModelArts.6303"},
		{"list_sort_key_unknown", http.MethodGet, nbs + "?sort_key=flavor", "", "ModelArts.6303"},
		{"list_offset_negative", http.MethodGet, nbs + "?offset=-1", "", "ModelArts.6336"},
		{"list_limit_negative", http.MethodGet, nbs + "?limit=-1", "", "ModelArts.6336"},
		{"list_limit_not_a_number", http.MethodGet, nbs + "?limit=abc", "", "ModelArts.6332"},
		{"list_all_owner_malformed", http.MethodGet, nbs + "/all?owner=someone", "", "ModelArts.6336"},
		{"list_all_status_unknown", http.MethodGet, nbs + "/all?status=AWAKE", "", "ModelArts.6336"},
		// A notebook's ID in the path, and UpdateNotebook
		{"get_id_malformed", http.MethodGet, nbs + "/a.b", "", "ModelArts.6309"},
		{"delete_id_malformed", http.MethodDelete, nbs + "/a.b", "", "ModelArts.6309"},
		{"update_id_malformed", http.MethodPut, nbs + "/a.b", `{"name":"x"}`, "ModelArts.6309"},
		{"update_name_empty", http.MethodPut, stopped, `{"name":""}`, "ModelArts.6335"},
		{"update_name_character", http.MethodPut, stopped, `{"name":"a b"}`, "ModelArts.6334"},
		{"update_description_character", http.MethodPut, stopped, `{"description":"a&b"}`, "ModelArts.6334"},
		{"update_flavor_empty", http.MethodPut, stopped, `{"flavor":""}`, "ModelArts.6336"},
		{"update_flavor_malformed", http.MethodPut, stopped, `{"flavor":"cpu 2u"}`, "ModelArts.6323"},
		{"update_image_empty", http.MethodPut, stopped, `{"image_id":""}`, "ModelArts.6336"},
		{"update_image_malformed", http.MethodPut, stopped, `{"image_id":"e1a07296.22a8"}`, "ModelArts.6797"},
		{"update_storage_new_size_zero", http.MethodPut, evs, `{"storage_new_size":0}`, "ModelArts.6336"},
		{"update_endpoint_service_unknown", http.MethodPut, stopped, `{"endpoints":[{"service":"FTP"}]}`, "ModelArts.6336"},
		{"update_hook_script_relative", http.MethodPut, stopped, `{"hooks":{"container_hooks":{"pre_start":{"script":"a.sh"}}}}`, "ModelArts.6336"},
		// StartNotebook, StopNotebook, the lease
		{"start_id_malformed", http.MethodPost, nbs + "/a.b/start", "", "ModelArts.6309"},
		{"start_duration_range", http.MethodPost, stopped + "/start?duration=5", "", "ModelArts.6349"},
		{"start_type_unknown", http.MethodPost, stopped + "/start?type=never", "", "ModelArts.6336"},
		{"stop_id_malformed", http.MethodPost, nbs + "/a.b/stop", "", "ModelArts.6309"},
		{"lease_id_malformed", http.MethodGet, nbs + "/a.b/lease", "", "ModelArts.6309"},
		{"renew_without_body", http.MethodPatch, running + "/lease", "", "ModelArts.6348"},
		{"renew_without_duration", http.MethodPatch, running + "/lease", `{"type":"timing"}`, "ModelArts.6348"},
		{"renew_query_duration_range", http.MethodPatch, running + "/lease?duration=5", "", "ModelArts.6349"},
		{"renew_duration_range", http.MethodPatch, running + "/lease", `{"duration":5}`, "ModelArts.6349"},
		{"renew_type_unknown", http.MethodPatch, running + "/lease", `{"duration":3600000,"type":"never"}`, "ModelArts.6336"},
		// Flavors
		{"flavors_category_unknown", http.MethodGet, nbs + "/flavors?category=TPU", "", "ModelArts.6336"},
		{"flavors_type_unknown", http.MethodGet, nbs + "/flavors?type=SHARED", "", "ModelArts.6336"},
		{"flavors_sort_dir_unknown", http.MethodGet, nbs + "/flavors?sort_key=name&sort_dir=UP", "", "ModelArts.6336"},
		{"flavors_sort_key_malformed", http.MethodGet, nbs + "/flavors?sort_key=a%20b", "", "ModelArts.6303"},
		{"flavors_offset_negative", http.MethodGet, nbs + "/flavors?offset=-1", "", "ModelArts.6336"},
		{"switchable_flavors_limit_negative", http.MethodGet, stopped + "/flavors?limit=-1", "", "ModelArts.6336"},
		// OBS mounts
		{"mount_category_missing", http.MethodPost, running + "/storage", mount("", "/data/x/", "obs://bucket/x/"), "ModelArts.6335"},
		{"mount_category_unknown", http.MethodPost, running + "/storage", mount("EFS", "/data/x/", "obs://bucket/x/"), "ModelArts.6324"},
		{"mount_path_missing", http.MethodPost, running + "/storage", mount("OBS", "", "obs://bucket/x/"), "ModelArts.6335"},
		{"mount_path_outside_data", http.MethodPost, running + "/storage", mount("OBS", "/home/x/", "obs://bucket/x/"), "ModelArts.6336"},
		{"mount_uri_missing", http.MethodPost, running + "/storage", mount("OBS", "/data/x/", ""), "ModelArts.6335"},
		{"mount_uri_not_obs", http.MethodPost, running + "/storage", mount("OBS", "/data/x/", "s3://bucket/x/"), "ModelArts.6336"},
		{"mount_id_malformed", http.MethodGet, running + "/storage/a.b", "", "ModelArts.6309"},
		{"unmount_id_malformed", http.MethodDelete, running + "/storage/a.b", "", "ModelArts.6309"},
		// CreateImage
		{"save_image_name_missing", http.MethodPost, running + "/create-image", `{"namespace":"ns"}`, "ModelArts.6335"},
		{"save_image_name_character", http.MethodPost, running + "/create-image", `{"name":"My image","namespace":"ns"}`, "ModelArts.6334"},
		{"save_image_namespace_missing", http.MethodPost, running + "/create-image", `{"name":"n"}`, "ModelArts.6335"},
		{"save_image_namespace_malformed", http.MethodPost, running + "/create-image", `{"name":"n","namespace":"N S"}`, "ModelArts.6336"},
		{"save_image_tag_malformed", http.MethodPost, running + "/create-image", `{"name":"n","namespace":"ns","tag":"a b"}`, "ModelArts.6336"},
		{"save_image_description_long", http.MethodPost, running + "/create-image", `{"name":"n","namespace":"ns","description":"` + long(513) + `"}`, "ModelArts.6336"},
		{"save_image_workspace_malformed", http.MethodPost, running + "/create-image", `{"name":"n","namespace":"ns","workspace_id":"nope"}`, "ModelArts.0102"},
		// ListImages, ListImageGroups
		{"images_name_malformed", http.MethodGet, images + "?name=A%20b", "", "ModelArts.6336"},
		{"images_service_type_unknown", http.MethodGet, images + "?service_type=X", "", "ModelArts.6336"},
		{"images_type_unknown", http.MethodGet, images + "?type=X", "", "ModelArts.6336"},
		{"images_sort_dir_unknown", http.MethodGet, images + "?sort_dir=X", "", "ModelArts.6336"},
		{"images_sort_key_malformed", http.MethodGet, images + "?sort_key=a%20b", "", "ModelArts.6303"},
		{"images_offset_negative", http.MethodGet, images + "?offset=-1", "", "ModelArts.6336"},
		{"image_groups_name_malformed", http.MethodGet, images + "/group?name=A%20b", "", "ModelArts.6336"},
		{"image_groups_type_unknown", http.MethodGet, images + "/group?type=X", "", "ModelArts.6336"},
		// RegisterImage, and an image's ID in the path
		{"register_swr_path_missing", http.MethodPost, images, `{}`, "ModelArts.6335"},
		{"register_swr_path_malformed", http.MethodPost, images, `{"swr_path":"nope"}`, "ModelArts.6336"},
		{"register_arch_unknown", http.MethodPost, images, `{` + swr + `,"arch":"MIPS"}`, "ModelArts.6336"},
		{"register_origin_unknown", http.MethodPost, images, `{` + swr + `,"origin":"X"}`, "ModelArts.6336"},
		{"register_service_type_unknown", http.MethodPost, images, `{` + swr + `,"service_type":"X"}`, "ModelArts.6336"},
		{"register_visibility_unknown", http.MethodPost, images, `{` + swr + `,"visibility":"X"}`, "ModelArts.6336"},
		{"register_resource_category_unknown", http.MethodPost, images, `{` + swr + `,"resource_category":["TPU"]}`, "ModelArts.6336"},
		{"register_services_unknown", http.MethodPost, images, `{` + swr + `,"services":["FTP"]}`, "ModelArts.6336"},
		{"register_description_long", http.MethodPost, images, `{` + swr + `,"description":"` + long(513) + `"}`, "ModelArts.6336"},
		{"register_workspace_malformed", http.MethodPost, images, `{` + swr + `,"workspace_id":"nope"}`, "ModelArts.0102"},
		{"image_id_malformed", http.MethodGet, images + "/a.b", "", "ModelArts.6797"},
		{"delete_image_id_malformed", http.MethodDelete, images + "/a.b", "", "ModelArts.6797"},
		{"delete_image_force_not_a_boolean", http.MethodDelete, images + "/" + emulator.SampleImageID + "?force=maybe", "", "ModelArts.6332"},
	}
	for _, tt := range agree {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for _, target := range []struct{ name, base string }{{"ModelArts (the emulator)", direct}, {"the mirror", f.httpURL}} {
				code, body := mirrorCall(t, tt.method, target.base+tt.path, tt.body)
				if code != http.StatusBadRequest || body["error_code"] != tt.wantCode {
					t.Errorf("%s: %d %v; want 400 %s", target.name, code, body, tt.wantCode)
				}
			}
		})
	}

	// What cannot agree: each side's answer (the vendor's status 200 for a
	// value it takes), and why.
	differ := []struct {
		name, method, path, body string
		vendorStatus             int
		vendorCode, mirrorCode   string
	}{
		// The vendor answers two codes where the facade has one refusal:
		// the mirror gives the one of the commonest cause.
		{"create_name_too_long", http.MethodPost, nbs, create("name", `"`+long(129)+`"`), 400, "ModelArts.6336", "ModelArts.6334"},
		{"create_description_too_long", http.MethodPost, nbs, create("description", `"`+long(513)+`"`), 400, "ModelArts.6336", "ModelArts.6334"},
		{"list_name_too_long", http.MethodGet, nbs + "?name=" + long(129), "", 400, "ModelArts.6336", "ModelArts.6334"},
		{"save_image_name_too_long", http.MethodPost, running + "/create-image", `{"name":"` + long(513) + `","namespace":"ns"}`, 400, "ModelArts.6336", "ModelArts.6334"},
		{"create_volume_efs_capacity_zero", http.MethodPost, nbs, create("volume", `{"category":"efs","ownership":"managed","capacity":0}`), 400, "ModelArts.6336", "ModelArts.6331"},
		{"update_storage_new_size_too_large", http.MethodPut, evs, `{"storage_new_size":5000}`, 400, "ModelArts.6331", "ModelArts.6336"},
		{"mount_uri_bucket_root", http.MethodPost, running + "/storage", mount("OBS", "/data/x/", "obs://bucket/"), 400, "ModelArts.6358", "ModelArts.6336"},
		// ListNotebooks refuses every owner (another user's notebooks are
		// ListAllNotebooks'), malformed or not: one refusal, the facade's
		// code; the vendor checks the form.
		{"list_owner_malformed", http.MethodGet, nbs + "?owner=someone", "", 400, "ModelArts.6336", "Facade.INVALID_ARGUMENT"},
		// The facade's own bounds on a value the vendor checks: the
		// field's code.
		{"list_limit_above_1000", http.MethodGet, nbs + "?limit=5000", "", 200, "", "ModelArts.6336"},
		{"flavors_sort_dir_without_sort_key", http.MethodGet, nbs + "/flavors?sort_dir=UP", "", 200, "", "ModelArts.6336"},
		{"renew_query_and_body_duration", http.MethodPatch, running + "/lease?duration=3600000", `{"duration":3600000}`, 200, "", "ModelArts.6349"},
		{"create_description_control_character", http.MethodPost, nbs, create("description", `"a\u0007b"`), 200, "", "ModelArts.6334"},
		{"register_arch_empty", http.MethodPost, images, `{` + swr + `,"arch":""}`, 200, "", "ModelArts.6336"},
		{"create_endpoint_key_pair_malformed", http.MethodPost, nbs, create("endpoints", `[{"service":"SSH","key_pair_names":["a b"]}]`), 200, "", "ModelArts.6336"},
		{"create_duration_and_lease", http.MethodPost, nbs, create("duration", `3600000`, "lease", `{"duration":3600000}`), 200, "", "ModelArts.6349"},
		// (So is a save with an empty tag, 6336, not sent here: the save
		// the vendor would start keeps the notebook busy for the cases
		// after it.)
		// (Each registration the vendor takes names an image of its own.)
		{"register_services_repeated", http.MethodPost, images, `{"swr_path":"swr.example.com/org/name:repeated","services":["SSH","SSH"]}`, 200, "", "ModelArts.6336"},
		{"register_workspace_empty", http.MethodPost, images, `{"swr_path":"swr.example.com/org/name:workspace","workspace_id":""}`, 200, "", "ModelArts.0102"},
		// The facade's own rules, on values ModelArts takes unchecked:
		// the facade's code.
		{"list_owner_on_own_list", http.MethodGet, nbs + "?owner=0123456789abcdef0123456789abcdef", "", 200, "", "Facade.INVALID_ARGUMENT"},
		{"list_pool_malformed", http.MethodGet, nbs + "?pool_id=AB", "", 200, "", "Facade.INVALID_ARGUMENT"},
		{"list_workspace_malformed", http.MethodGet, nbs + "?workspaceId=nope", "", 200, "", "Facade.INVALID_ARGUMENT"},
		{"images_namespace_malformed", http.MethodGet, images + "?namespace=A%20b", "", 200, "", "Facade.INVALID_ARGUMENT"},
		{"images_workspace_malformed", http.MethodGet, images + "?workspace_id=nope", "", 200, "", "Facade.INVALID_ARGUMENT"},
		{"image_groups_namespace_malformed", http.MethodGet, images + "/group?namespace=A%20b", "", 200, "", "Facade.INVALID_ARGUMENT"},
		{"list_page_size_with_offset", http.MethodGet, nbs + "?page_size=5&offset=5", "", 200, "", "Facade.INVALID_ARGUMENT"},
		{"create_volume_uri_when_managed", http.MethodPost, nbs, create("volume", `{"category":"evs","ownership":"managed","uri":"192.168.0.1:/x/"}`), 200, "", "Facade.INVALID_ARGUMENT"},
	}
	for _, tt := range differ {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, body := mirrorCall(t, tt.method, direct+tt.path, tt.body)
			if code != tt.vendorStatus || tt.vendorCode != "" && body["error_code"] != tt.vendorCode {
				t.Errorf("ModelArts (the emulator): %d %v; want %d %s", code, body, tt.vendorStatus, tt.vendorCode)
			}
			code, body = mirrorCall(t, tt.method, f.httpURL+tt.path, tt.body)
			if code != http.StatusBadRequest || body["error_code"] != tt.mirrorCode {
				t.Errorf("the mirror: %d %v; want 400 %s", code, body, tt.mirrorCode)
			}
		})
	}
}
