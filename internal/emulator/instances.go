package emulator

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
)

// maxBody is the largest request body the emulator reads; a larger one is
// refused as an invalid payload (inferred: the reference sets no limit).
const maxBody = 1 << 20

// The limits of the create and update fields, from the reference.
const (
	maxNameLen        = 64
	maxDescriptionLen = 512
	// descriptionForbidden are the characters a description may not hold.
	descriptionForbidden = `&<>"'/`
)

// readBody reads the request body (at most maxBody bytes) and puts it back
// for whoever reads it next.
func readBody(r *http.Request) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	r.Body = io.NopCloser(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	if len(b) > maxBody {
		return nil, errors.New("larger than 1 MiB")
	}
	return b, nil
}

// decodeBody decodes the request's JSON object into v. A body that is not
// one JSON object gives ModelArts.6400 ("Invalid request payload"); a value
// of the wrong JSON type gives ModelArts.6332 ("Incorrect parameter type"),
// naming the field and the type wanted. Unknown fields are ignored and
// null counts as absent (inferred).
func decodeBody(r *http.Request, v any) *vendorError {
	b, err := readBody(r)
	if err != nil {
		return errPayload("(" + err.Error() + ")")
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return errPayload("(empty body)")
	}
	err = json.Unmarshal(b, v)
	var te *json.UnmarshalTypeError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &te) && te.Field != "":
		field := te.Field
		if i := strings.LastIndexByte(field, '.'); i >= 0 {
			field = field[i+1:]
		}
		return errParamType(field, jsonTypeName(te.Type))
	case errors.As(err, &te):
		return errPayload("(not a JSON object)")
	default:
		return errPayload("(" + strings.TrimPrefix(err.Error(), "json: ") + ")")
	}
}

// jsonTypeName names the JSON type a Go type decodes from.
func jsonTypeName(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "integer"
	case reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Slice, reflect.Array:
		return "array"
	}
	return "object"
}

// The request bodies. Pointers tell an absent (or null) field from a zero
// one.
type (
	createRequest struct {
		Name        *string      `json:"name"`
		ProfileID   *string      `json:"profile_id"`
		Description *string      `json:"description"`
		Flavor      *string      `json:"flavor"`
		Spec        *createSpec  `json:"spec"`
		Workspace   *idRequest   `json:"workspace"`
		Pool        *poolRequest `json:"pool"`
		AIProject   *idRequest   `json:"ai_project"`
	}
	createSpec struct {
		Storage       *storageRequest   `json:"storage"`
		ExtendStorage []storageRequest  `json:"extend_storage"`
		AutoStop      *autoStopRequest  `json:"auto_stop"`
		Annotations   map[string]string `json:"annotations"`
	}
	storageRequest struct {
		Type     *string `json:"type"`
		Location *struct {
			Path       *string `json:"path"`
			VolumeSize *int    `json:"volume_size"`
		} `json:"location"`
	}
	autoStopRequest struct {
		Enable   *bool `json:"enable"`
		Duration *int  `json:"duration"`
		Prompt   *bool `json:"prompt"`
	}
	idRequest struct {
		ID *string `json:"id"`
	}
	poolRequest struct {
		ID    *string `json:"id"`
		Type  string  `json:"type"`
		Name  string  `json:"name"`
		Owner *struct {
			ProjectID string `json:"project_id"`
		} `json:"owner"`
	}
	updateRequest struct {
		Description *string `json:"description"`
		Spec        *struct {
			AutoStop *autoStopRequest `json:"auto_stop"`
		} `json:"spec"`
	}
	actionRequest struct {
		Action *string `json:"action"`
	}
)

// checkName applies the reference's name rules: required (6335), only
// letters, digits, "-" and "_" (6334, naming the first other character),
// at most 64 characters (6336).
func checkName(name *string) *vendorError {
	if name == nil || *name == "" {
		return errRequired("name")
	}
	for _, c := range *name {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return errForbiddenChar(c)
		}
	}
	if len(*name) > maxNameLen {
		return errBadValue("name")
	}
	return nil
}

// checkDescription applies the reference's description rules: none of
// & < > " ' / (6334), at most 512 characters (6336).
func checkDescription(d string) *vendorError {
	if i := strings.IndexAny(d, descriptionForbidden); i >= 0 {
		c, _ := utf8.DecodeRuneInString(d[i:])
		return errForbiddenChar(c)
	}
	if utf8.RuneCountInString(d) > maxDescriptionLen {
		return errBadValue("description")
	}
	return nil
}

// checkAutoStop applies the auto-stop rules to the setting as it will be:
// enabled without a duration is 6348; a duration given outside
// 3600-86400 is 6349, whether or not auto-stop is enabled (the reference
// states the range without a condition).
func checkAutoStop(given *autoStopRequest, enable bool, duration time.Duration) *vendorError {
	if given != nil && given.Duration != nil && (*given.Duration < minAutoStop || *given.Duration > maxAutoStop) {
		return errDurationRange
	}
	if enable && duration == 0 {
		return errDurationMissing
	}
	return nil
}

// checkStorage applies the storage rules: storage required (6316), type
// required (6335) and "obs" (6324), location.path required for obs (6317),
// ending in "/" (6318), below a bucket (6358). The path may be written
// "/bucket/dir/" (as in the reference's sample), "bucket/dir/" or
// "obs://bucket/dir/".
func checkStorage(st *storageRequest) *vendorError {
	if st == nil {
		return errStorageMissing
	}
	if st.Type == nil || *st.Type == "" {
		return errRequired("type")
	}
	if *st.Type != "obs" {
		return errStorageType
	}
	if st.Location == nil || st.Location.Path == nil || *st.Location.Path == "" {
		return errPathMissing
	}
	path := *st.Location.Path
	if !strings.HasSuffix(path, "/") {
		return errPathNoSlash
	}
	rest := strings.TrimPrefix(path, "obs://")
	segments := 0
	for seg := range strings.SplitSeq(rest, "/") {
		if seg != "" {
			segments++
		}
	}
	if segments < 2 {
		return errBucketRoot
	}
	return nil
}

// createInstance implements POST /v1/{project_id}/demanager/instances.
func (s *Server) createInstance(w http.ResponseWriter, r *http.Request) {
	var req createRequest
	if verr := decodeBody(r, &req); verr != nil {
		writeError(w, verr)
		return
	}
	now := s.now()
	inst, verr := s.newInstance(&req, now)
	if verr == nil {
		verr = s.store(r.PathValue("project_id"), inst)
	}
	if verr != nil {
		writeError(w, verr)
		return
	}
	writeJSON(w, http.StatusOK, render(&inst, now, viewCreate))
}

// checkCreate applies the create rules in this order, the first failure
// answering: name, description, profile_id, flavor (required, then in the
// catalog, then of the profile's type), spec.storage, spec.auto_stop and
// pool.
func checkCreate(req *createRequest) *vendorError {
	if verr := checkName(req.Name); verr != nil {
		return verr
	}
	if req.Description != nil {
		if verr := checkDescription(*req.Description); verr != nil {
			return verr
		}
	}
	if req.ProfileID == nil || *req.ProfileID == "" {
		return errRequired("profile_id")
	}
	if req.Flavor == nil || *req.Flavor == "" {
		return errRequired("flavor")
	}
	fl, ok := flavors[*req.Flavor]
	if !ok {
		return errFlavorUnsupported
	}
	if p, ok := profiles[*req.ProfileID]; ok && p.kind != "" && p.kind != fl.kind {
		return errProfileFlavorType
	}
	var spec createSpec
	if req.Spec != nil {
		spec = *req.Spec
	}
	if verr := checkStorage(spec.Storage); verr != nil {
		return verr
	}
	as := autoStopOf(spec.AutoStop, AutoStop{Prompt: true})
	if verr := checkAutoStop(spec.AutoStop, as.Enable, as.Duration); verr != nil {
		return verr
	}
	if req.Pool != nil && (req.Pool.ID == nil || *req.Pool.ID == "") {
		return errRequired("id")
	}
	return nil
}

// autoStopOf returns the auto-stop setting base with the fields the
// request gives replaced.
func autoStopOf(given *autoStopRequest, base AutoStop) AutoStop {
	if given == nil {
		return base
	}
	if given.Enable != nil {
		base.Enable = *given.Enable
	}
	if given.Duration != nil {
		base.Duration = time.Duration(*given.Duration) * time.Second
	}
	if given.Prompt != nil {
		base.Prompt = *given.Prompt
	}
	return base
}

// newInstance checks a create request and returns the instance it makes:
// "DE-<uuid>", CREATING, on its way to RUNNING (or CREATE_FAILED for a name
// with [FailCreatePrefix]) after the create delay. Uniqueness and quota are
// the store's to check.
func (s *Server) newInstance(req *createRequest, now time.Time) (Instance, *vendorError) {
	if verr := checkCreate(req); verr != nil {
		return Instance{}, verr
	}
	spec := req.Spec // not nil: storage is required
	inst := Instance{
		ID:          "DE-" + uuid.NewString(),
		Name:        *req.Name,
		Status:      StatusCreating,
		Flavor:      *req.Flavor,
		ProfileID:   *req.ProfileID,
		CreatedAt:   now,
		UpdatedAt:   now,
		Storage:     Storage{Type: *spec.Storage.Type, Path: *spec.Storage.Location.Path},
		AutoStop:    autoStopOf(spec.AutoStop, AutoStop{Prompt: true}),
		Annotations: spec.Annotations,
		WorkspaceID: "0",
		User:        SampleUser,
	}
	if req.Description != nil {
		inst.Description = *req.Description
	}
	for _, st := range spec.ExtendStorage {
		var e Storage
		if st.Type != nil {
			e.Type = *st.Type
		}
		if st.Location != nil && st.Location.Path != nil {
			e.Path = *st.Location.Path
		}
		if st.Location != nil && st.Location.VolumeSize != nil {
			e.VolumeSize = *st.Location.VolumeSize
		}
		inst.ExtendStorage = append(inst.ExtendStorage, e)
	}
	if req.Workspace != nil && req.Workspace.ID != nil && *req.Workspace.ID != "" {
		inst.WorkspaceID = *req.Workspace.ID
	}
	if p := req.Pool; p != nil {
		inst.Pool = &Pool{ID: *p.ID, Name: p.Name, Type: p.Type}
		if p.Owner != nil {
			inst.Pool.OwnerProjectID = p.Owner.ProjectID
		}
	}
	if req.AIProject != nil && req.AIProject.ID != nil {
		inst.AIProjectID = *req.AIProject.ID
	}
	inst.Next = &Transition{To: StatusRunning, At: now.Add(s.lifecycle.Create)}
	if strings.HasPrefix(inst.Name, FailCreatePrefix) {
		inst.Next.To, inst.Next.FailedReasons = StatusCreateFailed, createFailedReasons("the instance name starts with "+FailCreatePrefix)
	}
	return inst, nil
}

// store keeps a new instance unless its name is taken in the project
// (6301) or the project is full (6302).
func (s *Server) store(projectID string, inst Instance) *vendorError {
	s.mu.Lock()
	defer s.mu.Unlock()
	project := s.projects[projectID]
	for _, other := range project {
		if other.Name == inst.Name {
			return errInstanceExists
		}
	}
	if s.quota > 0 && len(project) >= s.quota {
		return errInstanceQuota
	}
	s.put(projectID, inst)
	return nil
}

// listQuery is a parsed list query.
type listQuery struct {
	status, workspace, poolID, aiProject string
	showSelf, byCreation, desc           bool
	offset, limit                        int
}

// parseListQuery reads the list's query parameters. An empty parameter
// counts as absent. de_type is required (6335) and must be "Notebook"
// (6336); sortby other than name and creation_timestamp is 6303; a value
// outside its enumeration (provision_type, status, order, show_self: true
// or false in any case) is 6336; offset and limit that are not integers
// are 6332, negative ones 6336 (the codes other than 6303 are inferred: the
// reference names none).
func parseListQuery(r *http.Request) (listQuery, *vendorError) {
	qv := r.URL.Query()
	get := func(k string) string { return qv.Get(k) }
	q := listQuery{status: get("status"), workspace: "0", poolID: get("pool_id"), aiProject: get("ai_project"), showSelf: true}
	switch get("de_type") {
	case "":
		return q, errRequired("de_type")
	case "Notebook":
	default:
		return q, errBadValue("de_type")
	}
	if pt := get("provision_type"); pt != "" && pt != "Docker" {
		return q, errBadValue("provision_type")
	}
	if q.status != "" && !slices.Contains(statuses, Status(q.status)) {
		return q, errBadValue("status")
	}
	switch get("sortby") {
	case "", "name":
	case "creation_timestamp":
		q.byCreation = true
	default:
		return q, errNotSortable
	}
	switch get("order") {
	case "", "asc":
	case "desc":
		q.desc = true
	default:
		return q, errBadValue("order")
	}
	for _, p := range []struct {
		name string
		dst  *int
	}{{"offset", &q.offset}, {"limit", &q.limit}} {
		v := get(p.name)
		if v == "" {
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			return q, errParamType(p.name, "integer")
		}
		if n < 0 {
			return q, errBadValue(p.name)
		}
		*p.dst = n
	}
	if ws := get("workspace_id"); ws != "" {
		q.workspace = ws
	}
	// show_self is a String whose default is "true" (the list page's
	// query parameters); its case does not matter (inferred: the vendor's
	// own Python clients send "True" and "False", and ModelArts accepts
	// them, issue 19 finding 9).
	switch strings.ToLower(get("show_self")) {
	case "", "true":
	case "false":
		q.showSelf = false
	default:
		return q, errBadValue("show_self")
	}
	return q, nil
}

// matches reports whether inst passes the query's filters. The caller is
// always taken to be [SampleUser] for show_self (inferred: the emulator
// does not tie tokens to users).
func (q listQuery) matches(inst *Instance) bool {
	return (q.status == "" || inst.Status == Status(q.status)) &&
		inst.WorkspaceID == q.workspace &&
		(q.poolID == "" || inst.Pool != nil && inst.Pool.ID == q.poolID) &&
		(q.aiProject == "" || inst.AIProjectID == q.aiProject) &&
		(!q.showSelf || inst.User.ID == SampleUser.ID)
}

// listInstances implements GET /v1/{project_id}/demanager/instances: the
// matching instances, sorted (ties broken by ID), from offset, at most
// limit of them (0: all); total_count counts every match.
func (s *Server) listInstances(w http.ResponseWriter, r *http.Request) {
	q, verr := parseListQuery(r)
	if verr != nil {
		writeError(w, verr)
		return
	}
	writeJSON(w, http.StatusOK, s.list(r.PathValue("project_id"), q))
}

// wireList is the list's answer.
type wireList struct {
	Instances  []wireInstance `json:"instances"`
	TotalCount int            `json:"total_count"`
}

// list answers a list query.
func (s *Server) list(projectID string, q listQuery) wireList {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	var found []*Instance
	for _, inst := range s.projects[projectID] {
		settle(inst, now)
		if q.matches(inst) {
			found = append(found, inst)
		}
	}
	slices.SortFunc(found, func(a, b *Instance) int {
		c := cmp.Compare(a.Name, b.Name)
		if q.byCreation {
			c = a.CreatedAt.Compare(b.CreatedAt)
		}
		if c == 0 {
			c = cmp.Compare(a.ID, b.ID)
		}
		if q.desc {
			c = -c
		}
		return c
	})
	page := found[min(q.offset, len(found)):]
	if q.limit > 0 && len(page) > q.limit {
		page = page[:q.limit]
	}
	out := wireList{Instances: make([]wireInstance, len(page)), TotalCount: len(found)}
	for i, inst := range page {
		out.Instances[i] = render(inst, now, viewFull)
	}
	return out
}

// faultInstance is what an instance ID with [FaultInstancePrefix] is when
// no fault answers: an existing, stopped instance.
func faultInstance(id string) Instance {
	return Instance{
		ID: id, Name: id, Status: StatusStopped, Flavor: "modelarts.vm.cpu.2u", ProfileID: "Multi-Engine 1.0 (python3)-cpu",
		CreatedAt: sampleEpoch, UpdatedAt: sampleEpoch,
		Storage: Storage{Type: "obs", Path: "/notebook-bucket/" + id + "/"}, AutoStop: AutoStop{Prompt: true},
		WorkspaceID: "0", User: SampleUser,
	}
}

// lookup returns the stored instance, settled at now, or nil. The caller
// holds s.mu.
func (s *Server) lookup(projectID, instanceID string, now time.Time) *Instance {
	inst, ok := s.projects[projectID][instanceID]
	if !ok {
		return nil
	}
	settle(inst, now)
	return inst
}

// target returns the instance a get, update or action is for: the stored
// one, settled at now, or for an ID with [FaultInstancePrefix] a fresh
// [faultInstance]; nil if there is none. The caller holds s.mu.
func (s *Server) target(projectID, instanceID string, now time.Time) *Instance {
	if strings.HasPrefix(instanceID, FaultInstancePrefix) {
		fi := faultInstance(instanceID)
		return &fi
	}
	return s.lookup(projectID, instanceID, now)
}

// getInstance implements GET /v1/{project_id}/demanager/instances/{instance_id}.
func (s *Server) getInstance(w http.ResponseWriter, r *http.Request) {
	out, verr := s.view(r.PathValue("project_id"), r.PathValue("instance_id"))
	if verr != nil {
		writeError(w, verr)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// view returns an instance's get answer.
func (s *Server) view(projectID, instanceID string) (wireInstance, *vendorError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	inst := s.target(projectID, instanceID, now)
	if inst == nil {
		return wireInstance{}, errInstanceNotFound
	}
	return render(inst, now, viewFull), nil
}

// updateInstance implements PUT /v1/{project_id}/demanager/instances/{instance_id}:
// description and spec.auto_stop, with the create rules, in any status
// (the reference locks no field: 6347 is never given). Fields the request
// leaves out keep their value. A duration changed while RUNNING applies
// from the next start, as the reference says; disabling auto-stop while
// RUNNING cancels the pending stop, and enabling it schedules one at now +
// duration (inferred).
func (s *Server) updateInstance(w http.ResponseWriter, r *http.Request) {
	projectID, instanceID := r.PathValue("project_id"), r.PathValue("instance_id")
	var req updateRequest
	if verr := decodeBody(r, &req); verr != nil {
		writeError(w, verr)
		return
	}
	out, verr := s.update(projectID, instanceID, &req)
	if verr != nil {
		writeError(w, verr)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// update applies an update request to the instance and returns its answer.
func (s *Server) update(projectID, instanceID string, req *updateRequest) (wireInstance, *vendorError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	inst := s.target(projectID, instanceID, now) // a fault instance is updated, but not kept
	if inst == nil {
		return wireInstance{}, errInstanceNotFound
	}
	var given *autoStopRequest
	if req.Spec != nil {
		given = req.Spec.AutoStop
	}
	as := autoStopOf(given, inst.AutoStop)
	var verr *vendorError
	if req.Description != nil {
		verr = checkDescription(*req.Description)
	}
	if verr == nil {
		verr = checkAutoStop(given, as.Enable, as.Duration)
	}
	if verr != nil {
		return wireInstance{}, verr
	}
	if req.Description != nil {
		inst.Description = *req.Description
	}
	switch {
	case inst.Status != StatusRunning:
	case !as.Enable:
		as.StopAt = time.Time{}
	case as.StopAt.IsZero():
		as.StopAt = now.Add(as.Duration)
	}
	inst.AutoStop = as
	inst.UpdatedAt = now
	return render(inst, now, viewFull), nil
}

// actionInstance implements POST /v1/{project_id}/demanager/instances/{instance_id}/action:
// {"action": "start"} or {"action": "stop"} (required: 6335; another value
// 6336, inferred). The body is checked before the instance is looked up
// (inferred). The answer is the status the action moved the instance to
// and the one it was in.
func (s *Server) actionInstance(w http.ResponseWriter, r *http.Request) {
	projectID, instanceID := r.PathValue("project_id"), r.PathValue("instance_id")
	var req actionRequest
	if verr := decodeBody(r, &req); verr != nil {
		writeError(w, verr)
		return
	}
	if req.Action == nil || *req.Action == "" {
		writeError(w, errRequired("action"))
		return
	}
	action := *req.Action
	if action != "start" && action != "stop" {
		writeError(w, errBadValue("action"))
		return
	}
	out, verr := s.applyAction(projectID, instanceID, action)
	if verr != nil {
		writeError(w, verr)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// applyAction starts or stops the instance and returns the action's answer.
func (s *Server) applyAction(projectID, instanceID, action string) (map[string]Status, *vendorError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	inst := s.target(projectID, instanceID, now) // a fault instance is acted on, but not kept
	if inst == nil {
		return nil, errInstanceNotFound
	}
	previous := inst.Status
	if action == "start" {
		if verr := startGuard(previous); verr != nil {
			return nil, verr
		}
		s.start(inst, now)
	} else {
		if verr := stopGuard(previous); verr != nil {
			return nil, verr
		}
		s.stop(inst, now)
	}
	return map[string]Status{"current_status": inst.Status, "previous_state": previous}, nil
}

// deleteInstance implements DELETE /v1/{project_id}/demanager/instances/{instance_id}:
// the instance is gone at once and later calls give 6309 (inferred).
func (s *Server) deleteInstance(w http.ResponseWriter, r *http.Request) {
	projectID, instanceID := r.PathValue("project_id"), r.PathValue("instance_id")
	if strings.HasPrefix(instanceID, FaultInstancePrefix) {
		// A fault instance that no fault hit behaves as a stopped one.
		writeJSON(w, http.StatusOK, map[string]string{"instance_id": instanceID})
		return
	}
	if verr := s.remove(projectID, instanceID); verr != nil {
		writeError(w, verr)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"instance_id": instanceID})
}

// remove deletes an instance unless its status forbids it.
func (s *Server) remove(projectID, instanceID string) *vendorError {
	s.mu.Lock()
	defer s.mu.Unlock()
	inst := s.lookup(projectID, instanceID, s.now())
	if inst == nil {
		return errInstanceNotFound
	}
	if verr := deleteGuard(inst.Status); verr != nil {
		return verr
	}
	delete(s.projects[projectID], instanceID)
	return nil
}
