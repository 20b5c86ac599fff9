// Command vanguard-proxy is the generic alternative the facade is measured
// against: connectrpc.com/vanguard transcoding gRPC calls of
// modelarts.devenv.v1.DevEnvService and modelarts.notebook.v1.NotebookService
// into REST requests to ModelArts, using
// the HTTP rules of our proto and nothing else (no validation, no error
// mapping). It serves gRPC over cleartext HTTP/2 and forwards every request
// header, X-Auth-Token included, to the backend.
//
// One thing vanguard cannot do for ModelArts is done around it: vanguard
// writes query parameters under the fields' JSON names (lowerCamelCase:
// deType), with no option for the proto names that ModelArts requires
// (de_type; it answers a list without one with ModelArts.6335), so the
// proxy renames them before forwarding (queryRenamer).
//
// It exists for the benchmark harness (devenv-bench) only.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/signal"
	"syscall"
	"time"

	"connectrpc.com/vanguard"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	devenvv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/devenv/v1"
	notebookv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/notebook/v1"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "address to listen on")
	backend := flag.String("backend", "", "REST backend base URL (the ModelArts emulator)")
	maxConns := flag.Int("max-idle-conns", 1024, "idle connections kept to the backend")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *addr, *backend, *maxConns); err != nil {
		fmt.Fprintf(os.Stderr, "vanguard-proxy: %v\n", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, addr, backend string, maxConns int) error {
	target, err := url.Parse(backend)
	if err != nil || target.Host == "" {
		return fmt.Errorf("--backend %q is not a URL", backend)
	}
	names := []string{devenvv1.DevEnvService_ServiceDesc.ServiceName, notebookv1.NotebookService_ServiceDesc.ServiceName}
	var descs []protoreflect.ServiceDescriptor
	for _, name := range names {
		desc, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(name))
		if err != nil {
			return err
		}
		descs = append(descs, desc.(protoreflect.ServiceDescriptor))
	}
	rename := queryRenamer(descs...)
	proxy := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		r.SetURL(target)
		rename(r.Out.URL)
	}}
	// The same transport tuning the facade uses, so neither side wins by
	// connection reuse alone.
	proxy.Transport = &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        maxConns,
		MaxIdleConnsPerHost: maxConns,
		IdleConnTimeout:     90 * time.Second,
	}
	var svcs []*vanguard.Service
	for _, name := range names {
		svcs = append(svcs, vanguard.NewService(name, proxy,
			vanguard.WithTargetProtocols(vanguard.ProtocolREST),
			vanguard.WithTargetCodecs(vanguard.CodecJSON)))
	}
	transcoder, err := vanguard.NewTranscoder(svcs)
	if err != nil {
		return fmt.Errorf("transcoder: %w", err)
	}
	var lc net.ListenConfig
	lis, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: transcoder, ReadHeaderTimeout: 10 * time.Second}
	srv.Protocols = new(http.Protocols)
	srv.Protocols.SetHTTP1(true)
	srv.Protocols.SetUnencryptedHTTP2(true)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(lis) }()
	slog.New(slog.NewTextHandler(os.Stderr, nil)).Info("serving vanguard", slog.String("addr", lis.Addr().String()), slog.String("backend", backend))
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// queryRenamer returns a function that renames the query parameters of a
// URL from the JSON names of the services' request fields (what vanguard
// writes) to their proto names (what ModelArts reads). Parameters that are
// no field's JSON name are left alone.
func queryRenamer(svcs ...protoreflect.ServiceDescriptor) func(*url.URL) {
	names := map[string]string{}
	var walk func(prefixJSON, prefixProto string, md protoreflect.MessageDescriptor, depth int)
	walk = func(prefixJSON, prefixProto string, md protoreflect.MessageDescriptor, depth int) {
		fields := md.Fields()
		for i := range fields.Len() {
			fd := fields.Get(i)
			j, p := prefixJSON+fd.JSONName(), prefixProto+string(fd.Name())
			if j != p {
				names[j] = p
			}
			if fd.Message() != nil && !fd.IsMap() && depth < 4 {
				walk(j+".", p+".", fd.Message(), depth+1)
			}
		}
	}
	for _, svc := range svcs {
		methods := svc.Methods()
		for i := range methods.Len() {
			walk("", "", methods.Get(i).Input(), 0)
		}
	}
	return func(u *url.URL) {
		if u.RawQuery == "" {
			return
		}
		q := u.Query()
		changed := false
		for k, v := range q {
			if p, ok := names[k]; ok {
				delete(q, k)
				q[p] = append(q[p], v...)
				changed = true
			}
		}
		if changed {
			u.RawQuery = q.Encode()
		}
	}
}
