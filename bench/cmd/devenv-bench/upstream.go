package main

import (
	"context"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// countingProxy stands between the facade and the emulator and counts the
// requests the facade makes upstream: what the watch scenario compares.
// It also keeps when each notebook list request ended, so that the time a
// poll's answer reached the facade can be set beside the time its events
// reached the watchers.
type countingProxy struct {
	proxy *httputil.ReverseProxy
	srv   *http.Server
	addr  string

	lists atomic.Int64 // GET /v1/{project_id}/notebooks: the list, every page
	all   atomic.Int64 // every request

	mu       sync.Mutex
	listEnds []time.Time // in the order they ended
}

// startCountingProxy serves a reverse proxy to target on a loopback port.
func startCountingProxy(target string) (*countingProxy, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, err
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &countingProxy{addr: lis.Addr().String()}
	p.proxy = httputil.NewSingleHostReverseProxy(u)
	// A call the pollers' end cancels is no news.
	p.proxy.ErrorLog = log.New(io.Discard, "", 0)
	p.proxy.Transport = &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		MaxIdleConns:        256,
		MaxIdleConnsPerHost: 256,
		IdleConnTimeout:     90 * time.Second,
	}
	p.srv = &http.Server{Handler: p, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = p.srv.Serve(lis) }()
	return p, nil
}

// ServeHTTP forwards the request and counts it once answered.
func (p *countingProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	list := r.Method == http.MethodGet && isNotebookList(r.URL.Path)
	p.proxy.ServeHTTP(w, r)
	end := time.Now()
	p.all.Add(1)
	if list {
		p.lists.Add(1)
		p.mu.Lock()
		p.listEnds = append(p.listEnds, end)
		p.mu.Unlock()
	}
}

// isNotebookList reports whether path is /v1/{project_id}/notebooks.
func isNotebookList(path string) bool {
	rest, ok := strings.CutPrefix(path, "/v1/")
	if !ok {
		return false
	}
	project, tail, ok := strings.Cut(rest, "/")
	return ok && project != "" && tail == "notebooks"
}

// counts returns the lists and all requests counted so far.
func (p *countingProxy) counts() (lists, all int64) { return p.lists.Load(), p.all.Load() }

// lastListEndBefore returns when the last list request that ended before t
// ended, and false if none did.
func (p *countingProxy) lastListEndBefore(t time.Time) (time.Time, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := len(p.listEnds) - 1; i >= 0; i-- {
		if p.listEnds[i].Before(t) {
			return p.listEnds[i], true
		}
	}
	return time.Time{}, false
}

func (p *countingProxy) url() string { return "http://" + p.addr }

func (p *countingProxy) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = p.srv.Shutdown(ctx)
}
