package watch

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
)

// A resume token is base64url (no padding) of: a version byte, a kind byte
// (after an event, or within a snapshot), the poller's epoch (16 random
// bytes drawn when the poller starts) and the sequence number of the last
// event the subscriber has, as a uvarint. The epoch ties a token to one
// run of one poller: a token from another replica, from before a restart
// or from a poller that stopped in between names an epoch no poller has,
// and is refused as expired rather than misread.

// A token's kinds.
const (
	// tokenAfter: the subscriber has every event up to seq.
	tokenAfter byte = 0
	// tokenInSnapshot: the subscriber was sent part of the snapshot taken
	// at seq: it cannot resume (it may lack objects the snapshot had not
	// sent yet).
	tokenInSnapshot byte = 1
)

const (
	tokenVersion = 1
	epochLen     = 16
	// maxTokenLen bounds a token's text: version, kind, epoch and a
	// 10-byte uvarint, in base64.
	maxTokenLen = (2 + epochLen + binary.MaxVarintLen64 + 2) * 4 / 3
)

// epoch identifies one run of one poller.
type epoch [epochLen]byte

// newEpoch draws a random epoch.
func newEpoch() epoch {
	var e epoch
	_, _ = rand.Read(e[:]) // crypto/rand.Read never fails
	return e
}

// token is a decoded resume token.
type token struct {
	kind  byte
	epoch epoch
	seq   uint64
}

func (t token) String() string {
	b := make([]byte, 0, 2+epochLen+binary.MaxVarintLen64)
	b = append(b, tokenVersion, t.kind)
	b = append(b, t.epoch[:]...)
	b = binary.AppendUvarint(b, t.seq)
	return base64.RawURLEncoding.EncodeToString(b)
}

// parseToken decodes s, or returns ErrMalformedToken.
func parseToken(s string) (token, error) {
	if len(s) > maxTokenLen {
		return token{}, ErrMalformedToken
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(s)
	if err != nil || len(b) < 2+epochLen+1 || b[0] != tokenVersion || (b[1] != tokenAfter && b[1] != tokenInSnapshot) {
		return token{}, ErrMalformedToken
	}
	t := token{kind: b[1]}
	copy(t.epoch[:], b[2:2+epochLen])
	seq, n := binary.Uvarint(b[2+epochLen:])
	if n <= 0 || 2+epochLen+n != len(b) {
		return token{}, ErrMalformedToken
	}
	t.seq = seq
	return t, nil
}

// CheckToken reports whether s is shaped as a resume token (nil) or not
// (ErrMalformedToken), for validating a request before anything else is
// done. Whether it can still be resumed from is for Subscribe to say.
func CheckToken(s string) error {
	_, err := parseToken(s)
	return err
}
