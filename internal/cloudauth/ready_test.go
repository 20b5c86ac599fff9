package cloudauth

import (
	"errors"
	"testing"
	"time"

	"github.com/devenv-facade/devenv-facade/internal/emulator"
)

// TestIAMPassword_Ready: not ready until a token is obtained, which the
// first question starts in the background; a refused password is reported
// (as IAM's error) and asked again at most every readyRetry; ready once a
// token is held, not ready again once it expires unrenewed.
func TestIAMPassword_Ready(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{t: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)}
	emu := emulator.New(emulator.WithIAMUsers(emulator.IAMUser{Name: "u", Password: "other", Domain: "d"}),
		emulator.WithClock(clock.now), emulator.WithTokenLifetime(time.Hour))
	p, _ := newIAM(t, clock, emu)

	if err := p.Ready(); !errors.Is(err, ErrNoToken) {
		t.Fatalf("Ready before any token: %v; want ErrNoToken", err)
	}
	// Wait for the background request through the flight it joined.
	<-p.flight.DoChan("token", p.fetch)
	var iamErr *IAMError
	if err := p.Ready(); !errors.As(err, &iamErr) {
		t.Fatalf("Ready after a refused password: %v; want the IAMError", err)
	}
	before := emu.TokenRequestCount()
	for range 5 {
		_ = p.Ready()
	}
	if n := emu.TokenRequestCount(); n != before {
		t.Errorf("Ready asked IAM %d more times within %s of a failure; want none", n-before, readyRetry)
	}

	// The password is fixed; after readyRetry Ready asks again.
	p.cfg.Password = "other"
	clock.advance(readyRetry)
	_ = p.Ready()
	<-p.flight.DoChan("token", p.fetch)
	if err := p.Ready(); err != nil {
		t.Fatalf("Ready once a token was obtained: %v", err)
	}
	clock.advance(2 * time.Hour) // expired, never renewed
	if err := p.Ready(); err == nil {
		t.Error("Ready with an expired token")
	}
}
