package callerauth

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"

	"github.com/devenv-facade/devenv-facade/service"
)

// exempt lists the method prefixes anyone may call: health checks, which
// load balancers and orchestrators make without credentials.
var exempt = []string{"/grpc.health.v1.Health/"}

func isExempt(method string) bool {
	for _, p := range exempt {
		if strings.HasPrefix(method, p) {
			return true
		}
	}
	return false
}

type callerKey struct{}

// FromContext returns the caller authenticated for this call, if any.
func FromContext(ctx context.Context) (*Caller, bool) {
	c, ok := ctx.Value(callerKey{}).(*Caller)
	return c, ok
}

// projectScoped is implemented by every request that names a project.
type projectScoped interface {
	GetProjectId() string
}

// authorize authenticates the call and, for requests that name a project,
// checks the caller may act on it.
func (a *Authenticator) authorize(ctx context.Context, method string, req any) (context.Context, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	caller, err := a.Authenticate(ctx, md.Get("authorization"))
	if err != nil {
		service.Annotate(ctx, slog.String("caller_error", err.Error()))
		return nil, service.NewFacadeError(codes.Unauthenticated, service.ReasonCallerUnauthenticated,
			"caller authentication failed: "+err.Error(), service.RequestID(ctx))
	}
	service.Annotate(ctx, slog.String("caller", caller.Name))
	if r, ok := req.(projectScoped); ok && !caller.MayAccess(r.GetProjectId()) {
		return nil, service.NewFacadeError(codes.PermissionDenied, service.ReasonProjectNotPermitted,
			fmt.Sprintf("caller %q may not act on project %q", caller.Name, shorten(r.GetProjectId())), service.RequestID(ctx))
	}
	return context.WithValue(ctx, callerKey{}, caller), nil
}

func shorten(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return strings.ToValidUTF8(s, "?")
}

// UnaryInterceptor enforces the callers file on unary calls. Run it inside
// the service's interceptor, so refused calls are logged with their request
// ID.
func (a *Authenticator) UnaryInterceptor() grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		if isExempt(info.FullMethod) {
			return handler(ctx, req)
		}
		ctx, err := a.authorize(ctx, info.FullMethod, req)
		if err != nil {
			return nil, err
		}
		return handler(ctx, req)
	}
}

// StreamInterceptor enforces the callers file on streaming calls (server
// reflection): it authenticates the caller; streams name no project.
func (a *Authenticator) StreamInterceptor() grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		if isExempt(info.FullMethod) {
			return handler(srv, ss)
		}
		if _, err := a.authorize(ss.Context(), info.FullMethod, nil); err != nil {
			return err
		}
		return handler(srv, ss)
	}
}
