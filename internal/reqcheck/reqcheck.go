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
// the path), and what was found is kept by the [Checker] for that
// request: the first interceptor of the call ([Checker.UnaryInterceptor],
// [Checker.StreamInterceptor]) moves it into the call's context, and the
// service answers it
// ([FromContext]) after authorization, as INVALID_ARGUMENT with a bounded
// list of field violations ([apierror.Violations]).
//
// A decoder that cannot read a request at all (the REST mirror's, for a
// body that is not JSON or a value of the wrong type, or a query value
// that is not a number) does the same with its own error: it decodes
// nothing of the request and holds the error for the call
// ([Checker.Hold], [WithFinding]), which answers it after authorization.
package reqcheck

import (
	"context"
	"sync"
	"sync/atomic"

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

	// MaxEndpoints bounds the endpoints of a notebook's create or update:
	// one per service (NOTEBOOK, SSH).
	MaxEndpoints = 2
	// MaxKeyPairNames bounds an endpoint's key_pair_names (ModelArts
	// documents no bound).
	MaxKeyPairNames = 10
	// MaxAllowedAccessIPs bounds an endpoint's allowed_access_ips:
	// ModelArts' own bound.
	MaxAllowedAccessIPs = 5
	// MaxImageResourceCategories bounds the resource_category of an image
	// registration: CPU and GPU.
	MaxImageResourceCategories = 2
	// MaxImageServices bounds the services of an image registration:
	// NOTEBOOK and SSH.
	MaxImageServices = 2
)

// bounds holds the bound of every repeated field and map of every request
// of the API (a test keeps it complete).
var bounds = map[protoreflect.FullName]int{
	"modelarts.devenv.v1.CreateInstanceSpec.extend_storage": MaxExtendStorage,
	"modelarts.devenv.v1.CreateInstanceSpec.annotations":    MaxAnnotations,

	"modelarts.notebook.v1.CreateNotebookRequest.endpoints":        MaxEndpoints,
	"modelarts.notebook.v1.UpdateNotebookRequest.endpoints":        MaxEndpoints,
	"modelarts.notebook.v1.EndpointRequest.key_pair_names":         MaxKeyPairNames,
	"modelarts.notebook.v1.EndpointRequest.allowed_access_ips":     MaxAllowedAccessIPs,
	"modelarts.notebook.v1.RegisterImageRequest.resource_category": MaxImageResourceCategories,
	"modelarts.notebook.v1.RegisterImageRequest.services":          MaxImageServices,
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

// A Finding is what was found wrong with a request as it was read, which
// its call answers once the caller is authorized ([FromContext]): the
// violations the check finds (an *[apierror.Violations]), or what a
// decoder found it could not read ([Checker.Hold], [WithFinding]).
type Finding interface {
	// Err returns the call's error; requestID is the call's.
	Err(requestID string) error
}

// Checker checks requests as they are decoded ([Checker.DecodeProto],
// [Checker.DecodeJSON]) and keeps what it found in each, or what a decoder
// holds in it ([Checker.Hold]), until the call takes it
// ([Checker.UnaryInterceptor], [Checker.StreamInterceptor]). The zero
// value is ready to use; a nil
// *Checker keeps nothing, and its decoders refuse a request that fails at
// once.
type Checker struct {
	// found maps a decoded request (its pointer) to its Finding, from its
	// decoding until its call's first interceptor takes it. Every request
	// decoded without an error reaches that interceptor (gRPC handlers and
	// the mirror's call the interceptor chain once the request is
	// decoded; a streaming call's interceptor takes it as its handler
	// receives it), so no entry outlives its call.
	found sync.Map
}

// Hold keeps f, what a decoder found wrong with a request it did not
// decode, for the call of m, the request's message, which the decoder
// hands on as decoded (without an error) with nothing of the request's
// body in it: the call answers f after authorization, as it answers what
// the check finds. Without a Checker, it returns f's error, for the
// decoder to refuse the request at once.
func (c *Checker) Hold(m proto.Message, f Finding) error {
	return c.keep(m, f)
}

// keep records f for the decoded request m, or, without a Checker,
// returns its error.
func (c *Checker) keep(m proto.Message, f Finding) error {
	if c == nil {
		return f.Err("")
	}
	c.found.Store(m, f)
	return nil
}

// take returns, once, what was found in req.
func (c *Checker) take(req any) Finding {
	m, ok := req.(proto.Message)
	if c == nil || !ok {
		return nil
	}
	if f, ok := c.found.LoadAndDelete(m); ok {
		return f.(Finding)
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
		return handler(c.Take(ctx, req), req)
	}
}

// Take is what [Checker.UnaryInterceptor] does before it calls the
// handler, for a server that runs it as a step of its own first
// interceptor: it moves what was found in req into ctx ([FromContext])
// and returns ctx.
func (c *Checker) Take(ctx context.Context, req any) context.Context {
	if f := c.take(req); f != nil {
		return WithFinding(ctx, f)
	}
	return ctx
}

// StreamInterceptor is [Checker.UnaryInterceptor] for streaming calls,
// whose handlers receive their requests themselves: what was found in a
// request is taken as the handler receives it, and [FromContext] of the
// call's context returns it from then on (the first request's, for a call
// with several). Run it first, as the unary one.
func (c *Checker) StreamInterceptor() grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		ctx := ss.Context()
		found := new(streamFinding)
		if f := FromContext(ctx); f != nil {
			// What a decoder found before any message (the REST mirror's
			// query string).
			found.f.Store(&f)
		}
		return handler(srv, &checkedStream{ServerStream: ss, c: c, ctx: context.WithValue(ctx, foundKey{}, found), found: found})
	}
}

// streamFinding holds what was found in a streaming call's request, once
// the handler has received it. The handler may read it from another
// goroutine than the one receiving, hence the atomic.
type streamFinding struct{ f atomic.Pointer[Finding] }

// checkedStream takes what was found in each request its handler
// receives ([Checker.StreamInterceptor]).
type checkedStream struct {
	grpc.ServerStream
	c     *Checker
	ctx   context.Context
	found *streamFinding
}

func (s *checkedStream) Context() context.Context { return s.ctx }

// RecvMsg receives a request and takes what was found in it, whether or
// not the receipt failed after the decoding: nothing is kept past it.
func (s *checkedStream) RecvMsg(m any) error {
	err := s.ServerStream.RecvMsg(m)
	if f := s.c.take(m); f != nil {
		s.found.f.CompareAndSwap(nil, &f)
	}
	return err
}

type foundKey struct{}

// WithFinding returns ctx carrying f for the call that runs in it
// ([FromContext]): for what is found wrong with a request before any of
// its messages is decoded (the REST mirror's query string), which the call
// answers after authorization. [Checker.UnaryInterceptor] uses it for what
// it takes.
func WithFinding(ctx context.Context, f Finding) context.Context {
	return context.WithValue(ctx, foundKey{}, f)
}

// FromContext returns what was found wrong with the call's request as it
// was read, or nil: the violations found in its encoded form, or what a
// decoder could not read. The caller answers it (f.Err) once the call is
// authorized; the decoded request lacks the elements over a bound, or,
// when a decoder could not read it, holds only what the call's path and
// metadata give.
func FromContext(ctx context.Context) Finding {
	switch v := ctx.Value(foundKey{}).(type) {
	case Finding:
		return v
	case *streamFinding:
		if f := v.f.Load(); f != nil {
			return *f
		}
	}
	return nil
}
