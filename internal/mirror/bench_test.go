package mirror_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"

	watchv1 "github.com/devenv-facade/devenv-facade/gen/devenvfacade/watch/v1"
	devenvv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/devenv/v1"
	notebookv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/notebook/v1"
	"github.com/devenv-facade/devenv-facade/internal/mirror"
)

// benchServer answers at once, so that the benchmarks below measure the
// mirror: routing, reading the request, the in-process call through an
// interceptor, header metadata, and writing the answer.
type benchServer struct {
	devenvv1.UnimplementedDevEnvServiceServer
	inst *devenvv1.Instance
}

func (s *benchServer) GetInstance(context.Context, *devenvv1.GetInstanceRequest) (*devenvv1.GetInstanceResponse, error) {
	return &devenvv1.GetInstanceResponse{Instance: s.inst}, nil
}

func (s *benchServer) ActOnInstance(context.Context, *devenvv1.ActOnInstanceRequest) (*devenvv1.ActOnInstanceResponse, error) {
	return &devenvv1.ActOnInstanceResponse{CurrentStatus: "STARTING", PreviousState: "STOPPED"}, nil
}

func (s *benchServer) DeleteInstance(ctx context.Context, req *devenvv1.DeleteInstanceRequest) (*devenvv1.DeleteInstanceResponse, error) {
	_ = grpc.SetHeader(ctx, metadata.Pairs("x-request-id", "rid", "x-delete-outcome", "inferred"))
	return &devenvv1.DeleteInstanceResponse{InstanceId: req.GetInstanceId()}, nil
}

// BenchmarkREST is one REST call through the mirror, in process, to a
// service that answers at once: what the mirror costs a call (about 100
// allocations, 12 KiB).
func BenchmarkREST(b *testing.B) {
	srv := &benchServer{inst: &devenvv1.Instance{Id: proto.String("DE-1"), Name: proto.String("notebook-1"),
		Status: proto.String("RUNNING"), Flavor: proto.String("modelarts.vm.cpu.2u")}}
	interceptor := func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		_ = grpc.SetHeader(ctx, metadata.Pairs("x-request-id", "rid"))
		return h(ctx, req)
	}
	h, err := mirror.New(b.Context(), []mirror.Service{mirror.DevEnvService(srv)}, interceptor, mirror.Options{})
	if err != nil {
		b.Fatal(err)
	}
	const base = "/v1/0123456789abcdef0123456789abcdef/demanager/instances/DE-1"
	for _, bc := range []struct {
		name, method, url, body string
	}{
		{"GetInstance", http.MethodGet, base, ""},
		{"ActOnInstance", http.MethodPost, base + "/action", `{"action":"start"}`},
		{"DeleteInstance", http.MethodDelete, base + "?allow_missing=true", ""},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				req := httptest.NewRequestWithContext(b.Context(), bc.method, bc.url, strings.NewReader(bc.body))
				req.Header.Set("X-Auth-Token", "caller-token")
				w := httptest.NewRecorder()
				h.ServeHTTP(w, req)
				if w.Code != http.StatusOK {
					b.Fatal(w.Code, w.Body.String())
				}
			}
		})
	}
}

// benchNotebook is a notebook of about the size ModelArts lists (1 KiB
// of JSON).
var benchNotebook = &notebookv1.Notebook{Id: proto.String("f9937afa-4451-42db-a76b-72d624749f66"), Name: proto.String("notebook-a"),
	Description: proto.String(strings.Repeat("d", 200)), Status: proto.String("RUNNING"), Flavor: proto.String("modelarts.vm.cpu.2u"),
	Feature: proto.String("NOTEBOOK"), WorkspaceId: proto.String("0"), Url: proto.String("https://authoring-modelarts.example/f9937afa-4451-42db-a76b-72d624749f66/lab"),
	CreateAt: proto.Int64(1795770000000), UpdateAt: proto.Int64(1795770007000), UserId: proto.String("15dda26361214ca2a5953917d2f48ffb")}

// BenchmarkWatchEvents is one event of a watch, from the service's
// SendMsg to the client that reads the stream on loopback, for each
// format: what the mirror costs an event of a REST watch (each event is
// written and flushed before the service may send the next).
func BenchmarkWatchEvents(b *testing.B) {
	for _, accept := range []string{"text/event-stream", "application/json"} {
		b.Run(accept, func(b *testing.B) {
			n := 0
			nbs := &benchNotebooks{watch: func(ss grpc.ServerStream) error {
				ev := &notebookv1.WatchNotebooksResponse{Type: watchv1.EventType_EVENT_TYPE_MODIFIED, Notebook: benchNotebook, ResumeToken: "AaDtl0hvqnWqAwY2MTu-DDEB"}
				for range n {
					if err := ss.SendMsg(ev); err != nil {
						return err
					}
				}
				return nil
			}}
			h, err := mirror.New(b.Context(), []mirror.Service{mirror.NotebookService(nbs)}, passThrough, mirror.Options{})
			if err != nil {
				b.Fatal(err)
			}
			ts := httptest.NewServer(h)
			defer ts.Close()
			b.ReportAllocs()
			n = b.N
			req, _ := http.NewRequestWithContext(b.Context(), http.MethodGet, ts.URL+"/v1/0123456789abcdef0123456789abcdef/notebooks:watch", nil)
			req.Header.Set("Accept", accept)
			b.ResetTimer()
			resp, err := ts.Client().Do(req)
			if err != nil {
				b.Fatal(err)
			}
			defer resp.Body.Close()
			read, err := io.Copy(io.Discard, resp.Body)
			if err != nil || resp.StatusCode != http.StatusOK {
				b.Fatal(resp.StatusCode, err)
			}
			b.ReportMetric(float64(read)/float64(b.N), "bytes/event")
		})
	}
}

// BenchmarkWatchOpen measures what an open event stream holds in the
// process that serves it (heap and stacks; goroutines: the HTTP
// connection's with the request's handler, its background read, the
// watch's handler) while it waits for events, over 256 streams opened by
// clients that only read their first event (run it with -benchtime 1x).
func BenchmarkWatchOpen(b *testing.B) {
	const watches = 256
	nbs := &benchNotebooks{watch: func(ss grpc.ServerStream) error {
		if err := ss.SendMsg(&notebookv1.WatchNotebooksResponse{Type: watchv1.EventType_EVENT_TYPE_SNAPSHOT_COMPLETE, ResumeToken: "t1"}); err != nil {
			return err
		}
		<-ss.Context().Done()
		return nil
	}}
	h, err := mirror.New(b.Context(), []mirror.Service{mirror.NotebookService(nbs)}, passThrough, mirror.Options{})
	if err != nil {
		b.Fatal(err)
	}
	ts := httptest.NewServer(h)
	defer ts.Close()
	for b.Loop() {
		before, goroutines := memInUse(), runtime.NumGoroutine()
		conns := make([]net.Conn, 0, watches)
		for range watches {
			c, err := net.Dial("tcp", ts.Listener.Addr().String())
			if err != nil {
				b.Fatal(err)
			}
			conns = append(conns, c)
			fmt.Fprint(c, "GET /v1/0123456789abcdef0123456789abcdef/notebooks:watch HTTP/1.1\r\nHost: facade\r\nAccept: text/event-stream\r\n\r\n")
			br := bufio.NewReader(c)
			for {
				line, err := br.ReadString('\n')
				if err != nil {
					b.Fatal(err)
				}
				if strings.HasPrefix(line, "data:") {
					break
				}
			}
		}
		b.ReportMetric(float64(memInUse()-before)/watches, "bytes/watch")
		b.ReportMetric(float64(runtime.NumGoroutine()-goroutines)/watches, "goroutines/watch")
		for _, c := range conns {
			c.Close()
		}
	}
}

// memInUse is the heap and the goroutine stacks in use after a
// collection.
func memInUse() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapInuse + m.StackInuse)
}

// benchNotebooks is a NotebookService whose watch runs watch.
type benchNotebooks struct {
	notebookv1.UnimplementedNotebookServiceServer
	watch func(grpc.ServerStream) error
}

func (s *benchNotebooks) WatchNotebooks(_ *notebookv1.WatchNotebooksRequest, ss grpc.ServerStreamingServer[notebookv1.WatchNotebooksResponse]) error {
	return s.watch(ss)
}

// passThrough is an interceptor that only runs the call.
func passThrough(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
	return h(ctx, req)
}
