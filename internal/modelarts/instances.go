package modelarts

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
)

// DeleteInstanceResponse is the body ModelArts returns for a delete.
type DeleteInstanceResponse struct {
	// InstanceID is the ID of the deleted instance.
	InstanceID string `json:"instance_id"`
	// Inferred is set when ModelArts never confirmed this delete: an
	// attempt reached it without an answer, and a retry found the
	// instance gone (ModelArts.6309). The delete is reported as done.
	Inferred bool `json:"-"`
}

// DeleteInstance deletes a development environment instance:
// DELETE /v1/{project_id}/demanager/instances/{instance_id}.
//
// A 2xx answer means the instance was deleted. Its body only echoes the ID,
// so if the body cannot be read the call still succeeds, reports
// instanceID, and logs a warning: the outcome must not be lost over a
// garbled echo.
//
// Deletes are idempotent and retried under the client's [RetryPolicy]. When
// an attempt was sent but got no answer and a retry then hears that the
// instance does not exist, the first attempt is taken to have deleted it:
// the call succeeds with Inferred set. (The instance could also never have
// existed; either way it is gone, which is what the caller asked for.)
//
// Errors: [ErrInvalidPathSegment], [ErrNoCredentials] or [ErrOverloaded]
// before any request; [*Error] for a non-2xx answer; otherwise a wrapped
// transport or context error.
func (c *Client) DeleteInstance(ctx context.Context, projectID, instanceID string, opts ...CallOption) (*DeleteInstanceResponse, error) {
	u, err := c.instanceURL(projectID, instanceID)
	if err != nil {
		return nil, err
	}
	res, stats, err := c.send(ctx, http.MethodDelete, u, true, opts)
	var apiErr *Error
	if err != nil && stats.Ambiguous && errors.As(err, &apiErr) && apiErr.Code == codeInstanceNotFound {
		c.logger.InfoContext(ctx, "a delete attempt got no answer and a retry found the instance gone; reporting it deleted",
			slog.String("project_id", projectID), slog.String("instance_id", instanceID), slog.Int("attempts", stats.Attempts))
		return &DeleteInstanceResponse{InstanceID: instanceID, Inferred: true}, nil
	}
	if err != nil {
		return nil, err
	}
	out := &DeleteInstanceResponse{}
	if err := res.decode(out); err != nil || out.InstanceID == "" {
		c.logger.WarnContext(ctx, "ModelArts accepted a delete but its body has no instance ID; reporting the requested one",
			slog.String("project_id", projectID), slog.String("instance_id", instanceID),
			slog.Int("http_status", res.status), slog.Any("decode_error", err))
		out.InstanceID = instanceID
	}
	return out, nil
}

// codeInstanceNotFound is ModelArts' "the instance does not exist".
const codeInstanceNotFound = "ModelArts.6309"

// instanceURL returns {endpoint}/v1/{project_id}/demanager/instances/{instance_id}.
func (c *Client) instanceURL(projectID, instanceID string) (*url.URL, error) {
	if err := checkSegment("project_id", projectID); err != nil {
		return nil, err
	}
	if err := checkSegment("instance_id", instanceID); err != nil {
		return nil, err
	}
	return c.resolve("v1", projectID, "demanager", "instances", instanceID), nil
}

// resolve appends path segments to the endpoint, escaping each one.
func (c *Client) resolve(segments ...string) *url.URL {
	u := c.endpoint
	var path, raw strings.Builder
	path.WriteString(u.Path)
	raw.WriteString(u.EscapedPath())
	for _, s := range segments {
		path.WriteByte('/')
		path.WriteString(s)
		raw.WriteByte('/')
		raw.WriteString(EscapePathSegment(s))
	}
	u.Path, u.RawPath = path.String(), raw.String()
	return &u
}

// checkSegment rejects values that are not one path segment after escaping.
func checkSegment(name, v string) error {
	switch v {
	case "", ".", "..":
		return fmt.Errorf("%w: %s %q", ErrInvalidPathSegment, name, v)
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
