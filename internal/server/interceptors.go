package server

import (
	"context"
	"errors"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/tap"

	"github.com/devenv-facade/devenv-facade/internal/apierror"
	"github.com/devenv-facade/devenv-facade/internal/callctx"
)

// unaryInterceptor returns the interceptors every call runs through, over
// gRPC and the REST mirror alike, chained into one.
func (s *Server) unaryInterceptor() grpc.UnaryServerInterceptor {
	// What the check of a request's encoded form found is moved into the
	// call's context before anything can refuse the call (the service
	// answers it after authorization), and a caller's trace context is
	// taken from its metadata; metrics see every call next; then the
	// service's interceptor, so that refused and drained calls are logged
	// with their request ID too; then the call tracking (shutdown and
	// request timeouts), then the caller's authorization. The first two
	// steps only change the context: they run before the chain rather
	// than as links of it, each of which costs a call an allocation; the
	// service's interceptor runs inside the metrics' and the call tracking
	// inside the service's (UnaryInterceptorAround) for the same reason.
	opts := s.opts
	check := s.check
	var extract func(context.Context) context.Context
	if !opts.Tracing.Recording() {
		// Without OpenTelemetry's handler, a caller's trace context is
		// carried through by this step (propagation.go).
		extract = traceContextExtractor(opts.Tracing.Propagator)
	}
	// Metrics run the service's interceptor inside them, as it runs the
	// call tracking: one link, which costs a call no function value.
	first := s.svc.UnaryInterceptorAround(s.trackCall)
	if opts.Metrics != nil {
		first = opts.Metrics.UnaryServerInterceptorAround(first)
	}
	interceptors := []grpc.UnaryServerInterceptor{first}
	if opts.Callers != nil {
		interceptors = append(interceptors, opts.Callers.UnaryInterceptor())
	}
	chain := chainUnary(interceptors...)
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		ctx = check.Take(ctx, req)
		if extract != nil {
			ctx = extract(ctx)
		}
		return chain(ctx, req, info, handler)
	}
}

// streamInterceptor returns the interceptors every streaming call runs
// through, chained into one, in the order of the unary ones: what the
// request check found is taken as the handler receives the request;
// metrics; the service's interceptor (request ID, panic recovery, one log
// line per call); the call tracking (pending and long-lived streams, the
// call's Ender); then the caller's authorization, when its request
// arrives. The REST mirror's streaming calls can run through the same
// chain.
func (s *Server) streamInterceptor() grpc.StreamServerInterceptor {
	opts := s.opts
	interceptors := []grpc.StreamServerInterceptor{s.check.StreamInterceptor()}
	if !opts.Tracing.Recording() {
		interceptors = append(interceptors, traceContextStreamInterceptor(opts.Tracing.Propagator))
	}
	if opts.Metrics != nil {
		interceptors = append(interceptors, opts.Metrics.StreamServerInterceptor())
	}
	interceptors = append(interceptors, s.svc.StreamInterceptor(), s.trackStream)
	if opts.Callers != nil {
		interceptors = append(interceptors, opts.Callers.StreamInterceptor())
	}
	return chainStream(interceptors...)
}

// tap runs when a gRPC call's headers arrive, before grpc-go reads anything
// else of it: unknown methods, unauthenticated callers and streams beyond
// the bounds are refused here, so they cannot make the facade buffer their
// request.
func (s *Server) tap(ctx context.Context, info *tap.Info) (context.Context, error) {
	if s.opts.Callers != nil {
		var err error
		if ctx, err = s.opts.Callers.Tap(ctx, info); err != nil {
			return nil, err
		}
	}
	// Real time, not Options.Clock: the request read timeout bounds I/O.
	return s.streams.tap(ctx, info, time.Now())
}

// trackCall is the unary interceptor that tracks a call from the moment
// its request arrived: shutdown waits for it, and cancels it past the grace
// period, which makes it answer UNAVAILABLE (reason SHUTTING_DOWN) rather
// than the CANCELLED its cancellation would give. A call that succeeded
// still reports its success: its outcome is not lost.
func (s *Server) trackCall(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	if st := streamFrom(ctx); st != nil { // gRPC, and REST with a body
		if !s.streams.activate(st) {
			return nil, arrivedLate(ctx)
		}
		defer s.streams.finish(st)
	}
	s.calls.begin()
	defer s.calls.end()
	resp, err := handler(ctx, req)
	// Only a call the shutdown cut off answers SHUTTING_DOWN; an answer it
	// got before (NOT_FOUND, say) stands.
	if err != nil && errors.Is(context.Cause(ctx), errShuttingDown) && cutOff(err) {
		return nil, shutDown(ctx)
	}
	return resp, err
}

// arrivedLate is the error of a call whose request arrived after the
// facade stopped waiting for it. It and [shutDown] are functions of their
// own, not inlined, so that trackCall's frame, under which calls wait for
// ModelArts, holds only what the call needs (see modelarts.DirectClient).
//
//go:noinline
func arrivedLate(ctx context.Context) error {
	return apierror.New(codes.Canceled, apierror.ReasonCanceled,
		"the request arrived after the facade stopped waiting for it", callctx.RequestID(ctx))
}

// shutDown is the error of a call the shutdown cancelled.
//
//go:noinline
func shutDown(ctx context.Context) error {
	return apierror.New(codes.Unavailable, apierror.ReasonShuttingDown,
		"the facade is shutting down and cancelled the call; the outcome is unknown and the call may be retried elsewhere",
		callctx.RequestID(ctx))
}

// trackStream is trackCall for streaming calls. Every one gets an Ender
// ([callctx.WithStreamEnd]) in its context, which asks it to end cleanly
// when the facade drains or when its gRPC connection reaches the age at
// which grpc-go has told the client to reconnect ([streams.sweep]). A call
// of the API (a watch) counts as waiting for its request, in its caller's
// share of pending calls and within the request read timeout, until the
// request arrives; the service's own caps bound it from then on. Other
// streaming calls (health watches, reflection) are long-lived from the
// start: bounded by maxLongLivedStreams, and ended at once at shutdown.
// A call the shutdown cut off past the grace period answers UNAVAILABLE
// (SHUTTING_DOWN), as a unary one does.
func (s *Server) trackStream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	ctx, ender := callctx.WithStreamEnd(ss.Context())
	tracked := &trackedStream{ServerStream: ss, ctx: ctx}
	if st := streamFrom(ctx); st != nil { // gRPC
		if s.apiStreams[info.FullMethod] {
			tracked.pending, tracked.r = st, s.streams
		} else if err := s.streams.openLongLived(st, callctx.RequestID(ctx)); err != nil {
			return err
		}
		defer s.streams.finish(st)
	}
	s.streams.openEnder(ender, connectionBorn(ctx))
	defer s.streams.closeEnder(ender)
	s.calls.begin()
	defer s.calls.end()
	err := handler(srv, tracked)
	if err != nil && errors.Is(context.Cause(ctx), errShuttingDown) && cutOff(err) {
		return apierror.New(codes.Unavailable, apierror.ReasonShuttingDown,
			"the facade is shutting down and cancelled the call; the call may be retried elsewhere",
			callctx.RequestID(ctx))
	}
	return err
}

// trackedStream is a streaming call's stream as trackStream hands it on:
// its context carries the call's Ender, and the arrival of the request of
// a call of the API ends its pending state.
type trackedStream struct {
	grpc.ServerStream
	ctx context.Context
	// pending is the call's record until its request arrives (nil for
	// other calls, and once it has); r its registry.
	pending *stream
	r       *streams
}

func (t *trackedStream) Context() context.Context { return t.ctx }

func (t *trackedStream) RecvMsg(m any) error {
	err := t.ServerStream.RecvMsg(m)
	if err == nil && t.pending != nil {
		t.r.requestArrived(t.pending)
		t.pending = nil
	}
	return err
}

// cutOff reports whether err is what a cancelled call answers: CANCELLED
// or DEADLINE_EXCEEDED, or a context error.
func cutOff(err error) bool {
	switch status.Code(err) {
	case codes.Canceled, codes.DeadlineExceeded:
		return true
	}
	return errors.Is(err, context.Canceled)
}

// chainUnary runs the interceptors in order, outermost first, then the
// handler. The gRPC server and the REST mirror both run calls through the
// one chain it returns: grpc-go chains interceptors only inside its server
// (grpc.ChainUnaryInterceptor is a ServerOption, with no function that
// returns the chain), and the mirror, which calls the service in process,
// needs the chain as one interceptor. Using grpc-go's chain for gRPC and
// this one for REST would give the two protocols two chains to keep
// alike; these fifteen lines give them one.
func chainUnary(interceptors ...grpc.UnaryServerInterceptor) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		return interceptors[0](ctx, req, info, chained(interceptors[1:], info, handler))
	}
}

func chained(rest []grpc.UnaryServerInterceptor, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) grpc.UnaryHandler {
	if len(rest) == 0 {
		return handler
	}
	return func(ctx context.Context, req any) (any, error) {
		return rest[0](ctx, req, info, chained(rest[1:], info, handler))
	}
}

// chainStream is chainUnary for streaming calls.
func chainStream(interceptors ...grpc.StreamServerInterceptor) grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		return interceptors[0](srv, ss, info, chainedStream(interceptors[1:], info, handler))
	}
}

func chainedStream(rest []grpc.StreamServerInterceptor, info *grpc.StreamServerInfo, handler grpc.StreamHandler) grpc.StreamHandler {
	if len(rest) == 0 {
		return handler
	}
	return func(srv any, ss grpc.ServerStream) error {
		return rest[0](srv, ss, info, chainedStream(rest[1:], info, handler))
	}
}
