package emulator

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"
)

// grant is what a token allows, and what IAM says about it.
type grant struct {
	project string    // project ID, or "*"
	expires time.Time // zero: never
	// Set for tokens IAM issued (zero for those given in Options.Tokens).
	issued      time.Time
	projectName string
	user        string
	domain      string
}

// AccessKey is an access key pair the emulator accepts signatures from
// (Options.AccessKeys). Keys are account-wide: they may act on any project.
type AccessKey struct {
	// ID is the access key (AK).
	ID string
	// Secret is the secret key (SK).
	Secret string
	// SecurityToken, if set, marks a temporary key: requests must carry it
	// in X-Security-Token.
	SecurityToken string
}

// ExpireTokens makes every token issued by the emulator's IAM expired, as
// if a day had passed. Tokens given to Options.Tokens are not affected.
func (s *Server) ExpireTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	past := s.now().Add(-time.Second)
	for t, g := range s.tokens {
		if !g.expires.IsZero() {
			g.expires = past
			s.tokens[t] = g
		}
	}
}

// projectIDPattern is the shape of an IAM project ID. (inferred: the
// reference documents ModelArts.0210 "Invalid project ID." with HTTP 400
// without saying what makes one invalid.)
var projectIDPattern = regexp.MustCompile(`^[0-9a-f]{32}$`)

// authenticated checks the request's credentials, then the project ID,
// before calling next. A token in X-Auth-Token is checked first; without
// one, an SDK-HMAC-SHA256 Authorization header.
func (s *Server) authenticated(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		projectID := r.PathValue("project_id")
		var verr *vendorError
		switch auth := r.Header.Get("Authorization"); {
		case r.Header.Get("X-Auth-Token") != "":
			verr = s.checkToken(r.Header.Get("X-Auth-Token"), projectID)
		case strings.HasPrefix(auth, signAlgorithm+" "):
			verr = s.checkSignature(r, auth)
		default:
			verr = errNoAuthHeader
		}
		if verr == nil && !projectIDPattern.MatchString(projectID) {
			verr = errInvalidProjectID
		}
		if verr != nil {
			writeErrorFor(w, r, verr)
			return
		}
		next(w, r)
	}
}

func (s *Server) checkToken(token, projectID string) *vendorError {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tokens == nil {
		return nil // permissive: any token
	}
	g, ok := s.tokens[token]
	switch {
	case !ok:
		return errInvalidToken
	case !g.expires.IsZero() && !s.now().Before(g.expires):
		return errTokenExpired
	case g.project != "*" && g.project != projectID:
		return errProjectMismatch
	}
	return nil
}

// SDK-HMAC-SHA256, as the vendor's signing guide and SDKs define it. This is
// the emulator's own implementation, so that the facade's signer is checked
// against a second reading of the specification, not against itself.
const (
	signAlgorithm = "SDK-HMAC-SHA256"
	sdkDateLayout = "20060102T150405Z"
	maxClockSkew  = 15 * time.Minute
	maxSignedBody = 1 << 20
)

var (
	// "SDK-HMAC-SHA256 Access=AK, SignedHeaders=a;b, Signature=hex" or
	// "SDK-HMAC-SHA256 Credential=AK/scope, SignedHeaders=a;b, Signature=hex".
	authHeaderPattern = regexp.MustCompile(`^SDK-HMAC-SHA256 (Access|Credential)=([^,\s]+), SignedHeaders=([a-z0-9;_.-]+), Signature=([0-9a-f]{64})$`)
)

func (s *Server) checkSignature(r *http.Request, auth string) *vendorError {
	m := authHeaderPattern.FindStringSubmatch(auth)
	if m == nil {
		return errAuthHeaderFormat
	}
	form, credential, signedList, signature := m[1], m[2], m[3], m[4]
	ak, scope := credential, ""
	if form == "Credential" {
		var ok bool
		if ak, scope, ok = strings.Cut(credential, "/"); !ok {
			return errAuthHeaderFormat
		}
	}
	key, known := s.accessKeys[ak]
	if !known {
		return errInvalidAKSK
	}
	date := r.Header.Get("X-Sdk-Date")
	t, err := time.Parse(sdkDateLayout, date)
	if err != nil {
		return errAuthHeaderCheck
	}
	if skew := s.now().Sub(t); skew > maxClockSkew || skew < -maxClockSkew {
		return errAuthHeaderCheck
	}
	signed := strings.Split(signedList, ";")
	if !sort.StringsAreSorted(signed) || !slices.Contains(signed, "x-sdk-date") {
		return errAuthHeaderFormat
	}
	bodyHash, err := payloadHash(r)
	if err != nil {
		return errAuthHeaderFormat
	}
	cr := canonical(r, signed, bodyHash)
	crSum := sha256.Sum256([]byte(cr))
	var want []byte
	if form == "Access" {
		want = mac([]byte(key.Secret), signAlgorithm+"\n"+date+"\n"+hex.EncodeToString(crSum[:]))
	} else {
		parts := strings.Split(scope, "/")
		if len(parts) != 4 || parts[0] != date[:8] || parts[3] != "sdk_request" {
			return errAuthHeaderFormat
		}
		k := []byte("SDK" + key.Secret)
		for _, p := range parts {
			k = mac(k, p)
		}
		want = mac(k, signAlgorithm+"\n"+date+"\n"+scope+"\n"+hex.EncodeToString(crSum[:]))
	}
	got, _ := hex.DecodeString(signature)
	if !hmac.Equal(got, want) {
		return errInvalidAKSK
	}
	if key.SecurityToken != "" && r.Header.Get("X-Security-Token") != key.SecurityToken {
		return errInvalidAKSK
	}
	return nil
}

func mac(key []byte, msg string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(msg))
	return h.Sum(nil)
}

// payloadHash hashes the body (restoring it for the handler) unless the
// request declares an unsigned payload.
func payloadHash(r *http.Request) (string, error) {
	if r.Header.Get("X-Sdk-Content-Sha256") == "UNSIGNED-PAYLOAD" {
		return "UNSIGNED-PAYLOAD", nil
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxSignedBody))
	if err != nil {
		return "", err
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:]), nil
}

// canonical builds the canonical request from what arrived on the wire.
func canonical(r *http.Request, signed []string, bodyHash string) string {
	var b strings.Builder
	b.WriteString(r.Method + "\n")
	segs := strings.Split(r.URL.EscapedPath(), "/")
	for i, seg := range segs {
		if dec, err := url.PathUnescape(seg); err == nil {
			seg = dec
		}
		segs[i] = strictEscape(seg)
	}
	p := strings.Join(segs, "/")
	if !strings.HasSuffix(p, "/") {
		p += "/"
	}
	b.WriteString(p + "\n")
	q, _ := url.ParseQuery(r.URL.RawQuery)
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var pairs []string
	for _, k := range keys {
		vs := append([]string(nil), q[k]...)
		sort.Strings(vs)
		for _, v := range vs {
			pairs = append(pairs, strictEscape(k)+"="+strictEscape(v))
		}
	}
	b.WriteString(strings.Join(pairs, "&") + "\n")
	for _, h := range signed {
		v := r.Header.Get(h)
		if h == "host" {
			v = r.Host
		}
		b.WriteString(h + ":" + strings.TrimSpace(v) + "\n")
	}
	b.WriteString("\n" + strings.Join(signed, ";") + "\n" + bodyHash)
	return b.String()
}

// strictEscape percent-encodes everything but A-Z a-z 0-9 - _ . ~.
func strictEscape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || strings.IndexByte("-_.~", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteString("%" + strings.ToUpper(hex.EncodeToString([]byte{c})))
	}
	return b.String()
}
