package service

import (
	"context"
	"net"
	"strings"
	"testing"

	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"

	"github.com/devenv-facade/devenv-facade/internal/callctx"
)

// TestWatchCaller: the caller a watch counts against for
// --max-watches-per-caller: its name under caller authentication; for a
// token holder (all of whom share one name) its token, by hash; else its
// address, whatever its port.
func TestWatchCaller(t *testing.T) {
	t.Parallel()
	s := &Service{callerAuth: true}
	from := func(ip string, port int, id *callctx.Identity, token string) string {
		ctx := peer.NewContext(context.Background(), &peer.Peer{Addr: &net.TCPAddr{IP: net.ParseIP(ip), Port: port}})
		if id != nil {
			ctx = callctx.WithIdentity(ctx, *id)
		}
		if token != "" {
			ctx = metadata.NewIncomingContext(ctx, metadata.Pairs(callctx.MetadataKeyAuthToken, token))
		}
		c := &call{}
		tok, only, err := s.credentials(ctx, c)
		if err != nil && id != nil {
			t.Fatal(err)
		}
		c.useCredentials(tok, only)
		return watchCaller(ctx, c)
	}
	alice := &callctx.Identity{Name: "alice"}
	holder := &callctx.Identity{Name: callctx.TokenHolder, TokenOnly: true}
	s.callerAuth = true
	if a, b := from("10.0.0.1", 1, alice, ""), from("10.0.0.2", 2, alice, ""); a != b || a != "caller:alice" {
		t.Errorf("alice from two addresses: %q, %q; want caller:alice for both", a, b)
	}
	h1, h1again, h2 := from("10.0.0.1", 1, holder, "token-one"), from("10.0.0.2", 2, holder, "token-one"), from("10.0.0.1", 1, holder, "token-two")
	if h1 != h1again || h1 == h2 || strings.Contains(h1+h2, "token-one") || strings.Contains(h1+h2, "token-two") {
		t.Errorf("token holders: %q, %q, %q; want one caller per token, never the token itself", h1, h1again, h2)
	}
	s.callerAuth = false
	if a, b := from("10.0.0.1", 1, nil, ""), from("10.0.0.1", 2, nil, "some-token"); a != b || a != "address:10.0.0.1" {
		t.Errorf("no caller authentication, one address: %q, %q; want address:10.0.0.1 for both", a, b)
	}
	if got := watchCaller(context.Background(), &call{}); got != "unknown" {
		t.Errorf("no peer: %q", got)
	}
}

// TestPollerKey: watches on different credentials never share a poller
// (the key differs), nor on another API, project or workspace; the key
// never holds the token.
func TestPollerKey(t *testing.T) {
	t.Parallel()
	same := pollCredentials{token: "secret-a"}.key("notebooks", "p", "0")
	seen := map[string]string{}
	for name, k := range map[string]string{
		"facade":       pollCredentials{}.key("notebooks", "p", "0"),
		"token a":      pollCredentials{token: "secret-a"}.key("notebooks", "p", "0"),
		"token b":      pollCredentials{token: "secret-b"}.key("notebooks", "p", "0"),
		"token a only": pollCredentials{token: "secret-a", tokenOnly: true}.key("notebooks", "p", "0"),
		"instances":    pollCredentials{}.key("instances", "p", "0"),
		"project q":    pollCredentials{}.key("notebooks", "q", "0"),
		"workspace w":  pollCredentials{}.key("notebooks", "p", "w"),
	} {
		if strings.Contains(k, "secret") {
			t.Errorf("%s: key %q holds the token", name, k)
		}
		if other, dup := seen[k]; dup {
			t.Errorf("%s and %s share the key %q", name, other, k)
		}
		seen[k] = name
	}
	if seen[same] != "token a" {
		t.Errorf("the same token's key %q is not token a's", same)
	}
}
