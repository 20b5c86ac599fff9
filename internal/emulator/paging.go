package emulator

import (
	"cmp"
	"net/url"
	"strconv"
	"strings"
)

// wirePage is the new API's page envelope {current, data, pages, size,
// total} (fact sheet §5): total counts every match, size is the effective
// page size (the limit, or the rows returned when there is none), pages is
// ⌈total/size⌉ and current the 0-based page index, offset/size (the
// notebook and image samples' base; §9.10).
type wirePage[T any] struct {
	Current int   `json:"current"`
	Data    []T   `json:"data"`
	Pages   int   `json:"pages"`
	Size    int   `json:"size"`
	Total   int64 `json:"total"`
}

// pageOf returns the page of all that starts at offset and holds at most
// limit items (0: no limit).
func pageOf[T any](all []T, offset, limit int) wirePage[T] {
	rows := all[min(offset, len(all)):]
	if limit > 0 && len(rows) > limit {
		rows = rows[:limit]
	}
	p := wirePage[T]{Data: append(make([]T, 0, len(rows)), rows...), Total: int64(len(all)), Size: limit}
	if limit == 0 {
		p.Size = len(rows)
	}
	if p.Size > 0 {
		p.Current = offset / p.Size
		p.Pages = (len(all) + p.Size - 1) / p.Size
	}
	return p
}

// query reads the query parameters of a request. An empty parameter counts
// as absent. The codes are inferred (the reference names none for a query
// parameter): 6332 for a value of the wrong type, 6336 for one outside
// its range or enumeration, 6303 for a sort key that cannot be sorted on.
type query struct{ v url.Values }

// str returns a parameter's value, "" if absent.
func (q query) str(name string) string { return q.v.Get(name) }

// count returns a non-negative integer parameter, def if absent.
func (q query) count(name string, def int) (int, *vendorError) {
	s := q.v.Get(name)
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, errParamType(name, "integer")
	}
	if n < 0 {
		return 0, errBadValue(name)
	}
	return n, nil
}

// int64 returns an integer parameter and whether it was given.
func (q query) int64(name string) (int64, bool, *vendorError) {
	s := q.v.Get(name)
	if s == "" {
		return 0, false, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, false, errParamType(name, "integer")
	}
	return n, true, nil
}

// boolean returns a boolean parameter ("true" or "false", in any case),
// def if absent.
func (q query) boolean(name string, def bool) (bool, *vendorError) {
	switch strings.ToLower(q.v.Get(name)) {
	case "":
		return def, nil
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, errParamType(name, "boolean")
}

// enum returns a parameter that must be one of values, matched in any
// case and returned as values spells it; "" if absent.
func (q query) enum(name string, values ...string) (string, *vendorError) {
	s := q.v.Get(name)
	if s == "" {
		return "", nil
	}
	return oneOf(name, s, values...)
}

// oneOf returns the value of values that s spells in any case, or 6336
// naming field.
func oneOf(field, s string, values ...string) (string, *vendorError) {
	for _, v := range values {
		if strings.EqualFold(s, v) {
			return v, nil
		}
	}
	return "", errBadValue(field)
}

// paging reads offset (default 0) and limit (def when absent or 0; 0
// means no limit).
func (q query) paging(def int) (offset, limit int, verr *vendorError) {
	if offset, verr = q.count("offset", 0); verr != nil {
		return 0, 0, verr
	}
	if limit, verr = q.count("limit", def); verr != nil {
		return 0, 0, verr
	}
	if limit == 0 {
		limit = def
	}
	return offset, limit, nil
}

// sortOrder is a parsed sort_key and sort_dir.
type sortOrder struct {
	keys []string // canonical keys, compared in turn
	desc bool
}

// sortKeys maps the sort keys the lists accept to their canonical names:
// the fact sheet's create_at, update_at, name and status (§9.19), and the
// camelCase the image list's page shows as an example (updateTime),
// inferred.
var sortKeys = map[string]string{
	"create_at": "create_at", "createTime": "create_at", "create_time": "create_at",
	"update_at": "update_at", "updateTime": "update_at", "update_time": "update_at",
	"name": "name", "status": "status",
}

// sort reads sort_dir (ASC or DESC in any case, default DESC) and
// sort_key (comma-separated keys of allowed, default def).
func (q query) sort(allowed map[string]string, def string) (sortOrder, *vendorError) {
	dir, verr := q.enum("sort_dir", "ASC", "DESC")
	if verr != nil {
		return sortOrder{}, verr
	}
	o := sortOrder{desc: dir != "ASC"}
	keys := q.v.Get("sort_key")
	if keys == "" {
		keys = def
	}
	for k := range strings.SplitSeq(keys, ",") {
		c, ok := allowed[strings.TrimSpace(k)]
		if !ok {
			return sortOrder{}, errNotSortable
		}
		o.keys = append(o.keys, c)
	}
	return o, nil
}

// compare compares two items by the order's keys, field giving an item's
// value for a key, ties broken by id; desc reverses it all.
func (o sortOrder) compare(a, b sortable) int {
	c := 0
	for _, k := range o.keys {
		if c = cmp.Compare(a.sortField(k), b.sortField(k)); c != 0 {
			break
		}
	}
	if c == 0 {
		c = cmp.Compare(a.sortField("id"), b.sortField("id"))
	}
	if o.desc {
		return -c
	}
	return c
}

// sortable is what a sortOrder sorts: an item that gives its value for a
// canonical key (timestamps as fixed-width strings, so that they compare
// as numbers).
type sortable interface{ sortField(key string) string }

// sortMillis formats an epoch-milliseconds value for sortField.
func sortMillis(ms int64) string { return strconv.FormatInt(ms+1<<62, 10) }
