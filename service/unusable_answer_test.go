package service_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/devenv-facade/devenv-facade/internal/callctx"
	"github.com/devenv-facade/devenv-facade/internal/cloudauth"
	"github.com/devenv-facade/devenv-facade/internal/emulator"
	"github.com/devenv-facade/devenv-facade/internal/modelarts"
)

// garbled lets the emulator act on every request, but answers a create
// with body instead of the emulator's.
type garbled struct {
	emu  *emulator.Server
	body string
}

func (g garbled) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		g.emu.ServeHTTP(w, r)
		return
	}
	rec := httptest.NewRecorder()
	g.emu.ServeHTTP(rec, r)
	w.WriteHeader(rec.Code)
	_, _ = io.WriteString(w, g.body)
}

// TestCreateInstance_unusableAnswer: a create answered 2xx with a body
// that is not an instance (not JSON, or JSON of the wrong shape) was done
// but its answer is unusable: the name is looked up, and the instance
// found is returned as created (x-outcome: inferred).
func TestCreateInstance_unusableAnswer(t *testing.T) {
	t.Parallel()
	for name, body := range map[string]string{
		"not_json":    `<html>ok</html>`,
		"truncated":   `{"id":"DE-`,
		"wrong_shape": `{"name":5}`,
		"empty":       ``,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			emu := emulator.MustNew(emulator.Options{})
			h := start(t, garbled{emu, body}, modelarts.Options{Credentials: cloudauth.Token("t"), Retry: noRetries})
			var hdr metadata.MD
			resp, err := h.client.CreateInstance(t.Context(), createRequest("garbled-"+name), grpc.Header(&hdr))
			if status.Code(err) != codes.OK {
				t.Fatalf("create: %v; want the instance looked up and returned", err)
			}
			if resp.GetInstance().GetName() != "garbled-"+name || resp.GetInstance().GetId() == "" {
				t.Errorf("answered %v; want the instance created", resp.GetInstance())
			}
			if got := hdr.Get(callctx.MetadataKeyOutcome); !cmp.Equal(got, []string{"inferred"}) {
				t.Errorf("x-outcome = %q; want inferred", got)
			}
		})
	}
}
