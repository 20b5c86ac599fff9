package service

import (
	"fmt"
	"maps"
	"net"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	devenvv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/devenv/v1"
	"github.com/devenv-facade/devenv-facade/internal/apierror"
)

// The fuzz targets of this file and of validate_list_update_fuzz_test.go
// drive validateCreateInstance, validateListInstances and
// validateUpdateInstance with arbitrary requests and hold them to an
// oracle restating docs/api.md's "Input rules" on its own terms (regular
// expressions, segment lists): the fields a request is rejected for must
// be exactly those the oracle finds bad, a request that passes must
// satisfy every rule, and nothing may panic. `make fuzz` runs them.

// The documented shapes, as regular expressions.
var (
	fzProjectRE = regexp.MustCompile(`^[0-9a-f]{32}$`)
	fzNameRE    = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`) // name and instance_id
	fzFlavorRE  = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)
	fzOptIDRE   = regexp.MustCompile(`^([A-Za-z0-9][A-Za-z0-9._-]{0,63})?$`) // workspace, pool, AI project
	fzAnnKeyRE  = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._/-]{0,127}$`)
	fzBucketRE  = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
	fzMountRE   = regexp.MustCompile(`^(/[A-Za-z0-9._][A-Za-z0-9._-]*)+/?$`) // evs, efs
)

// fzInvisible reports whether r is refused in free text: controls,
// formats, the line and paragraph separators (the only characters of
// their categories) and the noncharacters. Private use and unassigned
// code points are text.
func fzInvisible(r rune) bool {
	return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == 0x2028 || r == 0x2029 ||
		r >= 0xFDD0 && r <= 0xFDEF || r%0x10000 >= 0xFFFE
}

// fzText reports whether s is valid UTF-8 without an fzInvisible
// character.
func fzText(s string) bool {
	return utf8.ValidString(s) && strings.IndexFunc(s, fzInvisible) < 0
}

// fzControl reports whether s holds a control character: C0, DEL or C1.
func fzControl(s string) bool {
	for _, r := range s {
		if r < 0x20 || r >= 0x7f && r <= 0x9f {
			return true
		}
	}
	return false
}

// fzDescriptionOK: at most 512 characters of UTF-8, none of & < > " ' /,
// no control, format, separator or noncharacters.
func fzDescriptionOK(d string) bool {
	return fzText(d) && utf8.RuneCountInString(d) <= 512 && !strings.ContainsAny(d, `&<>"'/`) && !fzControl(d)
}

// fzProfileOK: 1 to 128 characters of printable UTF-8 (unicode.IsPrint: letters,
// marks, numbers, punctuation, symbols and the ASCII space).
func fzProfileOK(p string) bool {
	if p == "" || !utf8.ValidString(p) || utf8.RuneCountInString(p) > 128 {
		return false
	}
	return strings.IndexFunc(p, func(r rune) bool { return !unicode.IsPrint(r) }) < 0
}

// fzOBSDir: "/bucket/dir/...": starts and ends with "/"; a bucket name of
// OBS (3 to 63 of a-z 0-9 - ., alphanumeric at both ends, no "..", ".-",
// "-.", not an IP address); directory segments (at least one unless root
// is allowed), none empty, "." or "..", none holding what OBS says to
// avoid or invisible characters; and all of it again after NFKC.
func fzOBSDir(p string, root bool) bool {
	if !fzOBSDirAsWritten(p, root) {
		return false
	}
	n := norm.NFKC.String(p)
	return n == p || strings.Count(n, "/") == strings.Count(p, "/") && !strings.Contains(n, `\`) && fzOBSDirAsWritten(n, root)
}

func fzOBSDirAsWritten(p string, root bool) bool {
	if len(p) < 2 || p[0] != '/' || p[len(p)-1] != '/' {
		return false
	}
	segs := strings.Split(p[1:len(p)-1], "/")
	b := segs[0]
	if !fzBucketRE.MatchString(b) || strings.Contains(b, "..") || strings.Contains(b, ".-") || strings.Contains(b, "-.") || net.ParseIP(b) != nil {
		return false
	}
	if len(segs) < 2 && !root {
		return false
	}
	for _, s := range segs[1:] {
		if s == "" || s == "." || s == ".." || strings.ContainsAny(s, "\\{}^%`[]\"<>~#|?") || !fzText(s) {
			return false
		}
	}
	return true
}

// fzMountPath: an absolute path of POSIX portable names, none "." or ".."
// or starting with "-".
func fzMountPath(p string) bool {
	if !fzMountRE.MatchString(p) {
		return false
	}
	for _, s := range strings.Split(p, "/") {
		if s == "." || s == ".." {
			return false
		}
	}
	return true
}

// fzStorageBad returns the fields of st (named under prefix) the rules
// reject.
func fzStorageBad(prefix string, st *devenvv1.Storage) []string {
	var bad []string
	typ := st.GetType()
	if !slices.Contains([]string{"obs", "evs", "efs", "obsfs"}, typ) {
		bad = append(bad, prefix+".type")
	}
	path, ok := st.GetLocation().GetPath(), true
	switch {
	case path == "":
		ok = typ != "obs"
	case len(path) > 1024 || !utf8.ValidString(path):
		ok = false
	case typ == "obs" || typ == "obsfs":
		ok = fzOBSDir(path, typ == "obsfs")
	case typ == "evs" || typ == "efs":
		ok = fzMountPath(path)
	}
	if !ok {
		bad = append(bad, prefix+".location.path")
	}
	return bad
}

// fzAutoStopBad returns the auto-stop field the rules reject, or "": a
// duration outside 3600-86400, or none though enabled; else the read-only
// fields, which callers do not set.
func fzAutoStopBad(prefix string, as *devenvv1.AutoStop) string {
	if as == nil {
		return ""
	}
	if d := as.Duration; d == nil && as.GetEnable() || d != nil && (*d < 3600 || *d > 86400) {
		return prefix + ".duration"
	}
	if as.StopTimestamp != nil || as.RemainTime != nil {
		return prefix
	}
	return ""
}

// fzFields returns the fields of vs, sorted, after checking each violation
// is well formed and the error they make can be sent.
func fzFields(t *testing.T, vs []*violation) []string {
	t.Helper()
	var fields []string
	for _, v := range vs {
		if v == nil {
			t.Fatal("a nil violation")
		}
		if r := v.GetReason(); r != apierror.ViolationRequired && r != apierror.ViolationMalformed {
			t.Errorf("violation %v: reason %q", v, r)
		}
		if v.GetDescription() == "" || !utf8.ValidString(v.GetDescription()) || !utf8.ValidString(v.GetField()) {
			t.Errorf("violation %v: description empty or not UTF-8", v)
		}
		fields = append(fields, v.GetField())
	}
	if len(vs) > 0 {
		if _, err := proto.Marshal(status.Convert(apierror.InvalidArgument("r", vs...)).Proto()); err != nil {
			t.Fatalf("the status cannot be sent: %v", err)
		}
	}
	slices.Sort(fields)
	return fields
}

func fzCompare(t *testing.T, req proto.Message, got, want []string) {
	t.Helper()
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("violations %q; want %q\nrequest: %v", got, want, req)
	}
}

// Bits of the create target's flags: which optional parts the request has.
const (
	fzHasDescription = 1 << iota
	fzHasSpec
	fzHasStorage
	fzHasStorageType
	fzHasLocation
	fzHasExtend
	fzHasExtendType
	fzHasAutoStop
	fzHasEnable
	fzEnable
	fzHasDuration
	fzHasStopTimestamp
	fzHasRemainTime
	fzHasAnnotation
	fzManyAnnotations
	fzHasWorkspace
	fzHasWorkspaceID
	fzHasPool
	fzHasPoolID
	fzHasAIProject
	fzHasAIProjectID
	fzWait
	// The grow bits repeat a field's string (see fzGrow), so that the
	// fuzzer reaches the length limits with short inputs: long inputs make
	// its minimization, and so the whole run, slow.
	fzGrowName
	fzGrowDescription
	fzGrowProfile
	fzGrowFlavor
	fzGrowPath // path becomes "/bucket/" + path repeated + "/"
	fzGrowAnnotationValue
	fzGrowIDs // workspace, pool and AI project IDs
)

// fzGrow returns s repeated 1 + reps%1100 times (at most about 8 KiB), which
// reaches every length limit of the rules and just past it.
func fzGrow(s string, reps uint16) string {
	n := 1 + int(reps)%1100
	if s == "" {
		return s
	}
	if len(s)*n > 8<<10 {
		n = 8<<10/len(s) + 1
	}
	return strings.Repeat(s, n)
}

// fzFiller are 64 annotations that, with one more, make too many.
var fzFiller = func() map[string]string {
	m := map[string]string{}
	for i := range 64 {
		m[fmt.Sprintf("fill-%02d", i)] = "v"
	}
	return m
}()

// fzFieldNames returns the fields of vs, sorted.
func fzFieldNames(vs []*violation) []string {
	fields := make([]string, 0, len(vs))
	for _, v := range vs {
		fields = append(fields, v.GetField())
	}
	slices.Sort(fields)
	return fields
}

func FuzzValidateCreateInstance(f *testing.F) {
	const all = fzGrowName - 1 // every part, nothing grown
	valid := uint32(fzHasDescription | fzHasSpec | fzHasStorage | fzHasStorageType | fzHasLocation | fzHasAutoStop | fzHasEnable | fzEnable | fzHasDuration | fzHasWorkspace | fzHasWorkspaceID)
	p := "0123456789abcdef0123456789abcdef"
	type seed struct {
		project, name, description, profile, flavor, stType, path, extType, extPath, annKey, annVal, ws, pool, ai string
		duration                                                                                                  int32
		flags                                                                                                     uint32
		reps                                                                                                      uint16
	}
	const grown = fzGrowName | fzGrowDescription | fzGrowProfile | fzGrowFlavor | fzGrowPath | fzGrowAnnotationValue | fzGrowIDs
	withAnn := uint32(valid | fzHasAnnotation | fzHasPool | fzHasPoolID | fzHasAIProject | fzHasAIProjectID)
	for _, s := range []seed{
		{p, "notebook-d115", "", "Power-Engine 1.0(python3)", "modelarts.kat1.xlarge", "obs", "/aaaaaaaaa/output/", "obsfs", "/fs/x/", "k", "v", "0", "pool-1", "default-ai-project", 3600, valid, 0},
		// The length limits, and one more: name 64, description 512
		// characters, profile 128 characters, flavor 128, path 1024 bytes,
		// annotation value 1024, IDs 64.
		{p, "n", "é", "名", "f", "obs", "d", "", "", "k", "v", "w", "p", "a", 86400, withAnn | grown&^fzGrowDescription&^fzGrowPath&^fzGrowAnnotationValue, 63},
		{p, "n", "é", "名", "f", "obs", "d", "", "", "k", "v", "w", "p", "a", 86400, withAnn | grown&^fzGrowDescription&^fzGrowPath&^fzGrowAnnotationValue, 64},
		{p, "n", "é", "名", "f", "obs", "d", "", "", "k", "v", "w", "p", "a", 3600, withAnn | fzGrowProfile | fzGrowFlavor, 127},
		{p, "n", "é", "名", "f", "obs", "d", "", "", "k", "v", "w", "p", "a", 3600, withAnn | fzGrowProfile | fzGrowFlavor, 128},
		{p, "n", "é", "p", "f", "obs", "d", "", "", "k", "v", "w", "p", "a", 3600, withAnn | fzGrowDescription, 511},
		{p, "n", "é", "p", "f", "obs", "d", "", "", "k", "v", "w", "p", "a", 3600, withAnn | fzGrowDescription, 512},
		{p, "n", "é", "p", "f", "obs", "d", "", "", "k", "v", "w", "p", "a", 3600, withAnn | fzGrowPath | fzGrowAnnotationValue, 1015},
		{p, "n", "é", "p", "f", "obs", "d", "", "", "k", "v", "w", "p", "a", 3600, withAnn | fzGrowPath | fzGrowAnnotationValue, 1016},
		// Bad values everywhere.
		{p, "a b", "a/b", "a\tb", "a b", "OBS", "/bucket/", "nfs", "/x", "", "", "a/b", "", "a b", 3599, all, 0},
		{"", "", "<>&\"'", "", "", "", "", "", "", "k", "v", "", "", "", 0, all, 0},
		{p, "x", "a\x00b\u0085", "\xff", "é", "obs", "/bucket/../dir/", "obs", "//", "\xff", "\xfe", ".", "..", "-", -1, all &^ fzHasDuration, 0},
		{p, "x", "ok", "p", "f", "evs", "/home/ma-user/work", "", "", "", "", "", "", "", 0, valid &^ fzHasDuration &^ fzEnable, 0},
		{p, "x", "ok", "p", "f", "obs", "/bucket/./", "", "", "", "", "", "", "", 3600, valid | fzHasStopTimestamp | fzHasRemainTime, 0},
		{p, "x", "ok", "p", "f", "obs", "obs://bucket/dir/", "", "", "k", "v", "", "", "", 3600, valid | fzHasAnnotation | fzManyAnnotations, 0},
	} {
		f.Add(s.project, s.name, s.description, s.profile, s.flavor, s.stType, s.path, s.extType, s.extPath, s.annKey, s.annVal, s.ws, s.pool, s.ai, s.duration, s.flags, s.reps)
	}
	f.Fuzz(func(t *testing.T, project, name, description, profile, flavor, stType, path, extType, extPath, annKey, annVal, ws, pool, ai string, duration int32, flags uint32, reps uint16) {
		has := func(bit uint32) bool { return flags&bit != 0 }
		grow := func(bit uint32, s *string) {
			if has(bit) {
				*s = fzGrow(*s, reps)
			}
		}
		grow(fzGrowName, &name)
		grow(fzGrowDescription, &description)
		grow(fzGrowProfile, &profile)
		grow(fzGrowFlavor, &flavor)
		grow(fzGrowAnnotationValue, &annVal)
		grow(fzGrowIDs, &ws)
		grow(fzGrowIDs, &pool)
		grow(fzGrowIDs, &ai)
		if has(fzGrowPath) {
			path = "/bucket/" + fzGrow(path, reps) + "/"
		}
		opt := func(bit uint32, s string) *string {
			if has(bit) {
				return proto.String(s)
			}
			return nil
		}
		req := &devenvv1.CreateInstanceRequest{ProjectId: project, Name: name, ProfileId: profile, Flavor: flavor,
			Description: opt(fzHasDescription, description), Wait: has(fzWait)}
		if has(fzHasSpec) {
			req.Spec = &devenvv1.CreateInstanceSpec{}
			if has(fzHasStorage) {
				req.Spec.Storage = &devenvv1.Storage{Type: opt(fzHasStorageType, stType)}
				if has(fzHasLocation) {
					req.Spec.Storage.Location = &devenvv1.StorageLocation{Path: proto.String(path)}
				}
			}
			if has(fzHasExtend) {
				req.Spec.ExtendStorage = []*devenvv1.Storage{
					{Type: opt(fzHasExtendType, extType), Location: &devenvv1.StorageLocation{Path: proto.String(extPath)}},
					{Type: proto.String("obsfs")},
				}
			}
			if has(fzHasAutoStop) {
				as := &devenvv1.AutoStop{Duration: opt32(has(fzHasDuration), duration)}
				if has(fzHasEnable) {
					as.Enable = proto.Bool(has(fzEnable))
				}
				if has(fzHasStopTimestamp) {
					as.StopTimestamp = proto.Int64(1594891408723)
				}
				if has(fzHasRemainTime) {
					as.RemainTime = proto.Int32(3336)
				}
				req.Spec.AutoStop = as
			}
			if has(fzHasAnnotation) {
				req.Spec.Annotations = map[string]string{}
				if has(fzManyAnnotations) {
					maps.Copy(req.Spec.Annotations, fzFiller)
				}
				req.Spec.Annotations[annKey] = annVal
			}
		}
		if has(fzHasWorkspace) {
			req.Workspace = &devenvv1.Workspace{Id: opt(fzHasWorkspaceID, ws)}
		}
		if has(fzHasPool) {
			req.Pool = &devenvv1.Pool{Id: opt(fzHasPoolID, pool)}
		}
		if has(fzHasAIProject) {
			req.AiProject = &devenvv1.AIProject{Id: opt(fzHasAIProjectID, ai)}
		}

		got := fzFields(t, validateCreateInstance(req))
		if again := fzFieldNames(validateCreateInstance(req)); !slices.Equal(got, again) {
			t.Fatalf("validating twice: %q, then %q", got, again)
		}

		var want []string
		bad := func(ok bool, field string) {
			if !ok {
				want = append(want, field)
			}
		}
		bad(fzProjectRE.MatchString(project), "project_id")
		bad(fzNameRE.MatchString(name), "name")
		bad(req.Description == nil || fzDescriptionOK(description), "description")
		bad(fzProfileOK(profile), "profile_id")
		bad(fzFlavorRE.MatchString(flavor), "flavor")
		spec := req.GetSpec()
		if spec.GetStorage() == nil {
			want = append(want, "spec.storage")
		} else {
			want = append(want, fzStorageBad("spec.storage", spec.GetStorage())...)
		}
		for i, st := range spec.GetExtendStorage() {
			want = append(want, fzStorageBad(fmt.Sprintf("spec.extend_storage[%d]", i), st)...)
		}
		if field := fzAutoStopBad("spec.auto_stop", spec.GetAutoStop()); field != "" {
			want = append(want, field)
		}
		annOK := len(spec.GetAnnotations()) <= 64
		for k, v := range spec.GetAnnotations() {
			annOK = annOK && fzAnnKeyRE.MatchString(k) && len(v) <= 1024 && fzText(v)
		}
		bad(annOK, "spec.annotations")
		bad(req.Workspace == nil || fzOptIDRE.MatchString(req.GetWorkspace().GetId()), "workspace.id")
		bad(req.Pool == nil || req.GetPool().GetId() != "" && fzOptIDRE.MatchString(req.GetPool().GetId()), "pool.id")
		bad(req.AiProject == nil || fzOptIDRE.MatchString(req.GetAiProject().GetId()), "ai_project.id")
		fzCompare(t, req, got, want)

		if len(got) > 0 {
			return
		}
		// Accepted: every rule holds, spelled out.
		if !fzNameRE.MatchString(req.GetName()) || !fzProjectRE.MatchString(req.GetProjectId()) {
			t.Fatalf("accepted name %q, project %q", req.GetName(), req.GetProjectId())
		}
		if d := req.GetDescription(); strings.ContainsAny(d, `&<>"'/`) || fzControl(d) || utf8.RuneCountInString(d) > 512 || !utf8.ValidString(d) ||
			strings.ContainsAny(d, "\u202e\u200b\u200d\ufeff\u2028\u2029") {
			t.Fatalf("accepted description %q", d)
		}
		for _, st := range append([]*devenvv1.Storage{req.GetSpec().GetStorage()}, req.GetSpec().GetExtendStorage()...) {
			p := st.GetLocation().GetPath()
			segs := strings.Split(norm.NFKC.String(p), "/")
			if p != "" && (!strings.HasPrefix(p, "/") || strings.Contains(p, "//") || slices.Contains(segs, "..") || slices.Contains(segs, ".") ||
				strings.ContainsAny(p, "\\%?#") || fzControl(p)) {
				t.Fatalf("accepted %s path %q", st.GetType(), p)
			}
			if st.GetType() == "obs" && (!strings.HasSuffix(p, "/") || strings.Count(p, "/") < 3) {
				t.Fatalf("accepted OBS path %q", p)
			}
		}
		if as := req.GetSpec().GetAutoStop(); as.GetEnable() && (as.Duration == nil || as.GetDuration() < 3600 || as.GetDuration() > 86400) {
			t.Fatalf("accepted auto-stop %v", as)
		}
	})
}
