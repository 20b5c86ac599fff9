package modelarts

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strings"
)

// Operation describes one ModelArts API operation: everything the client
// needs to send it and to judge its answers. Adding an endpoint is one
// Operation, wrapped in an [Endpoint] with its response type.
type Operation struct {
	// Name names the operation in logs and errors ("DeleteInstance").
	Name string
	// Method is the HTTP method.
	Method string
	// Path is the path template, with each parameter a whole segment in
	// braces: "/v1/{project_id}/demanager/instances/{instance_id}".
	Path string
	// Idempotent operations are retried under the client's [RetryPolicy];
	// the others are sent once, whatever happens.
	Idempotent bool
	// InferredBy lists the ModelArts codes that, answering a retry after
	// an attempt that was sent and got no answer, mean that lost attempt
	// did what was asked: for a delete, ModelArts.6309 ("the instance
	// does not exist"). The call then succeeds with [Result].Inferred set.
	InferredBy []string
	// Reserved lists, by path parameter name, values the parameter refuses
	// besides "", "." and "..": the literal segments the vendor's routes
	// put where the parameter sits ("all" and "flavors" beside a
	// notebook's {id}, "group" beside an image's {id}). Such a value
	// would reach another operation: GET .../notebooks/all is the list of
	// every user's notebooks, not the notebook "all". They are compared
	// without regard to case and refused with [ErrInvalidPathSegment].
	Reserved map[string][]string

	segments []string   // the template split at "/"; "" marks a parameter
	params   []string   // the parameters' names, in order
	reserved [][]string // Reserved by parameter position
	spanName string     // "DELETE /v1/{project_id}/...", each attempt's span's
}

// compile parses the path template.
func (op *Operation) compile() error {
	op.spanName = op.Method + " " + op.Path
	if !strings.HasPrefix(op.Path, "/") {
		return fmt.Errorf("modelarts: operation %s: path %q does not start with /", op.Name, op.Path)
	}
	for _, seg := range strings.Split(op.Path[1:], "/") {
		switch {
		case strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") && len(seg) > 2:
			op.segments = append(op.segments, "")
			op.params = append(op.params, seg[1:len(seg)-1])
		case seg == "" || strings.ContainsAny(seg, "{}") || EscapePathSegment(seg) != seg:
			return fmt.Errorf("modelarts: operation %s: path %q: bad segment %q", op.Name, op.Path, seg)
		default:
			op.segments = append(op.segments, seg)
		}
	}
	op.reserved = make([][]string, len(op.params))
	for name, values := range op.Reserved {
		i := slices.Index(op.params, name)
		if i < 0 {
			return fmt.Errorf("modelarts: operation %s: reserved values for %q, which is not a parameter of %q", op.Name, name, op.Path)
		}
		op.reserved[i] = slices.Clone(values)
	}
	return nil
}

// Endpoint is an Operation whose success answer is a JSON Resp.
type Endpoint[Resp any] struct {
	op *Operation
}

// NewEndpoint checks op's path template and returns the endpoint.
func NewEndpoint[Resp any](op Operation) (Endpoint[Resp], error) {
	if err := op.compile(); err != nil {
		return Endpoint[Resp]{}, err
	}
	return Endpoint[Resp]{op: &op}, nil
}

// MustEndpoint is NewEndpoint for the package's own endpoint declarations,
// whose templates are literals: it panics on a malformed one, which the
// package's tests would catch.
func MustEndpoint[Resp any](op Operation) Endpoint[Resp] {
	e, err := NewEndpoint[Resp](op)
	if err != nil {
		panic(err)
	}
	return e
}

// Operation returns the endpoint's operation.
func (e Endpoint[Resp]) Operation() Operation { return *e.op }

// Operations returns the operations of the package's endpoints: the old
// DevEnviron API's six (instances.go) and the current one's 22
// (notebooks.go, mounts.go, images.go), in that order.
func Operations() []Operation {
	declared := [...]interface{ Operation() Operation }{
		CreateInstance, ListInstances, GetInstance, UpdateInstance, InstanceAction, DeleteInstance,
		CreateNotebook, ListNotebooks, ListAllNotebooks, GetNotebook, UpdateNotebook, DeleteNotebook,
		StartNotebook, StopNotebook, GetLease, RenewLease, ListFlavors, ListSwitchableFlavors,
		ListStorageMounts, AttachStorageMount, GetStorageMount, DetachStorageMount,
		CreateImage, ListImages, RegisterImage, ListImageGroups, GetImage, DeleteImage,
	}
	ops := make([]Operation, len(declared))
	for i, e := range declared {
		ops[i] = e.Operation()
	}
	return ops
}

// Request is what one call sends besides its operation.
type Request struct {
	// Params are the path parameters, in the template's order. Each is
	// escaped into exactly one segment; "", "." and "..", and the values
	// the operation reserves ([Operation].Reserved), are refused
	// ([ErrInvalidPathSegment]).
	Params []string
	// Query is the query string, or nil.
	Query url.Values
	// Body, if not nil, is sent as JSON.
	Body any
}

// Call sends req as e's operation with c, and decodes a 2xx answer into a
// new Resp.
//
// Errors: [ErrInvalidPathSegment], [ErrNoCredentials] or [ErrOverloaded]
// before any request; [*Error] for a non-2xx answer; [*DecodeError] for a
// 2xx answer whose body is unusable (the Result still says it succeeded),
// which for a json.RawMessage Resp means one that could not be read: that
// body is handed over unchecked, for its reader to judge; otherwise a
// wrapped transport or context error. A call whose success was
// inferred ([Result].Inferred) returns a nil Resp and no error.
//
// Nothing the call returns repeats a secret of the call: the credentials
// its request carried and the configured secrets ([Client.Secrets]). Error
// text is scrubbed (see [Error]); in a 2xx answer's body every JSON string
// that holds one has it replaced with "[REDACTED]" and is otherwise left
// as ModelArts wrote it (see [scrub.Secrets.JSON] for what it finds).
func (e Endpoint[Resp]) Call(ctx context.Context, c *Client, req Request, opts ...CallOption) (*Resp, Result, error) {
	out, err := c.outgoing(e.op, req)
	if err != nil {
		return nil, Result{}, err
	}
	var res Result
	answer, err := c.send(ctx, out, opts, &res)
	resp, err := e.answered(ctx, c, out, answer, &res, err)
	return resp, res, err
}

// answered is Call's work once the call is over: its answer decoded, or
// its error. It is a function of its own, not inlined, so that Call's
// frame, under which calls wait for ModelArts, holds only what sending
// needs (see [DirectClient]); it completes *res.
//
//go:noinline
func (e Endpoint[Resp]) answered(ctx context.Context, c *Client, out *outgoing, answer *response, res *Result, err error) (*Resp, error) {
	if apiErr, ok := errors.AsType[*Error](err); ok && res.Ambiguous && slices.Contains(e.op.InferredBy, apiErr.Code) {
		c.logger.InfoContext(ctx, "an attempt got no answer and a retry found its work done; reporting success",
			slog.String("operation", e.op.Name), slog.String("path", out.url.Path),
			slog.String("error_code", apiErr.Code), slog.Int("attempts", res.Attempts))
		res.Inferred = true
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	res.HTTPStatus = answer.status
	if answer.readErr == nil {
		res.Body = answer.body
	}
	resp := new(Resp)
	if err := answer.decode(resp); err != nil {
		return nil, err
	}
	return resp, nil
}

// outgoing builds what every attempt of a call of op sends.
func (c *Client) outgoing(op *Operation, req Request) (*outgoing, error) {
	if len(req.Params) != len(op.params) {
		return nil, fmt.Errorf("modelarts: %s takes %d path parameters, not %d", op.Name, len(op.params), len(req.Params))
	}
	out := &outgoing{op: op, u: c.endpoint}
	out.url = &out.u
	u := &out.u
	// The escaped path is built first; the plain one only when they differ
	// (an endpoint path or an ID with characters that need escaping).
	base := u.EscapedPath()
	n, p, escaped := len(base), 0, u.RawPath != "" || base != u.Path
	for _, seg := range op.segments {
		if seg == "" {
			v := req.Params[p]
			if err := checkSegment(op.params[p], v, op.reserved[p]); err != nil {
				return nil, err
			}
			p++
			e := EscapePathSegment(v)
			escaped = escaped || e != v
			n += 1 + len(e)
			continue
		}
		n += 1 + len(seg)
	}
	raw := joinPath(base, op.segments, req.Params, n, EscapePathSegment)
	if escaped {
		u.Path, u.RawPath = joinPath(u.Path, op.segments, req.Params, 0, nil), raw
	} else {
		u.Path, u.RawPath = raw, ""
	}
	if len(req.Query) > 0 {
		u.RawQuery = req.Query.Encode()
	}
	if req.Body != nil {
		b, err := json.Marshal(req.Body)
		if err != nil {
			return nil, fmt.Errorf("modelarts: %s: encoding the request body: %w", op.Name, err)
		}
		out.body, out.contentType = b, "application/json"
	}
	return out, nil
}

// joinPath appends the template's segments to base, with the parameters'
// values (through escape, if not nil) in place of the parameters; size is
// the result's length, if known.
func joinPath(base string, segments, params []string, size int, escape func(string) string) string {
	var b strings.Builder
	b.Grow(max(size, len(base)+64))
	b.WriteString(base)
	p := 0
	for _, seg := range segments {
		b.WriteByte('/')
		if seg == "" {
			v := params[p]
			p++
			if escape != nil {
				v = escape(v)
			}
			b.WriteString(v)
			continue
		}
		b.WriteString(seg)
	}
	return b.String()
}

// checkSegment rejects values that are not one path segment after
// escaping, and the parameter's reserved values (see [Operation].Reserved).
func checkSegment(name, v string, reserved []string) error {
	switch v {
	case "", ".", "..":
		return fmt.Errorf("%w: %s %q", ErrInvalidPathSegment, name, v)
	}
	for _, r := range reserved {
		if strings.EqualFold(v, r) {
			return fmt.Errorf("%w: %s %q names another operation's route", ErrInvalidPathSegment, name, v)
		}
	}
	return nil
}

// EscapePathSegment percent-encodes every byte of s except the unreserved
// characters A-Z a-z 0-9 - _ . ~ (RFC 3986), with uppercase hex. This is
// stricter than [url.PathEscape], which leaves ";", "=", "@" and others
// alone that some servers treat as delimiters, and it is the encoding the
// SDK-HMAC-SHA256 signature uses for its canonical URI.
func EscapePathSegment(s string) string {
	n := 0
	for i := 0; i < len(s); i++ {
		if !unreserved(s[i]) {
			n++
		}
	}
	if n == 0 {
		return s
	}
	const hex = "0123456789ABCDEF"
	b := make([]byte, 0, len(s)+2*n)
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if unreserved(ch) {
			b = append(b, ch)
			continue
		}
		b = append(b, '%', hex[ch>>4], hex[ch&0xF])
	}
	return string(b)
}

func unreserved(ch byte) bool {
	return 'A' <= ch && ch <= 'Z' || 'a' <= ch && ch <= 'z' || '0' <= ch && ch <= '9' ||
		ch == '-' || ch == '_' || ch == '.' || ch == '~'
}
