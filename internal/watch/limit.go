package watch

import "sync"

// Limiter caps the watches open at once: in all, and per caller. It is
// safe for concurrent use; the zero value is not usable (NewLimiter).
type Limiter struct {
	max, perCaller int

	mu       sync.Mutex
	total    int
	byCaller map[string]int
}

// NewLimiter returns a limiter of max watches in all and perCaller per
// caller; a bound ≤ 0 is no bound.
func NewLimiter(max, perCaller int) *Limiter {
	return &Limiter{max: max, perCaller: perCaller, byCaller: make(map[string]int)}
}

// LimitError says which bound refused a watch.
type LimitError struct {
	// PerCaller: the caller's bound (else the one over all callers).
	PerCaller bool
	// Limit is the bound.
	Limit int
}

func (e *LimitError) Error() string {
	if e.PerCaller {
		return "watch: the caller has as many watches open as it may"
	}
	return "watch: as many watches are open as the facade allows"
}

// Acquire counts a watch of caller, if the bounds allow it, and returns
// the function that releases it (call it once, when the watch ends), or a
// *LimitError.
func (l *Limiter) Acquire(caller string) (release func(), err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.max > 0 && l.total >= l.max {
		return nil, &LimitError{Limit: l.max}
	}
	if l.perCaller > 0 && l.byCaller[caller] >= l.perCaller {
		return nil, &LimitError{PerCaller: true, Limit: l.perCaller}
	}
	l.total++
	l.byCaller[caller]++
	var once sync.Once
	return func() {
		once.Do(func() {
			l.mu.Lock()
			defer l.mu.Unlock()
			l.total--
			if l.byCaller[caller]--; l.byCaller[caller] == 0 {
				delete(l.byCaller, caller)
			}
		})
	}, nil
}

// Open returns how many watches are counted.
func (l *Limiter) Open() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.total
}
