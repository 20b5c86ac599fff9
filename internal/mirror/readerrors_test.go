package mirror_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"google.golang.org/grpc"

	"github.com/devenv-facade/devenv-facade/internal/mirror"
	"github.com/devenv-facade/devenv-facade/internal/reqcheck"
)

// TestMirror_readErrors: a body or query the mirror cannot read into the
// API's message is answered in words that name the parameter and what it
// takes, with ModelArts' code where it has one, never with a decoder's
// own message. The answer is the same whether the mirror refuses the
// request at once (without a request check) or holds the error for the
// call, which answers it after authorization (with one, as the facade
// runs it: the call then sees none of the body or query).
func TestMirror_readErrors(t *testing.T) {
	t.Parallel()
	t.Run("at_once", func(t *testing.T) {
		t.Parallel()
		testReadErrors(t, nil)
	})
	t.Run("held_for_the_call", func(t *testing.T) {
		t.Parallel()
		testReadErrors(t, new(reqcheck.Checker))
	})
}

func testReadErrors(t *testing.T, check *reqcheck.Checker) {
	fake := &fakeServer{}
	var answered atomic.Int32 // findings the call answered
	opts := mirror.Options{MaxBodyBytes: 256}
	interceptor := func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		return h(ctx, req)
	}
	if check != nil {
		opts.RequestCheck = check
		// The service's part: what was found is answered (after
		// authorization, which this test has none of), and nothing of
		// the request reaches the handler.
		interceptor = func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
			return check.UnaryInterceptor()(ctx, req, info, func(ctx context.Context, req any) (any, error) {
				if f := reqcheck.FromContext(ctx); f != nil {
					answered.Add(1)
					return nil, f.Err("rid-read")
				}
				return h(ctx, req)
			})
		}
	}
	h, err := mirror.New(t.Context(), []mirror.Service{mirror.DevEnvService(fake)}, interceptor, opts)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	const base = "/v1/0123456789abcdef0123456789abcdef/demanager/instances"
	action, one := base+"/DE-1/action", base+"/DE-1"
	tests := []struct {
		name, method, path, body string
		wantStatus               int
		wantCode, wantMessage    string
	}{
		{"empty_body", http.MethodPost, action, "", 400, "ModelArts.6400", "Invalid request payload (empty body), please check."},
		{"truncated", http.MethodPost, action, `{"action":`, 400, "ModelArts.6400", "Invalid request payload (the body ends before its JSON value does), please check."},
		{"not_json", http.MethodPost, action, `hello`, 400, "ModelArts.6400", "Invalid request payload (the body is not JSON: invalid character 'h' looking for beginning of value, at byte 1), please check."},
		{"missing_colon", http.MethodPost, action, `{"action" "start"}`, 400, "ModelArts.6400", "Invalid request payload (the body is not JSON: invalid character '\"' after object key, at byte 11), please check."},
		{"array", http.MethodPost, action, `[{"action":"start"}]`, 400, "ModelArts.6400", "Invalid request payload (the body must be a JSON object; it is an array), please check."},
		{"string", http.MethodPost, action, `"start"`, 400, "ModelArts.6400", "Invalid request payload (the body must be a JSON object), please check."},
		{"string_as_number", http.MethodPost, action, `{"action": 1}`, 400, "ModelArts.6332", "Incorrect parameter type. The 'action' parameter must be of the 'string' type; got a number."},
		{"integer_as_word", http.MethodPost, base, `{"spec": {"auto_stop": {"duration": "soon"}}}`, 400, "ModelArts.6332", "Incorrect parameter type. The 'spec.auto_stop.duration' parameter must be of the 'integer' type; got a string."},
		{"integer_as_fraction", http.MethodPost, base, `{"spec": {"auto_stop": {"duration": 1.5}}}`, 400, "ModelArts.6332", "Incorrect parameter type. The 'spec.auto_stop.duration' parameter must be of the 'integer' type; got a number."},
		{"integer_too_large", http.MethodPost, base, `{"spec": {"auto_stop": {"duration": 3000000000}}}`, 400, "ModelArts.6336", "'spec.auto_stop.duration' property value is incorrect: 3000000000 is beyond the range of int32 (-2147483648 to 2147483647)."},
		{"boolean_as_word", http.MethodPut, one, `{"spec": {"auto_stop": {"enable": "yes"}}}`, 400, "ModelArts.6332", "Incorrect parameter type. The 'spec.auto_stop.enable' parameter must be of the 'boolean' type; got a string."},
		{"array_as_object", http.MethodPost, base, `{"spec": {"extend_storage": {}}}`, 400, "ModelArts.6332", "Incorrect parameter type. The 'spec.extend_storage' parameter must be of the 'array' type; got an object."},
		{"element", http.MethodPost, base, `{"spec": {"extend_storage": [{}, {"type": 3}]}}`, 400, "ModelArts.6332", "Incorrect parameter type. The 'spec.extend_storage[1].type' parameter must be of the 'string' type; got a number."},
		{"map_value", http.MethodPost, base, `{"spec": {"annotations": {"k": 1}}}`, 400, "ModelArts.6332", "Incorrect parameter type. The 'spec.annotations[\"k\"]' parameter must be of the 'string' type; got a number."},
		{"map_key_long_and_bidi", http.MethodPost, base, `{"spec": {"annotations": {"` + strings.Repeat("\u202eK", 40) + `": 1}}}`, 400, "ModelArts.6332",
			"Incorrect parameter type. The 'spec.annotations[\"" + strings.Repeat(`\u202eK`, 16) + `"...]' parameter must be of the 'string' type; got a number.`},
		{"object_as_string", http.MethodPost, base, `{"spec": "big"}`, 400, "ModelArts.6332", "Incorrect parameter type. The 'spec' parameter must be of the 'object' type; got a string."},
		{"twice", http.MethodPost, base, `{"name": "a", "name": "b"}`, 400, "ModelArts.6400", "Invalid request payload (name is given twice), please check."},
		{"too_large_undeclared", http.MethodPost, base, `{"description":"` + strings.Repeat("x", 300) + `"}`, 413, "Facade.REQUEST_TOO_LARGE", "the request body exceeds 256 bytes"},
		{"query_integer", http.MethodGet, base + "?de_type=Notebook&limit=abc", "", 400, "ModelArts.6332", `Incorrect parameter type. The 'limit' parameter must be of the 'integer' type; got "abc".`},
		{"query_integer_range", http.MethodGet, base + "?offset=99999999999", "", 400, "ModelArts.6336", `'offset' property value is incorrect: "99999999999" is beyond a 32-bit integer.`},
		{"query_boolean", http.MethodDelete, one + "?wait=maybe", "", 400, "ModelArts.6332", `Incorrect parameter type. The 'wait' parameter must be of the 'boolean' type; got "maybe" (use true or false).`},
		{"query_twice", http.MethodGet, base + "?limit=1&limit=2", "", 400, "ModelArts.6336", "'limit' property value is incorrect: it is given 2 times; give it once."},
		{"query_two_names", http.MethodGet, base + "?page_size=1&pageSize=2", "", 400, "ModelArts.6336", ""},
		{"query_escape", http.MethodGet, base + "?status=%zz", "", 400, "Facade.INVALID_ARGUMENT", `the query string holds "%zz", which is not a %-escape (%XX, with two hexadecimal digits)`},
	}
	// The requests, in parallel, end before the checks that follow.
	t.Run("requests", func(t *testing.T) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				var body io.Reader
				if tt.body != "" {
					body = io.MultiReader(strings.NewReader(tt.body)) // length not declared
				}
				req, err := http.NewRequestWithContext(t.Context(), tt.method, ts.URL+tt.path, body)
				if err != nil {
					t.Fatal(err)
				}
				resp, err := ts.Client().Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				raw, _ := io.ReadAll(resp.Body)
				var got map[string]string
				if err := json.Unmarshal(raw, &got); err != nil {
					t.Fatalf("%d %s: %v", resp.StatusCode, raw, err)
				}
				if resp.StatusCode != tt.wantStatus || got["error_code"] != tt.wantCode || tt.wantMessage != "" && got["error_message"] != tt.wantMessage {
					t.Errorf("%d %s\nwant %d %s %q", resp.StatusCode, raw, tt.wantStatus, tt.wantCode, tt.wantMessage)
				}
			})
		}
	})
	// Parameters the API does not know pass, as before.
	if got := call(t, ts, http.MethodDelete, path+"?unknown=abc&x.y=1", nil); got.status != 200 {
		t.Errorf("unknown query parameters: %d %v; want them ignored", got.status, got.body)
	}
	// No request the mirror could not read reached the handler, and
	// nothing is held past its call.
	fake.mu.Lock()
	defer fake.mu.Unlock()
	if len(fake.reqs) != 1 {
		t.Errorf("the handler received %d requests; want only the one with unknown parameters", len(fake.reqs))
	}
	if check == nil {
		return
	}
	if check.Held() != 0 {
		t.Errorf("%d requests still held after their calls", check.Held())
	}
	// Every error but the size limit's (the transport's, answered at
	// once) reached the call.
	want := 0
	for _, tt := range tests {
		if tt.wantStatus != http.StatusRequestEntityTooLarge {
			want++
		}
	}
	if n := answered.Load(); int(n) != want {
		t.Errorf("%d errors answered by the call; want %d", n, want)
	}
}
