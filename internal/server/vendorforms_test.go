package server_test

import (
	"net/http"
	"testing"
)

// TestMirror_answersLikeModelArts sends requests in the forms the vendor's
// clients use, good and bad, to the mirror and to the emulator (which
// answers as ModelArts does) and expects the same HTTP status and, for
// errors, the same error_code: show_self as Python clients send it, and
// the vendor's own codes for values ModelArts checks itself.
func TestMirror_answersLikeModelArts(t *testing.T) {
	t.Parallel()
	f, direct := startLifecycle(t, newFakeClock(), nil)
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
