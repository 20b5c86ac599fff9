package service

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"google.golang.org/grpc/codes"

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
	// instance; it grows by half up to DefaultMaxPollInterval.
	DefaultPollInterval    = 500 * time.Millisecond
	DefaultMaxPollInterval = 5 * time.Second
)

// failedStates are the statuses in which an instance stays until someone
// acts: waiting for anything else ends there. ERROR is not among the
// reference's statuses, but other ModelArts APIs report it; should
// DevEnviron ever send it, it is not worth waiting out.
var failedStates = []string{"CREATE_FAILED", "START_FAILED", "RESIZE_FAILED", "ERROR", "DELETED"}

// contraryLimit is how long a wait bears the instance in the state
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
	// gone ends the wait successfully when the instance does not exist
	// (ModelArts.6309) or is DELETED.
	gone bool
}

var (
	waitRunning = waitTarget{what: "to be RUNNING", statuses: []string{"RUNNING"}, contrary: "STOPPED"}
	waitStopped = waitTarget{what: "to be STOPPED", statuses: []string{"STOPPED"}, contrary: "RUNNING"}
	waitGone    = waitTarget{what: "to be deleted", gone: true}
)

// waitFor reads the instance until it reaches t, with capped, jittered
// backoff between reads, and returns it (nil when t.gone). The wait ends
// at the caller's deadline or after the service's maximum wait, whichever
// is sooner, with DEADLINE_EXCEEDED naming the status seen last; a failure
// state ends it with FAILED_PRECONDITION and the vendor's failed_reasons,
// and so does the contrary state held for contraryLimit of waiting. What
// the errors quote of ModelArts' answers goes through call.quote.
// Answers worth trying again (ModelArts busy, unreachable) do not end it;
// final ones (the token was refused, the instance vanished) do.
func (s *Service) waitFor(ctx context.Context, c *call, project, id string, t waitTarget) (*devenvv1.Instance, error) {
	wctx, cancel := context.WithTimeout(ctx, s.maxWait)
	defer cancel()
	interval := s.pollInterval
	last := "unknown"
	// waited is the time spent between reads; contrarySince, the value it
	// had when the contrary state was first read in a row (-1: not now).
	var waited time.Duration
	contrarySince := time.Duration(-1)
	for {
		inst, err := s.get(wctx, c, project, id)
		switch {
		case err == nil:
			last = inst.GetStatus()
			switch {
			case slices.Contains(t.statuses, last), t.gone && last == "DELETED":
				return inst, nil
			case slices.Contains(failedStates, last):
				return nil, s.failed(c, id, inst, t)
			case t.contrary != "" && last == t.contrary:
				if contrarySince < 0 {
					contrarySince = waited
				} else if waited-contrarySince >= contraryLimit {
					return nil, s.contrary(c, id, inst, t, waited-contrarySince)
				}
			default:
				contrarySince = -1
			}
		case hasCode(err, modelarts.CodeInstanceNotFound):
			if t.gone {
				return nil, nil
			}
			shownID := c.quote(id, maxQuotedID)
			return nil, apierror.Facade(codes.FailedPrecondition, apierror.ReasonInstanceFailed,
				fmt.Sprintf("ModelArts accepted the request, but instance %s was deleted while the facade waited for it %s", shownID, t.what),
				c.apiCall(map[string]string{apierror.MetadataInstanceStatus: "DELETED", apierror.MetadataInstanceID: shownID}))
		case wctx.Err() != nil:
			return nil, s.waitExpired(ctx, c, id, t, last)
		case !worthWaiting(err):
			return nil, err
		}
		if inst != nil {
			// Not the answer: what the REST mirror kept of this read goes.
			vendorjson.OriginalsFrom(ctx).Drop(inst)
		}
		delay := interval/2 + rand.N(interval/2+1) // jitter in [interval/2, interval]
		if s.clock.Sleep(wctx, delay) != nil {
			return nil, s.waitExpired(ctx, c, id, t, last)
		}
		waited += delay
		interval = min(interval*3/2, s.maxPollInterval)
	}
}

// worthWaiting reports whether a failed read of the instance may succeed
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

// failed is the error of a wait for instance id that saw it fail. The
// status and the vendor's failed_reasons are quoted (quote.go).
func (s *Service) failed(c *call, id string, inst *devenvv1.Instance, t waitTarget) error {
	reasons := inst.GetSpec().GetFailedReasons()
	shownID, status := c.quote(id, maxQuotedID), c.quote(inst.GetStatus(), maxQuotedStatus)
	code, why := c.quote(reasons.GetCode(), maxQuotedCode), c.quote(reasons.GetMessage(), maxQuotedMessage)
	msg := fmt.Sprintf("waited for instance %s %s, but it is %s", shownID, t.what, status)
	if why != "" || code != "" {
		msg += fmt.Sprintf(": %s (%s)", why, code)
	}
	return apierror.Facade(codes.FailedPrecondition, apierror.ReasonInstanceFailed, msg, c.apiCall(map[string]string{
		apierror.MetadataInstanceID:     shownID,
		apierror.MetadataInstanceStatus: status,
		apierror.MetadataFailedCode:     code,
		apierror.MetadataFailedMessage:  why,
	}))
}

// contrary is the error of a wait for instance id that saw it stay in the
// state opposite to its target.
func (s *Service) contrary(c *call, id string, inst *devenvv1.Instance, t waitTarget, held time.Duration) error {
	shownID, status := c.quote(id, maxQuotedID), c.quote(inst.GetStatus(), maxQuotedStatus)
	msg := fmt.Sprintf("waited for instance %s %s, but it has been %s for %s: someone else changed it, or ModelArts did not act on the request; read the instance before trying again",
		shownID, t.what, status, held.Round(time.Second))
	return apierror.Facade(codes.FailedPrecondition, apierror.ReasonInstanceFailed, msg, c.apiCall(map[string]string{
		apierror.MetadataInstanceID:     shownID,
		apierror.MetadataInstanceStatus: status,
	}))
}

// waitExpired is the error of a wait that ran out of time: the caller's
// deadline (ctx) or the service's maximum wait.
func (s *Service) waitExpired(ctx context.Context, c *call, id string, t waitTarget, last string) error {
	id, last = c.quote(id, maxQuotedID), c.quote(last, maxQuotedStatus)
	why := "the call's deadline passed"
	if ctx.Err() == nil {
		why = fmt.Sprintf("the facade waits at most %s", s.maxWait)
	}
	if errors.Is(ctx.Err(), context.Canceled) {
		return apierror.Facade(codes.Canceled, apierror.ReasonCanceled,
			fmt.Sprintf("the call was cancelled while waiting for instance %s %s; it was last seen %s", id, t.what, last),
			c.apiCall(map[string]string{apierror.MetadataInstanceStatus: last, apierror.MetadataInstanceID: id}))
	}
	return apierror.Facade(codes.DeadlineExceeded, apierror.ReasonDeadlineExceeded,
		fmt.Sprintf("%s while waiting for instance %s %s; ModelArts accepted the request, and the instance was last seen %s", why, id, t.what, last),
		c.apiCall(map[string]string{apierror.MetadataInstanceStatus: last, apierror.MetadataInstanceID: id}))
}
