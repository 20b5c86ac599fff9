package service

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"

	"github.com/devenv-facade/devenv-facade/internal/apierror"
	"github.com/devenv-facade/devenv-facade/internal/callctx"
	"github.com/devenv-facade/devenv-facade/internal/modelarts"
	"github.com/devenv-facade/devenv-facade/internal/reqcheck"
	"github.com/devenv-facade/devenv-facade/internal/rpcdecl"
	"github.com/devenv-facade/devenv-facade/internal/scrub"
)

// call is what the pipeline hands an RPC's upstream step: the options every
// request to ModelArts carries, and the statistics the step records.
type call struct {
	// requestID is the call's request ID.
	requestID string
	// log is the call's record ([callctx.FromContext]; nil outside the
	// call interceptor), found once: each search goes through the
	// context's layers, and a call annotates its log line several times.
	log *callctx.Call
	// opts carry the request ID and, when the call runs on the caller's
	// own token, that token (for a token holder: that token only).
	opts []modelarts.CallOption
	// credentials is whose credentials the call uses
	// (apierror.CredentialsCaller or CredentialsFacade).
	credentials string
	// caller is who the call runs as (callctx.Identity.Name), or "" without
	// caller authentication.
	caller string
	// attempts counts the requests sent to ModelArts, over every upstream
	// call the RPC makes.
	attempts int
	// shared counts the upstream calls whose answer came from a request
	// other calls shared (modelarts.Result.Shared), joined those that
	// sent nothing themselves; joinedRequestID is the request ID of the
	// last request joined.
	shared, joined  int
	joinedRequestID string
	// recent counts the upstream calls answered from the freshness
	// window (modelarts.Result.Recent).
	recent int
	// optsBuf is opts' first array: one allocation less per call.
	optsBuf [2]modelarts.CallOption

	// For quote (quote.go): the client, whose configured secrets quoted
	// text must not repeat, the caller's token, and the secrets once made.
	upstream    *modelarts.Client
	token       string
	tokenOnly   bool // token and nothing else
	secrets     *scrub.Secrets
	secretsMade bool
}

// record adds an upstream call's Result to the statistics.
func (c *call) record(res modelarts.Result) {
	c.attempts += res.Attempts
	if res.Shared > 0 {
		c.shared++
	}
	if res.JoinedRequestID != "" {
		c.joined++
		c.joinedRequestID = res.JoinedRequestID
	}
	if res.Recent {
		c.recent++
	}
}

// apiCall is what an error of the call reports, with extra ErrorInfo
// metadata.
func (c *call) apiCall(extra map[string]string) apierror.Call {
	return apierror.Call{RequestID: c.requestID, Credentials: c.credentials, Caller: c.caller, Attempts: c.attempts, Extra: extra}
}

// handle runs one RPC through the pipeline every RPC shares:
//
//  1. the request ID (from the call interceptor) and the credentials
//     ([Service.credentials]): a token holder's own token and nothing else;
//     otherwise the caller's own token when it sent one and pass-through
//     is on, else the facade's; a caller's Cache-Control: no-cache makes
//     the call's reads fresh ([wantsFresh]);
//  2. validation of the request and of the caller's token: INVALID_ARGUMENT
//     with one field violation per bad field (at most
//     apierror.MaxViolations), and nothing sent upstream. What was found
//     as the request was read (package reqcheck: a repeated field or map
//     over its bound, invalid UTF-8; over REST also a body or query value
//     the mirror could not read, in the vendor's shape) is answered first,
//     alone: the request was decoded without what was over a bound, or
//     without its body or query. This runs after
//     caller authorization (an interceptor before the handler) and step 1,
//     so a caller who may not make the call learns nothing of its body;
//  3. the project and instance IDs, and whose credentials, on the call's
//     log line;
//  4. a --max-waits slot ([WithMaxWaits]), held until the call ends, if
//     the call waits: as its RPC declares (package rpcdecl), because its
//     request asks to or by its nature; an RPC the table does not
//     declare is taken to wait;
//  5. step, the RPC's upstream work;
//  6. the attempts on the log line (with how many of the step's reads
//     shared a request with identical calls, and joined one another call
//     sent) and, on error, the conversion to the
//     caller's error (modelarts.APIError), the upstream error logged.
//
// Steps 3 and 4 read the RPC's declaration, found by req's message type.
func handle[Req proto.Message, Resp any](ctx context.Context, s *Service, req Req, validate func(Req) []*violation, step func(context.Context, *call) (Resp, error)) (Resp, error) {
	var zero Resp
	c, rpc, err := begin(ctx, s, req, validate)
	if err != nil {
		return zero, err
	}
	if rpc.Waits(req) {
		// Reserved before anything is sent: a refused call did nothing.
		if !s.reserveWait() {
			return zero, s.waitsRefused(c, rpc)
		}
		defer s.waits.Add(-1)
	}

	resp, err := step(ctx, c)
	if err != nil {
		return zero, c.finish(ctx, err)
	}
	c.finish(ctx, nil)
	return resp, nil
}

// waitsRefused is the error of a call of rpc refused because --max-waits
// calls are waiting. It is a function of its own, not inlined, so that
// handle's frame, under which calls wait for ModelArts, holds only what
// the call needs (see modelarts.DirectClient).
//
//go:noinline
func (s *Service) waitsRefused(c *call, rpc *rpcdecl.RPC) error {
	instead := ""
	if rpc.WaitsOnRequest() {
		instead = ", or call without wait and read the instance"
	}
	return apierror.Overloaded(fmt.Sprintf(
		"the facade already has %d calls waiting for instances (--max-waits); nothing was sent to ModelArts: retry after the delay in RetryInfo%s", s.maxWaits, instead),
		c.apiCall(nil), overloadRetryDelay)
}

// handleStream runs a server-streaming RPC (a watch) through the pipeline:
// [handle]'s steps but the --max-waits slot (a watch has caps of its
// own), with step sending the stream's messages.
func handleStream[Req proto.Message](ctx context.Context, s *Service, req Req, validate func(Req) []*violation, step func(context.Context, *call) error) error {
	c, _, err := begin(ctx, s, req, validate)
	if err != nil {
		return err
	}
	return c.finish(ctx, step(ctx, c))
}

// begin runs the steps before an RPC's own work (handle's steps 1 to 3):
// the request ID and credentials, validation, and the log annotations. It
// returns the call and the RPC's declaration, or the error to answer.
func begin[Req proto.Message](ctx context.Context, s *Service, req Req, validate func(Req) []*violation) (*call, *rpcdecl.RPC, error) {
	log := callctx.FromContext(ctx)
	requestID := log.RequestID()
	c := &call{requestID: requestID, log: log, upstream: s.client}
	token, tokenOnly, err := s.credentials(ctx, c)
	if err != nil {
		return nil, nil, err
	}
	if found := reqcheck.FromContext(ctx); found != nil {
		return nil, nil, found.Err(requestID)
	}
	bad := validate(req)
	if v := checkCallerToken(token); v != nil {
		bad = append(bad, v)
	}
	if len(bad) > 0 {
		return nil, nil, apierror.InvalidArgument(requestID, bad...)
	}
	c.useCredentials(token, tokenOnly)
	if wantsFresh(ctx) {
		c.opts = append(c.opts, modelarts.Fresh())
	}
	rpc := s.rpcs.ForRequest(req)
	// Added at once: one lock of the call's record.
	var attrs [3]slog.Attr
	n := 0
	if rpc.NamesProject() {
		attrs[n] = slog.String("project_id", rpc.ProjectID(req))
		n++
	}
	if rpc.NamesInstance() {
		attrs[n] = slog.String("instance_id", rpc.InstanceID(req))
		n++
	}
	attrs[n] = slog.String("credentials", c.credentials)
	log.Annotate(attrs[:n+1]...)
	return c, rpc, nil
}

// useCredentials sets what the call's requests to ModelArts carry: token
// (the caller's; "" for the facade's credentials), and nothing else if
// tokenOnly.
func (c *call) useCredentials(token string, tokenOnly bool) {
	c.token, c.tokenOnly = token, tokenOnly
	switch {
	case tokenOnly:
		c.credentials = apierror.CredentialsCaller
		c.opts = append(c.optsBuf[:0], modelarts.RequestID(c.requestID), modelarts.CallerTokenOnly(token))
	case token != "":
		c.credentials = apierror.CredentialsCaller
		c.opts = append(c.optsBuf[:0], modelarts.RequestID(c.requestID), modelarts.CallerToken(token))
	default:
		c.credentials = apierror.CredentialsFacade
		c.opts = append(c.optsBuf[:0], modelarts.RequestID(c.requestID))
	}
}

// finish writes the call's attempts on its log line and, for an error,
// the upstream error, and returns the caller's error (handle's step 6),
// or nil.
func (c *call) finish(ctx context.Context, err error) error {
	c.log.Annotate(slog.Int("upstream_attempts", c.attempts))
	if c.shared > 0 || c.joined > 0 {
		// Identical reads in flight at the same time shared a request
		// (modelarts.Options.DisableCoalescing).
		c.log.Annotate(slog.Int("upstream_shared", c.shared), slog.Int("upstream_joined", c.joined))
	}
	if c.joined > 0 {
		c.log.Annotate(slog.String("upstream_request_id", c.joinedRequestID))
	}
	if c.recent > 0 {
		c.log.Annotate(slog.Int("upstream_recent", c.recent))
	}
	if err == nil {
		return nil
	}
	c.log.Annotate(slog.String("upstream_error", c.quoteErr(err)))
	return modelarts.APIError(ctx, err, c.apiCall(nil))
}

// Metadata keys that carry Cache-Control: gRPC callers send it as is;
// the REST mirror forwards the header under grpc-gateway's prefix.
const (
	metadataKeyCacheControl     = "cache-control"
	metadataKeyRESTCacheControl = "grpcgateway-cache-control"
)

// wantsFresh reports whether the caller asked for data fresh from
// ModelArts: Cache-Control no-cache (or max-age=0). Its reads then send
// requests of their own (modelarts.Fresh), even when an identical read is
// in flight or its answer in the freshness window.
func wantsFresh(ctx context.Context) bool {
	for _, key := range [...]string{metadataKeyCacheControl, metadataKeyRESTCacheControl} {
		for _, v := range metadata.ValueFromIncomingContext(ctx, key) {
			for d := range strings.SplitSeq(v, ",") {
				d = strings.TrimSpace(d)
				if strings.EqualFold(d, "no-cache") || strings.EqualFold(d, "max-age=0") {
					return true
				}
			}
		}
	}
	return false
}

// reserveWait counts a call that will wait, if the bound allows it.
func (s *Service) reserveWait() bool {
	if n := s.waits.Add(1); s.maxWaits > 0 && n > s.maxWaits {
		s.waits.Add(-1)
		return false
	}
	return true
}

// credentials decides what the call's requests to ModelArts may carry, and
// records who the call runs as in c. It returns the caller's own token
// (x-auth-token), if the call may use it, and whether it must use nothing
// else:
//
//   - a call signed with an access key (authorization: SDK-HMAC-SHA256 ...)
//     is refused: the facade can neither verify nor forward the signature,
//     and running it on the facade's credentials would act for someone the
//     facade does not know;
//   - with caller authentication required (Options.CallerAuthentication), a
//     call without the identity it establishes is refused, so that a call
//     that bypassed it cannot fall through to the facade's credentials;
//   - a token holder ([callctx.Identity].TokenOnly) gets its own token,
//     whatever pass-through says, and tokenOnly: without a token it is
//     refused;
//   - any other call gets its token when pass-through is on.
func (s *Service) credentials(ctx context.Context, c *call) (token string, tokenOnly bool, err error) {
	// ValueFromIncomingContext reads the one key; FromIncomingContext would
	// copy all of the call's metadata.
	for _, v := range metadata.ValueFromIncomingContext(ctx, "authorization") {
		if scheme, signed := callctx.SignatureScheme(v); signed {
			callctx.Annotate(ctx, slog.String("caller_error", "signed with "+scheme))
			return "", false, apierror.SignatureNotAccepted(c.requestID, "your IAM token as X-Auth-Token")
		}
	}
	id, identified := callctx.IdentityFrom(ctx)
	if identified {
		c.caller = id.Name
	}
	switch {
	case s.callerAuth && !identified:
		return "", false, apierror.Facade(codes.Unauthenticated, apierror.ReasonCallerUnauthenticated,
			"caller authentication failed: the call carries no identity established by caller authentication", c.apiCall(nil))
	case id.TokenOnly:
		token = callerToken(ctx)
		if token == "" {
			return "", false, apierror.Facade(codes.Unauthenticated, apierror.ReasonCallerUnauthenticated,
				"caller authentication failed: the call was admitted on its own X-Auth-Token but carries none", c.apiCall(nil))
		}
		return token, true, nil
	case s.passthrough:
		return callerToken(ctx), false, nil
	}
	return "", false, nil
}
