package callerauth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/reflect/protoreflect"

	rpcv1 "github.com/devenv-facade/devenv-facade/gen/devenvfacade/rpc/v1"
	"github.com/devenv-facade/devenv-facade/internal/rpcdecl"
	"github.com/devenv-facade/devenv-facade/internal/rpcdecl/rpcdecltest"
)

// TestAuthorizationFollowsDeclarations: what each caller may call follows
// the RPC's declaration (package rpcdecl), and an RPC without one, with an
// incomplete one, or unknown to the table fails closed: only callers that
// may change every project may call it. The RPCs are built at test time,
// so that the table holds what no proto of ours may (an RPC without a
// declaration); their requests have a project_id field, which before the
// declarations were read no check looked at.
func TestAuthorizationFollowsDeclarations(t *testing.T) {
	t.Parallel()
	const projectA, projectB = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	decl := rpcdecltest.Declared
	const (
		none, project, instance = rpcv1.Scope_SCOPE_NONE, rpcv1.Scope_SCOPE_PROJECT, rpcv1.Scope_SCOPE_INSTANCE
		read, write, readAll    = rpcv1.Access_ACCESS_READ, rpcv1.Access_ACCESS_WRITE, rpcv1.Access_ACCESS_READ_ALL_USERS
		never                   = rpcv1.Wait_WAIT_NEVER
	)
	notebook := decl(instance, read, never)
	notebook.InstanceField = "notebook_id"
	svc := rpcdecltest.NewService(t, "Authz",
		rpcdecltest.Method{Name: "Undeclared"},
		rpcdecltest.Method{Name: "NoScope", Decl: decl(0, write, never)},
		rpcdecltest.Method{Name: "NoAccess", Decl: decl(project, 0, never)},
		rpcdecltest.Method{Name: "NoneRead", Decl: decl(none, read, never), NoSideEffects: true},
		rpcdecltest.Method{Name: "NoneWrite", Decl: decl(none, write, never)},
		rpcdecltest.Method{Name: "ProjectRead", Decl: decl(project, read, never), NoSideEffects: true},
		rpcdecltest.Method{Name: "ProjectWrite", Decl: decl(project, write, never)},
		rpcdecltest.Method{Name: "ReadAllUsers", Decl: decl(project, readAll, never), NoSideEffects: true},
		rpcdecltest.Method{Name: "NotebookRead", Decl: notebook, NoSideEffects: true},
	)
	hash := func(token string) string { s := sha256.Sum256([]byte(token)); return hex.EncodeToString(s[:]) }
	path := filepath.Join(t.TempDir(), "callers.yaml")
	file := `callers:
  - {name: limited, token_sha256: ` + hash("limited") + `, projects: ["` + projectA + `"]}
  - {name: reader, token_sha256: ` + hash("reader") + `, read_only_projects: ["` + projectA + `"]}
  - {name: admin, token_sha256: ` + hash("admin") + `, projects: ["*"]}
  - {name: auditor, token_sha256: ` + hash("auditor") + `, read_only_projects: ["*"]}
`
	if err := os.WriteFile(path, []byte(file), 0o600); err != nil {
		t.Fatal(err)
	}
	a, err := Load(path, Options{TokenHolders: ForwardTokenHolders})
	if err != nil {
		t.Fatal(err)
	}
	a.rpcs = rpcdecl.New(svc)
	// Who may call each method on project A ("B": on project B), in the
	// order limited, reader, admin, auditor, and a token holder.
	tests := []struct {
		method  string
		project string
		allowed [5]bool
	}{
		{"Undeclared", projectA, [5]bool{false, false, true, false, false}},
		{"NoScope", projectA, [5]bool{false, false, true, false, false}},
		{"NoAccess", projectA, [5]bool{false, false, true, false, false}},
		{"Unknown", projectA, [5]bool{false, false, true, false, false}},
		{"NoneRead", projectA, [5]bool{true, true, true, true, true}},
		{"NoneWrite", projectA, [5]bool{false, false, true, false, false}},
		{"ProjectRead", projectA, [5]bool{true, true, true, true, true}},
		{"ProjectRead", projectB, [5]bool{false, false, true, true, true}},
		{"ProjectWrite", projectA, [5]bool{true, false, true, false, true}},
		{"ProjectWrite", projectB, [5]bool{false, false, true, false, true}},
		{"ReadAllUsers", projectA, [5]bool{true, false, true, false, true}},
		{"NotebookRead", projectA, [5]bool{true, true, true, true, true}},
	}
	callers := []string{"authorization", "Bearer limited", "authorization", "Bearer reader", "authorization", "Bearer admin",
		"authorization", "Bearer auditor", "x-auth-token", "MIIholder"}
	for _, tt := range tests {
		md := svc.Methods().ByName(protoreflect.Name(tt.method))
		if md == nil {
			md = svc.Methods().ByName("ProjectRead") // any request with project_id
		}
		req := rpcdecltest.Request(t, md, map[string]any{"project_id": tt.project, "instance_id": "x", "notebook_id": "n"})
		for i, want := range tt.allowed {
			ctx := metadata.NewIncomingContext(t.Context(), metadata.Pairs(callers[2*i], callers[2*i+1]))
			info := &grpc.UnaryServerInfo{FullMethod: "/" + rpcdecltest.Package + ".Authz/" + tt.method}
			called := false
			_, err := a.UnaryInterceptor()(ctx, req, info, func(context.Context, any) (any, error) {
				called = true
				return nil, nil
			})
			if called != want || (err == nil) != want {
				t.Errorf("%s on %s… by %s: handler called %v, %v; want allowed %v", tt.method, tt.project[:4], callers[2*i+1], called, err, want)
			}
			if err != nil && status.Code(err) != codes.PermissionDenied && status.Code(err) != codes.Unauthenticated {
				t.Errorf("%s by %s: code %v; want PermissionDenied (or Unauthenticated for a token holder)", tt.method, callers[2*i+1], status.Code(err))
			}
		}
	}
	// A malformed project is INVALID_ARGUMENT, named by the declared field.
	ctx := metadata.NewIncomingContext(t.Context(), metadata.Pairs("authorization", "Bearer admin"))
	req := rpcdecltest.Request(t, svc.Methods().ByName("NotebookRead"), map[string]any{"project_id": "../x"})
	if _, err := a.UnaryInterceptor()(ctx, req, &grpc.UnaryServerInfo{FullMethod: "/" + rpcdecltest.Package + ".Authz/NotebookRead"},
		func(context.Context, any) (any, error) { return nil, nil }); status.Code(err) != codes.InvalidArgument {
		t.Errorf("a malformed project: %v; want InvalidArgument", err)
	}
}
