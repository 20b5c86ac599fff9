package main

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/devenv-facade/devenv-facade/internal/clock/clocktest"

	"github.com/devenv-facade/devenv-facade/internal/cloudauth"
	"github.com/devenv-facade/devenv-facade/internal/emulator"
	"github.com/devenv-facade/devenv-facade/internal/logbuf"
	"github.com/devenv-facade/devenv-facade/internal/server"
)

// newE2EClock returns the clock the emulator and the facade share: it
// moves when the test advances it or the facade pauses between two reads
// of an instance it waits for.
func newE2EClock() *clocktest.Fake {
	c := clocktest.New(clocktest.Start)
	c.AdvanceOnWait(true)
	return c
}

// startRealFacade runs the whole facade on loopback in front of an
// emulator on clock, until the test ends, and returns its gRPC address;
// set, if given, changes its options first.
func startRealFacade(t *testing.T, clock *clocktest.Fake, set ...func(*server.Options)) string {
	t.Helper()
	up := httptest.NewServer(emulator.MustNew(emulator.Options{Clock: clock}))
	t.Cleanup(up.Close)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	opts := server.Options{}
	opts.GRPCListener, opts.Endpoint = lis, up.URL
	opts.Credentials = cloudauth.Token("facade-token")
	opts.Clock = clock
	opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, f := range set {
		f(&opts)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- server.Run(ctx, opts) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("server.Run: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("server.Run did not return within 30s of cancellation")
		}
	})
	return lis.Addr().String()
}

// TestEndToEnd walks an instance through its life with devenvctl against
// the real facade over loopback, the emulator behind it: create, get
// (CREATING, then RUNNING), list, update, delete refused while running
// (exit 6, ModelArts.6304), stop --wait, delete --wait, get (exit 4).
func TestEndToEnd(t *testing.T) {
	t.Parallel()
	clock := newE2EClock()
	env := map[string]string{"DEVENVCTL_ADDR": startRealFacade(t, clock), "DEVENVCTL_PROJECT": emulator.SampleProjectID}
	ctl := func(want int, args ...string) result {
		t.Helper()
		r := invoke(t.Context(), env, args...)
		if r.code != want {
			t.Fatalf("devenvctl %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.code, want, r.stdout, r.stderr)
		}
		return r
	}
	instance := func(r result) map[string]any {
		t.Helper()
		var in map[string]any
		if err := json.Unmarshal([]byte(r.stdout), &in); err != nil {
			t.Fatalf("not one JSON object: %v\n%s", err, r.stdout)
		}
		return in
	}

	in := instance(ctl(0, "create", "--name", "e2e-ctl", "--profile-id", "Multi-Engine 1.0 (python3)-cpu",
		"--flavor", "modelarts.vm.cpu.2u", "--storage-path", "/bucket/e2e/", "--auto-stop", "1h", "-o", "json"))
	id, _ := in["id"].(string)
	if in["status"] != "CREATING" || !strings.HasPrefix(id, "DE-") {
		t.Fatalf("created %v; want CREATING with a DE- ID", in)
	}
	if s := instance(ctl(0, "get", id, "-o", "json"))["status"]; s != "CREATING" {
		t.Fatalf("get right after create: %v; want CREATING", s)
	}
	clock.Advance(emulator.DefaultLifecycle().Create)
	if s := instance(ctl(0, "get", id, "-o", "json"))["status"]; s != "RUNNING" {
		t.Fatalf("get after the create delay: %v; want RUNNING", s)
	}
	table := ctl(0, "list", "--status", "RUNNING", "--sortby", "name", "--order", "desc", "--page-size", "1", "--all").stdout
	if lines := strings.Split(strings.TrimSpace(table), "\n"); len(lines) < 3 || !strings.HasPrefix(lines[0], "ID") ||
		!strings.Contains(table, id) || strings.Contains(table, "STOPPED") {
		t.Errorf("list --status RUNNING --all: want a header and at least two running instances, ours among them:\n%s", table)
	}
	up := instance(ctl(0, "update", id, "--description", "updated by devenvctl", "--no-auto-stop", "-o", "json"))
	if up["description"] != "updated by devenvctl" {
		t.Errorf("update: %v", up)
	}

	r := ctl(6, "delete", id)
	if !strings.Contains(r.stderr, "FAILED_PRECONDITION") || !strings.Contains(r.stderr, "ModelArts.6304") {
		t.Errorf("delete while running: stderr %q; want FAILED_PRECONDITION and ModelArts.6304", r.stderr)
	}
	if s := ctl(0, "stop", id, "--wait").stdout; !strings.Contains(s, "STOPPED") {
		t.Errorf("stop --wait printed %q; want STOPPED", s)
	}
	ctl(0, "delete", id, "--wait")
	r = ctl(4, "get", id)
	if !strings.Contains(r.stderr, "NOT_FOUND") || !strings.Contains(r.stderr, "ModelArts.6309") {
		t.Errorf("get after delete: stderr %q; want NOT_FOUND and ModelArts.6309", r.stderr)
	}
}

// TestEndToEnd_createWaitInterrupted: Ctrl-C during create --wait stops
// the wait, not the create: devenvctl said which instance it waits for as
// soon as the facade had it, and the error says the instance was created
// and how to see it; it is there.
func TestEndToEnd_createWaitInterrupted(t *testing.T) {
	t.Parallel()
	// The wait never ends by itself: the clock moves only when told, so
	// the instance stays CREATING and the pause between reads lasts until
	// the call is cancelled.
	addr := startRealFacade(t, clocktest.New(clocktest.Start))
	env := map[string]string{"DEVENVCTL_ADDR": addr, "DEVENVCTL_PROJECT": emulator.SampleProjectID}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }

	ctx, interrupt := context.WithCancel(t.Context())
	defer interrupt()
	var stdout strings.Builder
	var stderr logbuf.Buffer
	// The line is awaited until devenvctl ends, or for 30s at most: a
	// bound, not a pause.
	wctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"create", "--name", "interrupted", "--profile-id", "Multi-Engine 1.0 (python3)-cpu",
			"--flavor", "modelarts.vm.cpu.2u", "--storage-path", "/bucket/interrupted/", "--wait"}, lookup, &stdout, &stderr)
		cancel()
	}()
	line, err := stderr.WaitFor(wctx, "devenvctl: created instance ", "; waiting until it is RUNNING")
	if err != nil {
		t.Fatalf("devenvctl did not say which instance it waits for (%v); stderr:\n%s", err, stderr.String())
	}
	id := strings.Fields(strings.TrimPrefix(line, "devenvctl: created instance "))[0]
	id = strings.TrimSuffix(id, ";")
	interrupt() // Ctrl-C
	err = <-done
	if code := exitCode(err); code != 130 {
		t.Errorf("exit %d; want 130 (CANCELLED)", code)
	}
	want := "  instance " + id + " was created: ModelArts accepted the create, only the wait did not finish; see it with: devenvctl get " + id + "\n"
	if got := stderr.String(); !strings.Contains(got, "devenvctl: CANCELLED: ") || !strings.HasSuffix(got, want) {
		t.Errorf("stderr:\n%s\nwant CANCELLED, then:\n%s", got, want)
	}
	if stdout.String() != "" {
		t.Errorf("stdout %q; want nothing", stdout.String())
	}
	r := invoke(t.Context(), env, "get", id, "-o", "json")
	if r.code != 0 || !strings.Contains(r.stdout, `"name": "interrupted"`) {
		t.Errorf("get %s: exit %d\n%s%s; want the instance created", id, r.code, r.stdout, r.stderr)
	}
}

// TestEndToEnd_tlsMismatch: devenvctl without --tls against the facade
// serving TLS, and with --tls against one serving plain text, says which
// flag to change.
func TestEndToEnd_tlsMismatch(t *testing.T) {
	t.Parallel()
	clock := newE2EClock()
	p := newPKI(t)
	tlsAddr := startRealFacade(t, clock, func(o *server.Options) {
		o.TLS = &tls.Config{Certificates: []tls.Certificate{p.server}, MinVersion: tls.VersionTLS12}
	})
	plainAddr := startRealFacade(t, clock)
	tests := []struct {
		name, addr string
		args       []string
		want       string
	}{
		{"plaintext_to_tls", tlsAddr, nil, "  the facade closed the connection at once: if it serves TLS (--tls-cert), add --tls"},
		{"tls_to_plaintext", plainAddr, []string{"--tls"}, "  the facade answered in plain text, not TLS: it serves no certificate (no --tls-cert), so drop --tls"},
		{"ca_file_to_plaintext", plainAddr, []string{"--ca-file", p.caFile}, "so drop --tls (and --ca-file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := map[string]string{"DEVENVCTL_ADDR": tt.addr, "DEVENVCTL_PROJECT": emulator.SampleProjectID}
			r := invoke(t.Context(), env, append([]string{"list", "--timeout", "30s"}, tt.args...)...)
			if r.code != 8 || !strings.Contains(r.stderr, "devenvctl: UNAVAILABLE: ") || !strings.Contains(r.stderr, tt.want) {
				t.Errorf("exit %d, stderr:\n%s\nwant 8 and %q", r.code, r.stderr, tt.want)
			}
		})
	}
	// The right way round works, and says nothing of TLS.
	r := invoke(t.Context(), map[string]string{"DEVENVCTL_ADDR": tlsAddr, "DEVENVCTL_PROJECT": emulator.SampleProjectID,
		"DEVENVCTL_CA_FILE": p.caFile}, "list")
	if r.code != 0 || r.stderr != "" {
		t.Errorf("--ca-file against TLS: exit %d, stderr %q", r.code, r.stderr)
	}
}
