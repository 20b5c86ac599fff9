package service

import (
	"fmt"

	"google.golang.org/genproto/googleapis/rpc/errdetails"

	devenvv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/devenv/v1"
	"github.com/devenv-facade/devenv-facade/internal/apierror"
	"github.com/devenv-facade/devenv-facade/internal/callctx"
)

// violation is one bad field of a request.
type violation = errdetails.BadRequest_FieldViolation

// Limits on IDs, as documented on the request fields in the proto.
const maxInstanceIDLen = 64

// fieldCallerToken names the caller's token in field violations: it is the
// metadata key, not a request field.
const fieldCallerToken = callctx.MetadataKeyAuthToken

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
	if !callctx.ValidProjectID(id) {
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

// checkCallerToken accepts no token, or one [callctx.CheckAuthToken]
// accepts: 1 to callctx.MaxAuthTokenLen visible ASCII characters. The
// description never quotes the token.
func checkCallerToken(tok string) *violation {
	if tok == "" {
		return nil
	}
	if err := callctx.CheckAuthToken(tok); err != nil {
		return newViolation(fieldCallerToken, violationMalformed, err.Error())
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
