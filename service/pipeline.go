package service

import (
	"context"
	"log/slog"

	"github.com/devenv-facade/devenv-facade/internal/apierror"
	"github.com/devenv-facade/devenv-facade/internal/callctx"
	"github.com/devenv-facade/devenv-facade/internal/modelarts"
)

// call is what the pipeline hands an RPC's upstream step: the options every
// request to ModelArts carries, and the statistics the step records.
type call struct {
	// requestID is the call's request ID.
	requestID string
	// opts carry the request ID and, when the caller sent one and
	// pass-through is on, the caller's own token.
	opts []modelarts.CallOption
	// credentials is whose credentials the call uses
	// (apierror.CredentialsCaller or CredentialsFacade).
	credentials string
	// attempts counts the requests sent to ModelArts, over every upstream
	// call the RPC makes.
	attempts int
}

// record adds an upstream call's Result to the statistics.
func (c *call) record(res modelarts.Result) {
	c.attempts += res.Attempts
}

// apiCall is what an error of the call reports, with extra ErrorInfo
// metadata.
func (c *call) apiCall(extra map[string]string) apierror.Call {
	return apierror.Call{RequestID: c.requestID, Credentials: c.credentials, Attempts: c.attempts, Extra: extra}
}

// projectScoped and instanceScoped are implemented by requests that name a
// project or an instance; their IDs annotate the call's log line.
type (
	projectScoped  interface{ GetProjectId() string }
	instanceScoped interface{ GetInstanceId() string }
)

// handle runs one RPC through the pipeline every RPC shares:
//
//  1. the request ID (from the call interceptor) and the credentials: the
//     caller's own token when it sent one and pass-through is on, else the
//     facade's;
//  2. validation of the request and of the caller's token: INVALID_ARGUMENT
//     with one field violation per bad field, and nothing sent upstream;
//  3. the project and instance IDs on the call's log line;
//  4. step, the RPC's upstream work;
//  5. the attempts on the log line and, on error, the conversion to a
//     status with ErrorInfo (statusFromError), the upstream error logged.
func handle[Req, Resp any](ctx context.Context, s *Service, req Req, validate func(Req) []*violation, step func(context.Context, *call) (Resp, error)) (Resp, error) {
	var zero Resp
	requestID := callctx.RequestID(ctx)
	c := &call{requestID: requestID, credentials: apierror.CredentialsFacade}
	token := ""
	if s.passthrough {
		token = callerToken(ctx)
	}
	bad := validate(req)
	if v := checkCallerToken(token); v != nil {
		bad = append(bad, v)
	}
	if len(bad) > 0 {
		return zero, apierror.InvalidArgument(requestID, bad...)
	}
	if token != "" {
		c.credentials = apierror.CredentialsCaller
	}
	c.opts = []modelarts.CallOption{modelarts.RequestID(requestID), modelarts.CallerToken(token)}
	if r, ok := any(req).(projectScoped); ok {
		callctx.Annotate(ctx, slog.String("project_id", r.GetProjectId()))
	}
	if r, ok := any(req).(instanceScoped); ok {
		callctx.Annotate(ctx, slog.String("instance_id", r.GetInstanceId()))
	}

	resp, err := step(ctx, c)
	callctx.Annotate(ctx, slog.Int("upstream_attempts", c.attempts))
	if err != nil {
		callctx.Annotate(ctx, slog.String("credentials", c.credentials), slog.String("upstream_error", err.Error()))
		return zero, statusFromError(ctx, err, c.apiCall(nil)).Err()
	}
	return resp, nil
}
