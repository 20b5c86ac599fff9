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

// TestAppendSecrets_appender: credentials with a single secret give the
// same list as their Secrets, without an allocation.
func TestAppendSecrets_appender(t *testing.T) {
	c, err := NewClient(http.DefaultClient, "https://modelarts.eu-de.otc.t-systems.com", Options{Credentials: singleToken("configured-token-value")})
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodDelete, "https://modelarts.eu-de.otc.t-systems.com/v1/p/demanager/instances/i", nil)
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
	c, err := NewClient(http.DefaultClient, "https://modelarts.eu-de.otc.t-systems.com", Options{Credentials: singleToken("configured-token-value")})
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodDelete, "https://modelarts.eu-de.otc.t-systems.com/v1/p/demanager/instances/i", nil)
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
