package options_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/devenv-facade/devenv-facade/internal/options"
)

func TestOr(t *testing.T) {
	t.Parallel()
	if got := options.Or(time.Duration(0), time.Second); got != time.Second {
		t.Errorf("Or(0, 1s) = %v", got)
	}
	if got := options.Or(options.None, 5); got != options.None {
		t.Errorf("Or(None, 5) = %v; want None kept", got)
	}
}

// TestError: an *Error names its fields as Go does, or as a command's
// name function says; In nests them under the parent field.
func TestError(t *testing.T) {
	t.Parallel()
	inner := options.Errorf("modelarts", "{MaxBackoff} %s is below {InitialBackoff} %s", time.Second, 3*time.Second)
	if got, want := inner.Error(), "modelarts: MaxBackoff 1s is below InitialBackoff 3s"; got != want {
		t.Errorf("Error() = %q; want %q", got, want)
	}
	var err error = inner.In("server", "Retry")
	var e *options.Error
	if !errors.As(err, &e) {
		t.Fatal("not an *Error")
	}
	if got, want := e.Error(), "server: Retry.MaxBackoff 1s is below Retry.InitialBackoff 3s"; got != want {
		t.Errorf("Error() = %q; want %q", got, want)
	}
	if got, want := e.Fields(), []string{"Retry.MaxBackoff", "Retry.InitialBackoff"}; !slices.Equal(got, want) {
		t.Errorf("Fields() = %q; want %q", got, want)
	}
	flags := map[string]string{"Retry.MaxBackoff": "--retry-max-backoff", "Retry.InitialBackoff": "--retry-initial-backoff"}
	if got, want := e.Describe(func(f string) string { return flags[f] }), "--retry-max-backoff 1s is below --retry-initial-backoff 3s"; got != want {
		t.Errorf("Describe() = %q; want %q", got, want)
	}
	if got := options.Errorf("p", "{A} is 100%% wrong").Describe(func(string) string { return "50%" }); got != "50% is 100% wrong" {
		t.Errorf("a name with %%: %q", got)
	}
}
