// FuzzValidateListInstances and FuzzValidateUpdateInstance, held to the
// oracle of validate_instances_fuzz_test.go.

package service

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"google.golang.org/protobuf/proto"

	devenvv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/devenv/v1"
)

func opt32(set bool, v int32) *int32 {
	if set {
		return proto.Int32(v)
	}
	return nil
}

func FuzzValidateListInstances(f *testing.F) {
	p := "0123456789abcdef0123456789abcdef"
	f.Add(p, "Notebook", "Docker", "RUNNING", "name", "asc", "true", "0", "pool-1", "default-ai-project", "", int32(0), int32(0), int32(0))
	f.Add(p, "", "", "", "creation_timestamp", "desc", "false", "", "", "", "", int32(1_000_000), int32(1000), int32(0))
	f.Add(p, "", "", "", "", "", "", "", "", "", "tok", int32(0), int32(0), int32(1000))
	f.Add(p, "notebook", "docker", "running", "bad", "up", "True", "a/b", "a b", "é", "", int32(-1), int32(1001), int32(1001))
	f.Add("", "", "", "CREATE_QUEUING", "", "", "", strings.Repeat("w", 65), "", "", "x", int32(1_000_001), int32(-1), int32(-1))
	f.Add(p, "", "", "", "", "", "", "", "", "", "x", int32(5), int32(0), int32(10))
	f.Add("0123456789ABCDEF0123456789abcdef", "\xff", "", "", "", "", "", "", "", "", "", int32(0), int32(5), int32(5))
	statuses := []string{"CREATING", "CREATE_FAILED", "STARTING", "RESTARTING", "START_FAILED", "RUNNING",
		"STOPPING", "STOPPED", "UNAVAILABLE", "DELETED", "RESIZING", "RESIZE_FAILED"}
	f.Fuzz(func(t *testing.T, project, deType, provisionType, st, sortby, order, showSelf, ws, pool, ai, pageToken string, offset, limit, pageSize int32) {
		req := &devenvv1.ListInstancesRequest{ProjectId: project, DeType: deType, ProvisionType: provisionType, Status: st, Sortby: sortby,
			Order: order, ShowSelf: showSelf, WorkspaceId: ws, PoolId: pool, AiProject: ai, PageToken: pageToken,
			Offset: offset, Limit: limit, PageSize: pageSize}
		got := fzFields(t, validateListInstances(req))

		var want []string
		bad := func(ok bool, field string) {
			if !ok {
				want = append(want, field)
			}
		}
		oneOf := func(v string, values ...string) bool { return v == "" || slices.Contains(values, v) }
		bad(fzProjectRE.MatchString(project), "project_id")
		bad(oneOf(deType, "Notebook"), "de_type")
		bad(oneOf(provisionType, "Docker"), "provision_type")
		bad(oneOf(st, statuses...), "status")
		bad(oneOf(sortby, "name", "creation_timestamp"), "sortby")
		bad(oneOf(order, "asc", "desc"), "order")
		asciiLower := strings.Map(func(r rune) rune {
			if 'A' <= r && r <= 'Z' {
				return r + 'a' - 'A'
			}
			return r
		}, showSelf)
		bad(oneOf(asciiLower, "true", "false"), "show_self")
		bad(fzOptIDRE.MatchString(ws), "workspace_id")
		bad(fzOptIDRE.MatchString(pool), "pool_id")
		bad(fzOptIDRE.MatchString(ai), "ai_project")
		bad(offset >= 0 && offset <= 1_000_000, "offset")
		bad(limit >= 0 && limit <= 1000, "limit")
		bad(pageSize >= 0 && pageSize <= 1000, "page_size")
		bad(pageSize == 0 && pageToken == "" || offset == 0 && limit == 0, "page_token")
		fzCompare(t, req, got, want)

		if len(got) > 0 {
			return
		}
		// Accepted: every value is one the vendor knows, every number in
		// range, and one kind of paging.
		for _, v := range []string{deType, provisionType, st, sortby, order, showSelf} {
			if v != "" && !slices.Contains(append([]string{"Notebook", "Docker", "name", "creation_timestamp", "asc", "desc", "true", "false"}, statuses...), v) {
				t.Fatalf("accepted %q", v)
			}
		}
		if offset < 0 || limit < 0 || pageSize < 0 || limit > 1000 || pageSize > 1000 || (pageSize != 0 || pageToken != "") && (offset != 0 || limit != 0) {
			t.Fatalf("accepted offset %d, limit %d, page_size %d, page_token %q", offset, limit, pageSize, pageToken)
		}
	})
}

// Bits of the update target's flags.
const (
	fzuHasDescription = 1 << iota
	fzuHasSpec
	fzuHasAutoStop
	fzuHasEnable
	fzuEnable
	fzuHasDuration
	fzuHasStopTimestamp
	fzuHasRemainTime
	fzuGrowDescription // description repeated as by fzGrow
)

func FuzzValidateUpdateInstance(f *testing.F) {
	p := "0123456789abcdef0123456789abcdef"
	id := "DE-7d558ef8-c73d-11ea-964c-0255ac100033"
	const set = fzuGrowDescription - 1 // every part
	f.Add(p, id, "This is for test.", int32(0), uint16(fzuHasDescription), uint16(0))
	f.Add(p, id, "", int32(3600), uint16(fzuHasSpec|fzuHasAutoStop|fzuHasEnable|fzuEnable|fzuHasDuration), uint16(0))
	f.Add(p, id, "名", int32(86400), uint16(set&^(fzuHasStopTimestamp|fzuHasRemainTime)|fzuGrowDescription), uint16(511))
	f.Add(p, id, "名", int32(86401), uint16(set|fzuGrowDescription), uint16(512))
	f.Add(p, id, "", int32(3599), uint16(fzuHasSpec|fzuHasAutoStop|fzuHasDuration), uint16(0))
	f.Add(p, id, "", int32(0), uint16(fzuHasSpec|fzuHasAutoStop|fzuHasEnable|fzuEnable), uint16(0))
	f.Add("", "", "a/b\x00", int32(-5), uint16(set), uint16(0))
	f.Add(p, "../x", "\xff", int32(0), uint16(fzuHasDescription|fzuHasSpec), uint16(0))
	f.Add(p, "i", "", int32(0), uint16(fzuHasSpec), uint16(0))
	f.Fuzz(func(t *testing.T, project, instance, description string, duration int32, flags, reps uint16) {
		has := func(bit uint16) bool { return flags&bit != 0 }
		if has(fzuGrowDescription) {
			description = fzGrow(description, reps)
		}
		req := &devenvv1.UpdateInstanceRequest{ProjectId: project, InstanceId: instance}
		if has(fzuHasDescription) {
			req.Description = proto.String(description)
		}
		if has(fzuHasSpec) {
			req.Spec = &devenvv1.UpdateInstanceSpec{}
			if has(fzuHasAutoStop) {
				as := &devenvv1.AutoStop{Duration: opt32(has(fzuHasDuration), duration)}
				if has(fzuHasEnable) {
					as.Enable = proto.Bool(has(fzuEnable))
				}
				if has(fzuHasStopTimestamp) {
					as.StopTimestamp = proto.Int64(1)
				}
				if has(fzuHasRemainTime) {
					as.RemainTime = proto.Int32(1)
				}
				req.Spec.AutoStop = as
			}
		}
		before := proto.Clone(req)
		got := fzFields(t, validateUpdateInstance(req))
		if !proto.Equal(before, req) {
			t.Fatalf("validation changed the request: %v, was %v", req, before)
		}

		var want []string
		bad := func(ok bool, field string) {
			if !ok {
				want = append(want, field)
			}
		}
		bad(fzProjectRE.MatchString(project), "project_id")
		bad(fzNameRE.MatchString(instance), "instance_id")
		bad(req.Description == nil || fzDescriptionOK(description), "description")
		if field := fzAutoStopBad("spec.auto_stop", req.GetSpec().GetAutoStop()); field != "" {
			want = append(want, field)
		}
		fzCompare(t, req, got, want)

		if len(got) > 0 {
			return
		}
		if d := req.GetDescription(); strings.ContainsAny(d, `&<>"'/`) || fzControl(d) || !utf8.ValidString(d) || utf8.RuneCountInString(d) > 512 {
			t.Fatalf("accepted description %q", d)
		}
		if as := req.GetSpec().GetAutoStop(); as != nil && (as.GetEnable() && as.Duration == nil ||
			as.Duration != nil && (as.GetDuration() < 3600 || as.GetDuration() > 86400) || as.StopTimestamp != nil || as.RemainTime != nil) {
			t.Fatalf("accepted auto-stop %v", as)
		}
	})
}
