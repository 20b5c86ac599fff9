package logjson_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"testing"

	"github.com/devenv-facade/devenv-facade/internal/logjson"
)

// checkAddr reports where a Handler writes an AddrValue of a other than
// slog's JSON handler writes a.String(), or where AddrValue resolves to
// something else.
func checkAddr(t *testing.T, a net.Addr) {
	t.Helper()
	var got, want bytes.Buffer
	h := logjson.NewHandler(&got, logjson.Options{})
	v := logjson.AddrValue(a)
	if err := h.HandleAttrs(context.Background(), when, slog.LevelInfo, "rpc", []slog.Attr{{Key: "peer", Value: v}, slog.Int("n", 1)}); err != nil {
		t.Fatal(err)
	}
	r := slog.NewRecord(when, slog.LevelInfo, "rpc", 0)
	r.AddAttrs(slog.String("peer", a.String()), slog.Int("n", 1))
	if err := slog.NewJSONHandler(&want, nil).Handle(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	if got.String() != want.String() {
		t.Errorf("%#v:\n got %s\nwant %s", a, got.String(), want.String())
	}
	if s := v.Resolve().String(); s != a.String() {
		t.Errorf("%#v resolves to %q; want %q", a, s, a.String())
	}
}

// TestAddrValue: a peer's address is written as its String, for TCP
// addresses of every shape net.TCPAddr.String writes and for others.
func TestAddrValue(t *testing.T) {
	t.Parallel()
	for _, a := range []net.Addr{
		&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 51532},
		&net.TCPAddr{IP: net.IP{10, 1, 2, 255}, Port: 443},
		&net.TCPAddr{IP: net.ParseIP("::1"), Port: 8080},
		&net.TCPAddr{IP: net.ParseIP("2001:db8::ff00:42:8329"), Port: 1},
		&net.TCPAddr{IP: net.ParseIP("fe80::1"), Port: 22, Zone: "eth0"},
		&net.TCPAddr{IP: net.ParseIP("fe80::1"), Port: 22, Zone: "a\"b"},
		&net.TCPAddr{Port: 9},
		&net.TCPAddr{IP: net.IP{1, 2, 3}, Port: 9},
		&net.TCPAddr{IP: net.IPv4(1, 2, 3, 4), Port: -5},
		&net.TCPAddr{IP: net.IPv4zero},
		&net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 53},
		&net.UnixAddr{Name: "/run/x.sock\n", Net: "unix"},
	} {
		checkAddr(t, a)
	}
}

// FuzzAddrValue: any TCP address is written as its String.
func FuzzAddrValue(f *testing.F) {
	f.Add([]byte{127, 0, 0, 1}, 51532, "")
	f.Add([]byte(net.ParseIP("2001:db8::1")), 443, "")
	f.Add([]byte(net.IPv4(192, 0, 2, 1)), 0, "eth0")
	f.Fuzz(func(t *testing.T, ip []byte, port int, zone string) {
		checkAddr(t, &net.TCPAddr{IP: net.IP(ip), Port: port, Zone: zone})
	})
}

// TestAddrValue_allocatesNothing: a gRPC peer's address (IPv4 or IPv6,
// no zone) costs a Handler's line no allocation; its String made two.
func TestAddrValue_allocatesNothing(t *testing.T) {
	h := logjson.NewHandler(io.Discard, logjson.Options{})
	ctx := context.Background()
	for _, a := range []*net.TCPAddr{{IP: net.IPv4(127, 0, 0, 1), Port: 51532}, {IP: net.ParseIP("2001:db8::1"), Port: 443}} {
		line := func() {
			_ = h.HandleAttrs(ctx, when, slog.LevelInfo, "rpc", []slog.Attr{{Key: "peer", Value: logjson.AddrValue(a)}})
		}
		if n := testing.AllocsPerRun(100, line); n != 0 {
			t.Errorf("%v: %v allocations per line; want 0", a, n)
		}
	}
}
