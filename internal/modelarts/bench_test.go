package modelarts_test

import (
	"net/http/httptest"
	"strconv"
	"testing"

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
