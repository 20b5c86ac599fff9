package facade

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
)

// ServerTLSConfig loads a server certificate and key (PEM). With
// clientCAFile set, every client must present a certificate signed by one of
// its CAs (mutual TLS); its names can then identify the caller in the
// callers file.
func ServerTLSConfig(certFile, keyFile, clientCAFile string) (*tls.Config, error) {
	if certFile == "" || keyFile == "" {
		return nil, errors.New("TLS needs both a certificate (--tls-cert) and a key (--tls-key)")
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		// The error names the files, not their content.
		return nil, fmt.Errorf("TLS certificate: %w", err)
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if clientCAFile != "" {
		pem, err := os.ReadFile(clientCAFile)
		if err != nil {
			return nil, fmt.Errorf("client CA: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("client CA: %s holds no PEM certificate", clientCAFile)
		}
		cfg.ClientCAs, cfg.ClientAuth = pool, tls.RequireAndVerifyClientCert
	}
	return cfg, nil
}

// checkExposure refuses a listener reachable beyond this host when nothing
// protects it: no TLS and no caller authentication. The facade holds
// credentials that can delete any notebook they reach.
func checkExposure(opts Options) error {
	if opts.Insecure || opts.Callers != nil {
		return nil
	}
	if addr := exposedWithoutTLS(opts); addr != "" {
		return fmt.Errorf("facade: refusing to listen on %s without TLS or caller authentication: anyone who can "+
			"reach it could delete notebooks with the facade's credentials; set --tls-cert/--tls-key and/or "+
			"--caller-tokens-file, listen on 127.0.0.1, or pass --insecure to accept the risk", addr)
	}
	return nil
}

// exposedWithoutTLS names a listener reachable beyond this host that serves
// plaintext, or returns "".
func exposedWithoutTLS(opts Options) string {
	if opts.TLS != nil {
		return ""
	}
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
