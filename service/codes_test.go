package service

import (
	"bufio"
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	rpccode "google.golang.org/genproto/googleapis/rpc/code"
	"google.golang.org/grpc/codes"

	"github.com/devenv-facade/devenv-facade/internal/readme"
)

var update = flag.Bool("update", false, "rewrite the generated sections of README.md")

// vendorRow is one row of the vendor's error-code table.
type vendorRow struct {
	httpStatus int
	code       string
	message    string
}

// readVendorTable reads testdata/modelarts-error-codes.tsv: the vendor's
// error-code table (http_status, error_code, error_message), all 864 rows.
func readVendorTable(t *testing.T) []vendorRow {
	t.Helper()
	f, err := os.Open("../internal/modelarts/testdata/modelarts-error-codes.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows []vendorRow
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	for sc.Scan() {
		cols := strings.Split(sc.Text(), "\t")
		if len(cols) < 3 {
			t.Fatalf("malformed row %q", sc.Text())
		}
		st, err := strconv.Atoi(cols[0])
		if err != nil {
			t.Fatalf("row %q: %v", sc.Text(), err)
		}
		rows = append(rows, vendorRow{st, cols[1], cols[2]})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(rows) != 864 {
		t.Fatalf("read %d rows; the vendor table has 864", len(rows))
	}
	return rows
}

// devEnvironRelevant selects the rows the facade must map: the common
// 00xx/01xx/02xx/04xx codes, the OBS codes 10xx and 1120, the system codes
// 61xx/62xx and the old DevEnviron codes 63xx-65xx.
var devEnvironRelevant = regexp.MustCompile(`^ModelArts\.(0[0124]\d\d|10\d\d|1120|6[1-5]\d\d)$`)

// wantCodes is the test's oracle, written from the API fact sheet
// independently of modelArtsRules: for each gRPC code, the (HTTP status,
// code) pairs that must map to it.
var wantCodes = map[codes.Code][]string{
	codes.InvalidArgument: {
		"400 0101", "400 0104", "400 0107", "400 0210", "400 1120", "400 6303", "400 6316", "400 6317",
		"400 6318", "400 6323", "400 6324", "400 6330", "400 6331", "400 6332", "400 6334", "400 6335",
		"400 6336", "400 6346", "400 6348", "400 6349", "400 6358", "400 6374", "400 6377", "400 6378", "400 6400",
	},
	codes.NotFound:      {"400 0102", "400 0429", "400 6309", "400 6341"},
	codes.AlreadyExists: {"400 0424", "400 6301", "400 6343"},
	codes.PermissionDenied: {
		"403 0108", "500 0109", "401 0112", "403 0112", "403 0210", "400 1003", "401 6201", "401 6203",
		"400 6328", "400 6350",
	},
	codes.Unauthenticated: {
		"401 0201", "401 0202", "401 0203", "403 0203", "400 0204", "401 0204", "401 0205", "401 0206",
		"403 0206", "401 0207", "401 0208", "401 0209", "401 0210", "401 0212",
	},
	codes.ResourceExhausted: {"100 0116", "400 0113", "400 0118", "429 6101", "400 6302", "400 6329"},
	codes.FailedPrecondition: {
		"400 0423", "401 0428", "400 6304", "400 6305", "400 6307", "400 6319", "400 6320", "400 6326",
		"400 6327", "400 6344", "400 6345", "400 6347", "400 6353", "400 6354", "400 6371", "400 6376", "400 6379",
	},
	codes.Aborted:          {"400 6306", "400 6308", "400 6357"},
	codes.Unavailable:      {"400 1002", "500 6200", "400 6333", "400 6355", "400 6360", "400 6528"},
	codes.DeadlineExceeded: {"408 6100"},
	codes.Internal: {
		"500 0010", "400 0420", "400 0421", "400 0422", "400 0425", "400 0426", "400 0427", "400 0428",
		"400 0430", "400 0431", "500 6102", "400 6361",
	},
}

func TestRules_coverEveryRelevantVendorRow(t *testing.T) {
	t.Parallel()
	want := map[string]codes.Code{}
	for c, pairs := range wantCodes {
		for _, p := range pairs {
			st, code, _ := strings.Cut(p, " ")
			key := st + " ModelArts." + code
			if _, dup := want[key]; dup {
				t.Fatalf("oracle lists %s twice", key)
			}
			want[key] = c
		}
	}
	seen := map[string]bool{}
	for _, row := range readVendorTable(t) {
		if !devEnvironRelevant.MatchString(row.code) {
			continue
		}
		key := fmt.Sprintf("%d %s", row.httpStatus, row.code)
		seen[key] = true
		t.Run(strings.ReplaceAll(key, " ", "_"), func(t *testing.T) {
			r, ok := rules.byPair[ruleKey{row.httpStatus, row.code}]
			if !ok {
				t.Fatalf("no rule for the exact pair: it would fall back to the code or the status")
			}
			if got := lookupRule(row.httpStatus, row.code); got != r {
				t.Errorf("lookupRule did not return the exact-pair rule")
			}
			wantCode, ok := want[key]
			if !ok {
				t.Fatalf("the oracle has no expectation for this row")
			}
			if r.grpcCode != wantCode {
				t.Errorf("maps to %v; want %v", r.grpcCode, wantCode)
			}
			if !regexp.MustCompile(`^[A-Z][A-Z0-9_]*[A-Z0-9]$`).MatchString(r.reason) || len(r.reason) > 63 {
				t.Errorf("reason %q is not AIP-193 UPPER_SNAKE_CASE of at most 63 characters", r.reason)
			}
		})
	}
	for key := range want {
		if !seen[key] {
			t.Errorf("oracle row %s is not in the vendor table", key)
		}
	}
	if len(seen) != len(modelArtsRules) {
		t.Errorf("the vendor table has %d relevant rows; modelArtsRules has %d", len(seen), len(modelArtsRules))
	}
}

func TestRules_reasonsAreConsistent(t *testing.T) {
	t.Parallel()
	// One reason must not stand for two different gRPC codes, and a code
	// listed with several statuses keeps one reason unless its meaning
	// changes with the status.
	byReason := map[string]codes.Code{}
	for _, r := range modelArtsRules {
		if c, ok := byReason[r.reason]; ok && c != r.grpcCode {
			t.Errorf("reason %s maps to both %v and %v", r.reason, c, r.grpcCode)
		}
		byReason[r.reason] = r.grpcCode
	}
}

func TestLookupRule_order(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		httpStatus int
		code       string
		wantReason string // "" for no rule
	}{
		{"exact_pair", 403, "ModelArts.0210", "PROJECT_MISMATCH"},
		{"exact_pair_other_status", 400, "ModelArts.0210", "PROJECT_ID_INVALID"},
		{"code_alone_takes_first_row", 500, "ModelArts.0210", "PROJECT_ID_INVALID"},
		{"code_alone_6309", 404, "ModelArts.6309", "INSTANCE_NOT_FOUND"},
		{"unknown_code", 400, "ModelArts.9999", ""},
		{"other_namespace", 404, "APIGW.0101", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := lookupRule(tt.httpStatus, tt.code)
			switch {
			case r == nil && tt.wantReason != "":
				t.Errorf("no rule; want %s", tt.wantReason)
			case r != nil && r.reason != tt.wantReason:
				t.Errorf("reason %s; want %q", r.reason, tt.wantReason)
			}
		})
	}
}

func TestStatusFallback(t *testing.T) {
	t.Parallel()
	tests := map[int]codes.Code{
		400: codes.InvalidArgument, 413: codes.InvalidArgument, 415: codes.InvalidArgument, 422: codes.InvalidArgument,
		401: codes.Unauthenticated, 403: codes.PermissionDenied, 404: codes.NotFound,
		405: codes.Unimplemented, 501: codes.Unimplemented, 408: codes.DeadlineExceeded, 504: codes.DeadlineExceeded,
		409: codes.Aborted, 412: codes.FailedPrecondition, 429: codes.ResourceExhausted,
		502: codes.Unavailable, 503: codes.Unavailable, 500: codes.Internal, 599: codes.Internal,
		418: codes.FailedPrecondition, 451: codes.FailedPrecondition,
		100: codes.Unknown, 302: codes.Unknown, 0: codes.Unknown,
	}
	for st, want := range tests {
		if got := statusFallback(st); got != want {
			t.Errorf("statusFallback(%d) = %v; want %v", st, got, want)
		}
	}
}

// TestREADME_errorMapping keeps README.md's error-mapping tables in step with
// the code. Run `go test ./service -run README -update` after changing a rule.
func TestREADME_errorMapping(t *testing.T) {
	readme.Check(t, "../README.md", map[string]string{
		"error-codes":     modelArtsRulesMarkdown(),
		"status-fallback": statusFallbackMarkdown(),
	}, *update, "go test ./service -run README -update")
}

func modelArtsRulesMarkdown() string {
	var b strings.Builder
	b.WriteString("| ModelArts code | HTTP status | gRPC code | ErrorInfo reason |\n|---|---|---|---|\n")
	for _, r := range modelArtsRules {
		c := codeName(r.grpcCode)
		if r.retryAfter > 0 {
			c += fmt.Sprintf(" (RetryInfo %s)", r.retryAfter)
		}
		fmt.Fprintf(&b, "| `%s` | %d | %s | `%s` |\n", r.code, r.httpStatus, c, r.reason)
	}
	return b.String()
}

// fallbackStatuses lists the statuses statusFallback names explicitly, in
// the order the README shows them.
var fallbackStatuses = []int{400, 413, 415, 422, 401, 403, 404, 405, 501, 408, 504, 409, 412, 429, 502, 503}

func statusFallbackMarkdown() string {
	var b strings.Builder
	b.WriteString("| HTTP status | gRPC code |\n|---|---|\n")
	for _, st := range fallbackStatuses {
		fmt.Fprintf(&b, "| %d | %s |\n", st, codeName(statusFallback(st)))
	}
	fmt.Fprintf(&b, "| other 4xx | %s |\n| other 5xx | %s |\n| 1xx, 3xx | %s |\n",
		codeName(statusFallback(499)), codeName(statusFallback(599)), codeName(statusFallback(302)))
	return b.String()
}

// codeName spells a gRPC code as google.rpc.Code does: INVALID_ARGUMENT.
func codeName(c codes.Code) string {
	return rpccode.Code(c).String()
}

// TestREADME_documentsEveryReason checks that README.md names every reason
// constant the facade can put in ErrorInfo (in service and in mirror).
func TestREADME_documentsEveryReason(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	found := 0
	for _, file := range []string{"errors.go", "../internal/mirror/errors.go"} {
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
				t.Errorf("README.md does not document reason %s (%s)", reason, vs.Names[0].Name)
			}
			return true
		})
	}
	if found < 10 {
		t.Errorf("found only %d Reason constants; the parser is looking in the wrong place", found)
	}
}
