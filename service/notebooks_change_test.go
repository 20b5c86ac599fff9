package service_test

import (
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	notebookv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/notebook/v1"
	"github.com/devenv-facade/devenv-facade/internal/callctx"
	"github.com/devenv-facade/devenv-facade/internal/clock/clocktest"
	"github.com/devenv-facade/devenv-facade/internal/cloudauth"
	"github.com/devenv-facade/devenv-facade/internal/emulator"
	"github.com/devenv-facade/devenv-facade/internal/modelarts"
	"github.com/devenv-facade/devenv-facade/internal/options"
	"github.com/devenv-facade/devenv-facade/internal/statustest"
	"github.com/devenv-facade/devenv-facade/service"
)

// Sample notebooks of the emulator the tests act on.
const (
	notebookStopped  = "936bea3e-d3df-435e-8b58-d817283284ae" // notebook-usecase
	notebookCreating = "f9937afa-631e-4a8f-a8f7-3b6c800585f0" // stays CREATING
	notebookFailed   = "8e9f0a1b-2c3d-4e5f-8a7b-6c5d4e3f2a1b" // CREATE_FAILED
)

func createNotebookRequest(name string) *notebookv1.CreateNotebookRequest {
	return &notebookv1.CreateNotebookRequest{ProjectId: project, Name: name, Flavor: "modelarts.vm.cpu.2u", ImageId: emulator.SampleImageID,
		Volume: &notebookv1.VolumeRequest{Category: "evs", Ownership: "managed", Capacity: proto.Int32(50)}}
}

// TestCreateNotebook_lostAnswer: a create is sent once; when its answer is
// lost, the notebooks of its name, flavor and image created since shortly
// before it are its candidates: exactly one is the answer (x-outcome:
// inferred); none or several, or a failed lookup, leave the outcome
// unknown (UNAVAILABLE, OUTCOME_UNKNOWN), the message naming the
// candidates.
func TestCreateNotebook_lostAnswer(t *testing.T) {
	t.Parallel()
	create, list := is(http.MethodPost, "/notebooks"), is(http.MethodGet, "/notebooks")
	tests := []struct {
		name        string
		rules       rules
		twin        string // a notebook of the same name made just before, with this flavor
		wantCode    codes.Code
		wantInMsg   string
		wantCreated int
	}{
		{"created_answer_lost", rules{lose: create}, "", codes.OK, "", 1},
		{"created_beside_another_flavor", rules{lose: create}, "modelarts.vm.cpu.8u", codes.OK, "", 1},
		{"created_beside_a_twin", rules{lose: create}, "modelarts.vm.cpu.2u", codes.Unavailable, "2 notebooks of that name", 1},
		{"not_created_connection_reset", rules{reset: create}, "", codes.Unavailable, "most likely was not made", 0},
		{"created_lookup_fails", rules{lose: create, fail: list}, "", codes.Unavailable, "listing the notebooks", 1},
		{"created_answer_unusable", rules{garble: create}, "", codes.OK, "", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			up := newUpstream(emulator.Options{NoSamples: true})
			name := "lost-" + strings.ReplaceAll(tt.name, "_", "-")
			var twinID string
			if tt.twin != "" {
				twinID = "0c0c0c0c-0000-4000-8000-000000000001"
				up.emu.AddNotebook(project, emulator.Notebook{ID: twinID, Name: name, Flavor: tt.twin, ImageID: emulator.SampleImageID,
					Status: emulator.NotebookRunning, CreatedAt: time.Now()})
			}
			up.set(tt.rules)
			h := start(t, up, modelarts.Options{Credentials: cloudauth.Token("t"), Retry: noRetries})
			var hdr metadata.MD
			resp, err := h.notebooks.CreateNotebook(t.Context(), createNotebookRequest(name), grpc.Header(&hdr))
			if status.Code(err) != tt.wantCode {
				t.Fatalf("create: %v; want %v", err, tt.wantCode)
			}
			if err != nil {
				e := statustest.Error(t, err)
				if e.Reason() != "OUTCOME_UNKNOWN" || !strings.Contains(e.Message(), tt.wantInMsg) || !strings.Contains(e.Message(), "list the notebooks before creating it again") {
					t.Errorf("error %s %q; want OUTCOME_UNKNOWN saying %q and to list before creating again", e.Reason(), e.Message(), tt.wantInMsg)
				}
				if tt.twin != "" && !strings.Contains(e.Message(), twinID) {
					t.Errorf("message %q does not name the candidate %s", e.Message(), twinID)
				}
			} else {
				nb := resp.GetNotebook()
				if nb.GetName() != name || nb.GetId() == "" || nb.GetId() == twinID {
					t.Errorf("answered %v; want the notebook created", nb)
				}
				if got := hdr.Get(callctx.MetadataKeyOutcome); !cmp.Equal(got, []string{"inferred"}) {
					t.Errorf("x-outcome = %q; want inferred", got)
				}
			}
			if n := len(up.requests(http.MethodPost)); n != 1 {
				t.Errorf("%d create requests; a create is never resent", n)
			}
			count := 0
			for _, nb := range up.emu.Notebooks(project) {
				if nb.Name == name && nb.ID != twinID {
					count++
				}
			}
			if count != tt.wantCreated {
				t.Errorf("%d notebooks named %s made; want %d", count, name, tt.wantCreated)
			}
		})
	}
}

// TestDeleteNotebook_lostAnswer: a delete whose first attempt got no
// answer is retried; the retry hears 6357 while the deletion that attempt
// started runs, and the notebook, read, is DELETING: the call succeeds
// with x-outcome: inferred. A 6357 without a lost attempt (the notebook is
// being created) is the caller's error, ABORTED.
func TestDeleteNotebook_lostAnswer(t *testing.T) {
	t.Parallel()
	clock := clocktest.New(clocktest.Start)
	clock.AdvanceOnWait(true)
	up := newUpstream(emulator.Options{Clock: clock})
	var first atomic.Pointer[http.Request] // the first delete, whose answer is lost
	up.set(rules{lose: func(r *http.Request) bool {
		return r.Method == http.MethodDelete && (first.CompareAndSwap(nil, r) || first.Load() == r)
	}})
	h := start(t, up, modelarts.Options{Credentials: cloudauth.Token("t"), Clock: clock})
	var hdr metadata.MD
	resp, err := h.notebooks.DeleteNotebook(t.Context(), &notebookv1.DeleteNotebookRequest{ProjectId: project, NotebookId: notebookStopped}, grpc.Header(&hdr))
	if err != nil {
		t.Fatalf("delete with its first answer lost: %v", err)
	}
	if nb := resp.GetNotebook(); nb.GetId() != notebookStopped || nb.GetStatus() != "DELETING" {
		t.Errorf("answered %v; want the notebook DELETING", nb)
	}
	if got := hdr.Get(callctx.MetadataKeyOutcome); !cmp.Equal(got, []string{"inferred"}) {
		t.Errorf("x-outcome = %q; want inferred", got)
	}
	if n := len(up.requests(http.MethodDelete)); n != 2 {
		t.Errorf("%d delete requests; want 2 (the lost one and the retry that heard 6357)", n)
	}

	// The deletion the lost attempt started is over by the retry: 6309,
	// the lost attempt deleted it; the answer is the ID alone.
	quick := newUpstream(emulator.Options{Lifecycle: emulator.Lifecycle{Delete: options.None}})
	first.Store(nil)
	quick.set(rules{lose: func(r *http.Request) bool {
		return r.Method == http.MethodDelete && (first.CompareAndSwap(nil, r) || first.Load() == r)
	}})
	hq := start(t, quick, modelarts.Options{Credentials: cloudauth.Token("t"), Clock: clock})
	hdr = nil
	resp, err = hq.notebooks.DeleteNotebook(t.Context(), &notebookv1.DeleteNotebookRequest{ProjectId: project, NotebookId: notebookStopped}, grpc.Header(&hdr))
	if err != nil || !proto.Equal(resp.GetNotebook(), &notebookv1.Notebook{Id: proto.String(notebookStopped)}) {
		t.Errorf("delete whose retry heard 6309: %v, %v; want the notebook's ID alone", resp.GetNotebook(), err)
	}
	if got := hdr.Get(callctx.MetadataKeyOutcome); !cmp.Equal(got, []string{"inferred"}) {
		t.Errorf("x-outcome = %q; want inferred", got)
	}

	_, err = h.notebooks.DeleteNotebook(t.Context(), &notebookv1.DeleteNotebookRequest{ProjectId: project, NotebookId: notebookCreating})
	if e := statustest.Error(t, err); e.Code() != codes.Aborted || e.VendorCode() != "ModelArts.6357" {
		t.Errorf("delete of a CREATING notebook: %v %s; want ABORTED ModelArts.6357", e.Code(), e.VendorCode())
	}
}

// TestStartStopNotebook_lostAnswer: a start or stop is sent once; when its
// answer is lost, the notebook's status decides: it shows the action took
// effect (success, x-outcome: inferred), or the outcome is unknown
// (OUTCOME_UNKNOWN naming the status).
func TestStartStopNotebook_lostAnswer(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, action, notebook string
		wantCode               codes.Code
		wantStatus             string
	}{
		{"start_took_effect", "start", notebookStopped, codes.OK, "STARTING"},
		{"stop_took_effect", "stop", emulator.SampleNotebookID, codes.OK, "STOPPING"},
		{"start_refused", "start", notebookFailed, codes.Unavailable, "CREATE_FAILED"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			up := newUpstream(emulator.Options{})
			up.set(rules{lose: is(http.MethodPost, "/"+tt.action)})
			h := start(t, up, modelarts.Options{Credentials: cloudauth.Token("t"), Retry: noRetries})
			var hdr metadata.MD
			var nb *notebookv1.Notebook
			var err error
			if tt.action == "start" {
				var r *notebookv1.StartNotebookResponse
				r, err = h.notebooks.StartNotebook(t.Context(), &notebookv1.StartNotebookRequest{ProjectId: project, NotebookId: tt.notebook}, grpc.Header(&hdr))
				nb = r.GetNotebook()
			} else {
				var r *notebookv1.StopNotebookResponse
				r, err = h.notebooks.StopNotebook(t.Context(), &notebookv1.StopNotebookRequest{ProjectId: project, NotebookId: tt.notebook}, grpc.Header(&hdr))
				nb = r.GetNotebook()
			}
			if status.Code(err) != tt.wantCode {
				t.Fatalf("%s: %v; want %v", tt.action, err, tt.wantCode)
			}
			if err != nil {
				if e := statustest.Error(t, err); e.Reason() != "OUTCOME_UNKNOWN" || e.Metadata()["instance_status"] != tt.wantStatus {
					t.Errorf("error %s %v; want OUTCOME_UNKNOWN with instance_status %s", e.Reason(), e.Metadata(), tt.wantStatus)
				}
			} else {
				if nb.GetStatus() != tt.wantStatus || !cmp.Equal(hdr.Get(callctx.MetadataKeyOutcome), []string{"inferred"}) {
					t.Errorf("answered %s, x-outcome %q; want %s, inferred", nb.GetStatus(), hdr.Get(callctx.MetadataKeyOutcome), tt.wantStatus)
				}
			}
			if n := len(up.requests(http.MethodPost)); n != 1 {
				t.Errorf("%d %s requests; never resent", n, tt.action)
			}
		})
	}
}

// TestNotebookWaits: with wait, create returns the notebook RUNNING, stop
// STOPPED, start RUNNING, and delete once the notebook is gone (answering
// it DELETING); a notebook whose create fails ends the wait early with
// FAILED_PRECONDITION, its fail_reason and its action_progress.
func TestNotebookWaits(t *testing.T) {
	t.Parallel()
	clock := clocktest.New(clocktest.Start)
	clock.AdvanceOnWait(true)
	emu := emulator.MustNew(emulator.Options{NoSamples: true, Clock: clock})
	h := startWith(t, emu, service.Options{Clock: clock}, modelarts.Options{Credentials: cloudauth.Token("t")})
	ctx := t.Context()

	req := createNotebookRequest("waited")
	req.Wait = true
	created, err := h.notebooks.CreateNotebook(ctx, req)
	if err != nil || created.GetNotebook().GetStatus() != "RUNNING" {
		t.Fatalf("create with wait: %v, %v; want RUNNING", created.GetNotebook().GetStatus(), err)
	}
	id := created.GetNotebook().GetId()
	stopped, err := h.notebooks.StopNotebook(ctx, &notebookv1.StopNotebookRequest{ProjectId: project, NotebookId: id, Wait: true})
	if err != nil || stopped.GetNotebook().GetStatus() != "STOPPED" {
		t.Fatalf("stop with wait: %v, %v; want STOPPED", stopped.GetNotebook().GetStatus(), err)
	}
	started, err := h.notebooks.StartNotebook(ctx, &notebookv1.StartNotebookRequest{ProjectId: project, NotebookId: id, Duration: proto.Int64(7_200_000), Type: proto.String("timing"), Wait: true})
	if err != nil || started.GetNotebook().GetStatus() != "RUNNING" {
		t.Fatalf("start with wait: %v, %v; want RUNNING", started.GetNotebook().GetStatus(), err)
	}
	if l := started.GetNotebook().GetLease(); l.GetCreateAt()+l.GetDuration() != clock.Now().UnixMilli()+7_200_000-(clock.Now().UnixMilli()-l.GetUpdateAt()) {
		t.Errorf("lease %v; want its deadline 2h after it was armed", l)
	}
	deleted, err := h.notebooks.DeleteNotebook(ctx, &notebookv1.DeleteNotebookRequest{ProjectId: project, NotebookId: id, Wait: true})
	if err != nil || deleted.GetNotebook().GetStatus() != "DELETING" {
		t.Fatalf("delete with wait: %v, %v; want the notebook as answered, DELETING", deleted.GetNotebook(), err)
	}
	if _, err := h.notebooks.GetNotebook(ctx, &notebookv1.GetNotebookRequest{ProjectId: project, NotebookId: id}); status.Code(err) != codes.NotFound {
		t.Errorf("get after delete with wait: %v; want NOT_FOUND", err)
	}

	req = createNotebookRequest(emulator.FailCreatePrefix + "-waited")
	req.Wait = true
	var hdr metadata.MD
	_, err = h.notebooks.CreateNotebook(ctx, req, grpc.Header(&hdr))
	e := statustest.Error(t, err)
	if got := hdr.Get(callctx.MetadataKeyInstanceID); len(got) != 1 || got[0] != e.Metadata()["instance_id"] {
		t.Errorf("x-instance-id = %q; want the created notebook's ID, %s, sent before the wait", got, e.Metadata()["instance_id"])
	}
	if e.Code() != codes.FailedPrecondition || e.Metadata()["instance_status"] != "CREATE_FAILED" || e.Metadata()["failed_message"] == "" ||
		!strings.Contains(e.Message(), "progress: step 4 WAITING") || !strings.Contains(e.Message(), "step 2 FAILED (") {
		t.Errorf("create that fails, with wait: %v %v %q; want FAILED_PRECONDITION with the fail_reason and the failed step", e.Code(), e.Metadata(), e.Message())
	}
}

// TestUpdateNotebook: the fields set are sent, and only they (an empty
// endpoints list is not sent: it leaves the notebook's unchanged); a field
// the notebook's status locks is ModelArts' 6347, FAILED_PRECONDITION.
func TestUpdateNotebook(t *testing.T) {
	t.Parallel()
	up := newUpstream(emulator.Options{})
	h := start(t, up, modelarts.Options{Credentials: cloudauth.Token("t")})
	resp, err := h.notebooks.UpdateNotebook(t.Context(), &notebookv1.UpdateNotebookRequest{ProjectId: project, NotebookId: emulator.SampleNotebookID,
		Name: proto.String("renamed"), Description: proto.String("it's renamed")})
	if err != nil || resp.GetNotebook().GetName() != "renamed" || resp.GetNotebook().GetDescription() != "it's renamed" {
		t.Fatalf("update of a RUNNING notebook's name and description: %v, %v", resp.GetNotebook(), err)
	}
	if puts := up.requests(http.MethodPut); len(puts) != 1 || puts[0].body != `{"name":"renamed","description":"it's renamed"}` {
		t.Errorf("PUT bodies %v; want exactly the two fields set", puts)
	}
	_, err = h.notebooks.UpdateNotebook(t.Context(), &notebookv1.UpdateNotebookRequest{ProjectId: project, NotebookId: emulator.SampleNotebookID,
		Flavor: proto.String("modelarts.vm.cpu.8u")})
	if e := statustest.Error(t, err); e.Code() != codes.FailedPrecondition || e.VendorCode() != "ModelArts.6347" {
		t.Errorf("flavor of a RUNNING notebook: %v %s; want FAILED_PRECONDITION ModelArts.6347", e.Code(), e.VendorCode())
	}
}
