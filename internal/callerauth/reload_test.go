package callerauth_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/devenv-facade/devenv-facade/internal/callerauth"
	"github.com/devenv-facade/devenv-facade/internal/logbuf"
)

// TestCheck_brokenFileReportedOncePerContent: a broken callers file that
// stays as it is is logged at ERROR and heard by the observer (counted as
// a failed reload) once, not on every check; a different broken content is
// reported again, and so is the repaired file, even when it is the content
// in force before the breakage. Reload (SIGHUP) reports every time: it was
// asked for.
func TestCheck_brokenFileReportedOncePerContent(t *testing.T) {
	t.Parallel()
	good := "callers:\n  - name: a\n    token_sha256: " + hash("a-token") + "\n    projects: [\"*\"]\n"
	path := writeFile(t, good)
	var logs logbuf.Buffer
	heard := make(chan error, 100)
	a, err := callerauth.Load(path, callerauth.Options{Logger: slog.New(slog.NewTextHandler(&logs, nil)), OnReload: func(err error) { heard <- err }})
	if err != nil {
		t.Fatal(err)
	}
	ticks := make(chan time.Time)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		a.Watch(ctx, ticks)
	}()
	defer func() {
		cancel()
		<-done
	}()
	// check makes Watch check n times and waits for the checks to be
	// done: Watch takes a tick only once the check before it is over, so
	// after the (n+1)th tick is taken the nth check has finished.
	check := func(n int) {
		for range n + 1 {
			ticks <- time.Now()
		}
	}
	// drain returns what the observer heard so far, as failures and
	// successes.
	drain := func() (failures, successes int) {
		for {
			select {
			case err := <-heard:
				if err != nil {
					failures++
				} else {
					successes++
				}
			default:
				return
			}
		}
	}
	errorLines := func() int { return strings.Count(logs.String(), "level=ERROR") }

	steps := []struct {
		name                string
		content             string // replaces the file, unless ""
		checks              int
		failures, successes int // heard over the checks
		errorLines          int // in all, so far
	}{
		{"broken", "callers: [broken", 5, 1, 0, 1},
		{"broken_the_same_way_again", "", 5, 0, 0, 1},
		{"broken_otherwise", "callers: [{name: a}]\n", 5, 1, 0, 2},
		{"repaired_as_before", good, 5, 0, 1, 2},
		{"unchanged_good", "", 5, 0, 0, 2},
		{"broken_as_the_first_time", "callers: [broken", 3, 1, 0, 3},
	}
	for _, st := range steps {
		if st.content != "" {
			// Replaced whole (written beside it, then renamed), as the
			// watcher may be reading it.
			replaceFile(t, path, st.content)
		}
		check(st.checks)
		failures, successes := drain()
		if failures != st.failures || successes != st.successes {
			t.Errorf("%s: over %d checks the observer heard %d failures and %d reloads; want %d and %d",
				st.name, st.checks, failures, successes, st.failures, st.successes)
		}
		if n := errorLines(); n != st.errorLines {
			t.Errorf("%s: %d ERROR lines so far; want %d:\n%s", st.name, n, st.errorLines, logs.String())
		}
	}
	if _, err := a.Authenticate(t.Context(), []string{"Bearer a-token"}); err != nil {
		t.Errorf("the callers before the breakage are not in force: %v", err)
	}
	if n := strings.Count(logs.String(), "reloaded the callers file"); n != 1 {
		t.Errorf("%d lines say the file was reloaded; want 1 (its repair):\n%s", n, logs.String())
	}

	// Reload, asked for, reports the broken file every time; Check then
	// stays quiet about it.
	for range 2 {
		if err := a.Reload(); err == nil {
			t.Error("Reload of a broken file succeeded")
		}
	}
	check(3)
	if failures, _ := drain(); failures != 2 {
		t.Errorf("two Reloads and 3 checks of a broken file: heard %d failures; want 2", failures)
	}
	if n := errorLines(); n != 5 {
		t.Errorf("%d ERROR lines; want 5 (3 before, 2 Reloads)", n)
	}
}
