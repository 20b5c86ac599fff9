package reqcheck_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	devenvv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/devenv/v1"
	"github.com/devenv-facade/devenv-facade/internal/apierror"
	"github.com/devenv-facade/devenv-facade/internal/reqcheck"
)

const project = "0123456789abcdef0123456789abcdef"

// wire builds a request's protobuf wire form field by field.
type wire []byte

func (w wire) str(num protowire.Number, s string) wire {
	return protowire.AppendString(protowire.AppendTag(w, num, protowire.BytesType), s)
}

func (w wire) msg(num protowire.Number, m wire) wire {
	return protowire.AppendBytes(protowire.AppendTag(w, num, protowire.BytesType), m)
}

// entry is a map entry.
func entry(k, v string) wire { return wire(nil).str(1, k).str(2, v) }

// emptyStorages is a create spec with n empty spec.extend_storage entries
// (two bytes each).
func emptyStorages(n int) wire {
	spec := make(wire, 0, 2*n)
	for range n {
		spec = spec.msg(2, nil)
	}
	return wire(nil).str(1, project).msg(6, spec)
}

// found runs the request through the checker's interceptor and returns
// what it found, as field violations.
func found(t *testing.T, c *reqcheck.Checker, req proto.Message) []string {
	t.Helper()
	var f reqcheck.Finding
	_, _ = c.UnaryInterceptor()(t.Context(), req, nil, func(ctx context.Context, _ any) (any, error) {
		f = reqcheck.FromContext(ctx)
		return nil, nil
	})
	if f == nil {
		return nil
	}
	var out []string
	for _, v := range apierror.FromStatus(status.Convert(f.Err("rid"))).Violations() {
		out = append(out, v.GetField()+": "+v.GetDescription())
	}
	return out
}

// TestUnmarshalProto: a request within the bounds decodes as protobuf
// decodes it, with nothing found; one over a bound, or with invalid UTF-8,
// decodes without the elements past the bound and with U+FFFD, and what
// was found names the fields.
func TestUnmarshalProto(t *testing.T) {
	t.Parallel()
	valid := wire(nil).str(1, project).str(2, "nb").str(4, "p").str(5, "f").
		msg(6, wire(nil).msg(1, wire(nil).str(1, "obs").msg(2, wire(nil).str(1, "/b/d/"))).
			msg(2, wire(nil).str(1, "obsfs")).msg(4, entry("k", "v")).msg(4, entry("k2", "v2")))
	var mergedSpecs wire = wire(nil).str(1, project)
	for i := range 100 {
		mergedSpecs = mergedSpecs.msg(6, wire(nil).msg(4, entry(fmt.Sprint("k", i), "v")))
	}
	var badKeys wire
	for i := range 100_000 {
		badKeys = badKeys.msg(4, entry(fmt.Sprint("\xff", i), ""))
	}
	tests := []struct {
		name  string
		in    wire
		found []string
		// check tests the decoded request.
		check func(*devenvv1.CreateInstanceRequest) string
	}{
		{name: "valid", in: valid, check: func(r *devenvv1.CreateInstanceRequest) string {
			var want devenvv1.CreateInstanceRequest
			if err := proto.Unmarshal(valid, &want); err != nil || !proto.Equal(r, &want) {
				return fmt.Sprintf("decoded %v; want %v (%v)", r, &want, err)
			}
			return ""
		}},
		{name: "extend_storage_at_bound", in: emptyStorages(reqcheck.MaxExtendStorage)},
		{name: "extend_storage_500000", in: emptyStorages(500_000),
			found: []string{"spec.extend_storage: spec.extend_storage may have at most 16 entries; got 500000"},
			check: func(r *devenvv1.CreateInstanceRequest) string {
				if len(r.GetSpec().GetExtendStorage()) != 16 || r.GetProjectId() != project {
					return fmt.Sprintf("decoded %d entries, project %q; want 16 and the project", len(r.GetSpec().GetExtendStorage()), r.GetProjectId())
				}
				return ""
			}},
		{name: "annotations_across_spec_occurrences", in: mergedSpecs,
			found: []string{"spec.annotations: spec.annotations may have at most 64 entries; got 100"},
			check: func(r *devenvv1.CreateInstanceRequest) string {
				if n := len(r.GetSpec().GetAnnotations()); n != 64 {
					return fmt.Sprintf("decoded %d annotations; want 64", n)
				}
				return ""
			}},
		{name: "invalid_utf8_keys_100000", in: wire(nil).str(1, project).msg(6, badKeys),
			found: []string{"spec.annotations: spec.annotations may have at most 64 entries; got 100000",
				"spec.annotations: a key of spec.annotations is not valid UTF-8"}},
		{name: "invalid_utf8_fields", in: wire(nil).str(1, project).str(2, "n\xffb").
			msg(6, wire(nil).msg(2, nil).msg(2, wire(nil).str(1, "\xfe")).msg(4, entry("k", "\xff"))),
			found: []string{"name: name is not valid UTF-8", "spec.extend_storage[1].type: spec.extend_storage[1].type is not valid UTF-8",
				"spec.annotations: a value of spec.annotations is not valid UTF-8"},
			check: func(r *devenvv1.CreateInstanceRequest) string {
				if r.GetProjectId() != project || r.Name != "" || r.GetSpec().GetExtendStorage()[1].Type != nil || r.GetSpec().GetAnnotations()["k"] != "" {
					return fmt.Sprintf("decoded %v; want the project, and the strings that are not UTF-8 left out", r)
				}
				return ""
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var c reqcheck.Checker
			var req devenvv1.CreateInstanceRequest
			if err := c.DecodeProto(tc.in, &req); err != nil {
				t.Fatal(err)
			}
			if got := found(t, &c, &req); strings.Join(got, "\n") != strings.Join(tc.found, "\n") {
				t.Errorf("found:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.found, "\n"))
			}
			if tc.check != nil {
				if msg := tc.check(&req); msg != "" {
					t.Error(msg)
				}
			}
		})
	}
}

// TestUnmarshalProto_malformed: bytes that are not a message are an error,
// and nothing is decoded from them.
func TestUnmarshalProto_malformed(t *testing.T) {
	t.Parallel()
	truncated := append(emptyStorages(1000), 0x0a, 0x05, 'a')
	var req devenvv1.CreateInstanceRequest
	if err := (&reqcheck.Checker{}).DecodeProto(truncated, &req); !errors.Is(err, reqcheck.ErrMalformed) {
		t.Errorf("truncated request: %v; want ErrMalformed", err)
	}
	if len(req.GetSpec().GetExtendStorage()) != 0 {
		t.Errorf("decoded %d entries of a malformed request; want none", len(req.GetSpec().GetExtendStorage()))
	}
}

// TestUnmarshalProto_nilChecker: without a Checker, what is found is the
// error at once.
func TestUnmarshalProto_nilChecker(t *testing.T) {
	t.Parallel()
	var c *reqcheck.Checker
	err := c.DecodeProto(emptyStorages(17), new(devenvv1.CreateInstanceRequest))
	if status.Code(err) != codes.InvalidArgument {
		t.Errorf("17 entries without a Checker: %v; want InvalidArgument", err)
	}
}

// jsonBody is a create body with n empty spec.extend_storage entries.
func jsonBody(n int, name string) string {
	return `{"name":"nb","spec":{"` + name + `":[` + strings.TrimSuffix(strings.Repeat("{},", n), ",") + `]}}`
}

// TestUnmarshalJSON: as TestUnmarshalProto, for the mirror's JSON.
func TestUnmarshalJSON(t *testing.T) {
	t.Parallel()
	var ann strings.Builder
	for i := range 100_000 {
		fmt.Fprintf(&ann, ",\"\xff%d\":\"\"", i)
	}
	opts := protojson.UnmarshalOptions{DiscardUnknown: true}
	tests := []struct {
		name, in string
		found    []string
		check    func(*devenvv1.CreateInstanceRequest) string
	}{
		{name: "valid", in: `{"name":"nb","spec":{"storage":{"type":"obs","location":{"path":"/b/d/"}},"extend_storage":[{"type":"obsfs"}],"annotations":{"k":"v"},"unknown":[1,{"a":[]}]}}`,
			check: func(r *devenvv1.CreateInstanceRequest) string {
				if r.GetName() != "nb" || len(r.GetSpec().GetExtendStorage()) != 1 || r.GetSpec().GetAnnotations()["k"] != "v" {
					return fmt.Sprintf("decoded %v", r)
				}
				return ""
			}},
		{name: "at_bound", in: jsonBody(16, "extend_storage")},
		{name: "extend_storage_350000", in: jsonBody(350_000, "extend_storage"),
			found: []string{"spec.extend_storage: spec.extend_storage may have at most 16 entries; got 350000"},
			check: func(r *devenvv1.CreateInstanceRequest) string {
				if r.GetName() != "" || r.GetSpec() != nil {
					return fmt.Sprintf("decoded %v; want nothing of the body", r)
				}
				return ""
			}},
		{name: "json_name", in: jsonBody(17, "extendStorage"),
			found: []string{"spec.extend_storage: spec.extend_storage may have at most 16 entries; got 17"}},
		{name: "escaped_names", in: strings.Replace(strings.Replace(jsonBody(17, `extend\u005Fstor\u0061ge`), `"spec"`, `"sp\u0065c"`, 1), `"name"`, `"n\u0061me"`, 1),
			found: []string{"spec.extend_storage: spec.extend_storage may have at most 16 entries; got 17"}},
		{name: "escapes_elsewhere", in: `{"name":"n\"b\\","spec":{"annotations":{"k\"}":"v\\\"]"},"x\ud83d\ude00":[{"\"":"}"}],"extend_storage":[{"type":"a\"b"}]}}`,
			check: func(r *devenvv1.CreateInstanceRequest) string {
				if r.GetName() != `n"b\` || r.GetSpec().GetAnnotations()[`k"}`] != `v\"]` || r.GetSpec().GetExtendStorage()[0].GetType() != `a"b` {
					return fmt.Sprintf("decoded %v", r)
				}
				return ""
			}},
		{name: "annotations_100000", in: `{"spec":{"annotations":{"k":"v"` + ann.String() + `}}}`,
			found: []string{"spec.annotations: spec.annotations may have at most 64 entries; got 100001",
				"spec.annotations: a key of spec.annotations is not valid UTF-8"}},
		{name: "invalid_utf8", in: "{\"name\":\"n\xffb\",\"description\":\"d\",\"spec\":{\"extend_storage\":[{},{\"type\":\"\xfe\"}],\"annotations\":{\"k\":\"\xff\"}},\"other\":\"\xff\"}",
			found: []string{"name: name is not valid UTF-8", "spec.extend_storage[1].type: spec.extend_storage[1].type is not valid UTF-8",
				"spec.annotations: a value of spec.annotations is not valid UTF-8"},
			check: func(r *devenvv1.CreateInstanceRequest) string {
				if r.GetName() != "" || r.GetSpec() != nil {
					return fmt.Sprintf("decoded %v; want nothing of the body", r)
				}
				return ""
			}},
		{name: "invalid_utf8_colliding_keys", in: "{\"spec\":{\"annotations\":{\"\xff\":\"\",\"\xfe\":\"\"}}}",
			found: []string{"spec.annotations: a key of spec.annotations is not valid UTF-8"}},
		{name: "invalid_utf8_unknown_only", in: "{\"name\":\"nb\",\"other\":\"\xff\"}",
			check: func(r *devenvv1.CreateInstanceRequest) string {
				if r.GetName() != "nb" {
					return fmt.Sprintf("decoded %v", r)
				}
				return ""
			}},
		{name: "null_lists", in: `{"spec":{"extend_storage":null,"annotations":null}}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var c reqcheck.Checker
			var req devenvv1.CreateInstanceRequest
			if err := c.DecodeJSON([]byte(tc.in), &req, opts); err != nil {
				t.Fatal(err)
			}
			if got := found(t, &c, &req); strings.Join(got, "\n") != strings.Join(tc.found, "\n") {
				t.Errorf("found:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.found, "\n"))
			}
			if tc.check != nil {
				if msg := tc.check(&req); msg != "" {
					t.Error(msg)
				}
			}
		})
	}
}

// allocated returns the bytes f allocates.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestCostInProportionToSize: checking and decoding the largest requests
// that fit the transports' 1 MiB, made of the smallest elements, allocates
// a few times their size at most (the copy of a request over a bound is
// written only when something was found), not hundreds of times it.
func TestCostInProportionToSize(t *testing.T) {
	// Not parallel: the allocation count is the process's.
	pb := emptyStorages(500_000)
	// 250,000 occurrences of spec, one entry each: merged, the same list.
	merged := wire(nil).str(1, project)
	for range 250_000 {
		merged = merged.msg(6, wire(nil).msg(2, nil))
	}
	// 1 MiB of strings that are not UTF-8 in singular fields, each field
	// over and over (the last occurrence wins), one after the other.
	badNames := wire(nil).str(1, project)
	for len(badNames) < 1<<20-16 {
		badNames = badNames.str(2, "\xff").str(5, "\xff")
	}
	// 1 MiB of fields the API does not know, and an entry over a bound.
	unknown := wire(nil).str(1, project)
	for len(unknown) < 1<<20-64 {
		unknown = unknown.str(99, "")
	}
	unknownOver := unknown[:len(unknown):len(unknown)].msg(6, emptyStorages(17)[len(project)+2:])
	// 1 MiB of JSON tokens that are not lists: members the API does not
	// know, in a message it knows and in one it does not; numbers; the
	// same string member, not UTF-8, over and over.
	repeat := func(head, elem, tail string) []byte {
		var b strings.Builder
		b.WriteString(head)
		for b.Len() < 1<<20-len(tail)-len(elem) {
			b.WriteString(elem)
		}
		b.WriteString(tail)
		return []byte(b.String())
	}
	js := []byte(jsonBody(350_000, "extend_storage"))
	jsonUnknownMembers := repeat(`{"spec":{"storage":{"a":0`, `,"ab":0`, `}}}`)
	jsonNumbers := repeat(`{"other":[0`, `,0`, `]}`)
	jsonStrings := repeat(`{"other":{"a":""`, `,"":""`, `}}`)
	jsonBadNames := repeat(`{"name":"a"`, ",\"name\":\"\xff\",\"flavor\":\"\xff\"", `}`)
	decodeJSON := func(b []byte) func() error {
		return func() error {
			return (&reqcheck.Checker{}).DecodeJSON(b, new(devenvv1.CreateInstanceRequest), protojson.UnmarshalOptions{DiscardUnknown: true})
		}
	}
	for _, tc := range []struct {
		name string
		size int
		f    func() error
	}{
		{"protobuf", len(pb), func() error {
			return (&reqcheck.Checker{}).DecodeProto(pb, new(devenvv1.CreateInstanceRequest))
		}},
		{"protobuf_merged", len(merged), func() error {
			return (&reqcheck.Checker{}).DecodeProto(merged, new(devenvv1.CreateInstanceRequest))
		}},
		{"protobuf_invalid_utf8_repeated", len(badNames), func() error {
			return (&reqcheck.Checker{}).DecodeProto(badNames, new(devenvv1.CreateInstanceRequest))
		}},
		{"protobuf_unknown", len(unknown), func() error {
			return (&reqcheck.Checker{}).DecodeProto(unknown, new(devenvv1.CreateInstanceRequest))
		}},
		{"protobuf_unknown_over_bound", len(unknownOver), func() error {
			return (&reqcheck.Checker{}).DecodeProto(unknownOver, new(devenvv1.CreateInstanceRequest))
		}},
		{"json", len(js), decodeJSON(js)},
		{"json_unknown_members", len(jsonUnknownMembers), decodeJSON(jsonUnknownMembers)},
		{"json_numbers", len(jsonNumbers), decodeJSON(jsonNumbers)},
		{"json_strings", len(jsonStrings), decodeJSON(jsonStrings)},
		{"json_invalid_utf8_repeated", len(jsonBadNames), decodeJSON(jsonBadNames)},
	} {
		var err error
		n := allocated(func() { err = tc.f() })
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %d bytes allocated for a %d-byte request", tc.name, n, tc.size)
		if n > uint64(4*tc.size) {
			t.Errorf("%s: %d bytes allocated for a %d-byte request; want at most 4 times its size", tc.name, n, tc.size)
		}
	}
}
