package callerauth

import "context"

// Standing is what the facade knows of a call's caller once the call's
// headers are read and before its request is: what [Authenticator.Tap] (or
// [Authenticator.Middleware]) found. The server shares what calls may hold
// while they wait for their request by standing and caller, so that
// callers nobody has verified cannot take what listed callers need, and no
// caller can take what the others need.
type Standing uint8

const (
	// Unidentified: no caller was authenticated: caller authentication is
	// off, or the call is exempt from it (health checks).
	Unidentified Standing = iota
	// Listed: a caller from the callers file.
	Listed
	// VouchedHolder: a token holder whose token IAM had accepted, in an
	// answer the validator still remembers, when the call arrived
	// (--token-holders validate). The call is still checked in full once
	// its request is read.
	VouchedHolder
	// UnverifiedHolder: a token holder whose token nobody has checked yet:
	// any token under forward, one IAM has not accepted yet under
	// validate.
	UnverifiedHolder
)

// StandingOf returns the standing of the call ctx belongs to, and a key
// that tells callers of that standing apart: the caller's name for
// [Listed], the SHA-256 of the token for [VouchedHolder], "" otherwise.
func StandingOf(ctx context.Context) (Standing, string) {
	c, ok := FromContext(ctx)
	switch {
	case !ok:
		return Unidentified, ""
	case !c.holder:
		return Listed, c.Name
	case c.vouched != "":
		return VouchedHolder, c.vouched
	}
	return UnverifiedHolder, ""
}
