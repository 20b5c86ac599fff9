package mirror

import (
	"strings"

	"google.golang.org/genproto/googleapis/api/annotations"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	devenvv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/devenv/v1"
)

// route is one HTTP rule of the API: a method and a path template split
// into segments, where "*" stands for a variable ({project_id}); the
// request message, the fields the path sets, and whether the body sets
// the rest (body "*": then the query sets nothing).
type route struct {
	method    string
	segments  []string
	input     protoreflect.MessageDescriptor
	vars      []string
	wholeBody bool
}

// routes lists the mirror's HTTP rules, read from the proto's
// google.api.http options, so that it cannot drift from what grpc-gateway
// serves; the mirror answers what they do not match as the vendor's
// gateway does ([onlyRoutes]).
type routes []route

// routeTable holds the rules of DevEnvService.
var routeTable = readRoutes(devenvv1.File_modelarts_devenv_v1_devenv_proto.Services().ByName("DevEnvService"))

func readRoutes(svc protoreflect.ServiceDescriptor) routes {
	var rs routes
	methods := svc.Methods()
	for i := range methods.Len() {
		rule, ok := proto.GetExtension(methods.Get(i).Options(), annotations.E_Http).(*annotations.HttpRule)
		if !ok || rule == nil {
			continue
		}
		for _, r := range append([]*annotations.HttpRule{rule}, rule.GetAdditionalBindings()...) {
			method, path := httpRule(r)
			if method != "" {
				segs, vars := templateSegments(path)
				rs = append(rs, route{method: method, segments: segs, input: methods.Get(i).Input(), vars: vars, wholeBody: r.GetBody() == "*"})
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

// serves reports whether a rule has the method and matches the escaped
// path exactly: a trailing slash makes another path (the vendor's gateway
// publishes none with one), and so does an empty segment.
func (rs routes) serves(method, escapedPath string) bool {
	return rs.find(method, escapedPath) != nil
}

// find returns the rule that has the method and matches the escaped path,
// or nil.
func (rs routes) find(method, escapedPath string) *route {
	segs := strings.Split(strings.TrimPrefix(escapedPath, "/"), "/")
	for i := range rs {
		if rs[i].method == method && rs[i].matches(segs) {
			return &rs[i]
		}
	}
	return nil
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
