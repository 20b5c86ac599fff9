// Command modelarts-emulator serves the in-memory ModelArts DevEnviron API
// of package emulator on its own, for trying clients against it.
//
// Run it with --help for the flags.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/devenv-facade/devenv-facade/emulator"
	"github.com/devenv-facade/devenv-facade/internal/envflag"
)

const helpHeader = `modelarts-emulator serves an in-memory ModelArts DevEnviron v1 API, seeded
with sample instances in project ` + emulator.SampleProjectID + `.`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.LookupEnv, os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, envflag.ErrHelp) {
			return
		}
		fmt.Fprintf(os.Stderr, "modelarts-emulator: %v\n", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, lookupEnv func(string) (string, bool), stdout, stderr io.Writer) error {
	var addr, tokens, fault string
	var requestLog int
	fs := envflag.New("modelarts-emulator")
	fs.String(&addr, "addr", "MODELARTS_EMULATOR_ADDR", "127.0.0.1:8090", "address to listen on")
	fs.String(&tokens, "tokens", "MODELARTS_EMULATOR_TOKENS", "",
		"comma-separated token=project_id pairs (project_id * for any) to accept; empty accepts any token")
	fs.String(&fault, "fault", "MODELARTS_EMULATOR_FAULT", "",
		"global fault spec, e.g. lat100ms (latency) or p10-s503 (10% HTTP 503); see package emulator, CheckFault")
	fs.Int(&requestLog, "request-log", "MODELARTS_EMULATOR_REQUEST_LOG", emulator.DefaultRequestLogSize,
		"how many recent requests to keep for inspection (0 keeps none, the cheapest)")
	if err := fs.Parse(args, lookupEnv); err != nil {
		if errors.Is(err, envflag.ErrHelp) {
			fs.PrintUsage(stdout, helpHeader)
			return err
		}
		return fmt.Errorf("%w (see --help)", err)
	}
	opts := []emulator.Option{emulator.WithRequestLog(requestLog)}
	if tokens != "" {
		m, err := parseTokens(tokens)
		if err != nil {
			return err
		}
		opts = append(opts, emulator.WithTokens(m))
	}
	if fault != "" {
		if err := emulator.CheckFault(fault); err != nil {
			return fmt.Errorf("--fault: %w", err)
		}
		opts = append(opts, emulator.WithFault(fault))
	}
	logger := slog.New(slog.NewTextHandler(stderr, nil))

	var lc net.ListenConfig
	lis, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           emulator.New(opts...),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(lis) }()
	logger.Info("serving the ModelArts emulator", slog.String("url", "http://"+lis.Addr().String()),
		slog.String("sample_project_id", emulator.SampleProjectID))
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(shutdownCtx)
}

// parseTokens reads "token=project,token2=*".
func parseTokens(s string) (map[string]string, error) {
	m := map[string]string{}
	for _, pair := range strings.Split(s, ",") {
		tok, project, ok := strings.Cut(strings.TrimSpace(pair), "=")
		if !ok || tok == "" || project == "" {
			return nil, errors.New("--tokens: want comma-separated token=project_id pairs")
		}
		m[tok] = project
	}
	return m, nil
}
