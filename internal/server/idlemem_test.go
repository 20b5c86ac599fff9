package server_test

import (
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/devenv-facade/devenv-facade/internal/cloudauth"
	"github.com/devenv-facade/devenv-facade/internal/emulator"
	"github.com/devenv-facade/devenv-facade/internal/server"
)

// TestIdleConnectionMemory: an idle gRPC connection (one that has made a
// call) keeps no write buffer of its own: grpc-go's transport returns it
// to a shared pool after each flush, as it does by default since the
// option that asked for it (grpc.SharedWriteBuffer) was deprecated. With
// the client in the same process, a connection costs about 59 KiB of live
// heap for both ends together, with the option (as the facade used to
// set it) and without it alike; with grpc.SharedWriteBuffer(false), a
// write buffer of its own, about 91 KiB.
//
// Not parallel: the live heap is the process's.
func TestIdleConnectionMemory(t *testing.T) {
	f := startFacade(t, emulator.MustNew(emulator.Options{}), func(o *server.Options) { o.Credentials = cloudauth.Token("t") })
	const n = 200
	gc()
	_, before := heapBytes()
	conns := make([]*grpc.ClientConn, 0, n)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range n {
		c, err := grpc.NewClient(f.grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		if _, err := healthpb.NewHealthClient(c).Check(t.Context(), &healthpb.HealthCheckRequest{}); err != nil {
			t.Fatal(err)
		}
	}
	gc()
	_, after := heapBytes()
	per := float64(after-before) / n
	t.Logf("%.1f KiB of live heap per idle connection, client and server", per/1024)
	if per > 75<<10 {
		t.Errorf("%.1f KiB per idle connection; want under 75 KiB: does each connection keep a write buffer of its own?", per/1024)
	}
}
