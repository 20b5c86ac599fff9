package server_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/devenv-facade/devenv-facade/internal/options"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"

	devenvv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/devenv/v1"
	"github.com/devenv-facade/devenv-facade/internal/callerauth"
	"github.com/devenv-facade/devenv-facade/internal/cloudauth"
	"github.com/devenv-facade/devenv-facade/internal/emulator"
	"github.com/devenv-facade/devenv-facade/internal/logbuf"
	"github.com/devenv-facade/devenv-facade/internal/modelarts"
	"github.com/devenv-facade/devenv-facade/internal/server"
	"github.com/devenv-facade/devenv-facade/internal/statustest"
)

func del(id string) *devenvv1.DeleteInstanceRequest {
	return &devenvv1.DeleteInstanceRequest{ProjectId: project, InstanceId: id}
}

func TestAKSKSigning(t *testing.T) {
	t.Parallel()
	const ak, sk = "FACADETESTAK0000001", "facade-test-secret-key-0000000000000000"
	for _, form := range []cloudauth.SigningForm{cloudauth.FormCredential, cloudauth.FormAccess} {
		t.Run(string(form), func(t *testing.T) {
			t.Parallel()
			emu := emulator.MustNew(emulator.Options{AccessKeys: []emulator.AccessKey{{ID: ak, Secret: sk}}})
			signer, err := cloudauth.NewSigner(ak, sk, form, "", "")
			if err != nil {
				t.Fatal(err)
			}
			f := startFacade(t, emu, func(o *server.Options) { o.Credentials = cloudauth.NewAKSK(signer, "") })
			if _, err := f.client.DeleteInstance(t.Context(), del(stopped)); err != nil {
				t.Fatalf("signed delete: %v", err)
			}
			if auth := emu.Requests()[0].Header.Get("Authorization"); !strings.HasPrefix(auth, "SDK-HMAC-SHA256 ") {
				t.Errorf("Authorization = %q; want a signature", auth)
			}

			wrong, _ := cloudauth.NewSigner(ak, "not-the-secret-key", form, "", "")
			g := startFacade(t, emu, func(o *server.Options) { o.Credentials = cloudauth.NewAKSK(wrong, "") })
			_, err = g.client.DeleteInstance(t.Context(), del(running))
			if status.Code(err) != codes.Unauthenticated {
				t.Fatalf("wrong secret key: %v; want Unauthenticated", err)
			}
			md := statustest.Error(t, err).Metadata()
			if md["error_code"] != "ModelArts.0206" || md["http_status"] != "403" || md["credentials"] != "facade" {
				t.Errorf("ErrorInfo metadata = %v; want ModelArts' 403 ModelArts.0206 against the facade's credentials", md)
			}
		})
	}
}

func TestAKSKSecurityToken(t *testing.T) {
	t.Parallel()
	emu := emulator.MustNew(emulator.Options{AccessKeys: []emulator.AccessKey{{ID: "TEMPAK", Secret: "temp-sk", SecurityToken: "temp-st"}}})
	signer, _ := cloudauth.NewSigner("TEMPAK", "temp-sk", "", "", "")
	f := startFacade(t, emu, func(o *server.Options) { o.Credentials = cloudauth.NewAKSK(signer, "temp-st") })
	if _, err := f.client.DeleteInstance(t.Context(), del(stopped)); err != nil {
		t.Fatalf("temporary key with its security token: %v", err)
	}
	g := startFacade(t, emu, func(o *server.Options) { o.Credentials = cloudauth.NewAKSK(signer, "") })
	if _, err := g.client.DeleteInstance(t.Context(), del(running)); status.Code(err) != codes.Unauthenticated {
		t.Errorf("temporary key without its security token: %v; want Unauthenticated", err)
	}
}

// iamFacade starts a facade using IAM password credentials against the
// emulator's IAM (served by the same emulator).
func iamFacade(t *testing.T, emu *emulator.Server, password string) (*instance, *httptest.Server) {
	t.Helper()
	iam := httptest.NewServer(emu)
	t.Cleanup(iam.Close)
	hc := &http.Client{Transport: &http.Transport{}}
	t.Cleanup(hc.CloseIdleConnections)
	creds, err := cloudauth.NewIAMPassword(hc, cloudauth.IAMConfig{
		Endpoint: iam.URL + "/v3", Username: "svc-user", Password: password, DomainName: "acme", ProjectName: emulator.SampleProjectName,
	})
	if err != nil {
		t.Fatal(err)
	}
	return startFacade(t, emu, func(o *server.Options) { o.Credentials = creds }), iam
}

func TestIAMPassword_oneTokenForConcurrentCalls(t *testing.T) {
	t.Parallel()
	emu := emulator.MustNew(emulator.Options{IAMUsers: []emulator.IAMUser{{Name: "svc-user", Password: "svc-password", Domain: "acme"}}})
	f, _ := iamFacade(t, emu, "svc-password")

	const calls = 100
	var wg sync.WaitGroup
	errs := make(chan error, calls)
	for i := range calls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := f.client.DeleteInstance(context.Background(), del("missing-"+strings.Repeat("x", i%7)))
			if status.Code(err) != codes.NotFound {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("call: %v; want NotFound from ModelArts", err)
	}
	if n := emu.TokenRequestCount(); n != 1 {
		t.Errorf("%d concurrent calls made %d token requests; want 1", calls, n)
	}

	// ModelArts now says the token expired: exactly one refresh, and the
	// calls succeed on their retry.
	emu.ExpireTokens()
	var wg2 sync.WaitGroup
	errs2 := make(chan error, 20)
	for range 20 {
		wg2.Add(1)
		go func() {
			defer wg2.Done()
			if _, err := f.client.DeleteInstance(context.Background(), del("missing")); status.Code(err) != codes.NotFound {
				errs2 <- err
			}
		}()
	}
	wg2.Wait()
	close(errs2)
	for err := range errs2 {
		t.Errorf("call after expiry: %v; want NotFound after one refresh", err)
	}
	if n := emu.TokenRequestCount(); n != 2 {
		t.Errorf("after expiry: %d token requests in all; want exactly 2 (one refresh)", n)
	}
	if _, err := f.client.DeleteInstance(t.Context(), del(stopped)); err != nil {
		t.Errorf("delete with the refreshed token: %v", err)
	}
}

func TestIAMPassword_rejected(t *testing.T) {
	t.Parallel()
	emu := emulator.MustNew(emulator.Options{IAMUsers: []emulator.IAMUser{{Name: "svc-user", Password: "svc-password", Domain: "acme"}}})
	f, _ := iamFacade(t, emu, "wrong-password-x7")
	_, err := f.client.DeleteInstance(t.Context(), del(stopped))
	if status.Code(err) != codes.FailedPrecondition || statustest.Error(t, err).Reason() != "CREDENTIALS_REJECTED" {
		t.Fatalf("wrong IAM password: %v; want FailedPrecondition/CREDENTIALS_REJECTED", err)
	}
	if strings.Contains(err.Error(), "wrong-password-x7") {
		t.Errorf("the error shows the password: %v", err)
	}
	// Token requests only (the readiness check asks for one at start, the
	// call again): the call never reached ModelArts' API.
	for _, r := range emu.Requests() {
		if r.Path != "/v3/auth/tokens" {
			t.Errorf("ModelArts saw %s %s; want only IAM's token requests", r.Method, r.Path)
		}
	}
}

func TestCallerAuthorization(t *testing.T) {
	t.Parallel()
	other := strings.Repeat("9", 32)
	path := filepath.Join(t.TempDir(), "callers.yaml")
	sum := func(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }
	writeTestFile(t, path, "callers:\n  - name: alice\n    token_sha256: "+sum("alice-bearer")+"\n    projects: [\""+project+"\"]\n  - name: bob\n    token_sha256: "+sum("bob-bearer")+"\n    projects: [\""+other+"\"]\n")
	callers, err := callerauth.Load(path, callerauth.Options{})
	if err != nil {
		t.Fatal(err)
	}
	emu := emulator.MustNew(emulator.Options{})
	f := startFacade(t, emu, func(o *server.Options) { o.Credentials = cloudauth.Token("service-token"); o.Callers = callers })
	bearer := func(tok string) context.Context {
		return metadata.AppendToOutgoingContext(t.Context(), "authorization", "Bearer "+tok)
	}

	if _, err := f.client.DeleteInstance(t.Context(), del(stopped)); status.Code(err) != codes.Unauthenticated {
		t.Errorf("no token: %v; want Unauthenticated", err)
	}
	if _, err := f.client.DeleteInstance(bearer("mallory"), del(stopped)); status.Code(err) != codes.Unauthenticated {
		t.Errorf("unknown token: %v; want Unauthenticated", err)
	}
	_, err = f.client.DeleteInstance(bearer("bob-bearer"), del(stopped))
	if status.Code(err) != codes.PermissionDenied || statustest.Error(t, err).Reason() != "PROJECT_NOT_PERMITTED" {
		t.Errorf("wrong project: %v; want PermissionDenied/PROJECT_NOT_PERMITTED", err)
	}
	if n := emu.RequestCount(); n != 0 {
		t.Fatalf("refused calls reached ModelArts (%d requests)", n)
	}
	if _, err := f.client.DeleteInstance(bearer("alice-bearer"), del(stopped)); err != nil {
		t.Errorf("right project: %v", err)
	}
	// The caller's bearer token never goes upstream.
	for _, r := range emu.Requests() {
		if r.Header.Get("Authorization") != "" || r.Header.Get("X-Auth-Token") != "service-token" {
			t.Errorf("upstream headers: Authorization %q, X-Auth-Token %q", r.Header.Get("Authorization"), r.Header.Get("X-Auth-Token"))
		}
	}
	// Health stays open for probes.
	if _, err := f.conn.NewStream(t.Context(), &grpc.StreamDesc{}, "/grpc.health.v1.Health/Check"); err != nil {
		t.Errorf("health: %v", err)
	}

	// The REST mirror enforces the same file.
	code, hdr, body := rest(t, http.MethodDelete, f.httpURL+"/v1/"+project+"/demanager/instances/x", nil)
	if code != http.StatusUnauthorized || body["error_code"] != "Facade.CALLER_UNAUTHENTICATED" || !strings.HasPrefix(hdr.Get("WWW-Authenticate"), "Bearer") {
		t.Errorf("mirror without a token: %d %v %v", code, body, hdr)
	}
	code, _, body = rest(t, http.MethodDelete, f.httpURL+"/v1/"+project+"/demanager/instances/x", map[string]string{"Authorization": "Bearer bob-bearer"})
	if code != http.StatusForbidden || body["error_code"] != "Facade.PROJECT_NOT_PERMITTED" {
		t.Errorf("mirror, wrong project: %d %v", code, body)
	}
	code, _, body = rest(t, http.MethodDelete, f.httpURL+"/v1/"+project+"/demanager/instances/DE-2b1f6c3e-5a4d-11ee-8c99-0242ac120002", map[string]string{"Authorization": "Bearer alice-bearer"})
	if code != http.StatusOK {
		t.Errorf("mirror, right project: %d %v", code, body)
	}
}

func writeTestFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestRefusesExposedListenerWithoutProtection(t *testing.T) {
	t.Parallel()
	listen := func() net.Listener {
		lis, err := net.Listen("tcp", "0.0.0.0:0")
		if err != nil {
			t.Fatal(err)
		}
		return lis
	}
	p := newPKI(t)
	serverTLS, err := server.ServerTLSConfig(p.certFile, p.keyFile, "")
	if err != nil {
		t.Fatal(err)
	}
	mutualTLS, err := server.ServerTLSConfig(p.certFile, p.keyFile, p.caFile)
	if err != nil {
		t.Fatal(err)
	}
	creds := cloudauth.Token("facade-token")
	tests := []struct {
		name    string
		set     func(*server.Options)
		refused bool
	}{
		{"plaintext", func(o *server.Options) { o.Credentials = creds }, true},
		// TLS encrypts but does not say who calls.
		{"tls_alone", func(o *server.Options) { o.Credentials = creds; o.TLS = serverTLS }, true},
		{"mutual_tls", func(o *server.Options) { o.Credentials = creds; o.TLS = mutualTLS }, false},
		{"insecure", func(o *server.Options) { o.Credentials = creds; o.Insecure = true }, false},
		// Without credentials of its own the facade only forwards callers' tokens.
		{"no_facade_credentials", func(*server.Options) {}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			opts := server.Options{}
			tt.set(&opts)
			opts.GRPCListener, opts.Endpoint = listen(), "http://127.0.0.1:1"
			ctx, cancel := context.WithCancel(t.Context())
			cancel() // if it starts, stop at once
			err := server.Run(ctx, opts)
			switch {
			case tt.refused && (err == nil || !strings.Contains(err.Error(), "refusing to listen") ||
				!slices.Equal(fieldsOf(err), []string{"Callers", "TLS.ClientCAs", "Insecure"})):
				t.Errorf("Run on 0.0.0.0: %v; want a refusal that names what to add (Callers, TLS.ClientCAs, Insecure)", err)
			case tt.refused && opts.TLS != nil && !strings.Contains(err.Error(), "TLS encrypts"):
				t.Errorf("refusal with TLS alone: %v; want it to say why TLS is not enough", err)
			case !tt.refused && err != nil:
				t.Errorf("Run: %v; want it to start", err)
			}
		})
	}
}

// pki is a throwaway CA with a server and a client certificate.
type pki struct {
	dir                       string
	caFile, certFile, keyFile string
	caPool                    *x509.CertPool
	clientCert                tls.Certificate
	strangerCert              tls.Certificate
}

func newPKI(t *testing.T) *pki {
	t.Helper()
	dir := t.TempDir()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"}, IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	issue := func(cn string, server bool, signer *x509.Certificate, signerKey *ecdsa.PrivateKey) ([]byte, *ecdsa.PrivateKey) {
		key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature}
		if server {
			tmpl.ExtKeyUsage, tmpl.IPAddresses = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, []net.IP{net.ParseIP("127.0.0.1")}
		} else {
			tmpl.ExtKeyUsage, tmpl.DNSNames = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, []string{cn}
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, signer, &key.PublicKey, signerKey)
		if err != nil {
			t.Fatal(err)
		}
		return der, key
	}
	p := &pki{dir: dir, caFile: filepath.Join(dir, "ca.pem"), certFile: filepath.Join(dir, "server.pem"), keyFile: filepath.Join(dir, "server-key.pem")}
	writeTestFile(t, p.caFile, string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})))
	srvDER, srvKey := issue("facade", true, ca, caKey)
	writeTestFile(t, p.certFile, string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srvDER})))
	keyDER, _ := x509.MarshalECPrivateKey(srvKey)
	writeTestFile(t, p.keyFile, string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})))
	p.caPool = x509.NewCertPool()
	p.caPool.AddCert(ca)
	cliDER, cliKey := issue("batch.internal.example", false, ca, caKey)
	p.clientCert = tls.Certificate{Certificate: [][]byte{cliDER}, PrivateKey: cliKey}
	strDER, strKey := issue("stranger.internal.example", false, ca, caKey)
	p.strangerCert = tls.Certificate{Certificate: [][]byte{strDER}, PrivateKey: strKey}
	return p
}

func TestMutualTLS(t *testing.T) {
	t.Parallel()
	p := newPKI(t)
	tlsConfig, err := server.ServerTLSConfig(p.certFile, p.keyFile, p.caFile)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "callers.yaml")
	writeTestFile(t, path, "callers:\n  - name: batch\n    client_cert_names: [batch.internal.example]\n    projects: [\""+project+"\"]\n")
	callers, err := callerauth.Load(path, callerauth.Options{})
	if err != nil {
		t.Fatal(err)
	}
	emu := emulator.MustNew(emulator.Options{})
	f := launch(t, emu, func(o *server.Options) { o.Credentials = cloudauth.Token("t"); o.TLS = tlsConfig; o.Callers = callers })

	dial := func(cert *tls.Certificate) devenvv1.DevEnvServiceClient {
		cfg := &tls.Config{RootCAs: p.caPool, MinVersion: tls.VersionTLS12}
		if cert != nil {
			cfg.Certificates = []tls.Certificate{*cert}
		}
		conn, err := grpc.NewClient(f.grpcAddr, grpc.WithTransportCredentials(credentials.NewTLS(cfg)))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		return devenvv1.NewDevEnvServiceClient(conn)
	}
	if _, err := dial(&p.clientCert).DeleteInstance(t.Context(), del(stopped)); err != nil {
		t.Errorf("with the listed client certificate: %v", err)
	}
	if _, err := dial(&p.strangerCert).DeleteInstance(t.Context(), del(running)); status.Code(err) != codes.Unauthenticated {
		t.Errorf("with an unlisted certificate: %v; want Unauthenticated", err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
	defer cancel()
	if _, err := dial(nil).DeleteInstance(ctx, del(running)); status.Code(err) != codes.Unavailable {
		t.Errorf("without a client certificate: %v; want the handshake refused (Unavailable)", err)
	}

	// The REST mirror over HTTPS, identified by the same certificate.
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: p.caPool, Certificates: []tls.Certificate{p.clientCert}, MinVersion: tls.VersionTLS12}}
	defer tr.CloseIdleConnections()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodDelete, "https://"+f.httpAddr+"/v1/"+project+"/demanager/instances/DE-2b1f6c3e-5a4d-11ee-8c99-0242ac120002", nil)
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("mirror over mTLS: %s", resp.Status)
	}
}

// TestSecretsNeverLeak runs calls with every credential kind, failing and
// succeeding, and looks for the secrets in the logs (at debug level), in the
// errors and in their details.
func TestSecretsNeverLeak(t *testing.T) {
	t.Parallel()
	secrets := map[string]string{
		"static token":   "STATIC-tok-5f1e",
		"password":       "PASSWORD-pw-77c2",
		"wrong password": "WRONGPW-pw-aa01",
		"access key":     "ACCESSKEY0AK93D",
		"secret key":     "SECRETKEY-sk-11b8",
		"security token": "SECTOKEN-st-6d0f",
		"caller token":   "CALLER-tok-c3a9",
		"caller bearer":  "BEARER-tok-0b7e",
	}
	emu := emulator.MustNew(emulator.Options{Tokens: map[string]string{secrets["static token"]: project, secrets["caller token"]: project}, IAMUsers: []emulator.IAMUser{{Name: "u", Password: secrets["password"], Domain: "d"}}, AccessKeys: []emulator.AccessKey{{ID: secrets["access key"], Secret: secrets["secret key"], SecurityToken: secrets["security token"]}}})
	iam := httptest.NewServer(emu)
	t.Cleanup(iam.Close)
	hc := &http.Client{Transport: &http.Transport{}}
	t.Cleanup(hc.CloseIdleConnections)
	iamCreds := func(pw string) modelarts.Credentials {
		c, err := cloudauth.NewIAMPassword(hc, cloudauth.IAMConfig{Endpoint: iam.URL + "/v3", Username: "u", Password: pw, DomainName: "d", ProjectID: project})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	signer, _ := cloudauth.NewSigner(secrets["access key"], secrets["secret key"], "", "", "")
	wrongSigner, _ := cloudauth.NewSigner(secrets["access key"], secrets["secret key"]+"x", cloudauth.FormAccess, "", "")
	path := filepath.Join(t.TempDir(), "callers.yaml")
	h := sha256.Sum256([]byte(secrets["caller bearer"]))
	writeTestFile(t, path, "callers: [{name: c, token_sha256: "+hex.EncodeToString(h[:])+", projects: ['*']}]\n")
	callers, err := callerauth.Load(path, callerauth.Options{})
	if err != nil {
		t.Fatal(err)
	}

	var logs logbuf.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	var outputs []string
	for _, creds := range []modelarts.Credentials{
		cloudauth.Token(secrets["static token"]), iamCreds(secrets["password"]), iamCreds(secrets["wrong password"]),
		cloudauth.NewAKSK(signer, secrets["security token"]), cloudauth.NewAKSK(wrongSigner, secrets["security token"]),
	} {
		logger.Info("credentials under test", slog.Any("creds", creds), slog.String("printed", strings.Join([]string{sprint(creds)}, "")))
		f := startFacade(t, emu, func(o *server.Options) { o.Credentials = creds; o.Callers = callers; o.Logger = logger })
		ctxs := []context.Context{
			metadata.AppendToOutgoingContext(t.Context(), "authorization", "Bearer "+secrets["caller bearer"]),
			metadata.AppendToOutgoingContext(t.Context(), "authorization", "Bearer "+secrets["caller bearer"], "x-auth-token", secrets["caller token"]),
			metadata.AppendToOutgoingContext(t.Context(), "authorization", "Bearer "+secrets["caller bearer"]+"x"),
		}
		for _, ctx := range ctxs {
			for _, id := range []string{"missing", running, "bad id"} {
				_, err := f.client.DeleteInstance(ctx, del(id))
				if err != nil {
					b, _ := protojson.Marshal(status.Convert(err).Proto())
					outputs = append(outputs, err.Error(), string(b))
					outputs = append(outputs, sprint(statustest.Error(t, err).Metadata()))
				}
			}
			_, _, body := rest(t, http.MethodDelete, f.httpURL+"/v1/"+project+"/demanager/instances/missing", map[string]string{
				"Authorization": "Bearer " + secrets["caller bearer"], "X-Auth-Token": secrets["caller token"]})
			outputs = append(outputs, sprint(body))
		}
		if err := f.stop(); err != nil {
			t.Fatal(err)
		}
	}
	all := logs.String() + strings.Join(outputs, "\n")
	if !strings.Contains(all, "INSTANCE_NOT_FOUND") || !strings.Contains(all, "CREDENTIALS_REJECTED") || !strings.Contains(all, "ACCESS_KEY_INVALID") {
		t.Fatalf("the scenario did not exercise success and failure paths:\n%s", all)
	}
	for what, secret := range secrets {
		if strings.Contains(all, secret) {
			t.Errorf("the %s appears in logs or errors", what)
		}
	}
}

func sprint(v any) string { return fmt.Sprint(v) }

// fieldsOf returns the options an *options.Error names, or nil.
func fieldsOf(err error) []string {
	var oe *options.Error
	if errors.As(err, &oe) {
		return oe.Fields()
	}
	return nil
}
