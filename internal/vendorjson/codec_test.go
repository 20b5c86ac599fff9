package vendorjson_test

import (
	"bytes"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/known/structpb"

	devenvv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/devenv/v1"
	notebookv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/notebook/v1"
	"github.com/devenv-facade/devenv-facade/internal/vendorjson"
	"github.com/devenv-facade/devenv-facade/internal/vendorjson/codec"
	"github.com/devenv-facade/devenv-facade/internal/vendorjson/jsonwire"
)

// The generated code (package codec) against the reflective reader
// (protojson) and writer it replaced, kept as the reference: for every
// message of the vendor's APIs, on every sample, on fuzzed JSON and on
// random messages.

// vendorTypes are the messages of the vendor's APIs (the proto packages
// modelarts.*), in a fixed order.
func vendorTypes(tb testing.TB) []protoreflect.MessageType {
	tb.Helper()
	var types []protoreflect.MessageType
	var add func(protoreflect.MessageDescriptors)
	add = func(ms protoreflect.MessageDescriptors) {
		for i := range ms.Len() {
			md := ms.Get(i)
			if md.IsMapEntry() {
				continue
			}
			mt, err := protoregistry.GlobalTypes.FindMessageByName(md.FullName())
			if err != nil {
				tb.Fatal(err)
			}
			types = append(types, mt)
			add(md.Messages())
		}
	}
	var files []protoreflect.FileDescriptor
	protoregistry.GlobalFiles.RangeFiles(func(fd protoreflect.FileDescriptor) bool {
		if strings.HasPrefix(string(fd.Package()), "modelarts.") {
			files = append(files, fd)
		}
		return true
	})
	if len(files) == 0 {
		tb.Fatal("no modelarts.* proto file is linked in")
	}
	// RangeFiles has no order.
	for i := range files {
		for j := i + 1; j < len(files); j++ {
			if files[j].Path() < files[i].Path() {
				files[i], files[j] = files[j], files[i]
			}
		}
	}
	for _, fd := range files {
		add(fd.Messages())
	}
	return types
}

// TestEveryVendorMessageIsGenerated: codec reads and writes every message
// of the vendor's APIs (a proto change without make generate fails here).
func TestEveryVendorMessageIsGenerated(t *testing.T) {
	t.Parallel()
	for _, mt := range vendorTypes(t) {
		var d jsonwire.Decoder
		d.Reset([]byte(`{}`))
		if ok, err := codec.Unmarshal(&d, mt.New().Interface()); !ok || err != nil {
			t.Errorf("%s: codec.Unmarshal: %v, %v", mt.Descriptor().FullName(), ok, err)
		}
		var w jsonwire.Writer
		if ok, err := codec.Marshal(&w, mt.New().Interface()); !ok || err != nil || string(w.Buf) != "{}" {
			t.Errorf("%s: codec.Marshal: %v, %v, %s", mt.Descriptor().FullName(), ok, err, w.Buf)
		}
	}
}

// sampleFiles are the JSON bodies in this repository's test data: the
// vendor's samples (from its reference pages), ours.
func sampleFiles(tb testing.TB) []string {
	tb.Helper()
	var files []string
	for _, dir := range []string{"testdata", "../emulator/testdata", "../modelarts/testdata"} {
		err := filepath.WalkDir(dir, func(path string, e os.DirEntry, err error) error {
			if err == nil && !e.IsDir() && strings.HasSuffix(path, ".json") {
				files = append(files, path)
			}
			return err
		})
		if err != nil && !os.IsNotExist(err) {
			tb.Fatal(err)
		}
	}
	if len(files) < 40 {
		tb.Fatalf("only %d sample files", len(files))
	}
	return files
}

// TestSamplesAsReference: every sample read as every vendor message, by
// the generated code and by protojson: both fail, or both make the same
// message, which both writers write the same.
func TestSamplesAsReference(t *testing.T) {
	t.Parallel()
	types := vendorTypes(t)
	read := 0
	for _, file := range sampleFiles(t) {
		in, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, mt := range types {
			if compareUnmarshal(t, mt, in) {
				read++
			}
		}
	}
	t.Logf("%d pairs read", read)
	if read < 100 {
		t.Errorf("only %d (sample, message) pairs read without error: the comparison proves little", read)
	}
}

// compareUnmarshal reads in as mt with the generated code and with
// protojson, failing t where they differ; it says whether in was read.
func compareUnmarshal(t *testing.T, mt protoreflect.MessageType, in []byte) bool {
	t.Helper()
	name := mt.Descriptor().FullName()
	got, want := mt.New().Interface(), mt.New().Interface()
	gotErr := vendorjson.Unmarshal(in, got)
	wantErr := vendorjson.UnmarshalReflect(in, want)
	if (gotErr == nil) != (wantErr == nil) {
		t.Fatalf("%s from %q:\ngenerated: %v\nprotojson: %v", name, in, gotErr, wantErr)
	}
	if gotErr != nil {
		return false
	}
	if !proto.Equal(got, want) {
		t.Fatalf("%s from %q:\ngenerated: %v\nprotojson: %v", name, in, got, want)
	}
	compareMarshal(t, want, nil)
	return true
}

// compareMarshal writes m with the generated code and with the reflective
// writer: both fail, or both write the same bytes.
func compareMarshal(t *testing.T, m proto.Message, o *vendorjson.Originals) {
	t.Helper()
	got, gotErr := vendorjson.MarshalWith(m, o)
	want, wantErr := vendorjson.MarshalReflect(m, o)
	if (gotErr == nil) != (wantErr == nil) || !bytes.Equal(got, want) {
		t.Fatalf("%s %v:\ngenerated: %s, %v\nreflect:   %s, %v", m.ProtoReflect().Descriptor().FullName(), m, got, gotErr, want, wantErr)
	}
}

// tricky are inputs on the edges of what protojson accepts.
var tricky = []string{
	``, ` `, `{}`, `{} `, `{}x`, `{},`, `{}{}`, `[]`, `null`, `{"id":"a"}`, `{"id":"a",}`, `{,"id":"a"}`,
	`{"id":null}`, `{"id":null,"id":"a"}`, `{"id":"a","id":"b"}`, `{"total_count":1,"totalCount":2}`,
	`{"totalCount":"7"}`, `{"total_count":" 7"}`, `{"total_count":"7 "}`, `{"total_count":1e}`, `{"total_count":1e+}`,
	`{"total_count":1.0}`, `{"total_count":1.5}`, `{"total_count":1e2}`, `{"total_count":100e-2}`, `{"total_count":-0}`,
	`{"total_count":01}`, `{"total_count":2147483648}`, `{"total_count":-2147483648}`, `{"total_count":"0x10"}`,
	`{"total_count":0e99999999999}`, `{"total_count":1e99999999999}`, `{"total_count":true}`, `{"total_count":"\u0031"}`,
	`{"stop_timestamp":9223372036854775807}`, `{"stop_timestamp":9223372036854775808}`, `{"stop_timestamp":"-9223372036854775808"}`,
	`{"stop_timestamp":1594891408723.000}`, `{"stop_timestamp":15948914087230000000000}`,
	`{"gpu":"NaN"}`, `{"gpu":"Infinity"}`, `{"gpu":"-Infinity"}`, `{"gpu":1e400}`, `{"gpu":"1.5"}`, `{"gpu":-0.0}`,
	`{"unknown":{"a":[1,{"b":null}],"c":"\ud800\udc00"}}`, `{"unknown":"\ud800"}`, `{"unknown":"\udc00\ud800"}`,
	`{"unknown":"\x"}`, "{\"unknown\":\"\x01\"}", "{\"unknown\":\"\xff\"}", `{"unknown":tru}`, `{"unknown":nul}`,
	`{"unknown":truex}`, `{"unknown":1.}`, `{"unknown":-}`, `{"unknown":[1,]}`, `{"unknown":[,1]}`, `{"unknown":{"a"}}`,
	`{"unknown" : 1 , "id" : "a" }`, "{\"id\"\n:\r\"a\"\t}", `{"[google.api.http]":1}`, `{"[x.y]":1}`, `{"[google.protobuf.Struct]":1}`,
	`{"\u0069d":"a"}`, `{"\u0069d":"a","id":"b"}`, `{"tags":null}`, `{"tags":[null,1,"a",true,{},[]]}`, `{"tags":[1e]}`,
	`{"type":"EVENT_TYPE_ADDED"}`, `{"type":2}`, `{"type":99}`, `{"type":"NOPE"}`, `{"type":2.0}`, `{"type":"2"}`, `{"type":null}`,
	`{"labels":{"a":"b","a":"c"}}`, `{"labels":{"a":null}}`, `{"labels":null}`, `{"labels":{}}`, `{"labels":[]}`,
	`{"instances":[null]}`, `{"instances":[{}, {"id":"x"}]}`, `{"instances":{}}`, `{"data":[{"tags":[{"k":"v"}]}]}`,
	`{"flavor_details":{"params":{"a":{"b":[1,2,{"c":null}]},"a":1}}}`, `{"flavor_details":{"params":null}}`,
	`{"flavor_details":{"params":[]}}`, `{"flavor_details":{"params":{"n":1e400}}}`, `{"flavor_details":{"params":{"n":-0}}}`,
	"\ufeff{}", `{"id":"<&>\u2028"}`, `{"description":"é\u00e9"}`,
}

// FuzzUnmarshal: on any input, as any vendor message, the generated
// reader and protojson both fail or make the same message, which both
// writers write the same.
func FuzzUnmarshal(f *testing.F) {
	types := vendorTypes(f)
	for _, file := range sampleFiles(f) {
		in, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(in, uint16(0))
	}
	for i, s := range tricky {
		f.Add([]byte(s), uint16(i))
	}
	f.Fuzz(func(t *testing.T, in []byte, which uint16) {
		compareUnmarshal(t, types[int(which)%len(types)], in)
	})
}

// TestTricky: the inputs of FuzzUnmarshal on the edges of protojson, as
// every vendor message.
func TestTricky(t *testing.T) {
	t.Parallel()
	for _, mt := range vendorTypes(t) {
		for _, s := range tricky {
			compareUnmarshal(t, mt, []byte(s))
		}
	}
}

// FuzzMarshal: any message (from fuzzed protobuf bytes), written by the
// generated writer and by the reflective one: the same bytes, or both
// fail.
func FuzzMarshal(f *testing.F) {
	types := vendorTypes(f)
	r := rand.New(rand.NewPCG(1, 2))
	for i, mt := range types {
		// Random strings are sometimes not UTF-8, which protobuf's
		// binary form refuses: those make no seed.
		if b, err := proto.Marshal(randomMessage(r, mt, 0)); err == nil {
			f.Add(b, uint16(i))
		}
	}
	f.Fuzz(func(t *testing.T, in []byte, which uint16) {
		m := types[int(which)%len(types)].New().Interface()
		if proto.Unmarshal(in, m) != nil {
			return
		}
		compareMarshal(t, m, nil)
	})
}

// TestRandomMessages: random messages of every vendor type, some of their
// messages kept as originals, are written the same by both writers, and
// what they write is read the same by both readers.
func TestRandomMessages(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(23, 42))
	for _, mt := range vendorTypes(t) {
		for range 20 {
			m := randomMessage(r, mt, 0)
			compareMarshal(t, m, nil)
			compareMarshal(t, m, randomOriginals(r, m))
			if out, err := vendorjson.Marshal(m); err == nil {
				compareUnmarshal(t, mt, out)
			}
		}
	}
}

// randomOriginals keeps some of the messages in m (m itself, rarely).
func randomOriginals(r *rand.Rand, m proto.Message) *vendorjson.Originals {
	var o vendorjson.Originals
	var walk func(protoreflect.Message)
	walk = func(pm protoreflect.Message) {
		if r.IntN(4) == 0 {
			o.Keep(pm.Interface(), []byte(`{"kept":true}`))
		}
		pm.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
			switch {
			case fd.IsList() && fd.Message() != nil:
				for i := range v.List().Len() {
					walk(v.List().Get(i).Message())
				}
			case fd.IsMap() && fd.MapValue().Message() != nil:
				v.Map().Range(func(_ protoreflect.MapKey, v protoreflect.Value) bool {
					walk(v.Message())
					return true
				})
			case !fd.IsMap() && fd.Message() != nil:
				walk(v.Message())
			}
			return true
		})
	}
	walk(m.ProtoReflect())
	return &o
}

// randomMessage makes a message of type mt with random fields: strings
// with what needs escaping (and invalid UTF-8), numbers at their limits,
// enums out of range, empty and nil messages, free-form values.
func randomMessage(r *rand.Rand, mt protoreflect.MessageType, depth int) proto.Message {
	m := mt.New()
	fields := m.Descriptor().Fields()
	for i := range fields.Len() {
		fd := fields.Get(i)
		if r.IntN(3) == 0 {
			continue
		}
		switch {
		case fd.IsList():
			l := m.Mutable(fd).List()
			for range r.IntN(4) {
				l.Append(randomValue(r, fd, l.NewElement, depth))
			}
		case fd.IsMap():
			mm := m.Mutable(fd).Map()
			for range r.IntN(4) {
				mm.Set(protoreflect.ValueOfString(randomString(r)).MapKey(), randomValue(r, fd.MapValue(), mm.NewValue, depth))
			}
		default:
			m.Set(fd, randomValue(r, fd, func() protoreflect.Value { return m.NewField(fd) }, depth))
		}
	}
	return m.Interface()
}

func randomValue(r *rand.Rand, fd protoreflect.FieldDescriptor, newMessage func() protoreflect.Value, depth int) protoreflect.Value {
	switch fd.Kind() {
	case protoreflect.StringKind:
		return protoreflect.ValueOfString(randomString(r))
	case protoreflect.BoolKind:
		return protoreflect.ValueOfBool(r.IntN(2) == 0)
	case protoreflect.Int32Kind:
		return protoreflect.ValueOfInt32([]int32{0, 1, -1, math.MaxInt32, math.MinInt32, r.Int32()}[r.IntN(6)])
	case protoreflect.Int64Kind:
		return protoreflect.ValueOfInt64([]int64{0, 1, -1, math.MaxInt64, math.MinInt64, r.Int64()}[r.IntN(6)])
	case protoreflect.DoubleKind:
		return protoreflect.ValueOfFloat64(randomFloat(r))
	case protoreflect.EnumKind:
		return protoreflect.ValueOfEnum(protoreflect.EnumNumber(r.IntN(8) - 1))
	case protoreflect.MessageKind:
		if fd.Message().FullName() == "google.protobuf.Struct" || fd.Message().FullName() == "google.protobuf.Value" {
			v := randomAny(r, depth)
			if fd.Message().FullName() == "google.protobuf.Value" {
				return protoreflect.ValueOfMessage(v.ProtoReflect())
			}
			s, ok := v.GetKind().(*structpb.Value_StructValue)
			if !ok {
				return protoreflect.ValueOfMessage((&structpb.Struct{}).ProtoReflect())
			}
			return protoreflect.ValueOfMessage(s.StructValue.ProtoReflect())
		}
		if depth > 3 || r.IntN(5) == 0 {
			return newMessage() // empty
		}
		mt, _ := protoregistry.GlobalTypes.FindMessageByName(fd.Message().FullName())
		return protoreflect.ValueOfMessage(randomMessage(r, mt, depth+1).ProtoReflect())
	}
	panic(fd.Kind())
}

func randomString(r *rand.Rand) string {
	parts := []string{"", "a", "id", "<&>", "\"\\", "\n\t\r\x00\x1f", "é", "\u2028\u2029", "\xff", "😀", "/", "\x7f"}
	var b strings.Builder
	for range r.IntN(4) {
		b.WriteString(parts[r.IntN(len(parts))])
	}
	return b.String()
}

func randomFloat(r *rand.Rand) float64 {
	return []float64{0, math.Copysign(0, -1), 1, -2.5, 1e-7, 1e21, 1e20, 123456789.123, math.MaxFloat64,
		math.SmallestNonzeroFloat64, math.NaN(), math.Inf(1), r.NormFloat64() * 1e10}[r.IntN(13)]
}

func randomAny(r *rand.Rand, depth int) *structpb.Value {
	switch n := r.IntN(8); {
	case n == 0:
		return structpb.NewNullValue()
	case n == 1:
		return structpb.NewBoolValue(true)
	case n == 2 && r.IntN(10) == 0:
		return &structpb.Value{} // no kind: written as null
	case n == 2:
		return structpb.NewNumberValue(randomFloat(r))
	case n == 3:
		return structpb.NewStringValue(randomString(r))
	case n < 6 && depth < 4:
		s := &structpb.Struct{Fields: map[string]*structpb.Value{}}
		for range r.IntN(4) {
			s.Fields[randomString(r)] = randomAny(r, depth+1)
		}
		return structpb.NewStructValue(s)
	case depth < 4:
		l := &structpb.ListValue{}
		for range r.IntN(4) {
			l.Values = append(l.Values, randomAny(r, depth+1))
		}
		return structpb.NewListValue(l)
	}
	return structpb.NewNumberValue(float64(r.IntN(100)))
}

// TestRecursionLimit: nesting around protojson's limit (10,000 messages;
// each free-form value is one, each unknown member's array or object
// counts against what is left) is refused where protojson refuses it.
func TestRecursionLimit(t *testing.T) {
	t.Parallel()
	nest := func(head string, n int, open, leaf, close, tail string) []byte {
		return []byte(head + strings.Repeat(open, n) + leaf + strings.Repeat(close, n) + tail)
	}
	for _, mt := range []protoreflect.MessageType{
		(*notebookv1.Notebook)(nil).ProtoReflect().Type(),
		(*devenvv1.Instance)(nil).ProtoReflect().Type(),
	} {
		for n := 9996; n <= 10001; n++ {
			compareUnmarshal(t, mt, nest(`{"tags":`, n, "[", "1", "]", `}`))
			compareUnmarshal(t, mt, nest(`{"unknown":`, n, `{"a":`, "1", "}", `}`))
			compareUnmarshal(t, mt, nest(`{"flavor_details":{"params":`, n/2, `{"a":[`, "1", "]}", `}}`))
		}
	}
}

// TestReadDoesNotShareTheInput: what is read stays as it was when the
// input is written over (the service reads bodies from reused buffers).
func TestReadDoesNotShareTheInput(t *testing.T) {
	t.Parallel()
	for _, file := range sampleFiles(t) {
		in, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, mt := range vendorTypes(t) {
			got, want := mt.New().Interface(), mt.New().Interface()
			if vendorjson.Unmarshal(in, got) != nil || vendorjson.UnmarshalReflect(in, want) != nil {
				continue
			}
			scribble := bytes.Clone(in)
			if vendorjson.Unmarshal(scribble, got) != nil {
				t.Fatal(file)
			}
			for i := range scribble {
				scribble[i] = 'x'
			}
			if !proto.Equal(got, want) {
				t.Fatalf("%s as %s changed with its input", file, mt.Descriptor().FullName())
			}
		}
	}
}
