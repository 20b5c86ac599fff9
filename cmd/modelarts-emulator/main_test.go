package main

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"

	"github.com/devenv-facade/devenv-facade/internal/logbuf"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestParseTokens(t *testing.T) {
	t.Parallel()
	got, err := parseTokens("a=0123456789abcdef0123456789abcdef, b=*")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{"a": "0123456789abcdef0123456789abcdef", "b": "*"}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	for _, bad := range []string{"a", "=p", "a=", "a=p,,b=q"} {
		if _, err := parseTokens(bad); err == nil {
			t.Errorf("parseTokens(%q) succeeded; want an error", bad)
		}
	}
}

func TestRun_rejectsBadSettings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"unknown_fault_token", []string{"--fault", "zzz!!"}, []string{`--fault: fault "zzz!!": unknown token "zzz!!"`, "lat<duration>", "s<status>", "nonce"}},
		{"fault_typo", []string{"--fault", "p10-s503-stal"}, []string{`unknown token "stal"`}},
		{"fault_out_of_range", []string{"--fault", "s999"}, []string{"--fault", `"s999"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var out logbuf.Buffer
			err := run(t.Context(), append([]string{"--addr", "127.0.0.1:0"}, tt.args...), noEnv, &out, &out)
			if err == nil {
				t.Fatalf("run %q succeeded; want an error", tt.args)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("run %q: %q; want it to contain %q", tt.args, err, w)
				}
			}
		})
	}
}

func noEnv(string) (string, bool) { return "", false }

func TestRun_servesUntilCancelled(t *testing.T) {
	t.Parallel()
	var logs logbuf.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	env := func(k string) (string, bool) {
		if k == "MODELARTS_EMULATOR_TOKENS" {
			return "good=*", true
		}
		return "", false
	}
	go func() { done <- run(ctx, []string{"--addr", "127.0.0.1:0"}, env, &logs, &logs) }()

	var url string
	for deadline := time.Now().Add(10 * time.Second); url == "" && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if m := regexp.MustCompile(`url=(http://\S+)`).FindStringSubmatch(logs.String()); m != nil {
			url = m[1]
		}
	}
	if url == "" {
		t.Fatalf("no url in the logs:\n%s", logs.String())
	}
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	for token, want := range map[string]int{"good": 200, "bad": 401} {
		req, _ := http.NewRequest(http.MethodDelete, url+"/v1/0123456789abcdef0123456789abcdef/demanager/instances/DE-5f9bac21-5a4d-11ee-8c99-0242ac120002", nil)
		req.Header.Set("X-Auth-Token", token)
		resp, err := (&http.Client{Transport: tr}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("token %q: %s; want %d", token, resp.Status, want)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("run: %v", err)
	}
	if !strings.Contains(logs.String(), "sample_project_id") {
		t.Error("the startup line does not name the sample project")
	}
}
