package callerauth_test

import (
	"context"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	devenvv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/devenv/v1"
	"github.com/devenv-facade/devenv-facade/internal/apierror"
	"github.com/devenv-facade/devenv-facade/internal/callerauth"
	"github.com/devenv-facade/devenv-facade/internal/statustest"
)

func TestUnaryInterceptor(t *testing.T) {
	t.Parallel()
	a, err := callerauth.Load(writeFile(t, callersFile()), callerauth.Options{})
	if err != nil {
		t.Fatal(err)
	}
	icpt := a.UnaryInterceptor()
	info := &grpc.UnaryServerInfo{FullMethod: devenvv1.DevEnvService_DeleteInstance_FullMethodName}
	tests := []struct {
		name       string
		auth       string
		project    string
		method     string
		wantCode   codes.Code
		wantReason string
	}{
		{"allowed", "Bearer alice-token", projectA, "", codes.OK, ""},
		{"other_project", "Bearer alice-token", projectB, "", codes.PermissionDenied, apierror.ReasonProjectNotPermitted},
		{"garbage_project", "Bearer alice-token", "../../x", "", codes.InvalidArgument, apierror.ReasonInvalidArgument},
		{"garbage_project_of_an_unknown_caller", "Bearer nope", "../../x", "", codes.Unauthenticated, apierror.ReasonCallerUnauthenticated},
		{"no_token", "", projectA, "", codes.Unauthenticated, apierror.ReasonCallerUnauthenticated},
		{"unknown_token", "Bearer nope", projectA, "", codes.Unauthenticated, apierror.ReasonCallerUnauthenticated},
		{"health_is_exempt", "", projectA, "/grpc.health.v1.Health/Check", codes.OK, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := t.Context()
			if tt.auth != "" {
				ctx = metadata.NewIncomingContext(ctx, metadata.Pairs("authorization", tt.auth))
			}
			i := *info
			if tt.method != "" {
				i.FullMethod = tt.method
			}
			called := false
			_, err := icpt(ctx, &devenvv1.DeleteInstanceRequest{ProjectId: tt.project, InstanceId: "x"}, &i, func(ctx context.Context, _ any) (any, error) {
				called = true
				if tt.method == "" {
					if c, ok := callerauth.FromContext(ctx); !ok || c.Name == "" {
						t.Error("the handler's context has no caller")
					}
				}
				return nil, nil
			})
			if status.Code(err) != tt.wantCode {
				t.Fatalf("code = %v (%v); want %v", status.Code(err), err, tt.wantCode)
			}
			if called != (tt.wantCode == codes.OK) {
				t.Errorf("handler called = %v; want %v", called, tt.wantCode == codes.OK)
			}
			if tt.wantReason != "" {
				if reason := statustest.Error(t, err).Reason(); reason != tt.wantReason {
					t.Errorf("reason = %q; want %q", reason, tt.wantReason)
				}
				if strings.Contains(err.Error(), "alice-token") {
					t.Errorf("the error quotes the token: %v", err)
				}
			}
		})
	}
}

// TestUndeclaredMethodsFailClosed: a method the facade does not declare
// (package rpcdecl), whose request names no project, is refused to a
// caller limited to some projects, and allowed to one that may change
// every project.
func TestUndeclaredMethodsFailClosed(t *testing.T) {
	t.Parallel()
	a, err := callerauth.Load(writeFile(t, callersFile()), callerauth.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		token string
		want  codes.Code
	}{{"alice-token", codes.PermissionDenied}, {"ops-token", codes.OK}} {
		ctx := metadata.NewIncomingContext(t.Context(), metadata.Pairs("authorization", "Bearer "+tt.token))
		_, err := a.UnaryInterceptor()(ctx, &devenvv1.ErrorBody{}, &grpc.UnaryServerInfo{FullMethod: "/other.v1.Other/Do"},
			func(context.Context, any) (any, error) { return nil, nil })
		if status.Code(err) != tt.want {
			t.Errorf("an undeclared method by %s: %v; want %v", tt.token, err, tt.want)
		}
	}
}

// TestReadOnlyProjects: a caller may read (list, get) the projects in
// read_only_projects but not change them; projects allows both.
func TestReadOnlyProjects(t *testing.T) {
	t.Parallel()
	file := `callers:
  - name: dashboard
    token_sha256: ` + hash("dash-token") + `
    projects: ["` + projectA + `"]
    read_only_projects: ["` + projectB + `"]
  - name: auditor
    token_sha256: ` + hash("audit-token") + `
    read_only_projects: ["*"]
`
	a, err := callerauth.Load(writeFile(t, file), callerauth.Options{})
	if err != nil {
		t.Fatal(err)
	}
	icpt := a.UnaryInterceptor()
	reqs := map[string]func(project string) any{
		devenvv1.DevEnvService_GetInstance_FullMethodName: func(p string) any {
			return &devenvv1.GetInstanceRequest{ProjectId: p, InstanceId: "x"}
		},
		devenvv1.DevEnvService_ListInstances_FullMethodName: func(p string) any { return &devenvv1.ListInstancesRequest{ProjectId: p} },
		devenvv1.DevEnvService_CreateInstance_FullMethodName: func(p string) any {
			return &devenvv1.CreateInstanceRequest{ProjectId: p}
		},
		devenvv1.DevEnvService_UpdateInstance_FullMethodName: func(p string) any {
			return &devenvv1.UpdateInstanceRequest{ProjectId: p, InstanceId: "x"}
		},
		devenvv1.DevEnvService_StartInstance_FullMethodName: func(p string) any {
			return &devenvv1.StartInstanceRequest{ProjectId: p, InstanceId: "x"}
		},
		devenvv1.DevEnvService_StopInstance_FullMethodName: func(p string) any {
			return &devenvv1.StopInstanceRequest{ProjectId: p, InstanceId: "x"}
		},
		devenvv1.DevEnvService_ActOnInstance_FullMethodName: func(p string) any {
			return &devenvv1.ActOnInstanceRequest{ProjectId: p, InstanceId: "x"}
		},
		devenvv1.DevEnvService_DeleteInstance_FullMethodName: func(p string) any {
			return &devenvv1.DeleteInstanceRequest{ProjectId: p, InstanceId: "x"}
		},
	}
	reads := map[string]bool{devenvv1.DevEnvService_GetInstance_FullMethodName: true, devenvv1.DevEnvService_ListInstances_FullMethodName: true}
	tests := []struct {
		token, project   string
		readOK, changeOK bool
	}{
		{"dash-token", projectA, true, true},
		{"dash-token", projectB, true, false},
		{"dash-token", "cccccccccccccccccccccccccccccccc", false, false},
		{"audit-token", projectA, true, false},
		{"audit-token", projectB, true, false},
	}
	for _, tt := range tests {
		for method, mk := range reqs {
			ctx := metadata.NewIncomingContext(t.Context(), metadata.Pairs("authorization", "Bearer "+tt.token))
			_, err := icpt(ctx, mk(tt.project), &grpc.UnaryServerInfo{FullMethod: method}, func(context.Context, any) (any, error) { return nil, nil })
			want := tt.changeOK
			if reads[method] {
				want = tt.readOK
			}
			if (err == nil) != want {
				t.Errorf("%s on %s… by %s: %v; want allowed=%v", method, tt.project[:4], tt.token, err, want)
			}
			if err != nil && status.Code(err) != codes.PermissionDenied {
				t.Errorf("%s: code %v; want PermissionDenied", method, status.Code(err))
			}
		}
	}
}

func TestReadOnlyProjects_conflicts(t *testing.T) {
	t.Parallel()
	file := "callers: [{name: a, token_sha256: " + hash("x") + ", projects: ['" + projectA + "'], read_only_projects: ['" + projectA + "']}]"
	if _, err := callerauth.Load(writeFile(t, file), callerauth.Options{}); err == nil || !strings.Contains(err.Error(), "both") {
		t.Errorf("a project in both lists: %v; want an error saying so", err)
	}
}
