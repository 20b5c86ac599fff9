package cloudauth_test

import (
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/devenv-facade/devenv-facade/internal/cloudauth"
)

// The published SDK-HMAC-SHA256 test vectors (API fact sheet, section 3.2).
func TestSigner_vectors(t *testing.T) {
	t.Parallel()
	const (
		guideAK = "QTWAOYTTINDUT2QVKYUC"
		guideSK = "MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc"
		vpcsURL = "https://service.region.example.com/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs?limit=2&marker=13551d6b-755d-4757-b956-536f674975c0"
		delURL  = "https://modelarts.eu-de.otc.t-systems.com/v1/0123456789abcdef0123456789abcdef/demanager/instances/DE-7d558ef8-c73d-11ea-964c-0255ac100033"
	)
	tests := []struct {
		name          string
		ak, sk        string
		form          cloudauth.SigningForm
		method, url   string
		body          string
		header        map[string]string
		signed        []string
		date          string
		wantCR        string // canonical request, when published
		wantCRHash    string // its SHA-256, when published
		wantAuthority string
	}{
		{
			name: "1_sdk_get", ak: "AccessKey", sk: "SecretKey", form: cloudauth.FormAccess,
			method: "GET", url: "https://example.huaweicloud.com/path?limit=1",
			header: map[string]string{"TEST_UNDERSCORE": "TEST_VALUE"},
			signed: []string{"x-sdk-date"}, date: "20060102T150405Z",
			wantCR:        "GET\n/path/\nlimit=1\nx-sdk-date:20060102T150405Z\n\nx-sdk-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
			wantAuthority: "SDK-HMAC-SHA256 Access=AccessKey, SignedHeaders=x-sdk-date, Signature=5a2ce64c865e0e6046321c6f3d5a77ba8413eeaf355c3166c03d58d02ac79624",
		},
		{
			name: "2_sdk_post_with_body", ak: "AccessKey", sk: "SecretKey", form: cloudauth.FormAccess,
			method: "POST", url: "https://example.huaweicloud.com/path?key=value", body: "{\"Name\":\"test\",\"Id\":1}\n",
			header: map[string]string{"TEST_UNDERSCORE": "TEST_VALUE", "Content-Type": "application/json"},
			signed: []string{"x-sdk-date"}, date: "20060102T150405Z",
			wantAuthority: "SDK-HMAC-SHA256 Access=AccessKey, SignedHeaders=x-sdk-date, Signature=cecc2af119b18ab70b4d094c0750f3b42c02f254903179a0fc2cc72fc9db4f59",
		},
		{
			name: "3_signing_guide_access", ak: guideAK, sk: guideSK, form: cloudauth.FormAccess,
			method: "GET", url: vpcsURL, header: map[string]string{"Content-Type": "application/json"},
			signed: []string{"content-type", "host", "x-sdk-date"}, date: "20191115T033655Z",
			wantCRHash:    "b25362e603ee30f4f25e7858e8a7160fd36e803bb2dfe206278659d71a9bcd7a",
			wantAuthority: "SDK-HMAC-SHA256 Access=QTWAOYTTINDUT2QVKYUC, SignedHeaders=content-type;host;x-sdk-date, Signature=7be6668032f70418fcc22abc52071e57aff61b84a1d2381bb430d6870f4f6ebe",
		},
		{
			name: "4_signing_guide_credential", ak: guideAK, sk: guideSK, form: cloudauth.FormCredential,
			method: "GET", url: vpcsURL, header: map[string]string{"Content-Type": "application/json"},
			signed: []string{"content-type", "host", "x-sdk-date"}, date: "20191115T033655Z",
			wantCRHash:    "b25362e603ee30f4f25e7858e8a7160fd36e803bb2dfe206278659d71a9bcd7a",
			wantAuthority: "SDK-HMAC-SHA256 Credential=QTWAOYTTINDUT2QVKYUC/20191115///sdk_request, SignedHeaders=content-type;host;x-sdk-date, Signature=a0f03b56828e2195f3f9f980a128ed757130504ee958dc210add06e9df89f227",
		},
		{
			name: "5_delete_instance_credential", ak: guideAK, sk: guideSK, form: cloudauth.FormCredential,
			method: "DELETE", url: delURL, header: map[string]string{"Content-Type": "application/json"},
			signed: []string{"content-type", "host", "x-sdk-date"}, date: "20191115T033655Z",
			wantCRHash:    "89815966a81d9c22dd54dde9445ca3602015c7fed7a66528584012e5b6a8c63b",
			wantAuthority: "SDK-HMAC-SHA256 Credential=QTWAOYTTINDUT2QVKYUC/20191115///sdk_request, SignedHeaders=content-type;host;x-sdk-date, Signature=3d4db8cd829dd0324910f5138ec508a89e52d521c11be1956075552b84c87de7",
		},
		{
			name: "5_delete_instance_access", ak: guideAK, sk: guideSK, form: cloudauth.FormAccess,
			method: "DELETE", url: delURL, header: map[string]string{"Content-Type": "application/json"},
			signed: []string{"content-type", "host", "x-sdk-date"}, date: "20191115T033655Z",
			wantCRHash:    "89815966a81d9c22dd54dde9445ca3602015c7fed7a66528584012e5b6a8c63b",
			wantAuthority: "SDK-HMAC-SHA256 Access=QTWAOYTTINDUT2QVKYUC, SignedHeaders=content-type;host;x-sdk-date, Signature=404ea51e128690dcbc68cbd7251d668d78f339fd51e1abc1d3a30e7b56728ecf",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body *strings.Reader
			req, err := http.NewRequest(tt.method, tt.url, nil)
			if tt.body != "" {
				body = strings.NewReader(tt.body)
				req, err = http.NewRequest(tt.method, tt.url, body)
			}
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range tt.header {
				req.Header[k] = []string{v} // as given, even non-canonical names
			}
			date, err := time.Parse("20060102T150405Z", tt.date)
			if err != nil {
				t.Fatal(err)
			}
			s, err := cloudauth.NewSigner(tt.ak, tt.sk, tt.form, "", "")
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Sign(req, tt.signed, date); err != nil {
				t.Fatal(err)
			}
			if got := req.Header.Get("X-Sdk-Date"); got != tt.date {
				t.Errorf("X-Sdk-Date = %q; want %q", got, tt.date)
			}
			if got := req.Header.Get("Authorization"); got != tt.wantAuthority {
				t.Errorf("Authorization =\n  %s\nwant\n  %s", got, tt.wantAuthority)
			}
			bodySum := sha256.Sum256([]byte(tt.body))
			cr := cloudauth.CanonicalRequest(req, tt.signed, hex.EncodeToString(bodySum[:]))
			if tt.wantCR != "" && cr != tt.wantCR {
				t.Errorf("canonical request =\n%q\nwant\n%q", cr, tt.wantCR)
			}
			if tt.wantCRHash != "" {
				sum := sha256.Sum256([]byte(cr))
				if got := hex.EncodeToString(sum[:]); got != tt.wantCRHash {
					t.Errorf("hash(canonical request) = %s; want %s\n%s", got, tt.wantCRHash, cr)
				}
			}
			if body != nil && body.Len() != len(tt.body) {
				t.Error("signing consumed the request body")
			}
		})
	}
}

func TestCanonicalRequest_rules(t *testing.T) {
	t.Parallel()
	req, err := http.NewRequest("GET", "https://h.example/a%20b/c~d/%C3%A9?b=2&a=y&a=x&e=&s=a+b&t=%2F", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Sdk-Date", "20200101T000000Z")
	req.Header.Set("X-Custom", "  padded value  ")
	got := cloudauth.CanonicalRequest(req, []string{"host", "x-custom", "x-sdk-date"}, "HASH")
	want := "GET\n/a%20b/c~d/%C3%A9/\na=x&a=y&b=2&e=&s=a%20b&t=%2F\nhost:h.example\nx-custom:padded value\nx-sdk-date:20200101T000000Z\n\nhost;x-custom;x-sdk-date\nHASH"
	if got != want {
		t.Errorf("canonical request =\n%q\nwant\n%q", got, want)
	}
}

func TestSigner_neverPrintsKeys(t *testing.T) {
	t.Parallel()
	s, err := cloudauth.NewSigner("AK-VISIBLE?", "SK-SECRET", cloudauth.FormAccess, "", "")
	if err != nil {
		t.Fatal(err)
	}
	a := cloudauth.NewAKSK(s, "ST-SECRET")
	iam, err := cloudauth.NewIAMPassword(nil, cloudauth.IAMConfig{Endpoint: "https://iam.example/v3", Username: "u", Password: "PW-SECRET", DomainName: "d", ProjectName: "p"})
	if err != nil {
		t.Fatal(err)
	}
	cfg := cloudauth.Config{Token: "TOK-SECRET", SecretKey: "SK-SECRET", IAM: cloudauth.IAMConfig{Password: "PW-SECRET"}}
	for _, v := range []any{s, a, *s, *a, cloudauth.Token("TOK-SECRET"), iam, cfg, &cfg, cfg.IAM,
		cloudauth.Cloud{SK: "SK-SECRET", Auth: cloudauth.CloudAuth{Password: "PW-SECRET"}}, []any{cfg, a}} {
		for _, f := range []string{"%v", "%+v", "%#v", "%s", "%d", "%x", "%q"} {
			if out := sprintf(f, v); strings.Contains(out, "SECRET") || strings.Contains(out, "AK-VISIBLE") {
				t.Errorf("%s of %T prints a key: %s", f, v, out)
			}
		}
	}
	if _, err := cloudauth.NewSigner("ak", "", "", "", ""); err == nil {
		t.Error("NewSigner without a secret key succeeded")
	}
	if _, err := cloudauth.NewSigner("ak", "sk", "sideways", "", ""); err == nil {
		t.Error("NewSigner with an unknown form succeeded")
	}
}

func TestSecretsNeverLogged(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	logger := slog.New(slog.NewJSONHandler(&b, nil))
	s, _ := cloudauth.NewSigner("AK-SECRET", "SK-SECRET", "", "", "")
	cfg := cloudauth.Config{Token: "TOK-SECRET", SecretKey: "SK-SECRET", IAM: cloudauth.IAMConfig{Password: "PW-SECRET"}}
	logger.Info("x", "signer", s, "aksk", cloudauth.NewAKSK(s, "ST-SECRET"), "token", cloudauth.Token("TOK-SECRET"),
		"cfg", cfg, "iam", cfg.IAM, "cloud", cloudauth.Cloud{SK: "SK-SECRET"})
	if strings.Contains(b.String(), "SECRET") {
		t.Errorf("a secret reached the log: %s", b.String())
	}
}
