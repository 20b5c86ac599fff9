package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strconv"
	"strings"
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
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (resp any, err error) {
		start := time.Now()
		requestID, ok := incomingRequestID(ctx)
		if !ok {
			requestID = callctx.NewRequestID()
		}
		// Fails only outside a gRPC call (a direct unit-test call); the
		// header is a courtesy, the request ID still flows.
		_ = grpc.SetHeader(ctx, metadata.Pairs(callctx.MetadataKeyRequestID, requestID))
		cl := callctx.New(requestID)
		ctx = callctx.NewContext(ctx, cl)
		if span := trace.SpanFromContext(ctx); span.IsRecording() {
			span.SetAttributes(attribute.String("devenv.request_id", requestID))
		}

		defer func() {
			if p := recover(); p != nil {
				s.logger.ErrorContext(ctx, "panic in handler",
					slog.String("method", info.FullMethod), slog.String("request_id", requestID),
					slog.String("panic", fmt.Sprint(p)), slog.String("stack", string(debug.Stack())))
				resp, err = nil, apierror.New(codes.Internal, apierror.ReasonInternal, "internal error in the facade", requestID)
			}
			s.logCall(ctx, info.FullMethod, requestID, start, cl, err)
		}()
		return handler(ctx, req)
	}
}

// logCall writes the call's log line. What it says of an error (code,
// reason, error_code, http_status) it reads from the error's typed fields
// ([apierror.Error]); it never builds the error's status nor parses it.
func (s *Service) logCall(ctx context.Context, method, requestID string, start time.Time, cl *callctx.Call, err error) {
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
	attrs := make([]slog.Attr, 0, 16)
	attrs = append(attrs,
		slog.String("method", method),
		slog.String("protocol", callctx.Protocol(ctx)),
		slog.String("code", code.String()),
		slog.Float64("duration_ms", float64(time.Since(start).Microseconds())/1000),
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
	attrs = cl.AppendAttrs(attrs)
	s.logger.LogAttrs(ctx, level, "rpc", attrs...)
}
