package reqcheck_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	notebookv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/notebook/v1"
	"github.com/devenv-facade/devenv-facade/internal/apierror"
	"github.com/devenv-facade/devenv-facade/internal/reqcheck"
)

// decodingStream is a server stream whose request is the wire form b,
// decoded by the checker as the server's codec does.
type decodingStream struct {
	grpc.ServerStream
	ctx context.Context
	c   *reqcheck.Checker
	b   []byte
}

func (s *decodingStream) Context() context.Context { return s.ctx }

func (s *decodingStream) RecvMsg(m any) error { return s.c.DecodeProto(s.b, m.(proto.Message)) }

// TestStreamInterceptor: what the check finds in a streaming call's
// request is in the call's context once the handler has received it, and
// the checker keeps nothing of it; a request with nothing wrong has no
// finding, and a finding held before the request (the mirror's query) is
// kept.
func TestStreamInterceptor(t *testing.T) {
	t.Parallel()
	bad := wire(nil).str(1, project).str(3, "name\xff")
	good := wire(nil).str(1, project).str(3, "name")
	held := heldFinding{}
	tests := []struct {
		name   string
		b      wire
		before reqcheck.Finding
		want   []string
	}{
		{"bad_utf8", bad, nil, []string{"name"}},
		{"clean", good, nil, nil},
		{"held_before", good, held, []string{"held"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := new(reqcheck.Checker)
			ctx := t.Context()
			if tt.before != nil {
				ctx = reqcheck.WithFinding(ctx, tt.before)
			}
			ss := &decodingStream{ctx: ctx, c: c, b: tt.b}
			var got []string
			err := c.StreamInterceptor()(nil, ss, &grpc.StreamServerInfo{IsServerStream: true}, func(_ any, stream grpc.ServerStream) error {
				if err := stream.RecvMsg(new(notebookv1.WatchNotebooksRequest)); err != nil {
					return err
				}
				got = describe(reqcheck.FromContext(stream.Context()))
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("found %q; want %q", got, tt.want)
			}
			if n := c.Held(); n != 0 {
				t.Errorf("the checker still holds %d findings", n)
			}
		})
	}
}

// heldFinding is what a decoder holds before any message.
type heldFinding struct{}

func (heldFinding) Err(string) error { return errHeld }

var errHeld = errors.New("held")

// describe names the fields a finding's violations name, or says
// "held" for heldFinding.
func describe(f reqcheck.Finding) []string {
	if f == nil {
		return nil
	}
	err := f.Err("rid")
	if errors.Is(err, errHeld) {
		return []string{"held"}
	}
	var out []string
	for _, v := range apierror.FromStatus(status.Convert(err)).Violations() {
		out = append(out, v.GetField())
	}
	return out
}
