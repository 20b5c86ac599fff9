package main

import (
	"log/slog"
	"math"
	"os"
	"runtime/debug"

	"github.com/KimMachineGun/automemlimit/memlimit"
)

// memoryLimitRatio is the share of the container's memory limit the Go
// runtime's soft limit is set to: the rest is for what the runtime does
// not count (the binary's code, the kernel's buffers of its sockets) and
// for the overshoot of a soft limit.
const memoryLimitRatio = 0.9

// memoryLimitProvider reports the container's memory limit: the cgroup's
// (v2 memory.max, or v1 memory.limit_in_bytes), which Kubernetes sets from
// resources.limits.memory.
var memoryLimitProvider = memlimit.FromCgroup

// setMemoryLimit gives the Go runtime a soft memory limit (GOMEMLIMIT),
// unless the environment sets GOMEMLIMIT or AUTOMEMLIMIT=off: 90% of the
// limit provider reports (AUTOMEMLIMIT=0.8 another share), so that the GC
// works harder as the process nears the container's limit instead of
// letting the heap double past it and the kernel kill the process. With no
// limit it sets none. It logs the limit in force and where it came from.
func setMemoryLimit(logger *slog.Logger, provider memlimit.Provider) {
	from := "the container's memory limit"
	if os.Getenv("GOMEMLIMIT") != "" {
		from = "GOMEMLIMIT"
	}
	if _, err := memlimit.Set(memlimit.WithProvider(provider), memlimit.WithRatio(memoryLimitRatio)); err != nil {
		logger.Warn("no Go memory limit from the container's memory limit", slog.Any("error", err))
	}
	limit := debug.SetMemoryLimit(-1)
	if limit == math.MaxInt64 {
		logger.Info("no Go memory limit (GOMEMLIMIT): no container memory limit found and none set")
		return
	}
	logger.Info("Go memory limit (GOMEMLIMIT)", slog.Int64("gomemlimit_mib", limit>>20), slog.String("from", from))
}
