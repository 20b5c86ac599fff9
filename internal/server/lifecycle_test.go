package server_test

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/devenv-facade/devenv-facade/internal/clock/clocktest"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"

	devenvv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/devenv/v1"
	"github.com/devenv-facade/devenv-facade/internal/cloudauth"
	"github.com/devenv-facade/devenv-facade/internal/emulator"
	"github.com/devenv-facade/devenv-facade/internal/logbuf"
	"github.com/devenv-facade/devenv-facade/internal/server"
	"github.com/devenv-facade/devenv-facade/internal/statustest"
)

// newFakeClock returns the clock of the lifecycle tests, which the
// emulator and the facade share: it moves only when the test advances it
// or the facade pauses between two reads of an instance it waits for.
func newFakeClock() *clocktest.Fake {
	c := clocktest.New(clocktest.Start)
	c.AdvanceOnWait(true)
	return c
}

// startLifecycle runs the facade in front of a fresh emulator on clock
// (with the default lifecycle: create 5s, start 3s, stop 2s) and returns
// both, the emulator also served on its own for direct requests.
func startLifecycle(t *testing.T, clock *clocktest.Fake, set func(*server.Options), emuOpts emulator.Options) (*instance, string) {
	t.Helper()
	emuOpts.Clock = clock
	emu := emulator.MustNew(emuOpts)
	direct := httptest.NewServer(emu)
	t.Cleanup(direct.Close)
	f := startFacade(t, emu, func(o *server.Options) {
		o.Credentials = cloudauth.Token("facade-token")
		o.Clock = clock
		if set != nil {
			set(o)
		}
	})
	return f, direct.URL
}

// TestInstanceLifecycle_gRPC walks an instance through its whole life over
// gRPC against the emulator: create, get while CREATING and once RUNNING,
// list (filter, sort, pages), update, delete refused while running, stop
// and wait, start and stop again, delete and wait, then NOT_FOUND.
func TestInstanceLifecycle_gRPC(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	f, _ := startLifecycle(t, clock, nil, emulator.Options{})
	ctx := t.Context()
	c := f.client

	created, err := c.CreateInstance(ctx, &devenvv1.CreateInstanceRequest{
		ProjectId: project, Name: "e2e-grpc", Description: proto.String("lifecycle test"),
		ProfileId: "Multi-Engine 1.0 (python3)-cpu", Flavor: "modelarts.vm.cpu.2u",
		Spec: &devenvv1.CreateInstanceSpec{
			Storage:  &devenvv1.Storage{Type: proto.String("obs"), Location: &devenvv1.StorageLocation{Path: proto.String("/bucket/e2e/")}},
			AutoStop: &devenvv1.AutoStop{Enable: proto.Bool(true), Duration: proto.Int32(3600)},
		},
	})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	in := created.GetInstance()
	id := in.GetId()
	if !strings.HasPrefix(id, "DE-") || in.GetStatus() != "CREATING" || in.GetName() != "e2e-grpc" {
		t.Fatalf("created %v; want a DE- ID, CREATING, e2e-grpc", in)
	}

	get := func() *devenvv1.Instance {
		t.Helper()
		r, err := c.GetInstance(ctx, &devenvv1.GetInstanceRequest{ProjectId: project, InstanceId: id})
		if err != nil {
			t.Fatalf("get: %v", err)
		}
		return r.GetInstance()
	}
	if s := get().GetStatus(); s != "CREATING" {
		t.Fatalf("get right after create: %s; want CREATING", s)
	}
	clock.Advance(emulator.DefaultLifecycle().Create)
	got := get()
	if got.GetStatus() != "RUNNING" || got.GetSpec().GetAutoStop().GetStopTimestamp() == 0 {
		t.Fatalf("get after the create delay: %s, auto_stop %v; want RUNNING with a stop time", got.GetStatus(), got.GetSpec().GetAutoStop())
	}

	// List: RUNNING instances by name, descending, one page at a time.
	var names []string
	var total int32
	req := &devenvv1.ListInstancesRequest{ProjectId: project, Status: "RUNNING", Sortby: "name", Order: "desc", PageSize: 1}
	for page := 0; ; page++ {
		if page > 20 {
			t.Fatal("list: more than 20 pages; the token does not advance")
		}
		r, err := c.ListInstances(ctx, req)
		if err != nil {
			t.Fatalf("list page %d: %v", page, err)
		}
		if len(r.GetInstances()) > 1 {
			t.Fatalf("list page %d: %d instances; want at most page_size 1", page, len(r.GetInstances()))
		}
		for _, x := range r.GetInstances() {
			if x.GetStatus() != "RUNNING" {
				t.Errorf("list filtered on RUNNING returned %s in %s", x.GetName(), x.GetStatus())
			}
			names = append(names, x.GetName())
		}
		total = r.GetTotalCount()
		if r.GetNextPageToken() == "" {
			break
		}
		req.PageToken = r.GetNextPageToken()
	}
	if !slices.Contains(names, "e2e-grpc") || int(total) != len(names) || len(names) < 2 {
		t.Errorf("listed %q (total_count %d); want e2e-grpc among at least two running instances, total_count their number", names, total)
	}
	if !sort.IsSorted(sort.Reverse(sort.StringSlice(names))) {
		t.Errorf("listed %q; want names in descending order", names)
	}

	// Update description and auto-stop.
	up, err := c.UpdateInstance(ctx, &devenvv1.UpdateInstanceRequest{ProjectId: project, InstanceId: id,
		Description: proto.String("updated"), Spec: &devenvv1.UpdateInstanceSpec{AutoStop: &devenvv1.AutoStop{Enable: proto.Bool(false)}}})
	if err != nil {
		t.Fatalf("update: %v", err)
	}
	if up.GetInstance().GetDescription() != "updated" || up.GetInstance().GetSpec().GetAutoStop().GetEnable() {
		t.Errorf("updated %v; want description updated, auto-stop off", up.GetInstance())
	}
	if d := get().GetDescription(); d != "updated" {
		t.Errorf("get after update: description %q", d)
	}

	// Delete while running: ModelArts.6304, FAILED_PRECONDITION.
	_, err = c.DeleteInstance(ctx, &devenvv1.DeleteInstanceRequest{ProjectId: project, InstanceId: id})
	if status.Code(err) != codes.FailedPrecondition || statustest.Error(t, err).Metadata()["error_code"] != "ModelArts.6304" {
		t.Fatalf("delete while running: %v; want FAILED_PRECONDITION with ModelArts.6304", err)
	}

	// Stop and wait: the clock moves only through the facade's polls.
	before := clock.Now()
	stop, err := c.StopInstance(ctx, &devenvv1.StopInstanceRequest{ProjectId: project, InstanceId: id, Wait: true})
	if err != nil {
		t.Fatalf("stop with wait: %v", err)
	}
	if stop.GetCurrentStatus() != "STOPPED" || stop.GetPreviousState() != "RUNNING" {
		t.Errorf("stop with wait: %v; want STOPPED from RUNNING", stop)
	}
	if waited := clock.Now().Sub(before); waited < emulator.DefaultLifecycle().Stop {
		t.Errorf("stop returned after %s of emulator time; the stop takes %s", waited, emulator.DefaultLifecycle().Stop)
	}

	// Start without waiting, then stop while STARTING: 6306, ABORTED (try
	// again once the start is over).
	start, err := c.StartInstance(ctx, &devenvv1.StartInstanceRequest{ProjectId: project, InstanceId: id})
	if err != nil || start.GetCurrentStatus() != "STARTING" {
		t.Fatalf("start: %v, %v; want STARTING", start, err)
	}
	_, err = c.StopInstance(ctx, &devenvv1.StopInstanceRequest{ProjectId: project, InstanceId: id})
	if status.Code(err) != codes.Aborted || statustest.Error(t, err).Metadata()["error_code"] != "ModelArts.6306" {
		t.Errorf("stop while starting: %v; want ABORTED with ModelArts.6306", err)
	}
	clock.Advance(emulator.DefaultLifecycle().Start)
	if s := get().GetStatus(); s != "RUNNING" {
		t.Fatalf("after the start delay: %s; want RUNNING", s)
	}
	if _, err := c.StopInstance(ctx, &devenvv1.StopInstanceRequest{ProjectId: project, InstanceId: id, Wait: true}); err != nil {
		t.Fatalf("second stop with wait: %v", err)
	}

	// Delete and wait until it is gone; then it does not exist.
	del, err := c.DeleteInstance(ctx, &devenvv1.DeleteInstanceRequest{ProjectId: project, InstanceId: id, Wait: true})
	if err != nil || del.GetInstanceId() != id {
		t.Fatalf("delete with wait: %v, %v", del, err)
	}
	_, err = c.GetInstance(ctx, &devenvv1.GetInstanceRequest{ProjectId: project, InstanceId: id})
	if status.Code(err) != codes.NotFound || statustest.Error(t, err).Metadata()["error_code"] != "ModelArts.6309" {
		t.Errorf("get after delete: %v; want NOT_FOUND with ModelArts.6309", err)
	}
}

// TestInstanceWaits: a create that ends CREATE_FAILED and a start that
// ends START_FAILED fail the wait with FAILED_PRECONDITION and the vendor's
// reasons; a wait longer than --max-wait ends with DEADLINE_EXCEEDED
// naming the last status.
func TestInstanceWaits(t *testing.T) {
	t.Parallel()
	createReq := func(name string) *devenvv1.CreateInstanceRequest {
		return &devenvv1.CreateInstanceRequest{ProjectId: project, Name: name, ProfileId: "Multi-Engine 1.0 (python3)-cpu",
			Flavor: "modelarts.vm.cpu.2u", Wait: true,
			Spec: &devenvv1.CreateInstanceSpec{Storage: &devenvv1.Storage{Type: proto.String("obs"),
				Location: &devenvv1.StorageLocation{Path: proto.String("/bucket/e2e/")}}}}
	}

	t.Run("create_waits_until_running", func(t *testing.T) {
		t.Parallel()
		f, _ := startLifecycle(t, newFakeClock(), nil, emulator.Options{})
		r, err := f.client.CreateInstance(t.Context(), createReq("waits"))
		if err != nil || r.GetInstance().GetStatus() != "RUNNING" {
			t.Fatalf("create with wait: %v, %v; want RUNNING", r.GetInstance().GetStatus(), err)
		}
	})
	t.Run("create_failed", func(t *testing.T) {
		t.Parallel()
		f, _ := startLifecycle(t, newFakeClock(), nil, emulator.Options{})
		_, err := f.client.CreateInstance(t.Context(), createReq(emulator.FailCreatePrefix+"-1"))
		info := statustest.Error(t, err)
		if status.Code(err) != codes.FailedPrecondition || info.Reason() != "INSTANCE_FAILED" ||
			info.Metadata()["instance_status"] != "CREATE_FAILED" || info.Metadata()["failed_code"] == "" ||
			!strings.HasPrefix(info.Metadata()["instance_id"], "DE-") {
			t.Errorf("create that fails: %v, %v; want FAILED_PRECONDITION INSTANCE_FAILED with CREATE_FAILED and failed_code", err, info.Metadata())
		}
	})
	t.Run("start_failed", func(t *testing.T) {
		t.Parallel()
		clock := newFakeClock()
		f, _ := startLifecycle(t, clock, nil, emulator.Options{})
		r, err := f.client.CreateInstance(t.Context(), createReq(emulator.FailStartPrefix+"-1"))
		if err != nil {
			t.Fatalf("create: %v", err)
		}
		id := r.GetInstance().GetId()
		if _, err := f.client.StopInstance(t.Context(), &devenvv1.StopInstanceRequest{ProjectId: project, InstanceId: id, Wait: true}); err != nil {
			t.Fatalf("stop: %v", err)
		}
		_, err = f.client.StartInstance(t.Context(), &devenvv1.StartInstanceRequest{ProjectId: project, InstanceId: id, Wait: true})
		info := statustest.Error(t, err)
		if status.Code(err) != codes.FailedPrecondition || info.Metadata()["instance_status"] != "START_FAILED" {
			t.Errorf("start that fails: %v, %v; want FAILED_PRECONDITION with START_FAILED", err, info.Metadata())
		}
	})
	t.Run("max_wait", func(t *testing.T) {
		t.Parallel()
		// The facade waits at most 1s of real time; the emulator creates in
		// an hour and the facade's pauses do not move its clock.
		f, _ := startLifecycle(t, newFakeClock(), func(o *server.Options) {
			o.MaxWait, o.PollInterval, o.Clock = time.Second, 50*time.Millisecond, nil
		}, emulator.Options{Lifecycle: emulator.Lifecycle{Create: time.Hour}})
		_, err := f.client.CreateInstance(t.Context(), createReq("slow"))
		info := statustest.Error(t, err)
		if status.Code(err) != codes.DeadlineExceeded || info.Metadata()["instance_status"] != "CREATING" ||
			!strings.HasPrefix(info.Metadata()["instance_id"], "DE-") || info.Metadata()["credentials"] != "facade" ||
			info.Metadata()["upstream_attempts"] == "" ||
			!strings.Contains(status.Convert(err).Message(), "at most 1s") {
			t.Errorf("create past --max-wait: %v, %v; want DEADLINE_EXCEEDED saying CREATING and the 1s bound", err, info.Metadata())
		}
	})
}

// TestInstanceSecretsReachNoOne: the credentials ModelArts returns with an
// instance (SSH private key, repository token...) reach neither gRPC nor
// REST callers nor the facade's log, even at debug level, whichever call
// carries them (get, list, update).
func TestInstanceSecretsReachNoOne(t *testing.T) {
	t.Parallel()
	var logs logbuf.Buffer
	f, _ := startLifecycle(t, newFakeClock(), func(o *server.Options) {
		o.Logger = slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}, emulator.Options{})
	id := emulator.SampleCredentialInstanceID
	var answers []string
	get, err := f.client.GetInstance(t.Context(), &devenvv1.GetInstanceRequest{ProjectId: project, InstanceId: id})
	if err != nil {
		t.Fatal(err)
	}
	list, err := f.client.ListInstances(t.Context(), &devenvv1.ListInstancesRequest{ProjectId: project})
	if err != nil {
		t.Fatal(err)
	}
	up, err := f.client.UpdateInstance(t.Context(), &devenvv1.UpdateInstanceRequest{ProjectId: project, InstanceId: id, Description: proto.String("x")})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []proto.Message{get, list, up} {
		answers = append(answers, prototext.Format(m))
	}
	base := f.httpURL + "/v1/" + project + "/demanager/instances"
	for _, url := range []string{base + "/" + id, base + "?de_type=Notebook"} {
		code, body := mirrorCall(t, http.MethodGet, url, "")
		raw, _ := json.Marshal(body)
		if code != 200 {
			t.Fatalf("GET %s: %d %s", url, code, raw)
		}
		answers = append(answers, string(raw))
	}
	if !strings.Contains(answers[0], "notebook-git") {
		t.Fatalf("the credential sample was not answered:\n%s", answers[0])
	}
	for _, secret := range emulator.SampleSecrets() {
		for i, a := range answers {
			if strings.Contains(a, secret) {
				t.Errorf("answer %d holds the secret %q", i, secret)
			}
		}
		if strings.Contains(logs.String(), secret) {
			t.Errorf("the log holds the secret %q", secret)
		}
	}
}
