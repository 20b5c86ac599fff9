package service

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	notebookv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/notebook/v1"
)

// The rules of images' fields (the proto's image requests).
const (
	maxSWRPathLen      = 2048
	maxSWRComponentLen = 128
	maxSWRTagLen       = 128
	maxImageListValues = 2
)

// Values of images' enum-like fields, as the vendor spells them; callers
// may write them in any case.
var (
	imageServiceTypes = []string{"COMMON", "INFERENCE", "TRAIN", "DEV", "UNKNOWN"}
	imageTypes        = []string{"BUILD_IN", "DEDICATED"}
	imageArchs        = []string{"X86_64", "AARCH64"}
	imageOrigins      = []string{"CUSTOMIZE", "IMAGE_SAVE"}
	imageVisibilities = []string{"PRIVATE", "PUBLIC"}
	imageCategories   = []string{"CPU", "GPU"}
	imageServices     = []string{"NOTEBOOK", "SSH"}
)

// checkImageID accepts an image ID (image_id).
func checkImageID(id string) *violation {
	return checkResourceID("image_id", id, imageLiteralIDs)
}

func validateGetImage(req *notebookv1.GetImageRequest) []*violation {
	return violations(checkProjectID(req.GetProjectId()), checkImageID(req.GetImageId()))
}

func validateDeleteImage(req *notebookv1.DeleteImageRequest) []*violation {
	return violations(checkProjectID(req.GetProjectId()), checkImageID(req.GetImageId()))
}

func validateCreateImage(req *notebookv1.CreateImageRequest) []*violation {
	vs := violations(checkProjectID(req.GetProjectId()), checkNotebookID(req.GetNotebookId()),
		checkLowerName("name", req.GetName(), maxImageNameLen, true),
		checkLowerName("namespace", req.GetNamespace(), maxNamespaceLen, true))
	if req.Tag != nil && !isDottedName(req.GetTag(), maxImageTagLen) {
		vs = append(vs, newViolation("tag", violationMalformed, fmt.Sprintf("tag must be 1 to %d characters from A-Z, a-z, 0-9, '.', '_' and '-'; got %s", maxImageTagLen, describe(req.GetTag()))))
	}
	if req.Description != nil {
		vs = appendIf(vs, checkText("description", req.GetDescription(), maxNotebookTextLen))
	}
	if req.WorkspaceId != nil {
		vs = appendIf(vs, checkWorkspaceIDGiven(req.GetWorkspaceId()))
	}
	return vs
}

func validateListImages(req *notebookv1.ListImagesRequest) []*violation {
	_, badService := checkUpper("service_type", req.GetServiceType(), imageServiceTypes...)
	_, badType := checkUpper("type", req.GetType(), imageTypes...)
	_, badDir := checkUpper("sort_dir", req.GetSortDir(), sortDirs...)
	vs := violations(checkProjectID(req.GetProjectId()),
		checkLowerName("name", req.GetName(), maxImageNameLen, false),
		checkLowerName("namespace", req.GetNamespace(), maxNamespaceLen, false),
		badService, badType, badDir, checkSortKey(req.GetSortKey()), checkWorkspaceID(req.GetWorkspaceId()))
	return append(vs, checkPaging(req)...)
}

func validateListImageGroups(req *notebookv1.ListImageGroupsRequest) []*violation {
	_, badType := checkUpper("type", req.GetType(), imageTypes...)
	return violations(checkProjectID(req.GetProjectId()),
		checkLowerName("name", req.GetName(), maxImageNameLen, false),
		checkLowerName("namespace", req.GetNamespace(), maxNamespaceLen, false),
		badType, checkWorkspaceID(req.GetWorkspaceId()))
}

func validateRegisterImage(req *notebookv1.RegisterImageRequest) []*violation {
	vs := violations(checkProjectID(req.GetProjectId()), checkSWRPath(req.GetSwrPath()))
	for _, f := range []struct {
		name   string
		v      *string
		values []string
	}{
		{"arch", req.Arch, imageArchs},
		{"origin", req.Origin, imageOrigins},
		{"service_type", req.ServiceType, imageServiceTypes},
		{"visibility", req.Visibility, imageVisibilities},
	} {
		if f.v == nil {
			continue
		}
		if *f.v == "" {
			vs = append(vs, newViolation(f.name, violationMalformed, fmt.Sprintf("%s must be one of %s (in any case) when set; got \"\"", f.name, strings.Join(f.values, ", "))))
			continue
		}
		_, bad := checkUpper(f.name, *f.v, f.values...)
		vs = appendIf(vs, bad)
	}
	if req.Description != nil {
		vs = appendIf(vs, checkText("description", req.GetDescription(), maxNotebookTextLen))
	}
	if req.WorkspaceId != nil {
		vs = appendIf(vs, checkWorkspaceIDGiven(req.GetWorkspaceId()))
	}
	vs = appendIf(vs, checkUpperSet("resource_category", req.GetResourceCategory(), imageCategories))
	return appendIf(vs, checkUpperSet("services", req.GetServices(), imageServices))
}

// checkWorkspaceIDGiven is checkWorkspaceID for a field that is set: ""
// is not a workspace.
func checkWorkspaceIDGiven(v string) *violation {
	if v == "" {
		return newViolation("workspace_id", violationMalformed, `workspace_id must be "0" (the default workspace) or 32 characters from a-z and 0-9 when set; got ""`)
	}
	return checkWorkspaceID(v)
}

// checkUpperSet accepts at most len(values) entries, each one of values in
// any ASCII case, none twice.
func checkUpperSet(field string, got, values []string) *violation {
	if len(got) > len(values) {
		return newViolation(field, violationMalformed, fmt.Sprintf("%s may have at most %d entries; got %d", field, len(values), len(got)))
	}
	seen := make(map[string]bool, len(got))
	for i, v := range got {
		f := fmt.Sprintf("%s[%d]", field, i)
		if v == "" {
			return newViolation(f, violationMalformed, fmt.Sprintf("%s must be one of %s (in any case); got \"\"", f, strings.Join(values, ", ")))
		}
		want, bad := checkUpper(f, v, values...)
		if bad != nil {
			return bad
		}
		if seen[want] {
			return newViolation(f, violationMalformed, fmt.Sprintf("%s repeats %s", field, want))
		}
		seen[want] = true
	}
	return nil
}

// upperAll returns vs as values spell them (vs already checked).
func upperAll(vs, values []string) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i], _ = checkUpper("", v, values...)
	}
	return out
}

// isDottedName reports whether s is 1 to max characters from A-Z, a-z,
// 0-9, ".", "_" and "-".
func isDottedName(s string, max int) bool {
	if s == "" || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isAlnum(c) && c != '.' && c != '_' && c != '-' {
			return false
		}
	}
	return true
}

// swrRef is an SWR address, [host[:port]/]organization/name:tag.
type swrRef struct {
	host, namespace, name, tag string
}

// checkSWRPath accepts an image's SWR address (see parseSWRPath).
func checkSWRPath(p string) *violation {
	const field = "swr_path"
	const form = `an SWR address, [host[:port]/]organization/name:tag, such as "swr.eu-de.otc.t-systems.com/my-org/pytorch_1_8:v1"`
	if p == "" {
		return newViolation(field, violationRequired, "swr_path is required: "+form)
	}
	if _, why := parseSWRPath(p); why != "" {
		return newViolation(field, violationMalformed, fmt.Sprintf("swr_path must be %s: %s; got %s", form, why, describe(p)))
	}
	return nil
}

// parseSWRPath reads an SWR address, as Docker reads an image reference:
// at most 2048 characters; a first component holding "." or ":" is the
// host (a DNS name or an IP address, with an optional port); the
// organization and each component of the name are 1 to 128 characters
// from a-z, 0-9, ".", "_" and "-"; the tag, required, 1 to 128 characters
// from A-Z, a-z, 0-9, ".", "_" and "-". It returns why p is not one, or
// "".
func parseSWRPath(p string) (swrRef, string) {
	if len(p) > maxSWRPathLen {
		return swrRef{}, fmt.Sprintf("at most %d characters", maxSWRPathLen)
	}
	var ref swrRef
	slash := strings.LastIndexByte(p, '/')
	colon := strings.LastIndexByte(p, ':')
	if colon < 0 || colon < slash {
		return swrRef{}, "the tag (\":tag\") is required"
	}
	repo, tag := p[:colon], p[colon+1:]
	if !isDottedName(tag, maxSWRTagLen) {
		return swrRef{}, fmt.Sprintf("the tag is 1 to %d characters from A-Z, a-z, 0-9, '.', '_' and '-'", maxSWRTagLen)
	}
	ref.tag = tag
	parts := strings.Split(repo, "/")
	if len(parts) > 1 && strings.ContainsAny(parts[0], ".:") {
		if !isRegistryHost(parts[0]) {
			return swrRef{}, "the host is a DNS name or an IP address, with an optional port"
		}
		ref.host, parts = parts[0], parts[1:]
	}
	if len(parts) < 2 {
		return swrRef{}, "an organization and a name are required"
	}
	for _, c := range parts {
		if c == "" || len(c) > maxSWRComponentLen || !lowerAlnumOr(c, "._-") {
			return swrRef{}, fmt.Sprintf("the organization and each component of the name are 1 to %d characters from a-z, 0-9, '.', '_' and '-'", maxSWRComponentLen)
		}
	}
	ref.namespace, ref.name = parts[0], strings.Join(parts[1:], "/")
	return ref, ""
}

// isRegistryHost reports whether h is host[:port]: a DNS name (labels of
// 1 to 63 characters from A-Z, a-z, 0-9 and "-", neither first nor last a
// "-") or an IPv4 address or a bracketed IPv6 address, and a port of 1 to
// 65535.
func isRegistryHost(h string) bool {
	host, port := h, ""
	if i := strings.LastIndexByte(h, ':'); i >= 0 && !strings.HasSuffix(h, "]") {
		host, port = h[:i], h[i+1:]
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 || strconv.Itoa(n) != port {
			return false
		}
	}
	if strings.HasPrefix(host, "[") && strings.HasSuffix(host, "]") {
		a, err := netip.ParseAddr(host[1 : len(host)-1])
		return err == nil && a.Is6() && a.Zone() == ""
	}
	if a, err := netip.ParseAddr(host); err == nil {
		return a.Is4()
	}
	if host == "" || len(host) > 253 {
		return false
	}
	for _, label := range strings.Split(host, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			if !isAlnum(label[i]) && label[i] != '-' {
				return false
			}
		}
	}
	return true
}
