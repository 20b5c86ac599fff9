package server_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	devenvv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/devenv/v1"
	"github.com/devenv-facade/devenv-facade/internal/cloudauth"
	"github.com/devenv-facade/devenv-facade/internal/emulator"
	"github.com/devenv-facade/devenv-facade/internal/logbuf"
	"github.com/devenv-facade/devenv-facade/internal/server"
)

// TestLogLine_peerIsTheCallersAddress: a call's log line names its peer as
// the address the caller's connection has, over gRPC and over the mirror
// (the addresses keep their text, made once, rather than formatting it
// for every line).
func TestLogLine_peerIsTheCallersAddress(t *testing.T) {
	t.Parallel()
	var logs logbuf.Buffer
	f := startFacade(t, emulator.MustNew(emulator.Options{}), func(o *server.Options) {
		o.Credentials = cloudauth.Token("service-token")
		o.Logger = slog.New(slog.NewJSONHandler(&logs, nil))
	})
	// gRPC, on a connection whose local address is known.
	var local net.Addr
	conn, err := grpc.NewClient(f.grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithContextDialer(func(ctx context.Context, addr string) (net.Conn, error) {
			c, err := (&net.Dialer{}).DialContext(ctx, "tcp", addr)
			if err == nil {
				local = c.LocalAddr()
			}
			return c, err
		}))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx := metadata.AppendToOutgoingContext(t.Context(), "x-request-id", "peer-grpc")
	if _, err := devenvv1.NewDevEnvServiceClient(conn).DeleteInstance(ctx, &devenvv1.DeleteInstanceRequest{ProjectId: project, InstanceId: "fault-n1"}); err != nil {
		t.Fatal(err)
	}
	checkPeer(t, &logs, "peer-grpc", local.String())

	// REST, likewise.
	var restLocal net.Addr
	hc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if err == nil {
			restLocal = c.LocalAddr()
		}
		return c, err
	}}}
	defer hc.CloseIdleConnections()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodDelete, f.httpURL+"/v1/"+project+"/demanager/instances/fault-n2", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Request-Id", "peer-rest")
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatal(resp.Status)
	}
	checkPeer(t, &logs, "peer-rest", restLocal.String())
}

// checkPeer waits for the log line of the call requestID and checks its
// peer.
func checkPeer(t *testing.T, logs *logbuf.Buffer, requestID, want string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	line, err := logs.WaitFor(ctx, `"msg":"rpc"`, `"request_id":"`+requestID+`"`)
	if err != nil {
		t.Fatalf("no log line for %s: %v", requestID, err)
	}
	var rec map[string]any
	if err := json.Unmarshal([]byte(line), &rec); err != nil {
		t.Fatal(err)
	}
	if rec["peer"] != want {
		t.Errorf("%s: peer %v; want %q (line %s)", requestID, rec["peer"], want, line)
	}
}
