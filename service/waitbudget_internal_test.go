package service

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	notebookv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/notebook/v1"
	"github.com/devenv-facade/devenv-facade/internal/callctx"
	"github.com/devenv-facade/devenv-facade/internal/cloudauth"
	"github.com/devenv-facade/devenv-facade/internal/emulator"
	"github.com/devenv-facade/devenv-facade/internal/modelarts"
	"github.com/devenv-facade/devenv-facade/internal/options"
)

// deadlineRecorder is a transport that records the deadline of each GET
// it carries, by path.
type deadlineRecorder struct {
	next http.RoundTripper

	mu   sync.Mutex
	gets []recordedGet
}

type recordedGet struct {
	path     string
	deadline time.Time
	ok       bool
}

func (d *deadlineRecorder) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method == http.MethodGet {
		dl, ok := r.Context().Deadline()
		d.mu.Lock()
		d.gets = append(d.gets, recordedGet{r.URL.Path, dl, ok})
		d.mu.Unlock()
	}
	return d.next.RoundTrip(r)
}

// first returns the first recorded GET whose path ends with suffix.
func (d *deadlineRecorder) first(t *testing.T, suffix string) recordedGet {
	t.Helper()
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, g := range d.gets {
		if strings.HasSuffix(g.path, suffix) {
			return g
		}
	}
	t.Fatalf("no GET of .../%s; got %v", suffix, d.gets)
	return recordedGet{}
}

// TestCreateImage_waitsWithinOneMaxWait: an image save with wait waits
// for the image, then for its notebook to leave SNAPSHOTTING; the two
// waits share one --max-wait (the second's reads have the first's
// deadline), rather than each taking a whole one.
func TestCreateImage_waitsWithinOneMaxWait(t *testing.T) {
	t.Parallel()
	emu := emulator.MustNew(emulator.Options{Lifecycle: emulator.Lifecycle{Snapshot: options.None}})
	up := httptest.NewServer(emu)
	t.Cleanup(up.Close)
	rec := &deadlineRecorder{next: up.Client().Transport}
	mc, err := modelarts.NewClient(&http.Client{Transport: rec}, up.URL, modelarts.Options{Credentials: cloudauth.Token("t")})
	if err != nil {
		t.Fatal(err)
	}
	// A maximum wait shorter than an attempt's bound (10s), so the waits'
	// deadlines are what the reads carry.
	s, err := New(mc, Options{MaxWait: 5 * time.Second, PollInterval: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx := callctx.NewContext(t.Context(), callctx.New("rid"))
	_, err = s.CreateImage(ctx, &notebookv1.CreateImageRequest{ProjectId: emulator.SampleProjectID, NotebookId: emulator.SampleNotebookID,
		Name: "budget", Namespace: "ns1", Tag: proto.String("v1"), Wait: true})
	if err != nil {
		t.Fatalf("image save with wait: %v", err)
	}
	img, notebook := firstImageRead(t, rec), rec.first(t, "/notebooks/"+emulator.SampleNotebookID)
	if !img.ok || !notebook.ok {
		t.Fatalf("reads without a deadline: image %v, notebook %v", img, notebook)
	}
	if notebook.deadline.After(img.deadline) {
		t.Errorf("the notebook's wait ends at %v, %v after the image's: each wait took a whole --max-wait",
			notebook.deadline, notebook.deadline.Sub(img.deadline))
	}
}

// firstImageRead returns the first GET of one image.
func firstImageRead(t *testing.T, rec *deadlineRecorder) recordedGet {
	t.Helper()
	rec.mu.Lock()
	defer rec.mu.Unlock()
	for _, g := range rec.gets {
		if i := strings.Index(g.path, "/images/"); i >= 0 && !strings.Contains(g.path[i+len("/images/"):], "/") {
			return g
		}
	}
	t.Fatalf("no GET of an image; got %v", rec.gets)
	return recordedGet{}
}
