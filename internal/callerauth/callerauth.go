// Package callerauth decides who may call the facade and on which projects.
//
// Callers are listed in a YAML file (JSON is valid YAML):
//
//	callers:
//	  - name: alice
//	    token_sha256: 2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b
//	    projects: ["0123456789abcdef0123456789abcdef"]
//	  - name: batch
//	    client_cert_names: ["batch.internal.example"]
//	    projects: ["*"]
//	  - name: dashboard
//	    token_sha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
//	    read_only_projects: ["*"]
//
// A caller proves who it is with a bearer token ("authorization: Bearer
// <token>" metadata over gRPC, the Authorization header over REST) whose
// SHA-256 is in the file, or with a verified TLS client certificate whose
// common name, DNS name or URI is in client_cert_names. The file holds only
// hashes, never tokens. projects lists the project IDs the caller may read
// and change; read_only_projects those it may only read (list and get: the
// RPCs whose proto declares access ACCESS_READ, see package rpcdecl); "*"
// means every project. An RPC that reads every user's resources in a
// project (ACCESS_READ_ALL_USERS, such as listing every user's notebooks)
// needs the project in projects. An RPC on no project may be called by
// any caller if it only reads (server reflection), else only by callers
// with projects ["*"]; so may an RPC whose proto declares nothing: it fails
// closed for callers limited to some projects.
//
// [Authenticator] enforces the file in front of every RPC: no valid
// identity gives UNAUTHENTICATED; a project outside the caller's lists, a
// change in a project it may only read, or an RPC the caller may not make
// by its declaration gives PERMISSION_DENIED before anything reaches
// ModelArts. A call signed with an access key
// (SDK-HMAC-SHA256) is refused: the facade cannot verify the signature and
// never forwards one. Calls that bring their own IAM token instead of an
// identity from the file (token holders) are refused, or admitted to run on
// that token alone, as Options.TokenHolders says. The file is re-read
// when its content changes ([Authenticator.Watch]) or on request
// ([Authenticator.Reload], for SIGHUP); a broken file never replaces a good
// one.
//
// Configuration follows package options: [Options] is a struct whose zero
// fields mean their defaults, which Load fills in and checks in one
// place.
package callerauth

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/peer"

	"github.com/devenv-facade/devenv-facade/internal/callctx"
	"github.com/devenv-facade/devenv-facade/internal/clock"
	"github.com/devenv-facade/devenv-facade/internal/options"
	"github.com/devenv-facade/devenv-facade/internal/rpcdecl"
	"github.com/devenv-facade/devenv-facade/internal/smallfile"
)

// Caller is an authenticated caller.
type Caller struct {
	// Name is the caller's name from the file, for logs, or
	// [callctx.TokenHolder].
	Name     string
	projects map[string]bool // read and change
	all      bool
	readOnly map[string]bool // read only
	readAll  bool
	// holder marks a caller admitted on its own IAM token alone.
	holder bool
	// vouched is, for a token holder whose token IAM had accepted when
	// the call arrived, the token's SHA-256.
	vouched string
}

// TokenHolder reports whether the caller was admitted on its own IAM token
// alone (see [TokenHolderPolicy]) rather than by the callers file.
func (c *Caller) TokenHolder() bool { return c.holder }

// MayAccess reports whether the caller may read and change projectID.
func (c *Caller) MayAccess(projectID string) bool {
	return c.all || c.projects[projectID]
}

// MayRead reports whether the caller may read projectID.
func (c *Caller) MayRead(projectID string) bool {
	return c.MayAccess(projectID) || c.readAll || c.readOnly[projectID]
}

var (
	hashPattern    = regexp.MustCompile(`^[0-9a-f]{64}$`)
	projectPattern = regexp.MustCompile(`^[0-9a-f]{32}$`)
)

// Authenticator authenticates callers against a callers file and keeps it
// current. It is safe for concurrent use.
type Authenticator struct {
	path     string
	logger   *slog.Logger
	clock    clock.Clock
	holders  tokenHolders    // the policy for token holders
	onReload func(err error) // nil: no one is told of reloads
	policy   atomic.Pointer[policy]

	mu        sync.Mutex        // serialises reloads
	seen      [sha256.Size]byte // the content in force; zeroed by a failure, so that any good content is installed and heard of
	seenMode  fs.FileMode
	failed    string // what the last failed check failed on (content hash or error text); "" after a success
	failedErr error  // and its error

	refusals refusalLog
	// rpcs declares what each RPC acts on and whether it only reads:
	// rpcdecl.Served(), or a test's.
	rpcs *rpcdecl.Table
}

// Options configures an [Authenticator]. The zero value of every field
// means its default (package options): token holders refused, nothing
// logged, the system clock.
type Options struct {
	// Logger receives the reloads, the refused calls (sampled) and a
	// warning when others than the owner may write the file. Nil discards
	// them.
	Logger *slog.Logger
	// OnReload, if set, is told of every reload of the callers file after
	// Load: one that installed a changed file (err nil) or failed (the
	// previous callers stay in force). Checks that found the content
	// unchanged are not reloads.
	OnReload func(err error)
	// TokenHolders is the policy for callers who bring only their own IAM
	// token (see [TokenHolderPolicy]); zero refuses them.
	TokenHolders TokenHolderPolicy
	// TokenValidator checks token holders' tokens with IAM (an
	// *iamtoken.Validator). Required with ValidateTokenHolders, refused
	// with the other policies.
	TokenValidator TokenValidator
	// Clock paces the log lines of refused calls. Nil means the system
	// clock.
	Clock clock.Clock
}

// validate refuses options an Authenticator cannot use.
func (o Options) validate() error {
	switch {
	case o.TokenHolders < RefuseTokenHolders || o.TokenHolders > ValidateTokenHolders:
		return options.Errorf("callerauth", "{TokenHolders}: unknown token-holder policy %d", int(o.TokenHolders))
	case o.TokenHolders == ValidateTokenHolders && o.TokenValidator == nil:
		return options.Errorf("callerauth", "{TokenHolders} validate needs a {TokenValidator} (an IAM endpoint)")
	case o.TokenHolders != ValidateTokenHolders && o.TokenValidator != nil:
		return options.Errorf("callerauth", "a {TokenValidator} is only used with {TokenHolders} validate, not %s", o.TokenHolders)
	}
	return nil
}

// Load reads the callers file at path. It fails if the file is missing or
// invalid (the facade must not start with caller authentication half-on),
// or on options it cannot use (an *options.Error naming them). It warns
// (on opts.Logger) when others than the owner may write the file.
func Load(path string, opts Options) (*Authenticator, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	a := &Authenticator{path: path, logger: opts.Logger, clock: clock.Or(opts.Clock), onReload: opts.OnReload, rpcs: rpcdecl.Served(),
		holders: tokenHolders{policy: opts.TokenHolders, validator: opts.TokenValidator}}
	if _, err := a.load(true); err != nil {
		return nil, err
	}
	return a, nil
}

// maxFileSize bounds the callers file: a caller takes one line or a few,
// so this is room for thousands.
const maxFileSize = 1 << 20

// outcome is what a check of the file did.
type outcome int

const (
	unchanged   outcome = iota // the content is the one in force
	installed                  // a new policy is in force
	failed                     // the file cannot be read or is invalid
	failedAgain                // as the check before, on the same content
)

// load reads the file, and installs it if its content changed (or if
// force). The content is compared, not the modification time or size: a
// file replaced with one of the same size and time (cp -p, rsync -t, tar)
// is still seen. A failure on the content (or with the error) the last
// check failed on is failedAgain, unless force.
func (a *Authenticator) load(force bool) (outcome, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	raw, err := smallfile.Read(a.path, maxFileSize)
	if err != nil {
		err = fmt.Errorf("callers file: %w", err)
		return a.fail(force, "read: "+err.Error(), err)
	}
	a.checkMode()
	sum := sha256.Sum256(raw)
	if !force && sum == a.seen {
		return unchanged, nil
	}
	key := "content: " + hex.EncodeToString(sum[:])
	if !force && key == a.failed {
		return failedAgain, a.failedErr
	}
	p, err := parse(raw)
	if err != nil {
		return a.fail(force, key, fmt.Errorf("callers file %s: %w", a.path, err))
	}
	a.seen, a.failed, a.failedErr = sum, "", nil
	a.policy.Store(p)
	if len(p.entries) == 0 {
		a.logger.Warn("the callers file lists no callers: every call will be refused", slog.String("path", a.path))
	}
	return installed, nil
}

// fail records a failed check, on key (the content, or what kept it from
// being read), and says whether it is news. The content in force is
// forgotten, so that the file's next good content, even the same as before
// the failure, is installed and reported. a.mu is held.
func (a *Authenticator) fail(force bool, key string, err error) (outcome, error) {
	again := !force && key == a.failed
	a.failed, a.failedErr, a.seen = key, err, [sha256.Size]byte{}
	if again {
		return failedAgain, err
	}
	return failed, err
}

// checkMode warns, on every check but once per mode, when group or others
// may write the callers file: whoever can write it can grant themselves
// any project. a.mu is held.
func (a *Authenticator) checkMode() {
	fi, err := os.Stat(a.path)
	if err != nil || fi.Mode() == a.seenMode {
		return
	}
	a.seenMode = fi.Mode()
	if fi.Mode().Perm()&0o022 != 0 {
		a.logger.Warn("the callers file is writable by others than its owner: anyone who can write it can grant themselves access; chmod go-w it",
			slog.String("path", a.path), slog.String("mode", fi.Mode().Perm().String()))
	}
}

// Count returns how many callers the file in force lists.
func (a *Authenticator) Count() int { return len(a.policy.Load().entries) }

// HasCertificateCallers reports whether any caller in force is identified
// by client certificate names.
func (a *Authenticator) HasCertificateCallers() bool {
	for _, e := range a.policy.Load().entries {
		if len(e.certNames) > 0 {
			return true
		}
	}
	return false
}

// Reload re-reads the file now. If it is invalid, the current callers stay
// in force and the error is returned (and logged, and reported to the
// reload observer, every time: a reload is asked for).
func (a *Authenticator) Reload() error {
	o, err := a.load(true)
	a.logReload(o, err)
	return err
}

// Check re-reads the file and installs it if its content changed. If it
// cannot be read or is invalid, the current callers stay in force and the
// error is returned; it is logged (at ERROR) and reported to the reload
// observer once, not again on every check while the content (or, if the
// file cannot be read, the error) stays the same. A changed or repaired
// file is logged again.
func (a *Authenticator) Check() error {
	o, err := a.load(false)
	a.logReload(o, err)
	return err
}

// Watch calls [Authenticator.Check] on every tick until ctx is done; pass
// a time.Ticker's channel.
func (a *Authenticator) Watch(ctx context.Context, ticks <-chan time.Time) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticks:
			_ = a.Check()
		}
	}
}

func (a *Authenticator) logReload(o outcome, err error) {
	if observe := a.onReload; observe != nil && (o == installed || o == failed) {
		observe(err)
	}
	switch o {
	case failed:
		a.logger.Error("cannot reload the callers file; keeping the callers loaded before (logged again when the file changes)", slog.Any("error", err))
	case installed:
		a.logger.Info("reloaded the callers file", slog.String("path", a.path), slog.Int("callers", a.Count()))
	}
}

// The reasons Authenticate refuses a call.
var (
	ErrNoCredentials      = errors.New("no bearer token and no client certificate listed in the callers file")
	ErrUnknownCredentials = errors.New("the bearer token is not listed in the callers file")
	ErrMalformedBearer    = errors.New(`the authorization header is not "Bearer <token>"`)
	// ErrSignedRequest: the call is signed with an access key
	// (Authorization: SDK-HMAC-SHA256 ...), which the facade neither
	// verifies nor forwards.
	ErrSignedRequest = errors.New("the request is signed with an access key (AK/SK)")
)

// Authenticate identifies the caller from a bearer token (authorization,
// one value, "Bearer <token>") or, failing that, a verified client
// certificate in ctx's peer.
func (a *Authenticator) Authenticate(ctx context.Context, authorization []string) (*Caller, error) {
	return a.authenticate(authorization, verifiedClientCert(ctx))
}

// authenticate identifies the caller from the authorization values or,
// failing that, cert (nil if none).
func (a *Authenticator) authenticate(authorization []string, cert *x509.Certificate) (*Caller, error) {
	p := a.policy.Load()
	if len(authorization) > 0 {
		for _, v := range authorization {
			if _, signed := callctx.SignatureScheme(v); signed {
				return nil, ErrSignedRequest
			}
		}
		if len(authorization) != 1 {
			return nil, ErrMalformedBearer
		}
		scheme, token, ok := strings.Cut(authorization[0], " ")
		token = strings.TrimSpace(token)
		if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
			return nil, ErrMalformedBearer
		}
		if c := p.byToken(token); c != nil {
			return c, nil
		}
		return nil, ErrUnknownCredentials
	}
	if cert != nil {
		if c := p.byCertificate(cert); c != nil {
			return c, nil
		}
	}
	return nil, ErrNoCredentials
}

// verifiedClientCert returns the peer's verified leaf certificate, if any.
func verifiedClientCert(ctx context.Context) *x509.Certificate {
	pr, ok := peer.FromContext(ctx)
	if !ok {
		return nil
	}
	info, ok := pr.AuthInfo.(credentials.TLSInfo)
	if !ok {
		return nil
	}
	return leaf(&info.State)
}

// leaf returns the verified leaf certificate of a TLS connection, if any.
func leaf(state *tls.ConnectionState) *x509.Certificate {
	if state == nil || len(state.VerifiedChains) == 0 || len(state.VerifiedChains[0]) == 0 {
		return nil
	}
	return state.VerifiedChains[0][0]
}
