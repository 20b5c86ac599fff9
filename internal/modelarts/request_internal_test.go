package modelarts

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"reflect"
	"testing"
)

type requestCtxKey struct{}

// TestNewHTTPRequest checks that an attempt's request is what
// http.NewRequestWithContext makes for its URL, with and without a body,
// and that a request without a body costs two allocations (the request
// and its header), not a URL parsed from a string as well.
func TestNewHTTPRequest(t *testing.T) {
	c, err := NewClient(http.DefaultClient, "https://modelarts.eu-de.otc.t-systems.com:8443/base", Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.WithValue(t.Context(), requestCtxKey{}, 1)
	for _, tt := range []struct {
		name string
		op   *Operation
		req  Request
	}{
		{"no body", DeleteInstance.op, Request{Params: []string{"0123456789abcdef0123456789abcdef", "DE-7d558ef8 c73d"}}},
		{"body", CreateInstance.op, Request{Params: []string{"0123456789abcdef0123456789abcdef"}, Body: map[string]string{"name": "n"}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out, err := c.outgoing(tt.op, tt.req)
			if err != nil {
				t.Fatal(err)
			}
			got, err := newHTTPRequest(ctx, out)
			if err != nil {
				t.Fatal(err)
			}
			var body io.Reader
			if out.body != nil {
				body = bytes.NewReader(out.body)
			}
			want, err := http.NewRequestWithContext(ctx, tt.op.Method, out.url.String(), body)
			if err != nil {
				t.Fatal(err)
			}
			if got.URL != out.url {
				t.Errorf("URL %p, want out.url %p", got.URL, out.url)
			}
			if got.URL.String() != want.URL.String() {
				t.Errorf("URL %s, want %s", got.URL, want.URL)
			}
			if got.Method != want.Method || got.Proto != want.Proto || got.ProtoMajor != want.ProtoMajor ||
				got.ProtoMinor != want.ProtoMinor || got.Host != want.Host || got.ContentLength != want.ContentLength ||
				(got.Body == nil) != (want.Body == nil) || (got.GetBody == nil) != (want.GetBody == nil) {
				t.Errorf("request %s %s %s %d.%d host %q length %d body %v getbody %v; want %s %s %d.%d host %q length %d body %v getbody %v",
					got.Method, got.URL, got.Proto, got.ProtoMajor, got.ProtoMinor, got.Host, got.ContentLength, got.Body != nil, got.GetBody != nil,
					want.Method, want.Proto, want.ProtoMajor, want.ProtoMinor, want.Host, want.ContentLength, want.Body != nil, want.GetBody != nil)
			}
			if got.Header == nil || len(got.Header) != 0 || !reflect.DeepEqual(got.Header, want.Header) {
				t.Errorf("header %v, want empty", got.Header)
			}
			if got.Context() != ctx {
				t.Error("the request is not in the attempt's context")
			}
			if out.body != nil {
				b, _ := io.ReadAll(got.Body)
				if string(b) != string(out.body) {
					t.Errorf("body %q, want %q", b, out.body)
				}
			}
		})
	}
	t.Run("allocations", func(t *testing.T) {
		out, err := c.outgoing(DeleteInstance.op, Request{Params: []string{"p", "i"}})
		if err != nil {
			t.Fatal(err)
		}
		if n := testing.AllocsPerRun(100, func() { _, _ = newHTTPRequest(ctx, out) }); n > 2 {
			t.Errorf("%v allocations per request without a body, want 2 (the request, its header)", n)
		}
	})
	t.Run("nil context", func(t *testing.T) {
		out, _ := c.outgoing(DeleteInstance.op, Request{Params: []string{"p", "i"}})
		//lint:ignore SA1012 the nil context is the case tested
		if _, err := newHTTPRequest(nil, out); err == nil { //nolint:staticcheck
			t.Error("no error for a nil context")
		}
	})
}
