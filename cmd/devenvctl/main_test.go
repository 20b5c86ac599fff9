package main

import (
	"context"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	watchv1 "github.com/devenv-facade/devenv-facade/gen/devenvfacade/watch/v1"
	devenvv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/devenv/v1"
	notebookv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/notebook/v1"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// project is the project the tests act on.
const project = "0123456789abcdef0123456789abcdef"

// instanceID is the instance the tests act on.
const instanceID = "DE-7d558ef8-c73d-11ea-964c-0255ac100033"

// received is one call the fake received.
type received struct {
	method string
	req    proto.Message
	md     metadata.MD
	// deadline is how long the call had left when it arrived; hasDeadline
	// says whether it had one.
	deadline    time.Duration
	hasDeadline bool
	// clientCN is the common name of the client's certificate (mutual
	// TLS), or "".
	clientCN string
}

// answerFunc answers a call: the response, or an error status. A nil
// response with a nil error answers the method's sample response.
type answerFunc func(ctx context.Context, method string, req proto.Message) (proto.Message, error)

// fakeServer is a DevEnvService and a NotebookService on loopback that
// records what it receives and answers what answer says.
type fakeServer struct {
	devenvv1.UnimplementedDevEnvServiceServer
	notebookv1.UnimplementedNotebookServiceServer
	addr string

	mu     sync.Mutex
	calls  []received
	answer answerFunc
	// watch plays the calls of WatchNotebooks and WatchInstances.
	watch func(ctx context.Context, req proto.Message, send func(typ watchv1.EventType, obj proto.Message, token string) error) error
}

// startFake serves a fake DevEnvService and NotebookService on 127.0.0.1:0 until the test
// ends.
func startFake(t *testing.T, answer answerFunc, opts ...grpc.ServerOption) *fakeServer {
	t.Helper()
	var lc net.ListenConfig
	lis, err := lc.Listen(t.Context(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeServer{addr: lis.Addr().String(), answer: answer}
	srv := grpc.NewServer(opts...)
	devenvv1.RegisterDevEnvServiceServer(srv, f)
	notebookv1.RegisterNotebookServiceServer(srv, f)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(lis)
	}()
	t.Cleanup(func() {
		srv.Stop()
		<-done
	})
	return f
}

// received returns the calls so far.
func (f *fakeServer) received() []received {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]received(nil), f.calls...)
}

// handle records a call and answers it.
func handle[R proto.Message](f *fakeServer, ctx context.Context, method string, req proto.Message, sample R) (R, error) {
	rec := received{method: method, req: proto.Clone(req)}
	rec.md, _ = metadata.FromIncomingContext(ctx)
	if dl, ok := ctx.Deadline(); ok {
		rec.deadline, rec.hasDeadline = time.Until(dl), true
	}
	if p, ok := peer.FromContext(ctx); ok {
		if info, ok := p.AuthInfo.(credentials.TLSInfo); ok && len(info.State.PeerCertificates) > 0 {
			rec.clientCN = info.State.PeerCertificates[0].Subject.CommonName
		}
	}
	f.mu.Lock()
	f.calls = append(f.calls, rec)
	answer := f.answer
	f.mu.Unlock()
	var zero R
	if answer == nil {
		return sample, nil
	}
	resp, err := answer(ctx, method, req)
	switch {
	case err != nil:
		return zero, err
	case resp == nil:
		return sample, nil
	}
	return resp.(R), nil
}

func (f *fakeServer) CreateInstance(ctx context.Context, req *devenvv1.CreateInstanceRequest) (*devenvv1.CreateInstanceResponse, error) {
	return handle(f, ctx, "CreateInstance", req, &devenvv1.CreateInstanceResponse{Instance: sampleInstance()})
}

func (f *fakeServer) ListInstances(ctx context.Context, req *devenvv1.ListInstancesRequest) (*devenvv1.ListInstancesResponse, error) {
	return handle(f, ctx, "ListInstances", req, &devenvv1.ListInstancesResponse{TotalCount: proto.Int32(2), Instances: sampleList()})
}

func (f *fakeServer) GetInstance(ctx context.Context, req *devenvv1.GetInstanceRequest) (*devenvv1.GetInstanceResponse, error) {
	return handle(f, ctx, "GetInstance", req, &devenvv1.GetInstanceResponse{Instance: sampleInstance()})
}

func (f *fakeServer) UpdateInstance(ctx context.Context, req *devenvv1.UpdateInstanceRequest) (*devenvv1.UpdateInstanceResponse, error) {
	return handle(f, ctx, "UpdateInstance", req, &devenvv1.UpdateInstanceResponse{Instance: sampleInstance()})
}

func (f *fakeServer) StartInstance(ctx context.Context, req *devenvv1.StartInstanceRequest) (*devenvv1.StartInstanceResponse, error) {
	return handle(f, ctx, "StartInstance", req, &devenvv1.StartInstanceResponse{CurrentStatus: "STARTING", PreviousState: "STOPPED"})
}

func (f *fakeServer) StopInstance(ctx context.Context, req *devenvv1.StopInstanceRequest) (*devenvv1.StopInstanceResponse, error) {
	return handle(f, ctx, "StopInstance", req, &devenvv1.StopInstanceResponse{CurrentStatus: "STOPPING", PreviousState: "RUNNING"})
}

func (f *fakeServer) DeleteInstance(ctx context.Context, req *devenvv1.DeleteInstanceRequest) (*devenvv1.DeleteInstanceResponse, error) {
	return handle(f, ctx, "DeleteInstance", req, &devenvv1.DeleteInstanceResponse{InstanceId: req.GetInstanceId()})
}

func (f *fakeServer) WatchNotebooks(req *notebookv1.WatchNotebooksRequest, stream grpc.ServerStreamingServer[notebookv1.WatchNotebooksResponse]) error {
	return f.playWatch(stream.Context(), req, func(typ watchv1.EventType, obj proto.Message, token string) error {
		resp := &notebookv1.WatchNotebooksResponse{Type: typ, ResumeToken: token}
		if obj != nil {
			resp.Notebook = obj.(*notebookv1.Notebook)
		}
		return stream.Send(resp)
	})
}

func (f *fakeServer) WatchInstances(req *devenvv1.WatchInstancesRequest, stream grpc.ServerStreamingServer[devenvv1.WatchInstancesResponse]) error {
	return f.playWatch(stream.Context(), req, func(typ watchv1.EventType, obj proto.Message, token string) error {
		resp := &devenvv1.WatchInstancesResponse{Type: typ, ResumeToken: token}
		if obj != nil {
			resp.Instance = obj.(*devenvv1.Instance)
		}
		return stream.Send(resp)
	})
}

// playWatch plays a watch call with f.watch, or answers UNIMPLEMENTED.
func (f *fakeServer) playWatch(ctx context.Context, req proto.Message, send func(typ watchv1.EventType, obj proto.Message, token string) error) error {
	f.mu.Lock()
	watch := f.watch
	f.mu.Unlock()
	if watch == nil {
		return status.Error(codes.Unimplemented, "no watch")
	}
	return watch(ctx, req, send)
}

// sampleInstance is the instance the fake answers by default.
func sampleInstance() *devenvv1.Instance {
	return &devenvv1.Instance{
		Id:                    proto.String(instanceID),
		Name:                  proto.String("notebook-d115"),
		Description:           proto.String("nightly training"),
		Status:                proto.String("RUNNING"),
		Flavor:                proto.String("modelarts.vm.cpu.2u"),
		CreationTimestamp:     proto.String("1594887749962"),
		LatestUpdateTimestamp: proto.String("1594887956142"),
		Profile:               &devenvv1.Profile{Id: proto.String("Multi-Engine 1.0 (python3)-cpu"), Name: proto.String("Multi-Engine 1.0 (python3)-cpu")},
		Spec: &devenvv1.NotebookSpec{
			Storage:  &devenvv1.Storage{Type: proto.String("obs"), Location: &devenvv1.StorageLocation{Path: proto.String("/bucket/notebooks/")}},
			AutoStop: &devenvv1.AutoStop{Enable: proto.Bool(true), Duration: proto.Int32(3600), StopTimestamp: proto.Int64(1594891349962)},
		},
		Workspace: &devenvv1.Workspace{Id: proto.String("0")},
	}
}

// sampleList is the fake's default list: two instances.
func sampleList() []*devenvv1.Instance {
	second := &devenvv1.Instance{
		Id:                proto.String("6fa459ea-ee8a-3ca4-894e-db77e160355e"),
		Name:              proto.String("sample"),
		Status:            proto.String("STOPPED"),
		Flavor:            proto.String("modelarts.vm.gpu.p100"),
		CreationTimestamp: proto.String("1700000000000"),
	}
	return []*devenvv1.Instance{sampleInstance(), second}
}

// result is what one run of the command did.
type result struct {
	code           int
	stdout, stderr string
}

// env returns the environment that points devenvctl at f and project,
// with extra added (an empty value removes a variable).
func (f *fakeServer) env(extra map[string]string) map[string]string {
	e := map[string]string{"DEVENVCTL_ADDR": f.addr, "DEVENVCTL_PROJECT": project}
	for k, v := range extra {
		if v == "" {
			delete(e, k)
			continue
		}
		e[k] = v
	}
	return e
}

// invoke runs devenvctl with args and the environment env.
func invoke(ctx context.Context, env map[string]string, args ...string) result {
	var stdout, stderr strings.Builder
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	err := run(ctx, args, lookup, &stdout, &stderr)
	return result{exitCode(err), stdout.String(), stderr.String()}
}

// run runs devenvctl against f with args.
func (f *fakeServer) run(t *testing.T, args ...string) result {
	t.Helper()
	return invoke(t.Context(), f.env(nil), args...)
}

// only returns the one call f received, failing the test otherwise.
func (f *fakeServer) only(t *testing.T) received {
	t.Helper()
	calls := f.received()
	if len(calls) != 1 {
		t.Fatalf("the fake received %d calls; want 1", len(calls))
	}
	return calls[0]
}
