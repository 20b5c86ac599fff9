package main

import (
	"context"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"

	devenvv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/devenv/v1"
)

// TestCallDeadlineByDeclaration: without --timeout, a call gets the long
// deadline exactly when its RPC's declaration (package rpcdecl) says it
// waits: by request (the wait field), and, for an RPC devenvctl knows no
// declaration of, always; not by whether the command was given --wait.
func TestCallDeadlineByDeclaration(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name   string
		method string
		req    proto.Message
		want   time.Duration
	}{
		{"get", devenvv1.DevEnvService_GetInstance_FullMethodName, &devenvv1.GetInstanceRequest{}, defaultTimeout},
		{"start", devenvv1.DevEnvService_StartInstance_FullMethodName, &devenvv1.StartInstanceRequest{}, defaultTimeout},
		{"start_wait", devenvv1.DevEnvService_StartInstance_FullMethodName, &devenvv1.StartInstanceRequest{Wait: true}, defaultWaitTimeout},
		{"action_never_waits", devenvv1.DevEnvService_ActOnInstance_FullMethodName, &devenvv1.ActOnInstanceRequest{}, defaultTimeout},
		{"undeclared", "/other.v1.Other/Restart", &devenvv1.ErrorBody{}, defaultWaitTimeout},
	} {
		s := &session{g: &globals{}}
		var left time.Duration
		err := s.call(t.Context(), tt.method, tt.req, func(ctx context.Context, _ ...grpc.CallOption) error {
			d, _ := ctx.Deadline()
			left = time.Until(d)
			return nil
		})
		if err != nil || left > tt.want || left < tt.want-time.Minute {
			t.Errorf("%s: %v, deadline in %v; want %v", tt.name, err, left, tt.want)
		}
	}
}
