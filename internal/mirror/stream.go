package mirror

import (
	"context"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// The routes of server-streaming RPCs (the watches) answer a stream of
// events instead of one body: Server-Sent Events ([sseStream]) when the
// request's Accept names text/event-stream, else grpc-gateway's
// newline-delimited JSON ({"result": event} per line, and a last
// {"error": google.rpc.Status} line if the stream fails after its first
// event). Until the RPC sends its first event (or its header) nothing is
// written: an error before then is answered as any call's error is (an
// ordinary REST answer in the vendor's shape, with its HTTP status).

// DefaultKeepAlive is how often an event stream with nothing to send
// writes a comment line, unless Options.KeepAlive says otherwise: often
// enough for proxies and load balancers, which close connections idle
// for a minute or so (nginx's proxy_read_timeout, 60 s by default).
const DefaultKeepAlive = 15 * time.Second

// DefaultStreamWriteTimeout bounds each write of a stream unless
// Options.StreamWriteTimeout says otherwise: a client that stops reading
// (its connection's buffers full) ends its stream then, instead of
// holding it.
const DefaultStreamWriteTimeout = time.Minute

// streamingKey is the context key of a streaming request's [streaming].
type streamingKey struct{}

// streaming is what the mirror knows of a request to a streaming route:
// whether it is answered with Server-Sent Events, and the call the
// gateway started for it (set by [inProcess.NewStream]), which
// [config.serveStreaming] ends before the request's handler returns.
type streaming struct {
	sse  *sseStream // nil: newline-delimited JSON
	call *streamCall
}

// streamingFrom returns the [streaming] of a request to a streaming route,
// or nil.
func streamingFrom(ctx context.Context) *streaming {
	s, _ := ctx.Value(streamingKey{}).(*streaming)
	return s
}

// serveStreaming prepares a request to a streaming route for a long answer: it
// takes the resume token from Last-Event-ID ([resumeFromLastEventID]),
// bounds each write instead of the whole answer (the server's
// WriteTimeout, sized for the longest unary call, would fail the first
// write after it; its ReadTimeout ends with the request's headers, as
// net/http lifts the read deadline once a request without a body is
// read), and chooses between Server-Sent Events and newline-delimited
// JSON. When next returns, the streaming call has ended too: its
// handler's goroutine does not outlive the request.
func (c *config) serveStreaming(w http.ResponseWriter, r *http.Request, next http.Handler) {
	resumeFromLastEventID(r)
	sw := &streamWriter{ResponseWriter: w, rc: http.NewResponseController(w), timeout: c.streamWriteTimeout}
	st := &streaming{}
	if acceptsEventStream(r.Header) {
		st.sse = &sseStream{w: sw, r: r, keepAlive: c.keepAlive, inSnapshot: !resumes(r)}
	}
	next.ServeHTTP(sw, r.WithContext(context.WithValue(r.Context(), streamingKey{}, st)))
	if st.call != nil {
		st.call.end()
	}
}

// resumeFromLastEventID makes the Last-Event-ID header (what an
// EventSource sends when it reconnects: the id of the last event it
// received, a resume token) the request's resume_token, in place of the
// query's: a client that reconnects to the URL it started with, which may
// hold an older token, goes on from the last event it saw. Given more
// than once, it is a query parameter given more than once (the mirror's
// query check answers it). A query the mirror cannot parse is left alone,
// for that check to answer.
func resumeFromLastEventID(r *http.Request) {
	var ids []string
	for _, id := range r.Header.Values("Last-Event-Id") {
		if id != "" {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return
	}
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return
	}
	q.Del("resumeToken")
	q["resume_token"] = ids
	u := *r.URL
	u.RawQuery = q.Encode()
	r.URL = &u
}

// resumes reports whether the request names a resume token (in its query,
// where [resumeFromLastEventID] puts Last-Event-ID): a watch started
// with one sends no snapshot.
func resumes(r *http.Request) bool {
	q, err := url.ParseQuery(r.URL.RawQuery)
	return err == nil && (q.Get("resume_token") != "" || q.Get("resumeToken") != "")
}

// acceptsEventStream reports whether the Accept header names
// text/event-stream (with a q above zero). A wildcard does not: a client
// that takes anything gets newline-delimited JSON, grpc-gateway's format.
func acceptsEventStream(h http.Header) bool {
	for _, v := range h.Values("Accept") {
		for part := range strings.SplitSeq(v, ",") {
			mt, params, err := mime.ParseMediaType(part)
			if err != nil || mt != "text/event-stream" {
				continue
			}
			if q, ok := params["q"]; ok {
				if f, err := strconv.ParseFloat(q, 64); err != nil || f <= 0 {
					continue
				}
			}
			return true
		}
	}
	return false
}

// streamWriter is the ResponseWriter of a streaming answer: each write
// (and flush) gets timeout, from when it starts, to finish.
type streamWriter struct {
	http.ResponseWriter
	rc      *http.ResponseController
	timeout time.Duration
}

// Write writes b within the write timeout.
func (w *streamWriter) Write(b []byte) (int, error) {
	w.extend()
	return w.ResponseWriter.Write(b)
}

// FlushError sends what was written to the client, within the write
// timeout (http.ResponseController.Flush calls it).
func (w *streamWriter) FlushError() error {
	w.extend()
	return w.rc.Flush()
}

// Unwrap returns the ResponseWriter w wraps, for http.ResponseController.
func (w *streamWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// extend moves the write deadline to the timeout from now (where the
// ResponseWriter has deadlines: a test's recorder has none). Real time:
// the deadline bounds I/O.
func (w *streamWriter) extend() {
	_ = w.rc.SetWriteDeadline(time.Now().Add(w.timeout))
}
