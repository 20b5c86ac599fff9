package modelarts

import (
	"context"
	"net/http"
	"slices"
	"testing"
)

// singleToken is a static token that gives its one secret without a
// slice ([SingleSecretCredentials]), as cloudauth.Token.
type singleToken string

func (t singleToken) Authenticate(context.Context, *http.Request) error { return nil }
func (t singleToken) Secrets() []string                                 { return []string{string(t)} }
func (t singleToken) Secret() string                                    { return string(t) }

// singleTokenCall returns a client configured with a singleToken and a
// DeleteInstance request to send with it.
func singleTokenCall(t *testing.T) (*Client, *http.Request) {
	t.Helper()
	c, err := NewClient(http.DefaultClient, "https://modelarts.eu-de.otc.t-systems.com", Options{Credentials: singleToken("configured-token-value")})
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodDelete, "https://modelarts.eu-de.otc.t-systems.com/v1/p/demanager/instances/i", nil)
	if err != nil {
		t.Fatal(err)
	}
	return c, req
}

// TestAppendSecrets_singleSecret: credentials with a single secret give
// the same list as their Secrets, without an allocation of their own (the
// buffer here is outside the measured function: whether the client's own
// buffer stays on the stack is TestSecretsOf_staticTokenAllocatesNothing's).
func TestAppendSecrets_singleSecret(t *testing.T) {
	c, req := singleTokenCall(t)
	req.Header.Set(headerAuthToken, "the-call-token-value")
	var buf [8]string
	if got, want := c.appendSecrets(buf[:0], req), []string{"the-call-token-value", "configured-token-value"}; !slices.Equal(got, want) {
		t.Errorf("appendSecrets = %q, want %q", got, want)
	}
	if n := testing.AllocsPerRun(100, func() { c.appendSecrets(buf[:0], req) }); n != 0 {
		t.Errorf("appendSecrets: %v allocations, want 0", n)
	}
}

// TestSecretsOf_staticTokenAllocatesNothing: a success answer's secrets,
// for a request carrying the configured static token, are the set already
// prepared, found without an allocation: neither a slice of the
// credentials' own nor the client's buffer moved to the heap (which a
// buffer handed to an interface method is).
func TestSecretsOf_staticTokenAllocatesNothing(t *testing.T) {
	c, req := singleTokenCall(t)
	req.Header.Set(headerAuthToken, "configured-token-value")
	first := c.secretsOf(req)
	if n := testing.AllocsPerRun(100, func() {
		if c.secretsOf(req) != first {
			t.Fatal("the prepared secrets were not reused")
		}
	}); n != 0 {
		t.Errorf("secretsOf: %v allocations, want 0", n)
	}
}
