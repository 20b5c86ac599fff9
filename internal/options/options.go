// Package options holds what the Options of every package share, so that
// a field means the same thing wherever it is:
//
//   - Options is a plain struct passed by value to the package's New (or
//     Load, NewClient): no option functions, no setters after
//     construction.
//   - The zero value of every field means its default, which the field's
//     doc names; New fills the defaults in one place.
//   - A bound that can be switched off takes [NoLimit] (no cap, no limit),
//     and a wait, grace or delay that can be none takes [None]; both are
//     -1, and a field's doc says which it takes. Any other negative value
//     is refused.
//   - New validates in one place and refuses with an [*Error] that names
//     the fields at fault, so that a command can say it with its flags'
//     names ([Error.Describe]).
//
// A few fields are required (a listener, an endpoint); their docs say so.
package options

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

const (
	// NoLimit switches a cap or a limit off: no cap on the calls in
	// flight, no limit on a connection's age.
	NoLimit = -1
	// None makes a wait, a grace period or a delay none at all: a call
	// beyond a cap is shed at once, calls are cut off at once, an
	// operation completes at once.
	None = -1
)

// Or returns v, or def when v is zero: how New fills a default.
func Or[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// ZeroMeans returns v, or off when v is zero: for a command whose flag
// takes 0 for "none" ([NoLimit], [None]) where Options take zero for the
// default.
func ZeroMeans[T ~int | ~int64](v, off T) T {
	if v == 0 {
		return off
	}
	return v
}

// Error is Options that New refuses: what is wrong, naming the fields at
// fault, so that a command can name its flags instead ([Error.Describe]).
type Error struct {
	pkg    string
	format string // a fmt format whose {Field} references name fields
	args   []any
	prefix string // added in front of every field
}

// fieldRef matches a {Field} reference in a format.
var fieldRef = regexp.MustCompile(`\{([A-Za-z][A-Za-z0-9.]*)\}`)

// Errorf returns an *Error of package pkg. format is a fmt format in which
// {Field} names a field of the package's Options (Retry.MaxBackoff for a
// nested one).
func Errorf(pkg, format string, args ...any) *Error {
	return &Error{pkg: pkg, format: format, args: args}
}

// In returns e as the package pkg reports it for its field parent, whose
// value e was about: its fields become parent.Field.
func (e *Error) In(pkg, parent string) *Error {
	c := *e
	c.pkg, c.prefix = pkg, parent+"."+e.prefix
	return &c
}

// In returns err as the package pkg reports it for its field parent: an
// *Error's fields become parent.Field; any other error (nil included) is
// returned as it is.
func In(err error, pkg, parent string) error {
	var e *Error
	if errors.As(err, &e) {
		return e.In(pkg, parent)
	}
	return err
}

// Fields returns the fields e names, in order.
func (e *Error) Fields() []string {
	var fields []string
	for _, m := range fieldRef.FindAllStringSubmatch(e.format, -1) {
		fields = append(fields, e.prefix+m[1])
	}
	return fields
}

// Error says what is wrong, naming the fields as Go does
// ("server: Retry.MaxBackoff 1s is below Retry.InitialBackoff 3s").
func (e *Error) Error() string {
	return e.pkg + ": " + e.Describe(func(field string) string { return field })
}

// Describe says what is wrong, naming each field with name (a command
// gives its flags' names: "--retry-max-backoff 1s is below
// --retry-initial-backoff 3s"), without the package.
func (e *Error) Describe(name func(field string) string) string {
	format := fieldRef.ReplaceAllStringFunc(e.format, func(ref string) string {
		return strings.ReplaceAll(name(e.prefix+ref[1:len(ref)-1]), "%", "%%")
	})
	return fmt.Sprintf(format, e.args...)
}
