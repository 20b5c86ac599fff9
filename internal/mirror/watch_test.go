package mirror_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"

	watchv1 "github.com/devenv-facade/devenv-facade/gen/devenvfacade/watch/v1"
	devenvv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/devenv/v1"
	notebookv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/notebook/v1"
	"github.com/devenv-facade/devenv-facade/internal/apierror"
	"github.com/devenv-facade/devenv-facade/internal/mirror"
	"github.com/devenv-facade/devenv-facade/internal/vendorjson"
)

const (
	watchProject   = "0123456789abcdef0123456789abcdef"
	notebooksWatch = "/v1/" + watchProject + "/notebooks:watch"
	instancesWatch = "/v1/" + watchProject + "/demanager/instances:watch"
	eventStream    = "text/event-stream"
)

// watchScript is what a fake watch does with its request and its stream.
type watchScript func(req proto.Message, ss grpc.ServerStream) error

// notebooks is a NotebookService whose WatchNotebooks runs watch and whose
// GetNotebook answers get.
type notebooks struct {
	notebookv1.UnimplementedNotebookServiceServer
	watch watchScript
	get   *notebookv1.Notebook
}

func (n *notebooks) WatchNotebooks(req *notebookv1.WatchNotebooksRequest, ss grpc.ServerStreamingServer[notebookv1.WatchNotebooksResponse]) error {
	return n.watch(req, ss)
}

func (n *notebooks) GetNotebook(context.Context, *notebookv1.GetNotebookRequest) (*notebookv1.GetNotebookResponse, error) {
	return &notebookv1.GetNotebookResponse{Notebook: n.get}, nil
}

// instances is a DevEnvService whose WatchInstances runs watch and whose
// GetInstance answers get.
type instances struct {
	devenvv1.UnimplementedDevEnvServiceServer
	watch watchScript
	get   *devenvv1.Instance
}

func (i *instances) WatchInstances(req *devenvv1.WatchInstancesRequest, ss grpc.ServerStreamingServer[devenvv1.WatchInstancesResponse]) error {
	return i.watch(req, ss)
}

func (i *instances) GetInstance(context.Context, *devenvv1.GetInstanceRequest) (*devenvv1.GetInstanceResponse, error) {
	return &devenvv1.GetInstanceResponse{Instance: i.get}, nil
}

// watchMirror serves the mirror of nb and inst on loopback, with opts;
// config, if not nil, sets up the HTTP server (its timeouts, its
// protocols) first.
func watchMirror(t *testing.T, nb *notebooks, inst *instances, opts mirror.Options, config func(*http.Server)) *httptest.Server {
	t.Helper()
	if nb == nil {
		nb = &notebooks{}
	}
	if inst == nil {
		inst = &instances{}
	}
	h, err := mirror.New(t.Context(), []mirror.Service{mirror.DevEnvService(inst), mirror.NotebookService(nb)},
		func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
			return h(ctx, req)
		}, opts)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(h)
	if config != nil {
		config(ts.Config)
	}
	ts.Start()
	if ts.Config.Protocols != nil && ts.Config.Protocols.UnencryptedHTTP2() {
		ts.Client().Transport.(*http.Transport).Protocols = ts.Config.Protocols
	}
	t.Cleanup(ts.Close)
	return ts
}

// openWatch sends a GET to the mirror and returns the answer, its body
// unread; the request ends with the test.
func openWatch(t *testing.T, ts *httptest.Server, path string, header map[string]string) *http.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, ts.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// sseEvent is one event of a text/event-stream, as a client parses it.
type sseEvent struct {
	name, id, data, retry string
	comments              []string
}

// readEvent reads the next event (or the next block of comment lines) of
// an event stream as it comes.
func readEvent(t *testing.T, br *bufio.Reader) sseEvent {
	t.Helper()
	var ev sseEvent
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatalf("reading the event stream: %v (after %q)", err, line)
		}
		line = strings.TrimSuffix(line, "\n")
		if line == "" {
			return ev
		}
		if c, ok := strings.CutPrefix(line, ":"); ok {
			ev.comments = append(ev.comments, strings.TrimSpace(c))
			continue
		}
		field, value, _ := strings.Cut(line, ": ")
		switch field {
		case "event":
			ev.name = value
		case "id":
			ev.id = value
		case "data":
			if ev.data != "" {
				t.Errorf("event %q has more than one data line", ev.name)
			}
			ev.data = value
		case "retry":
			ev.retry = value
		default:
			t.Errorf("unexpected line %q in the event stream", line)
		}
	}
}

// readEnd reads what is left of an event stream, which must end.
func readEnd(t *testing.T, br *bufio.Reader) string {
	t.Helper()
	rest, err := io.ReadAll(br)
	if err != nil {
		t.Fatalf("reading the end of the stream: %v", err)
	}
	return string(rest)
}

func ptr[T any](v T) *T { return &v }

// notebookEvent and instanceEvent make a watch's events.
func notebookEvent(typ watchv1.EventType, nb *notebookv1.Notebook, token string) *notebookv1.WatchNotebooksResponse {
	return &notebookv1.WatchNotebooksResponse{Type: typ, Notebook: nb, ResumeToken: token}
}

func instanceEvent(typ watchv1.EventType, inst *devenvv1.Instance, token string) *devenvv1.WatchInstancesResponse {
	return &devenvv1.WatchInstancesResponse{Type: typ, Instance: inst, ResumeToken: token}
}

// getBody is the body of the mirror's answer to a GET of path.
func getBody(t *testing.T, ts *httptest.Server, path string) string {
	t.Helper()
	resp := openWatch(t, ts, path, nil)
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s %v", path, resp.StatusCode, b, err)
	}
	return string(b)
}

// TestWatch_serverSentEvents: with Accept: text/event-stream, both watch
// routes answer each event the RPC sends as an SSE event (its type
// without EVENT_TYPE_, its resume token as the id, the object as the
// mirror writes it for a GET of it as data; {} for events without one),
// each written and flushed before the RPC sends the next (the fake waits
// for the test to read each event), and the stream ends when the RPC does.
// The snapshot's ADDED events, whose tokens cannot be resumed from, have
// no id: an EventSource that reconnects within the snapshot starts again.
func TestWatch_serverSentEvents(t *testing.T) {
	t.Parallel()
	nb := &notebookv1.Notebook{Id: ptr("nb-1"), Name: ptr("one"), Status: ptr("RUNNING"), Description: ptr(`<&>"`)}
	stopped := &notebookv1.Notebook{Id: ptr("nb-1"), Name: ptr("one"), Status: ptr("STOPPED")}
	inst := &devenvv1.Instance{Id: ptr("DE-1"), Name: ptr("one"), Status: ptr("RUNNING")}
	type want struct{ name, id, object string }
	for _, tt := range []struct {
		name, path, get, lastEventID string
		events                       []proto.Message
		want                         []want
	}{
		{
			name: "notebooks", path: notebooksWatch, get: "/v1/" + watchProject + "/notebooks/nb-1",
			events: []proto.Message{
				notebookEvent(watchv1.EventType_EVENT_TYPE_ADDED, nb, "t1"),
				notebookEvent(watchv1.EventType_EVENT_TYPE_SNAPSHOT_COMPLETE, nil, "t1"),
				notebookEvent(watchv1.EventType_EVENT_TYPE_MODIFIED, stopped, "t2"),
				notebookEvent(watchv1.EventType_EVENT_TYPE_BOOKMARK, nil, "t3"),
				notebookEvent(watchv1.EventType_EVENT_TYPE_DELETED, nb, "t4"),
			},
			// The snapshot's ADDED events have no id (see resumed below).
			want: []want{{"ADDED", "", "nb"}, {"SNAPSHOT_COMPLETE", "t1", ""}, {"MODIFIED", "t2", "stopped"}, {"BOOKMARK", "t3", ""}, {"DELETED", "t4", "nb"}},
		},
		{
			// A watch resumed from a token sends no snapshot: every
			// event has its id.
			name: "notebooks_resumed", path: notebooksWatch, get: "/v1/" + watchProject + "/notebooks/nb-1", lastEventID: "t4",
			events: []proto.Message{
				notebookEvent(watchv1.EventType_EVENT_TYPE_ADDED, nb, "t5"),
				notebookEvent(watchv1.EventType_EVENT_TYPE_MODIFIED, stopped, "t6"),
			},
			want: []want{{"ADDED", "t5", "nb"}, {"MODIFIED", "t6", "stopped"}},
		},
		{
			name: "instances", path: instancesWatch, get: "/v1/" + watchProject + "/demanager/instances/DE-1",
			events: []proto.Message{
				instanceEvent(watchv1.EventType_EVENT_TYPE_ADDED, inst, "i1"),
				instanceEvent(watchv1.EventType_EVENT_TYPE_SNAPSHOT_COMPLETE, nil, "i1"),
				instanceEvent(watchv1.EventType_EVENT_TYPE_DELETED, inst, "i2"),
			},
			want: []want{{"ADDED", "", "inst"}, {"SNAPSHOT_COMPLETE", "i1", ""}, {"DELETED", "i2", "inst"}},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			read := make(chan struct{})
			script := func(_ proto.Message, ss grpc.ServerStream) error {
				for _, ev := range tt.events {
					if err := ss.SendMsg(ev); err != nil {
						return err
					}
					// The next event only once the client has this one.
					select {
					case <-read:
					case <-ss.Context().Done():
						return ss.Context().Err()
					}
				}
				return nil
			}
			nbs := &notebooks{watch: script, get: nb}
			insts := &instances{watch: script, get: inst}
			ts := watchMirror(t, nbs, insts, mirror.Options{}, nil)
			objects := map[string]string{"": "{}"}
			if tt.path == notebooksWatch {
				objects["nb"] = getBody(t, ts, tt.get)
				nbs.get = stopped
				objects["stopped"] = getBody(t, ts, tt.get)
			} else {
				objects["inst"] = getBody(t, ts, tt.get)
			}

			resp := openWatch(t, ts, tt.path, map[string]string{"Accept": eventStream, "X-Request-Id": "rid-sse", "Last-Event-ID": tt.lastEventID})
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d; want 200", resp.StatusCode)
			}
			for k, v := range map[string]string{"Content-Type": eventStream, "Cache-Control": "no-cache", "X-Request-Id": "rid-sse"} {
				if got := resp.Header.Get(k); got != v {
					t.Errorf("%s: %q; want %q", k, got, v)
				}
			}
			br := bufio.NewReader(resp.Body)
			for i, w := range tt.want {
				got := readEvent(t, br)
				if got.name != w.name || got.id != w.id || got.data != objects[w.object] || len(got.comments) > 0 {
					t.Errorf("event %d: %+v; want event %s, id %s, data %s", i, got, w.name, w.id, objects[w.object])
				}
				read <- struct{}{}
			}
			if rest := readEnd(t, br); rest != "" {
				t.Errorf("after the last event: %q; want the end of the stream", rest)
			}
		})
	}
}

// TestWatch_newlineDelimitedJSON: without text/event-stream in Accept,
// the watch routes answer grpc-gateway's newline-delimited JSON: one
// {"result": event} line per event, the event in the vendor's JSON (its
// object as the mirror writes it for a GET, its type by name), each
// flushed as it comes; if the RPC fails after its first event, a last
// {"error": status} line with the status's code, message and details.
func TestWatch_newlineDelimitedJSON(t *testing.T) {
	t.Parallel()
	nb := &notebookv1.Notebook{Id: ptr("nb-1"), Name: ptr("one"), Status: ptr("RUNNING")}
	read := make(chan struct{})
	failure := apierror.Overloaded("too many watches", apierror.Call{RequestID: "rid-ndjson"}, time.Second)
	nbs := &notebooks{get: nb, watch: func(_ proto.Message, ss grpc.ServerStream) error {
		for _, ev := range []proto.Message{
			notebookEvent(watchv1.EventType_EVENT_TYPE_ADDED, nb, "t1"),
			notebookEvent(watchv1.EventType_EVENT_TYPE_SNAPSHOT_COMPLETE, nil, "t1"),
		} {
			if err := ss.SendMsg(ev); err != nil {
				return err
			}
			<-read
		}
		return failure
	}}
	ts := watchMirror(t, nbs, nil, mirror.Options{}, nil)
	object := getBody(t, ts, "/v1/"+watchProject+"/notebooks/nb-1")

	resp := openWatch(t, ts, notebooksWatch, map[string]string{"Accept": "application/json"})
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("status %d, Content-Type %q; want 200 application/json", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	br := bufio.NewReader(resp.Body)
	for _, want := range []string{
		`{"result":{"type":"EVENT_TYPE_ADDED","notebook":` + object + `,"resume_token":"t1"}}`,
		`{"result":{"type":"EVENT_TYPE_SNAPSHOT_COMPLETE","resume_token":"t1"}}`,
	} {
		line, err := br.ReadString('\n')
		if err != nil || line != want+"\n" {
			t.Errorf("line %q (%v); want %s", line, err, want)
		}
		read <- struct{}{}
	}
	line, err := br.ReadString('\n')
	if err != nil {
		t.Fatalf("error line: %v", err)
	}
	var last struct {
		Error struct {
			Code    int
			Message string
			Details []map[string]any
		}
	}
	if err := json.Unmarshal([]byte(line), &last); err != nil {
		t.Fatalf("error line %q: %v", line, err)
	}
	if last.Error.Code != int(codes.ResourceExhausted) || last.Error.Message != "too many watches" || len(last.Error.Details) == 0 || last.Error.Details[0]["reason"] != apierror.ReasonOverloaded {
		t.Errorf("error line %s; want RESOURCE_EXHAUSTED with its ErrorInfo", line)
	}
	if rest := readEnd(t, br); rest != "" {
		t.Errorf("after the error line: %q", rest)
	}
}

// TestWatch_errorBeforeTheFirstEvent: a watch that fails before it sends
// anything is answered as any call is, over both formats: the error's
// HTTP status (410 Gone for an expired resume token, as Kubernetes
// answers; 400 for a malformed one) and the vendor-shaped body of the
// route's API, not a stream.
func TestWatch_errorBeforeTheFirstEvent(t *testing.T) {
	t.Parallel()
	// As the service makes it: its HTTP status is Kubernetes' 410 Gone.
	expired := apierror.FacadeAsVendor(codes.OutOfRange, apierror.ReasonResumeTokenExpired, "the resume token is too old; list again",
		apierror.Call{RequestID: "rid-1"}, apierror.FacadeCodePrefix+apierror.ReasonResumeTokenExpired, http.StatusGone)
	malformed := apierror.InvalidArgument("rid-2", apierror.Violation("resume_token", apierror.ViolationMalformed, "not a resume token"))
	for _, tt := range []struct {
		name, path, accept string
		err                error
		status             int
		body               map[string]any
	}{
		{"expired_sse_notebooks", notebooksWatch, eventStream, expired, http.StatusGone,
			map[string]any{"error_code": "Facade.RESUME_TOKEN_EXPIRED", "error_msg": "the resume token is too old; list again"}},
		{"expired_ndjson_instances", instancesWatch, "", expired, http.StatusGone,
			map[string]any{"error_code": "Facade.RESUME_TOKEN_EXPIRED", "error_message": "the resume token is too old; list again"}},
		{"malformed_sse_instances", instancesWatch, eventStream, malformed, http.StatusBadRequest,
			map[string]any{"error_code": "Facade.INVALID_ARGUMENT", "error_message": malformed.Message()}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fail := func(proto.Message, grpc.ServerStream) error { return tt.err }
			ts := watchMirror(t, &notebooks{watch: fail}, &instances{watch: fail}, mirror.Options{}, nil)
			resp := openWatch(t, ts, tt.path, map[string]string{"Accept": tt.accept})
			raw, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			var body map[string]any
			if err := json.Unmarshal(raw, &body); err != nil {
				t.Fatalf("body %q: %v", raw, err)
			}
			if resp.StatusCode != tt.status || resp.Header.Get("Content-Type") != "application/json" || !equalJSON(body, tt.body) {
				t.Errorf("answer %d %s %s; want %d application/json %v", resp.StatusCode, resp.Header.Get("Content-Type"), raw, tt.status, tt.body)
			}
		})
	}
}

func equalJSON(a, b map[string]any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

// TestWatch_errorAfterTheFirstEvent: an event stream whose RPC fails after
// it sent events ends with an "error" event whose data is the error as the
// mirror answers it (the vendor's shape of the route's API) and, for an
// error that says when to retry, a retry field that tells an EventSource
// when to reconnect; then the stream closes.
func TestWatch_errorAfterTheFirstEvent(t *testing.T) {
	t.Parallel()
	interrupted := apierror.Facade(codes.Unavailable, apierror.ReasonWatchInterrupted, "the facade is shutting down; watch again with the resume token",
		apierror.Call{RequestID: "rid-3", Extra: map[string]string{apierror.MetadataResumeToken: "t1"}})
	overloaded := apierror.Overloaded("too many watches", apierror.Call{RequestID: "rid-4"}, 1500*time.Millisecond)
	for _, tt := range []struct {
		name, path string
		err        error
		want       sseEvent
	}{
		{"notebooks", notebooksWatch, interrupted, sseEvent{name: "error",
			data: `{"error_code":"Facade.WATCH_INTERRUPTED","error_msg":"the facade is shutting down; watch again with the resume token"}`}},
		{"instances_retry", instancesWatch, overloaded, sseEvent{name: "error", retry: "1500",
			data: `{"error_code":"Facade.OVERLOADED","error_message":"too many watches"}`}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			nbs := &notebooks{watch: func(_ proto.Message, ss grpc.ServerStream) error {
				if err := ss.SendMsg(notebookEvent(watchv1.EventType_EVENT_TYPE_SNAPSHOT_COMPLETE, nil, "t1")); err != nil {
					return err
				}
				return tt.err
			}}
			insts := &instances{watch: func(_ proto.Message, ss grpc.ServerStream) error {
				if err := ss.SendMsg(instanceEvent(watchv1.EventType_EVENT_TYPE_SNAPSHOT_COMPLETE, nil, "t1")); err != nil {
					return err
				}
				return tt.err
			}}
			ts := watchMirror(t, nbs, insts, mirror.Options{}, nil)
			resp := openWatch(t, ts, tt.path, map[string]string{"Accept": eventStream})
			br := bufio.NewReader(resp.Body)
			if ev := readEvent(t, br); ev.name != "SNAPSHOT_COMPLETE" || ev.id != "t1" {
				t.Errorf("first event %+v", ev)
			}
			if ev := readEvent(t, br); ev.name != tt.want.name || ev.data != tt.want.data || ev.retry != tt.want.retry || ev.id != "" {
				t.Errorf("last event %+v; want %+v", ev, tt.want)
			}
			if rest := readEnd(t, br); rest != "" {
				t.Errorf("after the error event: %q", rest)
			}
		})
	}
}

// TestWatch_lastEventID: an EventSource that reconnects sends the id of
// the last event it received as Last-Event-ID: that is the request's
// resume token, in place of the query's (the URL it reconnects to is the
// one it started with). Without the header the query's token stands; an
// empty header is no token.
func TestWatch_lastEventID(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, query, lastEventID, want string
	}{
		{"header", "", "t7", "t7"},
		{"header_over_query", "?resume_token=t1&status=RUNNING", "t7", "t7"},
		{"header_over_json_name", "?resumeToken=t1", "t7", "t7"},
		{"query_alone", "?resume_token=t1", "", "t1"},
		{"neither", "", "", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := make(chan *notebookv1.WatchNotebooksRequest, 1)
			nbs := &notebooks{watch: func(req proto.Message, _ grpc.ServerStream) error {
				got <- req.(*notebookv1.WatchNotebooksRequest)
				return nil
			}}
			ts := watchMirror(t, nbs, nil, mirror.Options{}, nil)
			h := map[string]string{"Accept": eventStream}
			if tt.lastEventID != "" {
				h["Last-Event-ID"] = tt.lastEventID
			}
			resp := openWatch(t, ts, notebooksWatch+tt.query, h)
			_, _ = io.Copy(io.Discard, resp.Body)
			req := <-got
			if req.GetResumeToken() != tt.want || req.GetProjectId() != watchProject {
				t.Errorf("request %v; want resume_token %q", req, tt.want)
			}
			if strings.Contains(tt.query, "status") && req.GetStatus() != "RUNNING" {
				t.Errorf("request %v: the query's other parameters are lost", req)
			}
		})
	}
}

// TestWatch_keepAlive: an event stream with nothing to send writes a
// comment line every KeepAlive, from the moment the RPC accepts the call
// (sends its header) even before its first event.
func TestWatch_keepAlive(t *testing.T) {
	t.Parallel()
	nbs := &notebooks{watch: func(_ proto.Message, ss grpc.ServerStream) error {
		if err := ss.SendHeader(nil); err != nil {
			return err
		}
		<-ss.Context().Done()
		return ss.Context().Err()
	}}
	ts := watchMirror(t, nbs, nil, mirror.Options{KeepAlive: time.Millisecond}, nil)
	resp := openWatch(t, ts, notebooksWatch, map[string]string{"Accept": eventStream})
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != eventStream {
		t.Fatalf("answer %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	br := bufio.NewReader(resp.Body)
	for range 3 {
		if ev := readEvent(t, br); ev.name != "" || len(ev.comments) != 1 || ev.comments[0] != "keep-alive" {
			t.Fatalf("%+v; want a keep-alive comment", ev)
		}
	}
}

// TestWatch_outlivesTheServersTimeouts: a watch lasts longer than the HTTP
// server's ReadTimeout and WriteTimeout, which bound unary calls (net/http
// fails the first write after the write deadline), over HTTP/1.1 and
// HTTP/2, in both formats. (HTTP/2 without TLS here, the REST listener's
// HTTP/2 with TLS: the server's HTTP/2 streams are the same, and a TLS
// handshake within the short timeouts would depend on the machine's load.)
// The timeouts are real time and also bound the connection's setup (over
// HTTP/2 the client's preface must arrive within ReadTimeout): 50 ms was
// too short for a loaded machine ("client conn could not be established",
// once in a full run), so they are 250 ms, and the test waits 1 s.
func TestWatch_outlivesTheServersTimeouts(t *testing.T) {
	t.Parallel()
	const timeout = 250 * time.Millisecond
	for _, tt := range []struct {
		accept string
		http2  bool
	}{{eventStream, false}, {"application/json", false}, {eventStream, true}, {"application/json", true}} {
		accept := tt.accept
		t.Run(fmt.Sprintf("%s_http%d", map[string]string{eventStream: "sse", "application/json": "ndjson"}[accept], map[bool]int{false: 1, true: 2}[tt.http2]), func(t *testing.T) {
			t.Parallel()
			next := make(chan struct{})
			nbs := &notebooks{watch: func(_ proto.Message, ss grpc.ServerStream) error {
				if err := ss.SendMsg(notebookEvent(watchv1.EventType_EVENT_TYPE_BOOKMARK, nil, "t1")); err != nil {
					return err
				}
				select {
				case <-next:
				case <-ss.Context().Done():
					return ss.Context().Err()
				}
				return ss.SendMsg(notebookEvent(watchv1.EventType_EVENT_TYPE_BOOKMARK, nil, "t2"))
			}}
			ts := watchMirror(t, nbs, nil, mirror.Options{}, func(s *http.Server) {
				s.ReadTimeout, s.WriteTimeout = timeout, timeout
				if tt.http2 {
					s.Protocols = new(http.Protocols)
					s.Protocols.SetUnencryptedHTTP2(true)
				}
			})
			resp := openWatch(t, ts, notebooksWatch, map[string]string{"Accept": accept})
			if want := map[bool]int{false: 1, true: 2}[tt.http2]; resp.ProtoMajor != want {
				t.Fatalf("HTTP/%d; want HTTP/%d", resp.ProtoMajor, want)
			}
			br := bufio.NewReader(resp.Body)
			if _, err := br.ReadString('\n'); err != nil {
				t.Fatal(err)
			}
			// Real time: the deadlines are the connection's.
			time.Sleep(4 * timeout)
			close(next) // the watch may have ended: no one may wait for it
			rest := readEnd(t, br)
			if !strings.Contains(rest, "t2") {
				t.Errorf("after both timeouts passed, the stream went on with %q; want the second event", rest)
			}
		})
	}
}

// TestWatch_clientThatStopsReading: a client that stops reading while
// events keep coming (its connection's buffers full) ends its stream
// within the stream write timeout, and the RPC's stream with it: nothing
// is held for it.
func TestWatch_clientThatStopsReading(t *testing.T) {
	t.Parallel()
	big := &notebookv1.Notebook{Id: ptr("nb-1"), Description: ptr(strings.Repeat("x", 64<<10))}
	ended := make(chan error, 1)
	nbs := &notebooks{watch: func(_ proto.Message, ss grpc.ServerStream) error {
		for {
			if err := ss.SendMsg(notebookEvent(watchv1.EventType_EVENT_TYPE_MODIFIED, big, "t")); err != nil {
				ended <- err
				return err
			}
		}
	}}
	ts := watchMirror(t, nbs, nil, mirror.Options{StreamWriteTimeout: 50 * time.Millisecond}, nil)
	resp := openWatch(t, ts, notebooksWatch, map[string]string{"Accept": eventStream})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	// The body is never read.
	select {
	case err := <-ended:
		if err == nil {
			t.Error("SendMsg failed with nil")
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the RPC's stream still sends 30s after its client stopped reading")
	}
}

// TestWatch_clientLeaves: a client that closes its request ends the RPC's
// stream (its context is cancelled) and the mirror's goroutines for it.
func TestWatch_clientLeaves(t *testing.T) {
	t.Parallel()
	for _, accept := range []string{eventStream, "application/json"} {
		t.Run(accept, func(t *testing.T) {
			t.Parallel()
			ended := make(chan struct{})
			nbs := &notebooks{watch: func(_ proto.Message, ss grpc.ServerStream) error {
				defer close(ended)
				if err := ss.SendMsg(notebookEvent(watchv1.EventType_EVENT_TYPE_SNAPSHOT_COMPLETE, nil, "t1")); err != nil {
					return err
				}
				<-ss.Context().Done()
				return ss.Context().Err()
			}}
			ts := watchMirror(t, nbs, nil, mirror.Options{}, nil)
			ctx, cancel := context.WithCancel(t.Context())
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, ts.URL+notebooksWatch, nil)
			req.Header.Set("Accept", accept)
			resp, err := ts.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := bufio.NewReader(resp.Body).ReadString('\n'); err != nil {
				t.Fatal(err)
			}
			cancel()
			resp.Body.Close()
			<-ended
		})
	}
}

// TestWatch_callContext: a watch through the mirror runs with the context
// a gRPC server would give it (its full method name, the HTTP request's
// headers as incoming metadata, no outgoing metadata), through the stream
// interceptor, and the header metadata it sets reaches the answer.
func TestWatch_callContext(t *testing.T) {
	t.Parallel()
	var (
		mu                 sync.Mutex
		method, intercepts string
		incoming, outgoing metadata.MD
	)
	nbs := &notebooks{watch: func(_ proto.Message, ss grpc.ServerStream) error {
		mu.Lock()
		method, _ = grpc.Method(ss.Context())
		incoming, _ = metadata.FromIncomingContext(ss.Context())
		outgoing, _ = metadata.FromOutgoingContext(ss.Context())
		mu.Unlock()
		if err := grpc.SetHeader(ss.Context(), metadata.Pairs("x-outcome", "watched")); err != nil {
			return err
		}
		return ss.SendMsg(notebookEvent(watchv1.EventType_EVENT_TYPE_SNAPSHOT_COMPLETE, nil, "t1"))
	}}
	ts := watchMirror(t, nbs, nil, mirror.Options{StreamInterceptor: func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, h grpc.StreamHandler) error {
		mu.Lock()
		intercepts = info.FullMethod
		mu.Unlock()
		return h(srv, ss)
	}}, nil)
	for _, accept := range []string{eventStream, ""} {
		resp := openWatch(t, ts, notebooksWatch, map[string]string{"Accept": accept, "X-Auth-Token": "caller-token"})
		_, _ = io.Copy(io.Discard, resp.Body)
		mu.Lock()
		if method != notebookv1.NotebookService_WatchNotebooks_FullMethodName || intercepts != method {
			t.Errorf("%q: grpc.Method %q, interceptor saw %q; want %s", accept, method, intercepts, notebookv1.NotebookService_WatchNotebooks_FullMethodName)
		}
		if v := incoming.Get("x-auth-token"); len(v) != 1 || v[0] != "caller-token" || len(outgoing) != 0 {
			t.Errorf("%q: incoming x-auth-token %q, outgoing %v; want the caller's, none", accept, v, outgoing)
		}
		mu.Unlock()
		if h := resp.Header.Get("X-Outcome"); h != "watched" {
			t.Errorf("%q: X-Outcome %q; want the header metadata the RPC set", accept, h)
		}
	}
}

// TestWatch_panic: a watch that panics ends with INTERNAL (before its
// first event: an ordinary 500 answer), not the process.
func TestWatch_panic(t *testing.T) {
	t.Parallel()
	nbs := &notebooks{watch: func(proto.Message, grpc.ServerStream) error { panic("boom") }}
	ts := watchMirror(t, nbs, nil, mirror.Options{}, nil)
	resp := openWatch(t, ts, notebooksWatch, map[string]string{"Accept": eventStream})
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusInternalServerError || !strings.Contains(string(raw), "Facade.INTERNAL") {
		t.Errorf("answer %d %s; want 500 Facade.INTERNAL", resp.StatusCode, raw)
	}
}

// TestWatch_vendorJSON: an object the service read from ModelArts' JSON
// (kept in the call's vendorjson.Originals) is written as ModelArts sent
// it, on one line, in both formats.
func TestWatch_vendorJSON(t *testing.T) {
	t.Parallel()
	raw := "{\n  \"id\": \"nb-1\",\n  \"unknown_field\": null\n}"
	nbs := &notebooks{watch: func(_ proto.Message, ss grpc.ServerStream) error {
		nb := &notebookv1.Notebook{Id: ptr("nb-1")}
		vendorjson.OriginalsFrom(ss.Context()).Keep(nb, []byte(raw))
		return ss.SendMsg(notebookEvent(watchv1.EventType_EVENT_TYPE_ADDED, nb, "t1"))
	}}
	ts := watchMirror(t, nbs, nil, mirror.Options{}, nil)
	const compact = `{"id":"nb-1","unknown_field":null}`
	resp := openWatch(t, ts, notebooksWatch, map[string]string{"Accept": eventStream})
	if ev := readEvent(t, bufio.NewReader(resp.Body)); ev.data != compact {
		t.Errorf("SSE data %q; want %s", ev.data, compact)
	}
	resp = openWatch(t, ts, notebooksWatch, nil)
	line, err := bufio.NewReader(resp.Body).ReadString('\n')
	if want := `{"result":{"type":"EVENT_TYPE_ADDED","notebook":` + compact + `,"resume_token":"t1"}}` + "\n"; line != want || err != nil {
		t.Errorf("NDJSON line %q (%v); want %s", line, err, want)
	}
}
