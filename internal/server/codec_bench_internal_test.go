package server

import (
	"context"
	"testing"

	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/encoding/proto"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protowire"
	protov2 "google.golang.org/protobuf/proto"

	devenvv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/devenv/v1"
	"github.com/devenv-facade/devenv-facade/internal/reqcheck"
)

// BenchmarkCodec measures what the facade's codec (the request check
// before decoding, and the hand-over of what it found to the call through
// the Checker) costs and buys against grpc-go's proto codec: for a
// typical delete and create, the cost of the check; for the largest
// create the transport takes (1 MiB of 500,000 empty spec.extend_storage
// entries), the memory the check saves by not building what is over the
// bound. Both run the call's first interceptor, which looks for a finding
// (the "take" case alone). BENCHMARKS.md quotes it.
func BenchmarkCodec(b *testing.B) {
	del, err := protov2.Marshal(&devenvv1.DeleteInstanceRequest{ProjectId: "0123456789abcdef0123456789abcdef",
		InstanceId: "DE-7d558ef8-c73d-11ea-964c-0255ac100033"})
	if err != nil {
		b.Fatal(err)
	}
	typical, err := protov2.Marshal(&devenvv1.CreateInstanceRequest{ProjectId: "0123456789abcdef0123456789abcdef", Name: "notebook-1",
		ProfileId: "Multi-Engine 1.0 (python3)-cpu", Flavor: "modelarts.vm.cpu.2u",
		Spec: &devenvv1.CreateInstanceSpec{Storage: &devenvv1.Storage{Type: protov2.String("obs"),
			Location: &devenvv1.StorageLocation{Path: protov2.String("/bucket/dir/")}}, Annotations: map[string]string{"team": "ml"}}})
	if err != nil {
		b.Fatal(err)
	}
	empty := protowire.AppendBytes(protowire.AppendTag(nil, 2, protowire.BytesType), nil)
	spec := make([]byte, 0, 500_000*len(empty))
	for range 500_000 {
		spec = append(spec, empty...)
	}
	huge := protowire.AppendBytes(protowire.AppendTag(protowire.AppendString(protowire.AppendTag(nil, 1, protowire.BytesType),
		"0123456789abcdef0123456789abcdef"), 6, protowire.BytesType), spec)

	check := new(reqcheck.Checker)
	codecs := []struct {
		name  string
		codec encoding.CodecV2
	}{{"proto", encoding.GetCodecV2(proto.Name)}, {"checked", newCodec(check)}}
	for _, req := range []struct {
		name string
		data []byte
		m    func() protov2.Message
	}{{"delete", del, func() protov2.Message { return new(devenvv1.DeleteInstanceRequest) }},
		{"create", typical, func() protov2.Message { return new(devenvv1.CreateInstanceRequest) }},
		{"huge_create", huge, func() protov2.Message { return new(devenvv1.CreateInstanceRequest) }}} {
		for _, c := range codecs {
			b.Run(req.name+"/"+c.name, func(b *testing.B) {
				b.ReportAllocs()
				take := check.UnaryInterceptor()
				for b.Loop() {
					m := req.m()
					if err := c.codec.Unmarshal(mem.BufferSlice{mem.SliceBuffer(req.data)}, m); err != nil {
						b.Fatal(err)
					}
					// The call's first interceptor takes what was found.
					_, _ = take(b.Context(), m, nil, func(ctx context.Context, req any) (any, error) { return nil, nil })
				}
			})
		}
	}
	b.Run("take", func(b *testing.B) {
		b.ReportAllocs()
		take := check.UnaryInterceptor()
		m := new(devenvv1.DeleteInstanceRequest)
		for b.Loop() {
			_, _ = take(b.Context(), m, nil, func(ctx context.Context, req any) (any, error) { return nil, nil })
		}
	})
}
