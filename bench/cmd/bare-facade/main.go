// Command bare-facade is the floor of the Go stack devenv-facade is built
// on, for the benchmark harness (devenv-bench) only; it is never shipped. It
// is DevEnvService over grpc-go, the REST mirror over grpc-gateway calling it
// in-process, and one http.Client with a large idle pool sending the
// vendor's requests: what any Go facade on these libraries pays. It reads
// and writes the vendor's JSON with the facade's own package (vendorjson),
// so that what it leaves out are the facade's features only: no retries, no
// logging, no request IDs, no authentication, no limiter, no metrics, no
// tracing, no validation, no error mapping (an error answer is UNKNOWN with
// the status line), no server limits beyond grpc-go's and net/http's
// defaults, and the Go runtime's own settings: what any Go facade gets
// (the facade's runtime engineering, such as its stream workers and its
// GC heap floor, is the facade's). -gc-heap-floor-mib gives it the
// facade's GC heap floor (package gcfloor), for investigations.
//
// It serves DeleteInstance, GetInstance and ListInstances (de_type only) of
// DevEnvService, and GetNotebook and ListNotebooks (limit and offset only)
// of NotebookService: the operations the harness measures.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	devenvv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/devenv/v1"
	notebookv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/notebook/v1"
	"github.com/devenv-facade/devenv-facade/internal/gcfloor"
	"github.com/devenv-facade/devenv-facade/internal/vendorjson"
)

func main() {
	grpcAddr := flag.String("grpc-addr", "127.0.0.1:0", "gRPC address")
	httpAddr := flag.String("http-addr", "127.0.0.1:0", "REST mirror address")
	debugAddr := flag.String("debug-addr", "", "pprof address (empty: none)")
	backend := flag.String("backend", "", "ModelArts base URL (the emulator)")
	token := flag.String("token", "", "X-Auth-Token sent to the backend")
	maxIdle := flag.Int("max-idle-conns", 20000, "idle connections kept to the backend")
	heapFloor := flag.Int("gc-heap-floor-mib", 0, "the facade's --gc-heap-floor-mib (0: none, the Go runtime's own pacing, as the harness runs it)")
	flag.Parse()
	if *heapFloor > 0 && os.Getenv("GOGC") == "" {
		defer gcfloor.Keep(uint64(*heapFloor) << 20).Stop()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *grpcAddr, *httpAddr, *debugAddr, *backend, *token, *maxIdle); err != nil {
		fmt.Fprintf(os.Stderr, "bare-facade: %v\n", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, grpcAddr, httpAddr, debugAddr, backend, token string, maxIdle int) error {
	if _, err := url.Parse(backend); err != nil || backend == "" {
		return fmt.Errorf("--backend %q is not a URL", backend)
	}
	svc := &service{base: backend, token: token, client: &http.Client{Transport: &http.Transport{
		MaxIdleConns: maxIdle, MaxIdleConnsPerHost: maxIdle, IdleConnTimeout: 90 * time.Second,
	}}}

	var lc net.ListenConfig
	glis, err := lc.Listen(ctx, "tcp", grpcAddr)
	if err != nil {
		return err
	}
	gs := grpc.NewServer()
	devenvv1.RegisterDevEnvServiceServer(gs, svc)
	notebookv1.RegisterNotebookServiceServer(gs, &notebooks{service: svc})
	go func() { _ = gs.Serve(glis) }()
	defer gs.Stop()

	mux := runtime.NewServeMux(runtime.WithMarshalerOption(runtime.MIMEWildcard, &marshaler{JSONPb: runtime.JSONPb{
		MarshalOptions:   protojson.MarshalOptions{UseProtoNames: true},
		UnmarshalOptions: protojson.UnmarshalOptions{DiscardUnknown: true},
	}}))
	if err := devenvv1.RegisterDevEnvServiceHandlerServer(ctx, mux, svc); err != nil {
		return err
	}
	if err := notebookv1.RegisterNotebookServiceHandlerServer(ctx, mux, &notebooks{service: svc}); err != nil {
		return err
	}
	hlis, err := lc.Listen(ctx, "tcp", httpAddr)
	if err != nil {
		return err
	}
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = hs.Serve(hlis) }()
	defer hs.Close()

	if debugAddr != "" {
		dm := http.NewServeMux()
		dm.HandleFunc("/debug/pprof/", pprof.Index)
		dm.HandleFunc("/debug/pprof/profile", pprof.Profile)
		dm.HandleFunc("/debug/pprof/trace", pprof.Trace)
		dlis, err := lc.Listen(ctx, "tcp", debugAddr)
		if err != nil {
			return err
		}
		ds := &http.Server{Handler: dm}
		go func() { _ = ds.Serve(dlis) }()
		defer ds.Close()
	}

	slog.New(slog.NewTextHandler(os.Stderr, nil)).Info("serving bare facade",
		slog.String("grpc_addr", glis.Addr().String()), slog.String("http_addr", hlis.Addr().String()))
	<-ctx.Done()
	return nil
}

// service is DevEnvService straight onto ModelArts.
type service struct {
	devenvv1.UnimplementedDevEnvServiceServer
	client *http.Client
	base   string
	token  string
}

func instancePath(project, id string) string {
	return "/v1/" + url.PathEscape(project) + "/demanager/instances/" + url.PathEscape(id)
}

func (s *service) DeleteInstance(ctx context.Context, req *devenvv1.DeleteInstanceRequest) (*devenvv1.DeleteInstanceResponse, error) {
	body, err := s.do(ctx, http.MethodDelete, instancePath(req.GetProjectId(), req.GetInstanceId()))
	if err != nil {
		return nil, err
	}
	var out struct {
		InstanceID string `json:"instance_id"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return &devenvv1.DeleteInstanceResponse{InstanceId: out.InstanceID}, nil
}

func (s *service) GetInstance(ctx context.Context, req *devenvv1.GetInstanceRequest) (*devenvv1.GetInstanceResponse, error) {
	body, err := s.do(ctx, http.MethodGet, instancePath(req.GetProjectId(), req.GetInstanceId()))
	if err != nil {
		return nil, err
	}
	var inst devenvv1.Instance
	if err := vendorjson.Unmarshal(body, &inst); err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return &devenvv1.GetInstanceResponse{Instance: &inst}, nil
}

func (s *service) ListInstances(ctx context.Context, req *devenvv1.ListInstancesRequest) (*devenvv1.ListInstancesResponse, error) {
	deType := req.GetDeType()
	if deType == "" {
		deType = "Notebook"
	}
	body, err := s.do(ctx, http.MethodGet, "/v1/"+url.PathEscape(req.GetProjectId())+"/demanager/instances?de_type="+url.QueryEscape(deType))
	if err != nil {
		return nil, err
	}
	var out devenvv1.ListInstancesResponse
	if err := vendorjson.Unmarshal(body, &out); err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return &out, nil
}

// notebooks is NotebookService straight onto ModelArts, on service's
// client.
type notebooks struct {
	notebookv1.UnimplementedNotebookServiceServer
	*service
}

func (s *notebooks) GetNotebook(ctx context.Context, req *notebookv1.GetNotebookRequest) (*notebookv1.GetNotebookResponse, error) {
	body, err := s.do(ctx, http.MethodGet, "/v1/"+url.PathEscape(req.GetProjectId())+"/notebooks/"+url.PathEscape(req.GetNotebookId()))
	if err != nil {
		return nil, err
	}
	var nb notebookv1.Notebook
	if err := vendorjson.Unmarshal(body, &nb); err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return &notebookv1.GetNotebookResponse{Notebook: &nb}, nil
}

func (s *notebooks) ListNotebooks(ctx context.Context, req *notebookv1.ListNotebooksRequest) (*notebookv1.ListNotebooksResponse, error) {
	q := url.Values{}
	if req.GetLimit() != 0 {
		q.Set("limit", strconv.Itoa(int(req.GetLimit())))
	}
	if req.GetOffset() != 0 {
		q.Set("offset", strconv.Itoa(int(req.GetOffset())))
	}
	path := "/v1/" + url.PathEscape(req.GetProjectId()) + "/notebooks"
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	body, err := s.do(ctx, http.MethodGet, path)
	if err != nil {
		return nil, err
	}
	var out notebookv1.ListNotebooksResponse
	if err := vendorjson.Unmarshal(body, &out); err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return &out, nil
}

// buffers are what answers are read into, as the facade reads them.
var buffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// do sends one request and returns a 2xx answer's body.
func (s *service) do(ctx context.Context, method, path string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, s.base+path, nil)
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	req.Header.Set("X-Auth-Token", s.token)
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, status.Error(codes.Unavailable, err.Error())
	}
	defer resp.Body.Close()
	buf := buffers.Get().(*bytes.Buffer)
	defer func() { buf.Reset(); buffers.Put(buf) }()
	if _, err := buf.ReadFrom(resp.Body); err != nil {
		return nil, status.Error(codes.Unavailable, err.Error())
	}
	if resp.StatusCode/100 != 2 {
		return nil, status.Errorf(codes.Unknown, "HTTP %d: %.200s", resp.StatusCode, buf.Bytes())
	}
	return bytes.Clone(buf.Bytes()), nil
}

// marshaler writes the vendor's JSON, as the facade's mirror does.
type marshaler struct{ runtime.JSONPb }

func (m *marshaler) Marshal(v any) ([]byte, error) {
	if msg, ok := v.(proto.Message); ok {
		return vendorjson.Marshal(msg)
	}
	return m.JSONPb.Marshal(v)
}

func (m *marshaler) NewEncoder(w io.Writer) runtime.Encoder {
	return runtime.EncoderFunc(func(v any) error {
		b, err := m.Marshal(v)
		if err != nil {
			return err
		}
		_, err = w.Write(b)
		return err
	})
}
