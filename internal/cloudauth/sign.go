package cloudauth

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/devenv-facade/devenv-facade/internal/clock"
	"github.com/devenv-facade/devenv-facade/internal/modelarts"
)

// SigningForm selects the layout of the SDK-HMAC-SHA256 Authorization
// header. Both sign the same canonical request; they differ in the key and
// the string to sign.
type SigningForm string

// The two wire forms of SDK-HMAC-SHA256.
const (
	// FormCredential is "Credential={AK}/{date}/{region}/{service}/sdk_request":
	// the key is derived from the secret key through the date, region and
	// service, as gophertelekomcloud does, which is proven on Open Telekom
	// Cloud. It is the default.
	FormCredential SigningForm = "credential"
	// FormAccess is "Access={AK}": the secret key signs directly, as in
	// Huawei Cloud's SDKs and API signing guide.
	FormAccess SigningForm = "access"
)

// Header names and constants of SDK-HMAC-SHA256.
const (
	signAlgorithm       = "SDK-HMAC-SHA256"
	headerSdkDate       = "X-Sdk-Date"
	headerSecurityToken = "X-Security-Token"
	headerContentSHA256 = "X-Sdk-Content-Sha256"
	headerAuthorization = "Authorization"
	unsignedPayload     = "UNSIGNED-PAYLOAD"
	sdkDateLayout       = "20060102T150405Z"
	scopeTerminator     = "sdk_request"
)

// Signer computes SDK-HMAC-SHA256 signatures. It holds the secret key; its
// String and GoString methods never print it.
type Signer struct {
	accessKey string
	secretKey string
	form      SigningForm
	region    string // scope of FormCredential; empty by default, as gophertelekomcloud sends
	service   string
}

// NewSigner returns a signer for the access key / secret key pair. region
// and service only enter FormCredential's scope; leave them empty for
// Open Telekom Cloud.
func NewSigner(accessKey, secretKey string, form SigningForm, region, service string) (*Signer, error) {
	if accessKey == "" || secretKey == "" {
		return nil, errors.New("cloudauth: AK/SK signing needs both an access key and a secret key")
	}
	switch form {
	case "":
		form = FormCredential
	case FormCredential, FormAccess:
	default:
		return nil, fmt.Errorf("cloudauth: unknown signing form %q (want %q or %q)", form, FormCredential, FormAccess)
	}
	return &Signer{accessKey: accessKey, secretKey: secretKey, form: form, region: region, service: service}, nil
}

// String describes the signer without its keys.
func (s Signer) String() string { return fmt.Sprintf("SDK-HMAC-SHA256 signer (%s form)", s.form) }

// Format prints String whatever the verb: no formatting shows the keys.
func (s Signer) Format(f fmt.State, _ rune) { redact(f, s.String()) }

// LogValue logs String: slog must not print the keys either.
func (s Signer) LogValue() slog.Value { return slog.StringValue(s.String()) }

// Sign sets X-Sdk-Date (from now) and Authorization on req, signing the
// headers named in signedHeaders (case-insensitive; "host" is taken from
// req.Host or the URL) and the body. The body is read through req.GetBody,
// so req.Body is left unread; a request with a body but no GetBody is an
// error. A header X-Sdk-Content-Sha256: UNSIGNED-PAYLOAD leaves the body out
// of the signature.
func (s *Signer) Sign(req *http.Request, signedHeaders []string, now time.Time) error {
	bodyHash, err := hashBody(req)
	if err != nil {
		return err
	}
	date := now.UTC().Format(sdkDateLayout)
	req.Header.Set(headerSdkDate, date)
	names := normalizeHeaderNames(signedHeaders)
	cr := CanonicalRequest(req, names, bodyHash)
	crHash := sha256.Sum256([]byte(cr))
	var sig []byte
	var credential string
	switch s.form {
	case FormAccess:
		sts := signAlgorithm + "\n" + date + "\n" + hex.EncodeToString(crHash[:])
		sig = hmacSHA256([]byte(s.secretKey), sts)
		credential = "Access=" + s.accessKey
	default:
		day := date[:8]
		scope := day + "/" + s.region + "/" + s.service + "/" + scopeTerminator
		key := hmacSHA256([]byte("SDK"+s.secretKey), day)
		key = hmacSHA256(key, s.region)
		key = hmacSHA256(key, s.service)
		key = hmacSHA256(key, scopeTerminator)
		sts := signAlgorithm + "\n" + date + "\n" + scope + "\n" + hex.EncodeToString(crHash[:])
		sig = hmacSHA256(key, sts)
		credential = "Credential=" + s.accessKey + "/" + scope
	}
	req.Header.Set(headerAuthorization, fmt.Sprintf("%s %s, SignedHeaders=%s, Signature=%s",
		signAlgorithm, credential, strings.Join(names, ";"), hex.EncodeToString(sig)))
	return nil
}

func hmacSHA256(key []byte, msg string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}

// hashBody returns the lowercase hex SHA-256 of the request body, or
// UNSIGNED-PAYLOAD when the request says so.
func hashBody(req *http.Request) (string, error) {
	if req.Header.Get(headerContentSHA256) == unsignedPayload {
		return unsignedPayload, nil
	}
	var body []byte
	if req.Body != nil && req.Body != http.NoBody {
		if req.GetBody == nil {
			return "", errors.New("cloudauth: cannot sign a request body without GetBody")
		}
		rc, err := req.GetBody()
		if err != nil {
			return "", fmt.Errorf("cloudauth: reading the body to sign: %w", err)
		}
		defer rc.Close()
		if body, err = io.ReadAll(rc); err != nil {
			return "", fmt.Errorf("cloudauth: reading the body to sign: %w", err)
		}
	}
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:]), nil
}

func normalizeHeaderNames(names []string) []string {
	out := make([]string, 0, len(names))
	for _, n := range names {
		out = append(out, strings.ToLower(strings.TrimSpace(n)))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// CanonicalRequest returns the SDK-HMAC-SHA256 canonical request of req:
//
//	METHOD \n CanonicalURI \n CanonicalQuery \n CanonicalHeaders \n SignedHeaders \n BodyHash
//
// signedHeaders must be lowercase and sorted. It is exported so that tests
// can compare it with published vectors.
func CanonicalRequest(req *http.Request, signedHeaders []string, bodyHash string) string {
	var b strings.Builder
	b.WriteString(req.Method)
	b.WriteByte('\n')
	b.WriteString(canonicalURI(req.URL))
	b.WriteByte('\n')
	b.WriteString(canonicalQuery(req.URL.RawQuery))
	b.WriteByte('\n')
	for _, name := range signedHeaders {
		b.WriteString(name)
		b.WriteByte(':')
		b.WriteString(strings.TrimSpace(headerValue(req, name)))
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	b.WriteString(strings.Join(signedHeaders, ";"))
	b.WriteByte('\n')
	b.WriteString(bodyHash)
	return b.String()
}

func headerValue(req *http.Request, name string) string {
	if name == "host" {
		if req.Host != "" {
			return req.Host
		}
		return req.URL.Host
	}
	return req.Header.Get(name)
}

// canonicalURI escapes each path segment strictly (RFC 3986 unreserved
// characters stay) and ends the path with "/".
func canonicalURI(u *url.URL) string {
	segs := strings.Split(u.EscapedPath(), "/")
	for i, s := range segs {
		if dec, err := url.PathUnescape(s); err == nil {
			s = dec
		}
		segs[i] = modelarts.EscapePathSegment(s)
	}
	p := strings.Join(segs, "/")
	if !strings.HasSuffix(p, "/") {
		p += "/"
	}
	return p
}

// canonicalQuery sorts the parameters by key, and each key's values, and
// escapes both strictly; "k=" is kept for empty values.
func canonicalQuery(raw string) string {
	if raw == "" {
		return ""
	}
	q, _ := url.ParseQuery(raw) // a malformed pair is skipped, as servers do
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b bytes.Buffer
	for _, k := range keys {
		vals := slices.Clone(q[k])
		slices.Sort(vals)
		for _, v := range vals {
			if b.Len() > 0 {
				b.WriteByte('&')
			}
			b.WriteString(modelarts.EscapePathSegment(k))
			b.WriteByte('=')
			b.WriteString(modelarts.EscapePathSegment(v))
		}
	}
	return b.String()
}

// AKSK authenticates requests by signing them with an access key and a
// secret key (and, for temporary keys, a security token). It implements
// [modelarts.Credentials].
type AKSK struct {
	signer        *Signer
	securityToken string
	clock         clock.Clock // dates the signatures (X-Sdk-Date)
}

// NewAKSK returns AK/SK credentials that date their signatures by the
// system clock ([New] with a [Config] of KindAKSK takes Config.Clock).
// securityToken is sent as X-Security-Token for temporary keys and may be
// empty.
func NewAKSK(signer *Signer, securityToken string) *AKSK {
	return &AKSK{signer: signer, securityToken: securityToken, clock: clock.Real()}
}

// Secrets returns the access key, the secret key and the security token,
// so that the modelarts client can redact them from upstream error text
// ([modelarts.SecretCredentials]).
func (a *AKSK) Secrets() []string {
	return []string{a.signer.accessKey, a.signer.secretKey, a.securityToken}
}

// String describes the credentials without any key.
func (a AKSK) String() string {
	if a.securityToken != "" {
		return "AK/SK signing with a security token (" + string(a.signer.form) + " form)"
	}
	return "AK/SK signing (" + string(a.signer.form) + " form)"
}

// Format prints String whatever the verb.
func (a AKSK) Format(f fmt.State, _ rune) { redact(f, a.String()) }

// LogValue logs String.
func (a AKSK) LogValue() slog.Value { return slog.StringValue(a.String()) }

// Authenticate signs req. It signs Host, X-Sdk-Date and, when present,
// Content-Type, X-Project-Id and X-Security-Token.
func (a *AKSK) Authenticate(_ context.Context, req *http.Request) error {
	if a.securityToken != "" {
		req.Header.Set(headerSecurityToken, a.securityToken)
	}
	signed := []string{"host", "x-sdk-date"}
	for _, h := range []string{"Content-Type", "X-Project-Id", headerSecurityToken} {
		if req.Header.Get(h) != "" {
			signed = append(signed, strings.ToLower(h))
		}
	}
	return a.signer.Sign(req, signed, a.clock.Now())
}
