package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"

	"github.com/devenv-facade/devenv-facade/internal/apierror"
	"github.com/devenv-facade/devenv-facade/internal/callctx"
)

// callerToken returns the caller's x-auth-token metadata, or "".
func callerToken(ctx context.Context) string {
	if v := metadata.ValueFromIncomingContext(ctx, callctx.MetadataKeyAuthToken); len(v) > 0 {
		return v[0]
	}
	return ""
}

// incomingRequestID returns the caller's request ID if it is acceptable
// (see [callctx.ValidRequestID]).
func incomingRequestID(ctx context.Context) (string, bool) {
	v := metadata.ValueFromIncomingContext(ctx, callctx.MetadataKeyRequestID)
	if len(v) == 0 || !callctx.ValidRequestID(v[0]) {
		return "", false
	}
	return v[0], true
}

// UnaryInterceptor returns the interceptor every call to the service runs
// through, over gRPC and over the REST mirror. It
//
//   - takes the caller's x-request-id (or makes one), puts it in the
//     response header metadata and hands it to the handler;
//   - turns a panic into INTERNAL, logging the stack but sending the caller
//     nothing of it;
//   - writes one log line per call: method, code, duration, request ID and
//     what the handler added (IDs, upstream error). Metadata, and so the
//     caller's token, is never logged;
//   - puts the request ID on the call's trace span, when one is recorded.
func (s *Service) UnaryInterceptor() grpc.UnaryServerInterceptor {
	return s.UnaryInterceptorAround(nil)
}

// UnaryInterceptorAround is [Service.UnaryInterceptor] with inner, when not
// nil, run inside it as the next link of the chain: inner gets the call's
// context (with its request ID) and the handler, and its answer is what
// the call answers, logged. A chain's next link run this way costs the
// call no function value of its own (a chain allocates one per link).
func (s *Service) UnaryInterceptorAround(inner grpc.UnaryServerInterceptor) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (resp any, err error) {
		ctx, requestID, start, cl := s.beginUnary(ctx)
		defer s.endUnary(ctx, info.FullMethod, requestID, start, cl, &resp, &err)
		if inner != nil {
			return inner(ctx, req, info, handler)
		}
		return handler(ctx, req)
	}
}

// beginUnary is the unary interceptor's work before the handler: the
// request ID, taken or made, in the response header and on the span, and
// the call's log annotations in its context. It and [Service.endUnary]
// are functions of their own, not inlined, so that the interceptor's
// frame, under which calls wait for ModelArts, holds only what the call
// needs (see modelarts.DirectClient).
//
//go:noinline
func (s *Service) beginUnary(ctx context.Context) (context.Context, string, time.Time, *callctx.Call) {
	start := time.Now()
	requestID, ok := incomingRequestID(ctx)
	if !ok {
		requestID = callctx.NewRequestID()
	}
	// Fails only outside a gRPC call (a direct unit-test call); the
	// header is a courtesy, the request ID still flows.
	setRequestIDHeader(ctx, requestID)
	ctx, cl := callctx.Begin(ctx, requestID)
	if !cl.Untraced() { // else no span, so none recording
		if span := trace.SpanFromContext(ctx); span.IsRecording() {
			span.SetAttributes(attribute.String("devenv.request_id", requestID))
		}
	}
	return ctx, requestID, start, cl
}

// endUnary, deferred by the unary interceptor, turns a panic in the
// handler into INTERNAL (logging the stack, sending the caller nothing of
// it) and writes the call's log line.
func (s *Service) endUnary(ctx context.Context, method, requestID string, start time.Time, cl *callctx.Call, resp *any, err *error) {
	if p := recover(); p != nil {
		*resp, *err = nil, s.handlerPanicked(ctx, method, requestID, p)
	}
	s.logCall(ctx, method, requestID, start, cl, *err)
}

// handlerPanicked logs the panic p of a call's handler, with its stack,
// and returns the INTERNAL error the caller gets instead.
func (s *Service) handlerPanicked(ctx context.Context, method, requestID string, p any) error {
	s.logger.ErrorContext(ctx, "panic in handler",
		slog.String("method", method), slog.String("request_id", requestID),
		slog.String("panic", fmt.Sprint(p)), slog.String("stack", string(debug.Stack())))
	return apierror.New(codes.Internal, apierror.ReasonInternal, "internal error in the facade", requestID)
}

// requestIDHeaders holds one-key metadata for the request ID header of
// gRPC calls, reused: grpc-go's stream copies the metadata SetHeader is
// given into its own (metadata.Join) and keeps nothing of it, so a call
// need not allocate a map (about 400 bytes) and its value's slice only
// for the copy.
var requestIDHeaders = sync.Pool{New: func() any {
	return metadata.MD{callctx.MetadataKeyRequestID: make([]string, 1)}
}}

// setRequestIDHeader puts the call's request ID in its response header
// metadata, reused (requestIDHeaders). A call over the REST mirror gets
// none: the mirror settled the request ID before the call
// (mirror.WithRequestID, whose X-Request-Id this call read) and writes it
// on every answer itself, and it passes no x-request-id metadata on.
func setRequestIDHeader(ctx context.Context, requestID string) {
	if callctx.Protocol(ctx) == callctx.ProtocolREST {
		return
	}
	md := requestIDHeaders.Get().(metadata.MD)
	v := md[callctx.MetadataKeyRequestID]
	v[0] = requestID
	_ = grpc.SetHeader(ctx, md)
	v[0] = ""
	requestIDHeaders.Put(md)
}

// StreamInterceptor is [Service.UnaryInterceptor] for streaming calls (the
// watches, and health watches and server reflection): it takes or makes
// the request ID and sends it in the response header, turns a panic in the
// handler into INTERNAL, and writes the call's one log line when the
// stream ends: its code, how long it was open, the messages it sent, and
// what the handler added.
func (s *Service) StreamInterceptor() grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) (err error) {
		start := time.Now()
		ctx := ss.Context()
		requestID, ok := incomingRequestID(ctx)
		if !ok {
			requestID = callctx.NewRequestID()
		}
		// Fails only once the header was sent, which nothing did yet.
		_ = ss.SetHeader(metadata.MD{callctx.MetadataKeyRequestID: {requestID}})
		ctx, cl := callctx.Begin(ctx, requestID)
		if !cl.Untraced() { // else no span, so none recording
			if span := trace.SpanFromContext(ctx); span.IsRecording() {
				span.SetAttributes(attribute.String("devenv.request_id", requestID))
			}
		}
		stream := &loggedStream{ServerStream: ss, ctx: ctx}
		defer func() {
			if p := recover(); p != nil {
				s.logger.ErrorContext(ctx, "panic in handler",
					slog.String("method", info.FullMethod), slog.String("request_id", requestID),
					slog.String("panic", fmt.Sprint(p)), slog.String("stack", string(debug.Stack())))
				err = apierror.New(codes.Internal, apierror.ReasonInternal, "internal error in the facade", requestID)
			}
			s.logCall(ctx, info.FullMethod, requestID, start, cl, err, slog.Int64("messages_sent", stream.sent.Load()))
		}()
		return handler(srv, stream)
	}
}

// loggedStream is a streaming call's stream as its handler sees it: its
// context carries the call's request ID and log annotations, and the
// messages it sends are counted for the log line.
type loggedStream struct {
	grpc.ServerStream
	ctx  context.Context
	sent atomic.Int64
}

func (s *loggedStream) Context() context.Context { return s.ctx }

func (s *loggedStream) SendMsg(m any) error {
	err := s.ServerStream.SendMsg(m)
	if err == nil {
		s.sent.Add(1)
	}
	return err
}

// logCall writes the call's log line, with extra after the common
// attributes. What it says of an error (code,
// reason, error_code, http_status) it reads from the error's typed fields
// ([apierror.Error]); it never builds the error's status nor parses it.
func (s *Service) logCall(ctx context.Context, method, requestID string, start time.Time, cl *callctx.Call, err error, extra ...slog.Attr) {
	e, typed := errors.AsType[*apierror.Error](err)
	code := codes.OK
	switch {
	case typed:
		code = e.Code()
	case err != nil:
		code = status.Code(err)
	}
	level := slog.LevelInfo
	switch code {
	case codes.Internal, codes.Unknown, codes.DataLoss:
		level = slog.LevelError
	case codes.Unavailable, codes.DeadlineExceeded:
		level = slog.LevelWarn
	case codes.OK:
		if strings.HasPrefix(method, "/grpc.health.v1.Health/") {
			level = slog.LevelDebug // probes would drown the log
		}
	}
	if !s.logger.Enabled(ctx, level) {
		return
	}
	now := time.Now() // the line's time, and the end of the call's duration
	attrs := make([]slog.Attr, 0, 16)
	attrs = append(attrs,
		slog.String("method", method),
		slog.String("protocol", callctx.Protocol(ctx)),
		slog.String("code", code.String()),
		slog.Float64("duration_ms", float64(now.Sub(start).Microseconds())/1000),
		slog.String("request_id", requestID))
	if p, ok := peer.FromContext(ctx); ok && p.Addr != nil {
		attrs = append(attrs, slog.String("peer", p.Addr.String()))
	}
	if typed && e.Domain() != "" {
		attrs = append(attrs, slog.String("reason", e.Reason()))
		if c := e.VendorCode(); c != "" {
			attrs = append(attrs, slog.String("error_code", c))
		}
		if h := e.HTTPStatus(); h != 0 {
			attrs = append(attrs, slog.String("http_status", strconv.Itoa(h)))
		}
	}
	attrs = append(attrs, extra...)
	attrs = cl.AppendAttrs(attrs)
	// The record is handed to the handler directly, as Logger.LogAttrs
	// would after its Enabled check (made above), but without the caller's
	// program counter, which it finds with runtime.Callers (a sixth of the
	// line's cost) for handlers that print the source: the facade's print
	// none; the facade's own handlers take the record as its parts,
	// without the record's allocation for attributes beyond its fifth, and
	// with the call, which it need not look for in ctx.
	_ = callctx.HandleCallAttrs(s.logger.Handler(), ctx, cl, now, level, "rpc", attrs)
}
