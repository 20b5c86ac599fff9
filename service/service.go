// Package service implements the gRPC DevEnvService: it validates requests,
// calls ModelArts through the modelarts client, and turns every outcome into
// a gRPC answer with a precise status code and a google.rpc.ErrorInfo detail.
//
// The mapping from ModelArts answers to gRPC codes is one table (codes.go);
// the same package provides the unary interceptor that gives every call a
// request ID, recovers panics and writes one log line per call. The gRPC
// server and the REST mirror both run calls through that interceptor.
package service

import (
	"context"
	"errors"
	"log/slog"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	devenvv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/devenv/v1"
	"github.com/devenv-facade/devenv-facade/internal/callctx"
	"github.com/devenv-facade/devenv-facade/internal/modelarts"
)

// Service implements [devenvv1.DevEnvServiceServer] on top of a ModelArts
// client. It is safe for concurrent use.
type Service struct {
	devenvv1.UnimplementedDevEnvServiceServer

	client      *modelarts.Client
	logger      *slog.Logger
	passthrough bool
}

// Option configures a [Service].
type Option func(*Service)

// WithLogger sets the logger for the per-call log lines written by
// [Service.UnaryInterceptor]. The default discards them.
func WithLogger(l *slog.Logger) Option {
	return func(s *Service) { s.logger = l }
}

// WithTokenPassthrough sets whether a caller's own token (x-auth-token
// metadata, X-Auth-Token on the REST mirror) is forwarded to ModelArts in
// place of the client's credentials. It is on by default; off, callers'
// tokens are ignored.
func WithTokenPassthrough(on bool) Option {
	return func(s *Service) { s.passthrough = on }
}

// New returns a Service that calls ModelArts through client.
func New(client *modelarts.Client, opts ...Option) *Service {
	s := &Service{client: client, logger: slog.New(slog.DiscardHandler), passthrough: true}
	for _, opt := range opts {
		opt(s)
	}
	return s
}

// DeleteInstance deletes a development environment instance. See the proto
// for the contract; in short: invalid IDs, and a caller's token that is too
// long or not visible ASCII, fail with INVALID_ARGUMENT before any upstream
// call, ModelArts.6309 becomes NOT_FOUND (or success with
// allow_missing), and every error carries ErrorInfo.
func (s *Service) DeleteInstance(ctx context.Context, req *devenvv1.DeleteInstanceRequest) (*devenvv1.DeleteInstanceResponse, error) {
	requestID := callctx.RequestID(ctx)
	creds := s.credentials(ctx)
	if br := validateDeleteInstance(req, creds.token); br != nil {
		return nil, invalidArgument(br, requestID).Err()
	}
	projectID, instanceID := req.GetProjectId(), req.GetInstanceId()
	callctx.Annotate(ctx, slog.String("project_id", projectID), slog.String("instance_id", instanceID))

	var stats modelarts.CallStats
	res, err := s.client.DeleteInstance(ctx, projectID, instanceID, modelarts.RequestID(requestID), modelarts.CallerToken(creds.token), modelarts.Report(&stats))
	callctx.Annotate(ctx, slog.Int("upstream_attempts", stats.Attempts))
	if err != nil {
		if req.GetAllowMissing() && isInstanceNotFound(err) {
			callctx.Annotate(ctx, slog.Bool("allow_missing", true), slog.String("upstream_error_code", codeInstanceNotFound))
			return &devenvv1.DeleteInstanceResponse{InstanceId: instanceID}, nil
		}
		callctx.Annotate(ctx, slog.String("credentials", creds.source), slog.String("upstream_error", err.Error()))
		return nil, statusFromError(ctx, err, callInfo{requestID: requestID, credentials: creds.source, attempts: stats.Attempts}).Err()
	}
	if res.Inferred {
		// Tell the caller the success was inferred, not confirmed.
		_ = grpc.SetHeader(ctx, metadata.Pairs(MetadataKeyDeleteOutcome, deleteOutcomeInferred))
		callctx.Annotate(ctx, slog.String("delete_outcome", deleteOutcomeInferred))
	}
	return &devenvv1.DeleteInstanceResponse{InstanceId: res.InstanceID}, nil
}

// callCredentials says which credentials a call uses.
type callCredentials struct {
	token  string // the caller's token to forward, or "" for the facade's credentials
	source string // credentialsCaller or credentialsFacade
}

// Values of ErrorInfo metadata "credentials".
const (
	credentialsCaller = "caller"
	credentialsFacade = "facade"
)

// credentials picks the caller's token when pass-through is on and the
// caller sent one, else the facade's own credentials. The token is not
// checked here: validateDeleteInstance refuses one that is too long or
// could not be a header value, before anything is sent.
func (s *Service) credentials(ctx context.Context) callCredentials {
	if !s.passthrough {
		return callCredentials{source: credentialsFacade}
	}
	if tok := callerToken(ctx); tok != "" {
		return callCredentials{token: tok, source: credentialsCaller}
	}
	return callCredentials{source: credentialsFacade}
}

// isInstanceNotFound reports whether ModelArts said the instance does not
// exist. A 404 from a gateway (no such API) does not count.
func isInstanceNotFound(err error) bool {
	var e *modelarts.Error
	return errors.As(err, &e) && e.Code == codeInstanceNotFound
}
