package server_test

import (
	"io"
	"log/slog"
	"net/http"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	devenvv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/devenv/v1"
	"github.com/devenv-facade/devenv-facade/internal/cloudauth"
	"github.com/devenv-facade/devenv-facade/internal/emulator"
	"github.com/devenv-facade/devenv-facade/internal/server"
)

// BenchmarkErrorPath is what an error answer costs per call, through the
// whole facade to the emulator, all on loopback, with the default per-call
// log line (info level, to io.Discard): GetInstance of an instance
// ModelArts does not know (HTTP 400, ModelArts.6309), over gRPC (NOT_FOUND
// with its ErrorInfo) and over the REST mirror (the vendor's 400 body).
func BenchmarkErrorPath(b *testing.B) {
	f := startFacade(b, emulator.MustNew(emulator.Options{}), func(o *server.Options) {
		o.Credentials = cloudauth.Token("t")
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	})
	const gone = "DE-00000000-0000-0000-0000-00000000dead"
	b.Run("grpc", func(b *testing.B) {
		req := &devenvv1.GetInstanceRequest{ProjectId: project, InstanceId: gone}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := f.client.GetInstance(b.Context(), req); status.Code(err) != codes.NotFound {
				b.Fatal(err)
			}
		}
	})
	b.Run("rest", func(b *testing.B) {
		url := f.httpURL + "/v1/" + project + "/demanager/instances/" + gone
		hc := &http.Client{Transport: &http.Transport{}}
		b.Cleanup(hc.CloseIdleConnections)
		b.ReportAllocs()
		for b.Loop() {
			req, _ := http.NewRequestWithContext(b.Context(), http.MethodGet, url, nil)
			resp, err := hc.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusBadRequest {
				b.Fatal(resp.Status)
			}
		}
	})
}
