package service

import (
	"testing"

	"google.golang.org/protobuf/proto"

	notebookv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/notebook/v1"
)

// TestStopAt: a lease's deadline is create_at + duration, for a lease that
// is on and TIMING (ModelArts' default when it leaves the type out); none
// when it is off, IDLE, or lacks a number.
func TestStopAt(t *testing.T) {
	t.Parallel()
	lease := func(create, duration int64, enable *bool, typ *string) *notebookv1.Lease {
		return &notebookv1.Lease{CreateAt: proto.Int64(create), Duration: proto.Int64(duration), Enable: enable, Type: typ}
	}
	tests := []struct {
		name  string
		lease *notebookv1.Lease
		want  *int64
	}{
		// The use case's renewed lease: update_at 1687657510014 + 1h.
		{"timing", lease(1687656452470, 4657544, proto.Bool(true), proto.String("TIMING")), proto.Int64(1687661110014)},
		{"type_lower_case", lease(1, 2, proto.Bool(true), proto.String("timing")), proto.Int64(3)},
		{"no_type_no_enable", lease(1, 2, nil, nil), proto.Int64(3)},
		{"off", lease(1, 2, proto.Bool(false), proto.String("TIMING")), nil},
		{"idle", lease(1, 2, proto.Bool(true), proto.String("IDLE")), nil},
		{"no_auto_stop", lease(1, -1, proto.Bool(true), nil), nil},
		{"no_create_at", &notebookv1.Lease{Duration: proto.Int64(2)}, nil},
		{"no_duration", &notebookv1.Lease{CreateAt: proto.Int64(1)}, nil},
		{"no_lease", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := stopAt(tt.lease)
			if (got == nil) != (tt.want == nil) || got != nil && *got != *tt.want {
				t.Fatalf("stopAt(%v) = %v; want %v", tt.lease, fmtPtr(got), fmtPtr(tt.want))
			}
		})
	}
}

func fmtPtr(p *int64) any {
	if p == nil {
		return "none"
	}
	return *p
}
