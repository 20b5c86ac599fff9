package callerauth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"

	"github.com/devenv-facade/devenv-facade/internal/apierror"
	"github.com/devenv-facade/devenv-facade/internal/callctx"
	"github.com/devenv-facade/devenv-facade/internal/iamtoken"
	"github.com/devenv-facade/devenv-facade/internal/rpcdecl"
	"github.com/devenv-facade/devenv-facade/internal/scrub"
)

// TokenHolderPolicy says what becomes of a call that proves no identity
// the callers file knows (no bearer token, no listed client certificate)
// but carries its own IAM token: x-auth-token metadata over gRPC, the
// X-Auth-Token header over REST, as every ModelArts client sends. Such a
// caller is a token holder.
//
// A token holder that is admitted runs as [callctx.TokenHolder] and only
// on its own token: the call's identity says TokenOnly, and the service
// then never uses the facade's credentials for it. The facade adds no
// privilege to the token, so ModelArts alone decides what it may do.
type TokenHolderPolicy int

const (
	// RefuseTokenHolders refuses token holders with UNAUTHENTICATED, like
	// any call without an identity from the callers file.
	RefuseTokenHolders TokenHolderPolicy = iota
	// ForwardTokenHolders admits them on every project; ModelArts judges
	// their token.
	ForwardTokenHolders
	// ValidateTokenHolders admits them once IAM has confirmed that the
	// token is valid and scoped to the request's project (see package
	// iamtoken); a token IAM refuses is UNAUTHENTICATED
	// (CALLER_TOKEN_REJECTED), one for another project PERMISSION_DENIED
	// (PROJECT_NOT_PERMITTED), both before anything is sent to ModelArts.
	ValidateTokenHolders
)

// tokenHolderPolicyNames are the policies' names, in order.
var tokenHolderPolicyNames = []string{"refuse", "forward", "validate"}

// TokenHolderPolicies lists the names [ParseTokenHolderPolicy] accepts.
func TokenHolderPolicies() []string { return append([]string(nil), tokenHolderPolicyNames...) }

// String returns the policy's name: "refuse", "forward" or "validate".
func (p TokenHolderPolicy) String() string {
	if p < 0 || int(p) >= len(tokenHolderPolicyNames) {
		return fmt.Sprintf("TokenHolderPolicy(%d)", int(p))
	}
	return tokenHolderPolicyNames[p]
}

// ParseTokenHolderPolicy returns the policy named s.
func ParseTokenHolderPolicy(s string) (TokenHolderPolicy, error) {
	for i, n := range tokenHolderPolicyNames {
		if s == n {
			return TokenHolderPolicy(i), nil
		}
	}
	return 0, fmt.Errorf("unknown token-holder policy %q (want %s)", s, strings.Join(tokenHolderPolicyNames, ", "))
}

// TokenValidator checks a token holder's token with IAM; an
// *iamtoken.Validator is one. Its errors match iamtoken.ErrRejected for a
// token IAM refuses.
type TokenValidator interface {
	Validate(ctx context.Context, token string) (iamtoken.Scope, error)
	// Accepted reports, without asking IAM and at once, whether IAM has
	// accepted the token whose key ([iamtoken.KeyOf]) is key before and
	// that answer still holds.
	Accepted(key iamtoken.Key) bool
}

// busyRetryDelay is the RetryInfo of a call refused because too many
// tokens are being checked with IAM: as long as the facade asks any caller
// it sheds to wait.
const busyRetryDelay = time.Second

// tokenHolders is the policy in force.
type tokenHolders struct {
	policy    TokenHolderPolicy
	validator TokenValidator
}

// TokenHolders returns the policy for token holders in force.
func (a *Authenticator) TokenHolders() TokenHolderPolicy { return a.holders.policy }

// TokenValidator returns the validator of token holders' tokens, or nil
// unless the policy is ValidateTokenHolders.
func (a *Authenticator) TokenValidator() TokenValidator { return a.holders.validator }

// tokenHolder is the caller every admitted token holder is.
var tokenHolder = &Caller{Name: callctx.TokenHolder, all: true, holder: true}

// holderMayCall reports whether a token holder may call rpc: an RPC
// declared to act on a project, which the holder's token must be good
// for; or one declared to act on no project and only read (server
// reflection, which describes the API's schema, the same for every
// caller, and sends nothing to ModelArts).
func holderMayCall(rpc *rpcdecl.RPC) bool {
	return rpc.NamesProject() || rpc.NamesNoProject() && rpc.ReadOnly() && !rpc.ReadsAllUsers()
}

// admitHolder decides on a call that authenticate refused for lack of
// credentials (refusal, ErrNoCredentials): it admits it as the token
// holder if the policy allows token holders, the call is one a token
// holder may make ([holderMayCall]: method, a full gRPC method name; ""
// for a REST call, which is always one of the API's) and it carries a token (tokens,
// the x-auth-token values); one whose token IAM has accepted before
// (validate) is marked as vouched for, by the token's SHA-256
// ([StandingOf]). It returns the refusal, told what the caller lacks,
// otherwise.
func (a *Authenticator) admitHolder(refusal error, method string, tokens []string) (*Caller, error) {
	if a.holders.policy == RefuseTokenHolders {
		return nil, refusal
	}
	switch {
	case len(tokens) == 0 || tokens[0] == "":
		return nil, fmt.Errorf("%w, and no X-Auth-Token of its own", refusal)
	case method != "" && !holderMayCall(a.rpcs.Lookup(method)):
		return nil, fmt.Errorf("%w; a caller with only its own X-Auth-Token may call the API's methods and server reflection only", refusal)
	}
	if v := a.holders.validator; v != nil && callctx.CheckAuthToken(tokens[0]) == nil {
		if key := iamtoken.KeyOf(tokens[0]); v.Accepted(key) {
			return &Caller{Name: callctx.TokenHolder, all: true, holder: true, vouched: string(key[:])}, nil
		}
	}
	return tokenHolder, nil
}

// authorizeHolder lets an admitted token holder's call of rpc (method)
// on project run on its own token alone, after IAM's check when the
// policy validates tokens. A call of an RPC that names no project (server
// reflection) needs only a token IAM accepts (with validation). Refusals
// say so in ErrorInfo (caller: token-holder) and happen before anything is
// sent to ModelArts.
func (a *Authenticator) authorizeHolder(ctx context.Context, method string, rpc *rpcdecl.RPC, project string) (context.Context, error) {
	callctx.Annotate(ctx, slog.String("caller", callctx.TokenHolder))
	ctx = callctx.WithIdentity(ctx, callctx.Identity{Name: callctx.TokenHolder, TokenOnly: true})
	call := apierror.Call{RequestID: callctx.RequestID(ctx), Caller: callctx.TokenHolder}
	scoped := rpc.NamesProject()
	if !holderMayCall(rpc) {
		return nil, apierror.Facade(codes.Unauthenticated, apierror.ReasonCallerUnauthenticated,
			"caller authentication failed: a caller with only its own X-Auth-Token may call the API's methods and server reflection only", call)
	}
	h := &a.holders
	if h.validator == nil {
		return ctx, nil
	}
	token := ""
	if v := metadata.ValueFromIncomingContext(ctx, callctx.MetadataKeyAuthToken); len(v) > 0 {
		token = v[0]
	}
	if err := callctx.CheckAuthToken(token); err != nil {
		// The same answer the service gives a malformed token; IAM is
		// not asked about it.
		return nil, apierror.InvalidArgument(call.RequestID, apierror.Violation(callctx.MetadataKeyAuthToken, apierror.ViolationMalformed, err.Error()))
	}
	scope, err := h.validator.Validate(ctx, token)
	var rejected *iamtoken.RejectedError
	switch {
	case errors.As(err, &rejected):
		callctx.Annotate(ctx, slog.String("caller_error", rejected.Error()))
		return nil, apierror.Facade(codes.Unauthenticated, apierror.ReasonCallerTokenRejected,
			"IAM does not accept the caller's X-Auth-Token ("+rejected.Why+"); get a new token", call)
	case errors.Is(err, iamtoken.ErrBusy):
		callctx.Annotate(ctx, slog.String("caller_error", err.Error()))
		return nil, apierror.Overloaded(
			"the facade is checking as many X-Auth-Tokens with IAM as it may at once; nothing was sent to IAM or ModelArts: retry after the delay in RetryInfo", call,
			busyRetryDelay)
	case err != nil:
		callctx.Annotate(ctx, slog.String("caller_error", err.Error()))
		return nil, apierror.Facade(codes.Unavailable, apierror.ReasonIAMUnavailable,
			"IAM could not check the caller's X-Auth-Token; the call may be retried", call)
	case !scoped:
		// Server reflection: a token IAM accepts, of whatever project.
		return ctx, nil
	case scope.ProjectID == "":
		return nil, apierror.Facade(codes.Unauthenticated, apierror.ReasonCallerTokenRejected,
			"the caller's X-Auth-Token is not scoped to a project; ModelArts needs a project-scoped token", call)
	case scope.ProjectID != project:
		return nil, apierror.Facade(codes.PermissionDenied, apierror.ReasonProjectNotPermitted,
			fmt.Sprintf("the caller's X-Auth-Token is scoped to project %q, not %q", scrub.Text(scope.ProjectID, 64, nil), shorten(project)), call)
	}
	return ctx, nil
}
