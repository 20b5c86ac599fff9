package server

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"

	"github.com/devenv-facade/devenv-facade/internal/options"
	"github.com/devenv-facade/devenv-facade/internal/smallfile"
)

// maxPEMFile bounds each TLS file: a certificate chain or a bundle of CAs
// takes a few KiB, the largest public bundles a few hundred.
const maxPEMFile = 1 << 20

// ServerTLSConfig loads a server certificate and key (PEM). With
// clientCAFile set, every client must present a certificate signed by one of
// its CAs (mutual TLS); its names can then identify the caller in the
// callers file. Each file must be a regular file of at most 1 MiB; errors
// name the flag and the file, never the content.
func ServerTLSConfig(certFile, keyFile, clientCAFile string) (*tls.Config, error) {
	if certFile == "" || keyFile == "" {
		return nil, errors.New("TLS needs both a certificate (--tls-cert) and a key (--tls-key)")
	}
	certPEM, err := smallfile.Read(certFile, maxPEMFile)
	if err != nil {
		return nil, fmt.Errorf("--tls-cert: %w", err)
	}
	keyPEM, err := smallfile.Read(keyFile, maxPEMFile)
	if err != nil {
		return nil, fmt.Errorf("--tls-key: %w", err)
	}
	var caPEM []byte
	if clientCAFile != "" {
		if caPEM, err = smallfile.Read(clientCAFile, maxPEMFile); err != nil {
			return nil, fmt.Errorf("--client-ca: %w", err)
		}
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		// The error says what is wrong, not the content.
		return nil, fmt.Errorf("TLS certificate --tls-cert %s, key --tls-key %s: %w", certFile, keyFile, err)
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if clientCAFile != "" {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(caPEM) {
			return nil, fmt.Errorf("--client-ca: %s holds no PEM certificate", clientCAFile)
		}
		cfg.ClientCAs, cfg.ClientAuth = pool, tls.RequireAndVerifyClientCert
	}
	return cfg, nil
}

// checkExposure refuses a gRPC or REST listener reachable beyond this host
// when nothing tells callers apart: no callers file and no client
// certificates. TLS alone encrypts but does not say who is calling, and the
// facade's credentials can delete any notebook they reach. With no
// credentials of its own (every caller brings its own token, and ModelArts
// judges it) there is nothing to protect, so it is allowed.
func checkExposure(opts Options) error {
	if opts.Insecure || opts.Callers != nil || requiresClientCerts(opts.TLS) || opts.Credentials == nil {
		return nil
	}
	addr := exposedAddr(opts)
	if addr == "" {
		return nil
	}
	why := "anyone who can reach it could delete notebooks with the facade's credentials"
	if opts.TLS != nil {
		why = "TLS encrypts the connection but does not say who is calling: " + why
	}
	return options.Errorf("server", "refusing to listen on %s with no caller authentication: %s; "+
		"add {Callers} (bearer tokens) or {TLS.ClientCAs} (mutual TLS), listen on 127.0.0.1, "+
		"or set {Insecure} to accept the risk", addr, why)
}

// requiresClientCerts reports whether c makes every client present a
// verified certificate.
func requiresClientCerts(c *tls.Config) bool {
	return c != nil && c.ClientCAs != nil && c.ClientAuth == tls.RequireAndVerifyClientCert
}

// warnExposure logs what an operator should know about how the listeners
// are protected.
func (s *Server) warnExposure() {
	opts := s.opts
	addr := exposedAddr(opts)
	switch {
	case addr != "" && opts.Insecure && opts.Callers == nil && !requiresClientCerts(opts.TLS) && opts.Credentials != nil:
		s.logger.Warn("--insecure: caller authentication is off on an address beyond loopback: anyone who can connect can delete notebooks with the facade's credentials",
			slog.String("addr", addr))
	case addr != "" && opts.TLS == nil:
		s.logger.Warn("plaintext beyond loopback: bearer tokens and callers' X-Auth-Tokens travel unencrypted; serve TLS (--tls-cert, --tls-key)",
			slog.String("addr", addr))
	case addr == "" && opts.Callers == nil && !requiresClientCerts(opts.TLS):
		s.logger.Info("caller authentication is off; the listeners accept connections from this host only")
	}
	if opts.Callers != nil && opts.Callers.HasCertificateCallers() && !requiresClientCerts(opts.TLS) {
		s.logger.Warn("the callers file names client certificates (client_cert_names) but --client-ca is not set: no certificate is asked for, so those callers cannot authenticate")
	}
}

// exposedAddr names the first gRPC or REST listener reachable beyond this
// host, or returns "".
func exposedAddr(opts Options) string {
	for _, lis := range []net.Listener{opts.GRPCListener, opts.HTTPListener} {
		if lis != nil && !isLoopback(lis.Addr()) {
			return lis.Addr().String()
		}
	}
	return ""
}

// isLoopback reports whether addr only accepts connections from this host.
func isLoopback(addr net.Addr) bool {
	switch a := addr.(type) {
	case *net.TCPAddr:
		return a.IP.IsLoopback()
	case *net.UnixAddr:
		return true
	}
	host, _, err := net.SplitHostPort(addr.String())
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
