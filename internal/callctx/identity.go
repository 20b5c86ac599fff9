package callctx

import (
	"context"
	"fmt"
	"strings"
)

// TokenHolder is the name under which a call admitted on its own IAM token
// alone (no bearer token, no listed client certificate) is logged and
// reported. The callers file may not use it.
const TokenHolder = "token-holder"

// Identity is who a call acts for, as caller authentication established
// it.
type Identity struct {
	// Name is the caller's name from the callers file, or [TokenHolder].
	Name string
	// TokenOnly marks a call admitted on its own IAM token alone: every
	// request it sends to ModelArts must carry that token, and none may
	// carry the facade's credentials.
	TokenOnly bool
}

type identityKey struct{}

// WithIdentity returns ctx carrying the identity the call acts for.
func WithIdentity(ctx context.Context, id Identity) context.Context {
	return context.WithValue(ctx, identityKey{}, id)
}

// IdentityFrom returns the identity ctx's call acts for, if caller
// authentication established one.
func IdentityFrom(ctx context.Context) (Identity, bool) {
	id, ok := ctx.Value(identityKey{}).(Identity)
	return id, ok
}

// MaxAuthTokenLen bounds a caller's own IAM token (x-auth-token), in bytes.
// An IAM token is a few KiB: a Keystone v3 token from IAM is a base64 blob
// whose size grows with the user's roles and projects, and the largest seen
// in practice stay well below 8 KiB (common front ends, such as nginx with
// its default buffers, refuse a header line beyond 8 KiB anyway). 16 KiB
// leaves twice that room, while a caller can no longer make the facade
// forward, and ModelArts or IAM receive, megabytes of header per request.
const MaxAuthTokenLen = 16 << 10

// CheckAuthToken accepts a caller's own token that can be sent on as an
// X-Auth-Token header: 1 to [MaxAuthTokenLen] visible ASCII characters
// (0x21-0x7E), what an IAM token is made of. Control characters, spaces
// and non-ASCII bytes are refused rather than left for an HTTP transport
// to reject after the call has started. The error never quotes the token.
func CheckAuthToken(tok string) error {
	switch {
	case tok == "":
		return fmt.Errorf("%s is empty", MetadataKeyAuthToken)
	case len(tok) > MaxAuthTokenLen:
		return fmt.Errorf("%s must be at most %d bytes; got %d", MetadataKeyAuthToken, MaxAuthTokenLen, len(tok))
	}
	for i := 0; i < len(tok); i++ {
		if tok[i] < 0x21 || tok[i] > 0x7e {
			return fmt.Errorf("%s must be visible ASCII characters (0x21-0x7E); byte %d is 0x%02X", MetadataKeyAuthToken, i, tok[i])
		}
	}
	return nil
}

// SignatureScheme reports whether an Authorization value is a request
// signature of the vendor's API gateway, as the vendor's SDKs send for an
// access key (AK/SK): "SDK-HMAC-SHA256 Access=..." or "... Credential=...",
// and the other schemes of the same family (SDK-HMAC-SM3,
// SDK-ECDSA-P256-SHA256, SDK-SM2-SM3, V11-HMAC-SHA256, V11-HMAC-SM3). It
// returns the scheme, such as "SDK-HMAC-SHA256". The scheme is compared
// without regard to case; what follows it is not looked at.
func SignatureScheme(authorization string) (string, bool) {
	scheme, _, _ := strings.Cut(strings.TrimLeft(authorization, " \t"), " ")
	upper := strings.ToUpper(scheme)
	if !strings.HasPrefix(upper, "SDK-") && !strings.HasPrefix(upper, "V11-") {
		return "", false
	}
	// A scheme is a token of letters, digits and "-" ("SDK-HMAC-SHA256");
	// anything else is not one of the vendor's.
	if len(upper) > 32 {
		return "", false
	}
	for i := 0; i < len(upper); i++ {
		c := upper[i]
		if !('A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-') {
			return "", false
		}
	}
	return upper, true
}

// ProjectIDLen is the length of a project ID: 32 lowercase hexadecimal
// characters.
const ProjectIDLen = 32

// ValidProjectID reports whether id is a project ID: exactly ProjectIDLen
// lowercase hexadecimal characters. Every layer that looks at a caller's
// project ID before the service validates the request (authorization)
// checks it first with this.
func ValidProjectID(id string) bool {
	if len(id) != ProjectIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		if !('0' <= id[i] && id[i] <= '9' || 'a' <= id[i] && id[i] <= 'f') {
			return false
		}
	}
	return true
}
