package server_test

import (
	"errors"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/devenv-facade/devenv-facade/internal/modelarts"
	"github.com/devenv-facade/devenv-facade/internal/options"

	"github.com/devenv-facade/devenv-facade/internal/server"
)

func TestRun_closesListenersOnBadOptions(t *testing.T) {
	t.Parallel()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	opts := server.Options{}
	opts.GRPCListener, opts.Endpoint = lis, "not a url"
	err = server.Run(t.Context(), opts)
	if err == nil {
		t.Fatal("Run with a bad endpoint succeeded")
	}
	if _, err := lis.Accept(); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Accept after Run failed: %v; want the listener closed", err)
	}
}

// TestNew_options: zero options serve with the defaults; New refuses,
// with an *options.Error naming the fields, a negative value that would
// leave a call without a bound, negative values other than the named
// ones, a retry policy modelarts refuses, and missing required fields.
func TestNew_options(t *testing.T) {
	t.Parallel()
	defaults := server.Options{}.WithDefaults()
	if defaults.UpstreamTimeout != server.DefaultUpstreamTimeout || defaults.MaxUpstreamInFlight != server.DefaultMaxUpstreamInFlight ||
		defaults.Retry != modelarts.DefaultRetryPolicy() || defaults.ShutdownGrace != server.DefaultShutdownGrace {
		t.Errorf("Options{}.WithDefaults() = %+v; want the Default constants", defaults)
	}
	if err := (server.Options{MaxConnections: options.NoLimit, MaxUpstreamWait: options.None, ShutdownGrace: options.None}).Validate(); err != nil {
		t.Errorf("NoLimit and None where the fields take them: %v", err)
	}
	tests := []struct {
		name string
		set  func(*server.Options)
		want []string
	}{
		{"negative_upstream_timeout", func(o *server.Options) { o.UpstreamTimeout = -time.Second }, []string{"UpstreamTimeout"}},
		{"negative_request_read_timeout", func(o *server.Options) { o.RequestReadTimeout = -time.Second }, []string{"RequestReadTimeout"}},
		{"negative_max_wait", func(o *server.Options) { o.MaxWait = -time.Second }, []string{"MaxWait"}},
		{"negative_poll_interval", func(o *server.Options) { o.PollInterval = -time.Second }, []string{"PollInterval"}},
		{"negative_attempts", func(o *server.Options) { o.Retry.MaxAttempts = -1 }, []string{"Retry.MaxAttempts"}},
		{"backoffs_crossed", func(o *server.Options) { o.Retry.InitialBackoff, o.Retry.MaxBackoff = 3*time.Second, time.Second },
			[]string{"Retry.MaxBackoff", "Retry.InitialBackoff"}},
		{"negative_cap", func(o *server.Options) { o.MaxUpstreamInFlight = -2 }, []string{"MaxUpstreamInFlight"}},
		{"negative_grace", func(o *server.Options) { o.ShutdownGrace = -time.Second }, []string{"ShutdownGrace"}},
		{"no_listener", func(o *server.Options) { o.GRPCListener.Close(); o.GRPCListener = nil }, []string{"GRPCListener"}},
		{"no_endpoint", func(o *server.Options) { o.Endpoint = "" }, []string{"Endpoint"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			lis, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			opts := server.Options{GRPCListener: lis, Endpoint: "http://127.0.0.1:1"} // New closes lis
			tt.set(&opts)
			_, err = server.New(opts)
			var oe *options.Error
			if !errors.As(err, &oe) || !slices.Equal(oe.Fields(), tt.want) {
				t.Errorf("New: %v; want an *options.Error naming %v", err, tt.want)
			}
		})
	}
}
