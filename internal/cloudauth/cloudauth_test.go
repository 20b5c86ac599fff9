package cloudauth_test

import (
	"slices"
	"testing"

	"github.com/devenv-facade/devenv-facade/internal/cloudauth"
)

// TestToken_AppendSecrets: AppendSecrets appends what Secrets returns.
func TestToken_AppendSecrets(t *testing.T) {
	tok := cloudauth.Token("a-static-token")
	got := tok.AppendSecrets([]string{"x"})
	if want := append([]string{"x"}, tok.Secrets()...); !slices.Equal(got, want) {
		t.Errorf("AppendSecrets = %q, want %q", got, want)
	}
}
