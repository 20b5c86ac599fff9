// Package reqcheck checks a request of the API in its encoded form,
// protobuf (gRPC) or JSON (the REST mirror), before it is decoded into
// messages: no repeated field or map holds more than its bound ([Bound]),
// and every string is valid UTF-8. It does so in one pass over the bytes
// that allocates nothing per element or token, so a request costs memory
// in proportion to its size whatever its shape: 500,000 empty list entries
// in 1 MB are counted, not built.
//
// A request that fails is not refused here, because the caller has not
// been authorized yet (authorization reads the request's project). It is
// decoded with what authorization needs and no more than the bounds allow
// (over gRPC: without the elements past a bound and without the strings
// that are not UTF-8; over REST: nothing of the body, as the IDs are in
// the path), and
// what was found is kept by the [Checker] for that request: the first
// interceptor of the call ([Checker.UnaryInterceptor]) moves it into the
// call's context, and the service answers it ([FromContext]) after
// authorization, as INVALID_ARGUMENT with a bounded list of field
// violations ([apierror.Violations]).
package reqcheck

import (
	"context"
	"sync"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/devenv-facade/devenv-facade/internal/apierror"
)

// Bounds of the API's repeated fields and maps. ModelArts documents none
// for them; these are the facade's, documented on the fields in the proto.
const (
	// MaxExtendStorage bounds spec.extend_storage of a create: extended
	// storage is OBS parallel file systems of a dedicated pool, a few per
	// instance.
	MaxExtendStorage = 16
	// MaxAnnotations bounds spec.annotations of a create.
	MaxAnnotations = 64
)

// bounds holds the bound of every repeated field and map of every request
// of the API (a test keeps it complete).
var bounds = map[protoreflect.FullName]int{
	"modelarts.devenv.v1.CreateInstanceSpec.extend_storage": MaxExtendStorage,
	"modelarts.devenv.v1.CreateInstanceSpec.annotations":    MaxAnnotations,
}

// defaultBound bounds a repeated field or map that bounds does not name
// (none of the API's requests has one).
const defaultBound = 16

// Bound returns the most elements the repeated field or map fd may hold in
// a request.
func Bound(fd protoreflect.FieldDescriptor) int {
	if n, ok := bounds[fd.FullName()]; ok {
		return n
	}
	return defaultBound
}

// badUTF8 gathers the fields holding a string that is not valid UTF-8,
// each once however often it occurs (a singular field may occur any number
// of times, the last one counting): only a field not reported yet costs an
// allocation. Fields are few (list elements past a bound are not walked),
// so seen stays small.
type badUTF8 struct {
	vs apierror.Violations
	// seen holds, by field path, the parts already reported.
	seen map[string]part
}

// part is what of a field holds the bad string.
type part uint8

const (
	whole    part = 1 << iota // the field's value
	mapKey                    // a key of the map
	mapValue                  // a value of the map
)

// add reports that the string at path (the part p of it) is not UTF-8.
func (b *badUTF8) add(path []byte, p part) {
	if b.seen[string(path)]&p != 0 {
		return
	}
	if b.seen == nil {
		b.seen = map[string]part{}
	}
	field := string(path)
	b.seen[field] |= p
	what := ""
	switch p {
	case mapKey:
		what = "a key of "
	case mapValue:
		what = "a value of "
	}
	b.vs.Add(apierror.Violation(field, apierror.ViolationMalformed, what+field+" is not valid UTF-8"))
}

// Checker checks requests as they are decoded ([Checker.DecodeProto],
// [Checker.DecodeJSON]) and keeps what it found in each until the call
// takes it ([Checker.UnaryInterceptor]). The zero value is ready to use; a
// nil *Checker keeps nothing, and its decoders refuse a request that fails
// at once.
type Checker struct {
	// found maps a decoded request (its pointer) to its violations, from
	// its decoding until its call's first interceptor takes them. Every
	// request decoded without an error reaches that interceptor (gRPC
	// handlers and the mirror's call the interceptor chain once the
	// request is decoded), so no entry outlives its call.
	found sync.Map
}

// keep records vs for the decoded request m, or, without a Checker,
// returns them as the error.
func (c *Checker) keep(m proto.Message, vs *apierror.Violations) error {
	if c == nil {
		return vs.Err("")
	}
	c.found.Store(m, vs)
	return nil
}

// take returns, once, what was found in req.
func (c *Checker) take(req any) *apierror.Violations {
	m, ok := req.(proto.Message)
	if c == nil || !ok {
		return nil
	}
	if vs, ok := c.found.LoadAndDelete(m); ok {
		return vs.(*apierror.Violations)
	}
	return nil
}

// Held returns how many decoded requests hold what was found in them until
// their call's first interceptor takes it: none once every call decoded so
// far has started. For tests.
func (c *Checker) Held() int {
	n := 0
	c.found.Range(func(any, any) bool { n++; return true })
	return n
}

// UnaryInterceptor returns the interceptor that moves what was found in
// the call's request into the call's context ([FromContext]). Run it first,
// before anything that may refuse the call, so that nothing is kept past
// it.
func (c *Checker) UnaryInterceptor() grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		if vs := c.take(req); vs != nil {
			ctx = context.WithValue(ctx, foundKey{}, vs)
		}
		return handler(ctx, req)
	}
}

type foundKey struct{}

// FromContext returns the violations found in the encoded form of the
// call's request, or nil. The caller answers them (vs.Err) once the call is
// authorized; the decoded request lacks the elements over a bound.
func FromContext(ctx context.Context) *apierror.Violations {
	vs, _ := ctx.Value(foundKey{}).(*apierror.Violations)
	return vs
}
