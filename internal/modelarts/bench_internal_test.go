package modelarts

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

func BenchmarkOutgoing(b *testing.B) {
	c, err := NewClient(http.DefaultClient, "https://modelarts.eu-de.otc.t-systems.com", Options{})
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
		Options{Credentials: staticSecrets{"a-configured-password", "AKIDACCESSKEY0001"}})
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

// list100Body is a list answer of 100 instances as the emulator writes
// them (about 120 KB).
func list100Body() []byte {
	inst := `{"creation_timestamp":"1795752625252","description":"","flavor":"modelarts.vm.cpu.2u","flavor_details":{"name":"modelarts.vm.cpu.2u","params":{"CPU":2,"memory":"8GiB"},"status":"onSale","type":"CPU"},"id":"DE-f8435baf-0d04-4740-a471-8c69d6c3ff78","latest_update_timestamp":"1795752625252","name":"bench-0","profile":{"de_type":"Notebook","description":"multi engine, cpu, python 3.6 for notebook","flavor_type":"CPU","id":"Multi-Engine 1.0 (python3)-cpu","name":"Multi-Engine 1.0 (python3)-cpu","provision":{"spec":{"engine":"CCE","params":{"annotations":null,"image_name":"mul-kernel-cpu-cp36","image_tag":"2.0.5-B003","namespace":"atelier"}},"type":"Docker"}},"spec":{"annotations":{"target_domain":"https://modelarts-notebook.emulator.invalid","url":"https://modelarts-notebook.emulator.invalid/modelarts/hubv100/notebook/user/DE-f8435baf-0d04-4740-a471-8c69d6c3ff78"},"auto_stop":{"duration":0,"enable":false,"prompt":true},"extend_params":null,"extend_storage":null,"failed_reasons":null,"repository":null,"storage":{"location":{"path":"/bucket/dir/"},"type":"obs"}},"status":"RUNNING","user":{"id":"15dda26361214ca2a5953917d2f48ffb","name":"ops_dev_env"},"workspace":{"id":"0"}}`
	return []byte(`{"instances":[` + strings.TrimSuffix(strings.Repeat(inst+",", 100), ",") + `],"total_count":100}` + "\n")
}

// BenchmarkReadBodyList100 reads a list answer of 100 instances whose
// length is not announced (the emulator and ModelArts send such answers
// chunked).
func BenchmarkReadBodyList100(b *testing.B) {
	body := list100Body()
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		got, err := readBody(bytes.NewReader(body), -1, DefaultMaxBodyBytes)
		if err != nil || len(got) != len(body) {
			b.Fatal(len(got), err)
		}
	}
}

// BenchmarkDecodeList100 decodes a list answer of 100 instances into the
// endpoint's json.RawMessage.
func BenchmarkDecodeList100(b *testing.B) {
	r := &response{status: 200, body: list100Body()}
	b.SetBytes(int64(len(r.body)))
	b.ReportAllocs()
	for b.Loop() {
		var out json.RawMessage
		if err := r.decode(&out); err != nil || len(out) == 0 {
			b.Fatal(err)
		}
	}
}

// BenchmarkAnswerWithoutSecretsList100 is what every success answer costs
// for its secrets: a list answer of 100 instances to a request carrying a
// 4 KiB IAM token, with an IAM password (mixed case, as IAM wants them)
// and its token configured; the answer holds none of them (the common
// case).
func BenchmarkAnswerWithoutSecretsList100(b *testing.B) {
	token := strings.Repeat("MIIDbQYJKoZIhvcNAQcCoIIDXjCCA1oCAQExDTALBglghkgBZQMEAgEwggG7Bgkq", 64)
	c, err := NewClient(http.DefaultClient, "https://modelarts.eu-de.otc.t-systems.com",
		Options{Credentials: staticSecrets{"correct-Horse-battery-9", token}})
	if err != nil {
		b.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodGet, "https://modelarts.eu-de.otc.t-systems.com/v1/p/demanager/instances", nil)
	req.Header.Set(headerAuthToken, token)
	body := list100Body()
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if got := c.answerWithoutSecrets(req, body); len(got) != len(body) {
			b.Fatal(len(got))
		}
	}
}
