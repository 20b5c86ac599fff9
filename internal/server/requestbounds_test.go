package server_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/encoding/gzip"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/devenv-facade/devenv-facade/internal/apierror"
	"github.com/devenv-facade/devenv-facade/internal/callerauth"
	"github.com/devenv-facade/devenv-facade/internal/cloudauth"
	"github.com/devenv-facade/devenv-facade/internal/emulator"
	"github.com/devenv-facade/devenv-facade/internal/iamtoken"
	"github.com/devenv-facade/devenv-facade/internal/server"
	"github.com/devenv-facade/devenv-facade/internal/statustest"
)

const createMethod = "/modelarts.devenv.v1.DevEnvService/CreateInstance"

// hugeCreate is a CreateInstanceRequest in wire form whose spec holds n
// elements made by elem (a spec field, tag included): 500,000 empty
// spec.extend_storage entries are 1 MB.
func hugeCreate(n int, elem []byte) rawMessage {
	spec := make([]byte, 0, n*len(elem))
	for range n {
		spec = append(spec, elem...)
	}
	b := protowire.AppendTag(nil, 1, protowire.BytesType)
	b = protowire.AppendString(b, project)
	for _, f := range []struct {
		num protowire.Number
		s   string
	}{{2, "notebook-huge"}, {4, "Multi-Engine 1.0 (python3)-cpu"}, {5, "modelarts.vm.cpu.2u"}} {
		b = protowire.AppendString(protowire.AppendTag(b, f.num, protowire.BytesType), f.s)
	}
	b = protowire.AppendTag(b, 6, protowire.BytesType)
	return protowire.AppendBytes(b, spec)
}

// emptyStorage is one empty spec.extend_storage entry.
var emptyStorage = protowire.AppendBytes(protowire.AppendTag(nil, 2, protowire.BytesType), nil)

// badKeyAnnotation is one spec.annotations entry whose key is not UTF-8.
var badKeyAnnotation = func() []byte {
	entry := protowire.AppendBytes(protowire.AppendTag(nil, 1, protowire.BytesType), []byte{0xff})
	return protowire.AppendBytes(protowire.AppendTag(nil, 4, protowire.BytesType), entry)
}()

// hugeCreateJSON is a create body of almost 1 MiB (the mirror's limit)
// whose spec.extend_storage holds about 350,000 empty entries.
func hugeCreateJSON() string {
	head := `{"name":"notebook-huge","profile_id":"Multi-Engine 1.0 (python3)-cpu","flavor":"modelarts.vm.cpu.2u","spec":{"storage":{"type":"obs","location":{"path":"/bucket/dir/"}},"extend_storage":[{}`
	tail := `]}}`
	n := ((1 << 20) - len(head) - len(tail) - 64) / 3
	return head + strings.Repeat(",{}", n) + tail
}

// heapBytes reads runtime/metrics: the bytes allocated so far, and the
// bytes of live heap objects.
func heapBytes() (allocated, live uint64) {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}, {Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64(), s[1].Value.Uint64()
}

// gc collects twice: what buffer pools (sync.Pool) hold survives one
// collection.
func gc() {
	runtime.GC()
	runtime.GC()
}

// TestHugeRequestsCostTheirSize: the largest requests the transports take
// (1 MiB), made of the smallest elements (500,000 empty
// spec.extend_storage entries over gRPC, plain and gzip-compressed; about
// 350,000 over REST), four at once, are answered INVALID_ARGUMENT with a
// small error naming the bound, never reach ModelArts, and make the whole
// process (facade and client) allocate less than 64 MiB, most of it the
// requests themselves, none of which is still held afterwards. Before the
// bound, one such request took the facade's RSS from 19 to 515 MiB
// (a 56.8 MB error).
//
// Not parallel: the allocation count is the process's, and parallel tests
// run only after this one.
func TestHugeRequestsCostTheirSize(t *testing.T) {
	emu := emulator.MustNew(emulator.Options{})
	f := startFacade(t, emu, func(o *server.Options) {
		// Four 1 MiB requests at once, checked under -race on a loaded
		// machine, can take longer to arrive than the default 10s: this
		// test is about their cost, not the time given to deliver them.
		o.Credentials, o.RequestReadTimeout = cloudauth.Token("t"), time.Hour
	})
	pb := hugeCreate(500_000, emptyStorage)
	js := hugeCreateJSON()
	if len(pb) > 1<<20 || len(js) > 1<<20 {
		t.Fatalf("requests of %d and %d bytes; the limit is 1 MiB", len(pb), len(js))
	}
	const parallel = 4
	const budget = 64 << 20
	cases := []struct {
		name string
		call func() error
	}{
		{"grpc", func() error {
			var out rawMessage
			return f.conn.Invoke(t.Context(), createMethod, pb, &out, grpc.ForceCodecV2(rawCodec{}))
		}},
		{"grpc_gzip", func() error {
			var out rawMessage
			return f.conn.Invoke(t.Context(), createMethod, pb, &out, grpc.ForceCodecV2(rawCodec{}), grpc.UseCompressor(gzip.Name))
		}},
		{"rest", func() error {
			code, body := mirrorCall(t, http.MethodPost, f.httpURL+"/v1/"+project+"/demanager/instances", js)
			msg, _ := body["error_message"].(string)
			if code != http.StatusBadRequest || body["error_code"] != "Facade.INVALID_ARGUMENT" ||
				!strings.HasPrefix(msg, "spec.extend_storage may have at most 16 entries; got ") {
				return fmt.Errorf("REST: %d %v; want 400 naming the bound", code, body)
			}
			return nil
		}},
	}
	for _, tc := range cases {
		gc()
		allocBefore, liveBefore := heapBytes()
		errs := make([]error, parallel)
		var wg sync.WaitGroup
		for i := range parallel {
			wg.Go(func() { errs[i] = tc.call() })
		}
		wg.Wait()
		allocAfter, _ := heapBytes()
		gc()
		_, liveAfter := heapBytes()
		allocated := allocAfter - allocBefore
		t.Logf("%s: %d calls allocated %.1f MiB; live heap %.1f MiB before, %.1f MiB after", tc.name, parallel,
			float64(allocated)/(1<<20), float64(liveBefore)/(1<<20), float64(liveAfter)/(1<<20))
		for _, err := range errs {
			if tc.name == "rest" {
				if err != nil {
					t.Error(err)
				}
				continue
			}
			st := status.Convert(err)
			vs := apierror.FromStatus(st).Violations()
			if st.Code() != codes.InvalidArgument || len(vs) != 1 || vs[0].GetField() != "spec.extend_storage" ||
				vs[0].GetDescription() != "spec.extend_storage may have at most 16 entries; got 500000" {
				t.Errorf("%s: %v %v; want INVALID_ARGUMENT naming the bound", tc.name, st.Code(), vs)
			}
			if n := proto.Size(st.Proto()); n > 4<<10 {
				t.Errorf("%s: a %d-byte error; want a few hundred bytes", tc.name, n)
			}
		}
		if allocated > budget {
			t.Errorf("%s: %d calls allocated %d MiB; want less than %d MiB", tc.name, parallel, allocated>>20, budget>>20)
		}
		if liveAfter > liveBefore+8<<20 {
			t.Errorf("%s: the live heap grew from %d to %d MiB and stayed", tc.name, liveBefore>>20, liveAfter>>20)
		}
	}
	if n := emu.RequestCount(); n != 0 {
		t.Errorf("ModelArts received %d requests; want none", n)
	}
}

// TestAuthorizationBeforeValidation: a caller who may not make a call is
// told so, not what is wrong with its body, whatever the body holds:
// 100,000 annotation keys that are not UTF-8, 500,000 extend_storage
// entries, or an ordinary bad field. Over gRPC and REST, a read-only
// caller and a caller of another project get PERMISSION_DENIED (403), a
// token holder whose token IAM refuses (--token-holders validate) gets
// CALLER_TOKEN_REJECTED (401); a caller allowed to write gets the bounded
// INVALID_ARGUMENT. The same holds over REST for a body or query value
// the mirror cannot read (not JSON, a value of the wrong type, a query
// value that is not a number or not %-escaped): a caller who may make the
// call gets the vendor-shaped 400 it got before authorization came first
// (TestMirror_readErrors words each), anyone else its refusal; a
// read-only caller's read is made by a caller who may, so it gets the 400.
// Nothing reaches ModelArts.
func TestAuthorizationBeforeValidation(t *testing.T) {
	t.Parallel()
	other := strings.Repeat("e", 32)
	sum := func(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }
	path := filepath.Join(t.TempDir(), "callers.yaml")
	writeTestFile(t, path, "callers:\n"+
		"  - {name: writer, token_sha256: "+sum("writer-token")+", projects: ['"+project+"']}\n"+
		"  - {name: reader, token_sha256: "+sum("reader-token")+", read_only_projects: ['"+project+"']}\n"+
		"  - {name: elsewhere, token_sha256: "+sum("elsewhere-token")+", projects: ['"+other+"']}\n")
	emu := emulator.MustNew(emulator.Options{})
	f := startFacade(t, emu, func(o *server.Options) {
		o.Credentials = cloudauth.Token("facade-token")
		o.Callers = loadCallers(t, path, callerauth.Options{TokenHolders: callerauth.ValidateTokenHolders,
			TokenValidator: iamValidator(t, o.Endpoint+"/v3", iamtoken.Options{})})
		// The bodies of several MiB, sent in parallel, take more than the
		// default 10s to arrive on a loaded machine (the whole suite on 2
		// cores under -race); what arrives is the test, not how fast.
		o.RequestReadTimeout = 2 * time.Minute
	})

	callerKinds := []struct {
		name    string
		header  [2]string // the credential: metadata key and value
		code    codes.Code
		reason  string
		httpSts int
	}{
		{"read_only", [2]string{"authorization", "Bearer reader-token"}, codes.PermissionDenied, apierror.ReasonProjectNotPermitted, http.StatusForbidden},
		{"other_project", [2]string{"authorization", "Bearer elsewhere-token"}, codes.PermissionDenied, apierror.ReasonProjectNotPermitted, http.StatusForbidden},
		{"rejected_token_holder", [2]string{"x-auth-token", "MIIbogus-token"}, codes.Unauthenticated, apierror.ReasonCallerTokenRejected, http.StatusUnauthorized},
		{"writer", [2]string{"authorization", "Bearer writer-token"}, codes.InvalidArgument, apierror.ReasonInvalidArgument, http.StatusBadRequest},
	}
	grpcBodies := []struct {
		name string
		req  rawMessage
	}{
		{"annotation_keys_not_utf8", hugeCreate(100_000, badKeyAnnotation)},
		{"extend_storage_500000", hugeCreate(500_000, emptyStorage)},
		{"bad_name", func() rawMessage {
			b := protowire.AppendString(protowire.AppendTag(nil, 1, protowire.BytesType), project)
			return protowire.AppendString(protowire.AppendTag(b, 2, protowire.BytesType), "a b")
		}()},
	}
	restBodies := []struct{ name, body string }{
		{"annotation_keys_not_utf8", `{"name":"nb","spec":{"annotations":{"` + strings.Repeat("\xff\":\"\",\"\xfe", 1000) + `":""}}}`},
		{"extend_storage_350000", hugeCreateJSON()},
		{"annotation_keys_colliding", "{\"name\":\"nb\",\"spec\":{\"annotations\":{\"\xff\":\"\",\"\xfe\":\"\"}}}"},
		{"bad_name", `{"name":"a b"}`},
	}
	list := f.httpURL + "/v1/" + project + "/demanager/instances"
	one := list + "/DE-0e1f2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b"
	restReads := []struct {
		name, method, url, body string
		read                    bool   // a read: the read-only caller may make it
		code                    string // the answer of a caller who may make the call (HTTP 400)
	}{
		{"create_not_json", http.MethodPost, list, `{"name":`, false, "ModelArts.6400"},
		{"create_not_an_object", http.MethodPost, list, `["nb"]`, false, "ModelArts.6400"},
		{"create_wrong_type", http.MethodPost, list, `{"name": 5}`, false, "ModelArts.6332"},
		{"create_empty", http.MethodPost, list, ``, false, "ModelArts.6400"},
		{"update_wrong_type", http.MethodPut, one, `{"description": ["x"]}`, false, "ModelArts.6332"},
		{"action_not_json", http.MethodPost, one + "/action", `start`, false, "ModelArts.6400"},
		{"delete_wait_not_boolean", http.MethodDelete, one + "?wait=maybe", ``, false, "ModelArts.6332"},
		{"list_limit_not_a_number", http.MethodGet, list + "?de_type=Notebook&limit=abc", ``, true, "ModelArts.6332"},
		{"list_bad_escape", http.MethodGet, list + "?status=%zz", ``, true, "Facade.INVALID_ARGUMENT"},
	}
	for _, ck := range callerKinds {
		for _, r := range restReads {
			t.Run("rest_read/"+ck.name+"/"+r.name, func(t *testing.T) {
				t.Parallel()
				wantStatus, wantCode := ck.httpSts, apierror.FacadeCodePrefix+ck.reason
				if ck.name == "writer" || ck.name == "read_only" && r.read {
					wantStatus, wantCode = http.StatusBadRequest, r.code
				}
				header := map[string]string{ck.header[0]: ck.header[1]}
				code, _, raw := vendorCall(t, r.method, r.url, header, r.body)
				if code != wantStatus || errorBody(t, raw)["error_code"] != wantCode {
					t.Errorf("%d %.300s; want %d %s", code, raw, wantStatus, wantCode)
				}
			})
		}
		for _, b := range grpcBodies {
			t.Run("grpc/"+ck.name+"/"+b.name, func(t *testing.T) {
				t.Parallel()
				ctx := metadata.AppendToOutgoingContext(t.Context(), ck.header[0], ck.header[1])
				var out rawMessage
				err := f.conn.Invoke(ctx, createMethod, b.req, &out, grpc.ForceCodecV2(rawCodec{}))
				if status.Code(err) != ck.code || statustest.Error(t, err).Reason() != ck.reason {
					t.Errorf("%v; want %v %s", trim(err), ck.code, ck.reason)
				}
				if n := len(statustest.Error(t, err).Violations()); n > apierror.MaxViolations+1 {
					t.Errorf("%d field violations; want at most %d", n, apierror.MaxViolations+1)
				}
			})
		}
		for _, b := range restBodies {
			t.Run("rest/"+ck.name+"/"+b.name, func(t *testing.T) {
				t.Parallel()
				header := map[string]string{ck.header[0]: ck.header[1]}
				code, _, raw := vendorCall(t, http.MethodPost, f.httpURL+"/v1/"+project+"/demanager/instances", header, b.body)
				if want := apierror.FacadeCodePrefix + ck.reason; code != ck.httpSts || errorBody(t, raw)["error_code"] != want {
					t.Errorf("%d %.300s; want %d %s", code, raw, ck.httpSts, want)
				}
			})
		}
	}
	t.Cleanup(func() {
		if n := len(modelArtsRequests(emu)); n != 0 {
			t.Errorf("ModelArts received %d requests; want none", n)
		}
	})
}

// trim shortens an error for a failure message: the errors this test
// guards against are megabytes long.
func trim(err error) string {
	s := fmt.Sprint(err)
	if len(s) > 300 {
		s = s[:300] + "..."
	}
	return s
}
