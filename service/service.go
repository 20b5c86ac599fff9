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

	devenvv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/devenv/v1"
	"github.com/devenv-facade/devenv-facade/modelarts"
)

// Service implements [devenvv1.DevEnvServiceServer] on top of a ModelArts
// client. It is safe for concurrent use.
type Service struct {
	devenvv1.UnimplementedDevEnvServiceServer

	client *modelarts.Client
	logger *slog.Logger
}

// Option configures a [Service].
type Option func(*Service)

// WithLogger sets the logger for the per-call log lines written by
// [Service.UnaryInterceptor]. The default discards them.
func WithLogger(l *slog.Logger) Option {
	return func(s *Service) { s.logger = l }
}

// New returns a Service that calls ModelArts through client.
func New(client *modelarts.Client, opts ...Option) *Service {
	s := &Service{client: client, logger: slog.New(slog.DiscardHandler)}
	for _, opt := range opts {
		opt(s)
	}
	return s
}

// DeleteInstance deletes a development environment instance. See the proto
// for the contract; in short: invalid IDs fail with INVALID_ARGUMENT before
// any upstream call, ModelArts.6309 becomes NOT_FOUND (or success with
// allow_missing), and every error carries ErrorInfo.
func (s *Service) DeleteInstance(ctx context.Context, req *devenvv1.DeleteInstanceRequest) (*devenvv1.DeleteInstanceResponse, error) {
	requestID := requestIDFromContext(ctx)
	if br := validateDeleteInstance(req); br != nil {
		return nil, invalidArgument(br, requestID).Err()
	}
	projectID, instanceID := req.GetProjectId(), req.GetInstanceId()
	annotate(ctx, slog.String("project_id", projectID), slog.String("instance_id", instanceID))

	res, err := s.client.DeleteInstance(ctx, projectID, instanceID,
		modelarts.RequestID(requestID), modelarts.CallerToken(callerToken(ctx)))
	if err != nil {
		if req.GetAllowMissing() && isInstanceNotFound(err) {
			annotate(ctx, slog.Bool("allow_missing", true), slog.String("upstream_error_code", codeInstanceNotFound))
			return &devenvv1.DeleteInstanceResponse{InstanceId: instanceID}, nil
		}
		annotate(ctx, slog.String("upstream_error", err.Error()))
		return nil, statusFromError(ctx, err, requestID).Err()
	}
	return &devenvv1.DeleteInstanceResponse{InstanceId: res.InstanceID}, nil
}

// isInstanceNotFound reports whether ModelArts said the instance does not
// exist. A 404 from a gateway (no such API) does not count.
func isInstanceNotFound(err error) bool {
	var e *modelarts.Error
	return errors.As(err, &e) && e.Code == codeInstanceNotFound
}
