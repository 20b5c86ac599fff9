// Package buildinfo says which build of the facade is running: its version,
// the commit it was built from and the Go version, for --version, the
// start-up log and metrics.
package buildinfo

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// Version overrides the module version recorded by the Go toolchain, for
// release builds: go build -ldflags "-X
// github.com/devenv-facade/devenv-facade/internal/buildinfo.Version=v1.2.3".
var Version string

// Info describes a build.
type Info struct {
	// Version is the release version, the module's pseudo-version for a
	// build from a git checkout, or "(devel)" when neither is known.
	Version string
	// Commit is the VCS revision the binary was built from, or "unknown"
	// (go run, or a build outside a git checkout).
	Commit string
	// Modified reports whether the checkout had uncommitted changes.
	Modified bool
	// GoVersion is the Go toolchain that built the binary.
	GoVersion string
}

// Read returns the running binary's build information.
func Read() Info {
	info := Info{Version: "(devel)", Commit: "unknown", GoVersion: runtime.Version()}
	bi, ok := debug.ReadBuildInfo()
	if ok {
		if v := bi.Main.Version; v != "" {
			info.Version = v
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				info.Commit = s.Value
			case "vcs.modified":
				info.Modified = s.Value == "true"
			}
		}
	}
	if Version != "" {
		info.Version = Version
	}
	return info
}

// String describes the build on one line: "v1.2.3 (commit 0123abc,
// go1.26.8)", with ", modified" when the checkout had changes.
func (i Info) String() string {
	commit := i.Commit
	if len(commit) > 12 {
		commit = commit[:12]
	}
	if i.Modified {
		commit += ", modified"
	}
	return fmt.Sprintf("%s (commit %s, %s)", i.Version, commit, i.GoVersion)
}
