package service

import (
	"net/netip"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// The rules of a storage's location.path, by storage type. ModelArts says
// only that an OBS path is a directory of a bucket, ending in "/", and not
// the bucket's root; the rest is the facade's, so that no path can climb
// out of where it points (".." segments, spelled any way), hide what it is
// (control, bidirectional and zero-width characters) or mean something
// else to a URL or a shell (percent-escapes, "?", "#", backslashes, a
// leading "-").

// charsOBSAvoids are the characters OBS's object naming guidelines say to
// avoid in object keys, with the double quote and "?", which break URLs;
// the facade refuses them in OBS paths.
const charsOBSAvoids = `\{}^%` + "`" + `[]"<>~#|?`

// checkPath returns why path (valid UTF-8, at most 1024 bytes) is not a
// path of storage type typ, or "":
//
//   - obs: an OBS directory, "/bucket/dir/" (see checkOBSPath), not a
//     bucket's root;
//   - obsfs: a directory of an OBS parallel file system, "/fs/" or
//     "/fs-name/dir/": the same rules, the root allowed;
//   - evs, efs: a mount point in the instance, "/home/ma-user/work" (see
//     checkMountPath);
//   - any other type (refused for its type): no rule of its own.
func checkPath(typ, path string) string {
	switch typ {
	case "obs":
		return checkOBSPath(path, false)
	case "obsfs":
		return checkOBSPath(path, true)
	case "evs", "efs":
		return checkMountPath(path)
	}
	return ""
}

// checkOBSPath checks "/bucket/dir/.../": it starts and ends with "/"; the
// bucket follows OBS's bucket naming rules (isBucketName); the directory
// segments are not empty, "." or "..", and hold only text (notText) and
// none of charsOBSAvoids; with rootOK false there is at least one. The
// path must pass these rules both as written and after Unicode NFKC
// normalization, so look-alikes that normalize to ".", "/" or "\"
// (fullwidth dots U+FF0E, the one- and two-dot leaders U+2024 and U+2025,
// the fullwidth solidus U+FF0F) are refused too.
func checkOBSPath(path string, rootOK bool) string {
	const form = `must be an OBS directory such as "/bucket/dir/"`
	if !strings.HasPrefix(path, "/") || !strings.HasSuffix(path, "/") || len(path) < 2 {
		return form + `: it starts and ends with "/"`
	}
	segs := strings.Split(path[1:len(path)-1], "/")
	if !isBucketName(segs[0]) {
		return form + ": the bucket name is 3 to 63 characters from a-z, 0-9, '-' and '.', starting with a letter or digit, ending with neither '-' nor '.', without \"..\", \".-\" or \"-.\", and not an IP address"
	}
	if len(segs) == 1 && !rootOK {
		return "must be a directory inside a bucket, not the bucket root"
	}
	if why := checkOBSSegments(segs[1:]); why != "" {
		return why
	}
	if n := norm.NFKC.String(path); n != path {
		if strings.Count(n, "/") != strings.Count(path, "/") || strings.ContainsAny(n, `\`) {
			return `must not contain characters that normalize (Unicode NFKC) to "/" or "\"`
		}
		nsegs := strings.Split(n[1:len(n)-1], "/")
		if !isBucketName(nsegs[0]) {
			return "must not contain characters that normalize (Unicode NFKC) to another bucket name"
		}
		if why := checkOBSSegments(nsegs[1:]); why != "" {
			return why + " (after Unicode NFKC normalization)"
		}
	}
	return ""
}

// checkOBSSegments checks the directory segments of an OBS path.
func checkOBSSegments(segs []string) string {
	for _, seg := range segs {
		switch {
		case seg == "" || seg == "." || seg == "..":
			return `must not contain empty, "." or ".." segments`
		case strings.ContainsAny(seg, charsOBSAvoids):
			return "must not contain any of " + charsOBSAvoids
		}
		if i := strings.IndexFunc(seg, notText); i >= 0 {
			return "must not contain " + notTextWhat(seg[i:])
		}
	}
	return ""
}

// isBucketName reports whether s follows OBS's bucket naming rules (which
// parallel file systems share): 3 to 63 characters from a-z, 0-9, "-" and
// ".", starting with a letter or digit, not ending with "-" or ".", without
// "..", ".-" or "-.", and not an IP address.
func isBucketName(s string) bool {
	if len(s) < 3 || len(s) > 63 || !isLowerAlnum(s[0]) || s[len(s)-1] == '-' || s[len(s)-1] == '.' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; !isLowerAlnum(c) && c != '-' && c != '.' {
			return false
		}
	}
	if strings.Contains(s, "..") || strings.Contains(s, ".-") || strings.Contains(s, "-.") {
		return false
	}
	_, err := netip.ParseAddr(s)
	return err != nil
}

func isLowerAlnum(c byte) bool { return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' }

// checkMountPath checks a mount point in the instance, such as
// "/home/ma-user/work": an absolute path whose segments are names of the
// POSIX portable filename character set (A-Z, a-z, 0-9, ".", "_", "-"),
// none starting with "-" (as POSIX asks of portable names), none "." or
// "..", none empty (a trailing "/" aside), and at least one.
func checkMountPath(path string) string {
	const form = `must be an absolute path in the instance such as "/home/ma-user/work"`
	if !strings.HasPrefix(path, "/") {
		return form
	}
	segs := strings.Split(strings.TrimSuffix(path[1:], "/"), "/")
	for _, seg := range segs {
		switch {
		case seg == "":
			return form + `, without empty segments`
		case seg == "." || seg == "..":
			return form + `, without "." or ".." segments`
		case seg[0] == '-':
			return form + `, without segments that start with "-"`
		}
		for i := 0; i < len(seg); i++ {
			if c := seg[i]; !isAlnum(c) && c != '.' && c != '_' && c != '-' {
				r, _ := utf8.DecodeRuneInString(seg[i:])
				return form + `, of the characters A-Z, a-z, 0-9, ".", "_" and "-" (the POSIX portable filename characters); ` + describe(string(r)) + " is not one"
			}
		}
	}
	return ""
}
