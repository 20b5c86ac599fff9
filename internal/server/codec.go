package server

import (
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/encoding/proto"
	"google.golang.org/grpc/mem"
	protov2 "google.golang.org/protobuf/proto"

	"github.com/devenv-facade/devenv-facade/internal/reqcheck"
	"github.com/devenv-facade/devenv-facade/internal/rpcdecl"
)

// codec is grpc-go's proto codec, except for requests of the API (those
// of the RPCs of the services the facade serves, package rpcdecl): those
// are checked in their wire form before they are decoded (package
// reqcheck), so that no request makes the facade build more elements than
// the API's bounds allow, and a string field with invalid UTF-8 (which the
// proto runtime refuses to decode, and grpc-go would answer with INTERNAL
// before any interceptor ran) becomes a field violation. What the check
// finds is answered after the caller is authorized, as INVALID_ARGUMENT.
// Requests of other services (health, reflection) are decoded as grpc-go
// does. What the check and the hand-over of its findings cost and buy
// (BenchmarkCodec) is in BENCHMARKS.md, "What the request check costs and
// buys".
type codec struct {
	base  encoding.CodecV2
	check *reqcheck.Checker
}

func newCodec(check *reqcheck.Checker) *codec {
	return &codec{base: encoding.GetCodecV2(proto.Name), check: check}
}

// Name is the codec's content subtype, the proto codec's.
func (c *codec) Name() string { return proto.Name }

// Marshal encodes as the proto codec does.
func (c *codec) Marshal(v any) (mem.BufferSlice, error) { return c.base.Marshal(v) }

// Unmarshal decodes as the proto codec does, but see [codec].
func (c *codec) Unmarshal(data mem.BufferSlice, v any) error {
	m, ok := v.(protov2.Message)
	if !ok || !rpcdecl.Served().IsRequest(m) {
		return c.base.Unmarshal(data, v)
	}
	buf := data.MaterializeToBuffer(mem.DefaultBufferPool())
	defer buf.Free()
	return c.check.DecodeProto(buf.ReadOnlyData(), m)
}
