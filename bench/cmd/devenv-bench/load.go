package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	devenvv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/devenv/v1"
	notebookv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/notebook/v1"
)

// projectID is the emulator's sample project, where DeleteInstance runs.
const projectID = "0123456789abcdef0123456789abcdef"

// readProject is the harness's own project for the reads: seed fills it
// with exactly listSize instances of the old API and seedNotebooks with
// listSize notebooks of the new one (the emulator keeps the two apart).
const readProject = "be4c00000000000000000000000b3e4c"

// listSize is how many instances ListInstances, and how many notebooks
// ListNotebooks, returns.
const listSize = 100

// The operations measured. Each scenario (S0-S3) runs each of them.
const (
	opDelete        = "delete"         // DeleteInstance of a fresh fault instance
	opGet           = "get"            // GetInstance of one seeded instance
	opList          = "list"           // ListInstances of the listSize seeded instances
	opGetNotebook   = "get-notebook"   // GetNotebook (new API) of one seeded notebook
	opListNotebooks = "list-notebooks" // ListNotebooks (new API) of the listSize seeded notebooks
)

// opNames are the operations' names in the report; opOrder is their order
// in it and on the command line.
var (
	opNames = map[string]string{
		opDelete:        "DeleteInstance",
		opGet:           "GetInstance",
		opList:          fmt.Sprintf("ListInstances (%d instances)", listSize),
		opGetNotebook:   "GetNotebook",
		opListNotebooks: fmt.Sprintf("ListNotebooks (%d notebooks)", listSize),
	}
	opOrder = []string{opDelete, opGet, opList, opGetNotebook, opListNotebooks}
)

// caller makes call n (a sequence number unique in the run) of one
// operation and checks its answer.
type caller func(ctx context.Context, n int64) error

// driver makes a caller for worker i, and cleans up afterwards.
type driver interface {
	caller(i int) caller
	close()
}

// instanceID names a fresh instance for call n: the emulator's fault
// instances ("fault-" and no fault) always delete successfully.
func instanceID(n int64) string { return "fault-n" + strconv.FormatInt(n, 10) }

// workload is what a driver calls: an operation, and for the gets the
// seeded instance or notebook.
type workload struct {
	op       string
	instance string // opGet only
	notebook string // opGetNotebook only
}

// httpDriver sends vendor requests over HTTP/1.1 (S0 straight to the
// emulator, S2 to the facade's REST mirror).
type httpDriver struct {
	base      string
	token     string
	wl        workload
	client    *http.Client
	transport *http.Transport
}

func newHTTPDriver(base, token string, conns int, wl workload) *httpDriver {
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		MaxIdleConns:        conns,
		MaxIdleConnsPerHost: conns,
		IdleConnTimeout:     90 * time.Second,
	}
	return &httpDriver{base: base, token: token, wl: wl, client: &http.Client{Transport: tr}, transport: tr}
}

// instanceKey starts every instance's ID in a body, in the emulator's JSON
// and in the mirror's (neither puts a space after the colon); nested
// objects' IDs (profile, user, workspace) do not start with "DE-".
var instanceKey = []byte(`"id":"DE-`)

// fullListCheck: every fullListCheck-th list answer over HTTP is decoded in
// full, not only counted.
const fullListCheck = 50

func (d *httpDriver) caller(int) caller {
	var method, url string
	var want []byte // for get: the instance's ID as a JSON member
	switch d.wl.op {
	case opDelete:
		method, url = http.MethodDelete, d.base+"/v1/"+projectID+"/demanager/instances/"
	case opGet:
		method, url = http.MethodGet, d.base+"/v1/"+readProject+"/demanager/instances/"+d.wl.instance
		want = []byte(`"id":"` + d.wl.instance + `"`)
	case opList:
		method, url = http.MethodGet, d.base+"/v1/"+readProject+"/demanager/instances?de_type=Notebook"
	case opGetNotebook:
		method, url = http.MethodGet, d.base+"/v1/"+readProject+"/notebooks/"+d.wl.notebook
		want = []byte(`"id":"` + d.wl.notebook + `"`)
	case opListNotebooks:
		method, url = http.MethodGet, d.base+"/v1/"+readProject+"/notebooks?limit="+strconv.Itoa(listSize)
	}
	var body bytes.Buffer // reused: list answers are about 120 KiB
	return func(ctx context.Context, n int64) error {
		u := url
		var instance string
		if d.wl.op == opDelete {
			instance = instanceID(n)
			u += instance
		}
		req, err := http.NewRequestWithContext(ctx, method, u, nil)
		if err != nil {
			return err
		}
		if d.token != "" {
			req.Header.Set("X-Auth-Token", d.token)
		}
		resp, err := d.client.Do(req)
		if err != nil {
			return err
		}
		body.Reset()
		_, err = body.ReadFrom(resp.Body)
		resp.Body.Close()
		if err != nil {
			return err
		}
		b := body.Bytes()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("HTTP %d: %.200s", resp.StatusCode, b)
		}
		switch d.wl.op {
		case opDelete:
			if !bytes.Contains(b, []byte(instance)) {
				return fmt.Errorf("HTTP %d without the instance: %.200s", resp.StatusCode, b)
			}
		case opGet, opGetNotebook:
			if !bytes.Contains(b, want) {
				return fmt.Errorf("HTTP %d without the instance: %.200s", resp.StatusCode, b)
			}
		case opList:
			return checkListBody(b, n%fullListCheck == 0)
		case opListNotebooks:
			return checkNotebookListBody(b, n%fullListCheck == 0)
		}
		return nil
	}
}

// checkListBody checks a list answer over HTTP: listSize instances, counted
// by their IDs; with full, decoded (total_count, and every instance with an
// ID and RUNNING).
func checkListBody(b []byte, full bool) error {
	if c := bytes.Count(b, instanceKey); c != listSize {
		return fmt.Errorf("%d instances, want %d: %.200s", c, listSize, b)
	}
	if !full {
		return nil
	}
	var list struct {
		TotalCount *int `json:"total_count"`
		Instances  []struct {
			ID     string `json:"id"`
			Status string `json:"status"`
		} `json:"instances"`
	}
	if err := json.Unmarshal(b, &list); err != nil {
		return fmt.Errorf("decoding the list: %w", err)
	}
	if list.TotalCount == nil || *list.TotalCount != listSize || len(list.Instances) != listSize {
		return fmt.Errorf("total_count %v and %d instances, want %d", list.TotalCount, len(list.Instances), listSize)
	}
	for _, inst := range list.Instances {
		if inst.ID == "" || inst.Status != "RUNNING" {
			return fmt.Errorf("instance %q in status %q", inst.ID, inst.Status)
		}
	}
	return nil
}

// notebookKey starts the flavor of every notebook in a body, in the
// emulator's JSON and in the mirror's: a notebook's only member of that
// name (its image, endpoints, lease and volume have none).
var notebookKey = []byte(`"flavor":"`)

// checkNotebookListBody checks a ListNotebooks answer over HTTP: listSize
// notebooks, counted by their flavors; with full, decoded (the vendor's
// envelope's total, and every notebook with an ID, RUNNING).
func checkNotebookListBody(b []byte, full bool) error {
	if c := bytes.Count(b, notebookKey); c != listSize {
		return fmt.Errorf("%d notebooks, want %d: %.200s", c, listSize, b)
	}
	if !full {
		return nil
	}
	var list struct {
		Total *int `json:"total"`
		Data  []struct {
			ID     string `json:"id"`
			Status string `json:"status"`
		} `json:"data"`
	}
	if err := json.Unmarshal(b, &list); err != nil {
		return fmt.Errorf("decoding the list: %w", err)
	}
	if list.Total == nil || *list.Total != listSize || len(list.Data) != listSize {
		return fmt.Errorf("total %v and %d notebooks, want %d", list.Total, len(list.Data), listSize)
	}
	for _, nb := range list.Data {
		if nb.ID == "" || nb.Status != "RUNNING" {
			return fmt.Errorf("notebook %q in status %q", nb.ID, nb.Status)
		}
	}
	return nil
}

func (d *httpDriver) close() { d.transport.CloseIdleConnections() }

// grpcDriver calls DevEnvService and NotebookService over several
// connections (S1 to the facade, S3 to vanguard).
type grpcDriver struct {
	conns     []*grpc.ClientConn
	clients   []devenvv1.DevEnvServiceClient
	notebooks []notebookv1.NotebookServiceClient
	md        metadata.MD
	wl        workload
}

func newGRPCDriver(addr, token string, conns int, wl workload) (*grpcDriver, error) {
	d := &grpcDriver{wl: wl}
	if token != "" {
		d.md = metadata.Pairs("x-auth-token", token)
	}
	for range conns {
		cc, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			d.close()
			return nil, err
		}
		d.conns = append(d.conns, cc)
		d.clients = append(d.clients, devenvv1.NewDevEnvServiceClient(cc))
		d.notebooks = append(d.notebooks, notebookv1.NewNotebookServiceClient(cc))
	}
	return d, nil
}

func (d *grpcDriver) caller(i int) caller {
	client, notebooks := d.clients[i%len(d.clients)], d.notebooks[i%len(d.notebooks)]
	return func(ctx context.Context, n int64) error {
		if d.md != nil {
			ctx = metadata.NewOutgoingContext(ctx, d.md)
		}
		switch d.wl.op {
		case opGet:
			resp, err := client.GetInstance(ctx, &devenvv1.GetInstanceRequest{ProjectId: readProject, InstanceId: d.wl.instance})
			if err != nil {
				return err
			}
			if got := resp.GetInstance().GetId(); got != d.wl.instance {
				return fmt.Errorf("instance id %q; want %q", got, d.wl.instance)
			}
			return nil
		case opList:
			resp, err := client.ListInstances(ctx, &devenvv1.ListInstancesRequest{ProjectId: readProject, DeType: "Notebook"})
			if err != nil {
				return err
			}
			if len(resp.GetInstances()) != listSize || resp.GetTotalCount() != listSize {
				return fmt.Errorf("%d instances, total_count %d; want %d", len(resp.GetInstances()), resp.GetTotalCount(), listSize)
			}
			for _, inst := range resp.GetInstances() {
				if inst.GetId() == "" {
					return fmt.Errorf("an instance without an ID")
				}
			}
			return nil
		case opGetNotebook:
			resp, err := notebooks.GetNotebook(ctx, &notebookv1.GetNotebookRequest{ProjectId: readProject, NotebookId: d.wl.notebook})
			if err != nil {
				return err
			}
			if got := resp.GetNotebook().GetId(); got != d.wl.notebook {
				return fmt.Errorf("notebook id %q; want %q", got, d.wl.notebook)
			}
			return nil
		case opListNotebooks:
			resp, err := notebooks.ListNotebooks(ctx, &notebookv1.ListNotebooksRequest{ProjectId: readProject, Limit: listSize})
			if err != nil {
				return err
			}
			if len(resp.GetData()) != listSize || resp.GetTotal() != listSize {
				return fmt.Errorf("%d notebooks, total %d; want %d", len(resp.GetData()), resp.GetTotal(), listSize)
			}
			for _, nb := range resp.GetData() {
				if nb.GetId() == "" {
					return fmt.Errorf("a notebook without an ID")
				}
			}
			return nil
		}
		instance := instanceID(n)
		resp, err := client.DeleteInstance(ctx, &devenvv1.DeleteInstanceRequest{ProjectId: projectID, InstanceId: instance})
		if err != nil {
			return err
		}
		if resp.GetInstanceId() != instance {
			return fmt.Errorf("instance_id %q; want %q", resp.GetInstanceId(), instance)
		}
		return nil
	}
}

func (d *grpcDriver) close() {
	for _, c := range d.conns {
		c.Close()
	}
}

// result is one measured run.
type result struct {
	calls    int
	errors   int
	firstErr error
	elapsed  time.Duration
	lat      []time.Duration // sorted
	allCalls int             // calls made, the warm-up's included
}

func (r result) throughput() float64 { return float64(r.calls) / r.elapsed.Seconds() }

// merge adds another measurement of the same point; sort must follow.
func (r *result) merge(o result) {
	r.calls += o.calls
	r.errors += o.errors
	if r.firstErr == nil {
		r.firstErr = o.firstErr
	}
	r.elapsed += o.elapsed
	r.lat = append(r.lat, o.lat...)
	r.allCalls += o.allCalls
}

// sort sorts the latencies after merges.
func (r *result) sort() { slices.Sort(r.lat) }

func (r result) percentile(p float64) time.Duration {
	if len(r.lat) == 0 {
		return 0
	}
	i := int(p / 100 * float64(len(r.lat)-1))
	return r.lat[i]
}

var callSeq atomic.Int64

// drive runs workers callers for warmup (unmeasured), then for duration,
// and returns what the measured part did. measure is called at the start
// and the end of the measured part.
func drive(d driver, workers int, warmup, duration time.Duration, measure func(start bool)) result {
	type workerResult struct {
		lat    []time.Duration
		errors int
		first  error
	}
	var measuring atomic.Bool
	var all atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	results := make([]workerResult, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			call := d.caller(w)
			wr := &results[w]
			for {
				select {
				case <-stop:
					return
				default:
				}
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				t0 := time.Now()
				err := call(ctx, callSeq.Add(1))
				el := time.Since(t0)
				cancel()
				all.Add(1)
				if !measuring.Load() {
					continue
				}
				wr.lat = append(wr.lat, el)
				if err != nil {
					wr.errors++
					if wr.first == nil {
						wr.first = err
					}
				}
			}
		}()
	}
	time.Sleep(warmup)
	measure(true)
	measuring.Store(true)
	start := time.Now()
	time.Sleep(duration)
	measuring.Store(false)
	elapsed := time.Since(start)
	measure(false)
	close(stop)
	wg.Wait()

	var r result
	r.elapsed = elapsed
	r.allCalls = int(all.Load())
	for _, wr := range results {
		r.lat = append(r.lat, wr.lat...)
		r.errors += wr.errors
		if r.firstErr == nil {
			r.firstErr = wr.first
		}
	}
	r.calls = len(r.lat)
	slices.Sort(r.lat)
	return r
}
