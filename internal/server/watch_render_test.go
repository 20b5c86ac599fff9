package server_test

import (
	"bufio"
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"

	notebookv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/notebook/v1"
	"github.com/devenv-facade/devenv-facade/internal/clock/clocktest"
	"github.com/devenv-facade/devenv-facade/internal/emulator"
	"github.com/devenv-facade/devenv-facade/internal/metrics"
	"github.com/devenv-facade/devenv-facade/internal/server"
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

// TestWatch_pollersMetric: devenv_facade_watch_pollers counts the pollers,
// not the watches: two watches of a project's notebooks on the same
// credentials are one poller.
func TestWatch_pollersMetric(t *testing.T) {
	t.Parallel()
	f, _ := startLifecycle(t, clocktest.New(clocktest.Start), func(o *server.Options) { o.Metrics = metrics.New() }, emulator.Options{})
	for range 2 {
		w, err := f.notebooks.WatchNotebooks(t.Context(), &notebookv1.WatchNotebooksRequest{ProjectId: project})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Recv(); err != nil {
			t.Fatal(err)
		}
	}
	fams := scrape(t, f.adminAddr)
	if n, i := value(fams, "devenv_facade_watch_pollers", map[string]string{"api": "notebooks"}),
		value(fams, "devenv_facade_watch_pollers", map[string]string{"api": "instances"}); n != 1 || i != 0 {
		t.Errorf("watch_pollers notebooks %v, instances %v; want 1 and 0", n, i)
	}
}
