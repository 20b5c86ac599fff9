package service_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	devenvv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/devenv/v1"
	notebookv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/notebook/v1"
	"github.com/devenv-facade/devenv-facade/internal/cloudauth"
	"github.com/devenv-facade/devenv-facade/internal/emulator"
	"github.com/devenv-facade/devenv-facade/internal/mirror"
	"github.com/devenv-facade/devenv-facade/internal/modelarts"
	"github.com/devenv-facade/devenv-facade/internal/options"
	"github.com/devenv-facade/devenv-facade/service"
)

// BenchmarkDeleteInstanceInProcess is the whole in-process path: service
// (validation, mapping) -> client -> emulator over loopback HTTP.
func BenchmarkDeleteInstanceInProcess(b *testing.B) {
	srv := httptest.NewServer(emulator.MustNew(emulator.Options{RequestLog: options.None}))
	defer srv.Close()
	hc := modelarts.NewHTTPClient(0)
	defer hc.CloseIdleConnections()
	mc, err := modelarts.NewClient(hc, srv.URL, modelarts.Options{Credentials: cloudauth.Token("t")})
	if err != nil {
		b.Fatal(err)
	}
	svc := newService(b, mc, service.Options{})
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		id := "fault-n" + strconv.Itoa(i)
		resp, err := svc.DeleteInstance(b.Context(), &devenvv1.DeleteInstanceRequest{ProjectId: project, InstanceId: id})
		if err != nil || resp.GetInstanceId() != id {
			b.Fatal(resp, err)
		}
	}
}

// readProject holds the 100 instances of the read benchmarks.
const readProject = "be4c00000000000000000000000b3e4c"

// readEmulator is an emulator with 100 RUNNING instances and 100 RUNNING
// notebooks (each with a token, which callers never get) in readProject,
// shaped as the create endpoints make them, and a service over it; it
// returns the service and the first instance's ID.
func readEmulator(b *testing.B) (*service.Service, string) {
	b.Helper()
	emu := emulator.MustNew(emulator.Options{RequestLog: options.None, NoSamples: true})
	for i := range 100 {
		emu.AddNotebook(readProject, emulator.Notebook{
			ID: fmt.Sprintf("00000000-0000-0000-0000-%012d", i), Name: fmt.Sprintf("bench-%03d", i),
			Description: "devenv-bench: a notebook with the fields the new API fills", Status: emulator.NotebookRunning,
			Flavor: "modelarts.vm.cpu.2u", ImageID: "e1a07296-22a8-4f05-8bc8-e936c8e54090",
			Volume:    emulator.Volume{Category: "EVS", Ownership: "MANAGED", Capacity: 50},
			Endpoints: []emulator.Endpoint{{Service: "SSH", KeyPairNames: []string{"bench-key-1"}, AllowedAccessIPs: []string{"192.0.2.1"}}},
		})
		emu.AddInstance(readProject, emulator.Instance{
			ID: fmt.Sprintf("DE-00000000-0000-0000-0000-%012d", i), Name: fmt.Sprintf("bench-%03d", i),
			Status: emulator.StatusRunning, Flavor: "modelarts.vm.cpu.2u", ProfileID: "Multi-Engine 1.0 (python3)-cpu",
			Description: "devenv-bench", Storage: emulator.Storage{Type: "obs", Path: "/bucket/dir/"},
		})
	}
	srv := httptest.NewServer(emu)
	b.Cleanup(srv.Close)
	hc := modelarts.NewHTTPClient(0)
	b.Cleanup(hc.CloseIdleConnections)
	mc, err := modelarts.NewClient(hc, srv.URL, modelarts.Options{Credentials: cloudauth.Token("t")})
	if err != nil {
		b.Fatal(err)
	}
	return newService(b, mc, service.Options{}), "DE-00000000-0000-0000-0000-000000000000"
}

// BenchmarkListInstances100InProcess is ListInstances answering 100
// instances (about 120 KB of vendor JSON), service -> client -> emulator
// over loopback HTTP; the emulator's time is included.
func BenchmarkListInstances100InProcess(b *testing.B) {
	svc, _ := readEmulator(b)
	req := &devenvv1.ListInstancesRequest{ProjectId: readProject, DeType: "Notebook"}
	b.ReportAllocs()
	for b.Loop() {
		resp, err := svc.ListInstances(b.Context(), req)
		if err != nil || len(resp.GetInstances()) != 100 {
			b.Fatal(len(resp.GetInstances()), err)
		}
	}
}

// BenchmarkListNotebooks100InProcess is ListNotebooks answering 100
// notebooks of the new API, service -> client -> emulator over loopback
// HTTP; the emulator's time is included.
func BenchmarkListNotebooks100InProcess(b *testing.B) {
	svc, _ := readEmulator(b)
	req := &notebookv1.ListNotebooksRequest{ProjectId: readProject, Limit: 100}
	b.ReportAllocs()
	for b.Loop() {
		resp, err := svc.ListNotebooks(b.Context(), req)
		if err != nil || len(resp.GetData()) != 100 {
			b.Fatal(len(resp.GetData()), err)
		}
	}
}

// BenchmarkListNotebooks100REST is ListNotebooks answering 100 notebooks
// over the REST mirror, in process: the mirror's answer is the vendor's
// JSON less each notebook's token (forCallers).
func BenchmarkListNotebooks100REST(b *testing.B) {
	svc, _ := readEmulator(b)
	h, err := mirror.New(b.Context(), []mirror.Service{mirror.NotebookService(svc)}, svc.UnaryInterceptor(), mirror.Options{})
	if err != nil {
		b.Fatal(err)
	}
	url := "/v1/" + readProject + "/notebooks?limit=100"
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequestWithContext(b.Context(), http.MethodGet, url, nil))
		if w.Code != http.StatusOK || w.Body.Len() < 100_000 || strings.Contains(w.Body.String(), `"token"`) {
			b.Fatal(w.Code, w.Body.Len())
		}
	}
}

// BenchmarkGetInstanceInProcess is GetInstance, service -> client ->
// emulator over loopback HTTP.
func BenchmarkGetInstanceInProcess(b *testing.B) {
	svc, id := readEmulator(b)
	req := &devenvv1.GetInstanceRequest{ProjectId: readProject, InstanceId: id}
	b.ReportAllocs()
	for b.Loop() {
		resp, err := svc.GetInstance(b.Context(), req)
		if err != nil || resp.GetInstance().GetId() != id {
			b.Fatal(resp, err)
		}
	}
}

// BenchmarkListInstances100REST is ListInstances answering 100 instances
// over the REST mirror, in process (no socket between the caller and the
// mirror): the mirror's routing and answer writing, the service, the
// client and the emulator over loopback HTTP.
func BenchmarkListInstances100REST(b *testing.B) {
	svc, _ := readEmulator(b)
	h, err := mirror.New(b.Context(), []mirror.Service{mirror.DevEnvService(svc)}, svc.UnaryInterceptor(), mirror.Options{})
	if err != nil {
		b.Fatal(err)
	}
	url := "/v1/" + readProject + "/demanager/instances?de_type=Notebook"
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequestWithContext(b.Context(), http.MethodGet, url, nil))
		if w.Code != http.StatusOK || w.Body.Len() < 100_000 {
			b.Fatal(w.Code, w.Body.Len())
		}
	}
}

// BenchmarkGetInstanceNotFoundInProcess is the error path of a call:
// GetInstance of an instance ModelArts does not know (HTTP 400,
// ModelArts.6309), service -> client -> emulator over loopback HTTP, and
// the error the service returns read as a gRPC server would send it
// (status.Convert).
func BenchmarkGetInstanceNotFoundInProcess(b *testing.B) {
	svc, _ := readEmulator(b)
	req := &devenvv1.GetInstanceRequest{ProjectId: readProject, InstanceId: "DE-00000000-0000-0000-0000-00000000dead"}
	b.ReportAllocs()
	for b.Loop() {
		_, err := svc.GetInstance(b.Context(), req)
		if st := status.Convert(err); st.Code() != codes.NotFound || len(st.Proto().GetDetails()) == 0 {
			b.Fatal(err)
		}
	}
}

// BenchmarkGetInstanceNotFoundREST is the error path over the REST mirror,
// in process: GetInstance of an instance ModelArts does not know, through
// the call interceptor (with its log line, to a discarding handler) and
// the mirror's vendor-shaped error answer.
func BenchmarkGetInstanceNotFoundREST(b *testing.B) {
	svc, _ := readEmulator(b)
	h, err := mirror.New(b.Context(), []mirror.Service{mirror.DevEnvService(svc)}, svc.UnaryInterceptor(), mirror.Options{})
	if err != nil {
		b.Fatal(err)
	}
	url := "/v1/" + readProject + "/demanager/instances/DE-00000000-0000-0000-0000-00000000dead"
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequestWithContext(b.Context(), http.MethodGet, url, nil))
		if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), "ModelArts.6309") {
			b.Fatal(w.Code, w.Body.String())
		}
	}
}
