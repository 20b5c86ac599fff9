package mirror

import (
	"context"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc/metadata"
)

// gatewayMetadata is the metadata grpc-gateway makes of h with a matcher
// that forwards X-Auth-Token, X-Request-Id and Cache-Control (the last
// under its default prefix), less the x-forwarded-* keys it adds itself.
func gatewayMetadata(t testing.TB, h http.Header) metadata.MD {
	t.Helper()
	mux := runtime.NewServeMux(runtime.WithIncomingHeaderMatcher(func(key string) (string, bool) {
		switch {
		case strings.EqualFold(key, "x-auth-token"), strings.EqualFold(key, "x-request-id"):
			return strings.ToLower(key), true
		case strings.EqualFold(key, "cache-control"):
			return runtime.DefaultHeaderMatcher(key)
		}
		return "", false
	}))
	r := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/", nil)
	r.Header = h
	ctx, err := runtime.AnnotateIncomingContext(context.Background(), mux, r, "/s/m")
	if err != nil {
		t.Fatal(err)
	}
	md, _ := metadata.FromIncomingContext(ctx)
	delete(md, "x-forwarded-host")
	delete(md, "x-forwarded-for")
	if len(md) == 0 {
		return nil
	}
	return md
}

// TestIncomingMetadata_asTheGatewayMakesIt: the incoming metadata the
// mirror makes of a request's headers is what grpc-gateway makes of them
// for the headers the facade reads: the same keys, values (printable ASCII
// only) and order, Authorization by its canonical name only, the others
// by any spelling; no other header.
func TestIncomingMetadata_asTheGatewayMakesIt(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		h    http.Header
	}{
		{"none", http.Header{}},
		{"others_only", http.Header{"User-Agent": {"python-requests/2.32"}, "Accept": {"*/*"}, "Grpc-Metadata-X-Auth-Token": {"forged"}, "X-Other": {"y"}}},
		{"all", http.Header{"Authorization": {"Bearer a"}, "X-Auth-Token": {"tok"}, "X-Request-Id": {"rid"}, "Cache-Control": {"no-cache"}, "User-Agent": {"ua"}}},
		{"several_values", http.Header{"Authorization": {"a", "b"}, "X-Auth-Token": {"t1", "t2", "t3"}, "Cache-Control": {"no-cache", "max-age=0"}}},
		{"invalid_values", http.Header{"X-Auth-Token": {"t\u00e9", "ok", "tab\there", "del\x7f", "fine too"}, "Authorization": {"\x01", "b"}}},
		{"all_invalid", http.Header{"X-Auth-Token": {"\u00e9"}, "X-Request-Id": {"\n"}, "Cache-Control": {"\x00"}}},
		{"empty_values", http.Header{"X-Auth-Token": {""}, "X-Request-Id": {}}},
		{"other_spellings", http.Header{"x-auth-token": {"lower"}, "CACHE-CONTROL": {"no-cache"}, "authorization": {"not by this name"}, "x-request-ID": {"rid"}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			want := gatewayMetadata(t, tt.h.Clone())
			if got := incomingMetadata(tt.h); !reflect.DeepEqual(got, want) {
				t.Errorf("incomingMetadata %v; grpc-gateway makes %v", got, want)
			}
		})
	}
}

// TestIncomingMetadata_sharesNoSliceItChanges: the metadata's values are
// the header's own when every value is valid (nothing is copied), and a
// new slice when some are not, so the header is never changed.
func TestIncomingMetadata_sharesNoSliceItChanges(t *testing.T) {
	t.Parallel()
	h := http.Header{"X-Auth-Token": {"t"}, "Cache-Control": {"\x00", "no-cache"}}
	md := incomingMetadata(h)
	if &md["x-auth-token"][0] != &h["X-Auth-Token"][0] {
		t.Error("x-auth-token's values were copied")
	}
	if got := h["Cache-Control"]; len(got) != 2 || got[0] != "\x00" || got[1] != "no-cache" {
		t.Errorf("the header changed: %q", got)
	}
	if got := md[metadataKeyCacheControl]; len(got) != 1 || got[0] != "no-cache" {
		t.Errorf("cache-control metadata %q", got)
	}
}

// FuzzIncomingMetadata holds incomingMetadata to grpc-gateway's rules for
// any values of the headers it reads.
func FuzzIncomingMetadata(f *testing.F) {
	f.Add("Bearer a", "tok", "rid", "no-cache", "", false)
	f.Add("\x01", "t\u00e9", "", "max-age=0", "x", true)
	f.Fuzz(func(t *testing.T, auth, token, rid, cache, second string, lower bool) {
		h := http.Header{}
		name := func(s string) string {
			if lower {
				return strings.ToLower(s)
			}
			return s
		}
		for k, v := range map[string]string{"Authorization": auth, name("X-Auth-Token"): token, name("X-Request-Id"): rid, name("Cache-Control"): cache} {
			if v != "" {
				h[k] = []string{v}
				if second != "" {
					h[k] = append(h[k], second)
				}
			}
		}
		want := gatewayMetadata(t, h.Clone())
		if got := incomingMetadata(h); !reflect.DeepEqual(got, want) {
			t.Errorf("headers %q: incomingMetadata %v; grpc-gateway makes %v", h, got, want)
		}
	})
}
