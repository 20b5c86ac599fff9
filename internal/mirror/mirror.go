// Package mirror serves the REST mirror of the API's services
// (DevEnvService, NotebookService): the ModelArts paths of their RPCs'
// google.api.http rules, request and response bodies with the vendor's
// snake_case names, and errors in the vendor's shape, so that a client
// written for ModelArts works unchanged against the facade. Nothing is
// written per RPC (see [New]).
//
// Errors are written as {"error_code": "...", "error_message": "..."} on
// the old DevEnviron API's paths, and as {"error_code": "...",
// "error_msg": "..."}, the new API's shape, on its paths
// (/v1/{project_id}/notebooks... and /v1/{project_id}/images...). When
// the error came from ModelArts, the body and the HTTP status are the ones
// ModelArts sent (HTTP 400 with ModelArts.6309 for a missing instance, even
// though gRPC callers get NOT_FOUND). Errors the facade raises itself use
// the HTTP status of their gRPC code and an error_code starting with
// "Facade." (see [apierror.FacadeCodePrefix]), except where ModelArts has a
// code of its own for the same refusal (a request value it checks itself,
// such as an unknown action: see vendorValidationCodes). A method or path the API
// does not serve is answered as the vendor's API gateway answers it: 404
// {"error_msg": ..., "error_code": "APIGW.0101", "request_id": ...}, never
// 405. Every answer carries X-Request-Id, and no body ends with a newline.
//
// A server-streaming RPC (a watch) answers a stream: Server-Sent Events
// when the request's Accept names text/event-stream, else grpc-gateway's
// newline-delimited JSON (see stream.go and [sseStream]). Its errors
// before its first event are ordinary answers, as above.
//
// Configuration follows package options: [Options] is a struct whose zero
// fields mean their defaults, which New fills in and checks in one
// place.
package mirror

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/devenv-facade/devenv-facade/internal/apierror"
	"github.com/devenv-facade/devenv-facade/internal/callctx"
	"github.com/devenv-facade/devenv-facade/internal/options"
	"github.com/devenv-facade/devenv-facade/internal/reqcheck"
	"github.com/devenv-facade/devenv-facade/internal/vendorjson"
)

// New returns the REST mirror of services. Every call runs through
// interceptor, the same one the gRPC server uses, so request IDs, panic
// recovery and logging behave the same over both protocols.
//
// The mirror calls the services in-process rather than dialing the
// facade's own gRPC port. A unary RPC is served by the service's
// grpc-gateway server handler (the generated RegisterXHandlerServer),
// which calls the service's generated intercepted server
// (NewXInterceptedServer, written by protoc-gen-go-intercept): it runs
// the call through interceptor, as a gRPC server would, with the request
// the gateway decoded and a context that holds the HTTP request's headers
// the facade reads as incoming metadata ([newInCall]); the service's
// answer is the one written, not a copy. A server-streaming RPC (a
// watch), which the server handlers refuse, is served by the service's
// client handler (RegisterXHandlerClient) on an in-process connection
// whose NewStream runs the method's handler through
// Options.StreamInterceptor ([inProcess]). A gRPC hop on loopback would
// add a second HTTP/2 exchange, two protobuf round trips and a connection
// to manage, for nothing the in-process call lacks: status details (and
// the errors themselves) pass through untouched, and header metadata set
// with grpc.SetHeader reaches the HTTP response. What is lost is only what
// needs a real gRPC transport (peer address, per-connection credentials),
// which the mirror reads from the HTTP request instead where needed.
// Nothing is written per RPC: an RPC is served over REST when its proto
// gives it a google.api.http rule.
//
// The handler New returns runs, before the API: the request ID
// ([WithRequestID]), the vendor gateway's 404 for a method and path the API
// does not serve, the mark that tells the call's log line it came over
// REST, the body limit (Options.MaxBodyBytes), caller authentication
// (Options.CallerAuth), for a streaming route the stream's setup
// ([config.serveStreaming]), and the query's check, in that order; then
// grpc-gateway's mux of the route's service.
func New(ctx context.Context, services []Service, interceptor grpc.UnaryServerInterceptor, opts Options) (http.Handler, error) {
	if interceptor == nil {
		// Caller authorization and the request check are in it: a unary
		// call without it would reach the service unchecked.
		return nil, errors.New("mirror: no interceptor: every unary call runs through one")
	}
	for _, svc := range services {
		if svc.intercepted == nil || svc.registerUnary == nil || svc.registerStreaming == nil {
			return nil, errors.New("mirror: a Service not made by DevEnvService or NotebookService")
		}
	}
	if opts.MaxBodyBytes < 0 {
		return nil, options.Errorf("mirror", "{MaxBodyBytes} %d is negative", opts.MaxBodyBytes)
	}
	if opts.KeepAlive < 0 || opts.StreamWriteTimeout < 0 {
		return nil, options.Errorf("mirror", "{KeepAlive} %s and {StreamWriteTimeout} %s may not be negative", opts.KeepAlive, opts.StreamWriteTimeout)
	}
	cfg := &config{maxBody: options.Or(opts.MaxBodyBytes, DefaultMaxBodyBytes), logger: opts.Logger, auth: opts.CallerAuth, check: opts.RequestCheck,
		keepAlive: options.Or(opts.KeepAlive, DefaultKeepAlive), streamWriteTimeout: options.Or(opts.StreamWriteTimeout, DefaultStreamWriteTimeout),
		propagator: opts.Propagator, absentBelow: opts.AbsentBelow}
	if p := opts.Propagator; p != nil {
		for _, f := range p.Fields() {
			cfg.traceFields = append(cfg.traceFields, http.CanonicalHeaderKey(f))
		}
	}
	muxOptions := []runtime.ServeMuxOption{
		runtime.WithMarshalerOption(runtime.MIMEWildcard, &vendorMarshaler{JSONPb: runtime.JSONPb{
			MarshalOptions:   protojson.MarshalOptions{UseProtoNames: true},
			UnmarshalOptions: protojson.UnmarshalOptions{DiscardUnknown: true},
		}, check: cfg.check}),
		runtime.WithIncomingHeaderMatcher(noHeader),
		runtime.WithOutgoingHeaderMatcher(outgoingHeader),
		runtime.WithOutgoingTrailerMatcher(func(string) (string, bool) { return "", false }),
		// Match on the escaped path, so "%2F" stays inside one segment and
		// reaches validation as "/" instead of changing which route matches.
		runtime.WithUnescapingMode(runtime.UnescapingModeAllExceptReserved),
		runtime.WithErrorHandler(cfg.logUnread(writeError)),
		runtime.WithRoutingErrorHandler(writeRoutingError),
		// ModelArts knows neither X-HTTP-Method-Override nor POST-for-GET.
		runtime.WithDisableHTTPMethodOverride(),
		runtime.WithDisablePathLengthFallback(),
		runtime.WithWriteContentLength(),
		runtime.WithMiddlewares(nameSpan),
		runtime.WithForwardResponseRewriter(asModelArtsSent),
		runtime.WithForwardResponseOption(writeCallHeader),
	}
	if err := routeTable.checkOrder(); err != nil {
		return nil, err
	}
	conn := newInProcess(opts.StreamInterceptor, opts.Logger, services)
	unary := inCallInterceptor(interceptor)
	// Two muxes per service, one of its unary rules' server handlers and
	// one of its streaming rules' client handlers, each route sent to its
	// own: a request is routed by its service's rules alone
	// (routeTable.checkOrder compares those), and grpc-gateway does not
	// first try, and fail to match, every other service's rules of its
	// method (the new API's three DELETE rules before DeleteInstance's,
	// each a failed match and an errors.As). A rule of a service New was
	// not given goes to an empty mux, which answers it as not found.
	b := &back{config: cfg, muxes: make([]*runtime.ServeMux, len(routeTable))}
	for _, svc := range services {
		unaryMux, streamingMux := runtime.NewServeMux(muxOptions...), runtime.NewServeMux(muxOptions...)
		if err := svc.registerUnary(ctx, unaryMux, svc.intercepted(unary)); err != nil {
			return nil, fmt.Errorf("mirror: %s: %w", svc.Desc.ServiceName, err)
		}
		if err := svc.registerStreaming(ctx, streamingMux, conn); err != nil {
			return nil, fmt.Errorf("mirror: %s: %w", svc.Desc.ServiceName, err)
		}
		for i := range routeTable {
			if routeTable[i].service != svc.Desc.ServiceName {
				continue
			}
			b.muxes[i] = unaryMux
			if routeTable[i].serverStreaming {
				b.muxes[i] = streamingMux
			}
		}
	}
	none := runtime.NewServeMux(muxOptions...)
	for i, mux := range b.muxes {
		if mux == nil {
			b.muxes[i] = none
		}
	}
	var next http.Handler = b
	if cfg.auth != nil {
		next = cfg.auth(next)
	}
	return &front{config: cfg, next: next}, nil
}

// front runs the mirror's steps before caller authentication, in one
// frame: the request ID ([WithRequestID]), the gateway's 404 for a method
// and path the API does not serve ([notFound]), the call's record with
// the caller's trace context ([config.asCall]) and the body limit
// ([config.limitBody]). next is caller
// authentication (Options.CallerAuth) around [back], or back.
type front struct {
	*config
	next http.Handler
}

func (f *front) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	WithRequestID(w, r)
	rt := routeTable.find(r.Method, r.URL.EscapedPath())
	if rt == nil {
		notFound(w, r)
		return
	}
	r = f.asCall(r, rt)
	if !f.limitBody(w, r) {
		return
	}
	f.next.ServeHTTP(w, r)
}

// back runs the mirror's steps after caller authentication, in one frame:
// for a streaming route, the stream's setup ([config.serveStreaming]);
// the query's check ([config.checkQuery]); and grpc-gateway's mux of the
// route's service.
type back struct {
	*config
	muxes []*runtime.ServeMux // by index in routeTable
}

func (b *back) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rt := routeOf(r)
	if rt == nil {
		notFound(w, r) // CallerAuth gave a request without a call, to no route
		return
	}
	mux := b.muxes[rt.index]
	if rt.serverStreaming {
		b.serveStreaming(w, r, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b.checkQuery(w, r, rt, mux)
		}))
		return
	}
	b.checkQuery(w, r, rt, mux)
}

// nameSpan names the request's server span, if one is recorded, after the
// route it matched ("GET /v1/{project_id}/demanager/instances"), as the
// OpenTelemetry HTTP conventions ask; the span is started before routing,
// when only the method is known.
func nameSpan(next runtime.HandlerFunc) runtime.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request, params map[string]string) {
		if span := trace.SpanFromContext(r.Context()); span.IsRecording() {
			if pat, ok := runtime.HTTPPattern(r.Context()); ok {
				route := strings.ReplaceAll(pat.String(), "=*}", "}")
				span.SetName(r.Method + " " + route)
				span.SetAttributes(attribute.String("http.route", route))
			}
		}
		next(w, r, params)
	}
}

// DefaultMaxBodyBytes bounds a request body unless Options.MaxBodyBytes
// says otherwise.
const DefaultMaxBodyBytes = 1 << 20

// Options configures [New]. The zero value of every field means its
// default (package options).
type Options struct {
	// MaxBodyBytes bounds request bodies: a larger declared length is
	// refused at once with 413, a larger body fails when it is read. Zero
	// means [DefaultMaxBodyBytes].
	MaxBodyBytes int64
	// Logger, if set, gets a line for each request the mirror answers with
	// an error before the request reached the service's interceptors,
	// which log every call they see: a body, query or path grpc-gateway
	// could not read into the API's message, or a body over the size
	// limit. Nil logs nothing.
	Logger *slog.Logger
	// CallerAuth, if set, wraps the API in an authenticating middleware,
	// after the request ID and body limit and before any body is read. It
	// answers refused calls itself (with [WriteError], for the vendor's
	// shape).
	CallerAuth func(http.Handler) http.Handler
	// RequestCheck, if set, checks request bodies before they are decoded
	// (package reqcheck): of a body over the API's bounds, or with invalid
	// UTF-8, nothing is decoded (the request's IDs come from the path), and
	// the checker keeps what it found for the call's pipeline, which
	// answers it after authorization (the pipeline's interceptor must
	// include RequestCheck.UnaryInterceptor, and the service must answer
	// reqcheck.FromContext). A body or query string that cannot be read
	// into the API's message (not JSON, a value of the wrong type, a query
	// value that is not a number) is held the same way, as the
	// vendor-shaped error it is answered with. Nil refuses such requests at
	// once.
	RequestCheck *reqcheck.Checker
	// StreamInterceptor, if set, runs every call of a server-streaming
	// RPC (a watch), as interceptor runs every unary call; nil runs the
	// handler alone.
	StreamInterceptor grpc.StreamServerInterceptor
	// KeepAlive is how often an event stream with nothing to send writes
	// a comment line. Zero means [DefaultKeepAlive].
	KeepAlive time.Duration
	// StreamWriteTimeout bounds each write of a streaming answer (an
	// event, a keep-alive). Zero means [DefaultStreamWriteTimeout].
	StreamWriteTimeout time.Duration
	// Propagator, if set, is the trace propagator of a server that
	// records no spans (OpenTelemetry off): the mirror carries a caller's
	// trace context (the propagator's fields, traceparent and tracestate)
	// into the call's context, as OpenTelemetry's HTTP handler with a
	// no-op provider would, and marks a call whose request has none of
	// its fields as carrying no trace context (callctx.Room.SetUntraced),
	// which spares the call's steps their searches for one. Nil: the
	// server records spans, and wraps the mirror in an HTTP handler that
	// starts them (otelhttp).
	Propagator propagation.TextMapPropagator
	// AbsentBelow are context keys (besides the mirror's own) whose values
	// no layer below a call's record holds (only net/http's server layers
	// and the caller's trace context are there): the record answers them
	// with none instead of having each lookup search those layers.
	AbsentBelow []any
}

// config is the mirror's options, with defaults filled in.
type config struct {
	maxBody            int64
	keepAlive          time.Duration
	streamWriteTimeout time.Duration
	auth               func(http.Handler) http.Handler
	logger             *slog.Logger      // nil: nothing logged
	check              *reqcheck.Checker // nil: bodies that fail the check are refused at once
	propagator         propagation.TextMapPropagator
	traceFields        []string // propagator's fields, as canonical header names
	absentBelow        []any
}

// limitBody refuses request bodies over c.maxBody: 413 at once (and a log
// line) when the length is declared, an error on read when it is not. A
// request without a body (net/http's NoBody) to a route whose rule reads
// none (a GET, a DELETE) is passed on as it is: there is nothing to bound,
// nor a body's error to keep for writeError. It reports whether the
// request goes on (false: it has been answered).
func (c *config) limitBody(w http.ResponseWriter, r *http.Request) bool {
	limit := c.maxBody
	if r.ContentLength > limit {
		why := fmt.Sprintf("the request body exceeds %d bytes", limit)
		c.logUnreadRequest(r.Context(), r, codes.InvalidArgument, why)
		WriteError(w, r, apierror.New(codes.InvalidArgument, apierror.ReasonRequestTooLarge, why, r.Header.Get(headerRequestID)), http.StatusRequestEntityTooLarge)
		return false
	}
	if r.Body != http.NoBody || takesBody(r) {
		r.Body = &requestBody{ReadCloser: http.MaxBytesReader(w, r.Body, limit), limit: limit}
	}
	return true
}

// takesBody reports whether the rule r's method and path match reads a
// body.
func takesBody(r *http.Request) bool {
	rt := routeOf(r)
	return rt != nil && rt.body
}

// asCall marks a request as a call over REST ([callctx.ProtocolREST]) and
// records the HTTP client as the call's gRPC peer, with its TLS state, as a
// gRPC server would: interceptors that identify callers by client
// certificate then work the same over both protocols. It also gives the
// call a vendorjson.Originals, in which the service keeps ModelArts' JSON
// beside the messages it reads from it, for the answer ([asModelArtsSent]).
// (One copy of the request for all three: asCall returns it.) The call
// keeps rt, the rule its method and path matched ([routes.find]), for the
// steps after it ([routeOf]).
//
// The copy has neither Host nor RemoteAddr: grpc-gateway's handlers make
// x-forwarded-host and x-forwarded-for metadata of them for every call
// (about fifteen allocations: its metadata, a copy of it, the keys
// lowered), which the call never sees (its incoming metadata is
// [incomingMetadata]'s). The middleware after asCall finds the client's
// address in the call's peer ([peerAddress]).
//
// With a propagator (Options.Propagator), the call's context holds the
// caller's trace context, if the request has one; if not, the call is
// marked untraced. Every call is marked anonymous
// (callctx.Room.SetAnonymous): caller authentication (Options.CallerAuth)
// runs after asCall, so an identity is never held below the call.
func (cfg *config) asCall(r *http.Request, rt *route) *http.Request {
	ctx, untraced := r.Context(), false
	if cfg.propagator != nil {
		untraced = true
		for _, f := range cfg.traceFields {
			if len(r.Header[f]) > 0 {
				ctx, untraced = cfg.propagator.Extract(ctx, propagation.HeaderCarrier(r.Header)), false
				break
			}
		}
	}
	c := &restCall{Context: ctx, route: rt, addr: remoteAddr{r.RemoteAddr}, header: r.Header, absentBelow: cfg.absentBelow}
	if contextKeys.span != nil {
		c.span = ctx.Value(contextKeys.span)
	}
	c.room.SetAnonymous()
	if untraced {
		c.room.SetUntraced()
	}
	c.peer.Addr = &c.addr
	if r.TLS != nil {
		c.peer.AuthInfo = credentials.TLSInfo{State: *r.TLS, CommonAuthInfo: credentials.CommonAuthInfo{SecurityLevel: credentials.PrivacyAndIntegrity}}
	}
	r = r.WithContext(c.withValues())
	r.Host, r.RemoteAddr = "", ""
	return r
}

// peerAddress returns the address of r's client: the one asCall recorded
// as its call's peer, or r's RemoteAddr for a request asCall has not seen.
func peerAddress(r *http.Request) string {
	if c, ok := r.Context().Value(restCallKey{}).(*restCall); ok {
		return c.addr.text
	}
	return r.RemoteAddr
}

// routeOf returns the rule r's method and path match: the one its
// restCall keeps, or, for a request without one, the one
// [routes.find] finds (nil if none).
func routeOf(r *http.Request) *route {
	if c, ok := r.Context().Value(restCallKey{}).(*restCall); ok {
		return c.route
	}
	return routeTable.find(r.Method, r.URL.EscapedPath())
}

// restCall is what asCall gives a REST call, in one allocation: the
// request's context with the call's protocol, its peer, the peer's address
// and the call's Originals (see [restCall.Value]), and the rule its
// request matched.
//
// It also holds, for the one call a REST request makes, what would
// otherwise be allocated for it: the call's callctx.Call (room, where
// callctx.Begin makes it), the context of its unary call (in, see
// [newInCall]), and its answer for the marshaler (answer, see
// [asModelArtsSent]).
type restCall struct {
	context.Context
	span  any // what Context holds under OpenTelemetry's span key
	route *route
	// absentBelow: Options.AbsentBelow, keys the record answers with none.
	absentBelow []any
	header      http.Header // the request's, for its calls' incoming metadata
	peer        peer.Peer
	addr        remoteAddr
	originals   vendorjson.Originals
	room        callctx.Room
	in          inCall
	inTaken     atomic.Bool // in is the context of a call
	answer      answer
	answered    atomic.Bool // answer holds a call's answer
}

// remoteAddr is a REST caller's address as net/http gives it
// (Request.RemoteAddr: "host:port"), as a call's gRPC peer. Its String is
// that text, as a *net.TCPAddr of it would write it; nothing is parsed
// or formatted per call.
type remoteAddr struct{ text string }

// Network returns "tcp".
func (*remoteAddr) Network() string { return "tcp" }

// String returns the address.
func (a *remoteAddr) String() string { return a.text }

// noHeader is the mux's incoming header matcher: grpc-gateway makes no
// metadata of the request's headers. The mirror gives a call the incoming
// metadata the facade reads itself ([incomingMetadata]), from the HTTP
// request; what grpc-gateway still adds on its own (authorization,
// x-forwarded-host, x-forwarded-for, as outgoing metadata) is hidden from
// the service, as the rest of the gateway's outgoing metadata is.
func noHeader(string) (string, bool) { return "", false }

// outgoingHeader exposes inferred outcomes as X-Delete-Outcome and
// X-Outcome;
// other header metadata stays inside the facade. (The request ID is set by
// [WithRequestID] on every answer, before the call runs.)
func outgoingHeader(key string) (string, bool) {
	switch key {
	case callctx.MetadataKeyDeleteOutcome:
		return "X-Delete-Outcome", true
	case callctx.MetadataKeyOutcome:
		return "X-Outcome", true
	}
	return "", false
}

// WithRequestID gives a REST request its request ID, the mirror's first
// step: the caller's X-Request-Id if it is acceptable
// ([callctx.ValidRequestID]), else a new one, which replaces the header
// the call pipeline reads. Every answer, errors from middleware and
// routing included, carries it in X-Request-Id (set in w's header here).
func WithRequestID(w http.ResponseWriter, r *http.Request) {
	ids := r.Header.Values(headerRequestID)
	if len(ids) != 1 || !callctx.ValidRequestID(ids[0]) {
		ids = []string{callctx.NewRequestID()}
		r.Header[headerRequestID] = ids
	}
	// The request's one value, shared (a header's values are replaced,
	// never changed in place): Set would copy it.
	w.Header()[headerRequestID] = ids
}

const headerRequestID = "X-Request-Id"

// logUnread wraps the mux's error handler: an error that never passed
// through the service's pipeline (grpc-gateway's own, not the
// apierror.Error every error of the pipeline is) is logged as the call's
// line, since no interceptor saw the call. Only the code is logged, not
// the decoder's message, which may quote the request's body.
func (c *config) logUnread(next runtime.ErrorHandlerFunc) runtime.ErrorHandlerFunc {
	if c.logger == nil {
		return next
	}
	return func(ctx context.Context, mux *runtime.ServeMux, m runtime.Marshaler, w http.ResponseWriter, r *http.Request, err error) {
		if !fromPipeline(err) {
			c.logUnreadRequest(ctx, r, unreadCode(err), "the request could not be read into the API's message")
		}
		next(ctx, mux, m, w, r, err)
	}
}

// logUnreadRequest writes the line of a request refused before the service
// saw it.
func (c *config) logUnreadRequest(ctx context.Context, r *http.Request, code codes.Code, why string) {
	if c.logger == nil {
		return
	}
	method, _ := runtime.RPCMethod(ctx)
	c.logger.LogAttrs(ctx, slog.LevelInfo, "rpc",
		slog.String("method", method),
		slog.String("protocol", callctx.ProtocolREST),
		slog.String("code", code.String()),
		slog.String("request_id", r.Header.Get(headerRequestID)),
		slog.String("peer", peerAddress(r)),
		slog.String("caller_error", why))
}

// fromPipeline reports whether err was made by the service's pipeline,
// whose every error is an [apierror.Error].
func fromPipeline(err error) bool {
	_, ok := errors.AsType[*apierror.Error](err)
	return ok
}

// unreadCode is the gRPC code of an error grpc-gateway raised itself: its
// status's, or, for a plain error it wrapped with HTTP 400 (a malformed
// %-escape), INVALID_ARGUMENT, as writeError answers it.
func unreadCode(err error) codes.Code {
	if e, ok := errors.AsType[*runtime.HTTPStatusError](err); ok {
		if _, isStatus := status.FromError(e.Err); !isStatus && e.HTTPStatus == http.StatusBadRequest {
			return codes.InvalidArgument
		}
		err = e.Err
	}
	return status.Code(err)
}
