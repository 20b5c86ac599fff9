package service

import (
	"fmt"
	"strings"
	"unicode/utf8"

	notebookv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/notebook/v1"
)

// The rules of an OBS mount (the proto's AttachStorageMountRequest).
const (
	maxMountPathLen = 256
	maxMountURILen  = 1024
	mountRoot       = "/data/"
	obsScheme       = "obs://"
)

// mountCategories are the mount categories as the vendor spells them.
var mountCategories = []string{"OBS", "OBSFS"}

func validateListStorageMounts(req *notebookv1.ListStorageMountsRequest) []*violation {
	return violations(checkProjectID(req.GetProjectId()), checkNotebookID(req.GetNotebookId()))
}

func validateGetStorageMount(req *notebookv1.GetStorageMountRequest) []*violation {
	return violations(checkProjectID(req.GetProjectId()), checkNotebookID(req.GetNotebookId()), checkResourceID("storage_id", req.GetStorageId(), nil))
}

func validateDetachStorageMount(req *notebookv1.DetachStorageMountRequest) []*violation {
	return violations(checkProjectID(req.GetProjectId()), checkNotebookID(req.GetNotebookId()), checkResourceID("storage_id", req.GetStorageId(), nil))
}

func validateAttachStorageMount(req *notebookv1.AttachStorageMountRequest) []*violation {
	vs := violations(checkProjectID(req.GetProjectId()), checkNotebookID(req.GetNotebookId()))
	if req.GetCategory() == "" {
		vs = append(vs, newViolation("category", violationRequired, `category is required: "OBS" (an OBS parallel file system)`))
	} else if _, v := checkUpper("category", req.GetCategory(), mountCategories...); v != nil {
		vs = append(vs, v)
	}
	return append(vs, violations(checkMountDir(req.GetMountPath()), checkMountURI(req.GetUri()))...)
}

// checkMountDir accepts a directory under /data/: at most 256 bytes,
// "/data/" then one or more names of the POSIX portable filename
// characters (A-Z, a-z, 0-9, ".", "_", "-"), none "." or "..", separated
// by single "/", with an optional trailing "/".
func checkMountDir(p string) *violation {
	const field = "mount_path"
	const form = `a directory under /data/, such as "/data/wang/": "/data/" then names of A-Z, a-z, 0-9, '.', '_' and '-' (none "." or "..") separated by single "/"`
	if p == "" {
		return newViolation(field, violationRequired, "mount_path is required: "+form)
	}
	rest, ok := strings.CutPrefix(p, mountRoot)
	ok = ok && len(p) <= maxMountPathLen
	rest = strings.TrimSuffix(rest, "/")
	ok = ok && rest != ""
	for _, name := range strings.Split(rest, "/") {
		ok = ok && name != "" && name != "." && name != ".." && isPortableName(name)
	}
	if !ok {
		return newViolation(field, violationMalformed, fmt.Sprintf("mount_path must be %s, at most %d bytes; got %s", form, maxMountPathLen, describe(p)))
	}
	return nil
}

// isPortableName reports whether s holds only the POSIX portable filename
// characters.
func isPortableName(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isAlnum(c) && c != '.' && c != '_' && c != '-' {
			return false
		}
	}
	return true
}

// checkMountURI accepts an OBS directory, "obs://bucket/dir/": at most
// 1024 bytes of UTF-8, and, as "/bucket/dir/", what checkOBSPath accepts
// of an OBS storage path, the bucket's root excepted (ModelArts.6358); the
// trailing "/" may be left out.
func checkMountURI(uri string) *violation {
	const field = "uri"
	if uri == "" {
		return newViolation(field, violationRequired, `uri is required: an OBS directory such as "obs://bucket/dir/"`)
	}
	if len(uri) > maxMountURILen || !utf8.ValidString(uri) {
		return newViolation(field, violationMalformed, fmt.Sprintf("uri must be at most %d bytes of UTF-8; got %s", maxMountURILen, describe(uri)))
	}
	rest, ok := strings.CutPrefix(uri, obsScheme)
	if !ok {
		return newViolation(field, violationMalformed, `uri must be an OBS directory such as "obs://bucket/dir/"; got `+describe(uri))
	}
	path := "/" + rest
	if !strings.HasSuffix(path, "/") {
		path += "/"
	}
	if why := checkOBSPath(path, false); why != "" {
		why = strings.Replace(why, `"/bucket/dir/"`, `"obs://bucket/dir/"`, 1)
		return newViolation(field, violationMalformed, fmt.Sprintf("uri %s; got %s", why, describe(uri)))
	}
	return nil
}
