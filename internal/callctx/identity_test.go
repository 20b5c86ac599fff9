package callctx_test

import (
	"context"
	"strings"
	"testing"

	"github.com/devenv-facade/devenv-facade/internal/callctx"
)

func TestIdentity(t *testing.T) {
	t.Parallel()
	if _, ok := callctx.IdentityFrom(context.Background()); ok {
		t.Error("an identity in an empty context")
	}
	want := callctx.Identity{Name: callctx.TokenHolder, TokenOnly: true}
	if got, ok := callctx.IdentityFrom(callctx.WithIdentity(context.Background(), want)); !ok || got != want {
		t.Errorf("IdentityFrom = %+v, %v; want %+v", got, ok, want)
	}
}

func TestCheckAuthToken(t *testing.T) {
	t.Parallel()
	tests := map[string]bool{
		"":                                false,
		"MIIabc-_+/=":                     true,
		strings.Repeat("a", 16<<10):       true,
		strings.Repeat("a", 16<<10+1):     false,
		"has space":                       false,
		"tab\there":                       false,
		"new\nline":                       false,
		"ümlaut":                          false,
		"\x7f":                            false,
		"secret-token-with-trailing-CR\r": false,
	}
	for tok, want := range tests {
		err := callctx.CheckAuthToken(tok)
		if (err == nil) != want {
			t.Errorf("CheckAuthToken(%.20q...) = %v; want ok %v", tok, err, want)
		}
		if err != nil && len(tok) >= 8 && strings.Contains(err.Error(), tok) {
			t.Errorf("the error quotes the token: %v", err)
		}
	}
}

func TestSignatureScheme(t *testing.T) {
	t.Parallel()
	tests := []struct {
		authorization string
		want          string
		ok            bool
	}{
		{"SDK-HMAC-SHA256 Access=AK, SignedHeaders=x-sdk-date, Signature=abc", "SDK-HMAC-SHA256", true},
		{"SDK-HMAC-SHA256 Credential=AK/20191115///sdk_request, SignedHeaders=host;x-sdk-date, Signature=abc", "SDK-HMAC-SHA256", true},
		{"sdk-hmac-sha256 Access=AK", "SDK-HMAC-SHA256", true},
		{"  SDK-HMAC-SM3 Access=AK", "SDK-HMAC-SM3", true},
		{"SDK-ECDSA-P256-SHA256 Access=AK", "SDK-ECDSA-P256-SHA256", true},
		{"SDK-SM2-SM3 Access=AK", "SDK-SM2-SM3", true},
		{"V11-HMAC-SHA256 Credential=AK/20240101/eu-de/modelarts", "V11-HMAC-SHA256", true},
		{"SDK-HMAC-SHA256", "SDK-HMAC-SHA256", true},
		{"Bearer SDK-HMAC-SHA256", "", false},
		{"Bearer abc", "", false},
		{"Basic YWxpY2U6eA==", "", false},
		{"", "", false},
		{"SDK", "", false},
		{"SDK-HMAC_SHA256 Access=AK", "", false},
		{"SDK-" + strings.Repeat("X", 40) + " Access=AK", "", false},
		{"AWS4-HMAC-SHA256 Credential=AK/20240101/eu/s3/aws4_request", "", false},
	}
	for _, tt := range tests {
		got, ok := callctx.SignatureScheme(tt.authorization)
		if got != tt.want || ok != tt.ok {
			t.Errorf("SignatureScheme(%q) = %q, %v; want %q, %v", tt.authorization, got, ok, tt.want, tt.ok)
		}
	}
}

// FuzzSignatureScheme: a recognised scheme is a short upper-case token of
// the vendor's families that starts the value; nothing panics.
func FuzzSignatureScheme(f *testing.F) {
	f.Add("SDK-HMAC-SHA256 Access=AK, SignedHeaders=x-sdk-date, Signature=abc")
	f.Add("Bearer token")
	f.Add("v11-hmac-sm3 x")
	f.Fuzz(func(t *testing.T, authorization string) {
		scheme, ok := callctx.SignatureScheme(authorization)
		if !ok {
			if scheme != "" {
				t.Errorf("scheme %q without ok", scheme)
			}
			return
		}
		if len(scheme) > 32 || scheme != strings.ToUpper(scheme) ||
			!strings.HasPrefix(scheme, "SDK-") && !strings.HasPrefix(scheme, "V11-") ||
			!strings.HasPrefix(strings.ToUpper(strings.TrimLeft(authorization, " \t")), scheme) {
			t.Errorf("SignatureScheme(%q) = %q", authorization, scheme)
		}
	})
}
