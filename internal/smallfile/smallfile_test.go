//go:build unix

package smallfile_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/devenv-facade/devenv-facade/internal/smallfile"
)

// failSafe is how long a Read may take before the test calls it blocked.
// Every case answers in microseconds; the bound only turns a hang into a
// failure that says what hung.
const failSafe = 30 * time.Second

// readOrBlocked runs Read in a goroutine and fails the test if it has not
// returned within failSafe; release, if not nil, is then called to let it
// return (a named pipe is opened for writing).
func readOrBlocked(t *testing.T, path string, limit int64, release func()) ([]byte, error) {
	t.Helper()
	type result struct {
		data []byte
		err  error
	}
	done := make(chan result, 1)
	go func() {
		data, err := smallfile.Read(path, limit)
		done <- result{data, err}
	}()
	timer := time.NewTimer(failSafe)
	defer timer.Stop()
	select {
	case r := <-done:
		return r.data, r.err
	case <-timer.C:
		t.Errorf("Read(%s) still blocked after %s", path, failSafe)
		if release != nil {
			release()
		}
		r := <-done
		return r.data, r.err
	}
}

func TestRead(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name string, size int) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(strings.Repeat("x", size)), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	atLimit := write("at-limit", 100)
	overLimit := write("over-limit", 101)
	empty := write("empty", 0)
	link := filepath.Join(dir, "link")
	if err := os.Symlink(atLimit, link); err != nil {
		t.Fatal(err)
	}
	// A file as large as a disk allows, without taking the space: its
	// size alone refuses it.
	huge := filepath.Join(dir, "huge")
	if err := os.WriteFile(huge, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(huge, 1<<40); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	releaseFIFO := func() {
		if f, err := os.OpenFile(fifo, os.O_WRONLY, 0); err == nil {
			f.Close()
		}
	}
	linkToZero := filepath.Join(dir, "zero-link")
	if err := os.Symlink("/dev/zero", linkToZero); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name    string
		path    string
		release func()
		want    int    // bytes read, on success
		wantErr error  // errors.Is
		wantIn  string // in the error
	}{
		{"at_limit", atLimit, nil, 100, nil, ""},
		{"empty", empty, nil, 0, nil, ""},
		{"symlink_to_regular", link, nil, 100, nil, ""},
		{"over_limit", overLimit, nil, 0, smallfile.ErrTooLarge, overLimit + " is larger than 100 bytes"},
		{"huge", huge, nil, 0, smallfile.ErrTooLarge, "larger than"},
		{"dev_zero", "/dev/zero", nil, 0, smallfile.ErrNotRegular, "/dev/zero is a device, not a regular file"},
		{"symlink_to_dev_zero", linkToZero, nil, 0, smallfile.ErrNotRegular, "is a device"},
		{"fifo_without_writer", fifo, releaseFIFO, 0, smallfile.ErrNotRegular, fifo + " is a named pipe (FIFO), not a regular file"},
		{"directory", dir, nil, 0, smallfile.ErrNotRegular, dir + " is a directory, not a regular file"},
		{"missing", filepath.Join(dir, "missing"), nil, 0, os.ErrNotExist, "missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, err := readOrBlocked(t, tt.path, 100, tt.release)
			if tt.wantErr == nil {
				if err != nil || len(data) != tt.want {
					t.Errorf("Read: %d bytes, %v; want %d bytes", len(data), err, tt.want)
				}
				return
			}
			if !errors.Is(err, tt.wantErr) || !strings.Contains(err.Error(), tt.wantIn) {
				t.Errorf("Read: %d bytes, error %v; want %v, mentioning %q", len(data), err, tt.wantErr, tt.wantIn)
			}
		})
	}
}

func TestSize(t *testing.T) {
	t.Parallel()
	for n, want := range map[int64]string{100: "100 bytes", 64 << 10: "64 KiB", 1 << 20: "1 MiB", 1<<20 + 1: "1048577 bytes", 3 << 20: "3 MiB"} {
		if got := smallfile.Size(n); got != want {
			t.Errorf("Size(%d) = %q; want %q", n, got, want)
		}
	}
}
