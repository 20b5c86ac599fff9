// Package service implements the gRPC services DevEnvService (the old
// DevEnviron API) and NotebookService (the new one): it validates requests,
// calls ModelArts through the modelarts client, and turns every outcome into
// a gRPC answer with a precise status code and a google.rpc.ErrorInfo detail.
//
// Every RPC runs through one pipeline ([handle], pipeline.go): request ID,
// the choice of credentials, validation, log annotations, upstream
// statistics and the conversion of errors to statuses, by the client's code
// table (modelarts.Rule). An RPC method is its validation, its upstream call
// and its response mapping. The package also provides the unary interceptor
// that gives every call a request ID, recovers panics and writes one log
// line per call; the gRPC server and the REST mirror both run calls through
// it.
//
// Configuration follows package options: [Options] is a struct whose zero
// fields mean their defaults, which New fills in and checks in one
// place.
package service

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	devenvv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/devenv/v1"
	notebookv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/notebook/v1"
	"github.com/devenv-facade/devenv-facade/internal/callctx"
	"github.com/devenv-facade/devenv-facade/internal/clock"
	"github.com/devenv-facade/devenv-facade/internal/modelarts"
	"github.com/devenv-facade/devenv-facade/internal/options"
	"github.com/devenv-facade/devenv-facade/internal/rpcdecl"
)

// Service implements [devenvv1.DevEnvServiceServer] (the old DevEnviron
// API) and [notebookv1.NotebookServiceServer] (the new one) on top of a
// ModelArts client. It is safe for concurrent use.
type Service struct {
	devenvv1.UnimplementedDevEnvServiceServer
	notebookv1.UnimplementedNotebookServiceServer

	client      *modelarts.Client
	rpcs        *rpcdecl.Table // what each RPC is: rpcdecl.Served(), or a test's
	logger      *slog.Logger
	passthrough bool
	callerAuth  bool

	// Waiting (wait.go).
	maxWait         time.Duration
	pollInterval    time.Duration
	maxPollInterval time.Duration
	clock           clock.Clock  // pauses between reads of an instance
	maxWaits        int64        // calls that may wait at once; 0: no bound
	waits           atomic.Int64 // calls waiting (or about to) now

	// Watching (watch.go).
	watch watchers
}

// Options configures a [Service]. The zero value of every field means its
// default (package options).
type Options struct {
	// Logger receives the per-call log lines written by
	// [Service.UnaryInterceptor] and the events the service logs. Nil
	// discards them.
	Logger *slog.Logger
	// DisableTokenPassthrough ignores a caller's own token (x-auth-token
	// metadata, X-Auth-Token on the REST mirror), which is otherwise
	// forwarded to ModelArts in place of the client's credentials.
	DisableTokenPassthrough bool
	// CallerAuthentication says that caller authentication runs in front
	// of the service (package callerauth's interceptor, which records each
	// call's [callctx.Identity]): a call that arrives without an identity
	// is then refused with UNAUTHENTICATED before anything is sent, so
	// that a call that somehow bypassed caller authentication never runs
	// on the facade's credentials.
	CallerAuthentication bool
	// MaxWait bounds how long a call waits for an instance's state,
	// whatever the caller's deadline. Zero means [DefaultMaxWait].
	MaxWait time.Duration
	// PollInterval is the first pause between reads of an instance a call
	// waits for; pauses grow by half, with jitter, up to MaxPollInterval.
	// Zero means [DefaultPollInterval]; MaxPollInterval's zero means
	// [DefaultMaxPollInterval], or PollInterval if longer.
	PollInterval, MaxPollInterval time.Duration
	// MaxWaits bounds the calls that may wait for an instance's state at
	// once. A call with wait set beyond it is refused with
	// RESOURCE_EXHAUSTED (reason OVERLOADED, RetryInfo) before anything is
	// sent to ModelArts, so that it may be retried as it is: a wait holds
	// a stream and a goroutine for up to MaxWait, which the in-flight cap
	// on requests to ModelArts does not bound. Zero means
	// [DefaultMaxWaits]; options.NoLimit, no bound.
	MaxWaits int
	// Clock times the pauses between reads of an instance, and the
	// watches' polls. Nil means the system clock; tests give a fake that
	// the emulator shares, so that an instance changes state as the
	// service polls it.
	Clock clock.Clock

	// Watch configures the watches (WatchNotebooks, WatchInstances).
	Watch WatchOptions
}

// withDefaults returns o with its zero fields set to their defaults.
func (o Options) withDefaults() Options {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	o.MaxWait = options.Or(o.MaxWait, DefaultMaxWait)
	o.PollInterval = options.Or(o.PollInterval, DefaultPollInterval)
	o.MaxPollInterval = options.Or(o.MaxPollInterval, max(DefaultMaxPollInterval, o.PollInterval))
	o.MaxWaits = options.Or(o.MaxWaits, DefaultMaxWaits)
	o.Clock = clock.Or(o.Clock)
	o.Watch = o.Watch.WithDefaults()
	return o
}

// validate refuses what withDefaults left that a Service cannot use.
func (o Options) validate() error {
	switch {
	case o.MaxWait < 0:
		return options.Errorf("service", "{MaxWait} %s is negative", o.MaxWait)
	case o.PollInterval < 0:
		return options.Errorf("service", "{PollInterval} %s is negative", o.PollInterval)
	case o.MaxPollInterval < o.PollInterval:
		return options.Errorf("service", "{MaxPollInterval} %s is below {PollInterval} %s", o.MaxPollInterval, o.PollInterval)
	case o.MaxWaits < options.NoLimit:
		return options.Errorf("service", "{MaxWaits} %d is negative (options.NoLimit lifts the bound)", o.MaxWaits)
	}
	return options.In(o.Watch.Validate(), "service", "Watch")
}

// New returns a Service that calls ModelArts through client, configured by
// opts. It fails on options it cannot use, naming them (*options.Error).
func New(client *modelarts.Client, opts Options) (*Service, error) {
	opts = opts.withDefaults()
	if err := opts.validate(); err != nil {
		return nil, err
	}
	w, err := newWatchers(opts)
	if err != nil {
		return nil, err // validate checked what watch.NewHub checks
	}
	return &Service{watch: w, client: client, rpcs: rpcdecl.Served(), logger: opts.Logger, passthrough: !opts.DisableTokenPassthrough, callerAuth: opts.CallerAuthentication,
		maxWait: opts.MaxWait, pollInterval: opts.PollInterval, maxPollInterval: opts.MaxPollInterval, clock: opts.Clock,
		maxWaits: int64(max(opts.MaxWaits, 0))}, nil
}

// DeleteInstance deletes a development environment instance. See the proto
// for the contract; in short: invalid IDs fail with INVALID_ARGUMENT before
// any upstream call, ModelArts.6309 becomes NOT_FOUND (or success with
// allow_missing), every error carries ErrorInfo, and with wait the call
// returns once the instance is gone.
//
// A 2xx answer means the instance was deleted. Its body only echoes the ID,
// so if the body cannot be read the call still succeeds with the requested
// ID, and a warning is logged: the outcome must not be lost over a garbled
// echo. A success ModelArts never confirmed (modelarts.Result.Inferred) is
// reported in the x-delete-outcome response header.
func (s *Service) DeleteInstance(ctx context.Context, req *devenvv1.DeleteInstanceRequest) (*devenvv1.DeleteInstanceResponse, error) {
	return handle(ctx, s, req, validateDeleteInstance, func(ctx context.Context, c *call) (*devenvv1.DeleteInstanceResponse, error) {
		resp, res, err := modelarts.DeleteInstance.Call(ctx, s.client,
			modelarts.Request{Params: []string{req.GetProjectId(), req.GetInstanceId()}}, c.opts...)
		return s.deleted(ctx, c, req, resp, res, err)
	})
}

// deleted is DeleteInstance's step once ModelArts answered (or did not).
// It is a function of its own, not inlined, so that the step's frame,
// under which calls wait for ModelArts, holds only what the call needs
// (see modelarts.DirectClient); res comes by value, which costs that
// frame less than an addressable copy.
//
//go:noinline
func (s *Service) deleted(ctx context.Context, c *call, req *devenvv1.DeleteInstanceRequest, resp *modelarts.DeleteInstanceResponse, res modelarts.Result, err error) (*devenvv1.DeleteInstanceResponse, error) {
	instanceID := req.GetInstanceId()
	c.record(res)
	var raw []byte // ModelArts' answer, when it is the one passed on
	decodeErr, decodeFailed := errors.AsType[*modelarts.DecodeError](err)
	switch {
	case err != nil && req.GetAllowMissing() && hasCode(err, modelarts.CodeInstanceNotFound):
		callctx.Annotate(ctx, slog.Bool("allow_missing", true), slog.String("upstream_error_code", modelarts.CodeInstanceNotFound))
	case decodeFailed:
		s.logger.WarnContext(ctx, "ModelArts accepted a delete but its answer is unusable; reporting the requested instance deleted",
			slog.String("instance_id", instanceID), slog.Int("http_status", decodeErr.HTTPStatus), slog.String("decode_error", c.quoteErr(decodeErr.Err)))
	case err != nil:
		return nil, err
	case res.Inferred:
		// Tell the caller the success was inferred, not confirmed.
		_ = grpc.SetHeader(ctx, metadata.Pairs(callctx.MetadataKeyDeleteOutcome, outcomeInferred, callctx.MetadataKeyOutcome, outcomeInferred))
		callctx.Annotate(ctx, slog.String("delete_outcome", outcomeInferred))
	case resp.InstanceID != "":
		instanceID, raw = resp.InstanceID, res.Body
	}
	if req.GetWait() {
		if _, err := s.waitInstance(ctx, c, req.GetProjectId(), req.GetInstanceId(), waitGone); err != nil {
			return nil, err
		}
	}
	out := &devenvv1.DeleteInstanceResponse{InstanceId: instanceID}
	keepDeleteEcho(ctx, out, raw)
	return out, nil
}

// hasCode reports whether err is a ModelArts answer with the code. A 404
// from a gateway (no such API) has another code.
func hasCode(err error, code string) bool {
	e, ok := errors.AsType[*modelarts.Error](err)
	return ok && e.Code == code
}
