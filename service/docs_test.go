package service

import (
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/devenv-facade/devenv-facade/internal/modelarts"
	"github.com/devenv-facade/devenv-facade/internal/readme"
	"github.com/devenv-facade/devenv-facade/internal/rpcdecl"
)

var update = flag.Bool("update", false, "rewrite the generated sections of docs/errors.md")

// TestDocs_notebookRPCs keeps docs/api.md's table of NotebookService's
// RPCs in step with their declarations and HTTP rules. Run `go test
// ./service -run Docs -update` after changing the proto.
func TestDocs_notebookRPCs(t *testing.T) {
	readme.Check(t, "../docs/api.md", map[string]string{"notebook-rpcs": notebookRPCsMarkdown()}, *update, "go test ./service -run Docs -update")
}

func notebookRPCsMarkdown() string {
	var b strings.Builder
	b.WriteString("| RPC | REST mirror | Callers | `wait` |\n|---|---|---|---|\n")
	for _, rpc := range rpcdecl.Served().RPCs() {
		if rpc.Desc.Parent().FullName() != "modelarts.notebook.v1.NotebookService" {
			continue
		}
		who := "change"
		switch {
		case rpc.ReadsAllUsers():
			who = "read all users"
		case rpc.ReadOnly():
			who = "read"
		}
		waits := ""
		if rpc.WaitsOnRequest() {
			waits = "yes"
		}
		route := "(gRPC only)"
		if rpc.HTTP != nil {
			for method, path := range map[string]string{"GET": rpc.HTTP.GetGet(), "POST": rpc.HTTP.GetPost(), "PUT": rpc.HTTP.GetPut(), "PATCH": rpc.HTTP.GetPatch(), "DELETE": rpc.HTTP.GetDelete()} {
				if path != "" {
					route = "`" + method + " " + path + "`"
				}
			}
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", rpc.Desc.Name(), route, who, waits)
	}
	return b.String()
}

// TestDocs_errorMapping keeps docs/errors.md's error-mapping tables in step with
// the code. Run `go test ./service -run Docs -update` after changing a rule.
func TestDocs_errorMapping(t *testing.T) {
	readme.Check(t, "../docs/errors.md", map[string]string{
		"error-codes":     modelArtsRulesMarkdown(),
		"status-fallback": statusFallbackMarkdown(),
	}, *update, "go test ./service -run Docs -update")
}

func modelArtsRulesMarkdown() string {
	var b strings.Builder
	b.WriteString("| ModelArts code | HTTP status | gRPC code | ErrorInfo reason | Retry |\n|---|---|---|---|---|\n")
	for _, r := range modelarts.Rules() {
		retry := r.Retry.String()
		if r.Delay > 0 {
			retry += fmt.Sprintf(" (RetryInfo %s)", r.Delay)
		}
		fmt.Fprintf(&b, "| `%s` | %d | %s | `%s` | %s |\n", r.Code, r.HTTPStatus, r.Canonical, r.Reason, retry)
	}
	return b.String()
}

// fallbackStatuses lists the statuses StatusRule names explicitly, in the
// order docs/errors.md shows them.
var fallbackStatuses = []int{400, 413, 415, 422, 401, 403, 404, 405, 501, 408, 504, 409, 412, 429, 502, 503}

func statusFallbackMarkdown() string {
	var b strings.Builder
	b.WriteString("| HTTP status | gRPC code | Retry |\n|---|---|---|\n")
	row := func(label string, st int) {
		c, retry := modelarts.StatusRule(st)
		fmt.Fprintf(&b, "| %s | %s | %s |\n", label, c, retry)
	}
	for _, st := range fallbackStatuses {
		row(strconv.Itoa(st), st)
	}
	row("other 4xx", 499)
	row("other 5xx", 599)
	row("1xx, 3xx", 302)
	return b.String()
}

// TestDocs_documentsEveryReason checks that docs/errors.md names every reason
// constant the facade can put in ErrorInfo (package apierror).
func TestDocs_documentsEveryReason(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("../docs/errors.md")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	found := 0
	for _, file := range []string{"../internal/apierror/apierror.go"} {
		f, err := parser.ParseFile(fset, file, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			vs, ok := n.(*ast.ValueSpec)
			if !ok || len(vs.Names) != 1 || len(vs.Values) != 1 || !strings.HasPrefix(vs.Names[0].Name, "Reason") {
				return true
			}
			lit, ok := vs.Values[0].(*ast.BasicLit)
			if !ok {
				return true
			}
			found++
			reason, _ := strconv.Unquote(lit.Value)
			if !strings.Contains(string(readme), "`"+reason+"`") {
				t.Errorf("docs/errors.md does not document reason %s (%s)", reason, vs.Names[0].Name)
			}
			return true
		})
	}
	if found < 10 {
		t.Errorf("found only %d Reason constants; the parser is looking in the wrong place", found)
	}
}
