package service

import (
	"net/netip"
	"regexp"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	notebookv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/notebook/v1"
)

// The documented shapes, restated as regular expressions: an independent
// oracle for the hand-written checks.
var (
	oracleNotebookID = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
	oracleName       = regexp.MustCompile(`^[A-Za-z0-9_-]{1,128}$`)
	oracleWorkspace  = regexp.MustCompile(`^(0|[a-z0-9]{32})$`)
	oraclePool       = regexp.MustCompile(`^[a-z0-9-]{4,64}$`)
)

// FuzzValidateNotebookID: a notebook ID passes exactly when it has the
// documented shape and is none of the vendor's literal segments, so that
// nothing accepted can change the upstream path or reach another route.
func FuzzValidateNotebookID(f *testing.F) {
	for _, s := range []string{"f9937afa-4451-42db-a76b-72d624749f66", "all", "ALL", "flavors", "Flavors", "a/b", "..", "%2F", "", "a\x00", strings.Repeat("a", 65)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		want := oracleNotebookID.MatchString(id) && !strings.EqualFold(id, "all") && !strings.EqualFold(id, "flavors")
		if got := checkNotebookID(id) == nil; got != want {
			t.Fatalf("checkNotebookID(%q) accepted = %v; want %v", id, got, want)
		}
	})
}

// FuzzValidateCreateNotebook: a create whose name, workspace, pool and
// allowed IP are arbitrary passes only when each has its documented shape;
// every violation names a field of the request, and there are at most as
// many as fields.
func FuzzValidateCreateNotebook(f *testing.F) {
	f.Add("notebooks_test", "0", "pool41664192", "192.0.2.1", int64(3_600_000))
	f.Add("a b", "ws", "P", "192.0.2.01", int64(0))
	f.Add("", "", "", "::1%eth0", int64(-1))
	f.Fuzz(func(t *testing.T, name, workspace, pool, ip string, duration int64) {
		req := &notebookv1.CreateNotebookRequest{ProjectId: "0123456789abcdef0123456789abcdef", Name: name, Flavor: "modelarts.vm.cpu.2u",
			ImageId: "e1a07296-22a8-4f05-8bc8-e936c8e54090", WorkspaceId: proto.String(workspace), PoolId: proto.String(pool),
			Volume:    &notebookv1.VolumeRequest{Category: "EVS", Ownership: "MANAGED"},
			Endpoints: []*notebookv1.EndpointRequest{{Service: proto.String("SSH"), AllowedAccessIps: []string{ip}}},
			Duration:  proto.Int64(duration)}
		bad := map[string]bool{}
		for _, v := range validateCreateNotebook(req) {
			bad[v.GetField()] = true
		}
		addr, err := netip.ParseAddr(ip)
		for field, want := range map[string]bool{
			"name":                               oracleName.MatchString(name),
			"workspace_id":                       workspace == "" || oracleWorkspace.MatchString(workspace),
			"pool_id":                            pool == "" || oraclePool.MatchString(pool),
			"endpoints[0].allowed_access_ips[0]": err == nil && addr.Zone() == "",
			"duration":                           duration == -1 || duration >= 3_600_000 && duration <= 86_400_000,
		} {
			if bad[field] == want {
				t.Errorf("%s: refused = %v; want %v (request %v)", field, bad[field], !want, req)
			}
			delete(bad, field)
		}
		if len(bad) > 0 {
			t.Errorf("violations of fields that are valid: %v", bad)
		}
	})
}

// FuzzNotebookListQuery: a list request that passes validation makes a
// query whose values are all printable ASCII without spaces: nothing a
// caller sends reaches ModelArts as anything but the value of its own
// parameter.
func FuzzNotebookListQuery(f *testing.F) {
	f.Add("NOTEBOOK", "nb", "desc", "create_at,name", "running", "0")
	f.Add("x\x00", "a&b=c", "ASC", "a,,b", "ASLEEP", "1")
	f.Fuzz(func(t *testing.T, feature, name, dir, key, status, workspace string) {
		req := &notebookv1.ListNotebooksRequest{ProjectId: "0123456789abcdef0123456789abcdef", Feature: feature, Name: name,
			SortDir: dir, SortKey: key, Status: status, WorkspaceId: workspace}
		if len(validateNotebookList(req)) > 0 {
			return
		}
		for k, vs := range notebookListQuery(req) {
			for _, v := range vs {
				for i := 0; i < len(v); i++ {
					if v[i] <= ' ' || v[i] >= 0x7f {
						t.Fatalf("query %s=%q holds byte %#x", k, v, v[i])
					}
				}
			}
		}
	})
}
