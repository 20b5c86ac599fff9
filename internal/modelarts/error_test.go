package modelarts_test

import (
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/devenv-facade/devenv-facade/internal/modelarts"
)

func TestParseError_retryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		value string
		want  time.Duration
	}{
		{"", 0},
		{"0", 0},
		{"-5", 0},
		{"12", 12 * time.Second},
		{" 3 ", 3 * time.Second},
		{"999999999", time.Hour},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0},
		{"soon", 0},
	}
	for _, tt := range tests {
		h := http.Header{}
		if tt.value != "" {
			h.Set("Retry-After", tt.value)
		}
		e := modelarts.ParseError(429, h, []byte(`{"error_code":"ModelArts.6101","error_message":"busy"}`), "rid", now)
		if e.RetryAfter != tt.want {
			t.Errorf("Retry-After %q: RetryAfter = %v; want %v", tt.value, e.RetryAfter, tt.want)
		}
	}
}

func TestParseError_truncatesLongText(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("é", 5000)
	e := modelarts.ParseError(400, http.Header{}, []byte(`{"error_code":"ModelArts.6309","error_message":"`+long+`"}`), "rid", time.Now())
	if len(e.Message) > 1024 || !utf8.ValidString(e.Message) || e.Message == "" {
		t.Errorf("Message has %d bytes (valid UTF-8: %v); want a non-empty valid prefix of at most 1024", len(e.Message), utf8.ValidString(e.Message))
	}
}

// FuzzParseError checks that no answer, however malformed, makes ParseError
// panic or produce text that cannot travel in a protobuf string (ErrorInfo
// metadata must be valid UTF-8), holds control or invisible formatting
// characters, grows without bound, or repeats the secret it was given.
func FuzzParseError(f *testing.F) {
	f.Add(400, `{"error_code":"ModelArts.6309","error_message":"The instance does not exist."}`, "", "", "")
	f.Add(404, `{"error_code":"APIGW.0101","error_msg":"x","request_id":"r"}`, "rid", "5", "")
	f.Add(502, `<html>`, "", "Wed, 21 Oct 2015 07:28:00 GMT", "")
	f.Add(500, "{\"error_code\":\"\xff\x00\",\"error_message\":\"\\u0000\"}", "\xff", "-1", "")
	f.Add(401, `{"error_code":"ModelArts.0203","error_message":"token MIIEtok\u200ben-123 invalid"}`, "MIIEtoken-123", "", "MIIEtoken-123")
	f.Add(502, "<p>MIIEtoken-123\u202e</p>", "rid-MIIEtoken-123", "", "MIIEtoken-123")
	f.Fuzz(func(t *testing.T, status int, body, requestID, retryAfter, secret string) {
		h := http.Header{}
		h.Set("X-Request-Id", requestID)
		h.Set("Retry-After", retryAfter)
		e := modelarts.ParseError(status, h, []byte(body), "sent-id", time.Now(), secret)
		for name, s := range map[string]string{"Code": e.Code, "Message": e.Message, "RequestID": e.RequestID, "ContentType": e.ContentType, "Body": string(e.Body)} {
			if !utf8.ValidString(s) {
				t.Errorf("%s is not valid UTF-8: %q", name, s)
			}
			if len(s) > 1024 {
				t.Errorf("%s has %d bytes", name, len(s))
			}
			for _, r := range s {
				if unicode.Is(unicode.Cc, r) || unicode.Is(unicode.Cf, r) {
					t.Errorf("%s contains %U: %q", name, r, s)
				}
			}
			if len(secret) >= 8 && strings.Contains(s, secret) {
				t.Errorf("%s contains the secret %q: %q", name, secret, s)
			}
		}
		if e.RequestID == "" {
			t.Error("RequestID is empty; want at least the sent one")
		}
		if e.RetryAfter < 0 || e.RetryAfter > time.Hour {
			t.Errorf("RetryAfter = %v", e.RetryAfter)
		}
		if len(e.Body) > 512 {
			t.Errorf("Body keeps %d bytes", len(e.Body))
		}
		_ = e.Error()
	})
}
