package vendorjson_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

	"github.com/google/go-cmp/cmp"

	devenvv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/devenv/v1"
	"github.com/devenv-facade/devenv-facade/internal/vendorjson"
)

// samples are the vendor's sample bodies (from the reference pages), with
// the message each is read into. Requests are read into the request
// messages as the REST mirror reads them; responses into what the service
// answers.
var samples = []struct {
	file string
	msg  func() proto.Message
}{
	{"create_request.json", func() proto.Message { return &devenvv1.CreateInstanceRequest{} }},
	{"create_response.json", func() proto.Message { return &devenvv1.Instance{} }},
	{"get_response.json", func() proto.Message { return &devenvv1.Instance{} }},
	{"update_request.json", func() proto.Message { return &devenvv1.UpdateInstanceRequest{} }},
	{"update_response.json", func() proto.Message { return &devenvv1.Instance{} }},
	{"list_response.json", func() proto.Message { return &devenvv1.ListInstancesResponse{} }},
	{"action_request.json", func() proto.Message { return &devenvv1.ActOnInstanceRequest{} }},
	{"action_response.json", func() proto.Message { return &devenvv1.ActOnInstanceResponse{} }},
	{"delete_response.json", func() proto.Message { return &devenvv1.DeleteInstanceResponse{} }},
}

// TestSamplesRoundTrip: every vendor sample read into its message and
// written again has the same keys, the same JSON value types and the same
// values, but for the keys the vendor sent as null (omitted: see the
// package doc).
func TestSamplesRoundTrip(t *testing.T) {
	t.Parallel()
	for _, s := range samples {
		t.Run(s.file, func(t *testing.T) {
			t.Parallel()
			in, err := os.ReadFile(filepath.Join("testdata", s.file))
			if err != nil {
				t.Fatal(err)
			}
			m := s.msg()
			if err := vendorjson.Unmarshal(in, m); err != nil {
				t.Fatalf("Unmarshal: %v", err)
			}
			out, err := vendorjson.Marshal(m)
			if err != nil {
				t.Fatalf("Marshal: %v", err)
			}
			want, got := decode(t, in), decode(t, out)
			dropNulls(want)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("round trip (-vendor +ours):\n%s", diff)
			}
			if types(want) != types(got) {
				t.Errorf("JSON types differ:\nvendor %s\nours   %s", types(want), types(got))
			}
		})
	}
}

// TestCredentialsAreDropped: the credentials ModelArts returns with an
// instance do not survive reading it.
func TestCredentialsAreDropped(t *testing.T) {
	t.Parallel()
	in, err := os.ReadFile("testdata/credential_response.json")
	if err != nil {
		t.Fatal(err)
	}
	var inst devenvv1.Instance
	if err := vendorjson.Unmarshal(in, &inst); err != nil {
		t.Fatal(err)
	}
	out, err := vendorjson.Marshal(&inst)
	if err != nil {
		t.Fatal(err)
	}
	pj, _ := protojson.Marshal(&inst)
	for _, leak := range []string{"SECRET", "credential", "ssh_private_key", "access_token"} {
		if bytes.Contains(out, []byte(leak)) || bytes.Contains(pj, []byte(leak)) {
			t.Errorf("%q survives: %s", leak, out)
		}
	}
	if inst.GetSpec().GetRepository().GetConnectionInfo().GetUrl() == "" {
		t.Error("the repository's non-secret fields were lost too")
	}
}

// TestInt64IsANumber: millisecond timestamps stay JSON numbers, and
// strings stay strings, where protojson would write both as strings.
func TestInt64IsANumber(t *testing.T) {
	t.Parallel()
	inst := &devenvv1.Instance{
		CreationTimestamp: proto.String("1594887749962"),
		Spec:              &devenvv1.NotebookSpec{AutoStop: &devenvv1.AutoStop{StopTimestamp: proto.Int64(1594891408723), Duration: proto.Int32(0)}},
	}
	out, err := vendorjson.Marshal(inst)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"creation_timestamp":"1594887749962","spec":{"auto_stop":{"duration":0,"stop_timestamp":1594891408723}}}`
	if string(out) != want {
		t.Errorf("Marshal = %s; want %s", out, want)
	}
}

// TestFreeFormObjects: free-form objects (flavor_details.params) are
// written compactly with sorted keys, the same bytes every time, numbers
// as the vendor writes them.
func TestFreeFormObjects(t *testing.T) {
	t.Parallel()
	in := []byte(`{"flavor_details":{"params":{"memory":"8GiB","CPU":2,"ratio":0.5,"big":1594891408723,"on":true,"none":null,"list":[1,"a",{"z":1,"a":[]}],"obj":{}}}}`)
	want := `{"flavor_details":{"params":{"CPU":2,"big":1594891408723,"list":[1,"a",{"a":[],"z":1}],"memory":"8GiB","none":null,"obj":{},"on":true,"ratio":0.5}}}`
	var inst devenvv1.Instance
	if err := vendorjson.Unmarshal(in, &inst); err != nil {
		t.Fatal(err)
	}
	for range 20 { // protojson varies its spacing from run to run; we must not
		out, err := vendorjson.Marshal(&inst)
		if err != nil {
			t.Fatal(err)
		}
		if string(out) != want {
			t.Fatalf("Marshal = %s; want %s", out, want)
		}
	}
}

// TestEscaping: strings are escaped as encoding/json escapes them.
func TestEscaping(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"plain", "quote \" back \\ slash", "<tag>&amp;", "tab\tnew\nline\x01", "\u2028\u2029", "é ✓ 😀", "bad \xff utf8"} {
		inst := &devenvv1.Instance{Description: proto.String(s)}
		out, err := vendorjson.Marshal(inst)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := json.Marshal(map[string]string{"description": s})
		if string(out) != string(want) {
			t.Errorf("Marshal(%q) = %s; encoding/json: %s", s, out, want)
		}
	}
}

func FuzzRoundTrip(f *testing.F) {
	for _, s := range samples {
		b, err := os.ReadFile(filepath.Join("testdata", s.file))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		var a devenvv1.Instance
		if vendorjson.Unmarshal(in, &a) != nil {
			return
		}
		out, err := vendorjson.Marshal(&a)
		if err != nil {
			return // NaN or infinity in a free-form number
		}
		if !json.Valid(out) {
			t.Fatalf("Marshal wrote invalid JSON: %s", out)
		}
		var b devenvv1.Instance
		if err := vendorjson.Unmarshal(out, &b); err != nil {
			t.Fatalf("reading our own output: %v\n%s", err, out)
		}
		if diff := cmp.Diff(&a, &b, protocmp.Transform()); diff != "" {
			t.Fatalf("round trip changed the message (-first +second):\n%s", diff)
		}
	})
}

func decode(t *testing.T, b []byte) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	return v
}

func dropNulls(v any) {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if x == nil {
				delete(v, k)
				continue
			}
			dropNulls(x)
		}
	case []any:
		for _, x := range v {
			dropNulls(x)
		}
	}
}

// types describes the JSON type of every value, by path.
func types(v any) string {
	var lines []string
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch v := v.(type) {
		case map[string]any:
			lines = append(lines, path+": object")
			for k, x := range v {
				walk(path+"."+k, x)
			}
		case []any:
			lines = append(lines, path+": array")
			for i, x := range v {
				walk(fmt.Sprintf("%s[%d]", path, i), x)
			}
		case json.Number:
			lines = append(lines, path+": number")
		case string:
			lines = append(lines, path+": string")
		case bool:
			lines = append(lines, path+": bool")
		default:
			lines = append(lines, fmt.Sprintf("%s: %T", path, v))
		}
	}
	walk("$", v)
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

// TestFloatsAsEncodingJSON: free-form numbers are written as
// encoding/json writes them, a huge one in a few bytes.
func TestFloatsAsEncodingJSON(t *testing.T) {
	t.Parallel()
	for _, f := range []float64{0, 1, -2.5, 1594891408723, 1e20, 1e21, 1e308, -1e-7, 1e-6, 123456789.123} {
		in := []byte(fmt.Sprintf(`{"flavor_details":{"params":{"n":%s}}}`, strconv.FormatFloat(f, 'g', -1, 64)))
		var inst devenvv1.Instance
		if err := vendorjson.Unmarshal(in, &inst); err != nil {
			t.Fatal(err)
		}
		out, err := vendorjson.Marshal(&inst)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := json.Marshal(map[string]any{"flavor_details": map[string]any{"params": map[string]any{"n": f}}})
		if string(out) != string(want) {
			t.Errorf("%v: Marshal = %s; encoding/json: %s", f, out, want)
		}
	}
}

// TestMarshalWith: a message the Originals keep is written as the JSON it
// was read from, at the top or inside another; the others as Marshal
// writes them; a nil Originals changes nothing.
func TestMarshalWith(t *testing.T) {
	t.Parallel()
	kept := &devenvv1.Instance{Id: proto.String("kept")}
	other := &devenvv1.Instance{Id: proto.String("other")}
	list := &devenvv1.ListInstancesResponse{TotalCount: proto.Int32(2), Instances: []*devenvv1.Instance{kept, other}}
	var o vendorjson.Originals
	o.Keep(kept, []byte(`{"id": "kept", "future": null}`))
	tests := []struct {
		name string
		m    proto.Message
		o    *vendorjson.Originals
		want string
	}{
		{"inside", list, &o, `{"total_count":2,"instances":[{"id": "kept", "future": null},{"id":"other"}]}`},
		{"top", kept, &o, `{"id": "kept", "future": null}`},
		{"not_kept", other, &o, `{"id":"other"}`},
		{"nil_originals", list, nil, `{"total_count":2,"instances":[{"id":"kept"},{"id":"other"}]}`},
	}
	for _, tt := range tests {
		got, err := vendorjson.MarshalWith(tt.m, tt.o)
		if err != nil || string(got) != tt.want {
			t.Errorf("%s: %s, %v; want %s", tt.name, got, err, tt.want)
		}
	}
	var none *vendorjson.Originals
	none.Keep(kept, []byte(`{}`)) // keeps nothing, does not panic
}

// TestOriginalsMove: what was kept for one message is kept for another
// after Move, and no longer for the first; moving what was not kept, or
// with a nil Originals, changes nothing.
func TestOriginalsMove(t *testing.T) {
	t.Parallel()
	from := &devenvv1.ActOnInstanceResponse{CurrentStatus: "STARTING"}
	to := &devenvv1.ActOnInstanceResponse{CurrentStatus: "STARTING"}
	var o vendorjson.Originals
	o.Keep(from, []byte(`{"current_status": "STARTING", "extra": null}`))
	o.Move(from, to)
	for _, tt := range []struct {
		m    proto.Message
		want string
	}{{to, `{"current_status": "STARTING", "extra": null}`}, {from, `{"current_status":"STARTING"}`}} {
		if got, err := vendorjson.MarshalWith(tt.m, &o); err != nil || string(got) != tt.want {
			t.Errorf("%p: %s, %v; want %s", tt.m, got, err, tt.want)
		}
	}
	other := &devenvv1.ActOnInstanceResponse{}
	o.Move(other, from)
	if got, _ := vendorjson.MarshalWith(from, &o); string(got) != `{"current_status":"STARTING"}` {
		t.Errorf("moving what was not kept: %s", got)
	}
	var none *vendorjson.Originals
	none.Move(from, to) // does nothing, does not panic
}

// TestOriginals_oneAndMore: what Originals keeps reads back the same
// whether it keeps one message (without a map) or more, through Keep,
// Drop and Move in any order, and a message inside another is written as
// kept when the one kept is it.
func TestOriginals_oneAndMore(t *testing.T) {
	t.Parallel()
	a, b, c := &devenvv1.Instance{Id: proto.String("a")}, &devenvv1.Instance{Id: proto.String("b")}, &devenvv1.Instance{Id: proto.String("c")}
	rawA, rawB := []byte(`{"id": "a"}`), []byte(`{"id": "b"}`)
	check := func(step string, o *vendorjson.Originals, want map[proto.Message][]byte) {
		t.Helper()
		for _, m := range []proto.Message{a, b, c} {
			raw, ok := o.Get(m)
			if w, kept := want[m]; ok != kept || string(raw) != string(w) {
				t.Errorf("%s: Get(%v) = %s, %v; want %s, %v", step, m, raw, ok, w, kept)
			}
		}
	}
	var o vendorjson.Originals
	o.Keep(a, rawB)
	o.Keep(a, rawA) // again: replaced
	check("one", &o, map[proto.Message][]byte{a: rawA})
	o.Move(a, c)
	check("one moved", &o, map[proto.Message][]byte{c: rawA})
	o.Drop(c)
	check("none", &o, nil)
	o.Keep(a, rawA)
	o.Keep(b, rawB)
	check("two", &o, map[proto.Message][]byte{a: rawA, b: rawB})
	o.Move(b, c)
	o.Drop(a)
	check("two, moved and dropped", &o, map[proto.Message][]byte{c: rawB})

	var inside vendorjson.Originals
	inside.Keep(a, rawA)
	list := &devenvv1.ListInstancesResponse{Instances: []*devenvv1.Instance{a, b}}
	if got, err := vendorjson.MarshalWith(list, &inside); err != nil || string(got) != `{"instances":[{"id": "a"},{"id":"b"}]}` {
		t.Errorf("a list holding the one kept: %s, %v", got, err)
	}
	check("after writing", &inside, map[proto.Message][]byte{a: rawA})
}

// TestOriginals_oneKeptAllocatesNothing: a call that keeps its answer
// alone, moves it into the gateway's message and writes it (what a REST
// call of one object does) allocates nothing for it.
func TestOriginals_oneKeptAllocatesNothing(t *testing.T) {
	from, to := &devenvv1.DeleteInstanceResponse{InstanceId: "DE-1"}, &devenvv1.DeleteInstanceResponse{}
	raw := []byte(`{"instance_id":"DE-1"}`)
	var o vendorjson.Originals
	allocs := testing.AllocsPerRun(100, func() {
		o = vendorjson.Originals{}
		o.Keep(from, raw)
		o.Move(from, to)
		if got, err := vendorjson.MarshalWith(to, &o); err != nil || len(got) != len(raw) {
			t.Fatalf("MarshalWith: %s, %v", got, err)
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations; want none", allocs)
	}
}
