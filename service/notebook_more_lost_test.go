package service_test

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"

	notebookv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/notebook/v1"
	"github.com/devenv-facade/devenv-facade/internal/callctx"
	"github.com/devenv-facade/devenv-facade/internal/cloudauth"
	"github.com/devenv-facade/devenv-facade/internal/emulator"
	"github.com/devenv-facade/devenv-facade/internal/modelarts"
	"github.com/devenv-facade/devenv-facade/internal/statustest"
)

// TestNotebookExtras_lostAnswers: the calls that are never resent
// (attach, detach, image save and registration, lease renewal) resolve a
// lost answer by reading what it would have changed: found, the call
// succeeds with what was found and the header x-outcome: inferred; not
// found, it says what to check. Nothing is sent twice.
func TestNotebookExtras_lostAnswers(t *testing.T) {
	t.Parallel()
	storage, createImage, images, lease := is(http.MethodPost, "/storage"), is(http.MethodPost, "/create-image"), is(http.MethodPost, "/images"), is(http.MethodPatch, "/lease")
	type call func(ctx context.Context, c notebookv1.NotebookServiceClient, o grpc.CallOption) (string, error)
	attach := func(ctx context.Context, c notebookv1.NotebookServiceClient, o grpc.CallOption) (string, error) {
		resp, err := c.AttachStorageMount(ctx, &notebookv1.AttachStorageMountRequest{ProjectId: project, NotebookId: nbRunning,
			Category: "OBS", MountPath: "/data/lost/", Uri: "obs://bucket-a/lost/"}, o)
		return resp.GetStorageMount().GetMountPath(), err
	}
	save := func(ctx context.Context, c notebookv1.NotebookServiceClient, o grpc.CallOption) (string, error) {
		resp, err := c.CreateImage(ctx, &notebookv1.CreateImageRequest{ProjectId: project, NotebookId: nbRunning,
			Name: "lost", Namespace: "org", Tag: proto.String("t1")}, o)
		return resp.GetImage().GetTag(), err
	}
	register := func(ctx context.Context, c notebookv1.NotebookServiceClient, o grpc.CallOption) (string, error) {
		resp, err := c.RegisterImage(ctx, &notebookv1.RegisterImageRequest{ProjectId: project, SwrPath: "swr.example.com/org/lost:r1"}, o)
		return resp.GetImage().GetTag(), err
	}
	renew := func(ctx context.Context, c notebookv1.NotebookServiceClient, o grpc.CallOption) (string, error) {
		_, err := c.RenewLease(ctx, &notebookv1.RenewLeaseRequest{ProjectId: project, NotebookId: nbRunning, Duration: proto.Int64(3_600_000)}, o)
		return "", err
	}
	tests := []struct {
		name       string
		rules      rules
		call       call
		method     string
		want       string
		wantCode   codes.Code
		wantReason string
	}{
		{"attach_made", rules{lose: storage}, attach, http.MethodPost, "/data/lost/", codes.OK, ""},
		{"attach_not_made", rules{reset: storage}, attach, http.MethodPost, "", codes.Unavailable, "OUTCOME_UNKNOWN"},
		{"save_made", rules{lose: createImage}, save, http.MethodPost, "t1", codes.OK, ""},
		{"save_not_made", rules{reset: createImage}, save, http.MethodPost, "", codes.Unavailable, "UPSTREAM_UNAVAILABLE"},
		{"register_made", rules{lose: images}, register, http.MethodPost, "r1", codes.OK, ""},
		{"register_lookup_fails", rules{lose: images, fail: is(http.MethodGet, "/images")}, register, http.MethodPost, "", codes.Unavailable, "OUTCOME_UNKNOWN"},
		{"renew", rules{lose: lease}, renew, http.MethodPatch, "", codes.Unavailable, "OUTCOME_UNKNOWN"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			up := newUpstream(emulator.Options{})
			up.set(tt.rules)
			h := start(t, up, modelarts.Options{Credentials: cloudauth.Token("t"), Retry: noRetries})
			var hdr metadata.MD
			got, err := tt.call(t.Context(), h.notebooks, grpc.Header(&hdr))
			if tt.wantCode == codes.OK {
				if err != nil || got != tt.want {
					t.Fatalf("got %q, %v; want %q", got, err, tt.want)
				}
				if o := hdr.Get(callctx.MetadataKeyOutcome); !cmp.Equal(o, []string{"inferred"}) {
					t.Errorf("x-outcome = %q; want inferred", o)
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
	h := start(t, up, modelarts.Options{Credentials: cloudauth.Token("t"), Retry: noRetries})
	var hdr metadata.MD
	got, err := h.notebooks.DetachStorageMount(t.Context(), &notebookv1.DetachStorageMountRequest{ProjectId: project, NotebookId: nbSSH, StorageId: emulator.SampleMountID}, grpc.Header(&hdr))
	if err != nil || got.GetStorageMount().GetStatus() != "UNMOUNTING" {
		t.Fatalf("got %v, %v; want the mount UNMOUNTING", got, err)
	}
	if o := hdr.Get(callctx.MetadataKeyOutcome); !cmp.Equal(o, []string{"inferred"}) {
		t.Errorf("x-outcome = %q; want inferred", o)
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
	var first atomic.Pointer[http.Request] // the request whose answer is lost: the first delete
	up.set(rules{lose: func(r *http.Request) bool {
		return r.Method == http.MethodDelete && strings.HasSuffix(r.URL.Path, "/images/"+id) && (first.CompareAndSwap(nil, r) || first.Load() == r)
	}})
	h := start(t, up, modelarts.Options{Credentials: cloudauth.Token("t")})
	var hdr metadata.MD
	got, err := h.notebooks.DeleteImage(t.Context(), &notebookv1.DeleteImageRequest{ProjectId: project, ImageId: id}, grpc.Header(&hdr))
	if err != nil || got.GetImage().GetId() != id || got.GetImage().GetStatus() != "DELETED" {
		t.Fatalf("got %v, %v; want the image DELETED", got, err)
	}
	if o := hdr.Get(callctx.MetadataKeyOutcome); !cmp.Equal(o, []string{"inferred"}) {
		t.Errorf("x-outcome = %q; want inferred", o)
	}
	if n := len(up.requests(http.MethodDelete)); n != 2 {
		t.Fatalf("%d delete requests; want the lost one and its retry", n)
	}
}
