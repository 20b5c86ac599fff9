package main

import (
	"context"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/devenv-facade/devenv-facade/internal/apierror"
)

// modelArtsError is the status the facade answers for a ModelArts error.
func modelArtsError(c codes.Code, errorCode, msg, requestID string, retry time.Duration) error {
	return apierror.FromUpstream(apierror.Upstream{
		Code: c, Domain: apierror.DomainModelArts, Reason: "SOME_REASON", Message: msg + " (" + errorCode + ")",
		ErrorCode: errorCode, ErrorMessage: msg, HTTPStatus: 400, RequestID: requestID, RetryDelay: retry,
	}, apierror.Call{Credentials: apierror.CredentialsFacade, Attempts: 1})
}

// failWith answers every call with err.
func failWith(err error) answerFunc {
	return func(context.Context, string, proto.Message) (proto.Message, error) { return nil, err }
}

// TestExitCodes: the exit status follows the gRPC code's family, as the
// table in the package doc says.
func TestExitCodes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		code codes.Code
		want int
	}{
		{codes.OK, 0},
		{codes.Canceled, 130},
		{codes.Unknown, 1},
		{codes.InvalidArgument, 3},
		{codes.DeadlineExceeded, 9},
		{codes.NotFound, 4},
		{codes.AlreadyExists, 5},
		{codes.PermissionDenied, 7},
		{codes.ResourceExhausted, 8},
		{codes.FailedPrecondition, 6},
		{codes.Aborted, 8},
		{codes.OutOfRange, 3},
		{codes.Unimplemented, 1},
		{codes.Internal, 1},
		{codes.Unavailable, 8},
		{codes.DataLoss, 1},
		{codes.Unauthenticated, 7},
	}
	for _, tt := range tests {
		t.Run(codeName(tt.code), func(t *testing.T) {
			t.Parallel()
			var answer answerFunc
			if tt.code != codes.OK {
				answer = failWith(apierror.New(tt.code, "SOME_REASON", "it failed", "rid-1"))
			}
			f := startFake(t, answer)
			r := f.run(t, "delete", instanceID)
			if r.code != tt.want {
				t.Errorf("exit %d; want %d (stderr %q)", r.code, tt.want, r.stderr)
			}
			if tt.code != codes.OK && !strings.HasPrefix(r.stderr, "devenvctl: "+codeName(tt.code)+": Facade.SOME_REASON: it failed (request id rid-1)\n") {
				t.Errorf("stderr %q; want the code, error code, message and request ID", r.stderr)
			}
		})
	}
	if got := exitCode(os.ErrClosed); got != exitFailure {
		t.Errorf("exitCode(a local failure) = %d; want 1", got)
	}
}

// TestExitTable_complete: every gRPC code has exactly one row.
func TestExitTable_complete(t *testing.T) {
	t.Parallel()
	seen := map[codes.Code]int{}
	for _, r := range exitTable {
		for _, c := range r.codes {
			seen[c]++
		}
	}
	for c := codes.OK; c <= codes.Unauthenticated; c++ {
		if seen[c] != 1 {
			t.Errorf("%s is in %d rows of the exit table; want 1", codeName(c), seen[c])
		}
	}
}

// TestExitTable_documented: the package doc shows the table the code
// uses, and so does --help.
func TestExitTable_documented(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	if want := exitTableText("//\t"); !strings.Contains(string(doc), want) {
		t.Errorf("doc.go's exit-code table differs from the code's; want:\n%s", want)
	}
	r := invoke(t.Context(), nil, "--help")
	if r.code != 0 || !strings.Contains(r.stdout, exitTableText("  ")) {
		t.Errorf("--help (exit %d) lacks the exit-code table:\n%s", r.code, r.stdout)
	}
}

// TestErrorPrinting: errors say the gRPC code, the ModelArts code and
// message, the request ID, each invalid field and the delay to wait.
func TestErrorPrinting(t *testing.T) {
	t.Parallel()
	badRequest := apierror.InvalidArgument("rid-2",
		apierror.Violation("instance_id", apierror.ViolationMalformed, `instance_id must be 1 to 64 characters from A-Z, a-z, 0-9, '-' and '_'; got "../admin"`),
		apierror.Violation("project_id", apierror.ViolationRequired, "project_id is required"))
	tests := []struct {
		name   string
		err    error
		header metadata.MD
		args   []string
		want   string // stderr, exactly
	}{
		{"modelarts_not_found", modelArtsError(codes.NotFound, "ModelArts.6309", "The instance does not exist.", "d5271e55-64d2-44b1-9cee-e8de27dba431", 0), nil, nil,
			"devenvctl: NOT_FOUND: ModelArts.6309: The instance does not exist. (request id d5271e55-64d2-44b1-9cee-e8de27dba431)\n"},
		{"field_violations", badRequest, nil, nil,
			"devenvctl: INVALID_ARGUMENT: Facade.INVALID_ARGUMENT: " + `instance_id must be 1 to 64 characters from A-Z, a-z, 0-9, '-' and '_'; got "../admin"` + " (and 1 more invalid field(s)) (request id rid-2)\n" +
				"  field instance_id: " + `instance_id must be 1 to 64 characters from A-Z, a-z, 0-9, '-' and '_'; got "../admin"` + "\n" +
				"  field project_id: project_id is required\n"},
		{"retry_info", modelArtsError(codes.Unavailable, "ModelArts.6355", "Resources are being initialized.", "rid-3", time.Minute), nil, nil,
			"devenvctl: UNAVAILABLE: ModelArts.6355: Resources are being initialized. (request id rid-3)\n  retry after 1m0s\n"},
		{"request_id_from_the_header", status.Error(codes.Internal, "boom"), metadata.Pairs(mdRequestID, "rid-from-header"), nil,
			"devenvctl: INTERNAL: boom (request id rid-from-header)\n"},
		{"request_id_we_sent", status.Error(codes.Internal, "boom"), nil, []string{"--request-id", "my-rid"},
			"devenvctl: INTERNAL: boom (request id my-rid)\n"},
		{"no_error_info", status.Error(codes.Unimplemented, "unknown method GetInstance"), nil, nil,
			"devenvctl: UNIMPLEMENTED: unknown method GetInstance\n"},
		{"hostile_text", modelArtsError(codes.NotFound, "ModelArts.6309\x1b[31m", "gone\n\u202eforged line", "rid\x07", 0), nil, nil,
			"devenvctl: NOT_FOUND: ModelArts.6309 [31m: gone forged line (request id rid)\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := startFake(t, func(ctx context.Context, _ string, _ proto.Message) (proto.Message, error) {
				if tt.header != nil {
					_ = grpc.SetHeader(ctx, tt.header)
				}
				return nil, tt.err
			})
			r := f.run(t, append([]string{"get", instanceID}, tt.args...)...)
			if r.stderr != tt.want {
				t.Errorf("stderr:\n%q\nwant:\n%q", r.stderr, tt.want)
			}
			if r.stdout != "" {
				t.Errorf("stdout %q; want nothing on an error", r.stdout)
			}
		})
	}
}

// TestUnreachable: a facade that is not there is UNAVAILABLE (8), and the
// message says where devenvctl looked.
func TestUnreachable(t *testing.T) {
	t.Parallel()
	// A port that was free a moment ago, where nothing listens now.
	var lc net.ListenConfig
	lis, err := lc.Listen(t.Context(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := lis.Addr().String()
	lis.Close()
	r := invoke(t.Context(), map[string]string{"DEVENVCTL_ADDR": closed, "DEVENVCTL_PROJECT": project}, "get", instanceID)
	if r.code != 8 || !strings.Contains(r.stderr, "devenvctl: UNAVAILABLE: ") || !strings.Contains(r.stderr, "(the facade at "+closed+")") {
		t.Errorf("exit %d, stderr %q; want 8 and the address", r.code, r.stderr)
	}
}

// TestDeadlines: the call's deadline is --timeout, 30s by default and 15m
// for a command given --wait.
func TestDeadlines(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want time.Duration
	}{
		{"default", []string{"get", instanceID}, nil, 30 * time.Second},
		{"default_list", []string{"list"}, nil, 30 * time.Second},
		{"no_wait_given_false", []string{"start", instanceID, "--wait=false"}, nil, 30 * time.Second},
		{"wait_start", []string{"start", instanceID, "--wait"}, nil, 15 * time.Minute},
		{"wait_stop", []string{"stop", instanceID, "--wait"}, nil, 15 * time.Minute},
		{"wait_create", []string{"create", "--name", "x", "--wait"}, nil, 15 * time.Minute},
		{"wait_delete", []string{"delete", instanceID, "--wait"}, nil, 15 * time.Minute},
		{"timeout_flag", []string{"get", instanceID, "--timeout", "5s"}, nil, 5 * time.Second},
		{"timeout_flag_with_wait", []string{"delete", instanceID, "--wait", "--timeout", "2m"}, nil, 2 * time.Minute},
		{"timeout_env", []string{"get", instanceID}, map[string]string{"DEVENVCTL_TIMEOUT": "45s"}, 45 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := startFake(t, nil)
			r := invoke(t.Context(), f.env(tt.env), tt.args...)
			if r.code != 0 {
				t.Fatalf("exit %d; stderr:\n%s", r.code, r.stderr)
			}
			got := f.only(t)
			// The deadline travels as a timeout; allow for the time the
			// call took to arrive.
			if !got.hasDeadline || got.deadline > tt.want || got.deadline < tt.want-10*time.Second {
				t.Errorf("the call arrived with %v left (deadline %v); want just under %v", got.deadline, got.hasDeadline, tt.want)
			}
		})
	}
}

// TestDeadlineExceeded: when --timeout passes before the facade answers,
// the exit status is 9 and the message says the outcome is unknown.
func TestDeadlineExceeded(t *testing.T) {
	t.Parallel()
	f := startFake(t, func(ctx context.Context, _ string, _ proto.Message) (proto.Message, error) {
		<-ctx.Done()
		return nil, status.FromContextError(ctx.Err()).Err()
	})
	r := f.run(t, "stop", instanceID, "--wait", "--timeout", "50ms")
	if r.code != 9 || !strings.Contains(r.stderr, "devenvctl: DEADLINE_EXCEEDED: ") || !strings.Contains(r.stderr, "--timeout 50ms passed; the outcome is unknown") {
		t.Errorf("exit %d, stderr %q; want 9 and the timeout named", r.code, r.stderr)
	}
}

// TestInterrupt: Ctrl-C (the context cancelled) ends a call with 130.
func TestInterrupt(t *testing.T) {
	t.Parallel()
	arrived := make(chan struct{})
	f := startFake(t, func(ctx context.Context, _ string, _ proto.Message) (proto.Message, error) {
		close(arrived)
		<-ctx.Done()
		return nil, status.FromContextError(ctx.Err()).Err()
	})
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	go func() {
		<-arrived
		cancel()
	}()
	r := invoke(ctx, f.env(nil), "delete", instanceID, "--wait")
	if r.code != 130 || !strings.Contains(r.stderr, "devenvctl: CANCELLED: ") {
		t.Errorf("exit %d, stderr %q; want 130", r.code, r.stderr)
	}
}

// TestUsageErrors: mistakes in the command line end with 2, a message
// that says what is wrong, and nothing sent.
func TestUsageErrors(t *testing.T) {
	t.Parallel()
	notPEM := writeFile(t, "ca.pem", "not a certificate")
	badJSON := writeFile(t, "request.json", `{"name": 5}`)
	unknownField := writeFile(t, "request.json", `{"nmae": "x"}`)
	tests := []struct {
		name   string
		args   []string
		env    map[string]string
		wantIn string
	}{
		{"no_command", nil, nil, "no command given"},
		{"unknown_command", []string{"remove", instanceID}, nil, `unknown command "remove"`},
		{"flags_before_the_command", []string{"--addr", "x:1", "list"}, nil, "flags go after the command"},
		{"unknown_flag", []string{"list", "--colour"}, nil, "colour"},
		{"get_without_id", []string{"get"}, nil, "devenvctl get needs INSTANCE_ID"},
		{"get_two_ids", []string{"get", "a", "b"}, nil, "got 2 arguments"},
		{"get_empty_id", []string{"get", ""}, nil, "INSTANCE_ID is empty"},
		{"list_with_an_argument", []string{"list", "RUNNING"}, nil, `takes no arguments; got "RUNNING"`},
		{"bad_output", []string{"list", "-o", "yaml"}, nil, "want one of table, json"},
		{"bad_output_env", []string{"list"}, map[string]string{"DEVENVCTL_OUTPUT": "xml"}, "DEVENVCTL_OUTPUT"},
		{"bad_sortby", []string{"list", "--sortby", "size"}, nil, "want one of name, creation_timestamp"},
		{"page_size_range", []string{"list", "--page-size", "5000"}, nil, "between 0 and 1000"},
		{"vendor_and_aip_paging", []string{"list", "--all", "--offset", "10"}, nil, "--offset and --limit"},
		{"no_project", []string{"get", instanceID}, map[string]string{"DEVENVCTL_PROJECT": ""}, "no project"},
		{"auto_stop_fraction", []string{"create", "--auto-stop", "1.5s"}, nil, "whole seconds"},
		{"auto_stop_zero", []string{"update", instanceID, "--auto-stop", "0s"}, nil, "positive duration"},
		{"auto_stop_bare_number", []string{"update", instanceID, "--auto-stop", "3600"}, nil, "such as 3600s"},
		{"update_nothing", []string{"update", instanceID}, nil, "nothing to update"},
		{"update_contradiction", []string{"update", instanceID, "--auto-stop", "1h", "--no-auto-stop"}, nil, "contradict"},
		{"from_file_missing", []string{"create", "--from-file", "/nonexistent/request.json"}, nil, "--from-file"},
		{"from_file_bad_json", []string{"create", "--from-file", badJSON}, nil, "not a CreateInstanceRequest in protobuf JSON"},
		{"from_file_unknown_field", []string{"create", "--from-file", unknownField}, nil, "nmae"},
		{"cert_without_key", []string{"list", "--cert-file", notPEM}, nil, "--cert-file and --key-file go together"},
		{"ca_not_pem", []string{"list", "--ca-file", notPEM}, nil, "no PEM certificate"},
		{"bad_request_id", []string{"list", "--request-id", "has space"}, nil, "--request-id"},
		{"timeout_negative", []string{"list", "--timeout", "-1s"}, nil, "between 0s and 24h0m0s"},
		{"empty_addr", []string{"list"}, map[string]string{"DEVENVCTL_ADDR": ""}, "--addr is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := startFake(t, nil)
			env := f.env(tt.env)
			if tt.name == "empty_addr" {
				env["DEVENVCTL_ADDR"] = ""
			}
			r := invoke(t.Context(), env, tt.args...)
			if r.code != exitUsage {
				t.Errorf("exit %d; want 2 (stderr %q)", r.code, r.stderr)
			}
			if !strings.Contains(r.stderr, tt.wantIn) || !strings.Contains(r.stderr, "devenvctl: ") {
				t.Errorf("stderr %q; want it to mention %q", r.stderr, tt.wantIn)
			}
			if n := len(f.received()); n != 0 {
				t.Errorf("%d calls sent; want none", n)
			}
		})
	}
}

// TestHelp: devenvctl --help, COMMAND --help and help COMMAND describe the
// commands and flags, exit 0, and never show a secret.
func TestHelp(t *testing.T) {
	t.Parallel()
	env := map[string]string{"DEVENVCTL_TOKEN": "env-h1dden-bearer", "DEVENVCTL_AUTH_TOKEN": "env-h1dden-iam"}
	top := invoke(t.Context(), env, "--help")
	if top.code != 0 {
		t.Fatalf("--help: exit %d", top.code)
	}
	for _, want := range []string{"Usage:", "devenvctl COMMAND [flags] [INSTANCE_ID]", "--addr", "DEVENVCTL_ADDR", "127.0.0.1:9090",
		"--token, --token-file FILE", "DEVENVCTL_AUTH_TOKEN_FILE", "-o, --output", "Exit codes:", "130  CANCELLED"} {
		if !strings.Contains(top.stdout, want) {
			t.Errorf("--help lacks %q", want)
		}
	}
	ownFlags := map[string][]string{
		"list":    {"--status", "--sortby", "--order", "--workspace-id", "--pool-id", "--page-size", "--page-token", "--all", "--offset", "--limit", "-w, --watch"},
		"watch":   {"--status", "--workspace-id", "--resume-token"},
		"get":     nil,
		"create":  {"--name", "--profile-id", "--flavor", "--description", "--storage-type", "--storage-path", "--auto-stop", "--workspace-id", "--from-file", "--wait"},
		"update":  {"--description", "--auto-stop", "--no-auto-stop"},
		"start":   {"--wait"},
		"stop":    {"--wait"},
		"delete":  {"--wait", "--allow-missing"},
		"version": {"-o, --output"},
	}
	for _, cmd := range commands {
		if !strings.Contains(top.stdout, "  "+cmd.name+" ") {
			t.Errorf("--help does not list %s", cmd.name)
		}
		for _, args := range [][]string{{cmd.name, "--help"}, {"help", cmd.name}, {cmd.name, instanceID, "-h"}} {
			r := invoke(t.Context(), env, args...)
			if r.code != 0 || !strings.HasPrefix(r.stdout, "Usage: devenvctl "+cmd.name+" [flags]") {
				t.Errorf("%q: exit %d, stdout %q", args, r.code, r.stdout)
				continue
			}
			for _, want := range ownFlags[cmd.name] {
				if !strings.Contains(r.stdout, "  "+want) {
					t.Errorf("%q lacks %s", args, want)
				}
			}
			if cmd.remote && !strings.Contains(r.stdout, "--addr") {
				t.Errorf("%q lacks the global flags", args)
			}
			if strings.Contains(r.stdout+r.stderr, "h1dden") {
				t.Errorf("%q shows a secret", args)
			}
		}
	}
	if strings.Contains(top.stdout, "h1dden") {
		t.Error("--help shows a secret")
	}
}

// TestCreateWait_cutShortSaysCreated: when a create with --wait fails after
// the facade announced the instance (header x-instance-id), the error says
// the instance was created, unless the facade's own error already names
// it (ErrorInfo instance_id); a create that announced nothing says nothing
// of the kind. An error that says the instance was created says nothing
// else of the outcome: a deadline then passed while waiting for it, where
// without the announcement the outcome is unknown.
func TestCreateWait_cutShortSaysCreated(t *testing.T) {
	t.Parallel()
	waitFailed := apierror.Facade(codes.DeadlineExceeded, apierror.ReasonDeadlineExceeded, "the facade waits at most 10m0s for instance DE-announced",
		apierror.Call{RequestID: "rid-9", Extra: map[string]string{apierror.MetadataInstanceID: "DE-announced"}})
	const unknown = "the outcome is unknown"
	tests := []struct {
		name     string
		announce bool
		err      error
		wantLine bool
		// want is on the first line of the error.
		want string
	}{
		{"deadline_after_announcement", true, status.Error(codes.DeadlineExceeded, "context deadline exceeded"), true,
			"devenvctl: DEADLINE_EXCEEDED: context deadline exceeded (--timeout 15m0s passed while waiting for the instance)"},
		{"cancelled_after_announcement", true, status.Error(codes.Canceled, "context canceled"), true,
			"devenvctl: CANCELLED: context canceled"},
		{"connection_lost_after_announcement", true, status.Error(codes.Unavailable, "connection reset"), true,
			"devenvctl: UNAVAILABLE: connection reset"},
		{"facade_names_the_instance", true, waitFailed, false,
			"devenvctl: DEADLINE_EXCEEDED: Facade.DEADLINE_EXCEEDED: the facade waits at most 10m0s for instance DE-announced"},
		{"no_announcement", false, status.Error(codes.DeadlineExceeded, "context deadline exceeded"), false,
			"devenvctl: DEADLINE_EXCEEDED: context deadline exceeded (--timeout 15m0s passed; " + unknown + ")"},
	}
	const line = "  instance DE-announced was created: ModelArts accepted the create, only the wait did not finish; see it with: devenvctl get DE-announced\n"
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := startFake(t, func(ctx context.Context, _ string, _ proto.Message) (proto.Message, error) {
				if tt.announce {
					_ = grpc.SendHeader(ctx, metadata.Pairs(mdInstanceID, "DE-announced"))
				}
				return nil, tt.err
			})
			r := f.run(t, "create", "--name", "x", "--wait")
			if strings.Contains(r.stderr, line) != tt.wantLine {
				t.Errorf("stderr:\n%s\nwant the line %q: %v", r.stderr, line, tt.wantLine)
			}
			if !strings.Contains(r.stderr, tt.want) {
				t.Errorf("stderr:\n%s\nwant %q", r.stderr, tt.want)
			}
			if tt.wantLine && strings.Contains(r.stderr, unknown) {
				t.Errorf("stderr:\n%s\nsays the instance was created and that %s", r.stderr, unknown)
			}
			if announced := strings.Contains(r.stderr, "devenvctl: created instance DE-announced; waiting until it is RUNNING"); announced != tt.announce {
				t.Errorf("stderr:\n%s\nwant the progress line: %v", r.stderr, tt.announce)
			}
		})
	}
}
