package service_test

import (
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"

	devenvv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/devenv/v1"
	"github.com/devenv-facade/devenv-facade/internal/emulator"
	"github.com/devenv-facade/devenv-facade/service"
)

// TestWatchInstances_countdownIsNoChange: an instance with auto-stop that
// runs is listed with a new spec.auto_stop.remain_time at every poll (the
// seconds left before its stop_timestamp); that is no change, and sends no
// MODIFIED: the watch's next event after RUNNING is the stop.
func TestWatchInstances_countdownIsNoChange(t *testing.T) {
	t.Parallel()
	h := startWatch(t, service.Options{Watch: service.WatchOptions{BookmarkInterval: time.Hour}})
	ctx := t.Context()
	created, err := h.client.CreateInstance(ctx, &devenvv1.CreateInstanceRequest{ProjectId: project, Name: "inst", ProfileId: "Multi-Engine 1.0 (python3)-cpu",
		Flavor: "modelarts.vm.cpu.2u", Spec: &devenvv1.CreateInstanceSpec{
			Storage:  &devenvv1.Storage{Type: proto.String("obs"), Location: &devenvv1.StorageLocation{Path: proto.String("/bucket/watch/")}},
			AutoStop: &devenvv1.AutoStop{Enable: proto.Bool(true), Duration: proto.Int32(7200)}}})
	if err != nil {
		t.Fatal(err)
	}
	w, err := h.client.WatchInstances(ctx, &devenvv1.WatchInstancesRequest{ProjectId: project})
	if err != nil {
		t.Fatal(err)
	}
	expectInstances(t, w, "ADDED inst/CREATING", "SNAPSHOT_COMPLETE")
	h.poll(t, 1, emulator.DefaultLifecycle().Create)
	running := expectInstances(t, w, "MODIFIED inst/RUNNING")[0]
	if running.GetInstance().GetSpec().GetAutoStop().GetRemainTime() == 0 {
		t.Fatal("the running instance has no remain_time: the test tests nothing")
	}
	// Two polls, the remain_time different at each.
	h.poll(t, 1, service.DefaultWatchSteadyPollInterval)
	h.poll(t, 1, service.DefaultWatchSteadyPollInterval)
	if _, err := h.client.StopInstance(ctx, &devenvv1.StopInstanceRequest{ProjectId: project, InstanceId: created.GetInstance().GetId()}); err != nil {
		t.Fatal(err)
	}
	h.poll(t, 1, service.DefaultWatchSteadyPollInterval)
	ev, err := recvWithin(t, w.Recv)
	if err != nil {
		t.Fatal(err)
	}
	if got := instanceEvent(ev); got == "MODIFIED inst/RUNNING" {
		t.Fatalf("event %s (remain_time %d, was %d) after RUNNING; want the stop: a countdown is no change",
			got, ev.GetInstance().GetSpec().GetAutoStop().GetRemainTime(), running.GetInstance().GetSpec().GetAutoStop().GetRemainTime())
	}
}

// instanceEvent describes an instance event as "TYPE name/STATUS".
func instanceEvent(ev *devenvv1.WatchInstancesResponse) string {
	kind := strings.TrimPrefix(ev.GetType().String(), "EVENT_TYPE_")
	if ev.GetInstance() == nil {
		return kind
	}
	return kind + " " + ev.GetInstance().GetName() + "/" + ev.GetInstance().GetStatus()
}

// expectInstances receives len(want) events and checks them.
func expectInstances(t *testing.T, s grpc.ServerStreamingClient[devenvv1.WatchInstancesResponse], want ...string) []*devenvv1.WatchInstancesResponse {
	t.Helper()
	var got []*devenvv1.WatchInstancesResponse
	for _, w := range want {
		ev, err := recvWithin(t, s.Recv)
		if err != nil {
			t.Fatalf("event %d: %v; want %s", len(got), err, w)
		}
		if d := instanceEvent(ev); d != w || ev.GetResumeToken() == "" {
			t.Fatalf("event %d = %s (token %q); want %s with a token", len(got), d, ev.GetResumeToken(), w)
		}
		got = append(got, ev)
	}
	return got
}
