package modelarts

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"
)

func BenchmarkOutgoing(b *testing.B) {
	c, err := NewClient(http.DefaultClient, "https://modelarts.eu-de.otc.t-systems.com")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.outgoing(DeleteInstance.op, Request{Params: []string{"0123456789abcdef0123456789abcdef", "DE-7d558ef8-c73d-11ea-964c-0255ac100033"}}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeDeleteResponse(b *testing.B) {
	r := &response{status: 200, body: []byte(`{"instance_id":"DE-7d558ef8-c73d-11ea-964c-0255ac100033"}`)}
	b.ReportAllocs()
	for b.Loop() {
		var out DeleteInstanceResponse
		if err := r.decode(&out); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseError(b *testing.B) {
	body := []byte(`{"error_message":"The instance does not exist.","error_code":"ModelArts.6309"}`)
	h := http.Header{"Content-Type": {"application/json"}}
	now := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		if e := ParseError(400, h, body, "rid", now); e.Code == "" {
			b.Fatal("no code")
		}
	}
}

// staticSecrets is a configured credential that lists its secrets.
type staticSecrets []string

func (s staticSecrets) Authenticate(context.Context, *http.Request) error { return nil }
func (s staticSecrets) Secrets() []string                                 { return s }

// BenchmarkNewError is the client's error path for a common answer
// (ModelArts.6309, which DeleteInstance with allow_missing turns into
// success) to a request carrying a 4 KiB IAM token, with the configured
// secrets to redact.
func BenchmarkNewError(b *testing.B) {
	c, err := NewClient(http.DefaultClient, "https://modelarts.eu-de.otc.t-systems.com",
		WithCredentials(staticSecrets{"a-configured-password", "AKIDACCESSKEY0001"}))
	if err != nil {
		b.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodDelete, "https://modelarts.eu-de.otc.t-systems.com/v1/p/demanager/instances/i", nil)
	req.Header.Set(headerAuthToken, strings.Repeat("MIIDbQYJKoZIhvcNAQcCoIIDXjCCA1oCAQExDTALBglghkgBZQMEAgEwggG7Bgkq", 64))
	resp := &http.Response{StatusCode: 400, Header: http.Header{"Content-Type": {"application/json"}, "X-Request-Id": {"0b1f4c2e-3d5a-4e6f-8a7b-9c0d1e2f3a4b"}}}
	body := []byte(`{"error_message":"The instance does not exist.","error_code":"ModelArts.6309"}`)
	b.ReportAllocs()
	for b.Loop() {
		if e := c.newError(req, resp, body, "rid"); e.Code == "" {
			b.Fatal("no code")
		}
	}
}
