package vendorjson_test

import (
	"bytes"
	"fmt"
	"os"
	"testing"

	devenvv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/devenv/v1"
	"github.com/devenv-facade/devenv-facade/internal/vendorjson"
)

// list100 is a vendor list answer of 100 instances: the reference page's
// instance (testdata/get_response.json, with its nulls and the fields the
// API does not declare) under 100 IDs, about 170 KB.
func list100(b *testing.B) []byte {
	b.Helper()
	inst, err := os.ReadFile("testdata/get_response.json")
	if err != nil {
		b.Fatal(err)
	}
	const id = "DE-7d558ef8-c73d-11ea-964c-0255ac100033"
	var buf bytes.Buffer
	buf.WriteString(`{"total_count":100,"instances":[`)
	for i := range 100 {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.Write(bytes.ReplaceAll(inst, []byte(id), fmt.Appendf(nil, "DE-7d558ef8-c73d-11ea-964c-0255ac1%05d", i)))
	}
	buf.WriteString(`]}`)
	return buf.Bytes()
}

// BenchmarkUnmarshalList100 reads a list answer of 100 instances, as the
// service does with every ListInstances answer.
func BenchmarkUnmarshalList100(b *testing.B) {
	raw := list100(b)
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		var list devenvv1.ListInstancesResponse
		if err := vendorjson.Unmarshal(raw, &list); err != nil || len(list.GetInstances()) != 100 {
			b.Fatal(err, len(list.GetInstances()))
		}
	}
}

// BenchmarkMarshalList100 writes a list of 100 instances, as the REST
// mirror does with every ListInstances answer.
func BenchmarkMarshalList100(b *testing.B) {
	var list devenvv1.ListInstancesResponse
	if err := vendorjson.Unmarshal(list100(b), &list); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	var n int
	for b.Loop() {
		out, err := vendorjson.Marshal(&list)
		if err != nil {
			b.Fatal(err)
		}
		n = len(out)
	}
	b.SetBytes(int64(n))
}
