package server_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"testing"
	"time"

	devenvv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/devenv/v1"
	"github.com/devenv-facade/devenv-facade/internal/cloudauth"
	"github.com/devenv-facade/devenv-facade/internal/emulator"
	"github.com/devenv-facade/devenv-facade/internal/logjson"
	"github.com/devenv-facade/devenv-facade/internal/metrics"
	"github.com/devenv-facade/devenv-facade/internal/options"
	"github.com/devenv-facade/devenv-facade/internal/server"
)

// BenchmarkDeleteInstance is one DeleteInstance through the whole facade
// as it runs by default (metrics on, one JSON log line per call written as
// cmd/devenv-facade writes it, here to io.Discard) to the emulator, over
// gRPC and over the mirror, all in this process on loopback: what the
// harness's DeleteInstance scenarios cost per call, with the clients' and
// the emulator's work included. Its allocations per op are the figure to
// compare between builds.
func BenchmarkDeleteInstance(b *testing.B) {
	f := startFacade(b, emulator.MustNew(emulator.Options{RequestLog: options.None}), func(o *server.Options) {
		o.Credentials = cloudauth.Token("bench-token") // as the harness's; redacted as any token
		o.Metrics = metrics.New()
		o.Logger = slog.New(logjson.NewHandler(io.Discard, logjson.Options{DurationsInMillis: true})) // as cmd/devenv-facade's
	})
	b.Run("grpc", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			i++
			id := "fault-g" + strconv.Itoa(i)
			if _, err := f.client.DeleteInstance(b.Context(), &devenvv1.DeleteInstanceRequest{ProjectId: project, InstanceId: id}); err != nil {
				b.Fatal(err)
			}
		}
	})
	// As the harness's callers: each call with a 30 s deadline, which is
	// then the call's (no earlier than the client's timeout would be).
	b.Run("grpc-deadline", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			i++
			id := "fault-g" + strconv.Itoa(1_000_000_000+i)
			ctx, cancel := context.WithTimeout(b.Context(), 30*time.Second)
			_, err := f.client.DeleteInstance(ctx, &devenvv1.DeleteInstanceRequest{ProjectId: project, InstanceId: id})
			cancel()
			if err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("mirror", func(b *testing.B) {
		hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
		defer hc.CloseIdleConnections()
		base := f.httpURL + "/v1/" + project + "/demanager/instances/fault-m"
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			i++
			req, err := http.NewRequestWithContext(b.Context(), http.MethodDelete, base+strconv.Itoa(i), nil)
			if err != nil {
				b.Fatal(err)
			}
			resp, err := hc.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Fatal(resp.Status)
			}
		}
	})
}
