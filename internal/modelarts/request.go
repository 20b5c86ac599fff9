package modelarts

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"

	"github.com/devenv-facade/devenv-facade/internal/scrub"
)

// newRequest builds and authenticates one attempt of a call.
func (c *Client) newRequest(ctx context.Context, out *outgoing, cc *callConfig) (*http.Request, error) {
	req, err := newHTTPRequest(ctx, out)
	if err != nil {
		return nil, fmt.Errorf("modelarts: building %s request: %w", out.op.Name, err)
	}
	// The header's values share one slice (as [http.Header.Clone] does):
	// one allocation instead of one per header. The names are canonical.
	vals := make([]string, 0, 5)
	set := func(name, value string) {
		vals = append(vals, value)
		req.Header[name] = vals[len(vals)-1 : len(vals) : len(vals)]
	}
	set(headerRequestID, cc.requestID)
	set(headerUserAgent, c.userAgent)
	set(headerAccept, "application/json")
	if out.contentType != "" {
		set(headerContentType, out.contentType)
	}
	switch {
	case cc.token != "":
		set(headerAuthToken, cc.token)
		return req, nil
	case cc.tokenOnly:
		// send refuses this first; the configured credentials are
		// guarded here too, where they would be used.
		return nil, ErrNoCredentials
	}
	if err := c.creds.Authenticate(ctx, req); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCredentials, err)
	}
	return req, nil
}

// newHTTPRequest returns the request of out, with its URL (already built
// and escaped: set as it is, not formatted and parsed again) and an empty
// header. A request without a body is made as http.NewRequestWithContext
// makes one, without the URL that function parses from its string (an
// allocation per attempt, thrown away here); the Request literal is only
// copied by WithContext and stays on the stack.
func newHTTPRequest(ctx context.Context, out *outgoing) (*http.Request, error) {
	if out.body == nil {
		if ctx == nil { // as http.NewRequestWithContext; WithContext would panic
			return nil, errors.New("net/http: nil Context")
		}
		r := http.Request{Method: out.op.Method, URL: out.url, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
			Header: make(http.Header), Host: out.url.Host}
		return r.WithContext(ctx), nil
	}
	// bytes.Reader sets ContentLength and GetBody, which signing reads.
	req, err := http.NewRequestWithContext(ctx, out.op.Method, "", bytes.NewReader(out.body))
	if err != nil {
		return nil, err
	}
	req.URL, req.Host = out.url, out.url.Host
	return req, nil
}

// do sends req and reads the answer. What it does before and after
// sending is in functions of their own, not inlined, so that its frame,
// under which calls wait for ModelArts, is small (see [DirectClient]).
func (c *Client) do(req *http.Request, out *outgoing, cc *callConfig) (*response, error) {
	resp, err := c.httpClient.Do(req)
	if err != nil {
		return nil, c.transportFailed(req, out, cc, err)
	}
	return c.read(req, resp, cc)
}

// transportFailed is the error of a request that got no answer.
//
//go:noinline
func (c *Client) transportFailed(req *http.Request, out *outgoing, cc *callConfig, err error) error {
	// *url.Error quotes the URL, which holds only the endpoint and the
	// IDs; credentials travel in headers. But the cause may quote what
	// the server sent (a malformed status line), so the text is
	// scrubbed like an error answer's.
	return &transportError{
		msg: scrub.Text(fmt.Sprintf("modelarts: %s %s (request id %s): %v", out.op.Name, out.url.Path, cc.requestID, err), maxErrorText, c.secretsOf(req)),
		err: err,
	}
}

// read reads the answer resp to req, and closes its body.
//
//go:noinline
func (c *Client) read(req *http.Request, resp *http.Response, cc *callConfig) (*response, error) {
	defer resp.Body.Close()

	body, readErr := readBody(resp.Body, resp.ContentLength, c.maxBody)
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		if readErr != nil {
			readErr = fmt.Errorf("modelarts: reading HTTP %d body: %w", resp.StatusCode, readErr)
		} else {
			body = c.answerWithoutSecrets(req, body)
		}
		return &response{status: resp.StatusCode, body: body, readErr: readErr}, nil
	}
	return nil, c.newError(req, resp, body, cc.requestID)
}

// answerWithoutSecrets returns body, a success answer to req, with every
// secret of the call in its strings replaced (see [Endpoint.Call]): the
// answer is passed on, so a secret ModelArts echoes must go.
func (c *Client) answerWithoutSecrets(req *http.Request, body []byte) []byte {
	return c.secretsOf(req).JSON(body)
}

// maxErrorText bounds the text of the errors the client makes from what
// it could not use (transport failures, unusable bodies).
const maxErrorText = 1024

// transportError is a call's failure to get an answer. Its text is
// scrubbed; errors.Is and errors.As see the cause through it.
type transportError struct {
	msg string
	err error
}

func (e *transportError) Error() string { return e.msg }
func (e *transportError) Unwrap() error { return e.err }

// errBodyTooLarge reports a body longer than the client's cap.
var errBodyTooLarge = errors.New("body exceeds the size limit")

// bodyBuffers are the buffers bodies are read into, reused: a body of
// unannounced length (ModelArts and the emulator send long ones chunked)
// grows its buffer by doubling, which for a list of 100 instances (120 KB)
// allocated and copied 256 KB per call.
var bodyBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// readBody reads at most limit bytes. It returns a copy of what it read
// (exactly as long) and an error if reading failed or the body is longer
// than limit; the rest is not read, so memory stays bounded whatever the
// server sends. length is the length the answer announced (-1: none):
// a short body of announced length is read straight into a slice of
// that length (readAnnounced).
func readBody(r io.Reader, length, limit int64) ([]byte, error) {
	if length >= 0 && length <= min(limit, maxAnnouncedRead) {
		return readAnnounced(r, int(length), limit)
	}
	return readAny(r, limit)
}

// maxAnnouncedRead bounds the bodies read by their announced length: the
// slice is made before anything is read, so a server that announces more
// than it sends costs at most this much.
const maxAnnouncedRead = 32 << 10

// readAnnounced is readBody for a body that announced its length n (at
// most limit): the usual short answer, without a pooled buffer, its
// limiting reader and the copy out of it. A body that goes on after n
// bytes (which HTTP's framing does not allow) is read as one of
// unannounced length, so the result is readAny's whatever the body.
func readAnnounced(r io.Reader, n int, limit int64) ([]byte, error) {
	// One byte more than announced, to see that the body ends there
	// (a byte read into a variable would be an allocation of its own).
	body := make([]byte, n, n+1)
	got := 0
	for got < n {
		k, err := r.Read(body[got:])
		got += k
		if err == io.EOF {
			// Ended (early, or with the last bytes): what came is the
			// body, as readAny reads it. An HTTP body cut short says
			// io.ErrUnexpectedEOF itself.
			return body[:got], nil
		}
		if err != nil {
			return body[:got], err
		}
	}
	k, err := r.Read(body[n : n+1])
	switch {
	case k == 0 && err == io.EOF:
		return body, nil
	case k == 0 && err != nil:
		return body, err
	}
	return readAny(io.MultiReader(bytes.NewReader(body[:n+k]), r), limit)
}

// readAny is readBody for a body of unannounced (or long) length.
func readAny(r io.Reader, limit int64) ([]byte, error) {
	buf := bodyBuffers.Get().(*bytes.Buffer)
	defer func() {
		buf.Reset()
		bodyBuffers.Put(buf)
	}()
	n, err := buf.ReadFrom(io.LimitReader(r, limit+1))
	body := bytes.Clone(buf.Bytes())
	if err != nil {
		return body, err
	}
	if n > limit {
		return body[:limit], errBodyTooLarge
	}
	return body, nil
}
