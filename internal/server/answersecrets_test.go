package server_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/encoding/protojson"

	devenvv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/devenv/v1"
	"github.com/devenv-facade/devenv-facade/internal/cloudauth"
	"github.com/devenv-facade/devenv-facade/internal/server"
)

// TestAnswersLoseSecretsInEveryForm: an upstream answer that writes a
// secret in a form JSON allows but ModelArts does not use (a member named
// in camelCase or another case, a name or a token spelled with \u
// escapes or \/) loses it on both protocols: the REST mirror, which passes
// ModelArts' JSON on, removes what the gRPC answer, read from the same
// JSON, does not carry.
func TestAnswersLoseSecretsInEveryForm(t *testing.T) {
	t.Parallel()
	const (
		facadeToken = "FACADE-token-forms-61c0de"
		callerToken = "CALLER/token/forms-7ab3"
	)
	answers := map[string]string{
		// protojson reads connectionInfo as connection_info.
		"camel-url": `{"id":"i","status":"RUNNING","repository":{"connectionInfo":{"url":"https://ghp_REPOSECRET@github.com/o/r.git"}}}`,
		"any-case":  `{"id":"i","status":"RUNNING","Password":"REPOSECRET-1","accessKey":"REPOSECRET-2","Private-Key":"REPOSECRET-3"}`,
		"escaped":   `{"id":"i","status":"RUNNING","pass\u0077ord":"REPOSECRET-4","connection\u005finfo":{"url":"https://u:REPOSECRET-5@h/r"}}`,
		"tokens":    `{"id":"i","status":"RUNNING","description":"\u0046ACADE-token-forms-61c0de CALLER\/token\/forms-7ab3"}`,
	}
	up := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, answers[r.URL.Path[strings.LastIndexByte(r.URL.Path, '/')+1:]])
	})
	f := startFacade(t, up, func(o *server.Options) { o.Credentials = cloudauth.Token(facadeToken) })
	leaks := func(s string) bool {
		return strings.Contains(s, "REPOSECRET") || strings.Contains(s, facadeToken) || strings.Contains(s, callerToken)
	}
	for id := range answers {
		t.Run(id, func(t *testing.T) {
			t.Parallel()
			ctx := metadata.AppendToOutgoingContext(t.Context(), "x-auth-token", callerToken)
			resp, err := f.client.GetInstance(ctx, &devenvv1.GetInstanceRequest{ProjectId: project, InstanceId: id})
			if err != nil {
				t.Fatalf("gRPC: %v", err)
			}
			if b, _ := protojson.Marshal(resp); leaks(string(b)) {
				t.Errorf("gRPC answer holds a secret: %s", b)
			}
			code, b := restRaw(t, http.MethodGet, f.httpURL+"/v1/"+project+"/demanager/instances/"+id, "", map[string]string{"X-Auth-Token": callerToken})
			if code != http.StatusOK || leaks(b) {
				t.Errorf("REST answer: %d %s; want 200 without a secret", code, b)
			}
		})
	}
}
