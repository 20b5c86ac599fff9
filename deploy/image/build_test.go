package image_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/devenv-facade/devenv-facade/deploy/image"
)

// layerDigests hashes the digests of img's compressed layers together.
func layerDigests(img v1.Image) (v1.Hash, error) {
	layers, err := img.Layers()
	if err != nil {
		return v1.Hash{}, err
	}
	var all bytes.Buffer
	for _, l := range layers {
		d, err := l.Digest()
		if err != nil {
			return v1.Hash{}, err
		}
		all.WriteString(d.String() + "\n")
	}
	h, _, err := v1.SHA256(&all)
	return h, err
}

// TestBuild_reproducible: the same binary and time give the same digest.
func TestBuild_reproducible(t *testing.T) {
	t.Parallel()
	b := underTest(t)
	if b.binary == "" {
		t.Skip("checks images this test builds itself")
	}
	cfg := image.Config{Binary: b.binary, Arch: b.arch, Version: "v1", Revision: "r", Created: b.created}
	var digests []v1.Hash
	for range 2 {
		img, err := image.Build(cfg)
		if err != nil {
			t.Fatal(err)
		}
		d, err := img.Digest()
		if err != nil {
			t.Fatal(err)
		}
		digests = append(digests, d)
	}
	if digests[0] != digests[1] {
		t.Errorf("two builds of the same input: %s and %s", digests[0], digests[1])
	}
}

func TestBuild_refusesDynamicBinaries(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	script := filepath.Join(dir, "script")
	if err := os.WriteFile(script, []byte("#!/bin/sh\necho hi\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, binary, arch, wantIn string
	}{
		{"not_elf", script, "amd64", "not an ELF executable"},
		{"missing", filepath.Join(dir, "none"), "amd64", "not an ELF executable"},
		{"no_arch", script, "", "no architecture"},
	}
	if sh, err := exec.LookPath("sh"); err == nil && runtime.GOOS == "linux" {
		// The shell itself is dynamically linked on Debian.
		if image.CheckStatic(sh, "") != nil {
			tests = append(tests, struct{ name, binary, arch, wantIn string }{"dynamic", sh, runtime.GOARCH, "CGO_ENABLED=0"})
		}
	}
	if b := underTest(t); b.binary != "" && runtime.GOARCH == "amd64" {
		tests = append(tests, struct{ name, binary, arch, wantIn string }{"wrong_arch", b.binary, "arm64", "not arm64"})
	}
	for _, tt := range tests {
		_, err := image.Build(image.Config{Binary: tt.binary, Arch: tt.arch})
		if err == nil || !strings.Contains(err.Error(), tt.wantIn) {
			t.Errorf("%s: Build: %v; want an error mentioning %q", tt.name, err, tt.wantIn)
		}
	}
}
