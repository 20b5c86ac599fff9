package service_test

import (
	"maps"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	devenvv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/devenv/v1"
	"github.com/devenv-facade/devenv-facade/internal/apierror"
	"github.com/devenv-facade/devenv-facade/internal/cloudauth"
	"github.com/devenv-facade/devenv-facade/internal/modelarts"
	"github.com/devenv-facade/devenv-facade/service"
)

// The documented ID shapes, restated as regular expressions so the fuzz
// target checks the hand-written validators against an independent oracle.
var (
	validProject  = regexp.MustCompile(`^[0-9a-f]{32}$`)
	validInstance = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
	// validToken is the caller's token (x-auth-token): absent, or visible
	// ASCII. Its length bound (16 KiB) is checked separately: RE2 caps
	// repetition counts at 1000.
	validToken = regexp.MustCompile(`^[\x21-\x7e]*$`)
)

// FuzzValidateDeleteInstance drives the service with arbitrary IDs and
// caller tokens against an upstream on loopback. A request the oracle
// accepts must reach ModelArts exactly once, at exactly
// /v1/{project_id}/demanager/instances/{instance_id} and with the caller's
// token if it sent one; any other must fail with INVALID_ARGUMENT naming the
// bad fields and reach nothing.
func FuzzValidateDeleteInstance(f *testing.F) {
	f.Add("0123456789abcdef0123456789abcdef", "DE-7d558ef8-c73d-11ea-964c-0255ac100033", "")
	f.Add("0123456789abcdef0123456789abcdef", "6fa459ea-ee8a-3ca4-894e-db77e160355e", "MIIDbQYJKoZIhvcNAQcC")
	f.Add("0123456789ABCDEF0123456789abcdef", "x", "tok en")
	f.Add("0123456789abcdef0123456789abcdef", "../admin", "")
	f.Add("0123456789abcdef0123456789abcdef", "a%2Fb", "\x00")
	f.Add("", "", "")
	f.Add("0123456789abcdef0123456789abcdef\n", "a\x00", "t\r\nX-Other: 1")
	f.Add("0123456789abcdef0123456789abcdef", "x", strings.Repeat("t", 16<<10+1))

	var mu sync.Mutex
	var uris, tokens []string
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		uris = append(uris, r.RequestURI)
		tokens = append(tokens, r.Header.Get("X-Auth-Token"))
		mu.Unlock()
		_, _ = w.Write([]byte(`{"instance_id":"ok"}`))
	}))
	defer up.Close()
	mc, err := modelarts.NewClient(up.Client(), up.URL, modelarts.Options{Credentials: cloudauth.Token("t")})
	if err != nil {
		f.Fatal(err)
	}
	svc := newService(f, mc, service.Options{})

	f.Fuzz(func(t *testing.T, project, instance, token string) {
		mu.Lock()
		uris, tokens = uris[:0], tokens[:0]
		mu.Unlock()
		ctx := metadata.NewIncomingContext(t.Context(), metadata.Pairs("x-auth-token", token))
		_, err := svc.DeleteInstance(ctx, &devenvv1.DeleteInstanceRequest{ProjectId: project, InstanceId: instance})
		mu.Lock()
		got, gotTokens := append([]string(nil), uris...), append([]string(nil), tokens...)
		mu.Unlock()

		wantBad := map[string]bool{}
		if !validProject.MatchString(project) {
			wantBad["project_id"] = true
		}
		if !validInstance.MatchString(instance) {
			wantBad["instance_id"] = true
		}
		if !validToken.MatchString(token) || len(token) > 16<<10 {
			wantBad["x-auth-token"] = true
		}
		if len(wantBad) == 0 {
			if err != nil {
				t.Fatalf("valid (%q, %q) failed: %v", project, instance, err)
			}
			want := "/v1/" + project + "/demanager/instances/" + instance
			if len(got) != 1 || got[0] != want {
				t.Fatalf("upstream saw %q; want exactly [%q]", got, want)
			}
			wantToken := token
			if token == "" {
				wantToken = "t" // the configured one
			}
			if gotTokens[0] != wantToken {
				t.Fatalf("upstream got X-Auth-Token %q; want %q", gotTokens[0], wantToken)
			}
			return
		}
		if len(got) != 0 {
			t.Fatalf("invalid (%q, %q) reached the upstream: %q", project, instance, got)
		}
		st := status.Convert(err)
		if st.Code() != codes.InvalidArgument {
			t.Fatalf("invalid (%q, %q): %v; want InvalidArgument", project, instance, err)
		}
		gotBad := map[string]bool{}
		for _, v := range apierror.FromStatus(st).Violations() {
			gotBad[v.GetField()] = true
		}
		if !maps.Equal(gotBad, wantBad) {
			t.Fatalf("invalid (%q, %q): violations %v; want %v", project, instance, gotBad, wantBad)
		}
		// The status must survive the wire: it marshals only if every
		// string in it is valid UTF-8, whatever bytes the caller sent.
		if _, err := proto.Marshal(st.Proto()); err != nil {
			t.Fatalf("the status cannot be sent: %v", err)
		}
	})
}
