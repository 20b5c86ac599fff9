package emulator_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/devenv-facade/devenv-facade/internal/emulator"
)

// readSample reads a sample of the vendor's reference pages
// (testdata/reference), numbers as json.Number.
func readSample(t *testing.T, name string) (raw string, v any) {
	t.Helper()
	b, err := os.ReadFile("testdata/reference/" + name)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		t.Fatal(err)
	}
	return string(b), v
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case json.Number:
		return "number"
	case bool:
		return "boolean"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return "?"
}

// shapeRules relax the comparison of an answer with a sample.
type shapeRules struct {
	freeForm []string // paths whose content is free-form: only the type is compared
	absentOK []string // sample paths the answer may leave out
	extraOK  []string // answer paths the sample does not have
}

// sameShape reports every difference in keys and JSON value types between
// a sample of the reference and an answer, recursively.
func sameShape(path string, sample, got any, rules shapeRules) []string {
	var diffs []string
	if jsonKind(sample) != jsonKind(got) {
		return []string{path + ": " + jsonKind(got) + "; the sample has " + jsonKind(sample)}
	}
	if slices.Contains(rules.freeForm, path) {
		return nil
	}
	join := func(k string) string {
		if path == "" {
			return k
		}
		return path + "." + k
	}
	switch s := sample.(type) {
	case map[string]any:
		g := got.(map[string]any)
		for k, sv := range s {
			gv, ok := g[k]
			if !ok {
				if !slices.Contains(rules.absentOK, join(k)) {
					diffs = append(diffs, join(k)+": missing")
				}
				continue
			}
			diffs = append(diffs, sameShape(join(k), sv, gv, rules)...)
		}
		for k := range g {
			if _, ok := s[k]; !ok && !slices.Contains(rules.extraOK, join(k)) {
				diffs = append(diffs, join(k)+": not in the sample")
			}
		}
	case []any:
		g := got.([]any)
		if len(s) > 0 {
			for i := range g {
				diffs = append(diffs, sameShape(path+"[]", s[0], g[i], rules)...)
			}
		}
	}
	return diffs
}

var thirteenDigits = regexp.MustCompile(`^[0-9]{13}$`)

// TestShape_matchesReferenceSamples sends the reference's sample requests
// and checks that the answers have the sample answers' keys and JSON value
// types: creation_timestamp a 13-digit string, stop_timestamp a 13-digit
// number, flavor_details.params an object, the get sample's explicit
// nulls.
func TestShape_matchesReferenceSamples(t *testing.T) {
	t.Parallel()
	free := []string{"flavor_details.params"}
	t.Run("create", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t, emulator.Options{NoSamples: true})
		req, _ := readSample(t, "create-request.json")
		_, sample := readSample(t, "create-response.json")
		got := f.create(t, req)
		if got.status != http.StatusOK {
			t.Fatalf("the reference's create request: %d %s", got.status, got.raw)
		}
		// An obs storage has no volume_size (the reference: "If type is
		// set to obs, this parameter does not need to be set").
		for _, d := range sameShape("", sample, got.body, shapeRules{freeForm: free, absentOK: []string{"spec.storage.location.volume_size"}}) {
			t.Error(d)
		}
		checkTimestamps(t, got.body)
	})
	t.Run("get", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t, emulator.Options{})
		_, sample := readSample(t, "get-response.json")
		got := f.get(t, running)
		for _, d := range sameShape("", sample, got.body, shapeRules{freeForm: free}) {
			t.Error(d)
		}
		checkTimestamps(t, got.body)
		if ts := at(t, got.body, "spec.auto_stop.stop_timestamp").(json.Number); !thirteenDigits.MatchString(ts.String()) {
			t.Errorf("spec.auto_stop.stop_timestamp %s; want 13 digits", ts)
		}
	})
	t.Run("update", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t, emulator.Options{})
		req, _ := readSample(t, "update-request.json")
		_, sample := readSample(t, "update-response.json")
		got := f.update(t, running, req)
		// The sample shows no spec; the emulator answers the instance as
		// stored, spec included.
		for _, d := range sameShape("", sample, got.body, shapeRules{freeForm: free, extraOK: []string{"spec"}}) {
			t.Error(d)
		}
		if str(t, got.body, "description") != "This is for test." {
			t.Errorf("description %q; want the request's", str(t, got.body, "description"))
		}
		checkTimestamps(t, got.body)
	})
	t.Run("action", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t, emulator.Options{})
		req, _ := readSample(t, "action-request.json")
		_, sample := readSample(t, "action-response.json")
		got := f.call(t, http.MethodPost, instancesPath+"/"+stopped+"/action", req)
		if diff := cmp.Diff(sample, got.body); diff != "" {
			t.Errorf("starting the stopped sample (-reference +emulator):\n%s", diff)
		}
	})
	t.Run("list", func(t *testing.T) {
		t.Parallel()
		// No list sample: its items are get's objects (TestList_samples);
		// total_count is a number.
		f := newFixture(t, emulator.Options{})
		got := f.list(t, "de_type=Notebook")
		if jsonKind(at(t, got.body, "total_count")) != "number" || jsonKind(at(t, got.body, "instances")) != "array" {
			t.Errorf("list: %s; want total_count a number and instances an array", got.raw)
		}
		for _, inst := range at(t, got.body, "instances").([]any) {
			checkTimestamps(t, inst)
		}
	})
}

// checkTimestamps checks the string timestamps and the params object.
func checkTimestamps(t *testing.T, inst any) {
	t.Helper()
	for _, k := range []string{"creation_timestamp", "latest_update_timestamp"} {
		if s := str(t, inst, k); !thirteenDigits.MatchString(s) {
			t.Errorf("%s %q; want a string of 13 digits", k, s)
		}
	}
	if jsonKind(at(t, inst, "flavor_details.params")) != "object" {
		t.Errorf("flavor_details.params %v; want an object", at(t, inst, "flavor_details.params"))
	}
}

// TestSamples_secrets: the credential sample carries every sample secret,
// in spec.credential and in the repository's connection_info.credential
// (in spec and at the top level); the other samples carry none.
func TestSamples_secrets(t *testing.T) {
	t.Parallel()
	f := newFixture(t, emulator.Options{})
	g := f.get(t, emulator.SampleCredentialInstanceID)
	secrets := emulator.SampleSecrets()
	want := map[string]string{
		"spec.credential.ssh_private_key":                            secrets[0],
		"spec.credential.access_token":                               secrets[1],
		"spec.repository.connection_info.credential.ssh_private_key": secrets[2],
		"spec.repository.connection_info.credential.access_token":    secrets[3],
		"repository.connection_info.credential.ssh_private_key":      secrets[2],
		"repository.connection_info.credential.access_token":         secrets[3],
	}
	for path, w := range want {
		if got := str(t, g.body, path); got != w {
			t.Errorf("%s = %q; want %q", path, got, w)
		}
	}
	for _, inst := range emulator.Samples() {
		if inst.ID == emulator.SampleCredentialInstanceID {
			continue
		}
		raw := f.get(t, inst.ID).raw
		for _, s := range secrets {
			if bytes.Contains([]byte(raw), []byte(jsonString(t, s))) {
				t.Errorf("sample %s carries a secret", inst.ID)
			}
		}
	}
}

// TestSamples_statuses: the samples keep their IDs, names and statuses.
func TestSamples_statuses(t *testing.T) {
	t.Parallel()
	f := newFixture(t, emulator.Options{})
	want := map[string][2]string{
		stopped: {"notebook-sample", "STOPPED"},
		"DE-2b1f6c3e-5a4d-11ee-8c99-0242ac120002": {"notebook-train", "STOPPED"},
		failed:                              {"notebook-failed", "CREATE_FAILED"},
		running:                             {"notebook-d115", "RUNNING"},
		starting:                            {"notebook-starting", "STARTING"},
		emulator.SampleCredentialInstanceID: {"notebook-git", "STOPPED"},
	}
	for id, w := range want {
		g := f.get(t, id)
		if got := [2]string{str(t, g.body, "name"), str(t, g.body, "status")}; got != w {
			t.Errorf("%s: %v; want %v", id, got, w)
		}
	}
	if len(emulator.Samples()) != len(want) {
		t.Errorf("%d samples; want %d", len(emulator.Samples()), len(want))
	}
	f.clock.Advance(24 * time.Hour)
	if g := f.get(t, starting); str(t, g.body, "status") != "STARTING" {
		t.Errorf("the starting sample after a day: %s; want it to stay STARTING", str(t, g.body, "status"))
	}
}
