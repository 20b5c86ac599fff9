package modelarts

import (
	"net/http"
	"testing"
	"time"
)

func BenchmarkInstanceURL(b *testing.B) {
	c, err := NewClient(http.DefaultClient, "https://modelarts.eu-de.otc.t-systems.com")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.instanceURL("0123456789abcdef0123456789abcdef", "DE-7d558ef8-c73d-11ea-964c-0255ac100033"); err != nil {
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
