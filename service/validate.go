package service

import (
	"fmt"

	"google.golang.org/genproto/googleapis/rpc/errdetails"

	devenvv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/devenv/v1"
	"github.com/devenv-facade/devenv-facade/internal/apierror"
)

// violation is one bad field of a request.
type violation = errdetails.BadRequest_FieldViolation

// Limits on IDs, as documented on the request fields in the proto.
const (
	projectIDLen     = 32
	maxInstanceIDLen = 64
)

// maxCallerTokenLen bounds a caller's own token (x-auth-token), in bytes.
// An IAM token is a few KiB: a Keystone v3 token from IAM is a base64
// blob whose size grows with the user's roles and projects, and the
// largest seen in practice stay well below 8 KiB (common front ends, such
// as nginx with its default buffers, refuse a header line beyond 8 KiB
// anyway). 16 KiB leaves twice that room, while a caller can no longer
// make the facade forward, and ModelArts receive, megabytes of header per
// request.
const maxCallerTokenLen = 16 << 10

// fieldCallerToken names the caller's token in field violations: it is the
// metadata key, not a request field.
const fieldCallerToken = "x-auth-token"

const (
	violationRequired  = apierror.ViolationRequired
	violationMalformed = apierror.ViolationMalformed
)

// validateDeleteInstance checks a DeleteInstanceRequest. It returns the
// violations of every bad field, or nil.
func validateDeleteInstance(req *devenvv1.DeleteInstanceRequest) []*violation {
	return violations(checkProjectID(req.GetProjectId()), checkInstanceID(req.GetInstanceId()))
}

// violations gathers those of vs that are not nil, or returns nil: the
// valid case allocates nothing.
func violations(vs ...*violation) []*violation {
	var out []*violation
	for _, v := range vs {
		if v != nil {
			out = append(out, v)
		}
	}
	return out
}

// checkProjectID accepts exactly 32 lowercase hexadecimal characters, the
// shape of an IAM project ID.
func checkProjectID(id string) *violation {
	const field = "project_id"
	if id == "" {
		return newViolation(field, violationRequired, "project_id is required: 32 lowercase hexadecimal characters")
	}
	ok := len(id) == projectIDLen
	for i := 0; ok && i < len(id); i++ {
		ok = '0' <= id[i] && id[i] <= '9' || 'a' <= id[i] && id[i] <= 'f'
	}
	if !ok {
		return newViolation(field, violationMalformed, fmt.Sprintf("project_id must be 32 lowercase hexadecimal characters; got %s", describe(id)))
	}
	return nil
}

// checkInstanceID accepts 1 to 64 characters from A-Z, a-z, 0-9, "-" and
// "_": every instance ID ModelArts issues (a UUID, or "DE-" and a UUID)
// fits, and nothing that could change the upstream path (slashes, dots,
// percent-escapes) does.
func checkInstanceID(id string) *violation {
	const field = "instance_id"
	if id == "" {
		return newViolation(field, violationRequired, "instance_id is required: 1 to 64 characters from A-Z, a-z, 0-9, '-' and '_'")
	}
	ok := len(id) <= maxInstanceIDLen
	for i := 0; ok && i < len(id); i++ {
		c := id[i]
		ok = 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_'
	}
	if !ok {
		return newViolation(field, violationMalformed, fmt.Sprintf("instance_id must be 1 to 64 characters from A-Z, a-z, 0-9, '-' and '_'; got %s", describe(id)))
	}
	return nil
}

// checkCallerToken accepts no token, or 1 to maxCallerTokenLen visible
// ASCII characters (0x21-0x7E): what an IAM token is made of, and what can
// travel unchanged in an X-Auth-Token header. Control characters, spaces
// and non-ASCII bytes are refused rather than left for the HTTP transport
// to reject after the call has started. The description never quotes the
// token.
func checkCallerToken(tok string) *violation {
	if len(tok) > maxCallerTokenLen {
		return newViolation(fieldCallerToken, violationMalformed,
			fmt.Sprintf("x-auth-token must be at most %d bytes; got %d", maxCallerTokenLen, len(tok)))
	}
	for i := 0; i < len(tok); i++ {
		if tok[i] < 0x21 || tok[i] > 0x7e {
			return newViolation(fieldCallerToken, violationMalformed,
				fmt.Sprintf("x-auth-token must be visible ASCII characters (0x21-0x7E); byte %d is 0x%02X", i, tok[i]))
		}
	}
	return nil
}

func newViolation(field, reason, description string) *violation {
	return apierror.Violation(field, reason, description)
}

// describe quotes a rejected value for an error message, shortened so that a
// huge input does not make a huge error. %q escapes control characters and
// invalid UTF-8, so the message stays printable.
func describe(v string) string {
	const maxShown = 80
	if len(v) > maxShown {
		return fmt.Sprintf("%q... (%d bytes)", v[:maxShown], len(v))
	}
	return fmt.Sprintf("%q", v)
}
