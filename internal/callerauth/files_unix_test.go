//go:build unix

package callerauth_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/devenv-facade/devenv-facade/internal/callerauth"
	"github.com/devenv-facade/devenv-facade/internal/smallfile/smallfiletest"
)

// TestLoadAndCheck_onlySmallRegularFiles: the callers file must be a
// regular file of at most 1 MiB, at start and at every check: /dev/zero, a
// named pipe, a directory or a larger file is refused at once (not read
// without end, not waited on), and a check keeps the callers in force.
func TestLoadAndCheck_onlySmallRegularFiles(t *testing.T) {
	t.Parallel()
	refused := smallfiletest.Refused(t)
	fifo := refused["fifo"].Path
	big := filepath.Join(t.TempDir(), "big") // a valid start, then 1 MiB of comment
	if err := os.WriteFile(big, []byte("callers: []\n#"+strings.Repeat("x", 1<<20)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, path, why string }{
		{"dev_zero", refused["dev_zero"].Path, " is a device, not a regular file"},
		{"fifo", fifo, " is a named pipe (FIFO), not a regular file"},
		{"directory", refused["directory"].Path, " is a directory, not a regular file"},
		{"too_large", big, " is larger than 1 MiB"},
	}
	within := func(what string, f func() error) error { return smallfiletest.Within(t, what, fifo, f) }
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := within("Load", func() error { _, err := callerauth.Load(tt.path, callerauth.Options{}); return err })
			if want := "callers file: " + tt.path + tt.why; err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("Load: %v; want an error with %q", err, want)
			}

			// The file in force is replaced by the bad one (a symbolic
			// link renamed over it, as a mounted Secret's files are).
			path := writeFile(t, callersFile())
			a, err := callerauth.Load(path, callerauth.Options{})
			if err != nil {
				t.Fatal(err)
			}
			link := path + ".link"
			if err := os.Symlink(tt.path, link); err != nil {
				t.Fatal(err)
			}
			if err := os.Rename(link, path); err != nil {
				t.Fatal(err)
			}
			if err, want := within("Check", a.Check), "callers file: "+path+tt.why; err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("Check: %v; want an error with %q", err, want)
			}
			if _, err := a.Authenticate(t.Context(), []string{"Bearer alice-token"}); err != nil {
				t.Errorf("after a failed check, the callers in force: %v", err)
			}
		})
	}
}
