package scrub

import (
	"errors"
	"net/url"
	"strings"
)

// userinfoMask stands for the user info of a URL that does not parse. It is
// the marker [url.URL.Redacted] puts in place of a password.
const userinfoMask = "xxxxx"

// URL describes raw, a URL from configuration, for an error message or a
// log line: scheme, host and path only. User info (which may hold a
// password), query and fragment are left out.
//
// A URL that parses with an "@" in its path is treated as one that does
// not parse: the "@" may end user info that a "/" in the password cut short
// (in "https://user:12/pw@host" the port is "12" and the path "/pw@host").
//
// When raw does not parse as a hierarchical URL, it is described as it is,
// except that everything from the start of the authority (after "://", or
// from the beginning when there is none) to the last "@" is replaced by
// "xxxxx", and the query and fragment are cut off. The last "@" is used
// because a password is the part most likely to hold a stray "@", "/" or
// "%" that made the URL unparsable.
func URL(raw string) string {
	if u, err := url.Parse(raw); err == nil && u.Opaque == "" && !strings.Contains(u.Path, "@") {
		clean := url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path, RawPath: u.RawPath}
		return clean.String()
	}
	masked := maskUserinfo(raw)
	if i := strings.LastIndexByte(masked, '@'); i >= 0 {
		// The query starts after the masked user info, never in it.
		if j := strings.IndexAny(masked[i:], "?#"); j >= 0 {
			return masked[:i+j]
		}
		return masked
	}
	if j := strings.IndexAny(masked, "?#"); j >= 0 {
		return masked[:j]
	}
	return masked
}

// ParseURL is [url.Parse] with an error that never quotes the user info of
// raw. (A *url.Error from url.Parse quotes the whole input, password
// included, and some of its reasons quote a piece of it.) The error is a
// *url.Error whose URL is [URL](raw) and whose reason comes from parsing raw
// with its user info masked; when masking removes the problem, the reason
// only says where the problem is.
func ParseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err == nil {
		return u, nil
	}
	reason := errors.New(`invalid before the last "@" (not shown)`)
	var uerr *url.Error
	if _, err := url.Parse(maskUserinfo(raw)); errors.As(err, &uerr) {
		reason = uerr.Err
	}
	return nil, &url.Error{Op: "parse", URL: URL(raw), Err: reason}
}

// maskUserinfo replaces what may be user info in raw with userinfoMask; see
// [URL].
func maskUserinfo(raw string) string {
	at := strings.LastIndexByte(raw, '@')
	if at < 0 {
		return raw
	}
	start := 0
	if i := strings.Index(raw, "://"); i >= 0 && i < at {
		start = i + len("://")
	} else if strings.HasPrefix(raw, "//") {
		start = len("//")
	}
	return raw[:start] + userinfoMask + raw[at:]
}
