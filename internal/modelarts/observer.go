package modelarts

import "time"

// Observer is told what the client does, for metrics. Its methods are
// called on the hot path of every call: they must be cheap, must not
// block, and must be safe for concurrent use. Operation names are those of
// the client's [Operation]s, a small fixed set.
type Observer interface {
	// UpstreamAttempt reports one request sent to ModelArts: whether it
	// was a retry, the HTTP status of its answer (0 when none came: a
	// connection refused or reset, a timeout), the ModelArts error code of
	// an error answer ("" for success or an answer without one), and how
	// long it took.
	UpstreamAttempt(op string, retry bool, httpStatus int, code string, d time.Duration)
	// UpstreamRetryRefused reports a retry not made because the retry
	// budget was spent.
	UpstreamRetryRefused(op string)
	// UpstreamShed reports a call refused by the in-flight cap before
	// anything was sent.
	UpstreamShed(op string)
	// UpstreamInFlight adds delta (1 or -1) to the calls in flight.
	UpstreamInFlight(delta int)
	// UpstreamJoined reports a call that joined an identical read in
	// flight instead of sending a request of its own (see
	// Options.DisableCoalescing): at least one request saved.
	UpstreamJoined(op string)
	// UpstreamReused reports a read answered from the freshness window
	// (see Options.FreshFor) without a request: one request saved.
	UpstreamReused(op string)
}

// nopObserver reports nothing.
type nopObserver struct{}

func (nopObserver) UpstreamAttempt(string, bool, int, string, time.Duration) {}
func (nopObserver) UpstreamRetryRefused(string)                              {}
func (nopObserver) UpstreamShed(string)                                      {}
func (nopObserver) UpstreamInFlight(int)                                     {}
func (nopObserver) UpstreamJoined(string)                                    {}
func (nopObserver) UpstreamReused(string)                                    {}
