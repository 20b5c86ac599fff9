package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
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
)

// projectID is the emulator's sample project.
const projectID = "0123456789abcdef0123456789abcdef"

// caller makes one DeleteInstance of the given instance.
type caller func(ctx context.Context, instance string) error

// driver makes a caller for worker i, and cleans up afterwards.
type driver interface {
	caller(i int) caller
	close()
}

// instanceID names a fresh instance for call n: the emulator's fault
// instances ("fault-" and no fault) always delete successfully.
func instanceID(n int64) string { return "fault-n" + strconv.FormatInt(n, 10) }

// httpDriver sends DELETEs over HTTP/1.1 (S0 straight to the emulator, S2 to
// the facade's REST mirror).
type httpDriver struct {
	base      string
	token     string
	client    *http.Client
	transport *http.Transport
}

func newHTTPDriver(base, token string, conns int) *httpDriver {
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		MaxIdleConns:        conns,
		MaxIdleConnsPerHost: conns,
		IdleConnTimeout:     90 * time.Second,
	}
	return &httpDriver{base: base, token: token, client: &http.Client{Transport: tr}, transport: tr}
}

func (d *httpDriver) caller(int) caller {
	prefix := d.base + "/v1/" + projectID + "/demanager/instances/"
	return func(ctx context.Context, instance string) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodDelete, prefix+instance, nil)
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
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return err
		}
		if resp.StatusCode != http.StatusOK || !bytes.Contains(body, []byte(instance)) {
			return fmt.Errorf("HTTP %d: %.200s", resp.StatusCode, body)
		}
		return nil
	}
}

func (d *httpDriver) close() { d.transport.CloseIdleConnections() }

// grpcDriver calls DevEnvService over several connections (S1 to the
// facade, S3 to vanguard).
type grpcDriver struct {
	conns   []*grpc.ClientConn
	clients []devenvv1.DevEnvServiceClient
	md      metadata.MD
}

func newGRPCDriver(addr, token string, conns int) (*grpcDriver, error) {
	d := &grpcDriver{}
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
	}
	return d, nil
}

func (d *grpcDriver) caller(i int) caller {
	client := d.clients[i%len(d.clients)]
	return func(ctx context.Context, instance string) error {
		if d.md != nil {
			ctx = metadata.NewOutgoingContext(ctx, d.md)
		}
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
}

func (r result) throughput() float64 { return float64(r.calls) / r.elapsed.Seconds() }

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
				err := call(ctx, instanceID(callSeq.Add(1)))
				el := time.Since(t0)
				cancel()
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
