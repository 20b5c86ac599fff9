package modelarts_test

import (
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/devenv-facade/devenv-facade/internal/modelarts"
)

// roundTripperFunc is an http.RoundTripper of a function.
type roundTripperFunc func(*http.Request) (*http.Response, error)

func (f roundTripperFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestDirectClient_likeHTTPClient holds DirectClient to what
// NewHTTPClientWith's http.Client answers for the same request over the
// same transport: the answer, a redirect as it is, and the same *url.Error
// (text included) when there is no answer.
func TestDirectClient_likeHTTPClient(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/redirect":
			http.Redirect(w, r, "/elsewhere", http.StatusFound)
		default:
			io.WriteString(w, r.Method+" "+r.URL.Path)
		}
	}))
	defer srv.Close()
	// A port nothing listens on: dialing it is refused.
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := "http://" + lis.Addr().String()
	lis.Close()

	tests := []struct {
		name, method, url string
		transport         http.RoundTripper // nil: the transport of NewHTTPClientWith
	}{
		{name: "answer", method: http.MethodGet, url: srv.URL + "/v1/p/demo"},
		{name: "delete", method: http.MethodDelete, url: srv.URL + "/v1/p/demo"},
		{name: "redirect_not_followed", method: http.MethodGet, url: srv.URL + "/redirect"},
		{name: "connection_refused", method: http.MethodDelete, url: refused + "/v1/p/demo"},
		{name: "https_to_http_server", method: http.MethodGet, url: strings.Replace(srv.URL, "http:", "https:", 1) + "/v1"},
		{name: "transport_error", method: http.MethodPost, url: srv.URL + "/v1",
			transport: roundTripperFunc(func(*http.Request) (*http.Response, error) { return nil, errors.New("no route") })},
		{name: "nil_response", method: http.MethodGet, url: srv.URL + "/v1",
			transport: roundTripperFunc(func(*http.Request) (*http.Response, error) { return nil, nil })},
		{name: "nil_body", method: http.MethodGet, url: srv.URL + "/v1",
			transport: roundTripperFunc(func(*http.Request) (*http.Response, error) { return &http.Response{StatusCode: 204}, nil })},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			hc := modelarts.NewHTTPClientWith(modelarts.TransportOptions{})
			defer hc.CloseIdleConnections()
			if tc.transport != nil {
				hc.Transport = tc.transport
			}
			dc := &modelarts.DirectClient{Transport: hc.Transport}
			want, wantErr := send(t, hc, tc.method, tc.url)
			got, gotErr := send(t, dc, tc.method, tc.url)
			if got != want {
				t.Errorf("DirectClient answered %q; http.Client %q", got, want)
			}
			if (gotErr == nil) != (wantErr == nil) || gotErr != nil && gotErr.Error() != wantErr.Error() {
				t.Errorf("DirectClient's error %v; http.Client's %v", gotErr, wantErr)
			}
			if _, ok := errors.AsType[*url.Error](gotErr); gotErr != nil && !ok {
				t.Errorf("DirectClient's error is %T; want *url.Error", gotErr)
			}
		})
	}
}

// send sends a request with c and describes the answer: its status, its
// Location and its body.
func send(t *testing.T, c modelarts.HTTPClient, method, target string) (string, error) {
	t.Helper()
	req, err := http.NewRequest(method, target, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.Status + " " + resp.Header.Get("Location") + " " + string(body), nil
}
