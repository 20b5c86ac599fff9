package yamlerr_test

import (
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/devenv-facade/devenv-facade/internal/yamlerr"
)

func TestDescribe(t *testing.T) {
	t.Parallel()
	var strict struct {
		A string `yaml:"a"`
	}
	tests := []struct {
		input string
		want  string
	}{
		{"a: [hunter2-secret", "invalid YAML at line"},
		{"a: {b: hunter2-secret}", "invalid YAML at line"},
	}
	for _, tt := range tests {
		err := yaml.Unmarshal([]byte(tt.input), &strict)
		if err == nil {
			t.Fatalf("%q parsed", tt.input)
		}
		got := yamlerr.Describe(err)
		if !strings.HasPrefix(got, tt.want) || strings.Contains(got, "hunter2") {
			t.Errorf("Describe(%q) = %q; want %q... without the input", tt.input, got, tt.want)
		}
	}
	dec := yaml.NewDecoder(strings.NewReader("token: hunter2-secret\n"))
	dec.KnownFields(true)
	if err := dec.Decode(&strict); err == nil {
		t.Fatal("unknown field accepted")
	} else if got := yamlerr.Describe(err); !strings.HasPrefix(got, "unknown field") || strings.Contains(got, "hunter2") {
		t.Errorf("Describe(unknown field) = %q", got)
	}
}
