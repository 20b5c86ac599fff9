package modelarts_test

import (
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/devenv-facade/devenv-facade/internal/apierror"
	"github.com/devenv-facade/devenv-facade/internal/cloudauth"
	"github.com/devenv-facade/devenv-facade/internal/emulator"
	"github.com/devenv-facade/devenv-facade/internal/modelarts"
	"github.com/devenv-facade/devenv-facade/internal/options"
)

// BenchmarkDeleteInstance is the client alone against the emulator over
// loopback HTTP/1.1.
func BenchmarkDeleteInstance(b *testing.B) {
	srv := httptest.NewServer(emulator.MustNew(emulator.Options{RequestLog: options.None}))
	defer srv.Close()
	hc := modelarts.NewHTTPClient(0)
	defer hc.CloseIdleConnections()
	c, err := modelarts.NewClient(hc, srv.URL, modelarts.Options{Credentials: cloudauth.Token("t")})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		if _, err := deleteInstance(b.Context(), c, testProject, "fault-n"+strconv.Itoa(i)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAPIError is the mapping of a ModelArts error answer into the
// caller's error: the typed error alone (what the REST mirror and the log
// line read), and with the gRPC status built from it (what gRPC sends).
func BenchmarkAPIError(b *testing.B) {
	err := &modelarts.Error{HTTPStatus: 400, Code: "ModelArts.6309", Message: "The instance does not exist.", RequestID: "rid"}
	call := apierror.Call{RequestID: "rid", Credentials: apierror.CredentialsFacade, Attempts: 1}
	b.Run("typed", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = modelarts.APIError(b.Context(), err, call)
		}
	})
	b.Run("status", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = modelarts.APIError(b.Context(), err, call).GRPCStatus()
		}
	})
}

// BenchmarkGetNotebook is one read at a time, the client alone against the
// emulator over loopback HTTP/1.1: what coalescing costs a read that
// shares nothing (its own goroutine, the key, the map), beside a client
// without it.
func BenchmarkGetNotebook(b *testing.B) {
	srv := httptest.NewServer(emulator.MustNew(emulator.Options{RequestLog: options.None}))
	defer srv.Close()
	for _, bc := range []struct {
		name string
		opts modelarts.Options
	}{
		{"coalescing", modelarts.Options{}},
		{"alone", modelarts.Options{DisableCoalescing: true}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			hc := modelarts.NewHTTPClient(0)
			defer hc.CloseIdleConnections()
			bc.opts.Credentials = cloudauth.Token("t")
			c, err := modelarts.NewClient(hc, srv.URL, bc.opts)
			if err != nil {
				b.Fatal(err)
			}
			req := modelarts.Request{Params: []string{emulator.SampleProjectID, emulator.SampleNotebookID}}
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := modelarts.GetNotebook.Call(b.Context(), c, req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
