package server_test

import (
	"net/http"
	"runtime"
	"sort"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	devenvv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/devenv/v1"
	"github.com/devenv-facade/devenv-facade/internal/cloudauth"
	"github.com/devenv-facade/devenv-facade/internal/emulator"
	"github.com/devenv-facade/devenv-facade/internal/metrics"
	"github.com/devenv-facade/devenv-facade/internal/server"
)

// scrape fetches the admin listener's /metrics and parses it with
// Prometheus' text parser.
func scrape(t *testing.T, adminAddr string) map[string]*dto.MetricFamily {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, "http://"+adminAddr+"/metrics", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET /metrics: %s", resp.Status)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parsing /metrics: %v", err)
	}
	return fams
}

// value returns the value of the series of family with exactly the given
// labels (among others it may have), or -1 when there is none.
func value(fams map[string]*dto.MetricFamily, family string, labels map[string]string) float64 {
	f := fams[family]
	if f == nil {
		return -1
	}
	total, found := 0.0, false
	for _, m := range f.GetMetric() {
		have := map[string]string{}
		for _, l := range m.GetLabel() {
			have[l.GetName()] = l.GetValue()
		}
		match := true
		for k, v := range labels {
			if have[k] != v {
				match = false
				break
			}
		}
		if !match {
			continue
		}
		found = true
		switch {
		case m.GetCounter() != nil:
			total += m.GetCounter().GetValue()
		case m.GetGauge() != nil:
			total += m.GetGauge().GetValue()
		case m.GetHistogram() != nil:
			total += float64(m.GetHistogram().GetSampleCount())
		}
	}
	if !found {
		return -1
	}
	return total
}

// TestMetrics: after traffic over gRPC and the mirror, /metrics on the
// admin listener holds the server series (by protocol and code) and the
// upstream series (by operation, status and ModelArts code, retries,
// in flight), and the build.
func TestMetrics(t *testing.T) {
	t.Parallel()
	f := startFacade(t, emulator.MustNew(emulator.Options{}), func(o *server.Options) {
		o.Credentials = cloudauth.Token("t")
		o.Metrics = metrics.New()
	})
	ctx := t.Context()
	if _, err := f.client.GetInstance(ctx, &devenvv1.GetInstanceRequest{ProjectId: project, InstanceId: running}); err != nil {
		t.Fatal(err)
	}
	_, err := f.client.GetInstance(ctx, &devenvv1.GetInstanceRequest{ProjectId: project, InstanceId: "no-such-instance"})
	if status.Code(err) != codes.NotFound {
		t.Fatalf("get of a missing instance: %v", err)
	}
	// A 503 then success: one retry.
	if _, err := f.client.DeleteInstance(ctx, &devenvv1.DeleteInstanceRequest{ProjectId: project, InstanceId: "fault-s503-fail1-x1"}); err != nil {
		t.Fatal(err)
	}
	// A code the table does not know.
	_, err = f.client.GetInstance(ctx, &devenvv1.GetInstanceRequest{ProjectId: project, InstanceId: "fault-s400-c9999"})
	if err == nil {
		t.Fatal("get of fault-s400-c9999 succeeded")
	}
	// Invalid input: counted as a call, never sent.
	_, _ = f.client.GetInstance(ctx, &devenvv1.GetInstanceRequest{ProjectId: "bad", InstanceId: running})
	if code, _ := mirrorCall(t, http.MethodGet, f.httpURL+"/v1/"+project+"/demanager/instances/"+running, ""); code != 200 {
		t.Fatalf("mirror get: %d", code)
	}

	fams := scrape(t, f.adminAddr)
	tests := []struct {
		family string
		labels map[string]string
		want   float64
	}{
		{"grpc_server_handled_total", map[string]string{"grpc_method": "GetInstance", "grpc_code": "OK", "protocol": "grpc"}, 1},
		{"grpc_server_handled_total", map[string]string{"grpc_method": "GetInstance", "grpc_code": "NotFound", "protocol": "grpc"}, 1},
		// The bad project, and ModelArts.9999 (unknown, HTTP 400: by status).
		{"grpc_server_handled_total", map[string]string{"grpc_method": "GetInstance", "grpc_code": "InvalidArgument", "protocol": "grpc"}, 2},
		{"grpc_server_handled_total", map[string]string{"grpc_method": "GetInstance", "grpc_code": "OK", "protocol": "rest"}, 1},
		{"grpc_server_handled_total", map[string]string{"grpc_method": "DeleteInstance", "grpc_code": "OK", "grpc_service": "modelarts.devenv.v1.DevEnvService"}, 1},
		{"grpc_server_started_total", map[string]string{"grpc_method": "GetInstance", "protocol": "grpc"}, 4},
		{"grpc_server_handling_seconds", map[string]string{"grpc_method": "GetInstance", "protocol": "rest"}, 1},
		{"devenv_facade_upstream_answers_total", map[string]string{"operation": "GetInstance", "http_status": "200", "error_code": ""}, 2},
		{"devenv_facade_upstream_answers_total", map[string]string{"operation": "GetInstance", "http_status": "400", "error_code": "ModelArts.6309"}, 1},
		{"devenv_facade_upstream_answers_total", map[string]string{"operation": "GetInstance", "http_status": "400", "error_code": "other"}, 1},
		{"devenv_facade_upstream_answers_total", map[string]string{"operation": "DeleteInstance", "http_status": "503"}, 1},
		{"devenv_facade_upstream_attempts_total", map[string]string{"operation": "DeleteInstance", "attempt": "first"}, 1},
		{"devenv_facade_upstream_attempts_total", map[string]string{"operation": "DeleteInstance", "attempt": "retry"}, 1},
		{"devenv_facade_upstream_attempts_total", map[string]string{"operation": "GetInstance", "attempt": "first"}, 4},
		{"devenv_facade_upstream_request_duration_seconds", map[string]string{"operation": "GetInstance", "outcome": "success"}, 2},
		{"devenv_facade_upstream_request_duration_seconds", map[string]string{"operation": "GetInstance", "outcome": "error_answer"}, 2},
		{"devenv_facade_upstream_in_flight", nil, 0},
		{"devenv_facade_build_info", map[string]string{"go_version": runtime.Version()}, 1},
	}
	for _, tt := range tests {
		if got := value(fams, tt.family, tt.labels); got != tt.want {
			t.Errorf("%s%v = %v; want %v", tt.family, tt.labels, got, tt.want)
		}
	}
	// Bounded labels: no instance IDs, project IDs or tokens anywhere.
	var names []string
	for name, fam := range fams {
		names = append(names, name)
		for _, m := range fam.GetMetric() {
			for _, l := range m.GetLabel() {
				if strings.Contains(l.GetValue(), project) || strings.Contains(l.GetValue(), "fault-") || strings.Contains(l.GetValue(), running) {
					t.Errorf("%s has a label %s=%q: labels must come from bounded sets", name, l.GetName(), l.GetValue())
				}
			}
		}
	}
	sort.Strings(names)
	for _, want := range []string{"go_goroutines", "process_cpu_seconds_total"} {
		if fams[want] == nil {
			t.Errorf("no %s among %v", want, names)
		}
	}
}

// TestMetrics_off: without Metrics, /metrics is not served.
func TestMetrics_off(t *testing.T) {
	t.Parallel()
	f := startFacade(t, emulator.MustNew(emulator.Options{}), func(o *server.Options) { o.Credentials = cloudauth.Token("t") })
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, "http://"+f.adminAddr+"/metrics", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET /metrics without metrics: %s; want 404", resp.Status)
	}
}
