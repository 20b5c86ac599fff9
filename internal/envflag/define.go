package envflag

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// value is a flag.Value that records why it refused a value, so that Parse
// can say it in the facade's words rather than the flag package's.
type value[T any] struct {
	set     *Set
	name    string
	p       *T
	parse   func(string) (T, error)
	show    func(T) string
	bool    bool
	inRange func(T) error // nil: any value the parser accepts
}

func (v *value[T]) String() string {
	if v == nil || v.p == nil {
		return ""
	}
	return v.show(*v.p)
}

func (v *value[T]) Set(s string) error {
	x, err := v.parse(s)
	if err != nil {
		v.set.failed = &failure{name: v.name, value: s, err: err}
		return err
	}
	*v.p = x
	return nil
}

// IsBoolFlag lets boolean flags be given without a value (--insecure).
func (v *value[T]) IsBoolFlag() bool { return v.bool }

// check applies the value's range, if it has one.
func (v *value[T]) check(x T) error {
	if v.inRange == nil {
		return nil
	}
	return v.inRange(x)
}

func define[T any](s *Set, p *T, name, env string, def T, usage string, parse func(string) (T, error), show func(T) string, isBool bool) (*spec, *value[T]) {
	*p = def
	v := &value[T]{set: s, name: name, p: p, parse: parse, show: show, bool: isBool}
	s.fs.Var(v, name, usage)
	sp := &spec{name: name, env: env, usage: usage, def: show(def), current: v.String}
	sp.validate = func(text string) error {
		x, err := v.parse(text)
		if err != nil {
			return err
		}
		return v.check(x)
	}
	s.specs = append(s.specs, sp)
	return sp, v
}

// String defines a string flag.
func (s *Set) String(p *string, name, env, def, usage string) {
	define(s, p, name, env, def, usage, func(v string) (string, error) { return v, nil }, func(v string) string { return v }, false)
}

// Choice defines a string flag whose value must be one of choices
// (compared case-insensitively; the value is stored as listed).
func (s *Set) Choice(p *string, name, env, def string, choices []string, usage string) {
	parse := func(v string) (string, error) {
		for _, c := range choices {
			if strings.EqualFold(v, c) {
				return c, nil
			}
		}
		return "", fmt.Errorf("want one of %s", strings.Join(choices, ", "))
	}
	sp, _ := define(s, p, name, env, def, usage, parse, func(v string) string { return v }, false)
	sp.rangeText = "one of " + strings.Join(choices, ", ")
}

// Secret defines a string flag whose value is never shown in the help text
// or in error messages, and its file twin name-file (env_FILE): the value is
// then read from that file, without a trailing newline.
func (s *Set) Secret(p *string, name, env, usage string) {
	file := new(string)
	s.fs.StringVar(p, name, "", usage)
	s.fs.StringVar(file, name+"-file", "", "")
	fileEnv := ""
	if env != "" {
		fileEnv = env + "_FILE"
	}
	s.specs = append(s.specs, &spec{name: name, env: env, usage: usage, secret: true, value: p, file: file},
		&spec{name: name + "-file", env: fileEnv, usage: "file holding the value of --" + name, twin: true,
			validate: func(string) error { return nil }, current: func() string { return *file }})
}

// PrintConfigFlag defines the boolean flag, for the command line only, that
// asks the program to print its configuration with [Set.PrintConfig]
// instead of starting. When it is given, Parse reads no secret's file: it
// still decides whether a secret or its file twin wins, but what only
// reading can check (that the file exists, is a regular file, is not
// empty) is left to a start without the flag, so printing the
// configuration never opens a secret.
func (s *Set) PrintConfigFlag(p *bool, name, usage string) {
	s.Bool(p, name, "", false, usage)
	s.printConfig = p
}

// DurationFlag is a duration flag, to be given a range.
type DurationFlag struct {
	sp *spec
	v  *value[time.Duration]
}

// Duration defines a duration flag, written like "30s" or "1m30s".
func (s *Set) Duration(p *time.Duration, name, env string, def time.Duration, usage string) *DurationFlag {
	sp, v := define(s, p, name, env, def, usage, parseDuration, time.Duration.String, false)
	return &DurationFlag{sp: sp, v: v}
}

func parseDuration(v string) (time.Duration, error) {
	d, err := time.ParseDuration(strings.TrimSpace(v))
	if err == nil {
		return d, nil
	}
	if _, nerr := strconv.ParseFloat(strings.TrimSpace(v), 64); nerr == nil {
		return 0, fmt.Errorf("want a duration with a unit, such as %ss or %sms", strings.TrimSpace(v), strings.TrimSpace(v))
	}
	return 0, errors.New("want a duration such as 30s, 250ms or 1m30s")
}

// Between makes values outside [lo, hi] an error.
func (f *DurationFlag) Between(lo, hi time.Duration) *DurationFlag {
	f.sp.rangeText = fmt.Sprintf("%s to %s", lo, hi)
	f.v.inRange = func(d time.Duration) error {
		if d < lo || d > hi {
			return fmt.Errorf("must be between %s and %s", lo, hi)
		}
		return nil
	}
	f.sp.check = func() error { return f.v.check(*f.v.p) }
	return f
}

// IntFlag is an integer flag, to be given a range.
type IntFlag struct {
	sp *spec
	v  *value[int]
}

// Int defines an integer flag.
func (s *Set) Int(p *int, name, env string, def int, usage string) *IntFlag {
	parse := func(v string) (int, error) {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			return 0, errors.New("want a whole number")
		}
		return n, nil
	}
	sp, v := define(s, p, name, env, def, usage, parse, strconv.Itoa, false)
	return &IntFlag{sp: sp, v: v}
}

// Between makes values outside [lo, hi] an error.
func (f *IntFlag) Between(lo, hi int) *IntFlag {
	f.sp.rangeText = fmt.Sprintf("%d to %d", lo, hi)
	f.v.inRange = func(n int) error {
		if n < lo || n > hi {
			return fmt.Errorf("must be between %d and %d", lo, hi)
		}
		return nil
	}
	f.sp.check = func() error { return f.v.check(*f.v.p) }
	return f
}

// Bool defines a boolean flag. It accepts true and false, and also 1/0,
// t/f, yes/no and on/off, in any case.
func (s *Set) Bool(p *bool, name, env string, def bool, usage string) {
	define(s, p, name, env, def, usage, parseBool, strconv.FormatBool, true)
}

func parseBool(v string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "true", "1", "t", "yes", "y", "on":
		return true, nil
	case "false", "0", "f", "no", "n", "off":
		return false, nil
	}
	return false, errors.New("want true or false (1/0, yes/no and on/off work too)")
}
