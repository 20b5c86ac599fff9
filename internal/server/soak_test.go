//go:build soak

package server_test

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/devenv-facade/devenv-facade/internal/cloudauth"
	"github.com/devenv-facade/devenv-facade/internal/emulator"
	"github.com/devenv-facade/devenv-facade/internal/options"
	"github.com/devenv-facade/devenv-facade/internal/server"
)

// TestSoak drives many calls (SOAK_CALLS, default 100000) through the
// facade at SOAK_CONCURRENCY (default 64), one in ten into an injected
// fault, and checks that every call ends with a status and that goroutines
// and memory come back down afterwards. Run it with `make soak`.
func TestSoak(t *testing.T) {
	calls := envInt("SOAK_CALLS", 100_000)
	concurrency := envInt("SOAK_CONCURRENCY", 64)
	faults := []string{"reset", "html", "empty", "s503-c6200", "s500-c6102", "s429-c6101", "truncate", "lat20ms",
		"drop", "s401-c0202", "stall"}

	runtime.GC()
	baseGoroutines, baseRSS := runtime.NumGoroutine(), rssKiB()

	emu := emulator.MustNew(emulator.Options{RequestLog: options.None})
	upstream := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
	f := startFacade(t, emu, func(o *server.Options) { o.Credentials = cloudauth.Token("t"); o.HTTPClient = upstream })

	var peakGoroutines, peakRSS atomic.Int64
	stopSampling := make(chan struct{})
	var sampler sync.WaitGroup
	sampler.Add(1)
	go func() {
		defer sampler.Done()
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stopSampling:
				return
			case <-tick.C:
				storeMax(&peakGoroutines, int64(runtime.NumGoroutine()))
				storeMax(&peakRSS, rssKiB())
			}
		}
	}()

	var next atomic.Int64
	var mu sync.Mutex
	byCode := map[codes.Code]int{}
	injected := 0
	start := time.Now()
	var workers sync.WaitGroup
	for range concurrency {
		workers.Add(1)
		go func() {
			defer workers.Done()
			local := map[codes.Code]int{}
			localInjected := 0
			for {
				i := next.Add(1) - 1
				if i >= int64(calls) {
					break
				}
				id := "fault-n" + strconv.FormatInt(i, 10)
				deadline := 2 * time.Second
				if i%10 == 0 {
					spec := faults[(i/10)%int64(len(faults))]
					id = "fault-" + spec + "-n" + strconv.FormatInt(i, 10)
					localInjected++
					if spec == "stall" {
						deadline = 200 * time.Millisecond
					}
				}
				ctx, cancel := context.WithTimeout(context.Background(), deadline)
				_, err := f.client.DeleteInstance(ctx, del(id))
				cancel()
				local[status.Code(err)]++
			}
			mu.Lock()
			for c, n := range local {
				byCode[c] += n
			}
			injected += localInjected
			mu.Unlock()
		}()
	}
	workers.Wait()
	elapsed := time.Since(start)
	close(stopSampling)
	sampler.Wait()

	total := 0
	for _, n := range byCode {
		total += n
	}
	if total != calls {
		t.Errorf("%d calls ended with a status; want %d", total, calls)
	}
	attempts := emu.RequestCount()
	if err := f.stop(); err != nil {
		t.Fatal(err)
	}
	f.conn.Close()
	upstream.CloseIdleConnections()
	f.closeUpstream()
	// Let closed connections' goroutines finish, then measure again. No
	// event says when they have; goleak waits the same way.
	var endGoroutines int
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); <-tick.C {
		runtime.GC()
		if endGoroutines = runtime.NumGoroutine(); endGoroutines <= baseGoroutines+5 {
			break
		}
	}
	debug.FreeOSMemory()
	endRSS := rssKiB()

	t.Logf("calls %d in %v (%.0f/s), concurrency %d, injected faults %d (%.1f%%)", calls, elapsed.Round(time.Millisecond),
		float64(calls)/elapsed.Seconds(), concurrency, injected, 100*float64(injected)/float64(calls))
	t.Logf("status codes: %v", byCode)
	t.Logf("attempts at the emulator: %d (%.3f per call)", attempts, float64(attempts)/float64(calls))
	t.Logf("goroutines: baseline %d, peak %d, end %d", baseGoroutines, peakGoroutines.Load(), endGoroutines)
	t.Logf("RSS (whole test process: facade, emulator and load): baseline %d MiB, peak %d MiB, end %d MiB",
		baseRSS/1024, peakRSS.Load()/1024, endRSS/1024)
	if endGoroutines > baseGoroutines+5 {
		buf := make([]byte, 1<<20)
		t.Errorf("goroutines did not return to baseline: %d, started at %d\n%s", endGoroutines, baseGoroutines, buf[:runtime.Stack(buf, true)])
	}
	if endRSS > baseRSS+64*1024 {
		t.Errorf("RSS did not come back down: %d MiB after, %d MiB before", endRSS/1024, baseRSS/1024)
	}
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

func storeMax(a *atomic.Int64, v int64) {
	for {
		old := a.Load()
		if v <= old || a.CompareAndSwap(old, v) {
			return
		}
	}
}

// rssKiB reads the process's resident set size from /proc.
func rssKiB() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			var kib int64
			fmt.Sscanf(strings.TrimSpace(rest), "%d", &kib)
			return kib
		}
	}
	return 0
}
