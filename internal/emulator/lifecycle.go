package emulator

import (
	"strings"
	"time"

	"github.com/devenv-facade/devenv-facade/internal/options"
)

// Lifecycle says how long the asynchronous operations take on the
// emulator's clock (Options.Clock). Create, Start and Stop apply to both
// APIs' instances; the others to the new API's notebooks only (the old
// API deletes at once and has no images or mounts).
type Lifecycle struct {
	// Create is how long an instance stays CREATING before it is RUNNING
	// (or CREATE_FAILED).
	Create time.Duration
	// Start is how long it stays STARTING before it is RUNNING (or
	// START_FAILED).
	Start time.Duration
	// Stop is how long it stays STOPPING before it is STOPPED.
	Stop time.Duration
	// Delete is how long a notebook stays DELETING before it is gone (or
	// DELETE_FAILED).
	Delete time.Duration
	// Snapshot is how long saving an image takes: the notebook is
	// SNAPSHOTTING and the image INIT for the first half, CREATING for the
	// second, then ACTIVE and the notebook RUNNING again.
	Snapshot time.Duration
	// Mount is how long an OBS mount stays MOUNTING before it is MOUNTED
	// (or MOUNT_FAILED); Unmount how long it stays UNMOUNTING before it
	// is gone.
	Mount, Unmount time.Duration
	// Resize is how long an EVS volume that grows stays RESIZING.
	Resize time.Duration
}

// DefaultLifecycle returns the delays a [Server] uses unless
// Options.Lifecycle says otherwise: a few seconds each, so that a client
// sees the intermediate states without waiting long.
func DefaultLifecycle() Lifecycle {
	return Lifecycle{Create: 5 * time.Second, Start: 3 * time.Second, Stop: 2 * time.Second, Delete: 2 * time.Second,
		Snapshot: 6 * time.Second, Mount: 2 * time.Second, Unmount: 2 * time.Second, Resize: 3 * time.Second}
}

// delays returns pointers to the delays, for the checks that treat them
// alike.
func (l *Lifecycle) delays() []*time.Duration {
	return []*time.Duration{&l.Create, &l.Start, &l.Stop, &l.Delete, &l.Snapshot, &l.Mount, &l.Unmount, &l.Resize}
}

// withDefaults returns l with its zero delays set to [DefaultLifecycle]'s.
func (l Lifecycle) withDefaults() Lifecycle {
	d := DefaultLifecycle()
	defs := d.delays()
	for i, p := range l.delays() {
		*p = options.Or(*p, *defs[i])
	}
	return l
}

// negative reports whether a delay is negative other than [options.None].
func (l Lifecycle) negative() bool {
	for _, p := range l.delays() {
		if *p < options.None {
			return true
		}
	}
	return false
}

// DefaultInstanceQuota is how many instances a project may hold unless
// Options.InstanceQuota says otherwise.
const DefaultInstanceQuota = 1000

// Names that make operations fail, for tests (see the package
// documentation).
const (
	// FailCreatePrefix starts the names of instances whose creation fails:
	// they go from CREATING to CREATE_FAILED.
	FailCreatePrefix = "fail-create"
	// FailStartPrefix starts the names of instances whose starts fail:
	// they are created fine, but each start goes from STARTING to
	// START_FAILED.
	FailStartPrefix = "fail-start"
)

// The auto-stop durations the reference allows, in seconds.
const (
	minAutoStop = 3600
	maxAutoStop = 86400
)

// createFailedReasons are the failed_reasons of a failed create. The code
// and message are the vendor's 6200 (no resources); the reference does not
// show a failed_reasons sample (inferred).
func createFailedReasons(why string) *FailedReasons {
	return &FailedReasons{
		Code:    "ModelArts.6200",
		Message: "No resources available. Please try again later or submit a service ticket.",
		Detail:  map[string]string{"reason": "emulated creation failure: " + why},
	}
}

// startFailedReasons are the failed_reasons of a failed start: the
// vendor's 6360 (inferred, as above).
func startFailedReasons(why string) *FailedReasons {
	return &FailedReasons{
		Code:    "ModelArts.6360",
		Message: "Failed to start the notebook due to insufficient background resources. Try again later.",
		Detail:  map[string]string{"reason": "emulated start failure: " + why},
	}
}

// settle brings inst up to now: it applies the pending transition once its
// time has come, and the auto-stop once the instance has run for its
// duration. Status changes set latest_update_timestamp to the time they
// happened (as in the vendor's get sample, whose latest_update_timestamp is
// when it became RUNNING: inferred).
func settle(inst *Instance, now time.Time) {
	for {
		if t := inst.Next; t != nil && !now.Before(t.At) {
			inst.Next = nil
			inst.Status, inst.UpdatedAt = t.To, t.At
			inst.FailedReasons = t.FailedReasons
			inst.AutoStop.StopAt = time.Time{}
			if t.To == StatusRunning && inst.AutoStop.Enable && inst.AutoStop.Duration > 0 {
				// Counted from RUNNING: in the vendor's get sample,
				// stop_timestamp is latest_update_timestamp + duration
				// + the seconds the answer took (inferred).
				inst.AutoStop.StopAt = t.At.Add(inst.AutoStop.Duration)
			}
			continue
		}
		if inst.Next == nil && inst.Status == StatusRunning && inst.AutoStop.Enable &&
			!inst.AutoStop.StopAt.IsZero() && !now.Before(inst.AutoStop.StopAt) {
			// RUNNING → STOPPED directly, as the reference words it
			// ("the instance will automatically stop when the running
			// duration is reached"); no STOPPING in between (inferred).
			inst.Status, inst.UpdatedAt = StatusStopped, inst.AutoStop.StopAt
			inst.AutoStop.StopAt = time.Time{}
		}
		return
	}
}

// startGuard returns the error ModelArts gives for starting an instance in
// the given status, or nil if the start may proceed. 6305, 6306, 6308 and
// 6357 (while CREATING) follow the error texts and the API fact sheet. A
// start from START_FAILED retries it; a CREATE_FAILED, UNAVAILABLE,
// RESIZING, RESIZE_FAILED or DELETED instance cannot be started: 6357
// (inferred: the reference is silent; a failed creation leaves nothing to
// start).
func startGuard(st Status) *vendorError {
	switch st {
	case StatusStopped, StatusStartFailed:
		return nil
	case StatusRunning:
		return errAlreadyRunning
	case StatusStarting, StatusRestarting:
		return errInstanceStarting
	case StatusStopping:
		return errInstanceStopping
	}
	return errOperationInProgress
}

// stopGuard returns the error ModelArts gives for stopping an instance in
// the given status, or nil if the stop may proceed: 6307, 6308, 6306 and
// 6357 (while CREATING or RESIZING) follow the error texts. An instance
// that is neither running nor on its way anywhere (CREATE_FAILED,
// START_FAILED, UNAVAILABLE, RESIZE_FAILED, DELETED) gives 6327, "The
// instance is not in running" (inferred).
func stopGuard(st Status) *vendorError {
	switch st {
	case StatusRunning:
		return nil
	case StatusStopped:
		return errAlreadyStopped
	case StatusStopping:
		return errInstanceStopping
	case StatusStarting, StatusRestarting:
		return errInstanceStarting
	case StatusCreating, StatusResizing:
		return errOperationInProgress
	}
	return errNotRunning
}

// deleteGuard returns the error ModelArts gives for deleting an instance in
// the given status, or nil if the delete may proceed. The reference
// documents 6304 (stop before deleting); the others follow the error texts
// of 6306, 6308 and 6357 (inferred).
func deleteGuard(st Status) *vendorError {
	switch st {
	case StatusRunning:
		return errStopBeforeDelete
	case StatusStarting, StatusRestarting:
		return errInstanceStarting
	case StatusStopping:
		return errInstanceStopping
	case StatusCreating, StatusResizing:
		return errOperationInProgress
	}
	return nil
}

// start moves a startable instance to STARTING, towards RUNNING, or
// START_FAILED for a name with [FailStartPrefix].
func (s *Server) start(inst *Instance, now time.Time) {
	inst.Status, inst.UpdatedAt = StatusStarting, now
	inst.FailedReasons = nil
	inst.AutoStop.StopAt = time.Time{}
	next := &Transition{To: StatusRunning, At: now.Add(s.lifecycle.Start)}
	if strings.HasPrefix(inst.Name, FailStartPrefix) {
		next.To, next.FailedReasons = StatusStartFailed, startFailedReasons("the instance name starts with "+FailStartPrefix)
	}
	inst.Next = next
}

// stop moves a running instance to STOPPING, towards STOPPED.
func (s *Server) stop(inst *Instance, now time.Time) {
	inst.Status, inst.UpdatedAt = StatusStopping, now
	inst.AutoStop.StopAt = time.Time{}
	inst.Next = &Transition{To: StatusStopped, At: now.Add(s.lifecycle.Stop)}
}
