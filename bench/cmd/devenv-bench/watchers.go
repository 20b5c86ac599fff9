package main

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	watchv1 "github.com/devenv-facade/devenv-facade/gen/devenvfacade/watch/v1"
	notebookv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/notebook/v1"
)

// dialClients opens conns gRPC connections to addr (one per client when
// conns <= 0) and returns a NotebookService client for each of n clients.
func dialClients(addr string, n, conns int) ([]notebookv1.NotebookServiceClient, func(), error) {
	if conns <= 0 || conns > n {
		conns = n
	}
	var ccs []*grpc.ClientConn
	closeAll := func() {
		for _, cc := range ccs {
			cc.Close()
		}
	}
	for range conns {
		cc, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			closeAll()
			return nil, nil, err
		}
		ccs = append(ccs, cc)
	}
	clients := make([]notebookv1.NotebookServiceClient, n)
	for i := range clients {
		clients[i] = notebookv1.NewNotebookServiceClient(ccs[i%conns])
	}
	return clients, closeAll, nil
}

// watchEvent is a change one watcher received, after its snapshot.
type watchEvent struct {
	typ        watchv1.EventType
	id, status string
	at         time.Time // when Recv returned it
}

// watcherSet is the running watchers.
type watcherSet struct {
	cancel      context.CancelFunc
	closeConns  func()
	wg          sync.WaitGroup
	mu          sync.Mutex     // guards events while the watchers run
	events      [][]watchEvent // per watcher
	errs        []error        // per watcher: how its watch ended, if not by stop
	connectTime time.Duration
	once        sync.Once
}

// startWatchers starts n watches of watchProject (all its notebooks) over
// conns connections and returns once every watch has had its snapshot
// (SNAPSHOT_COMPLETE), or fails after timeout or if any watch ends before
// its snapshot.
func startWatchers(ctx context.Context, addr string, n, conns int, timeout time.Duration) (*watcherSet, error) {
	clients, closeConns, err := dialClients(addr, n, conns)
	if err != nil {
		return nil, err
	}
	wctx, cancel := context.WithCancel(ctx)
	ws := &watcherSet{cancel: cancel, closeConns: closeConns, events: make([][]watchEvent, n), errs: make([]error, n)}
	ready := make(chan error, n)
	started := time.Now()
	for i := range n {
		ws.wg.Add(1)
		go func() {
			defer ws.wg.Done()
			snapshot := true
			fail := func(err error) {
				if wctx.Err() != nil {
					return // stopped
				}
				ws.errs[i] = err
				if snapshot {
					ready <- err
				}
			}
			stream, err := clients[i].WatchNotebooks(wctx, &notebookv1.WatchNotebooksRequest{ProjectId: watchProject})
			if err != nil {
				fail(err)
				return
			}
			for {
				ev, err := stream.Recv()
				at := time.Now()
				if err != nil {
					fail(err)
					return
				}
				switch ev.GetType() {
				case watchv1.EventType_EVENT_TYPE_SNAPSHOT_COMPLETE:
					if snapshot {
						snapshot = false
						ready <- nil
					}
				case watchv1.EventType_EVENT_TYPE_ADDED, watchv1.EventType_EVENT_TYPE_MODIFIED, watchv1.EventType_EVENT_TYPE_DELETED:
					if !snapshot {
						e := watchEvent{typ: ev.GetType(), id: ev.GetNotebook().GetId(), status: ev.GetNotebook().GetStatus(), at: at}
						ws.mu.Lock()
						ws.events[i] = append(ws.events[i], e)
						ws.mu.Unlock()
					}
				}
			}
		}()
	}
	deadline := time.After(timeout)
	for range n {
		select {
		case err := <-ready:
			if err != nil {
				ws.stop()
				return nil, fmt.Errorf("a watch ended before its snapshot: %w", err)
			}
		case <-deadline:
			ws.stop()
			return nil, fmt.Errorf("the watchers did not all have their snapshot within %s", timeout)
		}
	}
	ws.connectTime = time.Since(started)
	return ws, nil
}

// stop ends every watch and returns what each watcher received.
func (ws *watcherSet) stop() [][]watchEvent {
	ws.once.Do(func() {
		ws.cancel()
		ws.wg.Wait()
		ws.closeConns()
	})
	return ws.events
}

// errors returns how many watches ended with an error before stop, and the
// first such error.
func (ws *watcherSet) errors() (n int, first error) {
	for _, err := range ws.errs {
		if err != nil {
			if first == nil {
				first = err
			}
			n++
		}
	}
	return n, first
}

// pollResult is what the pollers did in the measured window.
type pollResult struct {
	calls, errors int // calls that ended in the window, and those of them that failed
	missed        int // poll slots skipped because a poller's previous call ran past it
	firstErr      error
	elapsed       time.Duration
}

// pollRequest is the pollers' (and the warm-up's) request: the watched
// project's whole list in one page.
func pollRequest(notebooks int) *notebookv1.ListNotebooksRequest {
	return &notebookv1.ListNotebooksRequest{ProjectId: watchProject, Limit: int32(notebooks)}
}

// checkWatchList checks a poll's answer.
func checkWatchList(resp *notebookv1.ListNotebooksResponse, err error) error {
	if err != nil {
		return err
	}
	if len(resp.GetData()) == 0 {
		return errors.New("ListNotebooks of the watched project answers no notebooks")
	}
	return nil
}

// runPollers runs wc.pollers independent pollers, each calling
// ListNotebooks every wc.interval, their first calls spread evenly over
// the first interval (as independent clients' would be). After one
// interval, every poller having started, it measures for wc.duration
// (hook(true) at the start, hook(false) at the end).
func runPollers(ctx context.Context, addr string, wc watchConfig, hook func(start bool)) (pollResult, error) {
	clients, closeConns, err := dialClients(addr, wc.pollers, wc.conns)
	if err != nil {
		return pollResult{}, err
	}
	defer closeConns()
	type pollerResult struct {
		calls, errors, missed int
		first                 error
	}
	results := make([]pollerResult, wc.pollers)
	var measuring atomic.Bool
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	begin := time.Now()
	for i := range wc.pollers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := &results[i]
			next := begin.Add(time.Duration(i) * wc.interval / time.Duration(wc.pollers))
			for {
				t := time.NewTimer(time.Until(next))
				select {
				case <-pctx.Done():
					t.Stop()
					return
				case <-t.C:
				}
				cctx, ccancel := context.WithTimeout(pctx, wc.interval)
				err := checkWatchList(clients[i].ListNotebooks(cctx, pollRequest(wc.notebooks)))
				ccancel()
				if pctx.Err() != nil {
					return
				}
				if measuring.Load() {
					r.calls++
					if err != nil && status.Code(err) != codes.Canceled {
						r.errors++
						if r.first == nil {
							r.first = err
						}
					}
				}
				next = next.Add(wc.interval)
				for now := time.Now(); !next.After(now); next = next.Add(wc.interval) {
					if measuring.Load() {
						r.missed++
					}
				}
			}
		}()
	}
	select {
	case <-ctx.Done():
		return pollResult{}, ctx.Err()
	case <-time.After(wc.interval):
	}
	hook(true)
	measuring.Store(true)
	start := time.Now()
	time.Sleep(wc.duration)
	measuring.Store(false)
	elapsed := time.Since(start)
	hook(false)
	cancel()
	wg.Wait()
	res := pollResult{elapsed: elapsed}
	for _, r := range results {
		res.calls += r.calls
		res.errors += r.errors
		res.missed += r.missed
		if res.firstErr == nil {
			res.firstErr = r.first
		}
	}
	return res, nil
}
