package server

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	devenvv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/devenv/v1"
	"github.com/devenv-facade/devenv-facade/internal/callerauth"
	"github.com/devenv-facade/devenv-facade/internal/cloudauth"
	"github.com/devenv-facade/devenv-facade/internal/emulator"
)

// held describes what the registry still holds of pending calls' room,
// or "" if nothing.
func (r *streams) held() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var held []string
	if len(r.all) != 0 || r.pending != 0 {
		held = append(held, fmt.Sprintf("%d calls, %d pending", len(r.all), r.pending))
	}
	for standing, sh := range r.shares {
		if sh.used != (budget{}) || len(sh.byKey) != 0 {
			held = append(held, fmt.Sprintf("share %d: %+v used, %d callers", standing, sh.used, len(sh.byKey)))
		}
	}
	return strings.Join(held, "; ")
}

// TestNothingHeldAfterCalls: whatever becomes of a call, once it has ended
// nothing of it stays: what the request check found is taken by the call
// even when authorization refuses it, and no room of pending calls stays
// taken, whether the call was refused at its headers (no credentials, an
// unknown method), by authorization or by validation, reset before its
// request arrived, or its REST body could not be read.
func TestNothingHeldAfterCalls(t *testing.T) {
	t.Parallel()
	up := httptest.NewServer(emulator.MustNew(emulator.Options{NoSamples: true}))
	defer up.Close()
	sum := func(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }
	path := filepath.Join(t.TempDir(), "callers.yaml")
	err := os.WriteFile(path, []byte("callers:\n"+
		"  - {name: writer, token_sha256: "+sum("writer-token")+", projects: ['*']}\n"+
		"  - {name: reader, token_sha256: "+sum("reader-token")+", read_only_projects: ['*']}\n"), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	callers, err := callerauth.Load(path, callerauth.Options{TokenHolders: callerauth.ForwardTokenHolders})
	if err != nil {
		t.Fatal(err)
	}
	listen := func() net.Listener {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	opts := Options{}
	opts.GRPCListener, opts.HTTPListener, opts.Endpoint = listen(), listen(), up.URL
	opts.Credentials, opts.Callers = cloudauth.Token("t"), callers
	opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx) }()
	defer func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("Serve: %v", err)
		}
	}()
	conn, err := grpc.NewClient(opts.GRPCListener.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	client := devenvv1.NewDevEnvServiceClient(conn)
	const project = "0123456789abcdef0123456789abcdef"
	// One spec.extend_storage entry over the bound: the check finds it.
	over := &devenvv1.CreateInstanceRequest{ProjectId: project, Spec: &devenvv1.CreateInstanceSpec{}}
	for range 17 {
		over.Spec.ExtendStorage = append(over.Spec.ExtendStorage, &devenvv1.Storage{})
	}
	as := func(md ...string) context.Context { return metadata.AppendToOutgoingContext(ctx, md...) }

	for _, c := range []struct {
		name string
		ctx  context.Context
		want codes.Code
	}{
		{"read_only", as("authorization", "Bearer reader-token"), codes.PermissionDenied},
		{"writer", as("authorization", "Bearer writer-token"), codes.InvalidArgument},
		{"token_holder", as("x-auth-token", "MIItoken"), codes.InvalidArgument},
		{"no_credentials", ctx, codes.Unauthenticated},
	} {
		if _, err := client.CreateInstance(c.ctx, over); status.Code(err) != c.want {
			t.Errorf("gRPC %s: %v; want %v", c.name, err, c.want)
		}
	}
	err = conn.Invoke(as("authorization", "Bearer writer-token"), "/modelarts.devenv.v1.DevEnvService/Nope", over, new(devenvv1.CreateInstanceResponse))
	if status.Code(err) != codes.Unimplemented {
		t.Errorf("gRPC unknown method: %v; want Unimplemented", err)
	}
	// A stream reset before its request: its headers reach the facade
	// (a call on the same connection after it is answered), then the
	// client cancels it.
	streamCtx, reset := context.WithCancel(as("authorization", "Bearer writer-token"))
	if _, err := conn.NewStream(streamCtx, &grpc.StreamDesc{}, devenvv1.DevEnvService_CreateInstance_FullMethodName); err != nil {
		t.Fatal(err)
	}
	if _, err := client.GetInstance(as("authorization", "Bearer reader-token"), &devenvv1.GetInstanceRequest{ProjectId: project, InstanceId: "x"}); status.Code(err) != codes.NotFound {
		t.Errorf("gRPC get: %v; want NotFound", err)
	}
	reset()

	url := "http://" + opts.HTTPListener.Addr().String() + "/v1/" + project + "/demanager/instances"
	overJSON := `{"spec":{"extend_storage":[` + strings.TrimSuffix(strings.Repeat("{},", 17), ",") + `]}}`
	for _, c := range []struct {
		name, header, value, body string
		want                      int
	}{
		{"read_only", "Authorization", "Bearer reader-token", overJSON, http.StatusForbidden},
		{"writer", "Authorization", "Bearer writer-token", overJSON, http.StatusBadRequest},
		{"token_holder", "X-Auth-Token", "MIItoken", overJSON, http.StatusBadRequest},
		{"not_json", "Authorization", "Bearer writer-token", `{"spec":`, http.StatusBadRequest},
	} {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(c.body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set(c.header, c.value)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.want {
			t.Errorf("REST %s: %d; want %d", c.name, resp.StatusCode, c.want)
		}
	}
	// A body that ends before its length: the read fails.
	raw, err := net.Dial("tcp", opts.HTTPListener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	_, err = fmt.Fprintf(raw, "POST /v1/%s/demanager/instances HTTP/1.1\r\nHost: facade\r\nAuthorization: Bearer writer-token\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"name\":", project)
	if err != nil {
		t.Fatal(err)
	}
	raw.(*net.TCPConn).CloseWrite()
	_, _ = io.Copy(io.Discard, raw) // until the facade closes the connection
	raw.Close()

	// Handlers forget their calls as they return, streams that end
	// without one when their context ends: both may come just after the
	// answer.
	deadline := time.Now().Add(30 * time.Second)
	for {
		held := s.streams.held()
		if n := s.check.Held(); n != 0 {
			held = strings.TrimPrefix(held+fmt.Sprintf("; the request check holds %d requests", n), "; ")
		}
		if held == "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after every call ended: %s", held)
		}
		time.Sleep(time.Millisecond)
	}
}
