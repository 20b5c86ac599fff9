//go:build !unix

package envflag

import "io/fs"

// readableByOthers reports whether a secret file's mode lets its group or
// every user read it (file modes mean little outside Unix).
func readableByOthers(fi fs.FileInfo) bool {
	return fi.Mode().Perm()&0o044 != 0
}
