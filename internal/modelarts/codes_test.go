package modelarts_test

import (
	"bufio"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/code"

	"github.com/devenv-facade/devenv-facade/internal/modelarts"
)

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
	f, err := os.Open("testdata/modelarts-error-codes.tsv")
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
// 61xx/62xx, the old DevEnviron codes 63xx-65xx and the notebook API's
// codes of its fact sheet's §7.2 (6600-7008).
var devEnvironRelevant = regexp.MustCompile(`^ModelArts\.(0[0124]\d\d|10\d\d|1120|6[1-5]\d\d|66(00|08|20|99)|67(16|37|68|71|82|89|92|97)|6870|7008)$`)

// notInVendorTable are the codes the rules map although the OTC table lacks
// them: Huawei Cloud's notebook clients see them (fact sheet §7.2), with
// statuses no page states.
var notInVendorTable = map[string]code.Code{
	"401 ModelArts.6401": code.Code_UNAUTHENTICATED,
	"400 ModelArts.6404": code.Code_NOT_FOUND,
	"403 ModelArts.6407": code.Code_PERMISSION_DENIED,
}

// wantCodes is the test's oracle, written from the API fact sheet
// independently of the table in codes.go: for each canonical code, the (HTTP status,
// code) pairs that must map to it.
var wantCodes = map[code.Code][]string{
	code.Code_INVALID_ARGUMENT: {
		"400 0101", "400 0104", "400 0107", "400 0210", "400 1120", "400 6303", "400 6316", "400 6317",
		"400 6318", "400 6323", "400 6324", "400 6330", "400 6331", "400 6332", "400 6334", "400 6335",
		"400 6336", "400 6346", "400 6348", "400 6349", "400 6358", "400 6374", "400 6377", "400 6378", "400 6400",
		"400 6600", "100 6768", "400 6771", "400 6792", "400 6870",
	},
	code.Code_NOT_FOUND:      {"400 0102", "400 0429", "400 6309", "400 6341", "400 6797"},
	code.Code_ALREADY_EXISTS: {"400 0424", "400 6301", "400 6343", "400 6737"},
	code.Code_PERMISSION_DENIED: {
		"403 0108", "500 0109", "401 0112", "403 0112", "403 0210", "400 1003", "401 6201", "401 6203",
		"400 6328", "400 6350", "400 6789",
	},
	code.Code_UNAUTHENTICATED: {
		"401 0201", "401 0202", "401 0203", "403 0203", "400 0204", "401 0204", "401 0205", "401 0206",
		"403 0206", "401 0207", "401 0208", "401 0209", "401 0210", "401 0212", "401 6608", "401 6620",
	},
	code.Code_RESOURCE_EXHAUSTED: {"100 0116", "400 0113", "400 0118", "429 6101", "400 6302", "400 6329", "400 6716"},
	code.Code_FAILED_PRECONDITION: {
		"400 0423", "401 0428", "400 6304", "400 6305", "400 6307", "400 6319", "400 6320", "400 6326",
		"400 6327", "400 6344", "400 6345", "400 6347", "400 6353", "400 6354", "400 6371", "400 6376", "400 6379",
		"400 6782",
	},
	code.Code_ABORTED: {"400 6306", "400 6308", "400 6357"},
	code.Code_UNAVAILABLE: {
		"400 1002", "500 6102", "500 6200", "400 6333", "400 6355", "400 6360", "400 6528", "500 6699", "500 7008",
	},
	code.Code_DEADLINE_EXCEEDED: {"408 6100"},
	code.Code_INTERNAL: {
		"500 0010", "400 0420", "400 0421", "400 0422", "400 0425", "400 0426", "400 0427", "400 0428",
		"400 0430", "400 0431", "400 6361",
	},
}

func TestRules_coverEveryRelevantVendorRow(t *testing.T) {
	t.Parallel()
	want := map[string]code.Code{}
	for c, pairs := range wantCodes {
		for _, p := range pairs {
			st, num, _ := strings.Cut(p, " ")
			key := st + " ModelArts." + num
			if _, dup := want[key]; dup {
				t.Fatalf("oracle lists %s twice", key)
			}
			want[key] = c
		}
	}
	seen := map[string]bool{}
	vendorCodes := map[string]bool{}
	for _, row := range readVendorTable(t) {
		vendorCodes[row.code] = true
		if !devEnvironRelevant.MatchString(row.code) {
			continue
		}
		key := fmt.Sprintf("%d %s", row.httpStatus, row.code)
		seen[key] = true
		t.Run(strings.ReplaceAll(key, " ", "_"), func(t *testing.T) {
			r := modelarts.LookupRule(row.httpStatus, row.code)
			if r == nil || r.HTTPStatus != row.httpStatus || r.Code != row.code {
				t.Fatalf("no rule for the exact pair: it would fall back to the code or the status")
			}
			wantCode, ok := want[key]
			if !ok {
				t.Fatalf("the oracle has no expectation for this row")
			}
			if r.Canonical != wantCode {
				t.Errorf("maps to %v; want %v", r.Canonical, wantCode)
			}
			if !regexp.MustCompile(`^[A-Z][A-Z0-9_]*[A-Z0-9]$`).MatchString(r.Reason) || len(r.Reason) > 63 {
				t.Errorf("reason %q is not AIP-193 UPPER_SNAKE_CASE of at most 63 characters", r.Reason)
			}
		})
	}
	for key := range want {
		if !seen[key] {
			t.Errorf("oracle row %s is not in the vendor table", key)
		}
	}
	for key, wantCode := range notInVendorTable {
		st, c, _ := strings.Cut(key, " ")
		status, _ := strconv.Atoi(st)
		if vendorCodes[c] {
			t.Errorf("%s is in the vendor table now: move it to the oracle", key)
		}
		if r := modelarts.LookupRule(status, c); r == nil || r.HTTPStatus != status || r.Canonical != wantCode {
			t.Errorf("%s: rule %+v; want one for the pair mapping to %v", key, r, wantCode)
		}
	}
	if n := len(modelarts.Rules()); len(seen)+len(notInVendorTable) != n {
		t.Errorf("the vendor table has %d relevant rows and %d codes are mapped beside it; the rules %d", len(seen), len(notInVendorTable), n)
	}
}

func TestRules_reasonsAreConsistent(t *testing.T) {
	t.Parallel()
	// One reason must not stand for two different canonical codes, and a
	// code listed with several statuses keeps one reason unless its
	// meaning changes with the status. (Two vendor codes for one cause
	// share a reason: 6329 and 6716, flavor sold out.)
	byReason := map[string]code.Code{}
	for _, r := range modelarts.Rules() {
		if c, ok := byReason[r.Reason]; ok && c != r.Canonical {
			t.Errorf("reason %s maps to both %v and %v", r.Reason, c, r.Canonical)
		}
		byReason[r.Reason] = r.Canonical
	}
}

// retryableCodes are the canonical codes that tell a caller that trying
// again (later) may succeed.
var retryableCodes = map[code.Code]bool{
	code.Code_UNAVAILABLE: true, code.Code_RESOURCE_EXHAUSTED: true, code.Code_ABORTED: true, code.Code_DEADLINE_EXCEEDED: true,
}

// TestRules_retriesAgreeWithCodes: what the facade does with an answer and
// what it tells the caller agree. An answer the facade retries reaches the
// caller (when the retries run out) with a code that says "retry"; an
// answer answered INTERNAL or FAILED_PRECONDITION is never retried; an
// answer left for the caller to retry has a retryable code; and a delay
// told to the caller is one the facade itself would wait out before
// retrying, or the facade does not retry.
func TestRules_retriesAgreeWithCodes(t *testing.T) {
	t.Parallel()
	policy := modelarts.DefaultRetryPolicy()
	check := func(what string, c code.Code, retry modelarts.RetryClass, delay time.Duration) {
		t.Helper()
		switch {
		case retry != modelarts.RetryFinal && !retryableCodes[c]:
			t.Errorf("%s is %s but answered %v, which tells callers not to retry", what, retry, c)
		case retry == modelarts.RetryFinal && delay > 0:
			t.Errorf("%s is final but has a retry delay of %v", what, delay)
		case retry == modelarts.RetryByFacade && delay > policy.MaxRetryAfter:
			t.Errorf("%s is retried by the facade after at most %v, yet tells callers to wait %v", what, policy.MaxRetryAfter, delay)
		}
		if (c == code.Code_INTERNAL || c == code.Code_FAILED_PRECONDITION) && retry == modelarts.RetryByFacade {
			t.Errorf("%s is answered %v but retried by the facade", what, c)
		}
	}
	for _, r := range modelarts.Rules() {
		check(fmt.Sprintf("%d %s", r.HTTPStatus, r.Code), r.Canonical, r.Retry, r.Delay)
	}
	for st := 100; st < 600; st++ {
		c, retry := modelarts.StatusRule(st)
		check(fmt.Sprintf("HTTP %d without a known code", st), c, retry, 0)
	}
}

// TestRules_decidedDrifts pins the four decisions on codes whose answer and
// handling disagreed (the comments in codes.go say why).
func TestRules_decidedDrifts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		status int
		code   string
		want   code.Code
		retry  modelarts.RetryClass
		delay  time.Duration
	}{
		{400, "ModelArts.1002", code.Code_UNAVAILABLE, modelarts.RetryByFacade, 0},
		{400, "ModelArts.6333", code.Code_UNAVAILABLE, modelarts.RetryByCaller, 2 * time.Minute},
		{500, "ModelArts.6102", code.Code_UNAVAILABLE, modelarts.RetryByFacade, 0},
		{400, "ModelArts.6355", code.Code_UNAVAILABLE, modelarts.RetryByCaller, time.Minute},
		// The notebook API's: 7008 "wait a few minutes" as 6333; 6699
		// "network error" as 6102; not found with 400; 6357 another
		// operation in flight; 6768's status "100" is a documentation
		// artefact, ModelArts (and the emulator) answer 400: the code
		// decides.
		{500, "ModelArts.7008", code.Code_UNAVAILABLE, modelarts.RetryByCaller, 2 * time.Minute},
		{500, "ModelArts.6699", code.Code_UNAVAILABLE, modelarts.RetryByFacade, 0},
		{400, "ModelArts.6404", code.Code_NOT_FOUND, modelarts.RetryFinal, 0},
		{400, "ModelArts.6797", code.Code_NOT_FOUND, modelarts.RetryFinal, 0},
		{400, "ModelArts.6357", code.Code_ABORTED, modelarts.RetryByCaller, 0},
		{400, "ModelArts.6768", code.Code_INVALID_ARGUMENT, modelarts.RetryFinal, 0},
		{100, "ModelArts.6768", code.Code_INVALID_ARGUMENT, modelarts.RetryFinal, 0},
		{400, "ModelArts.6716", code.Code_RESOURCE_EXHAUSTED, modelarts.RetryFinal, 0},
	}
	for _, tt := range tests {
		r := modelarts.LookupRule(tt.status, tt.code)
		if r == nil || r.Canonical != tt.want || r.Retry != tt.retry || r.Delay != tt.delay {
			t.Errorf("%s: %+v; want %v, %v, delay %v", tt.code, r, tt.want, tt.retry, tt.delay)
		}
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
		{"code_alone_6768_sent_with_400", 400, "ModelArts.6768", "SSH_ENDPOINT_REQUIRED"},
		{"unknown_code", 400, "ModelArts.9999", ""},
		{"other_namespace", 404, "APIGW.0101", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := modelarts.LookupRule(tt.httpStatus, tt.code)
			switch {
			case r == nil && tt.wantReason != "":
				t.Errorf("no rule; want %s", tt.wantReason)
			case r != nil && r.Reason != tt.wantReason:
				t.Errorf("reason %s; want %q", r.Reason, tt.wantReason)
			}
		})
	}
}

func TestStatusRule(t *testing.T) {
	t.Parallel()
	tests := map[int]code.Code{
		400: code.Code_INVALID_ARGUMENT, 413: code.Code_INVALID_ARGUMENT, 415: code.Code_INVALID_ARGUMENT, 422: code.Code_INVALID_ARGUMENT,
		401: code.Code_UNAUTHENTICATED, 403: code.Code_PERMISSION_DENIED, 404: code.Code_NOT_FOUND,
		405: code.Code_UNIMPLEMENTED, 501: code.Code_UNIMPLEMENTED, 408: code.Code_DEADLINE_EXCEEDED, 504: code.Code_DEADLINE_EXCEEDED,
		409: code.Code_ABORTED, 412: code.Code_FAILED_PRECONDITION, 429: code.Code_RESOURCE_EXHAUSTED,
		502: code.Code_UNAVAILABLE, 503: code.Code_UNAVAILABLE, 500: code.Code_INTERNAL, 599: code.Code_INTERNAL,
		418: code.Code_FAILED_PRECONDITION, 451: code.Code_FAILED_PRECONDITION,
		100: code.Code_UNKNOWN, 302: code.Code_UNKNOWN, 0: code.Code_UNKNOWN,
	}
	for st, want := range tests {
		if got, _ := modelarts.StatusRule(st); got != want {
			t.Errorf("StatusRule(%d) = %v; want %v", st, got, want)
		}
	}
	for _, st := range []int{502, 503, 504, 429} {
		if _, retry := modelarts.StatusRule(st); retry != modelarts.RetryByFacade {
			t.Errorf("HTTP %d is %v; want it retried by the facade", st, retry)
		}
	}
}
