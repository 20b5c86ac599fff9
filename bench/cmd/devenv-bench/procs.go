package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// build compiles the server binaries into dir.
func build(ctx context.Context, root, benchDir, dir string) error {
	return buildSteps(ctx, dir,
		buildStep{root, "./cmd/devenv-facade", "devenv-facade"},
		buildStep{root, "./cmd/modelarts-emulator", "modelarts-emulator"},
		buildStep{benchDir, "./cmd/vanguard-proxy", "vanguard-proxy"},
		buildStep{benchDir, "./cmd/bare-facade", "bare-facade"})
}

// buildStep is a binary to build: the package pkg of the module in wd,
// written as out.
type buildStep struct{ wd, pkg, out string }

// buildSteps compiles the binaries of steps into dir.
func buildSteps(ctx context.Context, dir string, steps ...buildStep) error {
	for _, s := range steps {
		cmd := exec.CommandContext(ctx, "go", "build", "-o", filepath.Join(dir, s.out), s.pkg)
		cmd.Dir, cmd.Stdout, cmd.Stderr = s.wd, os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("building %s: %w", s.pkg, err)
		}
	}
	return nil
}

// server is a process under measurement.
type server struct {
	name string
	cmd  *exec.Cmd // nil for the harness itself
	addr string
}

// self stands for the harness process, the load generator.
var self = &server{name: "load generator"}

func (s *server) pid() int {
	if s.cmd == nil {
		return os.Getpid()
	}
	return s.cmd.Process.Pid
}

// start runs a binary and waits for a log line matching addrPattern, whose
// first group is the address it serves on. The rest of its output is
// discarded (but read, so the process never blocks on a full pipe).
func start(ctx context.Context, name, bin string, addrPattern *regexp.Regexp, args ...string) (*server, error) {
	return startEnv(ctx, name, bin, addrPattern, nil, args...)
}

// startEnv is start with env added to the harness's environment.
func startEnv(ctx context.Context, name, bin string, addrPattern *regexp.Regexp, env []string, args ...string) (*server, error) {
	cmd := exec.CommandContext(ctx, bin, args...)
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 10 * time.Second
	out, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stdout = io.Discard
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		sent := false
		for sc.Scan() {
			if !sent {
				if m := addrPattern.FindStringSubmatch(sc.Text()); m != nil {
					found <- m[1]
					sent = true
				}
			}
		}
		if !sent {
			close(found)
		}
	}()
	select {
	case addr, ok := <-found:
		if !ok {
			return nil, fmt.Errorf("%s exited before serving", name)
		}
		return &server{name: name, cmd: cmd, addr: addr}, nil
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		return nil, fmt.Errorf("%s did not start within 30s", name)
	}
}

func (s *server) stop() {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	_ = s.cmd.Wait()
}

// clockTicks is USER_HZ, the unit of /proc/<pid>/stat CPU times; it is 100
// on every Linux architecture Go supports.
const clockTicks = 100

// cpuTime returns the process's user+system CPU time.
func (s *server) cpuTime() time.Duration {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", s.pid()))
	if err != nil {
		return 0
	}
	// Fields after the command name (which is in parentheses and may
	// contain spaces): state is field 3, utime 14, stime 15.
	rest := string(raw[strings.LastIndexByte(string(raw), ')')+2:])
	f := strings.Fields(rest)
	if len(f) < 13 {
		return 0
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * time.Second / clockTicks
}

// resetPeakRSS restarts the process's resident-set high-water mark.
func (s *server) resetPeakRSS() {
	_ = os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", s.pid()), []byte("5"), 0)
}

// peakRSS returns VmHWM: the largest resident set since the last reset.
func (s *server) peakRSS() int64 { return s.statusKiB("VmHWM:") }

// rss returns VmRSS: the resident set now.
func (s *server) rss() int64 { return s.statusKiB("VmRSS:") }

// statusKiB returns the field of /proc/<pid>/status named by prefix (a
// size in KiB there), in bytes; 0 if it cannot be read.
func (s *server) statusKiB(prefix string) int64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", s.pid()))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), prefix); ok {
			kib, _ := strconv.ParseInt(strings.Fields(rest)[0], 10, 64)
			return kib << 10
		}
	}
	return 0
}
