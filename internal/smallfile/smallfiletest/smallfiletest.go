//go:build unix

// Package smallfiletest makes, for the tests of code that reads files with
// package smallfile, a path of each kind smallfile refuses, and runs such
// a read with a fail-safe, so that a read that blocks (a named pipe waits
// for a writer, /dev/zero never ends) fails the test instead of hanging it.
package smallfiletest

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// Refusal is a path smallfile refuses and what its error says about it.
type Refusal struct {
	// Path is the path to give the code under test.
	Path string
	// Why is in the error: "/dev/zero is a device, not a regular file".
	Why string
}

// Refused makes, in a fresh directory, a path of each kind smallfile
// refuses, by name: "dev_zero" (/dev/zero), "fifo" (a named pipe no one
// writes to: opening it to read would wait), "directory", and "too_large"
// (a sparse file of 1 GiB, larger than every limit, taking no space).
func Refused(tb testing.TB) map[string]Refusal {
	tb.Helper()
	dir := tb.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		tb.Fatal(err)
	}
	sub := filepath.Join(dir, "dir")
	if err := os.Mkdir(sub, 0o700); err != nil {
		tb.Fatal(err)
	}
	big := filepath.Join(dir, "big")
	if err := os.WriteFile(big, []byte("x"), 0o600); err != nil {
		tb.Fatal(err)
	}
	if err := os.Truncate(big, 1<<30); err != nil {
		tb.Fatal(err)
	}
	return map[string]Refusal{
		"dev_zero":  {"/dev/zero", "/dev/zero is a device, not a regular file"},
		"fifo":      {fifo, fifo + " is a named pipe (FIFO), not a regular file"},
		"directory": {sub, sub + " is a directory, not a regular file"},
		"too_large": {big, big + " is larger than"},
	}
}

// FailSafe is how long Within lets a read run. A refusal takes
// microseconds; the bound only turns a hang into a failure that says what
// hung.
const FailSafe = 30 * time.Second

// Within returns what f returns, or, if f has not returned within
// FailSafe, fails the test (naming what) and opens fifo for writing, which
// lets a read blocked on the named pipe return, then waits for f. A read
// of /dev/zero is not released: the test binary then ends on its timeout
// (or out of memory). fifo may be "".
func Within(tb testing.TB, what string, fifo string, f func() error) error {
	tb.Helper()
	done := make(chan error, 1)
	go func() { done <- f() }()
	timer := time.NewTimer(FailSafe)
	defer timer.Stop()
	select {
	case err := <-done:
		return err
	case <-timer.C:
		tb.Errorf("%s still blocked after %s", what, FailSafe)
		if fifo != "" {
			if w, err := os.OpenFile(fifo, os.O_WRONLY, 0); err == nil {
				w.Close()
			}
		}
		return <-done
	}
}
