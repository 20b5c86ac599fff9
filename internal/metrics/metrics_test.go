package metrics_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/devenv-facade/devenv-facade/internal/metrics"
	"github.com/devenv-facade/devenv-facade/internal/modelarts"
)

// The metrics implement the client's observer.
var _ modelarts.Observer = (*metrics.Metrics)(nil)

// TestUpstreamLabelsAreBounded: codes outside the table and statuses
// outside HTTP's range are folded into "other"; attempts are split into
// first and retry; outcomes follow the status.
func TestUpstreamLabelsAreBounded(t *testing.T) {
	t.Parallel()
	m := metrics.New()
	m.UpstreamAttempt("GetInstance", false, 200, "", time.Millisecond)
	m.UpstreamAttempt("GetInstance", true, 400, "ModelArts.6309", time.Millisecond)
	m.UpstreamAttempt("GetInstance", true, 400, "ModelArts.9999", time.Millisecond)
	m.UpstreamAttempt("GetInstance", true, 400, "made-up-"+strings.Repeat("x", 100), time.Millisecond)
	m.UpstreamAttempt("GetInstance", false, 999, "", time.Millisecond)
	m.UpstreamAttempt("GetInstance", false, 0, "", time.Second)
	m.UpstreamShed("DeleteInstance")
	m.UpstreamJoined("GetNotebook")
	m.UpstreamJoined("GetNotebook")
	m.UpstreamReused("GetNotebook")
	m.UpstreamRetryRefused("DeleteInstance")
	m.UpstreamInFlight(1)
	m.UpstreamInFlight(1)
	m.UpstreamInFlight(-1)
	m.IAMTokenRequest(false, nil)
	m.IAMTokenRequest(true, errors.New("IAM down"))
	m.CallersReload(nil)
	m.CallersReload(errors.New("bad file"))

	want := `
# HELP devenv_facade_upstream_answers_total Answers from ModelArts by operation, HTTP status and ModelArts error code (empty for success; "other" for a code outside the facade's table).
# TYPE devenv_facade_upstream_answers_total counter
devenv_facade_upstream_answers_total{error_code="",http_status="200",operation="GetInstance"} 1
devenv_facade_upstream_answers_total{error_code="",http_status="other",operation="GetInstance"} 1
devenv_facade_upstream_answers_total{error_code="ModelArts.6309",http_status="400",operation="GetInstance"} 1
devenv_facade_upstream_answers_total{error_code="other",http_status="400",operation="GetInstance"} 2
# HELP devenv_facade_upstream_attempts_total Requests sent to ModelArts by operation: the first attempt of a call, or a retry.
# TYPE devenv_facade_upstream_attempts_total counter
devenv_facade_upstream_attempts_total{attempt="first",operation="GetInstance"} 3
devenv_facade_upstream_attempts_total{attempt="retry",operation="GetInstance"} 3
# HELP devenv_facade_upstream_shed_total Calls refused without being sent because --max-upstream-inflight calls were in flight, by operation.
# TYPE devenv_facade_upstream_shed_total counter
devenv_facade_upstream_shed_total{operation="DeleteInstance"} 1
# HELP devenv_facade_upstream_requests_saved_total Reads that sent no request of their own, by operation and how: joined (an identical read in flight: at least one request saved) or recent (the answer of an identical read within --read-fresh-for).
# TYPE devenv_facade_upstream_requests_saved_total counter
devenv_facade_upstream_requests_saved_total{how="joined",operation="GetNotebook"} 2
devenv_facade_upstream_requests_saved_total{how="recent",operation="GetNotebook"} 1
# HELP devenv_facade_upstream_retry_budget_refusals_total Retries not made because the retry budget was spent, by operation.
# TYPE devenv_facade_upstream_retry_budget_refusals_total counter
devenv_facade_upstream_retry_budget_refusals_total{operation="DeleteInstance"} 1
# HELP devenv_facade_upstream_in_flight Calls in flight to ModelArts.
# TYPE devenv_facade_upstream_in_flight gauge
devenv_facade_upstream_in_flight 1
# HELP devenv_facade_iam_token_requests_total IAM token requests for the facade's own credentials, by kind (initial, refresh) and result (ok, failed).
# TYPE devenv_facade_iam_token_requests_total counter
devenv_facade_iam_token_requests_total{kind="initial",result="ok"} 1
devenv_facade_iam_token_requests_total{kind="refresh",result="failed"} 1
# HELP devenv_facade_callers_file_reloads_total Reloads of the callers file after it changed or on SIGHUP, by result (ok, failed: the previous callers stay in force).
# TYPE devenv_facade_callers_file_reloads_total counter
devenv_facade_callers_file_reloads_total{result="failed"} 1
devenv_facade_callers_file_reloads_total{result="ok"} 1
`
	if err := testutil.GatherAndCompare(m.Registry(), strings.NewReader(want),
		"devenv_facade_upstream_answers_total", "devenv_facade_upstream_attempts_total", "devenv_facade_upstream_shed_total", "devenv_facade_upstream_requests_saved_total",
		"devenv_facade_upstream_retry_budget_refusals_total", "devenv_facade_upstream_in_flight",
		"devenv_facade_iam_token_requests_total", "devenv_facade_callers_file_reloads_total"); err != nil {
		t.Error(err)
	}
	if n := testutil.CollectAndCount(m.Registry(), "devenv_facade_upstream_request_duration_seconds"); n != 3 {
		t.Errorf("%d duration series; want 3 (success, error_answer, no_answer)", n)
	}
}

// BenchmarkUpstreamAttempt is what the metrics add to each upstream
// attempt.
func BenchmarkUpstreamAttempt(b *testing.B) {
	m := metrics.New()
	b.ReportAllocs()
	for b.Loop() {
		m.UpstreamAttempt("GetInstance", false, 200, "", time.Millisecond)
	}
}
