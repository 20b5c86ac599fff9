//go:build unix

package smallfile

import (
	"os"
	"syscall"
)

// open opens path for reading without blocking: opening a named pipe for
// reading otherwise waits for a writer, which may never come. Reads from a
// regular file are not affected by O_NONBLOCK.
func open(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
}
