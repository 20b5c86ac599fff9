package cloudauth_test

import (
	"slices"
	"testing"

	"github.com/devenv-facade/devenv-facade/internal/cloudauth"
)

// TestToken_Secret: Secret is the one value Secrets returns.
func TestToken_Secret(t *testing.T) {
	tok := cloudauth.Token("a-static-token")
	if got, want := []string{tok.Secret()}, tok.Secrets(); !slices.Equal(got, want) {
		t.Errorf("Secret = %q, want the one value of Secrets, %q", got, want)
	}
}
