package callerauth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/tap"
	"google.golang.org/protobuf/proto"

	"github.com/devenv-facade/devenv-facade/internal/apierror"
	"github.com/devenv-facade/devenv-facade/internal/callctx"
	"github.com/devenv-facade/devenv-facade/internal/scrub"
)

// maxMethodBytes bounds a method name, which the client chose, in logs and
// error messages.
const maxMethodBytes = 128

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

// Tap authenticates a gRPC call from its headers, as a grpc tap handle
// (grpc.InTapHandle): it runs before grpc-go reads anything else of the
// call, so an unauthenticated caller cannot make the facade buffer its
// request. The caller is stored in the returned context, where
// [Authenticator.UnaryInterceptor] and [Authenticator.StreamInterceptor]
// find it. Health checks are exempt.
func (a *Authenticator) Tap(ctx context.Context, info *tap.Info) (context.Context, error) {
	if isExempt(info.FullMethodName) {
		return ctx, nil
	}
	caller, err := a.Authenticate(ctx, info.Header.Get("authorization"))
	if errors.Is(err, ErrNoCredentials) {
		caller, err = a.admitHolder(err, info.FullMethodName, info.Header.Get(callctx.MetadataKeyAuthToken))
	}
	if err != nil {
		requestID := firstValid(info.Header.Get("x-request-id"))
		a.refused(callctx.ProtocolGRPC, info.FullMethodName, requestID, err)
		return nil, a.unauthenticated(err, requestID)
	}
	return context.WithValue(ctx, callerKey{}, caller), nil
}

// Middleware authenticates REST calls before next reads their body, as
// [Authenticator.Tap] does for gRPC; refused calls are answered with
// writeError (the mirror's vendor-shaped error writer). The request ID is
// the request's X-Request-Id header, which the mirror sets before.
func (a *Authenticator) Middleware(next http.Handler, writeError func(http.ResponseWriter, *http.Request, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		caller, err := a.authenticate(r.Header.Values("Authorization"), leaf(r.TLS))
		if errors.Is(err, ErrNoCredentials) {
			caller, err = a.admitHolder(err, "", r.Header.Values("X-Auth-Token"))
		}
		if err != nil {
			requestID := firstValid(r.Header.Values("X-Request-Id"))
			a.refused(callctx.ProtocolREST, r.Method+" "+r.URL.EscapedPath(), requestID, err)
			if r.ContentLength != 0 {
				// The body stays unread: closing the connection after the
				// answer keeps net/http from reading it first.
				w.Header().Set("Connection", "close")
			}
			writeError(w, r, a.unauthenticated(err, requestID))
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), callerKey{}, caller)))
	})
}

func firstValid(ids []string) string {
	if len(ids) > 0 && callctx.ValidRequestID(ids[0]) {
		return ids[0]
	}
	return callctx.NewRequestID()
}

// unauthenticated is the error of a call refused for err: a signed
// request is told to send a token instead; any other is told what failed.
func (a *Authenticator) unauthenticated(err error, requestID string) error {
	if errors.Is(err, ErrSignedRequest) {
		send := "a bearer token from the callers file (Authorization: Bearer)"
		if a.holders.policy != RefuseTokenHolders {
			send = "your IAM token as X-Auth-Token, or " + send
		}
		return apierror.SignatureNotAccepted(requestID, send)
	}
	return apierror.New(codes.Unauthenticated, apierror.ReasonCallerUnauthenticated,
		"caller authentication failed: "+err.Error(), requestID)
}

// authorize finds (or, without the tap, establishes) the call's caller,
// records who the call runs as ([callctx.WithIdentity]) and checks the
// caller may call method with req, as the method's declaration says
// (package rpcdecl):
//
//   - an RPC on a project (SCOPE_PROJECT, SCOPE_INSTANCE) that only reads
//     what the call's credentials own (ACCESS_READ) needs the project in
//     either of the caller's lists; any other (ACCESS_WRITE, and
//     ACCESS_READ_ALL_USERS, which reads every user's resources) needs it
//     in projects;
//   - an RPC on no project (SCOPE_NONE, such as server reflection) may be
//     called by any caller if it only reads; otherwise only by callers
//     that may change every project (projects: ["*"]);
//   - an RPC without a complete declaration, or one the table does not
//     know, only by callers that may change every project: the call fails
//     closed for callers limited to some projects.
//
// A token holder is authorized by [Authenticator.authorizeHolder].
func (a *Authenticator) authorize(ctx context.Context, method string, req any) (context.Context, error) {
	ctx, err := a.authenticated(ctx, method)
	if err != nil {
		return nil, err
	}
	caller, _ := FromContext(ctx)
	rpc := a.rpcs.Lookup(method)
	msg, _ := req.(proto.Message)
	project := rpc.ProjectID(msg)
	// A malformed project is a malformed request, whoever sends it: it
	// gets the field violation the service would give, and no project
	// check (nor, for a token holder, a question to IAM) is made of it.
	if rpc.NamesProject() && !callctx.ValidProjectID(project) {
		return nil, apierror.InvalidArgument(callctx.RequestID(ctx), apierror.Violation(rpc.ProjectField(), apierror.ViolationMalformed,
			rpc.ProjectField()+" must be 32 lowercase hexadecimal characters"))
	}
	if caller.holder {
		return a.authorizeHolder(ctx, method, rpc, project)
	}
	callctx.Annotate(ctx, slog.String("caller", caller.Name))
	ctx = callctx.WithIdentity(ctx, callctx.Identity{Name: caller.Name})
	call := apierror.Call{RequestID: callctx.RequestID(ctx), Caller: caller.Name}
	refuse := func(format string, args ...any) (context.Context, error) {
		return nil, apierror.Facade(codes.PermissionDenied, apierror.ReasonProjectNotPermitted, fmt.Sprintf(format, args...), call)
	}
	switch {
	case rpc.NamesProject() && caller.MayAccess(project):
	case rpc.NamesProject() && caller.MayRead(project) && rpc.ReadsAllUsers():
		return refuse("caller %q may only read project %q (what the facade's credentials own); %s reads every user's resources in it, which needs the project in projects",
			caller.Name, shorten(project), scrub.Text(method, maxMethodBytes, nil))
	case rpc.NamesProject() && caller.MayRead(project) && rpc.ReadOnly():
	case rpc.NamesProject() && caller.MayRead(project):
		return refuse("caller %q may only read project %q (list and get); %s changes it", caller.Name, shorten(project), scrub.Text(method, maxMethodBytes, nil))
	case rpc.NamesProject():
		return refuse("caller %q may not act on project %q", caller.Name, shorten(project))
	case rpc.NamesNoProject() && rpc.ReadOnly() && !rpc.ReadsAllUsers():
	case caller.all:
	case rpc.NamesNoProject():
		return refuse("caller %q may not call %s: it acts on no project, and changes things; only callers that may change every project may call it",
			caller.Name, scrub.Text(method, maxMethodBytes, nil))
	default:
		return refuse("caller %q may not call %s: it does not declare which project it acts on; only callers that may change every project may call it",
			caller.Name, scrub.Text(method, maxMethodBytes, nil))
	}
	return ctx, nil
}

// authenticated returns ctx with the call's caller: the one the tap (or
// the middleware) found, or, without them, the one the call's metadata
// authenticates; or the call's refusal.
func (a *Authenticator) authenticated(ctx context.Context, method string) (context.Context, error) {
	if _, ok := FromContext(ctx); ok {
		return ctx, nil
	}
	md, _ := metadata.FromIncomingContext(ctx)
	caller, err := a.Authenticate(ctx, md.Get("authorization"))
	if errors.Is(err, ErrNoCredentials) {
		caller, err = a.admitHolder(err, method, md.Get(callctx.MetadataKeyAuthToken))
	}
	if err != nil {
		callctx.Annotate(ctx, slog.String("caller_error", err.Error()))
		return nil, a.unauthenticated(err, callctx.RequestID(ctx))
	}
	return context.WithValue(ctx, callerKey{}, caller), nil
}

func shorten(s string) string {
	if len(s) > 64 {
		s = s[:64] + "..."
	}
	return strings.ToValidUTF8(s, "?")
}

// UnaryInterceptor enforces the callers file on unary calls: it checks the
// caller's projects (and authenticates the caller if [Authenticator.Tap]
// or [Authenticator.Middleware] did not). Run it inside the service's
// interceptor, so refused calls are logged with their request ID.
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

// StreamInterceptor enforces the callers file on streaming calls: it
// authenticates the caller if the tap did not and checks a token holder's
// token as the policy says. A call whose declaration names a project (the
// API's watches) is authorized as a unary call is, by its request's
// project and the declared access, when the request arrives: the handler's
// RecvMsg answers the refusal instead of the request, so the handler never
// sees (nor validates) a request its caller may not make, and the call's
// context ([grpc.ServerStream.Context]) says who the call runs as from
// then on. Until its request is authorized the handler can send nothing
// (fail closed). A call that names no project (server reflection) is
// authorized when it starts, as its declaration says.
func (a *Authenticator) StreamInterceptor() grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		if isExempt(info.FullMethod) {
			return handler(srv, ss)
		}
		if a.rpcs.Lookup(info.FullMethod).NamesProject() {
			// Who calls is known from the headers: an unknown caller is
			// refused before its request is read.
			ctx, err := a.authenticated(ss.Context(), info.FullMethod)
			if err != nil {
				return err
			}
			return handler(srv, &authorizingStream{ServerStream: ss, ctx: ctx, a: a, method: info.FullMethod})
		}
		if _, err := a.authorize(ss.Context(), info.FullMethod, nil); err != nil {
			return err
		}
		return handler(srv, ss)
	}
}

// authorizingStream authorizes each request of a streaming call whose
// declaration names a project as it arrives ([Authenticator.StreamInterceptor]).
// Its handler's RecvMsg and SendMsg may run at the same time (grpc-go
// allows it), hence the atomic.
type authorizingStream struct {
	grpc.ServerStream
	// ctx is the call's context with its (authenticated) caller.
	ctx    context.Context
	a      *Authenticator
	method string
	// authorized holds the call's context once its first request was
	// authorized: who the call runs as ([callctx.WithIdentity]).
	authorized atomic.Pointer[context.Context]
}

// RecvMsg receives a request and authorizes it; a refused request is
// answered with the refusal, and never reaches the handler.
func (s *authorizingStream) RecvMsg(m any) error {
	if err := s.ServerStream.RecvMsg(m); err != nil {
		return err
	}
	ctx, err := s.a.authorize(s.ctx, s.method, m)
	if err != nil {
		return err
	}
	s.authorized.CompareAndSwap(nil, &ctx)
	return nil
}

// Context returns the call's context: once its request is authorized, the
// one that says who the call runs as.
func (s *authorizingStream) Context() context.Context {
	if ctx := s.authorized.Load(); ctx != nil {
		return *ctx
	}
	return s.ctx
}

// SendMsg sends m once the call's request has been authorized.
func (s *authorizingStream) SendMsg(m any) error {
	if err := s.mayAnswer(); err != nil {
		return err
	}
	return s.ServerStream.SendMsg(m)
}

// SendHeader sends md once the call's request has been authorized.
func (s *authorizingStream) SendHeader(md metadata.MD) error {
	if err := s.mayAnswer(); err != nil {
		return err
	}
	return s.ServerStream.SendHeader(md)
}

// mayAnswer refuses to answer a call whose request has not been
// authorized: a handler that sends before receiving its request is a
// bug, and the stream fails closed.
func (s *authorizingStream) mayAnswer() error {
	if s.authorized.Load() != nil {
		return nil
	}
	return apierror.New(codes.Internal, apierror.ReasonInternal,
		"internal error in the facade: the call answered before its request was authorized", callctx.RequestID(s.ctx))
}

// refusalLogInterval is how often, at most, refused calls are logged at
// WARN level; each one is logged at DEBUG.
const refusalLogInterval = 10 * time.Second

// refusalLog samples the log lines of refused calls: a caller probing
// tokens must not be able to flood the log. The first refusal after a
// quiet interval is logged at WARN with how many were refused since the
// last such line; every refusal is logged at DEBUG.
type refusalLog struct {
	mu         sync.Mutex
	last       time.Time
	suppressed int
}

// refused records a refused call.
func (a *Authenticator) refused(protocol, method, requestID string, err error) {
	attrs := []slog.Attr{slog.String("protocol", protocol), slog.String("method", scrub.Text(method, maxMethodBytes, nil)),
		slog.String("request_id", requestID), slog.String("caller_error", err.Error())}
	a.logger.LogAttrs(context.Background(), slog.LevelDebug, "refused an unauthenticated call", attrs...)
	now := a.clock.Now()
	r := &a.refusals
	r.mu.Lock()
	if !r.last.IsZero() && now.Sub(r.last) < refusalLogInterval {
		r.suppressed++
		r.mu.Unlock()
		return
	}
	suppressed := r.suppressed
	r.last, r.suppressed = now, 0
	r.mu.Unlock()
	attrs = append(attrs, slog.Int("refused_since_last_line", suppressed))
	a.logger.LogAttrs(context.Background(), slog.LevelWarn, "refused an unauthenticated call (at most one such line per 10s; the rest at debug level)", attrs...)
}
