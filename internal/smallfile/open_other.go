//go:build !unix

package smallfile

import "os"

// open opens path for reading, after checking that it is a regular file
// (where opening a named pipe may block, it is then not opened).
func open(path string) (*os.File, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, &notRegularError{path: path, mode: fi.Mode()}
	}
	return os.Open(path)
}
