package service

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	devenvv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/devenv/v1"
	"github.com/devenv-facade/devenv-facade/internal/callctx"
	"github.com/devenv-facade/devenv-facade/internal/reqcheck"
)

// Rules of the vendor's reference (spec §1.1, §1.2), checked before
// ModelArts is called.
const (
	maxNameLen          = 64
	maxDescriptionLen   = 512
	maxProfileIDLen     = 128
	maxFlavorLen        = 128
	maxPathLen          = 1024
	minAutoStopDuration = 3600
	maxAutoStopDuration = 86400
	maxAnnotations      = reqcheck.MaxAnnotations
	maxAnnotationKey    = 128
	maxAnnotationValue  = 1024
	maxExtendStorage    = reqcheck.MaxExtendStorage
	maxVolumeUnit       = 16
	maxListLimit        = 1000
	maxListOffset       = 1_000_000
	defaultPageSize     = 100
	maxIDLen            = 64
)

// forbiddenInDescription are the characters the vendor refuses in a
// description (ModelArts.6334).
const forbiddenInDescription = `&<>"'/`

// Values the vendor accepts.
var (
	instanceStatuses = []string{"CREATING", "CREATE_FAILED", "STARTING", "RESTARTING", "START_FAILED", "RUNNING",
		"STOPPING", "STOPPED", "UNAVAILABLE", "DELETED", "RESIZING", "RESIZE_FAILED"}
	storageTypes = []string{"obs", "evs", "efs", "obsfs"}
	sortFields   = []string{"name", "creation_timestamp"}
	sortOrders   = []string{"asc", "desc"}
	actions      = []string{actionStart, actionStop}
)

// The actions of the action endpoint.
const (
	actionStart = "start"
	actionStop  = "stop"
)

func validateCreateInstance(req *devenvv1.CreateInstanceRequest) []*violation {
	vs := violations(checkProjectID(req.GetProjectId()), checkName(req.GetName()), checkProfileID(req.GetProfileId()),
		checkFlavor(req.GetFlavor()))
	if req.Description != nil {
		vs = appendIf(vs, checkDescription("description", req.GetDescription()))
	}
	spec := req.GetSpec()
	if spec == nil || spec.GetStorage() == nil {
		vs = append(vs, newViolation("spec.storage", violationRequired, "spec.storage is required: the instance's storage, for example {\"type\": \"obs\", \"location\": {\"path\": \"/bucket/dir/\"}}"))
	} else {
		vs = append(vs, checkStorage("spec.storage", spec.GetStorage())...)
	}
	if n := len(spec.GetExtendStorage()); n > maxExtendStorage {
		vs = append(vs, newViolation("spec.extend_storage", violationMalformed,
			fmt.Sprintf("spec.extend_storage may have at most %d entries; got %d", maxExtendStorage, n)))
	} else {
		for i, st := range spec.GetExtendStorage() {
			vs = append(vs, checkStorage(fmt.Sprintf("spec.extend_storage[%d]", i), st)...)
		}
	}
	if spec.GetAutoStop() != nil {
		vs = append(vs, checkAutoStop("spec.auto_stop", spec.GetAutoStop())...)
	}
	vs = append(vs, checkAnnotations("spec.annotations", spec.GetAnnotations())...)
	if req.GetWorkspace() != nil {
		vs = appendIf(vs, checkOptionalID("workspace.id", req.GetWorkspace().GetId()))
	}
	if p := req.GetPool(); p != nil {
		if p.GetId() == "" {
			vs = append(vs, newViolation("pool.id", violationRequired, "pool.id is required when pool is set"))
		} else {
			vs = appendIf(vs, checkOptionalID("pool.id", p.GetId()))
		}
		vs = appendIf(vs, checkOptionalID("pool.name", p.GetName()))
		vs = appendIf(vs, checkOptionalID("pool.type", p.GetType()))
		if id := p.GetOwner().GetProjectId(); id != "" && !callctx.ValidProjectID(id) {
			vs = append(vs, newViolation("pool.owner.project_id", violationMalformed,
				fmt.Sprintf("pool.owner.project_id must be 32 lowercase hexadecimal characters; got %s", describe(id))))
		}
	}
	if a := req.GetAiProject(); a != nil {
		vs = appendIf(vs, checkOptionalID("ai_project.id", a.GetId()))
	}
	return vs
}

func validateListInstances(req *devenvv1.ListInstancesRequest) []*violation {
	vs := violations(checkProjectID(req.GetProjectId()),
		checkOneOf("de_type", req.GetDeType(), []string{"Notebook"}),
		checkOneOf("provision_type", req.GetProvisionType(), []string{"Docker"}),
		checkOneOf("status", req.GetStatus(), instanceStatuses),
		checkOneOf("sortby", req.GetSortby(), sortFields),
		checkOneOf("order", req.GetOrder(), sortOrders),
		checkShowSelf(req.GetShowSelf()),
		checkOptionalID("workspace_id", req.GetWorkspaceId()),
		checkOptionalID("pool_id", req.GetPoolId()),
		checkOptionalID("ai_project", req.GetAiProject()),
		checkRange("offset", int(req.GetOffset()), 0, maxListOffset),
		checkRange("limit", int(req.GetLimit()), 0, maxListLimit),
		checkRange("page_size", int(req.GetPageSize()), 0, maxListLimit))
	if (req.GetPageSize() != 0 || req.GetPageToken() != "") && (req.GetOffset() != 0 || req.GetLimit() != 0) {
		vs = append(vs, newViolation("page_token", violationMalformed,
			"page_size and page_token page on their own: do not combine them with offset or limit"))
	}
	return vs
}

func validateGetInstance(req *devenvv1.GetInstanceRequest) []*violation {
	return violations(checkProjectID(req.GetProjectId()), checkInstanceID(req.GetInstanceId()))
}

func validateUpdateInstance(req *devenvv1.UpdateInstanceRequest) []*violation {
	vs := violations(checkProjectID(req.GetProjectId()), checkInstanceID(req.GetInstanceId()))
	if req.Description != nil {
		vs = appendIf(vs, checkDescription("description", req.GetDescription()))
	}
	if as := req.GetSpec().GetAutoStop(); as != nil {
		vs = append(vs, checkAutoStop("spec.auto_stop", as)...)
	}
	return vs
}

func validateStartInstance(req *devenvv1.StartInstanceRequest) []*violation {
	return violations(checkProjectID(req.GetProjectId()), checkInstanceID(req.GetInstanceId()))
}

func validateStopInstance(req *devenvv1.StopInstanceRequest) []*violation {
	return violations(checkProjectID(req.GetProjectId()), checkInstanceID(req.GetInstanceId()))
}

func validateActOnInstance(req *devenvv1.ActOnInstanceRequest) []*violation {
	vs := violations(checkProjectID(req.GetProjectId()), checkInstanceID(req.GetInstanceId()))
	if req.GetAction() == "" {
		return append(vs, newViolation("action", violationRequired, `action is required: "start" or "stop"`))
	}
	return appendIf(vs, checkOneOf("action", req.GetAction(), actions))
}

func appendIf(vs []*violation, v *violation) []*violation {
	if v != nil {
		return append(vs, v)
	}
	return vs
}

// checkName accepts 1 to 64 characters from A-Z, a-z, 0-9, "-" and "_".
func checkName(name string) *violation {
	const field = "name"
	if name == "" {
		return newViolation(field, violationRequired, "name is required: 1 to 64 characters from A-Z, a-z, 0-9, '-' and '_'")
	}
	if !isIDString(name, maxNameLen) {
		return newViolation(field, violationMalformed, fmt.Sprintf("name must be 1 to 64 characters from A-Z, a-z, 0-9, '-' and '_'; got %s", describe(name)))
	}
	return nil
}

// isIDString reports whether s is 1 to max characters from A-Z, a-z, 0-9,
// "-" and "_".
func isIDString(s string, max int) bool {
	if s == "" || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// checkOptionalID accepts "" or an ID of 1 to 64 characters from A-Z,
// a-z, 0-9, ".", "-" and "_" that starts with a letter or digit (so ".."
// and "-x" are not IDs).
func checkOptionalID(field, id string) *violation {
	if id == "" || isDottedID(id, maxIDLen) {
		return nil
	}
	return newViolation(field, violationMalformed, fmt.Sprintf("%s must be 1 to %d characters from A-Z, a-z, 0-9, '.', '-' and '_', starting with a letter or digit; got %s", field, maxIDLen, describe(id)))
}

// isDottedID reports whether s is 1 to max characters from A-Z, a-z, 0-9,
// ".", "-" and "_", the first a letter or digit.
func isDottedID(s string, max int) bool {
	if s == "" || len(s) > max || !isAlnum(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; !isAlnum(c) && c != '-' && c != '_' && c != '.' {
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// checkDescription accepts at most 512 characters of text (see notText)
// without any of & < > " ' /.
func checkDescription(field, d string) *violation {
	return checkDescriptionOf(field, d, forbiddenInDescription)
}

// checkDescriptionOf accepts at most 512 characters of text (see
// notText) without any of forbidden.
func checkDescriptionOf(field, d, forbidden string) *violation {
	switch {
	case !utf8.ValidString(d):
		return newViolation(field, violationMalformed, field+" is not valid UTF-8")
	case utf8.RuneCountInString(d) > maxDescriptionLen:
		return newViolation(field, violationMalformed, fmt.Sprintf("%s must be at most %d characters; got %d", field, maxDescriptionLen, utf8.RuneCountInString(d)))
	case strings.ContainsAny(d, forbidden):
		return newViolation(field, violationMalformed, fmt.Sprintf("%s must not contain any of %s; got %s", field, forbidden, describe(d)))
	}
	if i := strings.IndexFunc(d, notText); i >= 0 {
		return newViolation(field, violationMalformed, fmt.Sprintf("%s must not contain %s; got %s", field, notTextWhat(d[i:]), describe(d)))
	}
	return nil
}

// notText reports whether r is not a character of free text: a control
// character (C0, DEL, C1, so also newline, tab and ESC), a format character
// (Unicode category Cf: the bidirectional controls such as U+202E, the
// zero-width characters U+200B-U+200D and U+2060, the byte order mark
// U+FEFF, the soft hyphen), a line or paragraph separator (U+2028,
// U+2029), or a noncharacter (U+FDD0-U+FDEF, U+FFFE and U+FFFF of every
// plane). Private use and unassigned code points are text (a character
// added to Unicode later may be an emoji). The vendor's charset for its
// text fields excludes only & < > " ' /; these are refused too because
// they change how text reads or where it breaks without being seen.
func notText(r rune) bool {
	return unicode.In(r, unicode.Cc, unicode.Cf, unicode.Zl, unicode.Zp) ||
		0xFDD0 <= r && r <= 0xFDEF || r&0xFFFE == 0xFFFE
}

// notTextWhat names the character s starts with, and its kind, for an
// error: "U+2028 (a line or paragraph separator)".
func notTextWhat(s string) string {
	r, _ := utf8.DecodeRuneInString(s)
	kind := "a noncharacter"
	switch {
	case unicode.Is(unicode.Cc, r):
		kind = "a control character"
	case unicode.Is(unicode.Cf, r):
		kind = "a format character: bidirectional control, zero-width character or byte order mark"
	case unicode.In(r, unicode.Zl, unicode.Zp):
		kind = "a line or paragraph separator"
	}
	return fmt.Sprintf("%U (%s)", r, kind)
}

// checkProfileID accepts 1 to 128 printable characters (characters, not
// bytes: a profile name may hold any script).
func checkProfileID(id string) *violation {
	const field = "profile_id"
	switch {
	case id == "":
		return newViolation(field, violationRequired, "profile_id is required: the environment image, for example \"Multi-Engine 1.0 (python3)-cpu\"")
	case !utf8.ValidString(id) || utf8.RuneCountInString(id) > maxProfileIDLen || strings.IndexFunc(id, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0:
		return newViolation(field, violationMalformed, fmt.Sprintf("profile_id must be 1 to %d printable characters; got %s", maxProfileIDLen, describe(id)))
	}
	return nil
}

// checkFlavor accepts 1 to 128 characters from A-Z, a-z, 0-9, ".", "-"
// and "_", starting with a letter or digit ("modelarts.vm.cpu.2u").
func checkFlavor(f string) *violation {
	const field = "flavor"
	if f == "" {
		return newViolation(field, violationRequired, "flavor is required, for example \"modelarts.vm.cpu.2u\"")
	}
	if !isDottedID(f, maxFlavorLen) {
		return newViolation(field, violationMalformed, fmt.Sprintf("flavor must be 1 to %d characters from A-Z, a-z, 0-9, '.', '-' and '_', starting with a letter or digit; got %s", maxFlavorLen, describe(f)))
	}
	return nil
}

// checkStorage checks a storage definition: a known type, a path of the
// type's form (see checkPath) and, if set, a volume size of 0 or more and
// a unit of 1 to 16 letters ("GB").
func checkStorage(field string, st *devenvv1.Storage) []*violation {
	var vs []*violation
	switch t := st.GetType(); {
	case t == "":
		vs = append(vs, newViolation(field+".type", violationRequired, field+".type is required: "+strings.Join(storageTypes, ", ")))
	case !slices.Contains(storageTypes, t):
		vs = append(vs, newViolation(field+".type", violationMalformed, fmt.Sprintf("%s.type must be one of %s; got %s", field, strings.Join(storageTypes, ", "), describe(t))))
	}
	path := st.GetLocation().GetPath()
	pf := field + ".location.path"
	switch {
	case path == "" && st.GetType() == "obs":
		vs = append(vs, newViolation(pf, violationRequired, pf+" is required for OBS storage: a directory such as \"/bucket/dir/\""))
	case path == "":
	case len(path) > maxPathLen || !utf8.ValidString(path):
		vs = append(vs, newViolation(pf, violationMalformed, fmt.Sprintf("%s must be at most %d bytes of UTF-8; got %s", pf, maxPathLen, describe(path))))
	default:
		if why := checkPath(st.GetType(), path); why != "" {
			vs = append(vs, newViolation(pf, violationMalformed, fmt.Sprintf("%s %s; got %s", pf, why, describe(path))))
		}
	}
	loc := st.GetLocation()
	if loc == nil {
		return vs
	}
	if loc.VolumeSize != nil && loc.GetVolumeSize() < 0 {
		vs = append(vs, newViolation(field+".location.volume_size", violationMalformed,
			fmt.Sprintf("%s.location.volume_size must be 0 or more; got %d", field, loc.GetVolumeSize())))
	}
	if u := loc.GetVolumeUnit(); loc.VolumeUnit != nil && !isLetters(u, maxVolumeUnit) {
		vs = append(vs, newViolation(field+".location.volume_unit", violationMalformed,
			fmt.Sprintf("%s.location.volume_unit must be 1 to %d letters, such as \"GB\"; got %s", field, maxVolumeUnit, describe(u))))
	}
	return vs
}

// isLetters reports whether s is 1 to max characters from A-Z and a-z.
func isLetters(s string, max int) bool {
	if s == "" || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i] | 0x20; c < 'a' || c > 'z' {
			return false
		}
	}
	return true
}

// checkAutoStop accepts a duration of 3600 to 86400 seconds, required when
// auto-stop is enabled.
func checkAutoStop(field string, as *devenvv1.AutoStop) []*violation {
	df := field + ".duration"
	switch {
	case as.Duration == nil && as.GetEnable():
		return []*violation{newViolation(df, violationRequired, fmt.Sprintf("%s is required when auto-stop is enabled: %d to %d seconds", df, minAutoStopDuration, maxAutoStopDuration))}
	case as.Duration != nil && (as.GetDuration() < minAutoStopDuration || as.GetDuration() > maxAutoStopDuration):
		return []*violation{newViolation(df, violationMalformed, fmt.Sprintf("%s must be %d to %d seconds; got %d", df, minAutoStopDuration, maxAutoStopDuration, as.GetDuration()))}
	case as.StopTimestamp != nil || as.RemainTime != nil:
		return []*violation{newViolation(field, violationMalformed, field+".stop_timestamp and remain_time are set by ModelArts, not by callers")}
	}
	return nil
}

// checkAnnotations accepts at most 64 annotations; keys of 1 to 128
// characters from A-Z, a-z, 0-9, ".", "-", "_" and "/", starting with a
// letter or digit (the characters of Kubernetes annotation keys); values
// of at most 1024 bytes of text (see notText). It reports the first bad
// entry in key order.
func checkAnnotations(field string, m map[string]string) []*violation {
	if len(m) > maxAnnotations {
		return []*violation{newViolation(field, violationMalformed, fmt.Sprintf("%s may have at most %d entries; got %d", field, maxAnnotations, len(m)))}
	}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		v := m[k]
		switch {
		case !isAnnotationKey(k):
			return []*violation{newViolation(field, violationMalformed, fmt.Sprintf(
				"%s keys must be 1 to %d characters from A-Z, a-z, 0-9, '.', '-', '_' and '/', starting with a letter or digit; got %s", field, maxAnnotationKey, describe(k)))}
		case len(v) > maxAnnotationValue || !utf8.ValidString(v):
			return []*violation{newViolation(field, violationMalformed, fmt.Sprintf(
				"%s values must be at most %d bytes of UTF-8; the value of %s is not", field, maxAnnotationValue, describe(k)))}
		}
		if i := strings.IndexFunc(v, notText); i >= 0 {
			return []*violation{newViolation(field, violationMalformed, fmt.Sprintf(
				"%s values must not contain %s; the value of %s does", field, notTextWhat(v[i:]), describe(k)))}
		}
	}
	return nil
}

// isAnnotationKey reports whether k is 1 to 128 characters from A-Z, a-z,
// 0-9, ".", "-", "_" and "/", the first a letter or digit.
func isAnnotationKey(k string) bool {
	if k == "" || len(k) > maxAnnotationKey || !isAlnum(k[0]) {
		return false
	}
	for i := 1; i < len(k); i++ {
		if c := k[i]; !isAlnum(c) && c != '-' && c != '_' && c != '.' && c != '/' {
			return false
		}
	}
	return true
}

// checkOneOf accepts "" or one of values.
func checkOneOf(field, v string, values []string) *violation {
	if v == "" || slices.Contains(values, v) {
		return nil
	}
	return newViolation(field, violationMalformed, fmt.Sprintf("%s must be one of %s; got %s", field, strings.Join(values, ", "), describe(v)))
}

// checkShowSelf accepts "true" and "false" in any (ASCII) case: the vendor
// types show_self as a string, and its Python clients send "True" and
// "False".
func checkShowSelf(v string) *violation {
	if _, ok := showSelfValue(v); v == "" || ok {
		return nil
	}
	return newViolation("show_self", violationMalformed, "show_self must be true or false (in any case); got "+describe(v))
}

// showSelfValue returns show_self as the reference writes it, "true" or
// "false", and whether v is one of them in some case. Only ASCII letters
// are folded: "falſe" (with a long s) is not "false".
func showSelfValue(v string) (string, bool) {
	for _, want := range [...]string{"true", "false"} {
		if len(v) != len(want) {
			continue
		}
		same := true
		for i := 0; same && i < len(v); i++ {
			same = v[i]|0x20 == want[i]
		}
		if same {
			return want, true
		}
	}
	return "", false
}

// checkRange accepts lo to hi.
func checkRange(field string, v, lo, hi int) *violation {
	if v < lo || v > hi {
		return newViolation(field, violationMalformed, fmt.Sprintf("%s must be %d to %d; got %d", field, lo, hi, v))
	}
	return nil
}
