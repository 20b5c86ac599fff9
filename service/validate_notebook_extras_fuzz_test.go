package service

import (
	"net"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"google.golang.org/protobuf/proto"

	notebookv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/notebook/v1"
)

// Fuzz targets for the validation of NotebookService's lease, mounts and
// images, held to oracles restating the proto's field rules on their own
// terms, as validate_instances_fuzz_test.go does for the old API: the
// fields a request is rejected for must be exactly those the oracle finds
// bad, and nothing may panic. `make fuzz` runs them.

var (
	fzPortableRE  = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)
	fzSWRPartRE   = regexp.MustCompile(`^[a-z0-9._-]{1,128}$`)
	fzSWRTagRE    = regexp.MustCompile(`^[A-Za-z0-9._-]{1,128}$`)
	fzNotebookRE  = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
	fzDNSLabelRE  = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$`)
	fzPortRE      = regexp.MustCompile(`^[1-9][0-9]{0,4}$`)
	fzIPv4RE      = regexp.MustCompile(`^(0|[1-9][0-9]{0,2})(\.(0|[1-9][0-9]{0,2})){3}$`)
	fzWorkspaceRE = regexp.MustCompile(`^(0|[a-z0-9]{32})$`)
)

// fzViolated returns the fields of violations, sorted.
func fzViolated(vs []*violation) []string {
	var out []string
	for _, v := range vs {
		out = append(out, v.GetField())
	}
	slices.Sort(out)
	return out
}

// fzWant returns the names whose condition is true, sorted.
func fzWant(bad map[string]bool) []string {
	var out []string
	for k, b := range bad {
		if b {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// fzNotebookIDOK: 1 to 64 of A-Z a-z 0-9 - _, not "all" or "flavors" in
// any case.
func fzNotebookIDOK(id string) bool {
	l := strings.ToLower(id)
	return fzNotebookRE.MatchString(id) && l != "all" && l != "flavors"
}

// fzMountDirOK: "/data/" then portable names, none "." or "..", single
// "/" between, an optional trailing "/", at most 256 bytes.
func fzMountDirOK(p string) bool {
	rest, ok := strings.CutPrefix(p, "/data/")
	if !ok || len(p) > 256 {
		return false
	}
	rest = strings.TrimSuffix(rest, "/")
	if rest == "" {
		return false
	}
	for _, s := range strings.Split(rest, "/") {
		if s == "." || s == ".." || !fzPortableRE.MatchString(s) {
			return false
		}
	}
	return true
}

// fzMountURIOK: "obs://" and an OBS directory as fzOBSDir sees one
// (the trailing "/" optional), at most 1024 bytes of UTF-8.
func fzMountURIOK(uri string) bool {
	rest, ok := strings.CutPrefix(uri, "obs://")
	if !ok || len(uri) > 1024 || !utf8.ValidString(uri) {
		return false
	}
	p := "/" + rest
	if !strings.HasSuffix(p, "/") {
		p += "/"
	}
	return fzOBSDir(p, false)
}

func FuzzValidateAttachStorageMount(f *testing.F) {
	f.Add("0123456789abcdef0123456789abcdef", "f9937afa-4451-42db-a76b-72d624749f66", "OBS", "/data/wang/", "obs://authoring-test/wang/")
	f.Add("", "Flavors", "obsfs", "/data/a/b", "obs://authoring-test/wang")
	f.Add("x", "a/b", "EVS", "/data/../x/", "obs://bucket/")
	f.Add("0123456789abcdef0123456789abcdef", "n", "ObS", "/data//x", "obs://b..c/d/")
	f.Add("0123456789abcdef0123456789abcdef", "n", "oBſ", "/data/x/.", "obs://bucket/a/%2e%2e/")
	f.Fuzz(func(t *testing.T, project, notebook, category, mountPath, uri string) {
		req := &notebookv1.AttachStorageMountRequest{ProjectId: project, NotebookId: notebook, Category: category, MountPath: mountPath, Uri: uri}
		got := fzViolated(validateAttachStorageMount(req))
		want := fzWant(map[string]bool{
			"project_id":  !fzProjectRE.MatchString(project),
			"notebook_id": !fzNotebookIDOK(notebook),
			"category":    category != "OBS" && category != "OBSFS" && strings.ToUpper(category) != "OBS" && strings.ToUpper(category) != "OBSFS" || !isASCII(category),
			"mount_path":  !fzMountDirOK(mountPath),
			"uri":         !fzMountURIOK(uri),
		})
		if !slices.Equal(got, want) {
			t.Fatalf("%q: violations %v; want %v", req, got, want)
		}
	})
}

// fzRegistryHostOK: a DNS name, an IPv4 address or a bracketed IPv6
// address, and an optional port 1 to 65535.
func fzRegistryHostOK(h string) bool {
	host := h
	if i := strings.LastIndex(h, ":"); i >= 0 && !strings.HasSuffix(h, "]") {
		port := h[i+1:]
		if !fzPortRE.MatchString(port) || len(port) == 5 && port > "65535" {
			return false
		}
		host = h[:i]
	}
	if strings.HasPrefix(host, "[") && strings.HasSuffix(host, "]") {
		in := host[1 : len(host)-1]
		return strings.Contains(in, ":") && net.ParseIP(in) != nil
	}
	if fzIPv4RE.MatchString(host) {
		for _, o := range strings.Split(host, ".") {
			if len(o) == 3 && o > "255" {
				return false
			}
		}
		return true
	}
	if host == "" || len(host) > 253 {
		return false
	}
	for _, l := range strings.Split(host, ".") {
		if !fzDNSLabelRE.MatchString(l) {
			return false
		}
	}
	return true
}

// fzSWRPathOK: [host/]org/name...:tag of the documented parts, at most
// 2048 characters.
func fzSWRPathOK(p string) bool {
	colon, slash := strings.LastIndex(p, ":"), strings.LastIndex(p, "/")
	if len(p) > 2048 || colon < slash || colon < 0 || !fzSWRTagRE.MatchString(p[colon+1:]) {
		return false
	}
	parts := strings.Split(p[:colon], "/")
	if len(parts) > 1 && strings.ContainsAny(parts[0], ".:") {
		if !fzRegistryHostOK(parts[0]) {
			return false
		}
		parts = parts[1:]
	}
	if len(parts) < 2 {
		return false
	}
	for _, c := range parts {
		if !fzSWRPartRE.MatchString(c) {
			return false
		}
	}
	return true
}

func FuzzParseSWRPath(f *testing.F) {
	for _, s := range []string{"swr.xxx.com/op_svc_modelarts_container2/pytorch_1_8:train-pytorch_1.8.0-cuda_10.2-py_3.7",
		"swr.eu-de.otc.t-systems.com/my-org/pytorch_1_8:v1", "org/name:tag", "localhost:5000/org/a/b:1", "[::1]:443/o/n:t",
		"10.0.0.1/o/n:t", "o/n", "/o/n:t", "", ":", "/", "-h.com/o/n:t", "h.com:0/o/n:t", "h.com:65536/o/n:t", "Org/n:t", "o//n:t"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		ref, why := parseSWRPath(p)
		if ok := why == ""; ok != fzSWRPathOK(p) {
			t.Fatalf("parseSWRPath(%q) = %q; the oracle says ok=%v", p, why, !ok)
		}
		if why != "" {
			return
		}
		joined := ref.namespace + "/" + ref.name + ":" + ref.tag
		if ref.host != "" {
			joined = ref.host + "/" + joined
		}
		if joined != p {
			t.Fatalf("parseSWRPath(%q) = %+v, which joins to %q", p, ref, joined)
		}
	})
}

func FuzzValidateRenewLease(f *testing.F) {
	f.Add(true, int64(3_600_000), false, false, int64(0), false, "")
	f.Add(false, int64(0), true, true, int64(-1), true, "IDLE")
	f.Add(true, int64(86_400_001), true, true, int64(3_600_000), true, "timinG")
	f.Add(false, int64(0), false, true, int64(0), true, "idlſ")
	f.Fuzz(func(t *testing.T, hasQuery bool, query int64, hasLease, hasBody bool, body int64, hasType bool, typ string) {
		req := &notebookv1.RenewLeaseRequest{ProjectId: "0123456789abcdef0123456789abcdef", NotebookId: "n"}
		if hasQuery {
			req.Duration = proto.Int64(query)
		}
		if hasLease {
			req.Lease = &notebookv1.LeaseRequest{}
			if hasBody {
				req.Lease.Duration = proto.Int64(body)
			}
			if hasType {
				req.Lease.Type = proto.String(typ)
			}
		}
		inRange := func(ms int64) bool { return ms == -1 || ms >= 3_600_000 && ms <= 86_400_000 }
		bodyDur := hasLease && hasBody
		got := fzViolated(validateRenewLease(req))
		want := fzWant(map[string]bool{
			"lease.duration": !hasQuery && !bodyDur || !hasQuery && bodyDur && !inRange(body),
			"duration":       hasQuery && bodyDur || hasQuery && !bodyDur && !inRange(query),
			"lease.type":     hasLease && hasType && !slices.Contains([]string{"timing", "idle"}, strings.ToLower(typ)) || hasLease && hasType && !isASCII(typ),
		})
		if !slices.Equal(got, want) {
			t.Fatalf("%v: violations %v; want %v", req, got, want)
		}
	})
}

func FuzzValidateCreateImage(f *testing.F) {
	f.Add("pytorch1_4", "atelier-auto", true, "20221223", "save from notebook-x21d", true, "0")
	f.Add("", "", true, "", "a\u202eb", true, "")
	f.Add("A", "x/y", false, "", "", false, "")
	f.Fuzz(func(t *testing.T, name, namespace string, hasTag bool, tag, description string, hasWorkspace bool, workspace string) {
		req := &notebookv1.CreateImageRequest{ProjectId: "0123456789abcdef0123456789abcdef", NotebookId: "n", Name: name, Namespace: namespace, Description: proto.String(description)}
		if hasTag {
			req.Tag = proto.String(tag)
		}
		if hasWorkspace {
			req.WorkspaceId = proto.String(workspace)
		}
		lower := func(s string, max int) bool {
			return regexp.MustCompile(`^[a-z0-9._-]+$`).MatchString(s) && len(s) <= max
		}
		got := fzViolated(validateCreateImage(req))
		want := fzWant(map[string]bool{
			"name":         !lower(name, 512),
			"namespace":    !lower(namespace, 64),
			"tag":          hasTag && !regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`).MatchString(tag),
			"description":  !fzText(description) || utf8.RuneCountInString(description) > 512 || fzControl(description),
			"workspace_id": hasWorkspace && !fzWorkspaceRE.MatchString(workspace),
		})
		if !slices.Equal(got, want) {
			t.Fatalf("%v: violations %v; want %v", req, got, want)
		}
	})
}
