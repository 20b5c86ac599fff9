//go:build unix

package envflag

import (
	"io/fs"
	"os"
	"syscall"
)

// readableByOthers reports whether a secret file may be read by users
// other than its owner: every user, or a group that is not the process's
// own. A file readable by the process's own group is not reported: that is
// how Kubernetes mounts a Secret for a non-root container (root-owned,
// group fsGroup, mode 0440), and the group is the facade's.
func readableByOthers(fi fs.FileInfo) bool {
	perm := fi.Mode().Perm()
	if perm&0o004 != 0 {
		return true
	}
	if perm&0o040 == 0 {
		return false
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	return !ok || int(st.Gid) != os.Getegid()
}
