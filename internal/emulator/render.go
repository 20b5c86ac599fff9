package emulator

import (
	"encoding/json"
	"maps"
	"strconv"
	"time"
)

// The Instance object on the wire, shaped like the reference's samples:
// creation_timestamp and latest_update_timestamp are 13-digit epoch
// milliseconds as strings, every other timestamp a JSON number, and
// flavor_details.params a free-form object. Keys are declared in the
// samples' (alphabetical) order.
type wireInstance struct {
	AIProject             *wireID           `json:"ai_project,omitempty"`
	CreationTimestamp     string            `json:"creation_timestamp"`
	Description           string            `json:"description"`
	ErrorCode             string            `json:"error_code,omitempty"`
	Flavor                string            `json:"flavor"`
	FlavorDetails         wireFlavorDetails `json:"flavor_details"`
	ID                    string            `json:"id"`
	LatestUpdateTimestamp string            `json:"latest_update_timestamp"`
	Name                  string            `json:"name"`
	Pool                  *wirePool         `json:"pool,omitempty"`
	Profile               wireProfile       `json:"profile"`
	Repository            *wireRepository   `json:"repository,omitempty"`
	Spec                  wireSpec          `json:"spec"`
	Status                Status            `json:"status"`
	User                  wireUser          `json:"user"`
	Workspace             wireID            `json:"workspace"`
}

type wireID struct {
	ID string `json:"id"`
}

type wireFlavorDetails struct {
	Name   string         `json:"name"`
	Params map[string]any `json:"params"`
	Status string         `json:"status"`
	Type   string         `json:"type"`
}

type wirePool struct {
	ID    string     `json:"id"`
	Name  string     `json:"name,omitempty"`
	Owner *wireOwner `json:"owner,omitempty"`
	Type  string     `json:"type,omitempty"`
}

type wireOwner struct {
	ProjectID string `json:"project_id"`
}

type wireProfile struct {
	DeType      string        `json:"de_type"`
	Description string        `json:"description"`
	FlavorType  string        `json:"flavor_type"`
	ID          string        `json:"id"`
	Name        string        `json:"name"`
	Provision   wireProvision `json:"provision"`
}

type wireProvision struct {
	Spec wireProvisionSpec `json:"spec"`
	Type string            `json:"type"`
}

type wireProvisionSpec struct {
	Engine string     `json:"engine"`
	Params wireDocker `json:"params"`
}

type wireDocker struct {
	// Annotations is an explicit null in the get and update samples and
	// absent from the create sample.
	Annotations any    `json:"annotations,omitempty"`
	ImageName   string `json:"image_name"`
	ImageTag    string `json:"image_tag"`
	Namespace   string `json:"namespace"`
}

// wireSpec is the notebook spec. The fields of type any are explicit nulls
// in the get sample and absent from the create sample.
type wireSpec struct {
	Annotations   map[string]string `json:"annotations"`
	AutoStop      wireAutoStop      `json:"auto_stop"`
	Credential    *wireCredential   `json:"credential,omitempty"`
	ExtendParams  any               `json:"extend_params,omitempty"`
	ExtendStorage any               `json:"extend_storage,omitempty"`
	FailedReasons any               `json:"failed_reasons,omitempty"`
	Repository    any               `json:"repository,omitempty"`
	Storage       *wireStorage      `json:"storage,omitempty"`
}

type wireAutoStop struct {
	Duration      int64  `json:"duration"`
	Enable        bool   `json:"enable"`
	Prompt        bool   `json:"prompt"`
	RemainTime    *int64 `json:"remain_time,omitempty"`
	StopTimestamp *int64 `json:"stop_timestamp,omitempty"`
}

type wireStorage struct {
	Location wireLocation `json:"location"`
	Type     string       `json:"type"`
}

type wireLocation struct {
	Path       string `json:"path"`
	VolumeSize int    `json:"volume_size,omitempty"`
}

type wireFailedReasons struct {
	Code    string            `json:"code"`
	Detail  map[string]string `json:"detail"`
	Message string            `json:"message"`
}

type wireRepository struct {
	Branch         string             `json:"branch"`
	ConnectionInfo wireConnectionInfo `json:"connection_info"`
	ID             string             `json:"id"`
	Type           string             `json:"type"`
	UserEmail      string             `json:"user_email"`
	UserName       string             `json:"user_name"`
}

type wireConnectionInfo struct {
	Credential *wireCredential `json:"credential,omitempty"`
	Protocol   string          `json:"protocol"`
	URL        string          `json:"url"`
}

type wireCredential struct {
	AccessToken   string `json:"access_token"`
	SSHPrivateKey string `json:"ssh_private_key"`
}

type wireUser struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// jsonNull is an explicit null for the fields of type any.
var jsonNull = json.RawMessage("null")

// view says which answer an Instance is rendered for.
type view int

const (
	// viewCreate is shaped like the create sample: no explicit nulls and
	// no ai_project unless the request gave one.
	viewCreate view = iota
	// viewFull is shaped like the get sample, with its explicit nulls;
	// get, list and update answer it (inferred for list, which has no
	// sample, and for update, whose sample shows no spec).
	viewFull
)

// targetDomain is the notebook domain in spec.annotations (the samples
// have "https://modelarts-notebook-2.xxxx.com"); .invalid, so that nothing
// tries to reach it.
const targetDomain = "https://modelarts-notebook.emulator.invalid"

// millis formats t as the wire's 13-digit epoch milliseconds string.
func millis(t time.Time) string { return strconv.FormatInt(t.UnixMilli(), 10) }

// render returns the wire form of inst at time now.
func render(inst *Instance, now time.Time, v view) wireInstance {
	p := profileFor(inst.ProfileID, inst.Flavor)
	fl, ok := flavors[inst.Flavor]
	if !ok {
		fl = flavor{kind: "CPU", params: map[string]any{}}
	}
	w := wireInstance{
		CreationTimestamp:     millis(inst.CreatedAt),
		Description:           inst.Description,
		Flavor:                inst.Flavor,
		FlavorDetails:         wireFlavorDetails{Name: inst.Flavor, Params: fl.params, Status: "onSale", Type: fl.kind},
		ID:                    inst.ID,
		LatestUpdateTimestamp: millis(inst.UpdatedAt),
		Name:                  inst.Name,
		Profile: wireProfile{
			DeType: "Notebook", Description: p.description, FlavorType: p.kind, ID: p.id, Name: p.name,
			Provision: wireProvision{Type: "Docker", Spec: wireProvisionSpec{Engine: "CCE",
				Params: wireDocker{ImageName: p.image, ImageTag: p.tag, Namespace: "atelier"}}},
		},
		Status:    inst.Status,
		User:      wireUser{ID: inst.User.ID, Name: inst.User.Name},
		Workspace: wireID{ID: inst.WorkspaceID},
	}
	if inst.AIProjectID != "" {
		w.AIProject = &wireID{ID: inst.AIProjectID}
	}
	if inst.Pool != nil {
		w.Pool = &wirePool{ID: inst.Pool.ID, Name: inst.Pool.Name, Type: inst.Pool.Type}
		if inst.Pool.OwnerProjectID != "" {
			w.Pool.Owner = &wireOwner{ProjectID: inst.Pool.OwnerProjectID}
		}
	}
	if inst.FailedReasons != nil && (inst.Status == StatusCreateFailed || inst.Status == StatusStartFailed) {
		// The Instance's error_code (inferred: the reference lists the
		// field without saying when it is set).
		w.ErrorCode = inst.FailedReasons.Code
	}

	// spec.annotations: the request's, with the vendor's target_domain and
	// url; the url is set once the notebook runs (empty in the CREATING
	// create sample, set in the RUNNING get sample).
	ann := maps.Clone(inst.Annotations)
	if ann == nil {
		ann = map[string]string{}
	}
	ann["target_domain"], ann["url"] = targetDomain, ""
	if inst.Status == StatusRunning {
		ann["url"] = targetDomain + "/modelarts/hubv100/notebook/user/" + inst.ID
	}
	w.Spec.Annotations = ann

	as := inst.AutoStop
	w.Spec.AutoStop = wireAutoStop{Duration: int64(as.Duration / time.Second), Enable: as.Enable, Prompt: as.Prompt}
	if inst.Status == StatusRunning && as.Enable && !as.StopAt.IsZero() {
		stop := as.StopAt.UnixMilli()
		remain := max(int64(as.StopAt.Sub(now)/time.Second), 0)
		w.Spec.AutoStop.StopTimestamp, w.Spec.AutoStop.RemainTime = &stop, &remain
	}
	if inst.Storage.Type != "" {
		w.Spec.Storage = &wireStorage{Type: inst.Storage.Type, Location: wireLocation{Path: inst.Storage.Path, VolumeSize: inst.Storage.VolumeSize}}
	}
	if c := inst.Credential; c != nil {
		w.Spec.Credential = &wireCredential{SSHPrivateKey: c.SSHPrivateKey, AccessToken: c.AccessToken}
	}
	if v == viewFull {
		w.Profile.Provision.Spec.Params.Annotations = jsonNull
		w.Spec.ExtendParams, w.Spec.ExtendStorage, w.Spec.FailedReasons, w.Spec.Repository = jsonNull, jsonNull, jsonNull, jsonNull
	}
	if len(inst.ExtendStorage) > 0 {
		list := make([]wireStorage, len(inst.ExtendStorage))
		for i, st := range inst.ExtendStorage {
			list[i] = wireStorage{Type: st.Type, Location: wireLocation{Path: st.Path, VolumeSize: st.VolumeSize}}
		}
		w.Spec.ExtendStorage = list
	}
	if f := inst.FailedReasons; f != nil {
		detail := f.Detail
		if detail == nil {
			detail = map[string]string{}
		}
		w.Spec.FailedReasons = wireFailedReasons{Code: f.Code, Message: f.Message, Detail: detail}
	}
	if r := inst.Repository; r != nil {
		// The repository appears in spec (as in the get sample's
		// "repository": null) and at the top level (as the create, list
		// and update tables list it): both, so that a client sees it
		// wherever it looks (inferred).
		repo := &wireRepository{Branch: r.Branch, ID: r.ID, Type: r.Type, UserEmail: r.UserEmail, UserName: r.UserName,
			ConnectionInfo: wireConnectionInfo{Protocol: r.Protocol, URL: r.URL}}
		if c := r.Credential; c != nil {
			repo.ConnectionInfo.Credential = &wireCredential{SSHPrivateKey: c.SSHPrivateKey, AccessToken: c.AccessToken}
		}
		w.Repository, w.Spec.Repository = repo, repo
	}
	return w
}
