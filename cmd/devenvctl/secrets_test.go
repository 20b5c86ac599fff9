package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/protobuf/proto"

	devenvv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/devenv/v1"
	"github.com/devenv-facade/devenv-facade/internal/apierror"
)

// Tokens the tests send; they must never be printed.
const (
	bearerToken = "bearer-S3CRET-0123456789"
	iamToken    = "MIIiam-S3CRET-abcdefghij"
)

// TestMetadata: the tokens and the request ID travel as the facade reads
// them, whichever way they were given.
func TestMetadata(t *testing.T) {
	t.Parallel()
	bearerFile := writeFile(t, "bearer", bearerToken+"\n")
	iamFile := writeFile(t, "iam", iamToken)
	tests := []struct {
		name          string
		args          []string
		env           map[string]string
		wantBearer    string // "" means none sent
		wantIAM       string
		wantRequestID string
	}{
		{"none", nil, nil, "", "", ""},
		{"env", nil, map[string]string{"DEVENVCTL_TOKEN": bearerToken, "DEVENVCTL_AUTH_TOKEN": iamToken, "DEVENVCTL_REQUEST_ID": "rid-env"},
			"Bearer " + bearerToken, iamToken, "rid-env"},
		{"files", []string{"--token-file", bearerFile, "--auth-token-file", iamFile, "--request-id", "rid-flag"}, nil,
			"Bearer " + bearerToken, iamToken, "rid-flag"},
		{"env_files", nil, map[string]string{"DEVENVCTL_TOKEN_FILE": bearerFile, "DEVENVCTL_AUTH_TOKEN_FILE": iamFile},
			"Bearer " + bearerToken, iamToken, ""},
		{"flags", []string{"--token", bearerToken, "--auth-token", iamToken}, nil, "Bearer " + bearerToken, iamToken, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := startFake(t, nil)
			r := invoke(t.Context(), f.env(tt.env), append([]string{"get", instanceID}, tt.args...)...)
			if r.code != 0 {
				t.Fatalf("exit %d; stderr:\n%s", r.code, r.stderr)
			}
			md := f.only(t).md
			for _, kv := range []struct{ key, want string }{{mdAuthorization, tt.wantBearer}, {mdAuthToken, tt.wantIAM}, {mdRequestID, tt.wantRequestID}} {
				got := md.Get(kv.key)
				switch {
				case kv.want == "" && len(got) != 0:
					t.Errorf("%s sent (%d values); want none", kv.key, len(got))
				case kv.want != "" && (len(got) != 1 || got[0] != kv.want):
					t.Errorf("%s = %d values, match %v; want one: %q", kv.key, len(got), len(got) == 1 && got[0] == kv.want, kv.want)
				}
			}
			if ua := md.Get("user-agent"); len(ua) != 1 || !strings.HasPrefix(ua[0], "devenvctl/") {
				t.Errorf("user-agent %q; want devenvctl/...", ua)
			}
			if strings.Contains(r.stdout+r.stderr, "S3CRET") {
				t.Errorf("a token was printed:\n%s%s", r.stdout, r.stderr)
			}
		})
	}
}

// TestSecretOnCommandLine: a token given as a flag works but is warned
// about, without its value.
func TestSecretOnCommandLine(t *testing.T) {
	t.Parallel()
	f := startFake(t, nil)
	r := f.run(t, "list", "--token", bearerToken)
	if r.code != 0 || !strings.Contains(r.stderr, "warning: --token was given on the command line") || strings.Contains(r.stderr, "S3CRET") {
		t.Errorf("exit %d, stderr %q; want 0 and a warning without the value", r.code, r.stderr)
	}
}

// TestSecrets_neverPrinted: a facade that echoes the tokens back, in an
// error or in an answer, does not get them printed.
func TestSecrets_neverPrinted(t *testing.T) {
	t.Parallel()
	echo := "tokens " + bearerToken + " and " + iamToken
	echoed := sampleInstance()
	echoed.Description = proto.String(echo)
	echoed.Name = proto.String(iamToken)
	tests := []struct {
		name   string
		answer answerFunc
		args   []string
	}{
		{"error", failWith(modelArtsError(codes.Unauthenticated, "ModelArts.0203", echo, iamToken, 0)), []string{"get", instanceID}},
		{"violation", failWith(apierror.InvalidArgument("rid", apierror.Violation("x-auth-token", apierror.ViolationMalformed, echo))), []string{"get", instanceID}},
		{"facade_error", failWith(apierror.New(codes.PermissionDenied, apierror.ReasonProjectNotPermitted, echo, "rid")), []string{"delete", instanceID}},
		{"get_table", nil, []string{"get", instanceID}},
		{"get_json", nil, []string{"get", instanceID, "-o", "json"}},
		{"list_table", nil, []string{"list"}},
		{"list_json", nil, []string{"list", "-o", "json"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			answer := tt.answer
			if answer == nil {
				answer = func(_ context.Context, method string, _ proto.Message) (proto.Message, error) {
					if method == "ListInstances" {
						return &devenvv1.ListInstancesResponse{Instances: []*devenvv1.Instance{echoed}}, nil
					}
					return &devenvv1.GetInstanceResponse{Instance: echoed}, nil
				}
			}
			f := startFake(t, answer)
			r := invoke(t.Context(), f.env(map[string]string{"DEVENVCTL_TOKEN": bearerToken, "DEVENVCTL_AUTH_TOKEN": iamToken}), tt.args...)
			out := r.stdout + r.stderr
			if strings.Contains(out, "S3CRET") {
				t.Errorf("a token was printed:\n%s", out)
			}
			if !strings.Contains(out, "[REDACTED]") {
				t.Errorf("the echo was not printed redacted; the test proves nothing:\n%s", out)
			}
		})
	}
}

// TestTokens_refusedBeforeSending: a token devenvctl would send badly, or
// in plain text beyond loopback, stops the command without showing it.
func TestTokens_refusedBeforeSending(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		env    map[string]string
		wantIn string
	}{
		{"space", map[string]string{"DEVENVCTL_TOKEN": "bearer S3CRET-0123"}, "--token holds a character other than visible ASCII"},
		{"newline_iam", map[string]string{"DEVENVCTL_AUTH_TOKEN": "MIIS3CRET\r\nX-Evil: 1"}, "--auth-token holds a character"},
		{"too_long", map[string]string{"DEVENVCTL_AUTH_TOKEN": strings.Repeat("S3CRET", 3000)}, "--auth-token is longer than 16384 bytes"},
		{"plain_text_beyond_loopback", map[string]string{"DEVENVCTL_ADDR": "192.0.2.10:9090", "DEVENVCTL_TOKEN": bearerToken}, "not on loopback"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := startFake(t, nil)
			r := invoke(t.Context(), f.env(tt.env), "list")
			if r.code != exitUsage || !strings.Contains(r.stderr, tt.wantIn) {
				t.Errorf("exit %d, stderr %q; want 2 and %q", r.code, r.stderr, tt.wantIn)
			}
			if strings.Contains(r.stdout+r.stderr, "S3CRET") {
				t.Errorf("a token was printed: %q", r.stderr)
			}
			if n := len(f.received()); n != 0 {
				t.Errorf("%d calls sent; want none", n)
			}
		})
	}
}

// TestCheck_plainText: tokens go in plain text only to this host, or when
// the operator says the network is trusted; TLS always.
func TestCheck_plainText(t *testing.T) {
	t.Parallel()
	tests := []struct {
		addr     string
		tls      bool
		insecure bool
		wantOK   bool
	}{
		{"127.0.0.1:9090", false, false, true},
		{"127.8.9.10:9090", false, false, true},
		{"[::1]:9090", false, false, true},
		{"localhost:9090", false, false, true},
		{"dns:///localhost:9090", false, false, true},
		{"unix:///run/facade.sock", false, false, true},
		{"facade.example:9090", false, false, false},
		{"10.0.0.5:9090", false, false, false},
		{"facade", false, false, false},
		{"facade.example:9090", true, false, true},
		{"10.0.0.5:9090", false, true, true},
	}
	for _, tt := range tests {
		g := globals{addr: tt.addr, useTLS: tt.tls, insecurePlaintext: tt.insecure, token: bearerToken}
		if err := g.check(); (err == nil) != tt.wantOK {
			t.Errorf("check(addr %s, tls %v, insecure-plaintext %v) = %v; want ok %v", tt.addr, tt.tls, tt.insecure, err, tt.wantOK)
		}
	}
}

// pki is a throwaway CA with a server and a client certificate.
type pki struct {
	caFile, clientCert, clientKey, strangerCert, strangerKey string
	server                                                   tls.Certificate
	pool                                                     *x509.CertPool
}

// newPKI makes a CA; a server certificate for 127.0.0.1 and facade.test;
// a client certificate (CN operator) from it and one from another CA.
func newPKI(t *testing.T) *pki {
	t.Helper()
	newCA := func(name string) (*x509.Certificate, *ecdsa.PrivateKey, []byte) {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name}, IsCA: true, BasicConstraintsValid: true,
			KeyUsage: x509.KeyUsageCertSign, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
		if err != nil {
			t.Fatal(err)
		}
		cert, err := x509.ParseCertificate(der)
		if err != nil {
			t.Fatal(err)
		}
		return cert, key, der
	}
	issue := func(ca *x509.Certificate, caKey *ecdsa.PrivateKey, cn string, server bool) ([]byte, *ecdsa.PrivateKey) {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature}
		if server {
			tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
			tmpl.IPAddresses, tmpl.DNSNames = []net.IP{net.ParseIP("127.0.0.1")}, []string{"facade.test"}
		} else {
			tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		return der, key
	}
	writePEM := func(name, typ string, der []byte) string {
		return writeFile(t, name, string(pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})))
	}
	keyPEM := func(name string, key *ecdsa.PrivateKey) string {
		der, err := x509.MarshalECPrivateKey(key)
		if err != nil {
			t.Fatal(err)
		}
		return writePEM(name, "EC PRIVATE KEY", der)
	}
	ca, caKey, caDER := newCA("devenvctl test CA")
	other, otherKey, _ := newCA("another CA")
	p := &pki{caFile: writePEM("ca.pem", "CERTIFICATE", caDER), pool: x509.NewCertPool()}
	p.pool.AddCert(ca)
	srvDER, srvKey := issue(ca, caKey, "facade", true)
	p.server = tls.Certificate{Certificate: [][]byte{srvDER}, PrivateKey: srvKey}
	cliDER, cliKey := issue(ca, caKey, "operator", false)
	p.clientCert, p.clientKey = writePEM("client.pem", "CERTIFICATE", cliDER), keyPEM("client-key.pem", cliKey)
	strDER, strKey := issue(other, otherKey, "stranger", false)
	p.strangerCert, p.strangerKey = writePEM("stranger.pem", "CERTIFICATE", strDER), keyPEM("stranger-key.pem", strKey)
	return p
}

// TestTLS: devenvctl verifies the facade's certificate against --ca-file,
// presents its own for mutual TLS, and sends its token only inside TLS.
func TestTLS(t *testing.T) {
	t.Parallel()
	p := newPKI(t)
	creds := credentials.NewTLS(&tls.Config{
		Certificates: []tls.Certificate{p.server}, ClientCAs: p.pool, ClientAuth: tls.RequireAndVerifyClientCert, MinVersion: tls.VersionTLS12,
	})
	f := startFake(t, nil, grpc.Creds(creds))
	tests := []struct {
		name     string
		args     []string
		env      map[string]string
		wantCode int
		wantIn   string // in stderr on failure
	}{
		{"mutual_tls", []string{"--ca-file", p.caFile, "--cert-file", p.clientCert, "--key-file", p.clientKey}, nil, 0, ""},
		{"mutual_tls_env", nil, map[string]string{"DEVENVCTL_CA_FILE": p.caFile, "DEVENVCTL_CERT_FILE": p.clientCert, "DEVENVCTL_KEY_FILE": p.clientKey}, 0, ""},
		{"server_name", []string{"--ca-file", p.caFile, "--cert-file", p.clientCert, "--key-file", p.clientKey, "--server-name", "facade.test"}, nil, 0, ""},
		{"wrong_server_name", []string{"--ca-file", p.caFile, "--cert-file", p.clientCert, "--key-file", p.clientKey, "--server-name", "other.test"}, nil, 8, "certificate"},
		{"unknown_ca", []string{"--tls", "--cert-file", p.clientCert, "--key-file", p.clientKey}, nil, 8, "certificate"},
		{"no_client_certificate", []string{"--ca-file", p.caFile}, nil, 8, "UNAVAILABLE"},
		{"client_certificate_of_another_ca", []string{"--ca-file", p.caFile, "--cert-file", p.strangerCert, "--key-file", p.strangerKey}, nil, 8, "UNAVAILABLE"},
		{"plain_text_to_tls", nil, nil, 8, "if it serves TLS (--tls-cert), add --tls"},
	}
	// The subtests run in parallel; the group ends when they all have.
	t.Run("connect", func(t *testing.T) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				env := f.env(tt.env)
				env["DEVENVCTL_TOKEN"] = bearerToken
				r := invoke(t.Context(), env, append([]string{"get", instanceID, "--timeout", "10s"}, tt.args...)...)
				t.Logf("stderr: %s", r.stderr)
				if r.code != tt.wantCode || !strings.Contains(r.stderr, tt.wantIn) {
					t.Errorf("exit %d, stderr %q; want %d and %q", r.code, r.stderr, tt.wantCode, tt.wantIn)
				}
				if strings.Contains(r.stdout+r.stderr, "S3CRET") {
					t.Errorf("a token was printed")
				}
			})
		}
	})
	var sawOperator bool
	for _, c := range f.received() {
		if c.clientCN != "operator" {
			t.Errorf("a call arrived from client certificate %q; want operator only", c.clientCN)
		}
		if got := c.md.Get(mdAuthorization); len(got) != 1 || got[0] != "Bearer "+bearerToken {
			t.Errorf("the bearer token did not arrive over TLS")
		}
		sawOperator = true
	}
	if !sawOperator {
		t.Error("no call arrived over mutual TLS")
	}
}

// TestDialLoopback: with a token in plain text, the connection goes only
// to loopback addresses: an IP beyond loopback is refused without a
// connection attempt, and a name is resolved and all of its addresses must
// be loopback.
func TestDialLoopback(t *testing.T) {
	t.Parallel()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer lis.Close()
	_, port, _ := net.SplitHostPort(lis.Addr().String())
	tests := []struct {
		addr    string
		wantErr string // "" for a connection
	}{
		{"127.0.0.1:" + port, ""},
		{"localhost:" + port, ""},
		{"192.0.2.10:" + port, "not a loopback address"},
		{"[2001:db8::1]:" + port, "not a loopback address"},
		{"no-port", "missing port"},
	}
	for _, tt := range tests {
		if strings.HasPrefix(tt.addr, "localhost:") {
			if _, err := net.DefaultResolver.LookupIPAddr(t.Context(), "localhost"); err != nil {
				t.Logf("localhost does not resolve here (%v); not tried", err)
				continue
			}
		}
		conn, err := dialLoopback(t.Context(), tt.addr)
		switch {
		case tt.wantErr == "" && err != nil:
			t.Errorf("dialLoopback(%s): %v; want a connection", tt.addr, err)
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("dialLoopback(%s): %v; want an error with %q", tt.addr, err, tt.wantErr)
		}
		if conn != nil {
			conn.Close()
		}
	}
}
