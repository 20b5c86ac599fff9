package emulator_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/devenv-facade/devenv-facade/internal/emulator"
)

// listFixture holds instances chosen so that each filter and sort key
// orders them differently.
func listFixture(t *testing.T) *fixture {
	t.Helper()
	f := newFixture(t, emulator.Options{NoSamples: true})
	t0 := f.clock.Now().Add(-time.Hour)
	other := emulator.User{ID: "0000000000000000000000000000ffff", Name: "someone-else"}
	for _, inst := range []emulator.Instance{
		{ID: "id-a", Name: "alpha", Status: emulator.StatusRunning, CreatedAt: t0.Add(3 * time.Minute)},
		{ID: "id-b", Name: "bravo", Status: emulator.StatusStopped, CreatedAt: t0.Add(1 * time.Minute), Pool: &emulator.Pool{ID: "pool-1", Type: "USER_DEFINED"}},
		{ID: "id-c", Name: "charlie", Status: emulator.StatusStopped, CreatedAt: t0.Add(2 * time.Minute), AIProjectID: "proj-x"},
		{ID: "id-d", Name: "delta", Status: emulator.StatusStopped, CreatedAt: t0, WorkspaceID: "ws-2"},
		{ID: "id-e", Name: "echo", Status: emulator.StatusStopped, CreatedAt: t0.Add(4 * time.Minute), User: other},
	} {
		f.emu.AddInstance(project, inst)
	}
	return f
}

// ids returns the IDs of a list answer's instances and its total_count.
func ids(t *testing.T, r reply) ([]string, int64) {
	t.Helper()
	list, ok := at(t, r.body, "instances").([]any)
	if !ok {
		t.Fatalf("instances is not an array: %s", r.raw)
	}
	out := []string{}
	for _, inst := range list {
		out = append(out, str(t, inst, "id"))
	}
	return out, num(t, r.body, "total_count")
}

func TestList(t *testing.T) {
	t.Parallel()
	f := listFixture(t)
	tests := []struct {
		query string
		want  []string
		total int64
	}{
		// Defaults: workspace "0", the caller's own instances, by name.
		{"de_type=Notebook", []string{"id-a", "id-b", "id-c"}, 3},
		{"de_type=Notebook&sortby=name", []string{"id-a", "id-b", "id-c"}, 3},
		{"de_type=Notebook&sortby=name&order=asc", []string{"id-a", "id-b", "id-c"}, 3},
		{"de_type=Notebook&order=desc", []string{"id-c", "id-b", "id-a"}, 3},
		{"de_type=Notebook&sortby=creation_timestamp", []string{"id-b", "id-c", "id-a"}, 3},
		{"de_type=Notebook&sortby=creation_timestamp&order=desc", []string{"id-a", "id-c", "id-b"}, 3},
		// Filters.
		{"de_type=Notebook&status=STOPPED", []string{"id-b", "id-c"}, 2},
		{"de_type=Notebook&status=RUNNING", []string{"id-a"}, 1},
		{"de_type=Notebook&status=DELETED", []string{}, 0},
		{"de_type=Notebook&provision_type=Docker", []string{"id-a", "id-b", "id-c"}, 3},
		{"de_type=Notebook&workspace_id=ws-2", []string{"id-d"}, 1},
		{"de_type=Notebook&workspace_id=0", []string{"id-a", "id-b", "id-c"}, 3},
		{"de_type=Notebook&pool_id=pool-1", []string{"id-b"}, 1},
		{"de_type=Notebook&ai_project=proj-x", []string{"id-c"}, 1},
		{"de_type=Notebook&show_self=false", []string{"id-a", "id-b", "id-c", "id-e"}, 4},
		{"de_type=Notebook&show_self=true", []string{"id-a", "id-b", "id-c"}, 3},
		{"de_type=Notebook&show_self=False", []string{"id-a", "id-b", "id-c", "id-e"}, 4},
		{"de_type=Notebook&show_self=True", []string{"id-a", "id-b", "id-c"}, 3},
		{"de_type=Notebook&status=&sortby=&order=", []string{"id-a", "id-b", "id-c"}, 3}, // empty is absent
		// Pages: total_count counts every match.
		{"de_type=Notebook&offset=1", []string{"id-b", "id-c"}, 3},
		{"de_type=Notebook&limit=2", []string{"id-a", "id-b"}, 3},
		{"de_type=Notebook&limit=0", []string{"id-a", "id-b", "id-c"}, 3},
		{"de_type=Notebook&offset=1&limit=1", []string{"id-b"}, 3},
		{"de_type=Notebook&offset=2&limit=5", []string{"id-c"}, 3},
		{"de_type=Notebook&offset=3", []string{}, 3},
		{"de_type=Notebook&offset=99&limit=1", []string{}, 3},
		{"de_type=Notebook&status=STOPPED&order=desc&limit=1", []string{"id-c"}, 2},
		{"de_type=Notebook&show_self=false&sortby=creation_timestamp&order=desc&offset=1&limit=2", []string{"id-a", "id-c"}, 4},
	}
	for _, tt := range tests {
		got := f.list(t, tt.query)
		if got.status != http.StatusOK {
			t.Errorf("%s: %d %s", tt.query, got.status, got.raw)
			continue
		}
		gotIDs, total := ids(t, got)
		if diff := cmp.Diff(tt.want, gotIDs); diff != "" || total != tt.total {
			t.Errorf("%s: total_count %d (want %d), ids (-want +got):\n%s", tt.query, total, tt.total, diff)
		}
	}
}

// TestList_tiesByID: equal sort keys are ordered by ID, reversed by desc.
func TestList_tiesByID(t *testing.T) {
	t.Parallel()
	f := newFixture(t, emulator.Options{NoSamples: true})
	t0 := f.clock.Now()
	for _, id := range []string{"id-2", "id-3", "id-1"} {
		f.emu.AddInstance(project, emulator.Instance{ID: id, Name: "same", Status: emulator.StatusStopped, CreatedAt: t0})
	}
	for query, want := range map[string][]string{
		"de_type=Notebook": {"id-1", "id-2", "id-3"},
		"de_type=Notebook&sortby=creation_timestamp&order=desc": {"id-3", "id-2", "id-1"},
	} {
		got, _ := ids(t, f.list(t, query))
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", query, diff)
		}
	}
}

func TestList_errors(t *testing.T) {
	t.Parallel()
	f := listFixture(t)
	tests := []struct {
		query, code, msg string
	}{
		{"", "ModelArts.6335", "'de_type' is a required property."},
		{"de_type=", "ModelArts.6335", "'de_type' is a required property."},
		{"de_type=notebook", "ModelArts.6336", "'de_type' property value is incorrect."},
		{"de_type=Notebook&provision_type=VM", "ModelArts.6336", "'provision_type' property value is incorrect."},
		{"de_type=Notebook&status=running", "ModelArts.6336", "'status' property value is incorrect."},
		{"de_type=Notebook&sortby=status", "ModelArts.6303", "The field does not support sorting."},
		{"de_type=Notebook&sortby=latest_update_timestamp", "ModelArts.6303", "The field does not support sorting."},
		{"de_type=Notebook&order=up", "ModelArts.6336", "'order' property value is incorrect."},
		{"de_type=Notebook&offset=x", "ModelArts.6332", "Incorrect parameter type. The 'offset' parameter must be of the 'integer' type."},
		{"de_type=Notebook&offset=-1", "ModelArts.6336", "'offset' property value is incorrect."},
		{"de_type=Notebook&limit=1.5", "ModelArts.6332", "Incorrect parameter type. The 'limit' parameter must be of the 'integer' type."},
		{"de_type=Notebook&limit=-2", "ModelArts.6336", "'limit' property value is incorrect."},
		{"de_type=Notebook&show_self=yes", "ModelArts.6336", "'show_self' property value is incorrect."},
	}
	for _, tt := range tests {
		got := f.list(t, tt.query)
		if got.status != http.StatusBadRequest || got.code() != tt.code || got.message() != tt.msg {
			t.Errorf("%q: %d %s; want 400 %s %q", tt.query, got.status, got.raw, tt.code, tt.msg)
		}
	}
}

// TestList_samples: the samples are listed with the same objects get
// answers, secrets included.
func TestList_samples(t *testing.T) {
	t.Parallel()
	f := newFixture(t, emulator.Options{})
	got := f.list(t, "de_type=Notebook")
	gotIDs, total := ids(t, got)
	if int(total) != len(emulator.Samples()) || len(gotIDs) != len(emulator.Samples()) {
		t.Fatalf("listed %v of %d; want every sample", gotIDs, total)
	}
	for i, inst := range at(t, got.body, "instances").([]any) {
		g := f.get(t, gotIDs[i])
		if diff := cmp.Diff(g.body, inst); diff != "" {
			t.Errorf("list item %s differs from get (-get +list):\n%s", gotIDs[i], diff)
		}
	}
	for _, secret := range emulator.SampleSecrets() {
		if !strings.Contains(got.raw, jsonString(t, secret)) {
			t.Errorf("the list does not carry the sample secret %q", secret)
		}
	}
}
