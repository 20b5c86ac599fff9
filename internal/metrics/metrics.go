// Package metrics exposes what the facade does as Prometheus metrics: the
// calls it serves (gRPC and the REST mirror, with go-grpc-middleware's
// standard names), the requests it sends to ModelArts, its IAM tokens,
// callers-file reloads and its build.
//
// The other packages know nothing of Prometheus: each offers a small hook
// (an observer interface or a callback) that [Metrics] implements, and the
// server assembly connects them. Every label has a bounded set of values:
// operation names come from the client's fixed operations, ModelArts codes
// outside the code table are counted as "other", HTTP statuses as numbers.
package metrics

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"google.golang.org/grpc"

	"github.com/devenv-facade/devenv-facade/internal/buildinfo"
	"github.com/devenv-facade/devenv-facade/internal/modelarts"
)

// namespace prefixes the facade's own metrics.
const namespace = "devenv_facade"

// Values of the outcome label of upstream attempts.
const (
	// OutcomeSuccess: a 2xx answer.
	OutcomeSuccess = "success"
	// OutcomeErrorAnswer: an answer with an error status.
	OutcomeErrorAnswer = "error_answer"
	// OutcomeNoAnswer: no answer (connection refused or reset, timeout).
	OutcomeNoAnswer = "no_answer"
)

// codeOther stands for every ModelArts error code outside the code table.
const codeOther = "other"

// latencyBuckets suit calls that take from a millisecond (the emulator on
// loopback) to minutes (a wait for an instance to start).
var latencyBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 180, 600}

// Metrics holds the facade's metrics and the registry that exposes them.
// Create it with [New]; it is safe for concurrent use.
type Metrics struct {
	registry *prometheus.Registry
	server   *serverMetrics

	upstreamDuration *prometheus.HistogramVec // operation, outcome
	upstreamAnswers  *prometheus.CounterVec   // operation, http_status, error_code
	upstreamAttempts *prometheus.CounterVec   // operation, attempt (first, retry)
	budgetRefusals   *prometheus.CounterVec   // operation
	shed             *prometheus.CounterVec   // operation
	saved            *prometheus.CounterVec   // operation, how (joined, recent)
	inFlight         prometheus.Gauge
	iamTokens        *prometheus.CounterVec // kind (initial, refresh), result (ok, failed)
	callersReloads   *prometheus.CounterVec // result (ok, failed)

	// watchPollers tells how many watch pollers run, by API
	// (ObserveWatchPollers); nil until it is set.
	watchPollers atomic.Pointer[func() (notebooks, instances int)]

	// attempts caches the series an upstream attempt records, by the
	// attempt's labels (a bounded set: operations, statuses and table
	// codes), so that recording one looks up one map entry instead of
	// hashing the label values of three series.
	attempts sync.Map // attemptKey -> *attemptSeries
}

// attemptKey is what an upstream attempt's series depend on.
type attemptKey struct {
	op         string
	retry      bool
	httpStatus int    // 0: no answer
	code       string // a table code, codeOther or ""
}

// attemptSeries are the series one kind of upstream attempt records.
type attemptSeries struct {
	attempts prometheus.Counter
	duration prometheus.Observer
	answers  prometheus.Counter // nil without an answer
}

// New returns the facade's metrics, registered with a registry of their
// own together with the Go runtime's and the process's collectors.
func New() *Metrics {
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		server:   newServerMetrics(),
		upstreamDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Name: "upstream_request_duration_seconds",
			Help:    "Duration of the requests sent to ModelArts, one per attempt, by operation and outcome (success, error_answer, no_answer).",
			Buckets: latencyBuckets,
		}, []string{"operation", "outcome"}),
		upstreamAnswers: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "upstream_answers_total",
			Help: "Answers from ModelArts by operation, HTTP status and ModelArts error code (empty for success; \"other\" for a code outside the facade's table).",
		}, []string{"operation", "http_status", "error_code"}),
		upstreamAttempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "upstream_attempts_total",
			Help: "Requests sent to ModelArts by operation: the first attempt of a call, or a retry.",
		}, []string{"operation", "attempt"}),
		budgetRefusals: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "upstream_retry_budget_refusals_total",
			Help: "Retries not made because the retry budget was spent, by operation.",
		}, []string{"operation"}),
		shed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "upstream_shed_total",
			Help: "Calls refused without being sent because --max-upstream-inflight calls were in flight, by operation.",
		}, []string{"operation"}),
		saved: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "upstream_requests_saved_total",
			Help: "Reads that sent no request of their own, by operation and how: joined (an identical read in flight: at least one request saved) or recent (the answer of an identical read within --read-fresh-for).",
		}, []string{"operation", "how"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: namespace, Name: "upstream_in_flight",
			Help: "Calls in flight to ModelArts.",
		}),
		iamTokens: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "iam_token_requests_total",
			Help: "IAM token requests for the facade's own credentials, by kind (initial, refresh) and result (ok, failed).",
		}, []string{"kind", "result"}),
		callersReloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "callers_file_reloads_total",
			Help: "Reloads of the callers file after it changed or on SIGHUP, by result (ok, failed: the previous callers stay in force).",
		}, []string{"result"}),
	}
	bi := buildinfo.Read()
	build := prometheus.NewGauge(prometheus.GaugeOpts{
		Namespace: namespace, Name: "build_info",
		Help:        "The facade's build: always 1, with the version, commit and Go version as labels.",
		ConstLabels: prometheus.Labels{"version": bi.Version, "commit": bi.Commit, "go_version": bi.GoVersion},
	})
	build.Set(1)
	pollers := func(api string, pick func(notebooks, instances int) int) prometheus.GaugeFunc {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Namespace: namespace, Name: "watch_pollers",
			Help:        "Watch pollers running, by API: one per credentials, project and workspace watched, however many watch it.",
			ConstLabels: prometheus.Labels{"api": api},
		}, func() float64 {
			if f := m.watchPollers.Load(); f != nil {
				return float64(pick((*f)()))
			}
			return 0
		})
	}
	m.registry.MustRegister(pollers("notebooks", func(n, _ int) int { return n }), pollers("instances", func(_, i int) int { return i }))
	m.registry.MustRegister(m.server, m.upstreamDuration, m.upstreamAnswers, m.upstreamAttempts, m.budgetRefusals,
		m.shed, m.saved, m.inFlight, m.iamTokens, m.callersReloads, build,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// ObserveWatchPollers makes devenv_facade_watch_pollers report what count
// says when scraped: the watch pollers running over each API.
func (m *Metrics) ObserveWatchPollers(count func() (notebooks, instances int)) {
	m.watchPollers.Store(&count)
}

// Handler serves the metrics in the Prometheus exposition formats.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{MaxRequestsInFlight: 4, Timeout: 10 * time.Second})
}

// Registry returns the registry the metrics are registered with.
func (m *Metrics) Registry() *prometheus.Registry { return m.registry }

// UnaryServerInterceptor counts and times the calls it sees, with
// go-grpc-middleware's standard names (grpc_server_started_total,
// grpc_server_handled_total, grpc_server_msg_received_total,
// grpc_server_msg_sent_total, grpc_server_handling_seconds) and a protocol
// label: "grpc", or "rest" for calls through the mirror, which run through
// the same interceptors.
func (m *Metrics) UnaryServerInterceptor() grpc.UnaryServerInterceptor {
	return m.server.unaryInterceptor
}

// UnaryServerInterceptorAround is [Metrics.UnaryServerInterceptor] with
// inner, when not nil, run inside it as the next link of the chain: inner
// gets the call and the handler, and what it answers is what is counted.
// A chain's next link run this way costs the call no function value of
// its own (a chain allocates one per link).
func (m *Metrics) UnaryServerInterceptorAround(inner grpc.UnaryServerInterceptor) grpc.UnaryServerInterceptor {
	if inner == nil {
		return m.server.unaryInterceptor
	}
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		return m.server.unary(ctx, req, info, handler, inner)
	}
}

// StreamServerInterceptor is UnaryServerInterceptor for streaming calls
// (health watches, reflection).
func (m *Metrics) StreamServerInterceptor() grpc.StreamServerInterceptor {
	return m.server.streamInterceptor
}

// UpstreamAttempt records one request sent to ModelArts: its operation,
// whether it was a retry, the answer's HTTP status (0 for none) and
// ModelArts code, and how long it took. It implements
// [modelarts.Observer].
func (m *Metrics) UpstreamAttempt(op string, retry bool, httpStatus int, code string, d time.Duration) {
	if httpStatus == 0 {
		code = ""
	} else if code != "" && !modelarts.KnownCode(code) {
		code = codeOther
	}
	key := attemptKey{op: op, retry: retry, httpStatus: httpStatus, code: code}
	s, ok := m.attempts.Load(key)
	if !ok {
		s, _ = m.attempts.LoadOrStore(key, m.newAttemptSeries(key))
	}
	as := s.(*attemptSeries)
	as.attempts.Inc()
	as.duration.Observe(d.Seconds())
	if as.answers != nil {
		as.answers.Inc()
	}
}

func (m *Metrics) newAttemptSeries(k attemptKey) *attemptSeries {
	attempt := "first"
	if k.retry {
		attempt = "retry"
	}
	outcome := OutcomeSuccess
	switch {
	case k.httpStatus == 0:
		outcome = OutcomeNoAnswer
	case k.httpStatus < 200 || k.httpStatus > 299:
		outcome = OutcomeErrorAnswer
	}
	s := &attemptSeries{
		attempts: m.upstreamAttempts.WithLabelValues(k.op, attempt),
		duration: m.upstreamDuration.WithLabelValues(k.op, outcome),
	}
	if k.httpStatus != 0 {
		s.answers = m.upstreamAnswers.WithLabelValues(k.op, statusLabel(k.httpStatus), k.code)
	}
	return s
}

// UpstreamRetryRefused records a retry the budget did not allow. It
// implements [modelarts.Observer].
func (m *Metrics) UpstreamRetryRefused(op string) { m.budgetRefusals.WithLabelValues(op).Inc() }

// UpstreamShed records a call refused by the in-flight cap. It implements
// [modelarts.Observer].
func (m *Metrics) UpstreamShed(op string) { m.shed.WithLabelValues(op).Inc() }

// UpstreamJoined records a call that joined an identical read in flight
// instead of sending a request. It implements [modelarts.Observer].
func (m *Metrics) UpstreamJoined(op string) { m.saved.WithLabelValues(op, "joined").Inc() }

// UpstreamReused records a read answered from the freshness window. It
// implements [modelarts.Observer].
func (m *Metrics) UpstreamReused(op string) { m.saved.WithLabelValues(op, "recent").Inc() }

// UpstreamInFlight adds delta to the calls in flight. It implements
// [modelarts.Observer].
func (m *Metrics) UpstreamInFlight(delta int) { m.inFlight.Add(float64(delta)) }

// IAMTokenRequest records a token request for the facade's own
// credentials: refresh is false for the first token (or one requested
// after the last expired), true when a usable one is replaced.
func (m *Metrics) IAMTokenRequest(refresh bool, err error) {
	kind, result := "initial", "ok"
	if refresh {
		kind = "refresh"
	}
	if err != nil {
		result = "failed"
	}
	m.iamTokens.WithLabelValues(kind, result).Inc()
}

// CallersReload records a reload of the callers file.
func (m *Metrics) CallersReload(err error) {
	result := "ok"
	if err != nil {
		result = "failed"
	}
	m.callersReloads.WithLabelValues(result).Inc()
}

// statusLabels are the label values of the common HTTP statuses, so that
// recording one allocates nothing.
var statusLabels = func() map[int]string {
	out := map[int]string{}
	for s := 100; s < 600; s++ {
		out[s] = strconv.Itoa(s)
	}
	return out
}()

// statusLabel returns an HTTP status as a label value; a status outside
// 100-599 (which HTTP does not define) is "other".
func statusLabel(s int) string {
	if v, ok := statusLabels[s]; ok {
		return v
	}
	return codeOther
}
