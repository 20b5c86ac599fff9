package service_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"

	notebookv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/notebook/v1"
	"github.com/devenv-facade/devenv-facade/internal/cloudauth"
	"github.com/devenv-facade/devenv-facade/internal/emulator"
	"github.com/devenv-facade/devenv-facade/internal/modelarts"
	"github.com/devenv-facade/devenv-facade/internal/statustest"
	"github.com/devenv-facade/devenv-facade/service"
)

// lostService is a service in front of up, without retries.
func lostService(t *testing.T, up *upstream) *service.Service {
	t.Helper()
	srv := httptest.NewServer(up)
	t.Cleanup(srv.Close)
	mc, err := modelarts.NewClient(srv.Client(), srv.URL, modelarts.Options{Credentials: cloudauth.Token("t"), Retry: noRetries})
	if err != nil {
		t.Fatal(err)
	}
	return newService(t, mc, service.Options{})
}

// TestNotebookExtras_lostAnswers: the calls that are never resent
// (attach, detach, image save and registration, lease renewal) resolve a
// lost answer by reading what it would have changed: found, the call
// succeeds with what was found; not found, it says what to check. Nothing
// is sent twice.
func TestNotebookExtras_lostAnswers(t *testing.T) {
	t.Parallel()
	storage, createImage, images, lease := is(http.MethodPost, "/storage"), is(http.MethodPost, "/create-image"), is(http.MethodPost, "/images"), is(http.MethodPatch, "/lease")
	attach := func(s *service.Service, path string) (string, error) {
		resp, err := s.AttachStorageMount(t.Context(), &notebookv1.AttachStorageMountRequest{ProjectId: project, NotebookId: nbRunning,
			Category: "OBS", MountPath: path, Uri: "obs://bucket-a/lost/"})
		return resp.GetStorageMount().GetMountPath(), err
	}
	save := func(s *service.Service, tag string) (string, error) {
		resp, err := s.CreateImage(t.Context(), &notebookv1.CreateImageRequest{ProjectId: project, NotebookId: nbRunning,
			Name: "lost", Namespace: "org", Tag: proto.String(tag)})
		return resp.GetImage().GetTag(), err
	}
	register := func(s *service.Service, tag string) (string, error) {
		resp, err := s.RegisterImage(t.Context(), &notebookv1.RegisterImageRequest{ProjectId: project, SwrPath: "swr.example.com/org/lost:" + tag})
		return resp.GetImage().GetTag(), err
	}
	tests := []struct {
		name       string
		rules      rules
		call       func(*service.Service) (string, error)
		method     string
		want       string
		wantCode   codes.Code
		wantReason string
	}{
		{"attach_made", rules{lose: storage}, func(s *service.Service) (string, error) { return attach(s, "/data/lost/") }, http.MethodPost, "/data/lost/", codes.OK, ""},
		{"attach_not_made", rules{reset: storage}, func(s *service.Service) (string, error) { return attach(s, "/data/lost/") }, http.MethodPost, "", codes.Unavailable, "OUTCOME_UNKNOWN"},
		{"save_made", rules{lose: createImage}, func(s *service.Service) (string, error) { return save(s, "t1") }, http.MethodPost, "t1", codes.OK, ""},
		{"save_not_made", rules{reset: createImage}, func(s *service.Service) (string, error) { return save(s, "t1") }, http.MethodPost, "", codes.Unavailable, "UPSTREAM_UNAVAILABLE"},
		{"register_made", rules{lose: images}, func(s *service.Service) (string, error) { return register(s, "r1") }, http.MethodPost, "r1", codes.OK, ""},
		{"register_lookup_fails", rules{lose: images, fail: is(http.MethodGet, "/images")}, func(s *service.Service) (string, error) { return register(s, "r1") }, http.MethodPost, "", codes.Unavailable, "OUTCOME_UNKNOWN"},
		{"renew", rules{lose: lease}, func(s *service.Service) (string, error) {
			_, err := s.RenewLease(t.Context(), &notebookv1.RenewLeaseRequest{ProjectId: project, NotebookId: nbRunning, Duration: proto.Int64(3_600_000)})
			return "", err
		}, http.MethodPatch, "", codes.Unavailable, "OUTCOME_UNKNOWN"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			up := newUpstream(emulator.Options{})
			up.set(tt.rules)
			got, err := tt.call(lostService(t, up))
			if tt.wantCode == codes.OK {
				if err != nil || got != tt.want {
					t.Fatalf("got %q, %v; want %q", got, err, tt.want)
				}
			} else {
				wantCode(t, err, tt.wantCode, "")
				if r := statustest.Error(t, err).Reason(); r != tt.wantReason {
					t.Fatalf("reason %s (%v); want %s", r, err, tt.wantReason)
				}
			}
			if n := len(up.requests(tt.method)); n != 1 {
				t.Fatalf("%d %s requests; the call is never resent", n, tt.method)
			}
			if lookups := len(up.requests(http.MethodGet)); (lookups > 0) != (tt.method == http.MethodPost) {
				t.Fatalf("%d lookups; want them for a lost attach, save or registration only", lookups)
			}
		})
	}
}

// TestDetachStorageMount_lostAnswer: a detach whose answer was lost
// succeeds when the mount is unmounting or gone.
func TestDetachStorageMount_lostAnswer(t *testing.T) {
	t.Parallel()
	up := newUpstream(emulator.Options{})
	up.set(rules{lose: is(http.MethodDelete, "/storage/"+emulator.SampleMountID)})
	got, err := lostService(t, up).DetachStorageMount(t.Context(), &notebookv1.DetachStorageMountRequest{ProjectId: project, NotebookId: nbSSH, StorageId: emulator.SampleMountID})
	if err != nil || got.GetStorageMount().GetStatus() != "UNMOUNTING" {
		t.Fatalf("got %v, %v; want the mount UNMOUNTING", got, err)
	}
	if n := len(up.requests(http.MethodDelete)); n != 1 {
		t.Fatalf("%d detach requests; a detach is never resent", n)
	}
}

// TestDeleteImage_lostAnswer: a delete is retried; when the first
// attempt's answer is lost and the retry hears that the image does not
// exist, the image was deleted by the first: success, DELETED, x-outcome
// inferred.
func TestDeleteImage_lostAnswer(t *testing.T) {
	t.Parallel()
	up := newUpstream(emulator.Options{})
	id := emulator.SampleImages()[0].ID
	var lost atomic.Bool
	up.set(rules{lose: func(r *http.Request) bool {
		return r.Method == http.MethodDelete && strings.HasSuffix(r.URL.Path, "/images/"+id) && lost.CompareAndSwap(false, true)
	}})
	srv := httptest.NewServer(up)
	t.Cleanup(srv.Close)
	mc, err := modelarts.NewClient(srv.Client(), srv.URL, modelarts.Options{Credentials: cloudauth.Token("t")})
	if err != nil {
		t.Fatal(err)
	}
	got, err := newService(t, mc, service.Options{}).DeleteImage(t.Context(), &notebookv1.DeleteImageRequest{ProjectId: project, ImageId: id})
	if err != nil || got.GetImage().GetId() != id || got.GetImage().GetStatus() != "DELETED" {
		t.Fatalf("got %v, %v; want the image DELETED", got, err)
	}
	if n := len(up.requests(http.MethodDelete)); n != 2 {
		t.Fatalf("%d delete requests; want the lost one and its retry", n)
	}
}
