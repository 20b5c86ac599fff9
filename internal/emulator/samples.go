package emulator

import (
	"maps"
	"slices"
	"time"
)

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

// statuses are the values the list's status filter accepts.
var statuses = []Status{
	StatusCreating, StatusCreateFailed, StatusStarting, StatusRestarting, StatusStartFailed, StatusRunning,
	StatusStopping, StatusStopped, StatusUnavailable, StatusDeleted, StatusResizing, StatusResizeFailed,
}

// Instance is a development environment instance as the emulator stores it.
// Only ID and Status matter to [Server.AddInstance]; the other fields have
// defaults, given there.
type Instance struct {
	// ID is the instance ID, for example
	// "DE-7d558ef8-c73d-11ea-964c-0255ac100033".
	ID string
	// Name is the instance name, unique in its project.
	Name string
	// Status is the lifecycle state.
	Status Status
	// Flavor is the machine flavor, for example "modelarts.vm.cpu.2u".
	// The answers' flavor_details come from the emulator's flavor catalog
	// (see the package documentation).
	Flavor string
	// Description is the instance description.
	Description string
	// ProfileID is the configuration ID given at creation; the answers'
	// profile object is derived from it.
	ProfileID string
	// CreatedAt is creation_timestamp.
	CreatedAt time.Time
	// UpdatedAt is latest_update_timestamp: the last change by an update
	// or a status change.
	UpdatedAt time.Time
	// Storage is spec.storage.
	Storage Storage
	// ExtendStorage is spec.extend_storage.
	ExtendStorage []Storage
	// AutoStop is spec.auto_stop.
	AutoStop AutoStop
	// Annotations is spec.annotations as given at creation; the answers
	// add the vendor's target_domain and url.
	Annotations map[string]string
	// WorkspaceID is workspace.id ("0", the default workspace, if empty).
	WorkspaceID string
	// Pool is the dedicated resource pool, if any.
	Pool *Pool
	// AIProjectID is ai_project.id, if any.
	AIProjectID string
	// User is the owner ([SampleUser] if empty).
	User User
	// Repository is the Git repository, if any. Its credential is a
	// secret that callers of a facade must never see.
	Repository *Repository
	// Credential is spec.credential, if any: a secret as well.
	Credential *Credential
	// FailedReasons is spec.failed_reasons, set when a create or a start
	// failed.
	FailedReasons *FailedReasons
	// Next is the pending status change, if any: the emulator applies it
	// once its clock reaches Next.At, when the instance is next looked at.
	Next *Transition
}

// Storage is a storage entry of an instance's spec.
type Storage struct {
	// Type is "obs" (the only type create accepts), "evs" (as in the
	// vendor's samples) or "obsfs" (extended storage).
	Type string
	// Path is location.path.
	Path string
	// VolumeSize is location.volume_size in GB; zero leaves it out.
	VolumeSize int
}

// AutoStop is an instance's auto-stop setting.
type AutoStop struct {
	// Enable turns auto-stop on.
	Enable bool
	// Duration is how long the instance runs before it stops, counted from
	// the time it reaches RUNNING.
	Duration time.Duration
	// Prompt is the console's "prompt again" setting.
	Prompt bool
	// StopAt is when a RUNNING instance stops (stop_timestamp); zero when
	// no stop is scheduled. [Server.AddInstance] schedules one for a
	// RUNNING instance with Enable set and StopAt zero, Duration from the
	// time it is added.
	StopAt time.Time
}

// Pool is a dedicated resource pool.
type Pool struct {
	// ID, Name and Type ("USER_DEFINED" for a dedicated pool) describe the
	// pool.
	ID, Name, Type string
	// OwnerProjectID is owner.project_id.
	OwnerProjectID string
}

// User is the owner of an instance.
type User struct {
	// ID and Name identify the user.
	ID, Name string
}

// Repository is a Git repository attached to an instance.
type Repository struct {
	// ID, Branch, UserName, UserEmail and Type ("CodeClub" or "GitHub")
	// describe the repository.
	ID, Branch, UserName, UserEmail, Type string
	// Protocol ("ssh" or "https") and URL are connection_info's.
	Protocol, URL string
	// Credential is connection_info.credential: a secret.
	Credential *Credential
}

// Credential is a credential object as ModelArts returns it: secrets.
type Credential struct {
	// SSHPrivateKey is ssh_private_key.
	SSHPrivateKey string
	// AccessToken is access_token.
	AccessToken string
}

// FailedReasons says why a create or a start failed.
type FailedReasons struct {
	// Code is a ModelArts error code, Message its text.
	Code, Message string
	// Detail holds further details.
	Detail map[string]string
}

// Transition is a pending status change.
type Transition struct {
	// To is the status the instance reaches.
	To Status
	// At is when it reaches it, on the emulator's clock.
	At time.Time
	// FailedReasons, for a failure status, become the instance's.
	FailedReasons *FailedReasons
}

// clone returns a deep copy of inst, so that callers and the server never
// share maps or pointers.
func (inst Instance) clone() Instance {
	c := inst
	c.ExtendStorage = slices.Clone(inst.ExtendStorage)
	c.Annotations = maps.Clone(inst.Annotations)
	if inst.Pool != nil {
		p := *inst.Pool
		c.Pool = &p
	}
	if inst.Repository != nil {
		r := *inst.Repository
		r.Credential = inst.Repository.Credential.clone()
		c.Repository = &r
	}
	c.Credential = inst.Credential.clone()
	c.FailedReasons = inst.FailedReasons.clone()
	if inst.Next != nil {
		n := *inst.Next
		n.FailedReasons = inst.Next.FailedReasons.clone()
		c.Next = &n
	}
	return c
}

func (c *Credential) clone() *Credential {
	if c == nil {
		return nil
	}
	d := *c
	return &d
}

func (f *FailedReasons) clone() *FailedReasons {
	if f == nil {
		return nil
	}
	d := *f
	d.Detail = maps.Clone(f.Detail)
	return &d
}

// SampleProjectID is the project that holds the [Samples] instances.
const SampleProjectID = "0123456789abcdef0123456789abcdef"

// SampleUser owns every instance unless [Instance.User] says otherwise; it
// is the user every caller is taken to be (list's show_self). Its ID and
// name are the vendor samples'.
var SampleUser = User{ID: "15dda26361214ca2a5953917d2f48ffb", Name: "ops_dev_env"}

// SampleCredentialInstanceID is the sample instance that carries secrets:
// a spec.credential and a repository whose connection_info has a
// credential ([SampleSecrets] lists them).
const SampleCredentialInstanceID = "DE-9c0d3e5f-5a4d-11ee-8c99-0242ac120002"

// The secrets of [SampleCredentialInstanceID].
const (
	sampleSSHPrivateKey     = "-----BEGIN OPENSSH PRIVATE KEY-----\nEMULATOR-SAMPLE-SPEC-SSH-KEY-SECRET\n-----END OPENSSH PRIVATE KEY-----\n"
	sampleAccessToken       = "EMULATOR-SAMPLE-SPEC-ACCESS-TOKEN-SECRET"
	sampleRepoSSHPrivateKey = "-----BEGIN OPENSSH PRIVATE KEY-----\nEMULATOR-SAMPLE-REPO-SSH-KEY-SECRET\n-----END OPENSSH PRIVATE KEY-----\n"
	sampleRepoAccessToken   = "EMULATOR-SAMPLE-REPO-ACCESS-TOKEN-SECRET"
)

// SampleSecrets returns the secret values the [Samples] carry (the
// credentials of [SampleCredentialInstanceID]), for tests that prove a
// facade never passes them on. Each contains "SECRET".
func SampleSecrets() []string {
	return []string{sampleSSHPrivateKey, sampleAccessToken, sampleRepoSSHPrivateKey, sampleRepoAccessToken}
}

// sampleEpoch is the creation time of the vendor's sample instance
// (creation_timestamp "1594887749962"); the samples are created a minute
// apart from it, in the order of [Samples].
var sampleEpoch = time.UnixMilli(1594887749962)

// Samples returns the instances a new [Server] holds in [SampleProjectID]
// (unless Options.NoSamples):
//
//	ID                                        name               status
//	6fa459ea-ee8a-3ca4-894e-db77e160355e      notebook-sample    STOPPED
//	DE-2b1f6c3e-5a4d-11ee-8c99-0242ac120002   notebook-train     STOPPED
//	DE-5f9bac21-5a4d-11ee-8c99-0242ac120002   notebook-failed    CREATE_FAILED
//	DE-7d558ef8-c73d-11ea-964c-0255ac100033   notebook-d115      RUNNING
//	DE-4e8a9b10-5a4d-11ee-8c99-0242ac120002   notebook-starting  STARTING
//	DE-9c0d3e5f-5a4d-11ee-8c99-0242ac120002   notebook-git       STOPPED
//
// The STOPPED and CREATE_FAILED ones can be deleted; deleting the running
// one fails with ModelArts.6304 and the starting one with ModelArts.6306.
// The starting one has no pending transition: it stays STARTING. The
// running one has auto-stop enabled for 24 hours, counted from the
// server's creation: it stops a day later on the server's clock. notebook-git ([SampleCredentialInstanceID]) carries a
// spec.credential and a GitHub repository with a credential
// ([SampleSecrets]).
func Samples() []Instance {
	at := func(minutes int) time.Time { return sampleEpoch.Add(time.Duration(minutes) * time.Minute) }
	obs := func(path string) Storage { return Storage{Type: "obs", Path: path} }
	return []Instance{
		{
			ID: "6fa459ea-ee8a-3ca4-894e-db77e160355e", Name: "notebook-sample", Status: StatusStopped,
			Flavor: "modelarts.vm.cpu.2u", ProfileID: "Multi-Engine 1.0 (python3)-cpu",
			CreatedAt: at(0), UpdatedAt: at(30),
			Storage:  obs("/notebook-bucket/sample/"),
			AutoStop: AutoStop{Enable: true, Duration: time.Hour, Prompt: true},
		},
		{
			ID: "DE-2b1f6c3e-5a4d-11ee-8c99-0242ac120002", Name: "notebook-train", Status: StatusStopped,
			Flavor: "modelarts.vm.gpu.p4", ProfileID: "Multi-Engine 1.0 (python3)-gpu", Description: "training experiments",
			CreatedAt: at(1), UpdatedAt: at(90),
			Storage:     obs("/notebook-bucket/train/"),
			AutoStop:    AutoStop{Prompt: true},
			Annotations: map[string]string{"team": "vision"},
		},
		{
			ID: "DE-5f9bac21-5a4d-11ee-8c99-0242ac120002", Name: "notebook-failed", Status: StatusCreateFailed,
			Flavor: "modelarts.vm.cpu.2u", ProfileID: "Multi-Engine 1.0 (python3)-cpu",
			CreatedAt: at(2), UpdatedAt: at(4),
			Storage:       obs("/notebook-bucket/failed/"),
			AutoStop:      AutoStop{Prompt: true},
			FailedReasons: createFailedReasons("the sample instance notebook-failed"),
		},
		{
			ID: "DE-7d558ef8-c73d-11ea-964c-0255ac100033", Name: "notebook-d115", Status: StatusRunning,
			Flavor: "modelarts.kat1.xlarge", ProfileID: "Power-Engine 1.0(python3)",
			CreatedAt: at(3), UpdatedAt: at(9),
			// As in the vendor's get sample, but for the duration: the
			// longest allowed, so that the instance stays RUNNING for a
			// day of a long-lived emulator (the README's tour uses it).
			Storage:     Storage{Type: "evs", Path: "/home/ma-user/work", VolumeSize: 5},
			AutoStop:    AutoStop{Enable: true, Duration: 24 * time.Hour, Prompt: true},
			AIProjectID: "default-ai-project",
		},
		{
			ID: "DE-4e8a9b10-5a4d-11ee-8c99-0242ac120002", Name: "notebook-starting", Status: StatusStarting,
			Flavor: "modelarts.vm.cpu.2u", ProfileID: "Multi-Engine 1.0 (python3)-cpu",
			CreatedAt: at(4), UpdatedAt: at(5),
			Storage:  obs("/notebook-bucket/starting/"),
			AutoStop: AutoStop{Prompt: true},
		},
		{
			ID: SampleCredentialInstanceID, Name: "notebook-git", Status: StatusStopped,
			Flavor: "modelarts.vm.gpu.p4", ProfileID: "Multi-Engine 1.0 (python3)-gpu", Description: "with a GitHub repository",
			CreatedAt: at(5), UpdatedAt: at(60),
			Storage:    obs("/notebook-bucket/git/"),
			AutoStop:   AutoStop{Enable: true, Duration: 2 * time.Hour, Prompt: false},
			Credential: &Credential{SSHPrivateKey: sampleSSHPrivateKey, AccessToken: sampleAccessToken},
			Repository: &Repository{
				ID: "3d8b8ecb-5a4e-11ee-8c99-0242ac120002", Branch: "main", UserName: "ops_dev_env", UserEmail: "ops_dev_env@example.com",
				Type: "GitHub", Protocol: "ssh", URL: "git@github.com:example/notebooks.git",
				Credential: &Credential{SSHPrivateKey: sampleRepoSSHPrivateKey, AccessToken: sampleRepoAccessToken},
			},
			AIProjectID: "default-ai-project",
		},
	}
}
