package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"

	devenvv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/devenv/v1"
	notebookv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/notebook/v1"
	"github.com/devenv-facade/devenv-facade/internal/buildinfo"
	"github.com/devenv-facade/devenv-facade/internal/clock"
	"github.com/devenv-facade/devenv-facade/internal/envflag"
	"github.com/devenv-facade/devenv-facade/internal/rpcdecl"
	"github.com/devenv-facade/devenv-facade/internal/scrub"
	"github.com/devenv-facade/devenv-facade/internal/smallfile"
	"github.com/devenv-facade/devenv-facade/service"
)

// Deadlines of a call when --timeout is not given.
const (
	defaultTimeout     = 30 * time.Second
	defaultWaitTimeout = 15 * time.Minute
)

// The keepalive of a connection that watches: a ping after keepaliveTime
// without data, the connection given up keepaliveTimeout later without an
// answer.
const (
	keepaliveTime    = 30 * time.Second
	keepaliveTimeout = 20 * time.Second
)

// Metadata keys devenvctl sends (and the facade reads).
const (
	mdAuthorization = "authorization"
	mdAuthToken     = "x-auth-token"
	mdRequestID     = "x-request-id"
	mdDeleteOutcome = "x-delete-outcome"
	// mdOutcome is "inferred" in the answer of a call whose outcome the
	// facade inferred (a lost create or delete resolved by reading).
	mdOutcome = "x-outcome"
	// mdInstanceID is the header metadata the facade sends as soon as a
	// create with wait set is accepted, before it waits: the new
	// instance's ID.
	mdInstanceID = "x-instance-id"
)

// Bounds of what devenvctl sends in metadata, as the facade accepts it.
const (
	maxTokenLen     = 16 << 10
	maxRequestIDLen = 128
)

// maxResponseSize bounds an answer: a list of 1000 instances is well
// below it.
const maxResponseSize = 64 << 20

// globals are the flags every command that calls the facade takes.
type globals struct {
	addr              string
	project           string
	useTLS            bool
	caFile            string
	certFile, keyFile string
	serverName        string
	token             string
	authToken         string
	requestID         string
	output            string
	timeout           time.Duration
	insecurePlaintext bool
}

// Output formats.
const (
	outputTable = "table"
	outputJSON  = "json"
)

// define defines the global flags on fs.
func (g *globals) define(fs *envflag.Set) {
	fs.String(&g.addr, "addr", "DEVENVCTL_ADDR", "127.0.0.1:9090", "the facade's gRPC address, host:port")
	fs.String(&g.project, "project", "DEVENVCTL_PROJECT", "", "the project ID (32 lowercase hexadecimal characters); default $OS_PROJECT_ID")
	fs.Bool(&g.useTLS, "tls", "DEVENVCTL_TLS", false, "connect with TLS, verifying the facade against the system's roots or --ca-file; implied by --ca-file, --cert-file, --key-file and --server-name")
	fs.String(&g.caFile, "ca-file", "DEVENVCTL_CA_FILE", "", "CA certificates (PEM) to verify the facade's certificate with, instead of the system's")
	fs.String(&g.certFile, "cert-file", "DEVENVCTL_CERT_FILE", "", "client certificate (PEM) for mutual TLS, with --key-file")
	fs.String(&g.keyFile, "key-file", "DEVENVCTL_KEY_FILE", "", "client private key (PEM) for mutual TLS, with --cert-file")
	fs.String(&g.serverName, "server-name", "DEVENVCTL_SERVER_NAME", "", "the name the facade's certificate must carry, when it is not the host in --addr")
	fs.Secret(&g.token, "token", "DEVENVCTL_TOKEN", "bearer token the facade authenticates callers with, sent as authorization: Bearer")
	fs.Secret(&g.authToken, "auth-token", "DEVENVCTL_AUTH_TOKEN", "your own IAM token, sent as x-auth-token; the facade calls ModelArts with it instead of its own credentials")
	fs.String(&g.requestID, "request-id", "DEVENVCTL_REQUEST_ID", "", "request ID sent as x-request-id and passed on to ModelArts (1 to 128 visible ASCII characters); the facade makes one when empty")
	fs.Duration(&g.timeout, "timeout", "DEVENVCTL_TIMEOUT", 0,
		"deadline of each call (each page with list --all); 0s: 30s, or 15m for a command given --wait; for a watch, how long to watch (0s: until Ctrl-C)").Between(0, 24*time.Hour)
	fs.Bool(&g.insecurePlaintext, "insecure-plaintext", "DEVENVCTL_INSECURE_PLAINTEXT", false,
		"send --token and --auth-token without TLS to a facade that is not on loopback")
	g.defineOutput(fs)
}

// defineOutput defines --output, the only global flag of version.
func (g *globals) defineOutput(fs *envflag.Set) {
	fs.Choice(&g.output, "output", "DEVENVCTL_OUTPUT", outputTable, []string{outputTable, outputJSON},
		"output format: table for people, json for scripts (one document in the vendor's JSON: its snake_case names, integers as numbers)")
	fs.Alias("o", "output")
}

// resolve fills in what the flags' own variables do not: the project from
// OS_PROJECT_ID.
func (g *globals) resolve(fs *envflag.Set, lookupEnv func(string) (string, bool)) {
	if !fs.Given("project") {
		if v, ok := lookupEnv("OS_PROJECT_ID"); ok {
			g.project = v
		}
	}
	if g.caFile != "" || g.certFile != "" || g.keyFile != "" || g.serverName != "" {
		g.useTLS = true
	}
}

// check rejects settings that each flag alone cannot: never printing a
// token's value.
func (g *globals) check() error {
	if g.addr == "" {
		return usagef("--addr is empty")
	}
	if (g.certFile == "") != (g.keyFile == "") {
		return usagef("--cert-file and --key-file go together (mutual TLS)")
	}
	for _, t := range []struct{ name, value string }{{"--token", g.token}, {"--auth-token", g.authToken}} {
		if t.value == "" {
			continue
		}
		if len(t.value) > maxTokenLen {
			return usagef("%s is longer than %d bytes", t.name, maxTokenLen)
		}
		if !visibleASCII(t.value) {
			return usagef("%s holds a character other than visible ASCII (a space, a line break?); its value is not shown", t.name)
		}
	}
	if g.requestID != "" && (len(g.requestID) > maxRequestIDLen || !visibleASCII(g.requestID)) {
		return usagef("--request-id %q: want 1 to %d visible ASCII characters", g.requestID, maxRequestIDLen)
	}
	if (g.token != "" || g.authToken != "") && !g.useTLS && !g.insecurePlaintext && !isLocal(g.addr) {
		return usagef("--addr %s is not on loopback: a token would travel in plain text; use --tls (or --insecure-plaintext on a network you trust)", g.addr)
	}
	return nil
}

// visibleASCII reports whether s is made of bytes 0x21 to 0x7E, the only
// ones the facade takes in a token.
func visibleASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// isLocal reports whether a gRPC target is on this host: a Unix socket, or
// a loopback address or localhost.
func isLocal(target string) bool {
	if isUnix(target) {
		return true
	}
	target = strings.TrimPrefix(target, "dns:///")
	target = strings.TrimPrefix(target, "passthrough:///")
	host, _, err := net.SplitHostPort(target)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// isUnix reports whether a gRPC target is a Unix socket.
func isUnix(target string) bool {
	return strings.HasPrefix(target, "unix:") || strings.HasPrefix(target, "unix-abstract:")
}

// dialLoopback connects to addr (host:port, as the resolver gives it) only
// if it is a loopback address, or a name all of whose addresses are: a
// token sent in plain text must not leave the host, even when "localhost"
// resolves elsewhere (a tampered hosts file or resolver).
func dialLoopback(ctx context.Context, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	ips := []net.IP{net.ParseIP(host)}
	if ips[0] == nil {
		found, err := net.DefaultResolver.LookupIPAddr(ctx, host)
		if err != nil {
			return nil, err
		}
		ips = ips[:0]
		for _, a := range found {
			ips = append(ips, a.IP)
		}
	}
	if len(ips) == 0 {
		return nil, fmt.Errorf("%s has no address", host)
	}
	for _, ip := range ips {
		if !ip.IsLoopback() {
			return nil, fmt.Errorf("%s is %s, not a loopback address: a token would travel in plain text; use --tls (or --insecure-plaintext on a network you trust)", host, ip)
		}
	}
	var d net.Dialer
	return d.DialContext(ctx, "tcp", net.JoinHostPort(ips[0].String(), port))
}

// maxPEMFile bounds each of --ca-file, --cert-file and --key-file.
const maxPEMFile = 1 << 20

// tlsConfig returns the client TLS configuration the flags ask for.
func (g *globals) tlsConfig() (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: g.serverName}
	if g.caFile != "" {
		pem, err := smallfile.Read(g.caFile, maxPEMFile)
		if err != nil {
			return nil, usagef("--ca-file: %v", err)
		}
		cfg.RootCAs = x509.NewCertPool()
		if !cfg.RootCAs.AppendCertsFromPEM(pem) {
			return nil, usagef("--ca-file %s: no PEM certificate in it", g.caFile)
		}
	}
	if g.certFile != "" {
		certPEM, err := smallfile.Read(g.certFile, maxPEMFile)
		if err != nil {
			return nil, usagef("--cert-file: %v", err)
		}
		keyPEM, err := smallfile.Read(g.keyFile, maxPEMFile)
		if err != nil {
			return nil, usagef("--key-file: %v", err)
		}
		cert, err := tls.X509KeyPair(certPEM, keyPEM)
		if err != nil {
			return nil, usagef("--cert-file %s, --key-file %s: %v", g.certFile, g.keyFile, err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}

// session is what a command's action works with: the flags, the client,
// and where to write.
type session struct {
	g              *globals
	conn           grpc.ClientConnInterface
	client         devenvv1.DevEnvServiceClient
	nb             notebookv1.NotebookServiceClient
	stdout, stderr io.Writer
	secrets        *scrub.Secrets
	md             metadata.MD
	// header holds the response header and trailer metadata of the last
	// call.
	header metadata.MD
	// kind is what the commands act on, as errors name it: instanceKind
	// (the historical API) unless a command of the notebook API set it.
	kind resourceKind
	// clock is what a watch pauses on between its attempts.
	clock clock.Clock
	// pings says the connection pings the facade while a call is open
	// (keepalive), for the calls that stay open for long: watches.
	pings bool
}

// resourceKind is what a command acts on, as its errors name it.
type resourceKind struct {
	name       string // "instance"
	getCommand string // the command that shows one: "devenvctl get"
}

// instanceKind is the historical API's instance.
var instanceKind = resourceKind{"instance", "devenvctl get"}

// connect makes the client; closeConn releases it.
func (s *session) connect() (closeConn func(), err error) {
	g := s.g
	creds := insecure.NewCredentials()
	if g.useTLS {
		cfg, err := g.tlsConfig()
		if err != nil {
			return nil, err
		}
		creds = credentials.NewTLS(cfg)
	}
	opts := []grpc.DialOption{
		grpc.WithTransportCredentials(creds),
		grpc.WithUserAgent("devenvctl/" + buildinfo.Read().Version),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(maxResponseSize)),
	}
	if s.pings {
		// The facade allows a ping every 10s (its keepalive enforcement
		// policy); without an answer within keepaliveTimeout the call
		// fails with UNAVAILABLE and the watch connects again.
		opts = append(opts, grpc.WithKeepaliveParams(keepalive.ClientParameters{Time: keepaliveTime, Timeout: keepaliveTimeout}))
	}
	if (g.token != "" || g.authToken != "") && !g.useTLS && !g.insecurePlaintext && !isUnix(g.addr) {
		// validate let a plaintext token through because the target names
		// this host; the connection itself must then go to a loopback
		// address, whatever a name such as "localhost" resolves to.
		opts = append(opts, grpc.WithContextDialer(dialLoopback))
	}
	conn, err := grpc.NewClient(g.addr, opts...)
	if err != nil {
		return nil, usagef("--addr %s: %v", g.addr, err)
	}
	s.conn, s.client, s.nb = conn, devenvv1.NewDevEnvServiceClient(conn), notebookv1.NewNotebookServiceClient(conn)
	s.md = metadata.MD{}
	if g.token != "" {
		s.md.Set(mdAuthorization, "Bearer "+g.token)
	}
	if g.authToken != "" {
		s.md.Set(mdAuthToken, g.authToken)
	}
	if g.requestID != "" {
		s.md.Set(mdRequestID, g.requestID)
	}
	return func() { _ = conn.Close() }, nil
}

// project returns the project to act on: the flag's, else fallback (a
// request file's), else a usage error.
func (s *session) project(fallback string) (string, error) {
	if s.g.project != "" {
		return s.g.project, nil
	}
	if fallback != "" {
		return fallback, nil
	}
	return "", usagef("no project: give --project, or set DEVENVCTL_PROJECT or OS_PROJECT_ID")
}

// call runs one RPC, fn, a call of method with req, with the deadline
// (--timeout, or its default: defaultWaitTimeout when the RPC's
// declaration says the call waits, package rpcdecl) and the metadata,
// keeping the answer's metadata. A failure comes back as a *callError.
func (s *session) call(ctx context.Context, method string, req proto.Message, fn func(ctx context.Context, opts ...grpc.CallOption) error) error {
	timeout := s.g.timeout
	if timeout == 0 {
		timeout = defaultTimeout
		if rpcdecl.Served().Lookup(method).Waits(req) {
			timeout = defaultWaitTimeout
		}
	}
	ctx, cancel := context.WithTimeout(metadata.NewOutgoingContext(ctx, s.md), timeout)
	defer cancel()
	var header, trailer metadata.MD
	err := fn(ctx, grpc.Header(&header), grpc.Trailer(&trailer))
	s.header = metadata.Join(header, trailer)
	return s.callFailed(err, timeout)
}

// callFailed returns err, a call's failure, as a *callError (nil for nil),
// with timeout, the call's deadline, and what s.header says of the call.
func (s *session) callFailed(err error, timeout time.Duration) error {
	if err == nil {
		return nil
	}
	e, ok := service.ErrorFrom(err)
	if !ok {
		return fmt.Errorf("%s: %w", s.g.addr, err)
	}
	kind := s.kind
	if kind.name == "" {
		kind = instanceKind
	}
	ce := &callError{err: e, addr: s.g.addr, tls: s.g.useTLS, timeout: timeout, requestID: s.g.requestID, kind: kind.name, getCommand: kind.getCommand}
	if ids := s.header.Get(mdRequestID); len(ids) > 0 {
		ce.requestID = ids[0]
	}
	if ids := s.header.Get(mdInstanceID); len(ids) > 0 {
		ce.created = ids[0]
	}
	return ce
}
