package envflag

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/devenv-facade/devenv-facade/internal/smallfile"
	"github.com/devenv-facade/devenv-facade/internal/yamlerr"
)

// maxConfigSize bounds a configuration file; one line per flag needs a few
// KiB. It is read only if it is a regular file: a named pipe or a device is
// refused at once.
const maxConfigSize = 1 << 20

// ConfigFile defines the flag (and its variable, env) naming a YAML
// configuration file: a mapping of flag names to values, such as
//
//	upstream-timeout: 30s
//	retry-max-attempts: 3
//	password-file: /run/secrets/password
//
// Parse reads it after the environment, so a flag wins over its variable,
// which wins over the file, which wins over the default. Every key and
// value is checked as the flag would be, whether or not a flag or variable
// overrides it: an unknown key, a value the flag refuses or one out of its
// range is an error naming the file, the line and the key. The file cannot
// set a secret (its file twin, x-file, names a file holding it instead),
// a flag without a variable (those are for the command line only, such as
// --version) or the configuration file itself. Values are plain scalars;
// lists, mappings, aliases, tags and empty values (write "" instead) are
// refused.
func (s *Set) ConfigFile(p *string, name, env, usage string) {
	if s.config != nil {
		panic("envflag: ConfigFile(" + name + "): the set already has a config file flag, --" + s.config.name) // a programming error
	}
	ident := func(v string) string { return v }
	sp, _ := define(s, p, name, env, "", usage, func(v string) (string, error) { return v, nil }, ident, false)
	s.config, s.configPath = sp, p
}

// entry is one key of a configuration file.
type entry struct {
	key, value string
	line       int
}

// loadConfigFile reads the configuration file at path, checks every entry
// and sets the flags neither the command line nor a variable set.
func (s *Set) loadConfigFile(path string) error {
	data, err := smallfile.Read(path, maxConfigSize)
	switch {
	case errors.Is(err, smallfile.ErrTooLarge):
		return fmt.Errorf("config file (--%s): %w; a config file holds one line per flag", s.config.name, err)
	case err != nil:
		return fmt.Errorf("config file (--%s): %w", s.config.name, err)
	}
	entries, err := parseConfig(data)
	if le, ok := errors.AsType[*lineError](err); ok {
		return fmt.Errorf("config file %s, line %d: %s", path, le.line, le.msg)
	}
	if err != nil {
		return fmt.Errorf("config file %s: %w", path, err)
	}
	return s.applyConfig(path, entries)
}

// lineError is an error at a line of a configuration file.
type lineError struct {
	line int
	msg  string
}

func (e *lineError) Error() string { return fmt.Sprintf("line %d: %s", e.line, e.msg) }

// errAt returns a lineError.
func errAt(line int, format string, args ...any) error {
	return &lineError{line: line, msg: fmt.Sprintf(format, args...)}
}

// parseConfig parses a configuration file: one YAML document, a mapping
// of keys to plain scalars, each key once. Its errors quote keys but never
// values, which may be secrets written where they do not belong; YAML
// syntax errors give only the line (see package yamlerr).
func parseConfig(data []byte) ([]entry, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil // empty, or only comments
		}
		return nil, errors.New(yamlerr.Describe(err))
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case errors.Is(err, io.EOF):
	case err != nil:
		return nil, errors.New(yamlerr.Describe(err))
	default:
		return nil, errAt(next.Line, "a second YAML document; a config file holds one")
	}
	if len(doc.Content) != 1 {
		return nil, errors.New("want one mapping of flag names to values")
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, errAt(root.Line, "want a mapping of flag names to values (key: value lines), not %s", kindName(root))
	}
	seen := map[string]int{}
	entries := make([]entry, 0, len(root.Content)/2)
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			return nil, errAt(k.Line, "a key must be a flag name, not %s", kindName(k))
		}
		key := k.Value
		if first, dup := seen[key]; dup {
			return nil, errAt(k.Line, "%s is set twice (first on line %d)", quoteKey(key), first)
		}
		seen[key] = k.Line
		if v.Kind != yaml.ScalarNode {
			return nil, errAt(v.Line, "%s: want a single value, not %s", quoteKey(key), kindName(v))
		}
		switch v.Tag {
		case "!!str", "!!int", "!!bool", "!!float":
		case "!!null":
			return nil, errAt(v.Line, `%s has no value; write "" for an empty one, or leave the key out for the default`, quoteKey(key))
		default:
			return nil, errAt(v.Line, "%s: the YAML tag %s is not accepted; write a plain value", quoteKey(key), quoteKey(v.Tag))
		}
		entries = append(entries, entry{key: key, value: v.Value, line: k.Line})
	}
	return entries, nil
}

// kindName names a YAML node's kind for an error message.
func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a mapping"
	case yaml.AliasNode:
		return "an alias (*name); write the value itself"
	case yaml.ScalarNode:
		return "a single value"
	}
	return "an empty document"
}

// quoteKey quotes a key for an error message, cut to a readable length.
func quoteKey(k string) string {
	const max = 64
	if len(k) > max {
		k = k[:max] + "..."
	}
	return strconv.Quote(k)
}

// applyConfig checks every entry against the flags, then sets the flags
// neither the command line nor their variables set.
func (s *Set) applyConfig(path string, entries []entry) error {
	byName := make(map[string]*spec, len(s.specs))
	for _, sp := range s.specs {
		byName[sp.name] = sp
	}
	for _, e := range entries {
		where := fmt.Sprintf("config file %s, line %d", path, e.line)
		sp := byName[e.key]
		switch {
		case sp == nil:
			return fmt.Errorf("%s: unknown key %s%s", where, quoteKey(e.key), s.suggest(e.key))
		case sp == s.config:
			return fmt.Errorf("%s: %s names the config file itself and cannot be set in it", where, e.key)
		case sp.secret:
			hint := ""
			if sp.env != "" {
				hint = ", or set " + sp.env
			}
			return fmt.Errorf("%s: %s is a secret, and a config file may not hold secrets (it is shared, versioned, mounted from a ConfigMap): "+
				"put the value in a file of its own, readable only by the facade's user, and give its path as %s-file%s", where, e.key, e.key, hint)
		case sp.env == "":
			return fmt.Errorf("%s: --%s is a command-line flag and cannot be set in a config file", where, e.key)
		}
		if err := sp.validate(e.value); err != nil {
			return fmt.Errorf("%s: %s %q: %w", where, e.key, e.value, err)
		}
	}
	for _, e := range entries {
		if s.given[e.key] || s.fromEnv[e.key] {
			continue
		}
		s.failed = nil
		if err := s.fs.Set(e.key, e.value); err != nil {
			// validate accepted it, so only the flag package can refuse.
			return fmt.Errorf("config file %s, line %d: %s: %w", path, e.line, e.key, err)
		}
		s.fromFile[e.key] = true
	}
	return nil
}

// suggest says what an unknown key may have meant: a flag's full name
// for an alias, the flag for a variable's name, or a flag whose name is
// close to it.
func (s *Set) suggest(key string) string {
	if name, ok := s.aliases[key]; ok {
		return fmt.Sprintf("; write the flag's full name, %s", name)
	}
	var best string
	bestDist := 3 // suggest names at most two edits away
	norm := strings.ToLower(strings.ReplaceAll(strings.TrimLeft(key, "-"), "_", "-"))
	for _, sp := range s.specs {
		if sp.env != "" && strings.EqualFold(key, sp.env) {
			return fmt.Sprintf("; keys are flag names: write %s for %s", sp.name, sp.env)
		}
		if norm == sp.name {
			return fmt.Sprintf("; did you mean %s?", sp.name)
		}
		if d := editDistance(norm, sp.name, bestDist); d < bestDist {
			best, bestDist = sp.name, d
		}
	}
	if best != "" {
		return fmt.Sprintf("; did you mean %s?", best)
	}
	return "; the keys are the flag names --help lists, without dashes"
}

// editDistance returns the Levenshtein distance between a and b, or limit
// when it is limit or more.
func editDistance(a, b string, limit int) int {
	if d := len(a) - len(b); d >= limit || -d >= limit {
		return limit
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			rowMin = min(rowMin, cur[j])
		}
		if rowMin >= limit {
			return limit
		}
		prev, cur = cur, prev
	}
	return min(prev[len(b)], limit)
}

// Source says where a flag's value came from.
type Source int

// The sources of a value, from the weakest to the strongest.
const (
	// FromDefault is the flag's default.
	FromDefault Source = iota
	// FromFile is the configuration file.
	FromFile
	// FromEnv is the flag's environment variable.
	FromEnv
	// FromFlag is the command line.
	FromFlag
)

// String names the source as --print-config does: default, file, env or
// flag.
func (src Source) String() string {
	switch src {
	case FromFile:
		return "file"
	case FromEnv:
		return "env"
	case FromFlag:
		return "flag"
	}
	return "default"
}

// Redacted stands for a secret's value in [Set.Settings] and
// [Set.PrintConfig].
const Redacted = "[REDACTED]"

// Setting is a flag's value after Parse, and where it came from.
type Setting struct {
	// Name is the flag's name, without dashes.
	Name string
	// Value is its value as text. A secret's is [Redacted] when it is
	// set, "" when it is not.
	Value string
	// Source says where the value came from.
	Source Source
	// From names the source: the variable (FromEnv), the configuration
	// file (FromFile), the flag as written (FromFlag), or "" (FromDefault).
	// For a secret read from its file twin, these describe the twin.
	From string
	// ViaFile is, for a secret read from its file twin, the twin's name
	// (password-file); "" otherwise.
	ViaFile string
	// Secret marks a secret flag, whose value is redacted.
	Secret bool
	// Masked names the parts of Value, a URL, replaced by [Redacted]
	// because they may hold a secret: "user info" (a password), "query"
	// (?token=..., and the fragment), or both; "" when none is.
	Masked string
	// InFile reports whether a configuration file may set the flag.
	InFile bool
}

// Settings returns every flag's value after the last Parse or ParseArgs,
// in the order the flags were defined, file twins of secrets right after
// their secret, with secret values redacted, and so are the user info and
// the query of any value that is a URL (https://user:password@host,
// https://host/?token=...).
func (s *Set) Settings() []Setting {
	out := make([]Setting, 0, len(s.specs))
	for i, sp := range s.specs {
		st := Setting{Name: sp.name, Secret: sp.secret, InFile: sp.env != "" && !sp.secret && sp != s.config}
		name := sp.name
		switch {
		case sp.secret:
			if *sp.value != "" || s.viaFile[sp.name] {
				st.Value = Redacted
			}
			if twin := s.specs[i+1]; s.viaFile[sp.name] {
				st.ViaFile, name = twin.name, twin.name
			}
		case sp.current != nil:
			st.Value, st.Masked = redactURL(sp.current())
		}
		src := s.specSource(name)
		st.Source = src
		switch src {
		case FromFlag:
			st.From = "--" + name
		case FromEnv:
			st.From = s.envOf(name)
		case FromFile:
			st.From = *s.configPath
		}
		out = append(out, st)
	}
	return out
}

// schemePrefix matches the scheme of a URL ("https:").
var schemePrefix = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*:`)

// redactURL replaces what may hold a secret in v, if v is a URL, with
// Redacted, and names what it replaced (see [Setting].Masked): the user
// info, everything between the scheme (and "//") and the last "@" (the
// last, because a password may hold an "@", "/" or "#" that cut a URL
// parser's idea of the user info short); and the query and fragment,
// everything after the first "?" or "#" that follows. A value that is not
// a URL ("alice@example.com", with no scheme) is left as it is.
func redactURL(v string) (string, string) {
	start := len(schemePrefix.FindString(v))
	switch {
	case strings.HasPrefix(v[start:], "//"):
		start += len("//")
	case start == 0:
		return v, "" // neither a scheme nor "//": not a URL
	}
	var masked []string
	if at := strings.LastIndexByte(v, '@'); at >= start {
		v = v[:start] + Redacted + v[at:]
		start += len(Redacted)
		masked = append(masked, "user info")
	}
	if q := strings.IndexAny(v[start:], "?#"); q >= 0 {
		v = v[:start+q+1] + Redacted
		masked = append(masked, "query")
	}
	return v, strings.Join(masked, " and ")
}

// specSource says where the named flag's value came from.
func (s *Set) specSource(name string) Source {
	switch s.level(name) {
	case 3:
		return FromFlag
	case 2:
		return FromEnv
	case 1:
		return FromFile
	}
	return FromDefault
}

// envOf returns the variable of the named flag.
func (s *Set) envOf(name string) string {
	for _, sp := range s.specs {
		if sp.name == name {
			return sp.env
		}
	}
	return ""
}

// PrintConfig writes every flag's value after Parse, one "name: value"
// line each, with where the value came from (flag, env, file or default)
// as a comment. Secrets are redacted; secrets and flags a configuration
// file may not set are commented out, so the output is itself a valid
// configuration file that reproduces the rest of the settings.
func (s *Set) PrintConfig(w io.Writer) error {
	settings := s.Settings()
	type line struct{ setting, comment string }
	lines := make([]line, 0, len(settings))
	width := 0
	for _, st := range settings {
		var l line
		switch {
		case st.Secret:
			l.setting = "# " + st.Name + ": " + quoteYAML(st.Value)
			if st.Value == Redacted {
				l.setting = "# " + st.Name + ": " + Redacted
			}
		case !st.InFile:
			l.setting = "# " + st.Name + ": " + quoteYAML(st.Value)
		default:
			l.setting = st.Name + ": " + quoteYAML(st.Value)
		}
		switch st.Source {
		case FromDefault:
			l.comment = "default"
		default:
			l.comment = st.Source.String() + " " + st.From
		}
		if st.ViaFile != "" {
			l.comment = "in the file --" + st.ViaFile + " names (" + l.comment + ")"
		}
		if st.Masked != "" {
			l.comment += "; " + st.Masked + " redacted"
		}
		if !st.InFile {
			if st.Secret {
				l.comment += "; secret, not in a config file"
			} else {
				l.comment += "; not in a config file"
			}
		}
		width = max(width, len(l.setting))
		lines = append(lines, l)
	}
	width = min(width, 48)
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "# Effective configuration of %s: every flag's value and where it came from\n", s.name)
	fmt.Fprintf(bw, "# (flag, env, file or default). Secrets are redacted. Lines commented out cannot\n")
	fmt.Fprintf(bw, "# be set in a config file; the others make one that reproduces these settings.\n")
	for _, l := range lines {
		pad := max(width-len(l.setting), 0) + 2
		fmt.Fprintf(bw, "%s%s# %s\n", l.setting, strings.Repeat(" ", pad), l.comment)
	}
	return bw.Flush()
}

// quoteYAML writes v as a YAML scalar: plain when the YAML parser reads
// it back as the same text, double-quoted otherwise.
func quoteYAML(v string) string {
	if v == "" {
		return `""`
	}
	var doc struct {
		V yaml.Node `yaml:"v"`
	}
	if !strings.ContainsAny(v, "\n\r") && yaml.Unmarshal([]byte("v: "+v), &doc) == nil &&
		doc.V.Kind == yaml.ScalarNode && doc.V.Style == 0 && doc.V.Value == v {
		switch doc.V.Tag {
		case "!!str", "!!int", "!!bool", "!!float":
			return v
		}
	}
	return strconv.Quote(v)
}
