package server_test

import (
	"bytes"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/devenv-facade/devenv-facade/internal/cloudauth"
	"github.com/devenv-facade/devenv-facade/internal/emulator"
	"github.com/devenv-facade/devenv-facade/internal/metrics"
	"github.com/devenv-facade/devenv-facade/internal/server"
)

// TestReadFreshFor_mirror: through the REST mirror, with --read-fresh-for,
// a second identical GET is answered from the first's answer (the same
// bytes, no request to ModelArts, counted as saved), and a GET with
// Cache-Control: no-cache sends a request of its own.
func TestReadFreshFor_mirror(t *testing.T) {
	t.Parallel()
	f := startFacade(t, emulator.MustNew(emulator.Options{}), func(o *server.Options) {
		o.Credentials = cloudauth.Token("t")
		o.Metrics = metrics.New()
		o.ReadFreshFor = time.Hour
	})
	url := f.httpURL + "/v1/" + project + "/notebooks/" + emulator.SampleNotebookID
	get := func(cacheControl string) []byte {
		t.Helper()
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
		if err != nil {
			t.Fatal(err)
		}
		if cacheControl != "" {
			req.Header.Set("Cache-Control", cacheControl)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("GET: %d %s, %v", resp.StatusCode, body, err)
		}
		return body
	}
	sent := func() float64 {
		return value(scrape(t, f.adminAddr), "devenv_facade_upstream_attempts_total", map[string]string{"operation": "GetNotebook"})
	}
	first := get("")
	if again := get(""); !bytes.Equal(again, first) {
		t.Errorf("the recent answer differs:\n%s\n%s", again, first)
	}
	if n := sent(); n != 1 {
		t.Errorf("%v requests to ModelArts after two identical GETs; want 1", n)
	}
	if n := value(scrape(t, f.adminAddr), "devenv_facade_upstream_requests_saved_total", map[string]string{"operation": "GetNotebook", "how": "recent"}); n != 1 {
		t.Errorf("saved{how=recent} = %v; want 1", n)
	}
	get("no-cache")
	if n := sent(); n != 2 {
		t.Errorf("%v requests to ModelArts after a GET with Cache-Control: no-cache; want 2", n)
	}
}
