package modelarts

import (
	"context"
	"net/http"
	"slices"
	"testing"
)

// appendingToken is a static token that appends its secret
// ([SecretAppender]), as cloudauth.Token.
type appendingToken string

func (t appendingToken) Authenticate(context.Context, *http.Request) error { return nil }
func (t appendingToken) Secrets() []string                                 { return []string{string(t)} }
func (t appendingToken) AppendSecrets(dst []string) []string               { return append(dst, string(t)) }

// TestAppendSecrets_appender: credentials that append their secrets give
// the same list as their Secrets, without an allocation.
func TestAppendSecrets_appender(t *testing.T) {
	c, err := NewClient(http.DefaultClient, "https://modelarts.eu-de.otc.t-systems.com", Options{Credentials: appendingToken("configured-token-value")})
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
