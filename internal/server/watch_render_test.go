package server_test

import (
	"bufio"
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/devenv-facade/devenv-facade/internal/clock/clocktest"
	"github.com/devenv-facade/devenv-facade/internal/emulator"
)

// TestWatch_restEventsAsGET: over the REST mirror's Server-Sent Events, a
// watch's notebook is the JSON a GET of the notebook answers (ModelArts'
// own, its secrets removed), not the facade's rendering of what the API
// declares; so is an instance of the old API (one that ModelArts returns
// with credentials, which neither passes on).
func TestWatch_restEventsAsGET(t *testing.T) {
	t.Parallel()
	f, _ := startLifecycle(t, clocktest.New(clocktest.Start), nil, emulator.Options{})
	for _, tc := range []struct{ watch, get string }{
		{"/v1/" + project + "/notebooks:watch", "/v1/" + project + "/notebooks/" + emulator.SampleNotebookID},
		{"/v1/" + project + "/demanager/instances:watch", "/v1/" + project + "/demanager/instances/" + emulator.SampleCredentialInstanceID},
	} {
		t.Run(tc.watch, func(t *testing.T) {
			_, want := mirrorCall(t, http.MethodGet, f.httpURL+tc.get, "")
			id := want["id"]
			req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, f.httpURL+tc.watch, nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Accept", "text/event-stream")
			req.Header.Set("X-Auth-Token", "caller-token")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			lines := bufio.NewScanner(resp.Body)
			lines.Buffer(nil, 1<<20)
			event := ""
			for lines.Scan() {
				line := lines.Text()
				switch {
				case strings.HasPrefix(line, "event: "):
					event = strings.TrimPrefix(line, "event: ")
				case strings.HasPrefix(line, "data: ") && event == "ADDED":
					var got map[string]any
					d := json.NewDecoder(strings.NewReader(strings.TrimPrefix(line, "data: ")))
					d.UseNumber()
					if err := d.Decode(&got); err != nil {
						t.Fatal(err)
					}
					if got["id"] != id {
						continue
					}
					if !reflect.DeepEqual(got, want) {
						t.Fatalf("the watch's object:\n%v\nthe GET's:\n%v", got, want)
					}
					return
				case event == "SNAPSHOT_COMPLETE":
					t.Fatalf("the snapshot had no %v", id)
				}
			}
			t.Fatalf("the stream ended: %v", lines.Err())
		})
	}
}
