package modelarts_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/devenv-facade/devenv-facade/internal/clock/clocktest"
	"github.com/devenv-facade/devenv-facade/internal/cloudauth"
	"github.com/devenv-facade/devenv-facade/internal/emulator"
	"github.com/devenv-facade/devenv-facade/internal/modelarts"
	"github.com/devenv-facade/devenv-facade/internal/options"
)

// The emulator's sample notebooks and images the tests act on, besides
// those it exports (emulator.SampleNotebookID and others).
const (
	stoppedNotebook   = "936bea3e-d3df-435e-8b58-d817283284ae" // notebook-usecase: start, update
	deletableNotebook = "f9937afa-ca78-45b6-bc12-7ecf42553c48" // notebook_5ee4bf0e, STOPPED
	ascendNotebook    = "5f4e3d2c-1b0a-4987-a6b5-c4d3e2f1a0b9" // switchable flavors
	colleagueNotebook = "2a3b4c5d-6e7f-4809-9a1b-2c3d4e5f6a7b" // another user's: only in /notebooks/all
	dedicatedImage    = "c9ab2b2f-edda-4556-bdbb-494e868d043c" // a DEDICATED sample image: deletable
	missingUUID       = "00000000-0000-4000-8000-000000000000"
)

// newEmulator starts the embedded emulator on loopback with opts and
// returns it with a client for it that sends a token.
func newEmulator(t testing.TB, opts emulator.Options, copts modelarts.Options) (*emulator.Server, *modelarts.Client) {
	t.Helper()
	opts.RequestLog = options.Or(opts.RequestLog, 100)
	em := emulator.MustNew(opts)
	srv := httptest.NewServer(em)
	t.Cleanup(srv.Close)
	if copts.Credentials == nil {
		copts.Credentials = cloudauth.Token("service-token")
	}
	c, err := modelarts.NewClient(srv.Client(), srv.URL, copts)
	if err != nil {
		t.Fatal(err)
	}
	return em, c
}

// sample reads a request body of the vendor's pages, as the emulator's
// testdata keeps them.
func sample(t testing.TB, name string) json.RawMessage {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "emulator", "testdata", "notebook-reference", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// notebookCall is one call of a notebook API endpoint.
type notebookCall struct {
	name  string
	ep    modelarts.Endpoint[json.RawMessage]
	ids   []string // path parameters after the project
	query url.Values
	body  string // a sample request's file name, or ""
}

// notebookCalls calls each of the new API's 22 endpoints once, on sample
// notebooks and images whose state allows it, with the pages' sample
// bodies. want is a key and value the answer must have ("" value: only
// the key).
var notebookCalls = []struct {
	notebookCall
	wantKey, wantValue string
}{
	{notebookCall{"CreateNotebook", modelarts.CreateNotebook, nil, nil, "create-request.json"}, "status", "CREATING"},
	{notebookCall{"ListNotebooks", modelarts.ListNotebooks, nil, url.Values{modelarts.QueryNotebookWorkspace: {"0"}, "limit": {"50"}}, ""}, "data", ""},
	{notebookCall{"ListAllNotebooks", modelarts.ListAllNotebooks, nil, url.Values{"limit": {"50"}}, ""}, "data", ""},
	{notebookCall{"GetNotebook", modelarts.GetNotebook, []string{emulator.SampleNotebookID}, nil, ""}, "id", emulator.SampleNotebookID},
	{notebookCall{"UpdateNotebook", modelarts.UpdateNotebook, []string{stoppedNotebook}, nil, "update-request.json"}, "description", "update"},
	{notebookCall{"DeleteNotebook", modelarts.DeleteNotebook, []string{deletableNotebook}, nil, ""}, "status", "DELETING"},
	{notebookCall{"StartNotebook", modelarts.StartNotebook, []string{stoppedNotebook}, url.Values{"duration": {"3600000"}, "type": {"timing"}}, ""}, "status", "STARTING"},
	{notebookCall{"StopNotebook", modelarts.StopNotebook, []string{emulator.SampleNotebookID}, nil, ""}, "status", "STOPPING"},
	{notebookCall{"GetLease", modelarts.GetLease, []string{emulator.SampleNotebookID}, nil, ""}, "enable", ""},
	{notebookCall{"RenewLease", modelarts.RenewLease, []string{emulator.SampleNotebookID}, nil, "renew-request.json"}, "type", "TIMING"},
	{notebookCall{"ListFlavors", modelarts.ListFlavors, nil, url.Values{"category": {"CPU"}}, ""}, "data", ""},
	{notebookCall{"ListSwitchableFlavors", modelarts.ListSwitchableFlavors, []string{ascendNotebook}, url.Values{"limit": {"5"}}, ""}, "data", ""},
	{notebookCall{"ListStorageMounts", modelarts.ListStorageMounts, []string{emulator.SampleSSHNotebookID}, nil, ""}, "data", ""},
	{notebookCall{"AttachStorageMount", modelarts.AttachStorageMount, []string{emulator.SampleNotebookID}, nil, "attach-request.json"}, "status", "MOUNTING"},
	{notebookCall{"GetStorageMount", modelarts.GetStorageMount, []string{emulator.SampleSSHNotebookID, emulator.SampleMountID}, nil, ""}, "id", emulator.SampleMountID},
	{notebookCall{"DetachStorageMount", modelarts.DetachStorageMount, []string{emulator.SampleSSHNotebookID, emulator.SampleMountID}, nil, ""}, "status", "UNMOUNTING"},
	{notebookCall{"CreateImage", modelarts.CreateImage, []string{emulator.SampleNotebookID}, nil, "create-image-request.json"}, "status", "INIT"},
	{notebookCall{"ListImages", modelarts.ListImages, nil, url.Values{modelarts.QueryImageWorkspace: {"0"}, "limit": {"2"}}, ""}, "data", ""},
	{notebookCall{"RegisterImage", modelarts.RegisterImage, nil, nil, "register-request.json"}, "type", "DEDICATED"},
	{notebookCall{"ListImageGroups", modelarts.ListImageGroups, nil, url.Values{modelarts.QueryImageWorkspace: {"0"}}, ""}, "data", ""},
	{notebookCall{"GetImage", modelarts.GetImage, []string{emulator.SampleImageID}, nil, ""}, "id", emulator.SampleImageID},
	{notebookCall{"DeleteImage", modelarts.DeleteImage, []string{dedicatedImage}, url.Values{"force": {"true"}}, ""}, "status", "DELETED"},
}

// request builds the call's request in the sample project.
func (nc notebookCall) request(t testing.TB) modelarts.Request {
	req := modelarts.Request{Params: append([]string{emulator.SampleProjectID}, nc.ids...), Query: nc.query}
	if nc.body != "" {
		req.Body = sample(t, nc.body)
	}
	return req
}

// wantPath is the path the call must reach: the template with the IDs.
func (nc notebookCall) wantPath() string {
	p := nc.ep.Operation().Path
	for _, v := range append([]string{emulator.SampleProjectID}, nc.ids...) {
		i := strings.Index(p, "{")
		j := strings.Index(p, "}")
		p = p[:i] + v + p[j+1:]
	}
	return p
}

// TestNotebookEndpoints calls each of the 22 endpoints once against the
// emulator, over loopback: each reaches its route with its method, query
// and body, is answered 2xx once, and hands over the vendor's answer.
func TestNotebookEndpoints(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for _, tt := range notebookCalls {
		seen[tt.ep.Operation().Name] = true
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			em, c := newEmulator(t, emulator.Options{}, modelarts.Options{})
			resp, res, err := tt.ep.Call(t.Context(), c, tt.request(t))
			if err != nil {
				t.Fatalf("%s: %v", tt.name, err)
			}
			if res.Attempts != 1 || res.HTTPStatus != http.StatusOK {
				t.Errorf("%d attempts, HTTP %d; want one, 200", res.Attempts, res.HTTPStatus)
			}
			reqs := em.Requests()
			if len(reqs) != 1 {
				t.Fatalf("the emulator got %d requests; want 1", len(reqs))
			}
			op := tt.ep.Operation()
			if r := reqs[0]; r.Method != op.Method || r.Path != tt.wantPath() || r.RawQuery != tt.query.Encode() {
				t.Errorf("sent %s %s?%s; want %s %s?%s", r.Method, r.Path, r.RawQuery, op.Method, tt.wantPath(), tt.query.Encode())
			}
			var answer map[string]any
			if err := json.Unmarshal(*resp, &answer); err != nil {
				t.Fatalf("answer %s: %v", *resp, err)
			}
			got, ok := answer[tt.wantKey]
			if !ok || tt.wantValue != "" && got != tt.wantValue {
				t.Errorf("answer's %s = %v (present %v); want %q", tt.wantKey, got, ok, tt.wantValue)
			}
		})
	}
	if len(seen) != 22 {
		t.Errorf("the table calls %d endpoints; the new API has 22", len(seen))
	}
}

// TestNotebookEndpoints_listAllShowsEveryUser: /notebooks/all is the
// literal route, not a notebook named "all": it answers other users'
// notebooks, which /notebooks leaves out.
func TestNotebookEndpoints_listAllShowsEveryUser(t *testing.T) {
	t.Parallel()
	_, c := newEmulator(t, emulator.Options{}, modelarts.Options{})
	ids := func(ep modelarts.Endpoint[json.RawMessage]) []string {
		resp, _, err := ep.Call(t.Context(), c, modelarts.Request{Params: []string{emulator.SampleProjectID}, Query: url.Values{"limit": {"50"}}})
		if err != nil {
			t.Fatal(err)
		}
		var page struct {
			Data []struct {
				ID string `json:"id"`
			} `json:"data"`
		}
		if err := json.Unmarshal(*resp, &page); err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, nb := range page.Data {
			out = append(out, nb.ID)
		}
		return out
	}
	if own, all := ids(modelarts.ListNotebooks), ids(modelarts.ListAllNotebooks); slices.Contains(own, colleagueNotebook) || !slices.Contains(all, colleagueNotebook) {
		t.Errorf("the colleague's notebook: in /notebooks %v, in /notebooks/all %v; want only in the latter", own, all)
	}
}

// TestNotebookEndpoints_notFound: the emulator's not-found answers (HTTP
// 400, {"error_code", "error_msg"}) come back as an Error with the code
// and the message, and mean NOT_FOUND; a delete that was answered is never
// taken for done.
func TestNotebookEndpoints_notFound(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		ep       modelarts.Endpoint[json.RawMessage]
		ids      []string
		wantCode string
	}{
		{"notebook", modelarts.GetNotebook, []string{missingUUID}, "ModelArts.6309"},
		{"notebook_delete", modelarts.DeleteNotebook, []string{missingUUID}, "ModelArts.6309"},
		{"lease", modelarts.GetLease, []string{missingUUID}, "ModelArts.6309"},
		{"mount", modelarts.GetStorageMount, []string{emulator.SampleSSHNotebookID, missingUUID}, "ModelArts.6309"},
		{"image", modelarts.GetImage, []string{missingUUID}, "ModelArts.6797"},
		{"image_delete", modelarts.DeleteImage, []string{missingUUID}, "ModelArts.6797"},
	}
	_, c := newEmulator(t, emulator.Options{}, modelarts.Options{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, res, err := tt.ep.Call(t.Context(), c, modelarts.Request{Params: append([]string{emulator.SampleProjectID}, tt.ids...)}, modelarts.RequestID("rid"))
			apiErr, ok := errors.AsType[*modelarts.Error](err)
			if !ok {
				t.Fatalf("err = %v; want a *modelarts.Error", err)
			}
			if apiErr.HTTPStatus != http.StatusBadRequest || apiErr.Code != tt.wantCode || apiErr.Message == "" || apiErr.RequestID != "rid" {
				t.Errorf("got %+v; want HTTP 400 %s with the emulator's error_msg and the request ID", apiErr, tt.wantCode)
			}
			if rule, canonical, _, _ := apiErr.Meaning(); rule == nil || canonical.String() != "NOT_FOUND" {
				t.Errorf("means %v (rule %+v); want NOT_FOUND", canonical, rule)
			}
			if res.Attempts != 1 || res.Inferred {
				t.Errorf("%d attempts, inferred %v; want one, not inferred", res.Attempts, res.Inferred)
			}
		})
	}
}

// TestParseError_notebookAPIBodies: the notebook API's error body says
// error_msg where the old one says error_message; both, with the optional
// request_id, make the one Error.
func TestParseError_notebookAPIBodies(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		status int
		body   string
		want   modelarts.Error
	}{
		{"error_msg", 400, `{"error_code":"ModelArts.6309","error_msg":"Notebook f9 not found."}`,
			modelarts.Error{HTTPStatus: 400, Code: "ModelArts.6309", Message: "Notebook f9 not found.", RequestID: "sent"}},
		{"error_message", 400, `{"error_code":"ModelArts.6309","error_message":"The instance does not exist."}`,
			modelarts.Error{HTTPStatus: 400, Code: "ModelArts.6309", Message: "The instance does not exist.", RequestID: "sent"}},
		// Never seen together; the old API's field is read first.
		{"both", 400, `{"error_code":"ModelArts.6404","error_msg":"msg","error_message":"message"}`,
			modelarts.Error{HTTPStatus: 400, Code: "ModelArts.6404", Message: "message", RequestID: "sent"}},
		{"empty_error_message_falls_back", 400, `{"error_code":"ModelArts.6797","error_message":"","error_msg":"Specified image x cannot be found."}`,
			modelarts.Error{HTTPStatus: 400, Code: "ModelArts.6797", Message: "Specified image x cannot be found.", RequestID: "sent"}},
		{"request_id_in_body", 400, `{"error_code":"ModelArts.6357","error_msg":"busy","request_id":"body-id"}`,
			modelarts.Error{HTTPStatus: 400, Code: "ModelArts.6357", Message: "busy", RequestID: "body-id"}},
		{"code_only", 400, `{"error_code":"ModelArts.6768"}`,
			modelarts.Error{HTTPStatus: 400, Code: "ModelArts.6768", RequestID: "sent"}},
		{"msg_without_code", 500, `{"error_msg":"oops"}`,
			modelarts.Error{HTTPStatus: 500, Message: "HTTP 500 Internal Server Error with a body that is not a ModelArts error", RequestID: "sent", Body: []byte(`{"error_msg":"oops"}`)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := modelarts.ParseError(tt.status, http.Header{}, []byte(tt.body), "sent", clocktest.Start)
			if got.HTTPStatus != tt.want.HTTPStatus || got.Code != tt.want.Code || got.Message != tt.want.Message ||
				got.RequestID != tt.want.RequestID || string(got.Body) != string(tt.want.Body) {
				t.Errorf("got %+v; want %+v", got, tt.want)
			}
		})
	}
}

// TestNotebookEndpoints_retries: with a fault on every request, the reads
// and deletes are tried again (up to the policy's 3 attempts) and the
// others are sent once: a 503 or a 429 ModelArts.6101 is retried for the
// former, and never resent for the latter.
func TestNotebookEndpoints_retries(t *testing.T) {
	t.Parallel()
	for _, fault := range []string{"s503", "s429-c6101"} {
		for _, tt := range notebookCalls {
			t.Run(fault+"/"+tt.name, func(t *testing.T) {
				t.Parallel()
				em, c := newEmulator(t, emulator.Options{Fault: emulator.MustParseFault(fault)},
					modelarts.Options{Retry: fastRetries, Clock: newWaits()})
				_, res, err := tt.ep.Call(t.Context(), c, tt.request(t))
				if _, ok := errors.AsType[*modelarts.Error](err); !ok {
					t.Fatalf("err = %v; want the fault's answer", err)
				}
				want := 1
				if tt.ep.Operation().Idempotent {
					want = fastRetries.MaxAttempts
				}
				if got := len(em.Requests()); res.Attempts != want || got != want {
					t.Errorf("%d attempts, %d requests; want %d", res.Attempts, got, want)
				}
			})
		}
	}
}

// TestNotebookEndpoints_readRetriedAfterFault: a read that meets a 503 or
// a 429 once succeeds on its second attempt (the fault rides on the
// notebook ID, as it would through the facade).
func TestNotebookEndpoints_readRetriedAfterFault(t *testing.T) {
	t.Parallel()
	for _, id := range []string{"fault-s503-fail1-x1", "fault-s429-c6101-ra1-fail1-x2"} {
		t.Run(id, func(t *testing.T) {
			t.Parallel()
			w := newWaits()
			em, c := newEmulator(t, emulator.Options{}, modelarts.Options{Retry: fastRetries, Clock: w})
			resp, res, err := modelarts.GetNotebook.Call(t.Context(), c, modelarts.Request{Params: []string{emulator.SampleProjectID, id}})
			if err != nil {
				t.Fatal(err)
			}
			if res.Attempts != 2 || len(em.Requests()) != 2 || !strings.Contains(string(*resp), `"status":"STOPPED"`) {
				t.Errorf("%d attempts, %d requests, answer %s; want 2, 2 and the (stopped) fault notebook", res.Attempts, len(em.Requests()), *resp)
			}
			if strings.Contains(id, "ra1") && slices.Max(append(w.Started(), 0)) < time.Second {
				t.Errorf("waits %v; want the Retry-After of 1s honoured", w.Started())
			}
		})
	}
}

// TestNotebookEndpoints_lostAnswers: when the emulator carries a request
// out and drops the connection instead of answering, a create or a start
// is not sent again (its outcome is unknown: Ambiguous), and the notebook
// was indeed created once; a read is tried again; a delete whose retry
// hears "not found" is reported done (Inferred).
func TestNotebookEndpoints_lostAnswers(t *testing.T) {
	t.Parallel()
	t.Run("create", func(t *testing.T) {
		t.Parallel()
		em, c := newEmulator(t, emulator.Options{NoSamples: true}, modelarts.Options{Retry: fastRetries, Clock: newWaits()})
		body := map[string]any{"name": "fault-drop-x1", "flavor": "modelarts.vm.cpu.2u", "image_id": emulator.SampleImageID,
			"volume": map[string]any{"category": "EVS", "ownership": "MANAGED", "capacity": 5}}
		_, res, err := modelarts.CreateNotebook.Call(t.Context(), c, modelarts.Request{Params: []string{emulator.SampleProjectID}, Body: body})
		if err == nil || isAPIError(err) || !res.Ambiguous || res.Attempts != 1 || len(em.Requests()) != 1 {
			t.Fatalf("err %v, %+v, %d requests; want no answer, ambiguous, one attempt", err, res, len(em.Requests()))
		}
		resp, _, err := modelarts.ListNotebooks.Call(t.Context(), c, modelarts.Request{Params: []string{emulator.SampleProjectID}})
		if err != nil || strings.Count(string(*resp), `"name":"fault-drop-x1"`) != 1 {
			t.Errorf("after the lost create the list is %s (%v); want the one notebook it created", *resp, err)
		}
	})
	t.Run("start", func(t *testing.T) {
		t.Parallel()
		em, c := newEmulator(t, emulator.Options{}, modelarts.Options{Retry: fastRetries, Clock: newWaits()})
		_, res, err := modelarts.StartNotebook.Call(t.Context(), c, modelarts.Request{Params: []string{emulator.SampleProjectID, "fault-drop-x2"}})
		if err == nil || isAPIError(err) || !res.Ambiguous || res.Attempts != 1 || len(em.Requests()) != 1 {
			t.Fatalf("err %v, %+v, %d requests; want no answer, ambiguous, one attempt", err, res, len(em.Requests()))
		}
	})
	t.Run("read", func(t *testing.T) {
		t.Parallel()
		em, c := newEmulator(t, emulator.Options{}, modelarts.Options{Retry: fastRetries, Clock: newWaits()})
		_, res, err := modelarts.GetNotebook.Call(t.Context(), c, modelarts.Request{Params: []string{emulator.SampleProjectID, "fault-drop-fail1-x3"}})
		if err != nil || res.Attempts != 2 || len(em.Requests()) != 2 {
			t.Fatalf("err %v, %+v, %d requests; want success on the second attempt", err, res, len(em.Requests()))
		}
	})
	t.Run("delete", func(t *testing.T) {
		t.Parallel()
		// The deletion completes at once: the retry hears 6309.
		em, c := newEmulator(t, emulator.Options{Fault: emulator.MustParseFault("drop-fail1"), Lifecycle: emulator.Lifecycle{Delete: options.None}},
			modelarts.Options{Retry: fastRetries, Clock: newWaits()})
		resp, res, err := modelarts.DeleteNotebook.Call(t.Context(), c, modelarts.Request{Params: []string{emulator.SampleProjectID, deletableNotebook}})
		if err != nil || resp != nil || !res.Inferred || res.Attempts != 2 || len(em.Requests()) != 2 {
			t.Fatalf("err %v, %+v, %d requests; want success inferred on the second attempt", err, res, len(em.Requests()))
		}
	})
}

func isAPIError(err error) bool {
	_, ok := errors.AsType[*modelarts.Error](err)
	return ok
}
