package mirror

import (
	"fmt"
	"strings"

	"google.golang.org/genproto/googleapis/api/annotations"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/devenv-facade/devenv-facade/internal/rpcdecl"
)

// route is one HTTP rule of the API: a method and a path template split
// into segments, where "*" stands for a variable ({project_id}); the
// request message, the fields the path sets, and whether the body sets
// the rest (body "*": then the query sets nothing); the RPC's full method
// name and rule, for errors; and whether it streams its answer.
type route struct {
	rpc       string
	service   string // the RPC's service's full name
	index     int    // in routeTable
	template  string
	method    string
	segments  []string
	input     protoreflect.MessageDescriptor
	vars      []string
	wholeBody bool
	// body: the rule's body sets some of the request (body "*" or a
	// field).
	body bool
	// serverStreaming: the RPC streams its answer (a watch).
	serverStreaming bool
}

// routes lists the mirror's HTTP rules, read from the proto's
// google.api.http options, so that it cannot drift from what grpc-gateway
// serves; the mirror answers what they do not match as the vendor's
// gateway does ([notFound]).
type routes []route

// routeTable holds the rules of the RPCs the facade serves (package
// rpcdecl), those of every service [New] may be given.
var routeTable = readRoutes(rpcdecl.Served())

func readRoutes(table *rpcdecl.Table) routes {
	var rs routes
	for _, rpc := range table.RPCs() {
		if rpc.HTTP == nil {
			continue
		}
		for _, r := range append([]*annotations.HttpRule{rpc.HTTP}, rpc.HTTP.GetAdditionalBindings()...) {
			method, path := httpRule(r)
			if method != "" {
				segs, vars := templateSegments(path)
				rs = append(rs, route{rpc: rpc.FullMethod, service: string(rpc.Desc.Parent().FullName()), index: len(rs), template: path, method: method, segments: segs, input: rpc.Desc.Input(), vars: vars, wholeBody: r.GetBody() == "*", body: r.GetBody() != "",
					serverStreaming: rpc.Desc.IsStreamingServer()})
			}
		}
	}
	return rs
}

func httpRule(r *annotations.HttpRule) (method, path string) {
	switch p := r.GetPattern().(type) {
	case *annotations.HttpRule_Get:
		return "GET", p.Get
	case *annotations.HttpRule_Post:
		return "POST", p.Post
	case *annotations.HttpRule_Put:
		return "PUT", p.Put
	case *annotations.HttpRule_Patch:
		return "PATCH", p.Patch
	case *annotations.HttpRule_Delete:
		return "DELETE", p.Delete
	case *annotations.HttpRule_Custom:
		return p.Custom.GetKind(), p.Custom.GetPath()
	}
	return "", ""
}

// templateSegments splits "/v1/{project_id}/x" into ["v1", "*", "x"] and
// ["project_id"].
func templateSegments(path string) (segs, vars []string) {
	segs = strings.Split(strings.Trim(path, "/"), "/")
	for i, s := range segs {
		if strings.HasPrefix(s, "{") {
			segs[i] = "*"
			vars = append(vars, strings.Trim(s, "{}"))
		}
	}
	return segs, vars
}

// find returns the rule that has the method and matches the escaped path
// exactly, or nil: a trailing slash makes another path (the vendor's
// gateway publishes none with one), and so does an empty segment. Of two
// rules that match, the one with a literal segment where the other has a
// variable, at the first segment where they differ, is the one (GET .../notebooks/all rather than .../notebooks/{id}), as
// grpc-gateway's mux chooses when the proto declares the literal rule
// after the other (TestRoutesAsTheGatewayRoutes).
func (rs routes) find(method, escapedPath string) *route {
	// Its segments are cut into an array on the stack, not a slice
	// strings.Split allocates. (A request is routed once, by the mirror's
	// first step: the steps after it read the rule from the call, routeOf.)
	var buf [maxRouteSegments]string
	segs, ok := cutSegments(buf[:0], strings.TrimPrefix(escapedPath, "/"))
	if !ok {
		return nil // longer than any rule
	}
	var found *route
	for i := range rs {
		if rs[i].method == method && rs[i].matches(segs) && (found == nil || rs[i].moreLiteral(found)) {
			found = &rs[i]
		}
	}
	return found
}

// maxRouteSegments bounds the segments of a rule's path (the longest has
// 7); a path with more matches no rule.
const maxRouteSegments = 16

// cutSegments appends the "/"-separated segments of path to segs, as
// strings.Split would return them, or reports false if there are more
// than cap(segs).
func cutSegments(segs []string, path string) ([]string, bool) {
	for {
		if len(segs) == cap(segs) {
			return segs, false
		}
		seg, rest, more := strings.Cut(path, "/")
		segs = append(segs, seg)
		if !more {
			return segs, true
		}
		path = rest
	}
}

// checkOrder reports an error if grpc-gateway's mux would route a path
// of rs to another rule of the same service than [routes.find] does. The
// mux tries the rules in the reverse order of their registration (the
// generated code registers a service's rules in the order of its RPCs in
// the proto), so of two rules that both match a path, the one declared
// later wins: a rule with a literal segment where an earlier rule has a
// variable (GET .../notebooks/all beside GET .../notebooks/{id}) must
// come later. (Each service has a mux of its own, see [New]: rules of two
// services are not compared.)
func (rs routes) checkOrder() error {
	for i := range rs {
		if len(rs[i].segments) > maxRouteSegments {
			return fmt.Errorf("mirror: %s %s has more than %d segments", rs[i].method, rs[i].template, maxRouteSegments)
		}
	}
	for i := range rs {
		for j := i + 1; j < len(rs); j++ {
			if rs[i].method == rs[j].method && sameService(rs[i].rpc, rs[j].rpc) && rs[i].overlaps(&rs[j]) && rs[i].moreLiteral(&rs[j]) {
				return fmt.Errorf("mirror: %s %s (%s) is declared before %s %s (%s), which grpc-gateway would then choose for %s's paths: declare %s after %s in the proto",
					rs[i].method, rs[i].template, rs[i].rpc, rs[j].method, rs[j].template, rs[j].rpc, rs[i].template, rs[i].rpc, rs[j].rpc)
			}
		}
	}
	return nil
}

// sameService reports whether two full method names are of one service.
func sameService(a, b string) bool {
	return a[:strings.LastIndexByte(a, '/')] == b[:strings.LastIndexByte(b, '/')]
}

// overlaps reports whether some path matches both r and o.
func (r *route) overlaps(o *route) bool {
	if len(r.segments) != len(o.segments) {
		return false
	}
	for i, s := range r.segments {
		if s != o.segments[i] && s != "*" && o.segments[i] != "*" {
			return false
		}
	}
	return true
}

// moreLiteral reports whether r, of the same length as o, has a literal
// segment where o has a variable, at the first segment where they differ.
func (r *route) moreLiteral(o *route) bool {
	for i, s := range r.segments {
		if s != o.segments[i] {
			return s != "*" && o.segments[i] == "*"
		}
	}
	return false
}

func (r route) matches(segs []string) bool {
	if len(segs) != len(r.segments) {
		return false
	}
	for i, s := range r.segments {
		if s != "*" && s != segs[i] || s == "*" && segs[i] == "" {
			return false
		}
	}
	return true
}
