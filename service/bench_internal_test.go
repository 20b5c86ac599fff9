package service

import (
	"strings"
	"testing"

	devenvv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/devenv/v1"
	"github.com/devenv-facade/devenv-facade/internal/modelarts"
)

func BenchmarkValidateDeleteInstance(b *testing.B) {
	req := &devenvv1.DeleteInstanceRequest{ProjectId: "0123456789abcdef0123456789abcdef", InstanceId: "DE-7d558ef8-c73d-11ea-964c-0255ac100033"}
	b.ReportAllocs()
	for b.Loop() {
		if br := validateDeleteInstance(req); br != nil {
			b.Fatal(br)
		}
	}
}

// BenchmarkValidateCallerToken checks a caller's token of a typical IAM
// token's size, the work added to a call that forwards one.
func BenchmarkValidateCallerToken(b *testing.B) {
	tok := strings.Repeat("MIIDbQYJKoZIhvcNAQcCoIIDXjCCA1oCAQExDTALBglghkgBZQMEAgEwggG7Bgkq", 64) // 4 KiB
	b.ReportAllocs()
	for b.Loop() {
		if v := checkCallerToken(tok); v != nil {
			b.Fatal(v)
		}
	}
}

func BenchmarkLookupRule(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if r := modelarts.LookupRule(400, "ModelArts.6309"); r == nil {
			b.Fatal("no rule")
		}
	}
}
