package vendorjson_test

import (
	"bytes"
	"fmt"
	"os"
	"testing"

	"google.golang.org/protobuf/proto"

	devenvv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/devenv/v1"
	notebookv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/notebook/v1"
	"github.com/devenv-facade/devenv-facade/internal/vendorjson"
)

// The benchmarks read and write the lists the harness's List scenarios
// answer, each with the generated code (the names without a suffix, what
// Unmarshal and Marshal run) and with the reflective reader and writer it
// replaced (suffix Reflect), so that one run compares the two.

// list100 is a vendor list answer of 100 instances: the reference page's
// instance (testdata/get_response.json, with its nulls and the fields the
// API does not declare) under 100 IDs, about 170 KB.
func list100(b *testing.B) []byte {
	return repeat(b, "testdata/get_response.json", "DE-7d558ef8-c73d-11ea-964c-0255ac100033",
		`{"total_count":100,"instances":[`, `]}`)
}

// notebooks100 is a list answer of the new API with 100 notebooks: the
// reference page's running notebook (with its endpoint, image, lease,
// user and volume) under 100 IDs, about 130 KB.
func notebooks100(b *testing.B) []byte {
	return repeat(b, "../emulator/testdata/notebook-reference/usecase-show-response.json", "936bea3e-d3df-435e-8b58-d817283284ae",
		`{"current":0,"data":[`, `],"pages":1,"size":100,"total":100}`)
}

// repeat writes head, the object of file 100 times with id replaced by
// 100 others, and tail.
func repeat(b *testing.B, file, id, head, tail string) []byte {
	b.Helper()
	obj, err := os.ReadFile(file)
	if err != nil {
		b.Fatal(err)
	}
	var buf bytes.Buffer
	buf.WriteString(head)
	for i := range 100 {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.Write(bytes.ReplaceAll(obj, []byte(id), fmt.Appendf(nil, "%s%05d", id[:len(id)-5], i)))
	}
	buf.WriteString(tail)
	return buf.Bytes()
}

func benchUnmarshal[M proto.Message](b *testing.B, raw []byte, unmarshal func([]byte, proto.Message) error, n func(M) int) {
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		m := newMessage[M]()
		if err := unmarshal(raw, m); err != nil || n(m) != 100 {
			b.Fatal(err, n(m))
		}
	}
}

func benchMarshal(b *testing.B, m proto.Message, marshal func(proto.Message) ([]byte, error)) {
	b.ReportAllocs()
	var n int
	for b.Loop() {
		out, err := marshal(m)
		if err != nil {
			b.Fatal(err)
		}
		n = len(out)
	}
	b.SetBytes(int64(n))
}

func newMessage[M proto.Message]() M {
	var m M
	return m.ProtoReflect().Type().New().Interface().(M)
}

func instances(l *devenvv1.ListInstancesResponse) int   { return len(l.GetInstances()) }
func notebooks(l *notebookv1.ListNotebooksResponse) int { return len(l.GetData()) }

func marshalReflect(m proto.Message) ([]byte, error) { return vendorjson.MarshalReflect(m, nil) }

func readList(b *testing.B) *devenvv1.ListInstancesResponse {
	var list devenvv1.ListInstancesResponse
	if err := vendorjson.Unmarshal(list100(b), &list); err != nil {
		b.Fatal(err)
	}
	return &list
}

func readNotebooks(b *testing.B) *notebookv1.ListNotebooksResponse {
	var list notebookv1.ListNotebooksResponse
	if err := vendorjson.Unmarshal(notebooks100(b), &list); err != nil {
		b.Fatal(err)
	}
	return &list
}

// BenchmarkUnmarshalList100 reads a list answer of 100 instances, as the
// service does with every ListInstances answer.
func BenchmarkUnmarshalList100(b *testing.B) {
	benchUnmarshal(b, list100(b), vendorjson.Unmarshal, instances)
}

func BenchmarkUnmarshalList100Reflect(b *testing.B) {
	benchUnmarshal(b, list100(b), vendorjson.UnmarshalReflect, instances)
}

// BenchmarkMarshalList100 writes a list of 100 instances, as the REST
// mirror does with every ListInstances answer.
func BenchmarkMarshalList100(b *testing.B) {
	benchMarshal(b, readList(b), vendorjson.Marshal)
}

func BenchmarkMarshalList100Reflect(b *testing.B) {
	benchMarshal(b, readList(b), marshalReflect)
}

// BenchmarkUnmarshalNotebooks100 reads a list answer of 100 notebooks, as
// the service does with every ListNotebooks answer.
func BenchmarkUnmarshalNotebooks100(b *testing.B) {
	benchUnmarshal(b, notebooks100(b), vendorjson.Unmarshal, notebooks)
}

func BenchmarkUnmarshalNotebooks100Reflect(b *testing.B) {
	benchUnmarshal(b, notebooks100(b), vendorjson.UnmarshalReflect, notebooks)
}

// BenchmarkMarshalNotebooks100 writes a list of 100 notebooks, as the
// REST mirror does with every ListNotebooks answer.
func BenchmarkMarshalNotebooks100(b *testing.B) {
	benchMarshal(b, readNotebooks(b), vendorjson.Marshal)
}

func BenchmarkMarshalNotebooks100Reflect(b *testing.B) {
	benchMarshal(b, readNotebooks(b), marshalReflect)
}
