package modelarts_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"

	"github.com/devenv-facade/devenv-facade/internal/cloudauth"
	"github.com/devenv-facade/devenv-facade/internal/emulator"
	"github.com/devenv-facade/devenv-facade/internal/modelarts"
)

// hostile is a ModelArts that answers every request with an error echoing
// the request's credentials, and the secrets it was told about, in every
// piece of text the client passes on, mixed with bidirectional overrides
// and zero-width characters.
type hostile struct {
	known []string // configured secrets the upstream somehow knows

	mu   sync.Mutex
	seen []string // credential header values it received
}

// obscure hides v among invisible characters: a right-to-left override in
// front and zero-width characters inside.
func obscure(v string) string {
	if len(v) < 4 {
		return "\u202E" + v
	}
	return "\u202E" + v[:2] + "\u200B" + v[2:4] + "\u200D\uFEFF" + v[4:] + "\u2066"
}

func (h *hostile) handler(html bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var echo []string
		for _, name := range []string{"X-Auth-Token", "X-Security-Token", "Authorization"} {
			if v := r.Header.Get(name); v != "" {
				echo = append(echo, v)
			}
		}
		if _, sig, ok := strings.Cut(r.Header.Get("Authorization"), "Signature="); ok {
			echo = append(echo, sig)
		}
		h.mu.Lock()
		h.seen = append(h.seen, echo...)
		h.mu.Unlock()
		echo = append(echo, h.known...)

		var msg strings.Builder
		msg.WriteString("rejected \u202Egnp.exe")
		for _, v := range echo {
			msg.WriteString("; got " + v + " aka " + obscure(v))
		}
		w.Header().Set("X-Request-Id", "rid-\u202E"+obscure(echo[0]))
		if html {
			w.Header().Set("Content-Type", "text/html; x="+echo[0]+"\u200F")
			w.WriteHeader(http.StatusBadGateway)
			_, _ = w.Write([]byte("<html>" + msg.String() + "</html>"))
			return
		}
		w.Header().Set("Content-Type", "application/json\u200B; t="+echo[0])
		w.WriteHeader(http.StatusBadRequest)
		// The code is cut at 64 bytes: the token straddles the cut.
		body, _ := json.Marshal(map[string]string{
			"error_code":    "ModelArts.6309\u202E" + strings.Repeat("c", 40) + echo[0],
			"error_message": msg.String(),
		})
		_, _ = w.Write(body)
	}
}

func (h *hostile) received() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.seen...)
}

func TestDeleteInstance_errorTextNeverCarriesSecrets(t *testing.T) {
	t.Parallel()
	const (
		staticToken = "STATIC-tok-3f9a8b7c6d5e"
		callerToken = "CALLER-tok-a1b2c3d4e5f6"
		accessKey   = "AKIDACCESSKEY0001"
		secretKey   = "SK-secret-key-77aa99"
		secToken    = "SECURITY-token-5e6f7a"
		password    = `pass"word\with<specials>`
		iamProject  = "0123456789abcdef0123456789abcdef"
	)
	iam := httptest.NewServer(emulator.MustNew(emulator.Options{IAMUsers: []emulator.IAMUser{{Name: "u", Password: password, Domain: "d"}}}))
	t.Cleanup(iam.Close)
	signer, err := cloudauth.NewSigner(accessKey, secretKey, cloudauth.FormCredential, "", "")
	if err != nil {
		t.Fatal(err)
	}
	accessSigner, err := cloudauth.NewSigner(accessKey, secretKey, cloudauth.FormAccess, "", "")
	if err != nil {
		t.Fatal(err)
	}
	iamCreds, err := cloudauth.NewIAMPassword(iam.Client(), cloudauth.IAMConfig{Endpoint: iam.URL + "/v3", Username: "u", Password: password, DomainName: "d", ProjectID: emulator.SampleProjectID})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		creds modelarts.Credentials
		call  []modelarts.CallOption
		known []string // configured secrets, also echoed
	}{
		{"static_token", cloudauth.Token(staticToken), nil, []string{staticToken}},
		{"aksk_credential_form", cloudauth.NewAKSK(signer, secToken), nil, []string{accessKey, secretKey, secToken}},
		{"aksk_access_form", cloudauth.NewAKSK(accessSigner, ""), nil, []string{accessKey, secretKey}},
		{"iam_password", iamCreds, nil, []string{password}},
		{"caller_token", cloudauth.Token(staticToken), []modelarts.CallOption{modelarts.CallerToken(callerToken)}, []string{staticToken}},
		{"caller_token_without_configured_credentials", nil, []modelarts.CallOption{modelarts.CallerToken(callerToken)}, nil},
	}
	for _, tt := range tests {
		for _, html := range []bool{false, true} {
			name := tt.name + map[bool]string{false: "/json", true: "/html"}[html]
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				up := &hostile{known: tt.known}
				srv := httptest.NewServer(up.handler(html))
				t.Cleanup(srv.Close)
				c, err := modelarts.NewClient(srv.Client(), srv.URL, modelarts.Options{Retry: modelarts.RetryPolicy{MaxAttempts: 1}, Credentials: tt.creds})
				if err != nil {
					t.Fatal(err)
				}
				_, err = deleteInstance(t.Context(), c, testProject, testInstance, tt.call...)
				var e *modelarts.Error
				if !errors.As(err, &e) {
					t.Fatalf("err = %v (%T); want *modelarts.Error", err, err)
				}
				seen := up.received()
				if len(seen) == 0 {
					t.Fatal("the upstream saw no credentials")
				}
				secrets := append(seen, tt.known...)
				fields := map[string]string{
					"Code": e.Code, "Message": e.Message, "RequestID": e.RequestID,
					"ContentType": e.ContentType, "Body": string(e.Body), "Error()": e.Error(),
				}
				for field, text := range fields {
					for _, s := range secrets {
						// No secret, nor its start (a cut must not leave one).
						if strings.Contains(text, s) || strings.Contains(text, s[:8]) {
							t.Errorf("%s holds the secret %q: %q", field, s, text)
						}
					}
					for _, r := range text {
						if unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Cc, r) {
							t.Errorf("%s holds %U: %q", field, r, text)
						}
					}
				}
				// The echo happened, and was redacted rather than dropped.
				redacted := e.Message
				if html {
					redacted = string(e.Body)
				}
				if !strings.Contains(redacted, "rejected gnp.exe; got [REDACTED] aka [REDACTED]") {
					t.Errorf("the echo was not redacted as expected: %q", redacted)
				}
			})
		}
	}
}

func TestParseError_redactsGivenSecrets(t *testing.T) {
	t.Parallel()
	const secret = "s3cret-value-0042"
	h := http.Header{"X-Request-Id": {secret}}
	tests := []struct {
		name    string
		secrets []string
		want    string
	}{
		{"redacted", []string{secret}, "token [REDACTED] (x)"},
		{"short_values_are_kept", []string{"x)"}, "token " + secret + " (x)"},
		{"none", nil, "token " + secret + " (x)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := modelarts.ParseError(400, h, []byte(`{"error_code":"ModelArts.0203","error_message":"token `+secret+` (x)"}`), "sent", time.Now(), tt.secrets...)
			if e.Message != tt.want {
				t.Errorf("Message = %q; want %q", e.Message, tt.want)
			}
			if wantID := map[bool]string{true: "[REDACTED]", false: secret}[len(tt.secrets) > 0 && tt.secrets[0] == secret]; e.RequestID != wantID {
				t.Errorf("RequestID = %q; want %q", e.RequestID, wantID)
			}
		})
	}
}

// TestAnswersAndFailuresRepeatNoSecret: a success answer that echoes the
// request's token has it replaced in its strings, the rest kept as it
// came; a broken answer whose status line echoes it gives a transport
// error whose text has it removed (and no control or bidirectional
// characters), while errors.Is still sees the cause.
func TestAnswersAndFailuresRepeatNoSecret(t *testing.T) {
	t.Parallel()
	const (
		configured = "CONFIGURED-token-0a1b2c3d"
		caller     = "CALLER-token-4e5f6a7b"
	)
	for _, token := range []string{"", caller} {
		t.Run("caller_token="+token, func(t *testing.T) {
			t.Parallel()
			sent := configured
			if token != "" {
				sent = token
			}
			_, c := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				echo := r.Header.Get("X-Auth-Token")
				if r.Method == http.MethodGet {
					_, _ = w.Write([]byte(`{"id":"x","description":"\u001b\u202e` + echo + `","` + echo + `":1}`))
					return
				}
				conn, buf, err := http.NewResponseController(w).Hijack()
				if err != nil {
					panic(err)
				}
				_, _ = buf.WriteString("HTTP/1.1 \x1b\u202e" + echo + "\r\n\r\n")
				_ = buf.Flush()
				conn.Close()
			}, modelarts.Options{Credentials: cloudauth.Token(configured)})
			got, _, err := modelarts.GetInstance.Call(t.Context(), c, modelarts.Request{Params: []string{testProject, testInstance}}, modelarts.CallerToken(token))
			if err != nil {
				t.Fatal(err)
			}
			// The string that held the token is written anew; the rest
			// is as it came.
			if want := `{"id":"x","description":"\u001b` + "\u202e" + `[REDACTED]","[REDACTED]":1}`; string(*got) != want {
				t.Errorf("answer %s; want %s", *got, want)
			}
			_, _, err = deleteInstanceResult(t.Context(), c, testProject, testInstance, modelarts.CallerToken(token))
			if err == nil {
				t.Fatal("a broken answer gave no error")
			}
			if msg := err.Error(); strings.Contains(msg, sent) || strings.ContainsAny(msg, "\x1b\u202e") || !strings.Contains(msg, "[REDACTED]") {
				t.Errorf("transport error %q; want the token redacted, no ESC or U+202E", msg)
			}
			if _, ok := errors.AsType[*url.Error](err); !ok {
				t.Errorf("transport error %v: the cause is lost", err)
			}
		})
	}
}

// TestDeleteInstance_eachCallRedactsItsOwnSecrets: the client keeps the
// secrets it last prepared for redaction and hands them out again while a
// call's secrets are the same; calls with other secrets (caller tokens,
// one after another on one client) must each have their own redacted.
func TestDeleteInstance_eachCallRedactsItsOwnSecrets(t *testing.T) {
	t.Parallel()
	const staticToken = "STATIC-tok-3f9a8b7c6d5e"
	up := &hostile{}
	srv := httptest.NewServer(up.handler(false))
	t.Cleanup(srv.Close)
	c, err := modelarts.NewClient(srv.Client(), srv.URL, modelarts.Options{Retry: modelarts.RetryPolicy{MaxAttempts: 1}, Credentials: cloudauth.Token(staticToken)})
	if err != nil {
		t.Fatal(err)
	}
	for _, token := range []string{"", "CALLER-tok-a1b2c3d4e5f6", "", "OTHER-caller-tok-778899", "CALLER-tok-a1b2c3d4e5f6", ""} {
		var opts []modelarts.CallOption
		secret := staticToken
		if token != "" {
			opts, secret = []modelarts.CallOption{modelarts.CallerToken(token)}, token
		}
		_, err := deleteInstance(t.Context(), c, testProject, testInstance, opts...)
		var e *modelarts.Error
		if !errors.As(err, &e) {
			t.Fatalf("err = %v (%T); want *modelarts.Error", err, err)
		}
		if strings.Contains(e.Message, secret[:8]) || !strings.Contains(e.Message, "got [REDACTED] aka [REDACTED]") {
			t.Errorf("with %q: the message is not redacted: %q", secret, e.Message)
		}
	}
}
