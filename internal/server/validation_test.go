package server_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/devenv-facade/devenv-facade/internal/cloudauth"
	"github.com/devenv-facade/devenv-facade/internal/emulator"
	"github.com/devenv-facade/devenv-facade/internal/server"
)

// TestMirror_rejectsBadInputBeforeUpstream: over the REST mirror, with the
// vendor's request bodies and query parameters, a bad field is answered
// HTTP 400 with the ModelArts-shaped body {"error_code":
// "Facade.INVALID_ARGUMENT" (or ModelArts' own code for a value it checks
// itself), "error_message": ...} naming it, and nothing
// reaches ModelArts; the same requests with the field fixed do reach it.
// (service/validate_instances_test.go has every rule over gRPC.)
func TestMirror_rejectsBadInputBeforeUpstream(t *testing.T) {
	t.Parallel()
	emu := emulator.MustNew(emulator.Options{})
	f := startFacade(t, emu, func(o *server.Options) { o.Credentials = cloudauth.Token("t") })
	base := f.httpURL + "/v1/" + project + "/demanager/instances"

	// create is the vendor's create sample, renamed (the emulator holds a
	// notebook-d115) and changed by set.
	create := func(set func(body map[string]any)) string {
		t.Helper()
		var body map[string]any
		if err := json.Unmarshal([]byte(referenceBody(t, "create-request.json")), &body); err != nil {
			t.Fatal(err)
		}
		body["name"] = "notebook-validation"
		if set != nil {
			set(body)
		}
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	spec := func(body map[string]any) map[string]any { return body["spec"].(map[string]any) }

	bad := []struct {
		name, method, url, body string
		fields                  []string // in the order validation names them
		code                    string   // "": Facade.INVALID_ARGUMENT
	}{
		{"create_bad_name", http.MethodPost, base, create(func(b map[string]any) { b["name"] = "notebook d115!" }),
			[]string{"name"}, ""},
		{"create_without_name", http.MethodPost, base, create(func(b map[string]any) { delete(b, "name") }),
			[]string{"name"}, ""},
		{"create_bucket_root", http.MethodPost, base,
			create(func(b map[string]any) {
				spec(b)["storage"].(map[string]any)["location"] = map[string]any{"path": "/aaaaaaaaa/"}
			}),
			[]string{"spec.storage.location.path"}, ""},
		{"create_two_bad", http.MethodPost, base, create(func(b map[string]any) {
			b["name"] = "a/b"
			spec(b)["auto_stop"] = map[string]any{"enable": true, "duration": 86401}
		}), []string{"name", "spec.auto_stop.duration"}, ""},
		{"list_sortby_bad", http.MethodGet, base + "?de_type=Notebook&sortby=bad", "", []string{"sortby"}, "ModelArts.6303"},
		{"list_de_type_lowercase", http.MethodGet, base + "?de_type=notebook", "", []string{"de_type"}, "ModelArts.6336"},
		{"list_limit_1001", http.MethodGet, base + "?de_type=Notebook&limit=1001", "", []string{"limit"}, ""},
		{"list_page_size_with_offset", http.MethodGet, base + "?de_type=Notebook&offset=5&page_size=10", "", []string{"page_token"}, ""},
		{"action_restart", http.MethodPost, base + "/" + stopped + "/action", `{"action":"restart"}`, []string{"action"}, "ModelArts.6336"},
		{"action_missing", http.MethodPost, base + "/" + stopped + "/action", `{}`, []string{"action"}, "ModelArts.6335"},
		{"update_duration_3599", http.MethodPut, base + "/" + stopped, `{"spec":{"auto_stop":{"enable":true,"duration":3599}}}`,
			[]string{"spec.auto_stop.duration"}, ""},
		{"update_description_slash", http.MethodPut, base + "/" + stopped, `{"description":"a/b"}`, []string{"description"}, ""},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			before := emu.RequestCount()
			code, body := mirrorCall(t, tc.method, tc.url, tc.body)
			if n := emu.RequestCount() - before; n != 0 {
				t.Errorf("ModelArts received %d requests; bad input must never reach it", n)
			}
			if code != http.StatusBadRequest {
				t.Errorf("HTTP %d; want 400", code)
			}
			keys := make([]string, 0, len(body))
			for k := range body {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			if !slices.Equal(keys, []string{"error_code", "error_message"}) {
				t.Errorf("body keys %v; want error_code and error_message: %v", keys, body)
			}
			want := tc.code
			if want == "" {
				want = "Facade.INVALID_ARGUMENT"
			}
			if body["error_code"] != want {
				t.Errorf("error_code = %v; want %s", body["error_code"], want)
			}
			msg, _ := body["error_message"].(string)
			if !strings.Contains(msg, tc.fields[0]) {
				t.Errorf("error_message %q does not name %s", msg, tc.fields[0])
			}
			if more := len(tc.fields) - 1; more > 0 && !strings.Contains(msg, "(and 1 more invalid field(s))") {
				t.Errorf("error_message %q does not say there are %d more bad fields", msg, more)
			}
		})
	}
	if n := emu.RequestCount(); n != 0 {
		t.Fatalf("ModelArts received %d requests after the bad ones; want 0", n)
	}

	// The same routes with good input reach ModelArts.
	good := []struct{ name, method, url, body string }{
		{"create", http.MethodPost, base, create(nil)},
		{"list", http.MethodGet, base + "?de_type=Notebook&sortby=creation_timestamp&limit=1000", ""},
		{"list_pages", http.MethodGet, base + "?de_type=Notebook&page_size=10", ""},
		{"action_start", http.MethodPost, base + "/" + stopped + "/action", `{"action":"start"}`},
		{"update", http.MethodPut, base + "/" + stopped, `{"description":"This is for test.","spec":{"auto_stop":{"enable":true,"duration":3600}}}`},
	}
	for _, tc := range good {
		before := emu.RequestCount()
		if code, body := mirrorCall(t, tc.method, tc.url, tc.body); code != http.StatusOK {
			t.Errorf("%s: HTTP %d %v; want 200", tc.name, code, body)
		}
		if emu.RequestCount() == before {
			t.Errorf("%s did not reach ModelArts", tc.name)
		}
	}
}
