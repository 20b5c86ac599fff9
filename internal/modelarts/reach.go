package modelarts

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/devenv-facade/devenv-facade/internal/scrub"
)

// When ModelArts counts as unreachable ([Client.Reachable]): so many
// requests in a row got no answer, over at least this long. One failed
// call (even one retried) does not make it so.
const (
	UnreachableAfterFailures = 3
	UnreachableAfter         = 30 * time.Second
)

// UnreachableError says ModelArts has not answered for a while.
type UnreachableError struct {
	// Since is when the requests without an answer began.
	Since time.Time
	// Failures counts them.
	Failures int64
}

// Error describes the outage.
func (e *UnreachableError) Error() string {
	return fmt.Sprintf("ModelArts has not answered %d requests in a row since %s", e.Failures, e.Since.UTC().Format(time.RFC3339))
}

// reachability follows whether ModelArts answers: any HTTP answer, error
// statuses included, shows it is reachable; a request without one
// (connection refused or reset, timeout) counts against it. It is updated
// on every attempt, lock-free.
type reachability struct {
	failures     atomic.Int64 // attempts without an answer since the last answer
	failingSince atomic.Int64 // Unix nanoseconds of the first of them
	lastAttempt  atomic.Int64 // Unix nanoseconds
}

func (r *reachability) record(answered bool, now time.Time) {
	r.lastAttempt.Store(now.UnixNano())
	if answered {
		if r.failures.Load() != 0 {
			r.failures.Store(0)
		}
		return
	}
	if r.failures.Add(1) == 1 {
		r.failingSince.Store(now.UnixNano())
	}
}

// Reachable reports, as of now, whether ModelArts answers: nil, or an
// *UnreachableError when at least [UnreachableAfterFailures] requests in a
// row got no answer over at least [UnreachableAfter]. Until the first
// request, ModelArts counts as reachable.
func (c *Client) Reachable(now time.Time) error {
	n := c.reach.failures.Load()
	if n < UnreachableAfterFailures {
		return nil
	}
	since := time.Unix(0, c.reach.failingSince.Load())
	if now.Sub(since) < UnreachableAfter {
		return nil
	}
	return &UnreachableError{Since: since, Failures: n}
}

// LastAttempt returns when the client last sent a request to ModelArts
// (its calls' or a probe's), or the zero time.
func (c *Client) LastAttempt() time.Time {
	ns := c.reach.lastAttempt.Load()
	if ns == 0 {
		return time.Time{}
	}
	return time.Unix(0, ns)
}

// Probe asks the endpoint's root for anything, without credentials: any
// HTTP answer (a 404 from the gateway will do) shows ModelArts is
// reachable, and is recorded as such for [Client.Reachable]. It returns
// nil when an answer came.
func (c *Client) Probe(ctx context.Context) error {
	u := c.endpoint
	u.Path, u.RawPath = u.Path+"/", ""
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return fmt.Errorf("modelarts: building the probe: %w", err)
	}
	req.Header.Set(headerUserAgent, c.userAgent)
	resp, err := c.httpClient.Do(req)
	c.reach.record(err == nil, c.clock.Now())
	if err != nil {
		return &transportError{msg: scrub.Text("modelarts: probe: "+err.Error(), maxErrorText, nil), err: err}
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	return nil
}
