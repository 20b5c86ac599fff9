package metrics

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/devenv-facade/devenv-facade/internal/apierror"
	"github.com/devenv-facade/devenv-facade/internal/callctx"
)

// Values of the grpc_type label, as go-grpc-middleware names them.
const (
	typeUnary        = "unary"
	typeClientStream = "client_stream"
	typeServerStream = "server_stream"
	typeBidiStream   = "bidi_stream"
)

// serverMetrics are the metrics of the calls the facade serves, with the
// names, help texts and labels of go-grpc-middleware v2's Prometheus
// provider (grpc_server_started_total, grpc_server_handled_total,
// grpc_server_msg_received_total, grpc_server_msg_sent_total,
// grpc_server_handling_seconds) plus the protocol label, so that its
// dashboards and alerts work unchanged; and the streaming calls open now
// (devenv_facade_streams_open: watches, health watches, reflection), which
// the provider does not have.
//
// The provider looks every series up by its label values on every call
// (five lookups, each hashing four or five strings, and about eleven
// allocations per call); here a method's series are looked up once, on its
// first call over each protocol, and kept.
type serverMetrics struct {
	started  *prometheus.CounterVec   // grpc_type, grpc_service, grpc_method, protocol
	handled  *prometheus.CounterVec   // grpc_type, grpc_service, grpc_method, grpc_code, protocol
	received *prometheus.CounterVec   // grpc_type, grpc_service, grpc_method, protocol
	sent     *prometheus.CounterVec   // grpc_type, grpc_service, grpc_method, protocol
	handling *prometheus.HistogramVec // grpc_type, grpc_service, grpc_method, protocol
	open     *prometheus.GaugeVec     // grpc_type, grpc_service, grpc_method, protocol

	series sync.Map // seriesKey -> *methodSeries
}

func newServerMetrics() *serverMetrics {
	labels := []string{"grpc_type", "grpc_service", "grpc_method", "protocol"}
	return &serverMetrics{
		started: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "grpc_server_started_total",
			Help: "Total number of RPCs started on the server.",
		}, labels),
		handled: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "grpc_server_handled_total",
			Help: "Total number of RPCs completed on the server, regardless of success or failure.",
		}, []string{"grpc_type", "grpc_service", "grpc_method", "grpc_code", "protocol"}),
		received: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "grpc_server_msg_received_total",
			Help: "Total number of RPC stream messages received on the server.",
		}, labels),
		sent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "grpc_server_msg_sent_total",
			Help: "Total number of gRPC stream messages sent by the server.",
		}, labels),
		handling: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "grpc_server_handling_seconds",
			Help:    "Histogram of response latency (seconds) of gRPC that had been application-level handled by the server.",
			Buckets: latencyBuckets,
		}, labels),
		open: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: namespace, Name: "streams_open",
			Help: "Streaming calls open now (watches, health watches, server reflection).",
		}, labels),
	}
}

// Describe implements [prometheus.Collector].
func (m *serverMetrics) Describe(ch chan<- *prometheus.Desc) {
	m.started.Describe(ch)
	m.handled.Describe(ch)
	m.received.Describe(ch)
	m.sent.Describe(ch)
	m.handling.Describe(ch)
	m.open.Describe(ch)
}

// Collect implements [prometheus.Collector].
func (m *serverMetrics) Collect(ch chan<- prometheus.Metric) {
	m.started.Collect(ch)
	m.handled.Collect(ch)
	m.received.Collect(ch)
	m.sent.Collect(ch)
	m.handling.Collect(ch)
	m.open.Collect(ch)
}

// seriesKey names a method's series: its full name, its type and the
// protocol its calls arrived on. The set is bounded: grpc-go refuses
// unknown methods before any interceptor runs, and the mirror serves fixed
// routes.
type seriesKey struct {
	fullMethod, typ, protocol string
}

// methodSeries are one method's series over one protocol. A handled
// counter is created on the first call that ends with its code, so that
// /metrics lists the codes that happened, as the provider does.
type methodSeries struct {
	key                     seriesKey
	service, method         string
	started, received, sent prometheus.Counter
	handling                prometheus.Observer
	open                    prometheus.Gauge // streaming calls only
	handled                 [codes.Unauthenticated + 1]atomic.Pointer[prometheus.Counter]
}

func (m *serverMetrics) seriesFor(fullMethod, typ, protocol string) *methodSeries {
	key := seriesKey{fullMethod, typ, protocol}
	if s, ok := m.series.Load(key); ok {
		return s.(*methodSeries)
	}
	service, method := splitMethod(fullMethod)
	s := &methodSeries{
		key: key, service: service, method: method,
		started:  m.started.WithLabelValues(typ, service, method, protocol),
		received: m.received.WithLabelValues(typ, service, method, protocol),
		sent:     m.sent.WithLabelValues(typ, service, method, protocol),
		handling: m.handling.WithLabelValues(typ, service, method, protocol),
	}
	if typ != typeUnary {
		s.open = m.open.WithLabelValues(typ, service, method, protocol)
	}
	actual, _ := m.series.LoadOrStore(key, s)
	return actual.(*methodSeries)
}

// handledFor returns the handled counter of code.
func (m *serverMetrics) handledFor(s *methodSeries, code codes.Code) prometheus.Counter {
	if int(code) >= len(s.handled) { // not a code grpc-go sends; counted as it is
		return m.handled.WithLabelValues(s.key.typ, s.service, s.method, code.String(), s.key.protocol)
	}
	if c := s.handled[code].Load(); c != nil {
		return *c
	}
	c := m.handled.WithLabelValues(s.key.typ, s.service, s.method, code.String(), s.key.protocol)
	s.handled[code].Store(&c)
	return c
}

// done records the end of a call.
func (m *serverMetrics) done(s *methodSeries, err error, d time.Duration) {
	m.handledFor(s, code(err)).Inc()
	s.handling.Observe(d.Seconds())
}

// code is the gRPC code of a handler's error as go-grpc-middleware's
// provider reports it, and as grpc-go sends it: a status's code (an
// apierror.Error's read without building its status), else that of a
// context error (a bare or wrapped context.Canceled or DeadlineExceeded),
// else Unknown.
func code(err error) codes.Code {
	if e, ok := errors.AsType[*apierror.Error](err); ok {
		return e.Code()
	}
	st, ok := status.FromError(err)
	if !ok {
		st = status.FromContextError(err)
	}
	return st.Code()
}

// splitMethod splits "/package.Service/Method" into its service and method.
func splitMethod(fullMethod string) (service, method string) {
	name := strings.TrimPrefix(fullMethod, "/")
	if i := strings.Index(name, "/"); i >= 0 {
		return name[:i], name[i+1:]
	}
	return "unknown", "unknown"
}

func (m *serverMetrics) unaryInterceptor(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	return m.unary(ctx, req, info, handler, nil)
}

// unary counts and times a unary call: handler's, or inner's around
// handler when inner is not nil.
func (m *serverMetrics) unary(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler, inner grpc.UnaryServerInterceptor) (any, error) {
	s := m.seriesFor(info.FullMethod, typeUnary, callctx.Protocol(ctx))
	start := time.Now()
	s.started.Inc()
	s.received.Inc()
	var resp any
	var err error
	if inner != nil {
		resp, err = inner(ctx, req, info, handler)
	} else {
		resp, err = handler(ctx, req)
	}
	if err == nil {
		s.sent.Inc()
	}
	m.done(s, err, time.Since(start))
	return resp, err
}

func (m *serverMetrics) streamInterceptor(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	typ := typeBidiStream
	switch {
	case info.IsClientStream && !info.IsServerStream:
		typ = typeClientStream
	case !info.IsClientStream && info.IsServerStream:
		typ = typeServerStream
	}
	s := m.seriesFor(info.FullMethod, typ, callctx.Protocol(ss.Context()))
	start := time.Now()
	s.started.Inc()
	s.open.Inc()
	err := handler(srv, &countingStream{ServerStream: ss, s: s})
	s.open.Dec()
	m.done(s, err, time.Since(start))
	return err
}

// countingStream counts the messages of a streaming call.
type countingStream struct {
	grpc.ServerStream
	s *methodSeries
}

func (c *countingStream) SendMsg(msg any) error {
	err := c.ServerStream.SendMsg(msg)
	if err == nil {
		c.s.sent.Inc()
	}
	return err
}

func (c *countingStream) RecvMsg(msg any) error {
	err := c.ServerStream.RecvMsg(msg)
	if err == nil {
		c.s.received.Inc()
	}
	return err
}
