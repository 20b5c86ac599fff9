package emulator

// Status is the lifecycle state of an instance, as in the "status" field.
type Status string

// The instance states listed in the vendor's reference.
const (
	StatusCreating     Status = "CREATING"
	StatusCreateFailed Status = "CREATE_FAILED"
	StatusStarting     Status = "STARTING"
	StatusRestarting   Status = "RESTARTING"
	StatusStartFailed  Status = "START_FAILED"
	StatusRunning      Status = "RUNNING"
	StatusStopping     Status = "STOPPING"
	StatusStopped      Status = "STOPPED"
	StatusUnavailable  Status = "UNAVAILABLE"
	StatusDeleted      Status = "DELETED"
	StatusResizing     Status = "RESIZING"
	StatusResizeFailed Status = "RESIZE_FAILED"
)

// Instance is a development environment instance as the emulator stores it.
type Instance struct {
	// ID is the instance ID, for example
	// "DE-7d558ef8-c73d-11ea-964c-0255ac100033".
	ID string
	// Name is the instance name.
	Name string
	// Status is the lifecycle state.
	Status Status
	// Flavor is the machine flavor, for example "modelarts.vm.cpu.2u".
	Flavor string
}

// SampleProjectID is the project that holds the [Samples] instances.
const SampleProjectID = "0123456789abcdef0123456789abcdef"

// Samples returns the instances a new [Server] holds in [SampleProjectID]
// (unless [WithoutSamples] is given):
//
//	ID                                        name               status
//	6fa459ea-ee8a-3ca4-894e-db77e160355e      notebook-sample    STOPPED
//	DE-2b1f6c3e-5a4d-11ee-8c99-0242ac120002   notebook-train     STOPPED
//	DE-5f9bac21-5a4d-11ee-8c99-0242ac120002   notebook-failed    CREATE_FAILED
//	DE-7d558ef8-c73d-11ea-964c-0255ac100033   notebook-d115      RUNNING
//	DE-4e8a9b10-5a4d-11ee-8c99-0242ac120002   notebook-starting  STARTING
//
// The first three can be deleted; deleting the running one fails with
// ModelArts.6304 and the starting one with ModelArts.6306.
func Samples() []Instance {
	return []Instance{
		{ID: "6fa459ea-ee8a-3ca4-894e-db77e160355e", Name: "notebook-sample", Status: StatusStopped, Flavor: "modelarts.vm.cpu.2u"},
		{ID: "DE-2b1f6c3e-5a4d-11ee-8c99-0242ac120002", Name: "notebook-train", Status: StatusStopped, Flavor: "modelarts.vm.gpu.p4"},
		{ID: "DE-5f9bac21-5a4d-11ee-8c99-0242ac120002", Name: "notebook-failed", Status: StatusCreateFailed, Flavor: "modelarts.vm.cpu.2u"},
		{ID: "DE-7d558ef8-c73d-11ea-964c-0255ac100033", Name: "notebook-d115", Status: StatusRunning, Flavor: "modelarts.kat1.xlarge"},
		{ID: "DE-4e8a9b10-5a4d-11ee-8c99-0242ac120002", Name: "notebook-starting", Status: StatusStarting, Flavor: "modelarts.vm.cpu.2u"},
	}
}
