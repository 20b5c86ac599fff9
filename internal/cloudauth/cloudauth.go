// Package cloudauth provides the credentials the facade uses with
// ModelArts, all behind one interface, [modelarts.Credentials]:
//
//   - [Token]: a static IAM token, sent as X-Auth-Token;
//   - [IAMPassword]: a project-scoped token obtained from IAM with a user
//     name and password, cached, and refreshed before it expires;
//   - [AKSK]: SDK-HMAC-SHA256 request signing with an access key and a
//     secret key, in either of its two wire forms;
//   - a cloud from an OpenStack clouds.yaml file, which yields one of the
//     above (see [LoadCloud]).
//
// [New] chooses and builds one from a [Config]. No type in this package
// prints a secret: their String and GoString methods describe them without
// keys, passwords or tokens, and no error carries one. Each credential type
// lists its secrets through a Secrets method
// ([modelarts.SecretCredentials]), so that the modelarts client can redact
// them from what ModelArts answers.
package cloudauth

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
)

// Token authenticates every request with one IAM token, sent as
// X-Auth-Token. It implements [modelarts.Credentials].
type Token string

// Authenticate sets X-Auth-Token.
func (t Token) Authenticate(_ context.Context, req *http.Request) error {
	if t == "" {
		return errors.New("cloudauth: empty token")
	}
	req.Header.Set("X-Auth-Token", string(t))
	return nil
}

// Secrets returns the token, so that the modelarts client can redact it
// from upstream error text ([modelarts.SecretCredentials]).
func (t Token) Secrets() []string { return []string{string(t)} }

// Secret returns the token ([modelarts.SingleSecretCredentials]): what
// Secrets returns, without a slice of its own.
func (t Token) Secret() string { return string(t) }

// String describes the credentials without the token.
func (t Token) String() string { return "static IAM token" }

// Format prints String whatever the verb: no formatting shows the token.
func (t Token) Format(f fmt.State, _ rune) { redact(f, t.String()) }

// LogValue logs String: slog must not print the token either.
func (t Token) LogValue() slog.Value { return slog.StringValue(t.String()) }

// redact writes desc in place of a value that holds a secret. Types that
// hold one implement fmt.Formatter with it, so that %v, %+v, %#v, %s, %d or
// any other verb prints the description. (A String method alone is not
// enough: fmt prints a struct's fields for verbs such as %d.)
func redact(f fmt.State, desc string) { _, _ = io.WriteString(f, desc) }
