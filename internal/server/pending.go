package server

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"google.golang.org/grpc/metadata"

	"github.com/devenv-facade/devenv-facade/internal/apierror"
	"github.com/devenv-facade/devenv-facade/internal/callctx"
	"github.com/devenv-facade/devenv-facade/internal/callerauth"
	"github.com/devenv-facade/devenv-facade/internal/mirror"
)

// A call that has sent its headers but not yet its request (a pending
// call: a gRPC stream before its request message, a REST request before
// its body is read) holds a goroutine, grpc-go's or net/http's record of
// it, and its headers (up to maxHeaderListSize) for up to the request read
// timeout. What pending calls may hold is shared by what the facade knows
// of their caller once the headers are read ([callerauth.Standing]), each
// share bounded in calls and in header bytes:
//
//   - without caller authentication, every call is unidentified and the
//     one share has all of it (maxPending calls);
//   - with it, listed callers share half, each caller at most an eighth;
//     token holders whose token IAM has accepted before (validate) share a
//     quarter, each token at most a sixteenth; token holders nobody has
//     verified yet (any token under forward, a new one under validate)
//     share an eighth; unidentified calls (health checks) an eighth.
//
// So no unverified caller can take what listed callers (or vouched token
// holders) need, and no caller can take what the others of its standing
// need. A call beyond its share is refused when its headers arrive, with
// RESOURCE_EXHAUSTED (OVERLOADED) and RetryInfo.
//
// Memory: a pending gRPC call costs about 12 KiB (a goroutine blocked in
// grpc-go's read of the request, and grpc-go's stream) besides its
// headers, which it holds until it ends; the shares bound header bytes to
// pendingBytesPerCall per call on average, so maxPending pending calls
// (2,048 by default) hold at most about 56 MiB, where 64 KiB of headers
// each made 152 MiB before.

// pendingBytesPerCall is the header bytes a pending call may hold on
// average within its share: an IAM token (at most 16 KiB, a few KiB in
// practice) and the rest of a call's metadata.
const pendingBytesPerCall = 16 << 10

// pendingRetryDelay is the RetryInfo of a call refused for its share:
// pending calls end within the request read timeout, most of them far
// sooner.
const pendingRetryDelay = time.Second

// budget is an amount of pending calls and of their header bytes.
type budget struct{ calls, bytes int }

// admits reports whether a call with bytes of headers fits beside used.
func (b budget) admits(used budget, bytes int) bool {
	return used.calls < b.calls && used.bytes+bytes <= b.bytes
}

// forCalls is the budget of n calls: their average header bytes, and room
// for at least two calls with the largest headers.
func forCalls(n int) budget {
	return budget{calls: n, bytes: max(n*pendingBytesPerCall, 2*maxHeaderListSize)}
}

// share is what pending calls of one standing may hold, and hold now.
type share struct {
	// who names the calls of this share in refusals.
	who   string
	total budget
	// perKey bounds each caller of the share ([callerauth.StandingOf]'s
	// key); zero: no bound beyond total.
	perKey budget
	used   budget
	byKey  map[string]*budget
}

// pendingShares returns the shares of maxPending pending calls, by
// standing (see the comment at the top of this file).
func pendingShares(maxPending int, callerAuth bool) [callerauth.UnverifiedHolder + 1]*share {
	var s [callerauth.UnverifiedHolder + 1]*share
	if !callerAuth {
		// Every call is unidentified; no other standing arises.
		for i := range s {
			s[i] = &share{who: "calls", total: budget{}}
		}
		s[callerauth.Unidentified].total = forCalls(maxPending)
		return s
	}
	m := maxPending
	s[callerauth.Unidentified] = &share{who: "calls without caller authentication (health checks)", total: forCalls(m / 8)}
	s[callerauth.Listed] = &share{who: "calls of listed callers", total: forCalls(m / 2), perKey: forCalls(m / 8), byKey: map[string]*budget{}}
	s[callerauth.VouchedHolder] = &share{who: "calls of token holders", total: forCalls(m / 4), perKey: forCalls(m / 16), byKey: map[string]*budget{}}
	s[callerauth.UnverifiedHolder] = &share{who: "calls of token holders whose token is not verified yet", total: forCalls(m / 8)}
	return s
}

// reserve takes room for a pending call with bytes of headers by caller
// key, or says why there is none; the registry's lock is held.
func (sh *share) reserve(key string, bytes int) (refused string) {
	if !sh.total.admits(sh.used, bytes) {
		return "too many " + sh.who + " are waiting to send their request"
	}
	if sh.byKey == nil {
		sh.used.calls++
		sh.used.bytes += bytes
		return ""
	}
	k := sh.byKey[key]
	if k == nil {
		k = &budget{}
	}
	if !sh.perKey.admits(*k, bytes) {
		return fmt.Sprintf("this caller already has as many calls waiting to send their request as one caller may (%d, or %d KiB of headers)",
			sh.perKey.calls, sh.perKey.bytes>>10)
	}
	k.calls++
	k.bytes += bytes
	sh.byKey[key] = k
	sh.used.calls++
	sh.used.bytes += bytes
	return ""
}

// release gives back what reserve took; the registry's lock is held.
func (sh *share) release(key string, bytes int) {
	sh.used.calls--
	sh.used.bytes -= bytes
	if sh.byKey == nil {
		return
	}
	if k := sh.byKey[key]; k != nil {
		if k.calls--; k.calls == 0 {
			delete(sh.byKey, key)
		} else {
			k.bytes -= bytes
		}
	}
}

// overloaded is the refusal of a pending call beyond its share, with the
// caller's name (or the token holder's) in ErrorInfo.
func overloaded(ctx context.Context, why, requestID string) error {
	call := apierror.Call{RequestID: requestID}
	if c, ok := callerauth.FromContext(ctx); ok {
		call.Caller = c.Name
	}
	return apierror.Overloaded(why+"; retry after the delay in RetryInfo", call, pendingRetryDelay)
}

// metadataBytes is the size of a gRPC call's headers as the facade holds
// them.
func metadataBytes(md metadata.MD) int {
	n := 0
	for k, vs := range md {
		for _, v := range vs {
			n += len(k) + len(v)
		}
	}
	return n
}

// headerBytes is the size of a REST request's target and headers.
func headerBytes(r *http.Request) int {
	n := len(r.RequestURI)
	for k, vs := range r.Header {
		for _, v := range vs {
			n += len(k) + len(v)
		}
	}
	return n
}

// holdREST counts a REST request that has a body to read as a pending
// call, in the same shares as gRPC streams waiting for their request, from
// the moment it is authenticated until its call starts ([Server.trackCall]
// finds its record) or its handler returns. A request beyond its share is
// answered at once, its body unread, with 429 (OVERLOADED) and the
// connection closed. A request without a body is complete once its
// headers are read and is not counted.
func (r *streams) holdREST(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.ContentLength == 0 {
			next.ServeHTTP(w, req)
			return
		}
		ctx, err := r.admit(req.Context(), headerBytes(req), time.Now(), func() string {
			if id := req.Header.Get(callctx.MetadataKeyRequestID); callctx.ValidRequestID(id) {
				return id
			}
			return callctx.NewRequestID()
		})
		if err != nil {
			w.Header().Set("Connection", "close")
			mirror.WriteError(w, req, err, 0)
			return
		}
		defer r.finish(ctx)
		next.ServeHTTP(w, req.WithContext(ctx))
	})
}
