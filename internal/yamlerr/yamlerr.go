// Package yamlerr describes YAML parse errors without their content. The
// YAML parser quotes the offending input in its messages, and the files the
// facade reads (clouds.yaml, the callers file) hold passwords and tokens, so
// only the position of an error may be shown.
package yamlerr

import (
	"regexp"
	"strings"
)

var linePattern = regexp.MustCompile(`line \d+`)

// Describe returns "invalid YAML at line N" (or "invalid YAML", or, for a
// field the schema does not know, "unknown field"), never the input.
func Describe(err error) string {
	msg := err.Error()
	if strings.Contains(msg, "not found in type") {
		if m := linePattern.FindString(msg); m != "" {
			return "unknown field at " + m
		}
		return "unknown field"
	}
	if m := linePattern.FindString(msg); m != "" {
		return "invalid YAML at " + m
	}
	return "invalid YAML"
}
