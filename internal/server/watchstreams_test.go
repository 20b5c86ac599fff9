package server_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	devenvv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/devenv/v1"
	notebookv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/notebook/v1"
	"github.com/devenv-facade/devenv-facade/internal/apierror"
	"github.com/devenv-facade/devenv-facade/internal/callerauth"
	"github.com/devenv-facade/devenv-facade/internal/cloudauth"
	"github.com/devenv-facade/devenv-facade/internal/emulator"
	"github.com/devenv-facade/devenv-facade/internal/logbuf"
	"github.com/devenv-facade/devenv-facade/internal/server"
)

// firstWatchAnswer opens a watch with open and returns its first answer's
// error (nil for an event), and the response header.
func firstWatchAnswer[T any](ctx context.Context, open func(context.Context, ...grpc.CallOption) (grpc.ServerStreamingClient[T], error)) (metadata.MD, error) {
	var header metadata.MD
	w, err := open(ctx, grpc.Header(&header))
	if err == nil {
		_, err = w.Recv()
	}
	if err == nil {
		// The call option fills header once the stream ends; a watch
		// that runs goes on.
		header, err = w.Header()
	}
	return header, err
}

// TestWatch_authorizedByTheRequest: a watch is authorized as a unary call
// of its project is, by the project of its request and the declared
// access (read): a caller that may read the project is let through to the
// handler (UNIMPLEMENTED until the watch is served, or its first event), one
// that may not is refused with PERMISSION_DENIED before the handler runs,
// a malformed project is INVALID_ARGUMENT; over both APIs, and nothing
// reaches ModelArts for the refused ones. Each call, refused or not, has its
// request ID in the response header and one log line when it ends.
func TestWatch_authorizedByTheRequest(t *testing.T) {
	t.Parallel()
	other := strings.Repeat("9", 32)
	sum := func(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }
	path := filepath.Join(t.TempDir(), "callers.yaml")
	writeTestFile(t, path, "callers:\n"+
		"  - {name: writer, token_sha256: "+sum("writer-bearer")+", projects: [\""+project+"\"]}\n"+
		"  - {name: reader, token_sha256: "+sum("reader-bearer")+", read_only_projects: [\""+project+"\"]}\n"+
		"  - {name: stranger, token_sha256: "+sum("stranger-bearer")+", projects: [\""+other+"\"]}\n")
	callers, err := callerauth.Load(path, callerauth.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var logs logbuf.Buffer
	emu := emulator.MustNew(emulator.Options{})
	f := startFacade(t, emu, func(o *server.Options) {
		o.Credentials, o.Callers = cloudauth.Token("service-token"), callers
		o.Logger = slog.New(slog.NewJSONHandler(&logs, nil))
	})
	watches := map[string]func(ctx context.Context, project string) (metadata.MD, error){
		"WatchNotebooks": func(ctx context.Context, project string) (metadata.MD, error) {
			return firstWatchAnswer(ctx, func(ctx context.Context, o ...grpc.CallOption) (grpc.ServerStreamingClient[notebookv1.WatchNotebooksResponse], error) {
				return f.notebooks.WatchNotebooks(ctx, &notebookv1.WatchNotebooksRequest{ProjectId: project}, o...)
			})
		},
		"WatchInstances": func(ctx context.Context, project string) (metadata.MD, error) {
			return firstWatchAnswer(ctx, func(ctx context.Context, o ...grpc.CallOption) (grpc.ServerStreamingClient[devenvv1.WatchInstancesResponse], error) {
				return f.client.WatchInstances(ctx, &devenvv1.WatchInstancesRequest{ProjectId: project}, o...)
			})
		},
	}
	tests := []struct {
		name, bearer, project string
		refused               codes.Code // OK: let through to the handler
		reason                string
	}{
		{"writer", "writer-bearer", project, codes.OK, ""},
		{"reader", "reader-bearer", project, codes.OK, ""},
		{"other_project", "stranger-bearer", project, codes.PermissionDenied, apierror.ReasonProjectNotPermitted},
		{"malformed_project", "writer-bearer", "../" + project, codes.InvalidArgument, apierror.ReasonInvalidArgument},
	}
	for method, watch := range watches {
		for _, tt := range tests {
			requestID := "watch-" + method + "-" + tt.name
			ctx := metadata.AppendToOutgoingContext(t.Context(), "authorization", "Bearer "+tt.bearer, "x-request-id", requestID)
			header, err := watch(ctx, tt.project)
			code := status.Code(err)
			switch {
			case tt.refused != codes.OK && (code != tt.refused || apierror.FromStatus(status.Convert(err)).Reason() != tt.reason):
				t.Errorf("%s %s: %v; want %v/%s", method, tt.name, err, tt.refused, tt.reason)
			case tt.refused == codes.OK && err != nil && code != codes.Unimplemented:
				t.Errorf("%s %s: %v; want the watch's first event (or UNIMPLEMENTED until it is served)", method, tt.name, err)
			}
			if got := header.Get("x-request-id"); len(got) != 1 || got[0] != requestID {
				t.Errorf("%s %s: x-request-id header %q; want %q", method, tt.name, got, requestID)
			}
			if tt.refused == codes.OK && err == nil {
				continue // a watch that runs logs when it ends
			}
			waitCtx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			line, werr := logs.WaitFor(waitCtx, `"msg":"rpc"`, `"request_id":"`+requestID+`"`)
			cancel()
			if werr != nil {
				t.Errorf("%s %s: no log line for the call: %v", method, tt.name, werr)
				continue
			}
			var rec map[string]any
			if err := json.Unmarshal([]byte(line), &rec); err != nil {
				t.Fatal(err)
			}
			if rec["method"] != "/"+map[string]string{"WatchNotebooks": notebookv1.NotebookService_ServiceDesc.ServiceName,
				"WatchInstances": devenvv1.DevEnvService_ServiceDesc.ServiceName}[method]+"/"+method ||
				rec["code"] != code.String() || rec["messages_sent"] != 0.0 {
				t.Errorf("%s %s: log line %s", method, tt.name, line)
			}
			if tt.refused == codes.PermissionDenied && rec["reason"] != tt.reason {
				t.Errorf("%s %s: log line without the reason: %s", method, tt.name, line)
			}
		}
	}
	if n := strings.Count(logs.String(), `"msg":"rpc"`); n > 2*len(tests) {
		t.Errorf("%d log lines for %d calls", n, 2*len(tests))
	}
	for _, r := range emu.Requests() {
		if r.Header.Get("X-Auth-Token") != "service-token" {
			t.Errorf("ModelArts saw %s %s with a token not the facade's", r.Method, r.Path)
		}
	}
	if strings.Contains(logs.String(), "-bearer") {
		t.Error("the log holds a caller's bearer token")
	}
}

// TestWatchWithoutRequestIsEnded: a watch that sends its headers but no
// request waits as any call without its request does: it is ended after
// the request read timeout, and does not delay shutdown.
func TestWatchWithoutRequestIsEnded(t *testing.T) {
	t.Parallel()
	f := startFacade(t, emulator.MustNew(emulator.Options{}), func(o *server.Options) {
		o.Credentials = cloudauth.Token("t")
		o.RequestReadTimeout = 200 * time.Millisecond
	})
	c := dialH2(t, f.grpcAddr)
	ids := []uint32{1, 3}
	if err := c.headers(1, notebookv1.NotebookService_WatchNotebooks_FullMethodName, nil); err != nil {
		t.Fatal(err)
	}
	if err := c.headers(3, devenvv1.DevEnvService_WatchInstances_FullMethodName, nil); err != nil {
		t.Fatal(err)
	}
	// Nothing but the request read timeout ends these streams (ends fails
	// after 20s, a hundred times the timeout).
	for id, code := range c.ends(ids, 20*time.Second) {
		if code != int(codes.Canceled) && code != -1 {
			t.Errorf("stream %d ended with %d; want CANCELLED or a reset", id, code)
		}
	}
}
