package emulator

import (
	"hash/fnv"
	"slices"
	"strconv"
	"time"
)

// The Notebook object of the new API on the wire, shaped like the
// reference's samples: timestamps are JSON numbers (epoch milliseconds),
// absent fields are left out rather than null, and keys are declared in
// the samples' (alphabetical) order. Every field is one of the response
// table's or one a vendor sample shows (create_at, update_at, user_id,
// tags, data_volumes).
type wireNotebook struct {
	ActionProgress []wireJobProgress  `json:"action_progress,omitempty"`
	BillingItems   []string           `json:"billing_items"`
	CreateAt       int64              `json:"create_at"`
	DataVolumes    []struct{}         `json:"data_volumes"`
	Description    string             `json:"description"`
	Endpoints      []wireEndpoint     `json:"endpoints"`
	FailReason     string             `json:"fail_reason,omitempty"`
	Feature        string             `json:"feature"`
	Flavor         string             `json:"flavor"`
	ID             string             `json:"id"`
	Image          wireNotebookImage  `json:"image"`
	Lease          wireLease          `json:"lease"`
	Name           string             `json:"name"`
	Pool           *wireNotebookPool  `json:"pool,omitempty"`
	Status         NotebookStatus     `json:"status"`
	Tags           []string           `json:"tags"`
	Token          string             `json:"token"`
	UpdateAt       int64              `json:"update_at"`
	URL            string             `json:"url,omitempty"`
	User           wireNotebookUser   `json:"user"`
	UserID         string             `json:"user_id"`
	Volume         wireNotebookVolume `json:"volume"`
	WorkspaceID    string             `json:"workspace_id"`
}

// wireJobProgress is a step of action_progress. The step's text is sent
// under both names the reference uses: step_description (the table) and
// description (the use case's sample); the fact sheet's choice, §9.12.
type wireJobProgress struct {
	Description     string `json:"description"`
	NotebookID      string `json:"notebook_id"`
	Status          string `json:"status"`
	Step            int    `json:"step"`
	StepDescription string `json:"step_description"`
}

// wireEndpoint is an EndpointsRes. The service and the key pairs are sent
// under both names the reference lists (service and dev_service; ssh_keys
// and, as the request names them, key_pair_names): §9.12.
type wireEndpoint struct {
	AllowedAccessIPs []string `json:"allowed_access_ips"` // [] for any address
	DevService       string   `json:"dev_service"`
	KeyPairNames     []string `json:"key_pair_names,omitempty"`
	Service          string   `json:"service"`
	SSHKeys          []string `json:"ssh_keys,omitempty"`
	URI              string   `json:"uri"`
}

// wireNotebookImage is the image object of a notebook: a few of the
// Image's fields, as in the samples.
type wireNotebookImage struct {
	Description string `json:"description"`
	ID          string `json:"id"`
	Name        string `json:"name,omitempty"`
	SWRPath     string `json:"swr_path,omitempty"`
	Tag         string `json:"tag,omitempty"`
	Type        string `json:"type,omitempty"`
}

// wireLease is the Lease object.
type wireLease struct {
	CreateAt int64  `json:"create_at"`
	Duration int64  `json:"duration"`
	Enable   bool   `json:"enable"`
	Type     string `json:"type"`
	UpdateAt int64  `json:"update_at"`
}

type wireNotebookPool struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

type wireNotebookUser struct {
	Domain wireDomain `json:"domain"`
	ID     string     `json:"id"`
	Name   string     `json:"name"`
}

type wireDomain struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// wireNotebookVolume is a VolumeRes; status appears only while an EVS
// volume grows.
type wireNotebookVolume struct {
	Capacity  int    `json:"capacity"`
	Category  string `json:"category"`
	MountPath string `json:"mount_path"`
	Ownership string `json:"ownership"`
	ReadOnly  bool   `json:"read_only"`
	Status    string `json:"status,omitempty"`
}

// notebookView says which answer a Notebook is rendered for.
type notebookView int

const (
	// notebookViewCreate leaves out url, as both create samples do.
	notebookViewCreate notebookView = iota
	// notebookViewFull is every other answer.
	notebookViewFull
)

// The hosts in notebook answers: .invalid, so that nothing tries to reach
// them. The lab URL has the samples' shape (https://{host}/{id}/lab).
const (
	notebookLabHost = "https://authoring-modelarts.emulator.invalid"
	notebookSSHHost = "dev-modelarts.emulator.invalid"
	// workPath is where the volume is mounted in every notebook.
	workPath = "/home/ma-user/work/"
)

// The account every user of the emulator belongs to (the samples' user
// object has a domain; the emulator has one account, inferred).
const (
	sampleDomainID   = "5a1e2d3c4b5a69788796a5b4c3d2e1f0"
	sampleDomainName = "ops_domain"
)

// notebookURL is a notebook's JupyterLab URL.
func notebookURL(id string) string { return notebookLabHost + "/" + id + "/lab" }

// sshURI is the address a notebook's SSH endpoint answers on: host:port,
// the port derived from the ID (inferred: the reference calls uri the
// instance's private IP address, its samples show only the NOTEBOOK
// endpoint's lab URL). Like the token, it is what a facade must not pass on.
func sshURI(id string) string {
	h := fnv.New32a()
	_, _ = h.Write([]byte(id))
	return notebookSSHHost + ":" + strconv.Itoa(30000+int(h.Sum32()%10000))
}

// The four steps of action_progress, with the use case's texts.
var progressSteps = [...]string{
	1: "Prepare the storage.",
	2: "Prepare the compute resource.",
	3: "Configuring the network.",
	4: "Initialize the notebook instance.",
}

// actionProgress is a notebook's action_progress while it is created or
// started, and after either failed; nil otherwise. The steps are listed
// 4 to 1, as in the use case's sample. While a transition is pending, the
// steps complete in turn as its time passes (step k is COMPLETED once k
// quarters of it have passed); a failure fails step 2, the compute
// resource (inferred: the reference shows only an all-WAITING sample).
func actionProgress(nb *Notebook, now time.Time) []wireJobProgress {
	status := func(int) string { return "WAITING" }
	switch nb.Status {
	case NotebookCreating, NotebookStarting:
		if t := nb.Next; t != nil && t.At.After(nb.UpdatedAt) {
			done := float64(now.Sub(nb.UpdatedAt)) / float64(t.At.Sub(nb.UpdatedAt)) * 4
			status = func(k int) string {
				switch {
				case done >= float64(k):
					return "COMPLETED"
				case done >= float64(k-1):
					return "PROCESSING"
				}
				return "WAITING"
			}
		}
	case NotebookCreateFailed, NotebookStartFailed:
		status = func(k int) string {
			switch {
			case k == 1:
				return "COMPLETED"
			case k == 2:
				return "FAILED"
			}
			return "WAITING"
		}
	default:
		return nil
	}
	out := make([]wireJobProgress, 0, 4)
	for k := 4; k >= 1; k-- {
		out = append(out, wireJobProgress{Step: k, Status: status(k), Description: progressSteps[k], StepDescription: progressSteps[k], NotebookID: nb.ID})
	}
	return out
}

// renderLease returns a lease's wire form.
func renderLease(l Lease) wireLease {
	return wireLease{CreateAt: l.CreatedAt.UnixMilli(), Duration: l.Duration.Milliseconds(), Enable: l.Enable, Type: l.Type, UpdateAt: l.UpdatedAt.UnixMilli()}
}

// renderNotebook returns the wire form of nb at time now. The caller holds
// s.mu (for the image catalog).
func (s *Server) renderNotebook(projectID string, nb *Notebook, now time.Time, v notebookView) wireNotebook {
	w := wireNotebook{
		ActionProgress: actionProgress(nb, now),
		BillingItems:   []string{},
		CreateAt:       nb.CreatedAt.UnixMilli(),
		DataVolumes:    []struct{}{},
		Description:    nb.Description,
		Endpoints:      []wireEndpoint{},
		FailReason:     nb.FailReason,
		Feature:        nb.Feature,
		Flavor:         nb.Flavor,
		ID:             nb.ID,
		Image:          wireNotebookImage{ID: nb.ImageID},
		Lease:          renderLease(nb.Lease),
		Name:           nb.Name,
		Status:         nb.Status,
		Tags:           []string{},
		Token:          nb.Token,
		UpdateAt:       nb.UpdatedAt.UnixMilli(),
		User: wireNotebookUser{ID: nb.User.ID, Name: nb.User.Name,
			Domain: wireDomain{ID: sampleDomainID, Name: sampleDomainName}},
		UserID: nb.User.ID,
		Volume: wireNotebookVolume{Capacity: nb.Volume.Capacity, Category: nb.Volume.Category, MountPath: workPath,
			Ownership: nb.Volume.Ownership},
		WorkspaceID: nb.WorkspaceID,
	}
	if nb.Status == NotebookRunning {
		// Billed for compute while running: the use case's RUNNING answer
		// has ["COMPUTE"], its STOPPING and STARTING ones [] (inferred).
		w.BillingItems = []string{"COMPUTE"}
	}
	if now.Before(nb.Volume.ResizedAt) {
		w.Volume.Status = "RESIZING"
	}
	img := s.findImage(projectID, nb.ImageID)
	if img != nil {
		w.Image = wireNotebookImage{Description: img.Description, ID: img.ID, Name: img.Name, SWRPath: img.SWRPath, Tag: img.Tag, Type: img.Type}
	}
	configured := slices.ContainsFunc(nb.Endpoints, func(e Endpoint) bool { return e.Service == "NOTEBOOK" })
	if !configured && (img == nil || slices.Contains(img.DevServices, "NOTEBOOK")) {
		w.Endpoints = append(w.Endpoints, wireEndpoint{Service: "NOTEBOOK", DevService: "NOTEBOOK", URI: notebookURL(nb.ID), AllowedAccessIPs: []string{}})
	}
	for _, e := range nb.Endpoints {
		we := wireEndpoint{Service: e.Service, DevService: e.Service, AllowedAccessIPs: append([]string{}, e.AllowedAccessIPs...),
			KeyPairNames: e.KeyPairNames, SSHKeys: e.KeyPairNames, URI: notebookURL(nb.ID)}
		if e.Service == "SSH" {
			we.URI = sshURI(nb.ID)
		}
		w.Endpoints = append(w.Endpoints, we)
	}
	if nb.PoolID != "" {
		w.Pool = &wireNotebookPool{ID: nb.PoolID, Name: nb.PoolID}
	}
	if v == notebookViewFull {
		w.URL = notebookURL(nb.ID)
	}
	return w
}
