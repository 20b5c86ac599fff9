// Package smallfile reads files that must be small regular files: secrets,
// configuration, callers lists, certificates. A setting that names
// /dev/zero, a named pipe, a directory or a file of gigabytes is refused at
// once, with an error that names the file and what is wrong with it,
// instead of reading without end or blocking until a writer comes.
package smallfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
)

// ErrNotRegular is matched (errors.Is) by the error [Read] returns for a
// path that is not a regular file: a directory, a named pipe (FIFO), a
// device, a socket.
var ErrNotRegular = errors.New("not a regular file")

// ErrTooLarge is matched (errors.Is) by the error [Read] returns for a file
// larger than its limit.
var ErrTooLarge = errors.New("file too large")

// notRegularError says what a path is instead of a regular file.
type notRegularError struct {
	path string
	mode fs.FileMode
}

func (e *notRegularError) Error() string {
	return fmt.Sprintf("%s is %s, not a regular file", e.path, kind(e.mode))
}

func (e *notRegularError) Is(target error) bool { return target == ErrNotRegular }

// kind names a file type for an error message.
func kind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0:
		return "a device"
	}
	return "a special file"
}

// tooLargeError says that a file is over its limit.
type tooLargeError struct {
	path  string
	limit int64
}

func (e *tooLargeError) Error() string {
	return fmt.Sprintf("%s is larger than %s, the most accepted", e.path, Size(e.limit))
}

func (e *tooLargeError) Is(target error) bool { return target == ErrTooLarge }

// Read returns the content of the file at path if it is a regular file (a
// symbolic link to one will do) of at most limit bytes. Otherwise it fails
// at once, without reading: a named pipe is not waited on and a device is
// not read. The file is opened before it is checked, so it cannot be
// swapped for something else in between; a file that grows past limit
// while it is read is refused too. Errors name path, never the content.
func Read(path string, limit int64) ([]byte, error) {
	f, err := open(path)
	if err != nil {
		return nil, err // a *fs.PathError: "open PATH: no such file or directory"
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, &notRegularError{path: path, mode: fi.Mode()}
	}
	if fi.Size() > limit {
		return nil, &tooLargeError{path: path, limit: limit}
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if int64(len(data)) > limit {
		return nil, &tooLargeError{path: path, limit: limit}
	}
	return data, nil
}

// Size writes a byte count for a message: "64 KiB", "1 MiB", "100 bytes".
func Size(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
