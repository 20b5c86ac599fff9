package service

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"

	devenvv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/devenv/v1"
	"github.com/devenv-facade/devenv-facade/internal/apierror"
	"github.com/devenv-facade/devenv-facade/internal/modelarts"
	"github.com/devenv-facade/devenv-facade/internal/vendorjson"
)

// Defaults of the waits (Options).
const (
	// DefaultMaxWaits bounds the calls that may wait at once.
	DefaultMaxWaits = 1024
	// DefaultMaxWait bounds a wait whatever the caller's deadline.
	DefaultMaxWait = 10 * time.Minute
	// DefaultPollInterval is the first wait between two reads of the
	// resource; it grows by half up to DefaultMaxPollInterval.
	DefaultPollInterval    = 500 * time.Millisecond
	DefaultMaxPollInterval = 5 * time.Second
)

// contraryLimit is how long a wait bears the resource in the state
// opposite to its target (STOPPED while waiting for RUNNING, RUNNING while
// waiting for STOPPED): ModelArts answers a start with STARTING and a stop
// with STOPPING at once, so a contrary state that lasts means someone else
// acted, or the request did not take effect, and waiting on would only run
// to the maximum wait.
const contraryLimit = 30 * time.Second

// waitTarget is what a wait waits for.
type waitTarget struct {
	// what names the target in messages ("to be RUNNING").
	what string
	// statuses end the wait successfully.
	statuses []string
	// contrary is the stable state opposite to the target, or "": seen
	// for contraryLimit of waiting in a row, it ends the wait.
	contrary string
	// gone ends the wait successfully when the resource does not exist
	// (one of its watched.missing codes) or is DELETED.
	gone bool
}

var (
	waitRunning = waitTarget{what: "to be RUNNING", statuses: []string{"RUNNING"}, contrary: "STOPPED"}
	waitStopped = waitTarget{what: "to be STOPPED", statuses: []string{"STOPPED"}, contrary: "RUNNING"}
	waitGone    = waitTarget{what: "to be deleted", gone: true}
)

// watched is a resource a call waits for (an instance, a notebook, a
// storage mount, an image): how to read it and what a reading says.
type watched[T proto.Message] struct {
	// noun names the resource in messages ("instance", "notebook").
	noun string
	// id is the resource's ID, as the caller named it.
	id string
	// read reads the resource once (the upstream call records itself).
	read func(context.Context) (T, error)
	// status is the resource's status in a reading.
	status func(T) string
	// failed are the statuses in which the resource stays until someone
	// acts: waiting for anything else ends there (DELETED among them:
	// waiting for it to be gone, DELETED is the target).
	failed []string
	// missing are the ModelArts codes that say the resource does not
	// exist.
	missing []string
	// why is what ModelArts says of a failure state, or nil.
	why func(T) failure
}

// failure is what ModelArts says of a resource in a failure state, as it
// said it: each part is quoted (quote.go) before it reaches an error.
type failure struct {
	// code and message are the vendor's reason.
	code, message string
	// progress is the steps the resource went through (a notebook's
	// action_progress), or "".
	progress string
}

// waitFor reads the resource r until it reaches t, with capped, jittered
// backoff between reads, and returns the last reading (the zero T when
// t.gone and the resource no longer exists). The wait ends at the caller's
// deadline or after the service's maximum wait, whichever is sooner, with
// DEADLINE_EXCEEDED naming the status seen last; a failure state ends it
// with FAILED_PRECONDITION and what ModelArts says of it (r.why), and so
// does the contrary state held for contraryLimit of waiting. What the
// errors quote of ModelArts' answers goes through call.quote. Answers
// worth trying again (ModelArts busy, unreachable) do not end it; final
// ones (the token was refused, the resource vanished) do.
func waitFor[T proto.Message](ctx context.Context, s *Service, c *call, r watched[T], t waitTarget) (T, error) {
	var zero T
	wctx, cancel := context.WithTimeout(ctx, s.maxWait)
	if until, ok := ctx.Value(waitBudgetKey{}).(time.Time); ok {
		cancel()
		wctx, cancel = context.WithDeadline(ctx, until)
	}
	defer cancel()
	interval := s.pollInterval
	last := "unknown"
	// waited is the time spent between reads; contrarySince, the value it
	// had when the contrary state was first read in a row (-1: not now).
	var waited time.Duration
	contrarySince := time.Duration(-1)
	for {
		got, err := r.read(wctx)
		switch {
		case err == nil:
			last = r.status(got)
			switch {
			case slices.Contains(t.statuses, last), t.gone && last == "DELETED":
				return got, nil
			case slices.Contains(r.failed, last):
				return zero, r.failedErr(c, got, t)
			case t.contrary != "" && last == t.contrary:
				if contrarySince < 0 {
					contrarySince = waited
				} else if waited-contrarySince >= contraryLimit {
					return zero, r.contraryErr(c, last, t, waited-contrarySince)
				}
			default:
				contrarySince = -1
			}
			// Not the answer: what the REST mirror kept of this read goes.
			vendorjson.OriginalsFrom(ctx).Drop(got)
		case hasAnyCode(err, r.missing):
			if t.gone {
				return zero, nil
			}
			shownID := c.quote(r.id, maxQuotedID)
			return zero, apierror.Facade(codes.FailedPrecondition, apierror.ReasonInstanceFailed,
				fmt.Sprintf("ModelArts accepted the request, but %s %s was deleted while the facade waited for it %s", r.noun, shownID, t.what),
				c.apiCall(map[string]string{apierror.MetadataInstanceStatus: "DELETED", apierror.MetadataInstanceID: shownID}))
		case wctx.Err() != nil:
			return zero, s.waitExpired(ctx, c, r.noun, r.id, t, last)
		case !worthWaiting(err):
			return zero, err
		}
		delay := interval/2 + rand.N(interval/2+1) // jitter in [interval/2, interval]
		if s.clock.Sleep(wctx, delay) != nil {
			return zero, s.waitExpired(ctx, c, r.noun, r.id, t, last)
		}
		waited += delay
		interval = min(interval*3/2, s.maxPollInterval)
	}
}

// waitBudgetKey carries, in the context of a call that waits more than
// once (an image save: for the image, then for its notebook), when all of
// its waits end (a time.Time): together they wait at most the service's
// maximum wait, not that much each.
type waitBudgetKey struct{}

// withWaitBudget returns ctx with its waits bounded, together, by the
// service's maximum wait from now.
func (s *Service) withWaitBudget(ctx context.Context) context.Context {
	return context.WithValue(ctx, waitBudgetKey{}, time.Now().Add(s.maxWait))
}

// waitInstance waits for the old API's instance id of project to reach t.
func (s *Service) waitInstance(ctx context.Context, c *call, project, id string, t waitTarget) (*devenvv1.Instance, error) {
	return waitFor(ctx, s, c, watched[*devenvv1.Instance]{
		noun:    "instance",
		id:      id,
		read:    func(ctx context.Context) (*devenvv1.Instance, error) { return s.get(ctx, c, project, id) },
		status:  (*devenvv1.Instance).GetStatus,
		failed:  instanceFailedStates,
		missing: []string{modelarts.CodeInstanceNotFound},
		why: func(inst *devenvv1.Instance) failure {
			reasons := inst.GetSpec().GetFailedReasons()
			return failure{code: reasons.GetCode(), message: reasons.GetMessage()}
		},
	}, t)
}

// instanceFailedStates are the statuses in which an old-API instance
// stays until someone acts. ERROR is not among the reference's statuses,
// but other ModelArts APIs report it; should DevEnviron ever send it, it
// is not worth waiting out.
var instanceFailedStates = []string{"CREATE_FAILED", "START_FAILED", "RESIZE_FAILED", "ERROR", "DELETED"}

// hasAnyCode reports whether err is a ModelArts answer with one of codes.
func hasAnyCode(err error, codes []string) bool {
	e, ok := errors.AsType[*modelarts.Error](err)
	return ok && slices.Contains(codes, e.Code)
}

// worthWaiting reports whether a failed read of the resource may succeed
// later: no answer at all, or an answer the code table calls worth trying
// again.
func worthWaiting(err error) bool {
	var e *modelarts.Error
	if errors.As(err, &e) {
		_, _, retry, _ := e.Meaning()
		return retry != modelarts.RetryFinal
	}
	_, rejected := errors.AsType[modelarts.CredentialsRejection](err)
	return !errors.Is(err, modelarts.ErrNoCredentials) && !errors.Is(err, modelarts.ErrInvalidPathSegment) && !rejected
}

// failedErr is the error of a wait that saw the resource fail. The status
// and what ModelArts says of it are quoted (quote.go).
func (r watched[T]) failedErr(c *call, got T, t waitTarget) error {
	var f failure
	if r.why != nil {
		f = r.why(got)
	}
	shownID, status := c.quote(r.id, maxQuotedID), c.quote(r.status(got), maxQuotedStatus)
	code, why := c.quote(f.code, maxQuotedCode), c.quote(f.message, maxQuotedMessage)
	msg := fmt.Sprintf("waited for %s %s %s, but it is %s", r.noun, shownID, t.what, status)
	switch {
	case code != "":
		msg += fmt.Sprintf(": %s (%s)", why, code)
	case why != "":
		msg += ": " + why
	}
	if f.progress != "" {
		msg += "; progress: " + c.quote(f.progress, maxQuotedMessage)
	}
	return apierror.Facade(codes.FailedPrecondition, apierror.ReasonInstanceFailed, msg, c.apiCall(map[string]string{
		apierror.MetadataInstanceID:     shownID,
		apierror.MetadataInstanceStatus: status,
		apierror.MetadataFailedCode:     code,
		apierror.MetadataFailedMessage:  why,
	}))
}

// contraryErr is the error of a wait that saw the resource stay in the
// state opposite to its target.
func (r watched[T]) contraryErr(c *call, last string, t waitTarget, held time.Duration) error {
	shownID, status := c.quote(r.id, maxQuotedID), c.quote(last, maxQuotedStatus)
	msg := fmt.Sprintf("waited for %s %s %s, but it has been %s for %s: someone else changed it, or ModelArts did not act on the request; read the %s before trying again",
		r.noun, shownID, t.what, status, held.Round(time.Second), r.noun)
	return apierror.Facade(codes.FailedPrecondition, apierror.ReasonInstanceFailed, msg, c.apiCall(map[string]string{
		apierror.MetadataInstanceID:     shownID,
		apierror.MetadataInstanceStatus: status,
	}))
}

// waitExpired is the error of a wait that ran out of time: the caller's
// deadline (ctx) or the service's maximum wait.
func (s *Service) waitExpired(ctx context.Context, c *call, noun, id string, t waitTarget, last string) error {
	id, last = c.quote(id, maxQuotedID), c.quote(last, maxQuotedStatus)
	why := "the call's deadline passed"
	if ctx.Err() == nil {
		why = fmt.Sprintf("the facade waits at most %s", s.maxWait)
	}
	if errors.Is(ctx.Err(), context.Canceled) {
		return apierror.Facade(codes.Canceled, apierror.ReasonCanceled,
			fmt.Sprintf("the call was cancelled while waiting for %s %s %s; it was last seen %s", noun, id, t.what, last),
			c.apiCall(map[string]string{apierror.MetadataInstanceStatus: last, apierror.MetadataInstanceID: id}))
	}
	return apierror.Facade(codes.DeadlineExceeded, apierror.ReasonDeadlineExceeded,
		fmt.Sprintf("%s while waiting for %s %s %s; ModelArts accepted the request, and the %s was last seen %s", why, noun, id, t.what, noun, last),
		c.apiCall(map[string]string{apierror.MetadataInstanceStatus: last, apierror.MetadataInstanceID: id}))
}
