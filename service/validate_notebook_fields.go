package service

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Field rules the NotebookService's requests share (the proto documents
// each on its field): notebook, mount and image IDs, enum-like values in
// any case, sort keys, workspaces, free text, and the AIP-158 paging over
// the vendor's offset and limit.

// Limits of the new API's fields, as the proto documents them.
const (
	maxSortKeyLen      = 128
	maxImageNameLen    = 512
	maxNamespaceLen    = 64
	maxImageTagLen     = 64
	maxWorkspaceIDLen  = 32
	maxNotebookTextLen = 512
)

// imageLiteralIDs are the literal segments the vendor's routes put where an
// image ID sits (.../images/group): never an image ID.
var imageLiteralIDs = []string{"group"}

// checkResourceID accepts an ID of 1 to 64 characters from A-Z, a-z, 0-9,
// "-" and "_" (the UUIDs ModelArts issues fit, nothing that could change
// the upstream path does) that is none of literals in any case.
func checkResourceID(field, id string, literals []string) *violation {
	const form = "1 to 64 characters from A-Z, a-z, 0-9, '-' and '_'"
	if id == "" {
		return newViolation(field, violationRequired, field+" is required: "+form)
	}
	if !isIDString(id, maxIDLen) {
		return newViolation(field, violationMalformed, fmt.Sprintf("%s must be %s; got %s", field, form, describe(id)))
	}
	for _, l := range literals {
		if strings.EqualFold(id, l) {
			return newViolation(field, violationMalformed, fmt.Sprintf("%s must not be %q in any case: the vendor's route of that name sits where the ID does; got %s", field, l, describe(id)))
		}
	}
	return nil
}

// checkUpper accepts "" or one of values (upper case) in any ASCII case,
// and returns the value as values spell it ("" for "").
func checkUpper(field, v string, values ...string) (string, *violation) {
	if v == "" {
		return "", nil
	}
	for _, want := range values {
		if strings.EqualFold(v, want) && isASCII(v) {
			return want, nil
		}
	}
	return "", newViolation(field, violationMalformed, fmt.Sprintf("%s must be one of %s (in any case); got %s", field, strings.Join(values, ", "), describe(v)))
}

// isASCII reports whether s is ASCII: strings.EqualFold also folds "ſ"
// (U+017F) to "s" and "K" (U+212A) to "k", which a spelling of the
// vendor's values never holds.
func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// checkSortKey accepts "" or at most 128 characters: names of A-Z, a-z,
// 0-9 and "_" separated by single commas.
func checkSortKey(v string) *violation {
	if v == "" {
		return nil
	}
	ok := len(v) <= maxSortKeyLen
	for _, name := range strings.Split(v, ",") {
		ok = ok && name != ""
		for i := 0; ok && i < len(name); i++ {
			ok = isAlnum(name[i]) || name[i] == '_'
		}
	}
	if !ok {
		return newViolation("sort_key", violationMalformed, fmt.Sprintf("sort_key must be at most %d characters: field names of A-Z, a-z, 0-9 and '_' separated by single commas; got %s", maxSortKeyLen, describe(v)))
	}
	return nil
}

// checkWorkspaceID accepts "0" (the default workspace) or 32 characters
// from a-z and 0-9; "" when it is optional.
func checkWorkspaceID(v string) *violation {
	if v == "" || v == "0" || len(v) == maxWorkspaceIDLen && lowerAlnumOr(v, "") {
		return nil
	}
	return newViolation("workspace_id", violationMalformed, "workspace_id must be \"0\" (the default workspace) or 32 characters from a-z and 0-9; got "+describe(v))
}

// lowerAlnumOr reports whether s holds only a-z, 0-9 and the bytes of
// extra.
func lowerAlnumOr(s, extra string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || strings.IndexByte(extra, c) >= 0) {
			return false
		}
	}
	return true
}

// checkLowerName accepts 1 to max characters from a-z, 0-9, ".", "_" and
// "-" (an image name, an SWR organization), or "" unless required.
func checkLowerName(field, v string, max int, required bool) *violation {
	form := fmt.Sprintf("1 to %d characters from a-z, 0-9, '.', '_' and '-'", max)
	switch {
	case v == "" && required:
		return newViolation(field, violationRequired, field+" is required: "+form)
	case v == "":
		return nil
	case len(v) > max || !lowerAlnumOr(v, "._-"):
		return newViolation(field, violationMalformed, fmt.Sprintf("%s must be %s; got %s", field, form, describe(v)))
	}
	return nil
}

// checkText accepts at most max characters of text (see notText): the
// new API's descriptions of images, whose characters the vendor does not
// restrict.
func checkText(field, d string, max int) *violation {
	switch {
	case !utf8.ValidString(d):
		return newViolation(field, violationMalformed, field+" is not valid UTF-8")
	case utf8.RuneCountInString(d) > max:
		return newViolation(field, violationMalformed, fmt.Sprintf("%s must be at most %d characters; got %d", field, max, utf8.RuneCountInString(d)))
	}
	if i := strings.IndexFunc(d, notText); i >= 0 {
		return newViolation(field, violationMalformed, fmt.Sprintf("%s must not contain %s; got %s", field, notTextWhat(d[i:]), describe(d)))
	}
	return nil
}

// pagingRequest is a list request with the vendor's offset and limit and
// AIP-158's page_size and page_token.
type pagingRequest interface {
	GetOffset() int32
	GetLimit() int32
	GetPageSize() int32
	GetPageToken() string
}

// checkPaging checks the paging fields of req: offset, limit and
// page_size in range, and AIP-158 paging not mixed with the vendor's.
func checkPaging(req pagingRequest) []*violation {
	vs := violations(checkRange("offset", int(req.GetOffset()), 0, maxListOffset),
		checkRange("limit", int(req.GetLimit()), 0, maxListLimit),
		checkRange("page_size", int(req.GetPageSize()), 0, maxListLimit))
	if (req.GetPageSize() != 0 || req.GetPageToken() != "") && (req.GetOffset() != 0 || req.GetLimit() != 0) {
		vs = append(vs, newViolation("page_token", violationMalformed,
			"page_size and page_token page on their own: do not combine them with offset or limit"))
	}
	return vs
}

// aipPaging reports whether req pages with page_size and page_token.
func aipPaging(req pagingRequest) bool {
	return req.GetPageSize() != 0 || req.GetPageToken() != ""
}
