package callerauth

import (
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/devenv-facade/devenv-facade/internal/clock/clocktest"

	"github.com/devenv-facade/devenv-facade/internal/logbuf"
)

// TestRefusedCallsAreSampled: a flood of refused calls writes one WARN line
// per interval, with the count of those in between, and every refusal at
// DEBUG only.
func TestRefusedCallsAreSampled(t *testing.T) {
	var logs logbuf.Buffer
	clock := clocktest.New(time.Unix(1000, 0))
	a := &Authenticator{logger: slog.New(slog.NewTextHandler(&logs, nil)), clock: clock}
	for range 1000 {
		a.refused("grpc", "/m", "rid", errors.New("bad token"))
		clock.Advance(time.Millisecond) // 1000 refusals in one second
	}
	clock.Advance(refusalLogInterval)
	a.refused("rest", "DELETE /x", "rid", errors.New("bad token"))
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d log lines at info level; want 2:\n%s", len(lines), logs.String())
	}
	if !strings.Contains(lines[0], "refused_since_last_line=0") || !strings.Contains(lines[1], "refused_since_last_line=999") {
		t.Errorf("log lines do not count the refusals in between:\n%s", logs.String())
	}
}
