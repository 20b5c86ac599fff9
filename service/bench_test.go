package service_test

import (
	"net/http/httptest"
	"strconv"
	"testing"

	devenvv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/devenv/v1"
	"github.com/devenv-facade/devenv-facade/internal/cloudauth"
	"github.com/devenv-facade/devenv-facade/internal/emulator"
	"github.com/devenv-facade/devenv-facade/internal/modelarts"
	"github.com/devenv-facade/devenv-facade/service"
)

// BenchmarkDeleteInstanceInProcess is the whole in-process path: service
// (validation, mapping) -> client -> emulator over loopback HTTP.
func BenchmarkDeleteInstanceInProcess(b *testing.B) {
	srv := httptest.NewServer(emulator.New(emulator.WithRequestLog(0)))
	defer srv.Close()
	hc := modelarts.NewHTTPClient(0)
	defer hc.CloseIdleConnections()
	mc, err := modelarts.NewClient(hc, srv.URL, modelarts.WithCredentials(cloudauth.Token("t")))
	if err != nil {
		b.Fatal(err)
	}
	svc := service.New(mc)
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
