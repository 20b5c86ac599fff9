package emulator_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/devenv-facade/devenv-facade/emulator"
)

type outcome struct {
	status      int
	body        string
	retryAfter  string
	contentType string
	err         error
}

func sendFault(t *testing.T, srv *httptest.Server, id, header string, timeout time.Duration) outcome {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), timeout)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodDelete, srv.URL+instancePath(project, id), nil)
	req.Header.Set("X-Auth-Token", "t")
	if header != "" {
		req.Header.Set("X-Emulator-Fault", header)
	}
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		return outcome{err: err}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return outcome{status: resp.StatusCode, body: string(b), retryAfter: resp.Header.Get("Retry-After"), contentType: resp.Header.Get("Content-Type"), err: err}
}

func TestFaults(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(emulator.New())
	t.Cleanup(srv.Close) // the parallel subtests outlive this function
	tests := []struct {
		name, id, header string
		check            func(outcome, time.Duration) string
	}{
		{"latency", "missing", "lat200ms", func(o outcome, d time.Duration) string {
			if d < 200*time.Millisecond || o.status != 400 || !strings.Contains(o.body, "ModelArts.6309") {
				return "want the normal 6309 answer after 200ms"
			}
			return ""
		}},
		{"vendor_error", "missing", "s503-c6200", func(o outcome, _ time.Duration) string {
			if o.status != 503 || !strings.Contains(o.body, `"error_code":"ModelArts.6200"`) || !strings.Contains(o.body, "No resources available") {
				return "want 503 ModelArts.6200 with the vendor message"
			}
			return ""
		}},
		{"throttle", "missing", "s429-c6101-ra2", func(o outcome, _ time.Duration) string {
			if o.status != 429 || o.retryAfter != "2" || !strings.Contains(o.body, "ModelArts.6101") {
				return "want 429 ModelArts.6101 with Retry-After: 2"
			}
			return ""
		}},
		{"html", "missing", "html", func(o outcome, _ time.Duration) string {
			if o.status != 502 || o.contentType != "text/html" || !strings.HasPrefix(o.body, "<html>") {
				return "want a 502 HTML page"
			}
			return ""
		}},
		{"empty", "missing", "empty", func(o outcome, _ time.Duration) string {
			if o.status != 503 || o.body != "" {
				return "want an empty 503"
			}
			return ""
		}},
		{"reset", "missing", "reset", func(o outcome, _ time.Duration) string {
			if o.err == nil {
				return "want a transport error"
			}
			return ""
		}},
		{"stall", "missing", "stall", func(o outcome, d time.Duration) string {
			if !errors.Is(o.err, context.DeadlineExceeded) || d < 300*time.Millisecond {
				return "want no answer until the client's deadline"
			}
			return ""
		}},
		{"truncate", "missing", "truncate", func(o outcome, _ time.Duration) string {
			if o.status != 200 || o.err == nil {
				return "want a 200 whose body breaks off"
			}
			return ""
		}},
		{"instance_fault", "fault-s500-c6102-x1", "", func(o outcome, _ time.Duration) string {
			if o.status != 500 || !strings.Contains(o.body, "ModelArts.6102") {
				return "want the fault carried by the instance ID"
			}
			return ""
		}},
		{"instance_latency_only_succeeds", "fault-lat10ms-x2", "", func(o outcome, _ time.Duration) string {
			if o.status != 200 || !strings.Contains(o.body, `"instance_id":"fault-lat10ms-x2"`) {
				return "want a fault instance without an active fault to delete fine"
			}
			return ""
		}},
		{"bad_spec", "missing", "s999", func(o outcome, _ time.Duration) string {
			if o.status != 400 {
				return "want 400 for a malformed spec"
			}
			return ""
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			start := time.Now()
			o := sendFault(t, srv, tt.id, tt.header, 400*time.Millisecond)
			if msg := tt.check(o, time.Since(start)); msg != "" {
				t.Errorf("%s; got %+v after %v", msg, o, time.Since(start))
			}
		})
	}
}

func TestFaults_failThenSucceed(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(emulator.New())
	defer srv.Close()
	var got []int
	for range 4 {
		got = append(got, sendFault(t, srv, "fault-s503-c6200-fail2-x9", "", time.Second).status)
	}
	if diff := cmp.Diff([]int{503, 503, 200, 200}, got); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
}

func TestFaults_global(t *testing.T) {
	t.Parallel()
	emu := emulator.New(emulator.WithFault("s503-c6200"))
	srv := httptest.NewServer(emu)
	defer srv.Close()
	if o := sendFault(t, srv, "missing", "", time.Second); o.status != 503 {
		t.Fatalf("with a global fault: %d; want 503", o.status)
	}
	admin := func(method, body string) int {
		req, _ := http.NewRequestWithContext(t.Context(), method, srv.URL+"/emulator/faults", strings.NewReader(body))
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := admin(http.MethodDelete, ""); code != 200 {
		t.Fatalf("DELETE /emulator/faults: %d", code)
	}
	if o := sendFault(t, srv, "missing", "", time.Second); o.status != 400 {
		t.Errorf("after clearing: %d; want the normal 400", o.status)
	}
	if code := admin(http.MethodPut, "p50-s503"); code != 200 {
		t.Fatalf("PUT /emulator/faults: %d", code)
	}
	failed := 0
	for range 200 {
		if sendFault(t, srv, "missing", "", time.Second).status == 503 {
			failed++
		}
	}
	if failed < 60 || failed > 140 {
		t.Errorf("p50: %d of 200 requests failed; want about half", failed)
	}
	if code := admin(http.MethodPut, "lat-1s"); code != 400 {
		t.Errorf("PUT of a bad spec: %d; want 400", code)
	}
	if err := emulator.CheckFault("fail0"); err == nil {
		t.Error("CheckFault(fail0) accepted it")
	}
}
