package buildinfo_test

import (
	"runtime"
	"strings"
	"testing"

	"github.com/devenv-facade/devenv-facade/internal/buildinfo"
)

func TestRead(t *testing.T) {
	info := buildinfo.Read()
	if info.GoVersion != runtime.Version() || info.Version == "" || info.Commit == "" {
		t.Errorf("Read() = %+v", info)
	}
}

func TestInfoString(t *testing.T) {
	tests := []struct {
		info buildinfo.Info
		want string
	}{
		{buildinfo.Info{Version: "v1.2.3", Commit: "0123456789abcdef0123", GoVersion: "go1.26.8"}, "v1.2.3 (commit 0123456789ab, go1.26.8)"},
		{buildinfo.Info{Version: "(devel)", Commit: "abc", Modified: true, GoVersion: "go1.26.8"}, "(devel) (commit abc, modified, go1.26.8)"},
	}
	for _, tt := range tests {
		if got := tt.info.String(); got != tt.want {
			t.Errorf("%+v.String() = %q; want %q", tt.info, got, tt.want)
		}
	}
}

func TestVersionOverride(t *testing.T) {
	old := buildinfo.Version
	t.Cleanup(func() { buildinfo.Version = old })
	buildinfo.Version = "v9.9.9"
	if got := buildinfo.Read().String(); !strings.HasPrefix(got, "v9.9.9 ") {
		t.Errorf("with Version set, String() = %q", got)
	}
}
