package cloudauth

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/devenv-facade/devenv-facade/internal/clock/clocktest"

	"github.com/devenv-facade/devenv-facade/internal/emulator"
)

// TestIAMPassword_Ready: not ready until a token is obtained, which the
// first question starts in the background; a refused password is reported
// (as IAM's error) and asked again at most every readyRetry; ready once a
// token is held, not ready again once it expires unrenewed.
func TestIAMPassword_Ready(t *testing.T) {
	t.Parallel()
	clock := clocktest.New(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC))
	emu := emulator.MustNew(emulator.Options{IAMUsers: []emulator.IAMUser{{Name: "u", Password: "other", Domain: "d"}}, Clock: clock, TokenLifetime: time.Hour})
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
	clock.Advance(readyRetry)
	_ = p.Ready()
	<-p.flight.DoChan("token", p.fetch)
	if err := p.Ready(); err != nil {
		t.Fatalf("Ready once a token was obtained: %v", err)
	}
	clock.Advance(2 * time.Hour) // expired, never renewed
	if err := p.Ready(); err == nil {
		t.Error("Ready with an expired token")
	}
}

// TestIAMPassword_refusalIsRemembered: after IAM refused the password,
// calls fail at once with that refusal for readyRetry instead of asking
// IAM again each (a lockout of the service user is at stake).
func TestIAMPassword_refusalIsRemembered(t *testing.T) {
	t.Parallel()
	clock := clocktest.New(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC))
	emu := emulator.MustNew(emulator.Options{IAMUsers: []emulator.IAMUser{{Name: "u", Password: "other", Domain: "d"}}, Clock: clock})
	p, _ := newIAM(t, clock, emu)
	req, _ := http.NewRequest(http.MethodGet, "http://x/", nil)
	for i := range 20 {
		var iamErr *IAMError
		if err := p.Authenticate(t.Context(), req); !errors.As(err, &iamErr) {
			t.Fatalf("call %d: %v; want IAM's refusal", i, err)
		}
	}
	if n := emu.TokenRequestCount(); n != 1 {
		t.Errorf("20 calls with a refused password made %d token requests; want 1", n)
	}
	clock.Advance(readyRetry)
	_ = p.Authenticate(t.Context(), req)
	if n := emu.TokenRequestCount(); n != 2 {
		t.Errorf("after %s: %d token requests; want 2", readyRetry, n)
	}
}

// TestIAMPassword_idleRenewal: an idle facade's readiness check renews the
// token once it is due, so it never goes unready for want of traffic.
func TestIAMPassword_idleRenewal(t *testing.T) {
	t.Parallel()
	clock := clocktest.New(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC))
	emu := emulator.MustNew(emulator.Options{IAMUsers: []emulator.IAMUser{{Name: "u", Password: "pw", Domain: "d"}}, Clock: clock, TokenLifetime: 24 * time.Hour})
	p, _ := newIAM(t, clock, emu)
	_ = p.Ready()
	<-p.flight.DoChan("token", p.fetch)
	first := emu.TokenRequestCount()
	clock.Advance(19 * time.Hour) // past three quarters of the lifetime
	if err := p.Ready(); err != nil {
		t.Fatalf("Ready with a valid token due for renewal: %v", err)
	}
	<-p.flight.DoChan("token", p.fetch) // the renewal Ready started (or one more)
	if emu.TokenRequestCount() <= first {
		t.Fatal("Ready did not renew the token due for renewal")
	}
	clock.Advance(5*time.Hour + time.Minute) // the first token has expired
	if err := p.Ready(); err != nil {
		t.Errorf("Ready after the first token expired: %v; want the renewed one", err)
	}
}
