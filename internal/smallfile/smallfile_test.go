//go:build unix

package smallfile_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/devenv-facade/devenv-facade/internal/smallfile"
	"github.com/devenv-facade/devenv-facade/internal/smallfile/smallfiletest"
)

// readOrBlocked is Read within smallfiletest.FailSafe: a Read that blocks
// fails the test, and fifo, a named pipe, is then opened for writing to
// let it return.
func readOrBlocked(t *testing.T, path string, limit int64, fifo string) ([]byte, error) {
	t.Helper()
	var data []byte
	err := smallfiletest.Within(t, "Read("+path+")", fifo, func() error {
		var err error
		data, err = smallfile.Read(path, limit)
		return err
	})
	return data, err
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
	fifo := smallfiletest.Refused(t)["fifo"].Path
	linkToZero := filepath.Join(dir, "zero-link")
	if err := os.Symlink("/dev/zero", linkToZero); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name    string
		path    string
		want    int    // bytes read, on success
		wantErr error  // errors.Is
		wantIn  string // in the error
	}{
		{"at_limit", atLimit, 100, nil, ""},
		{"empty", empty, 0, nil, ""},
		{"symlink_to_regular", link, 100, nil, ""},
		{"over_limit", overLimit, 0, smallfile.ErrTooLarge, overLimit + " is larger than 100 bytes"},
		{"huge", huge, 0, smallfile.ErrTooLarge, "larger than"},
		{"dev_zero", "/dev/zero", 0, smallfile.ErrNotRegular, "/dev/zero is a device, not a regular file"},
		{"symlink_to_dev_zero", linkToZero, 0, smallfile.ErrNotRegular, "is a device"},
		{"fifo_without_writer", fifo, 0, smallfile.ErrNotRegular, fifo + " is a named pipe (FIFO), not a regular file"},
		{"directory", dir, 0, smallfile.ErrNotRegular, dir + " is a directory, not a regular file"},
		{"missing", filepath.Join(dir, "missing"), 0, os.ErrNotExist, "missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, err := readOrBlocked(t, tt.path, 100, fifo)
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
