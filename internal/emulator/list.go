package emulator

import (
	"cmp"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

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
