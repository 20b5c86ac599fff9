// Command modelarts-emulator serves the in-memory ModelArts DevEnviron APIs
// of package emulator on its own, for trying clients against it: the old
// API (/v1/{project_id}/demanager/instances) and the new one
// (/v1/{project_id}/notebooks, /v1/{project_id}/images), side by side.
//
// Run it with --help for the flags. --create-delay, --start-delay and
// --stop-delay set how long instances and notebooks stay CREATING,
// STARTING and STOPPING; --delete-delay, --snapshot-delay, --mount-delay,
// --unmount-delay and --resize-delay how long a notebook stays DELETING,
// SNAPSHOTTING (an image being saved), an OBS mount MOUNTING or
// UNMOUNTING, an EVS volume RESIZING; --instance-quota how many instances,
// and how many notebooks, a project may hold.
//
// By default it accepts any token. To try every kind of credentials, give
// it IAM users (for password tokens from POST /v3/auth/tokens), access keys
// (for SDK-HMAC-SHA256 signatures), static tokens and IAM projects, with
// flags or, better for passwords and secret keys, which flags show in
// process listings, with a YAML file named by --config:
//
//	# Static tokens, each scoped to a project ID or "*" for any; they never
//	# expire. (--tokens token=project_id,...)
//	tokens:
//	  - {token: dev-token, project: "*"}
//	# IAM users that POST /v3/auth/tokens issues project-scoped tokens to
//	# (password method). (--iam-users name:password@domain,...)
//	iam_users:
//	  - {name: alice, password: alice-password, domain: example}
//	# Access keys whose signatures ModelArts accepts, on any project; with
//	# security_token, requests must carry it in X-Security-Token.
//	# (--access-keys AK:SK[:security_token],...)
//	access_keys:
//	  - {ak: EMULATORAK0000000001, sk: emulator-secret-key-1}
//	  - {ak: EMULATORAK0000000002, sk: emulator-secret-key-2, security_token: temp-token}
//	# IAM projects tokens can be scoped to by name, besides eu-de (the
//	# sample project). (--projects name=project_id,...)
//	projects:
//	  eu-nl: 00000000000000000000000000000001
//	# How long IAM-issued tokens live (default 24h). (--token-lifetime)
//	token_lifetime: 24h
//
// Every key is optional; an unknown key is an error. The file and the flags
// add up: an entry given twice (the same token, AK, or user in a domain) is
// an error, and --token-lifetime, if not zero, wins over token_lifetime.
// Once tokens or IAM users are configured, only known tokens are accepted;
// access keys alone leave any token accepted.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/devenv-facade/devenv-facade/internal/emulator"
	"github.com/devenv-facade/devenv-facade/internal/envflag"
	"github.com/devenv-facade/devenv-facade/internal/options"
)

const helpHeader = `modelarts-emulator serves in-memory ModelArts DevEnviron APIs, seeded with
sample instances, notebooks and images in project ` + emulator.SampleProjectID + `
(IAM project eu-de), and IAM's POST /v3/auth/tokens.

It serves the old API's six operations (/v1/{project_id}/demanager/instances:
create, list, get, update, action and delete) and the new API's 22
(/v1/{project_id}/notebooks and /v1/{project_id}/images: notebooks, their
lease, flavors, OBS mounts and images), each with its own instances. Created
instances and notebooks are CREATING for --create-delay, then RUNNING; start
and stop pass through STARTING (--start-delay) and STOPPING (--stop-delay). A
notebook is DELETING for --delete-delay and SNAPSHOTTING for --snapshot-delay
while an image is saved; a mount is MOUNTING for --mount-delay, UNMOUNTING for
--unmount-delay; a growing EVS volume RESIZING for --resize-delay. A RUNNING
notebook stops when its lease runs out. A name starting with fail-create
makes the creation end in CREATE_FAILED; one starting with fail-start makes
every start end in START_FAILED; fail-delete, a notebook's deletion end in
DELETE_FAILED.

It accepts any token unless given tokens or IAM users. Tokens, IAM users,
access keys and projects come from flags or from the YAML file named by
--config, the place for passwords and secret keys. Every key is optional; an
unknown key is an error:

  tokens: [{token: dev-token, project: "*"}]   # project: "*" or a project ID
  iam_users: [{name: alice, password: alice-password, domain: example}]
  access_keys: [{ak: EMULATORAK0000000001, sk: emulator-secret-key-1}]   # security_token optional
  projects: {eu-nl: 00000000000000000000000000000001}   # IAM project name: ID
  token_lifetime: 24h`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.LookupEnv, os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, envflag.ErrHelp) {
			return
		}
		fmt.Fprintf(os.Stderr, "modelarts-emulator: %v\n", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, lookupEnv func(string) (string, bool), stdout, stderr io.Writer) error {
	var addr, configFile, tokens, users, keys, projects, fault string
	var lifetime time.Duration
	var requestLog, quota int
	lifecycle := emulator.DefaultLifecycle()
	fs := envflag.New("modelarts-emulator")
	fs.String(&addr, "addr", "MODELARTS_EMULATOR_ADDR", "127.0.0.1:8090", "address to listen on")
	fs.String(&configFile, "config", "MODELARTS_EMULATOR_CONFIG", "",
		"YAML file of tokens, iam_users, access_keys, projects and token_lifetime (format above); "+
			"the place for passwords and secret keys")
	fs.String(&tokens, "tokens", "MODELARTS_EMULATOR_TOKENS", "",
		"comma-separated token=project_id pairs (project_id * for any) to accept; empty accepts any token (unless IAM users are given)")
	fs.String(&users, "iam-users", "MODELARTS_EMULATOR_IAM_USERS", "",
		"comma-separated name:password@domain IAM users that POST /v3/auth/tokens issues tokens to; "+
			"flags show in process listings: prefer --config")
	fs.String(&keys, "access-keys", "MODELARTS_EMULATOR_ACCESS_KEYS", "",
		"comma-separated AK:SK or AK:SK:security_token access keys whose SDK-HMAC-SHA256 signatures are accepted; "+
			"flags show in process listings: prefer --config")
	fs.String(&projects, "projects", "MODELARTS_EMULATOR_PROJECTS", "",
		"comma-separated name=project_id IAM projects that tokens can be scoped to by name (eu-de is the sample project)")
	fs.Duration(&lifetime, "token-lifetime", "MODELARTS_EMULATOR_TOKEN_LIFETIME", 0,
		"how long IAM-issued tokens live; 0 takes token_lifetime from --config, else 24h").Between(0, 30*24*time.Hour)
	fs.String(&fault, "fault", "MODELARTS_EMULATOR_FAULT", "",
		"global fault spec, e.g. lat100ms (latency) or p10-s503 (10% HTTP 503); see package emulator, CheckFault")
	fs.Int(&requestLog, "request-log", "MODELARTS_EMULATOR_REQUEST_LOG", emulator.DefaultRequestLogSize,
		"how many recent requests to keep for inspection (0 keeps none, the cheapest)").Between(0, 1_000_000)
	fs.Duration(&lifecycle.Create, "create-delay", "MODELARTS_EMULATOR_CREATE_DELAY", lifecycle.Create,
		"how long a created instance stays CREATING before it is RUNNING (0: at once)").Between(0, time.Hour)
	fs.Duration(&lifecycle.Start, "start-delay", "MODELARTS_EMULATOR_START_DELAY", lifecycle.Start,
		"how long a started instance stays STARTING before it is RUNNING (0: at once)").Between(0, time.Hour)
	fs.Duration(&lifecycle.Stop, "stop-delay", "MODELARTS_EMULATOR_STOP_DELAY", lifecycle.Stop,
		"how long a stopped instance stays STOPPING before it is STOPPED (0: at once)").Between(0, time.Hour)
	fs.Duration(&lifecycle.Delete, "delete-delay", "MODELARTS_EMULATOR_DELETE_DELAY", lifecycle.Delete,
		"how long a deleted notebook (new API) stays DELETING before it is gone (0: at once)").Between(0, time.Hour)
	fs.Duration(&lifecycle.Snapshot, "snapshot-delay", "MODELARTS_EMULATOR_SNAPSHOT_DELAY", lifecycle.Snapshot,
		"how long saving an image takes: the notebook SNAPSHOTTING, the image INIT then CREATING, then ACTIVE (0: at once)").Between(0, time.Hour)
	fs.Duration(&lifecycle.Mount, "mount-delay", "MODELARTS_EMULATOR_MOUNT_DELAY", lifecycle.Mount,
		"how long an OBS mount stays MOUNTING before it is MOUNTED (0: at once)").Between(0, time.Hour)
	fs.Duration(&lifecycle.Unmount, "unmount-delay", "MODELARTS_EMULATOR_UNMOUNT_DELAY", lifecycle.Unmount,
		"how long an OBS mount stays UNMOUNTING before it is gone (0: at once)").Between(0, time.Hour)
	fs.Duration(&lifecycle.Resize, "resize-delay", "MODELARTS_EMULATOR_RESIZE_DELAY", lifecycle.Resize,
		"how long a growing EVS volume stays RESIZING (0: at once)").Between(0, time.Hour)
	fs.Int(&quota, "instance-quota", "MODELARTS_EMULATOR_INSTANCE_QUOTA", emulator.DefaultInstanceQuota,
		"how many instances, and apart how many notebooks, a project may hold; a create beyond it fails with "+
			"ModelArts.6302 (old API) or ModelArts.0113 (new API) (0: no limit)").Between(0, 1_000_000)
	if err := fs.Parse(args, lookupEnv); err != nil {
		if errors.Is(err, envflag.ErrHelp) {
			fs.PrintUsage(stdout, helpHeader)
			return err
		}
		return fmt.Errorf("%w (see --help)", err)
	}
	creds, err := gather(configFile, flagCredentials{tokens: tokens, users: users, keys: keys, projects: projects, lifetime: lifetime})
	if err != nil {
		return err
	}
	// The flags' 0 is none at all: no log, no delay, no quota.
	for _, d := range []*time.Duration{&lifecycle.Create, &lifecycle.Start, &lifecycle.Stop, &lifecycle.Delete, &lifecycle.Snapshot,
		&lifecycle.Mount, &lifecycle.Unmount, &lifecycle.Resize} {
		*d = options.ZeroMeans(*d, options.None)
	}
	opts := creds.options(emulator.Options{RequestLog: options.ZeroMeans(requestLog, options.None), InstanceQuota: options.ZeroMeans(quota, options.NoLimit),
		Lifecycle: lifecycle})
	if fault != "" {
		if opts.Fault, err = emulator.ParseFault(fault); err != nil {
			return fmt.Errorf("--fault: %w", err)
		}
	}
	emu, err := emulator.New(opts)
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(stderr, nil))

	var lc net.ListenConfig
	lis, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           emu,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	// HTTP/1.1 and, on the same port, HTTP/2 without TLS (the facade's
	// --modelarts-h2c).
	emulator.ServeH2C(srv)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(lis) }()
	logger.Info("serving the ModelArts emulator", slog.String("url", "http://"+lis.Addr().String()),
		slog.String("sample_project_id", emulator.SampleProjectID),
		slog.Bool("any_token", len(creds.tokens) == 0 && len(creds.users) == 0),
		slog.Int("tokens", len(creds.tokens)), slog.Int("iam_users", len(creds.users)),
		slog.Int("access_keys", len(creds.keys)), slog.Int("projects", len(creds.projects)))
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(shutdownCtx)
}
