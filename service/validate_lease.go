package service

import (
	"fmt"
	"strings"

	notebookv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/notebook/v1"
)

// The lease's rules (the proto's LeaseRequest): a duration in
// milliseconds of 1 to 24 hours, the console's range (ModelArts on Open
// Telekom Cloud documents none), or -1 for no automatic stop; a type
// "timing" or "idle" in any case.
const (
	minLeaseMillis = 3_600_000
	maxLeaseMillis = 86_400_000
	leaseOff       = -1
)

// leaseTypes are the lease's types as requests spell them.
var leaseTypes = []string{"timing", "idle"}

func validateGetLease(req *notebookv1.GetLeaseRequest) []*violation {
	return violations(checkProjectID(req.GetProjectId()), checkNotebookID(req.GetNotebookId()))
}

func validateRenewLease(req *notebookv1.RenewLeaseRequest) []*violation {
	vs := violations(checkProjectID(req.GetProjectId()), checkNotebookID(req.GetNotebookId()))
	l := req.GetLease()
	bodyDuration := l != nil && l.Duration != nil
	switch {
	case req.Duration == nil && !bodyDuration:
		vs = append(vs, newViolation("lease.duration", violationRequired, fmt.Sprintf(
			"lease.duration (or the query's duration) is required: milliseconds from now, %d to %d, or -1 for no automatic stop", minLeaseMillis, maxLeaseMillis)))
	case req.Duration != nil && bodyDuration:
		vs = append(vs, newViolation("duration", violationMalformed,
			"give the duration once: either duration (the query's) or lease.duration (the body's), not both"))
	case req.Duration != nil:
		vs = appendIf(vs, checkLeaseDuration("duration", req.GetDuration()))
	default:
		vs = appendIf(vs, checkLeaseDuration("lease.duration", l.GetDuration()))
	}
	if l != nil && l.Type != nil {
		if _, ok := leaseType(l.GetType()); !ok {
			vs = append(vs, newViolation("lease.type", violationMalformed, `lease.type must be "timing" or "idle" (in any case); got `+describe(l.GetType())))
		}
	}
	return vs
}

// checkLeaseDuration accepts -1 or minLeaseMillis to maxLeaseMillis.
func checkLeaseDuration(field string, ms int64) *violation {
	if ms == leaseOff || minLeaseMillis <= ms && ms <= maxLeaseMillis {
		return nil
	}
	return newViolation(field, violationMalformed, fmt.Sprintf(
		"%s must be %d to %d milliseconds (1 to 24 hours), or -1 for no automatic stop; got %d", field, minLeaseMillis, maxLeaseMillis, ms))
}

// leaseType returns t as requests spell it ("timing", "idle"), and whether
// it is one of them in some ASCII case.
func leaseType(t string) (string, bool) {
	for _, want := range leaseTypes {
		if strings.EqualFold(t, want) && isASCII(t) {
			return want, true
		}
	}
	return "", false
}
