package callerauth_test

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/peer"

	"github.com/devenv-facade/devenv-facade/internal/callerauth"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

const (
	projectA = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	projectB = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
)

func hash(token string) string {
	s := sha256.Sum256([]byte(token))
	return hex.EncodeToString(s[:])
}

func writeFile(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "callers.yaml")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// replaceFile replaces the file at path with content in one step (a
// rename), so that a concurrent reader sees the old file or the new one.
func replaceFile(t *testing.T, path, content string) {
	t.Helper()
	tmp := path + ".new"
	if err := os.WriteFile(tmp, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

func callersFile() string {
	return `callers:
  - name: alice
    token_sha256: ` + hash("alice-token") + `
    projects: ["` + projectA + `"]
  - name: ops
    token_sha256: ` + strings.ToUpper(hash("ops-token")) + `
    projects: ["*"]
  - name: batch
    client_cert_names: ["batch.internal.example", "spiffe://example/batch"]
    projects: ["` + projectB + `"]
`
}

func TestLoad_rejectsBadFiles(t *testing.T) {
	t.Parallel()
	h := hash("x")
	tests := map[string]string{
		"not_yaml":          "callers: [",
		"unknown_field":     "callers: [{name: a, token: secret-pasted-here, projects: ['*']}]",
		"no_name":           "callers: [{token_sha256: " + h + ", projects: ['*']}]",
		"duplicate_name":    "callers: [{name: a, token_sha256: " + h + ", projects: ['*']}, {name: a, token_sha256: " + hash("y") + ", projects: ['*']}]",
		"duplicate_hash":    "callers: [{name: a, token_sha256: " + h + ", projects: ['*']}, {name: b, token_sha256: " + h + ", projects: ['*']}]",
		"token_not_hash":    "callers: [{name: a, token_sha256: plaintext-token, projects: ['*']}]",
		"no_identity":       "callers: [{name: a, projects: ['*']}]",
		"no_projects":       "callers: [{name: a, token_sha256: " + h + "}]",
		"bad_project":       "callers: [{name: a, token_sha256: " + h + ", projects: ['../x']}]",
		"json_bad_projects": `{"callers": [{"name": "a", "token_sha256": "` + h + `", "projects": "*"}]}`,
	}
	for name, content := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := callerauth.Load(writeFile(t, content), callerauth.Options{})
			if err == nil {
				t.Fatal("Load succeeded; want an error")
			}
			if strings.Contains(err.Error(), "secret-pasted-here") || strings.Contains(err.Error(), "plaintext-token") {
				t.Errorf("the error quotes the file's content: %v", err)
			}
		})
	}
	if _, err := callerauth.Load(filepath.Join(t.TempDir(), "missing.yaml"), callerauth.Options{}); err == nil {
		t.Error("Load of a missing file succeeded")
	}
	// JSON is YAML.
	if _, err := callerauth.Load(writeFile(t, `{"callers": [{"name": "a", "token_sha256": "`+h+`", "projects": ["*"]}]}`), callerauth.Options{}); err != nil {
		t.Errorf("JSON file: %v", err)
	}
}

func TestAuthenticate(t *testing.T) {
	t.Parallel()
	a, err := callerauth.Load(writeFile(t, callersFile()), callerauth.Options{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		auth     []string
		cert     *x509.Certificate
		want     string
		wantErr  error
		projects map[string]bool
	}{
		{name: "alice", auth: []string{"Bearer alice-token"}, want: "alice", projects: map[string]bool{projectA: true, projectB: false}},
		{name: "scheme_case", auth: []string{"bearer alice-token"}, want: "alice"},
		{name: "ops_uppercase_hash", auth: []string{"Bearer ops-token"}, want: "ops", projects: map[string]bool{projectA: true, projectB: true}},
		{name: "unknown_token", auth: []string{"Bearer nope"}, wantErr: callerauth.ErrUnknownCredentials},
		{name: "basic_scheme", auth: []string{"Basic YWxpY2U6eA=="}, wantErr: callerauth.ErrMalformedBearer},
		{name: "empty_bearer", auth: []string{"Bearer "}, wantErr: callerauth.ErrMalformedBearer},
		{name: "two_headers", auth: []string{"Bearer alice-token", "Bearer ops-token"}, wantErr: callerauth.ErrMalformedBearer},
		{name: "signed_credential_form", auth: []string{"SDK-HMAC-SHA256 Credential=AK/20191115///sdk_request, SignedHeaders=host;x-sdk-date, Signature=3d4d"}, wantErr: callerauth.ErrSignedRequest},
		{name: "signed_access_form", auth: []string{"SDK-HMAC-SHA256 Access=AK, SignedHeaders=x-sdk-date, Signature=404e"}, wantErr: callerauth.ErrSignedRequest},
		{name: "signed_and_bearer", auth: []string{"Bearer alice-token", "SDK-HMAC-SHA256 Access=AK, SignedHeaders=x-sdk-date, Signature=404e"}, wantErr: callerauth.ErrSignedRequest},
		{name: "signed_despite_a_listed_certificate", auth: []string{"SDK-HMAC-SM3 Access=AK"}, cert: &x509.Certificate{DNSNames: []string{"batch.internal.example"}}, wantErr: callerauth.ErrSignedRequest},
		{name: "nothing", wantErr: callerauth.ErrNoCredentials},
		{name: "cert_dns_name", cert: &x509.Certificate{DNSNames: []string{"batch.internal.example"}}, want: "batch", projects: map[string]bool{projectA: false, projectB: true}},
		{name: "cert_uri", cert: &x509.Certificate{URIs: []*url.URL{{Scheme: "spiffe", Host: "example", Path: "/batch"}}}, want: "batch"},
		{name: "cert_unknown", cert: &x509.Certificate{Subject: pkix.Name{CommonName: "stranger"}}, wantErr: callerauth.ErrNoCredentials},
		{name: "token_wins_over_cert", auth: []string{"Bearer nope"}, cert: &x509.Certificate{DNSNames: []string{"batch.internal.example"}}, wantErr: callerauth.ErrUnknownCredentials},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := t.Context()
			if tt.cert != nil {
				state := tls.ConnectionState{VerifiedChains: [][]*x509.Certificate{{tt.cert}}}
				ctx = peer.NewContext(ctx, &peer.Peer{AuthInfo: credentials.TLSInfo{State: state}})
			}
			c, err := a.Authenticate(ctx, tt.auth)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v; want %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if c.Name != tt.want {
				t.Errorf("caller = %q; want %q", c.Name, tt.want)
			}
			for p, want := range tt.projects {
				if c.MayAccess(p) != want {
					t.Errorf("MayAccess(%s) = %v; want %v", p, !want, want)
				}
			}
		})
	}
	// An unverified certificate (no chain) is no identity.
	ctx := peer.NewContext(t.Context(), &peer.Peer{AuthInfo: credentials.TLSInfo{State: tls.ConnectionState{
		PeerCertificates: []*x509.Certificate{{DNSNames: []string{"batch.internal.example"}}}}}})
	if _, err := a.Authenticate(ctx, nil); !errors.Is(err, callerauth.ErrNoCredentials) {
		t.Errorf("unverified certificate: %v; want ErrNoCredentials", err)
	}
}

func TestReload(t *testing.T) {
	t.Parallel()
	path := writeFile(t, callersFile())
	a, err := callerauth.Load(path, callerauth.Options{})
	if err != nil {
		t.Fatal(err)
	}
	knows := func(token string) bool {
		_, err := a.Authenticate(t.Context(), []string{"Bearer " + token})
		return err == nil
	}

	// A change to the file is picked up by the next check, without a restart.
	if err := os.WriteFile(path, []byte("callers: [{name: carol, token_sha256: "+hash("carol-token")+", projects: ['*']}]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := a.Check(); err != nil {
		t.Fatal(err)
	}
	if !knows("carol-token") || knows("alice-token") {
		t.Error("Check did not install the changed file")
	}
	// A broken file keeps the callers in force, for Reload and Check alike.
	if err := os.WriteFile(path, []byte("callers: [{name: "), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := a.Reload(); err == nil {
		t.Error("Reload of a broken file succeeded")
	}
	if err := a.Check(); err == nil {
		t.Error("Check of a broken file succeeded")
	}
	if !knows("carol-token") {
		t.Error("a broken file replaced the working one")
	}
	// Reload (SIGHUP) reads the file at once.
	if err := os.WriteFile(path, []byte(callersFile()), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := a.Reload(); err != nil {
		t.Fatal(err)
	}
	if !knows("alice-token") || knows("carol-token") {
		t.Error("Reload did not install the new file")
	}
}

// TestCheck_sameSizeAndTime: a revocation that keeps the file's size and
// modification time (cp -p, rsync -t, tar) is still seen: the content is
// compared, not the metadata.
func TestCheck_sameSizeAndTime(t *testing.T) {
	t.Parallel()
	file := func(token string) string {
		return "callers: [{name: a, token_sha256: " + hash(token) + ", projects: ['*']}]\n"
	}
	path := writeFile(t, file("old-token-1"))
	a, err := callerauth.Load(path, callerauth.Options{})
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(file("new-token-2")), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(path, fi.ModTime(), fi.ModTime()); err != nil {
		t.Fatal(err)
	}
	if fi2, _ := os.Stat(path); fi2.Size() != fi.Size() || !fi2.ModTime().Equal(fi.ModTime()) {
		t.Fatal("the test file's size or time changed")
	}
	if err := a.Check(); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Authenticate(t.Context(), []string{"Bearer old-token-1"}); err == nil {
		t.Error("the revoked token still works after a check")
	}
	if _, err := a.Authenticate(t.Context(), []string{"Bearer new-token-2"}); err != nil {
		t.Errorf("the new token: %v", err)
	}
}

// TestWatch checks on every tick until its context ends.
func TestWatch(t *testing.T) {
	t.Parallel()
	path := writeFile(t, callersFile())
	a, err := callerauth.Load(path, callerauth.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("callers: []\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ticks := make(chan time.Time)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { defer close(done); a.Watch(ctx, ticks) }()
	ticks <- time.Now() // taken by Watch, which then checks
	ticks <- time.Now() // taken only once the first check is done
	cancel()
	<-done
	if a.Count() != 0 {
		t.Errorf("after two ticks, %d callers; want the changed file's 0", a.Count())
	}
}

// TestLoad_warnsAboutWritableFile: whoever may write the callers file may
// grant themselves access.
func TestLoad_warnsAboutWritableFile(t *testing.T) {
	t.Parallel()
	path := writeFile(t, callersFile())
	if err := os.Chmod(path, 0o666); err != nil {
		t.Fatal(err)
	}
	var buf strings.Builder
	logger := slog.New(slog.NewTextHandler(&buf, nil))
	if _, err := callerauth.Load(path, callerauth.Options{Logger: logger}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "writable by others") {
		t.Errorf("log %q; want a warning about the file's mode", buf.String())
	}
	buf.Reset()
	path2 := writeFile(t, callersFile())
	if _, err := callerauth.Load(path2, callerauth.Options{Logger: logger}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "writable") {
		t.Errorf("a 0600 file gave the warning: %q", buf.String())
	}
}

// TestDocs_callersExample keeps the callers file shown in docs/securing.md valid.
func TestDocs_callersExample(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("../../docs/securing.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(readme), "```yaml\ncallers:")
	if !ok {
		t.Fatal("docs/securing.md has no ```yaml block starting with callers:")
	}
	block, _, _ := strings.Cut(rest, "```")
	a, err := callerauth.Load(writeFile(t, "callers:"+block), callerauth.Options{})
	if err != nil {
		t.Fatalf("the example of docs/securing.md does not load: %v", err)
	}
	for token, name := range map[string]string{"janitor-example-token": "notebook-janitor", "admin-example-token": "platform-admin", "dashboard-example-token": "dashboard"} {
		if c, err := a.Authenticate(t.Context(), []string{"Bearer " + token}); err != nil || c.Name != name {
			t.Errorf("docs/securing.md token %q: %v, %v; want caller %s", token, c, err, name)
		}
	}
}

// TestReloadObserver: OnReload hears of reloads that changed the callers
// or failed, not of unchanged checks nor of the first load.
func TestReloadObserver(t *testing.T) {
	t.Parallel()
	path := writeFile(t, "callers:\n  - name: a\n    token_sha256: "+hash("a-token")+"\n    projects: [\"*\"]\n")
	heard := make(chan error, 10)
	a, err := callerauth.Load(path, callerauth.Options{OnReload: func(err error) { heard <- err }})
	if err != nil {
		t.Fatal(err)
	}
	ticks := make(chan time.Time)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		a.Watch(ctx, ticks)
	}()
	defer func() {
		cancel()
		<-done
	}()
	ticks <- time.Now() // unchanged: nothing heard
	// Replaced whole (written beside it, then renamed), as the watcher may
	// still be reading it for the previous tick: an in-place write could be
	// read half done.
	replaceFile(t, path, "callers:\n  - name: b\n    token_sha256: "+hash("b-token")+"\n    projects: [\"*\"]\n")
	ticks <- time.Now()
	if err := <-heard; err != nil {
		t.Errorf("a changed file: observer heard %v; want nil", err)
	}
	replaceFile(t, path, "callers: [broken")
	ticks <- time.Now()
	if err := <-heard; err == nil {
		t.Error("a broken file: observer heard nil; want the error")
	}
	// The same broken file again: not heard. (A tick is taken only after
	// the previous check, so the first of these two checks is over once
	// the second tick is taken.)
	ticks <- time.Now()
	ticks <- time.Now()
	select {
	case err := <-heard:
		t.Errorf("an unchanged broken file was heard again (%v); want it heard once", err)
	default:
	}
}
