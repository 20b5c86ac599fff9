package modelarts_test

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/devenv-facade/devenv-facade/internal/modelarts"
)

// rotating is a tiny refreshable credential: token-N, where Refresh bumps N.
type rotating struct {
	n        atomic.Int32
	refreshs atomic.Int32
	failAuth error
}

func (r *rotating) Authenticate(_ context.Context, req *http.Request) error {
	if r.failAuth != nil {
		return r.failAuth
	}
	req.Header.Set("X-Auth-Token", "token-"+strconv.Itoa(int(r.n.Load())))
	return nil
}

func (r *rotating) Refresh(context.Context, *http.Request) error {
	r.refreshs.Add(1)
	r.n.Add(1)
	return nil
}

func TestDeleteInstance_refreshesStaleTokenOnce(t *testing.T) {
	t.Parallel()
	expired := `{"error_code":"ModelArts.0202","error_message":"Invalid token header because the token has expired."}`
	tests := []struct {
		name         string
		validFrom    int // the first token number ModelArts accepts
		status       int
		body         string
		callerToken  string
		wantErr      bool
		wantRequests int32
		wantRefresh  int32
	}{
		{"fresh_token_works", 0, 401, expired, "", false, 1, 0},
		{"expired_then_ok", 1, 401, expired, "", false, 2, 1},
		{"invalid_403_then_ok", 1, 403, `{"error_code":"ModelArts.0203","error_message":"Invalid token."}`, "", false, 2, 1},
		{"still_rejected_after_refresh", 5, 401, expired, "", true, 2, 1},
		{"other_401_is_not_retried", 1, 401, `{"error_code":"ModelArts.0205","error_message":"No authorization request header."}`, "", true, 1, 0},
		{"callers_token_is_not_refreshed", 1, 401, expired, "caller", true, 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var requests atomic.Int32
			creds := &rotating{}
			_, c := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				requests.Add(1)
				if r.Header.Get("X-Auth-Token") == "token-"+strconv.Itoa(tt.validFrom) {
					answer(200, `{"instance_id":"x"}`)(w, r)
					return
				}
				answer(tt.status, tt.body)(w, r)
			}, modelarts.Options{Credentials: creds})
			_, err := deleteInstance(t.Context(), c, testProject, testInstance, modelarts.CallerToken(tt.callerToken))
			if (err != nil) != tt.wantErr {
				t.Errorf("err = %v; want error %v", err, tt.wantErr)
			}
			if n := requests.Load(); n != tt.wantRequests {
				t.Errorf("requests = %d; want %d", n, tt.wantRequests)
			}
			if n := creds.refreshs.Load(); n != tt.wantRefresh {
				t.Errorf("refreshes = %d; want %d", n, tt.wantRefresh)
			}
		})
	}
}

func TestDeleteInstance_credentialFailureSendsNothing(t *testing.T) {
	t.Parallel()
	var requests atomic.Int32
	iamDown := errors.New("IAM is down")
	_, c := newServer(t, func(http.ResponseWriter, *http.Request) { requests.Add(1) }, modelarts.Options{Credentials: &rotating{failAuth: iamDown}})
	_, err := deleteInstance(t.Context(), c, testProject, testInstance)
	if !errors.Is(err, modelarts.ErrCredentials) || !errors.Is(err, iamDown) {
		t.Errorf("err = %v; want ErrCredentials wrapping the cause", err)
	}
	if requests.Load() != 0 {
		t.Error("a request was sent without credentials")
	}
}

// countingCreds records whether the configured credentials were used.
type countingCreds struct{ used atomic.Int32 }

func (c *countingCreds) Authenticate(_ context.Context, req *http.Request) error {
	c.used.Add(1)
	req.Header.Set("X-Auth-Token", "facade-token")
	return nil
}

func (c *countingCreds) Refresh(context.Context, *http.Request) error {
	c.used.Add(1)
	return nil
}

// TestCallerTokenOnly: a call limited to the caller's token never touches
// the configured credentials: without a token it sends nothing, with one
// it sends only that token, and a stale-token answer is not "fixed" with
// them, whatever other call options say.
func TestCallerTokenOnly(t *testing.T) {
	t.Parallel()
	expired := `{"error_code":"ModelArts.0202","error_message":"Invalid token header because the token has expired."}`
	tests := []struct {
		name         string
		opts         []modelarts.CallOption
		status       int
		body         string
		wantErr      error
		wantRequests int32
		wantToken    string
	}{
		{"no_token", []modelarts.CallOption{modelarts.CallerTokenOnly("")}, 200, `{"instance_id":"x"}`, modelarts.ErrNoCredentials, 0, ""},
		{"no_token_despite_caller_token_option_before", []modelarts.CallOption{modelarts.CallerToken(""), modelarts.CallerTokenOnly("")}, 200, `{"instance_id":"x"}`, modelarts.ErrNoCredentials, 0, ""},
		{"token", []modelarts.CallOption{modelarts.CallerTokenOnly("caller-token")}, 200, `{"instance_id":"x"}`, nil, 1, "caller-token"},
		{"stale_token_not_refreshed", []modelarts.CallOption{modelarts.CallerTokenOnly("caller-token")}, 401, expired, nil, 1, "caller-token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var requests atomic.Int32
			var token atomic.Value
			creds := &countingCreds{}
			_, c := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				requests.Add(1)
				token.Store(r.Header.Get("X-Auth-Token"))
				answer(tt.status, tt.body)(w, r)
			}, modelarts.Options{Credentials: creds})
			_, err := deleteInstance(t.Context(), c, testProject, testInstance, tt.opts...)
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("err = %v; want %v", err, tt.wantErr)
			}
			if n := requests.Load(); n != tt.wantRequests {
				t.Errorf("requests = %d; want %d", n, tt.wantRequests)
			}
			if got, _ := token.Load().(string); tt.wantRequests > 0 && got != tt.wantToken {
				t.Errorf("X-Auth-Token = %q; want %q", got, tt.wantToken)
			}
			if n := creds.used.Load(); n != 0 {
				t.Errorf("the configured credentials were used %d times", n)
			}
		})
	}
}
