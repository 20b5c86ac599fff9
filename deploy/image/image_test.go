package image_test

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/devenv-facade/devenv-facade/deploy/image"
)

// The image under test: the one the Makefile built when
// DEVENV_FACADE_IMAGE names its tarball (make test-image; the OCI layout
// is expected next to it, in oci/, and DEVENV_FACADE_IMAGE_TAG names the
// tag it was given), otherwise one this test builds from a freshly built
// facade.
const (
	imageEnv    = "DEVENV_FACADE_IMAGE"
	imageTagEnv = "DEVENV_FACADE_IMAGE_TAG"
)

// maxCompressed bounds what a pull transfers; the facade is about 8 MiB
// compressed.
const maxCompressed = 16 << 20

// maxUncompressed bounds the unpacked image; the binary is about 20 MB.
const maxUncompressed = 40 << 20

// built is the image under test, with where it came from.
type built struct {
	tarPath, ociDir string
	arch            string
	tag             string // the tag it was given, if known
	version         string // the version the facade reports, if known
	binary          string // the binary it was built from (self-built only)
	created         time.Time
}

var (
	buildOnce sync.Once
	buildOut  built
	buildErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if buildOut.tarPath != "" {
		os.RemoveAll(filepath.Dir(buildOut.tarPath))
	}
	os.Exit(code)
}

// underTest returns the image to inspect, building it once per test run.
func underTest(t *testing.T) built {
	t.Helper()
	if tarPath := os.Getenv(imageEnv); tarPath != "" {
		return built{tarPath: tarPath, ociDir: filepath.Join(filepath.Dir(tarPath), "oci"), arch: os.Getenv("DEVENV_FACADE_IMAGE_ARCH"), tag: os.Getenv(imageTagEnv)}
	}
	buildOnce.Do(func() { buildOut, buildErr = buildImage() })
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return buildOut
}

// buildImage builds the facade statically for this machine and an image
// of it, as `make image` does, into a temporary directory.
func buildImage() (built, error) {
	dir, err := os.MkdirTemp("", "devenv-facade-image-test-")
	if err != nil {
		return built{}, err
	}
	b := built{
		tarPath: filepath.Join(dir, "devenv-facade.tar"), ociDir: filepath.Join(dir, "oci"),
		arch: runtime.GOARCH, tag: "devenv-facade:imagetest", version: "v0.0.0-imagetest", binary: filepath.Join(dir, "devenv-facade"),
		created: time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC),
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags",
		"-s -w -X github.com/devenv-facade/devenv-facade/internal/buildinfo.Version="+b.version, "-o", b.binary, "./cmd/devenv-facade")
	cmd.Dir = "../.."
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+b.arch, "GOFLAGS=-buildvcs=false")
	if out, err := cmd.CombinedOutput(); err != nil {
		return built{}, errors.New("go build ./cmd/devenv-facade: " + err.Error() + "\n" + string(out))
	}
	img, err := image.Build(image.Config{Binary: b.binary, Arch: b.arch, Version: b.version, Revision: "0123456789abcdef0123456789abcdef01234567", Created: b.created})
	if err != nil {
		return built{}, err
	}
	if err := image.WriteTarball(img, b.tarPath, b.tag); err != nil {
		return built{}, err
	}
	return b, image.WriteLayout(img, b.ociDir, b.tag)
}

// load reads the image back from the tarball, as docker load would.
func load(t *testing.T, b built) v1.Image {
	t.Helper()
	img, err := tarball.ImageFromPath(b.tarPath, nil)
	if err != nil {
		t.Fatalf("reading %s: %v", b.tarPath, err)
	}
	return img
}

func TestImage_config(t *testing.T) {
	t.Parallel()
	b := underTest(t)
	cf, err := load(t, b).ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	c := cf.Config
	if !slices.Equal(c.Entrypoint, []string{image.BinaryPath}) || len(c.Cmd) != 0 {
		t.Errorf("entrypoint %q, cmd %q; want [%s] and no cmd", c.Entrypoint, c.Cmd, image.BinaryPath)
	}
	if !regexp.MustCompile(`^[1-9][0-9]*:[1-9][0-9]*$`).MatchString(c.User) {
		t.Errorf("user %q; want a numeric non-root uid:gid (root is 0, and a name needs /etc/passwd)", c.User)
	}
	if cf.OS != "linux" || (b.arch != "" && cf.Architecture != b.arch) {
		t.Errorf("platform %s/%s; want linux/%s", cf.OS, cf.Architecture, b.arch)
	}
	for _, want := range []string{"DEVENV_FACADE_GRPC_ADDR=0.0.0.0:9090", "DEVENV_FACADE_HTTP_ADDR=0.0.0.0:8080", "DEVENV_FACADE_ADMIN_ADDR=0.0.0.0:8081"} {
		if !slices.Contains(c.Env, want) {
			t.Errorf("env %q lacks %s", c.Env, want)
		}
	}
	for _, p := range []string{"9090/tcp", "8080/tcp", "8081/tcp"} {
		if _, ok := c.ExposedPorts[p]; !ok {
			t.Errorf("exposed ports %v lack %s", c.ExposedPorts, p)
		}
	}
	for _, l := range []string{"org.opencontainers.image.source", "org.opencontainers.image.version", "org.opencontainers.image.revision", "org.opencontainers.image.created"} {
		if c.Labels[l] == "" {
			t.Errorf("label %s is missing or empty", l)
		}
	}
	if len(cf.History) != 2 || len(cf.RootFS.DiffIDs) != 2 {
		t.Errorf("%d history entries and %d layers; want 2 and 2 (CA certificates, binary)", len(cf.History), len(cf.RootFS.DiffIDs))
	}
	if !b.created.IsZero() && !cf.Created.Time.Equal(b.created) {
		t.Errorf("created %s; want %s", cf.Created.Time, b.created)
	}
}

// entry is a file of the flattened image.
type entry struct {
	hdr  *tar.Header
	data []byte
}

// files flattens the image's layers, as a container runtime would.
func files(t *testing.T, img v1.Image) map[string]entry {
	t.Helper()
	rc := mutate.Extract(img)
	defer rc.Close()
	out := map[string]entry{}
	tr := tar.NewReader(rc)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		out[strings.TrimSuffix(hdr.Name, "/")] = entry{hdr, data}
	}
}

func TestImage_onlyTheExpectedFiles(t *testing.T) {
	t.Parallel()
	b := underTest(t)
	img := load(t, b)
	got := files(t, img)
	want := map[string]int64{ // path -> mode
		"etc": 0o755, "etc/ssl": 0o755, "etc/ssl/certs": 0o755, "etc/ssl/certs/ca-certificates.crt": 0o644,
		"usr": 0o755, "usr/local": 0o755, "usr/local/bin": 0o755, "usr/local/bin/devenv-facade": 0o755,
	}
	var names []string
	for name := range got {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		e := got[name]
		mode, ok := want[name]
		if !ok {
			t.Errorf("unexpected file %s (%s)", name, e.hdr.FileInfo().Mode())
			continue
		}
		if e.hdr.Mode != mode {
			t.Errorf("%s: mode %o; want %o (no setuid, nothing writable but by root)", name, e.hdr.Mode, mode)
		}
		if e.hdr.Uid != 0 || e.hdr.Gid != 0 {
			t.Errorf("%s: owned by %d:%d; want root, so the facade's user cannot change it", name, e.hdr.Uid, e.hdr.Gid)
		}
	}
	for name := range want {
		if _, ok := got[name]; !ok {
			t.Errorf("the image lacks %s", name)
		}
	}
	for _, shell := range []string{"bin/sh", "bin/bash", "bin/busybox", "usr/bin/sh"} {
		if _, ok := got[shell]; ok {
			t.Errorf("the image has a shell: %s", shell)
		}
	}
	var unpacked int64
	for _, e := range got {
		unpacked += int64(len(e.data))
	}
	if unpacked > maxUncompressed {
		t.Errorf("the unpacked image is %.1f MiB; want at most %d MiB", float64(unpacked)/(1<<20), maxUncompressed>>20)
	}
	size, err := image.CompressedSize(img)
	if err != nil {
		t.Fatal(err)
	}
	if size > maxCompressed {
		t.Errorf("the image is %.1f MiB compressed; want at most %d MiB", float64(size)/(1<<20), maxCompressed>>20)
	}
	t.Logf("image: %.1f MiB compressed, %.1f MiB unpacked", float64(size)/(1<<20), float64(unpacked)/(1<<20))
}

func TestImage_caCertificates(t *testing.T) {
	t.Parallel()
	b := underTest(t)
	crt := files(t, load(t, b))["etc/ssl/certs/ca-certificates.crt"].data
	want, n, err := image.CABundle()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(crt, want) {
		t.Errorf("the image's CA bundle (%d bytes) is not the pinned module's (%d bytes)", len(crt), len(want))
	}
	count := 0
	for rest := crt; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			t.Fatalf("certificate %d: %v", count, err)
		}
		if !cert.IsCA {
			t.Errorf("%s is not a CA", cert.Subject)
		}
		count++
	}
	if count != n || count < 100 {
		t.Errorf("%d certificates; want %d (the unconstrained Mozilla roots, over 100)", count, n)
	}
	if _, err := x509.SystemCertPool(); err != nil {
		t.Logf("no system pool here to compare with: %v", err)
	}
}

// TestImage_binaryRuns extracts the facade from its layer and runs it on
// this machine: it is static, prints its version, and with the image's
// environment (every listener on 0.0.0.0) and no caller authentication it
// refuses to start, saying what to add.
func TestImage_binaryRuns(t *testing.T) {
	t.Parallel()
	b := underTest(t)
	img := load(t, b)
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if cf.Architecture != runtime.GOARCH {
		t.Skipf("the image is for %s; this machine is %s", cf.Architecture, runtime.GOARCH)
	}
	bin := filepath.Join(t.TempDir(), "devenv-facade")
	if err := os.WriteFile(bin, files(t, img)["usr/local/bin/devenv-facade"].data, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := image.CheckStatic(bin, cf.Architecture); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, "--version").CombinedOutput()
	if err != nil {
		t.Fatalf("--version: %v\n%s", err, out)
	}
	if !regexp.MustCompile(`^devenv-facade \S+ \(commit \S+.*, go1\.\d+`).Match(out) {
		t.Errorf("--version printed %q", out)
	}
	if b.version != "" && !strings.Contains(string(out), b.version) {
		t.Errorf("--version printed %q; want version %s", out, b.version)
	}
	if v := cf.Config.Labels["org.opencontainers.image.version"]; !strings.Contains(string(out), v) {
		t.Errorf("--version printed %q; the image's version label says %s", out, v)
	}

	// The image's environment, with free ports: the facade refuses to
	// listen beyond loopback without caller authentication.
	env := []string{"PATH=/nonexistent"}
	for _, kv := range cf.Config.Env {
		env = append(env, regexp.MustCompile(`:\d+$`).ReplaceAllString(kv, ":0"))
	}
	cmd := exec.CommandContext(ctx, bin)
	cmd.Env = env
	out, err = cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("the facade started with the image's defaults and no caller authentication:\n%s", out)
	}
	for _, want := range []string{"refusing to listen on", "with no caller authentication", "--caller-tokens-file", "--insecure"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("with the image's defaults it said %q; want it to mention %q", out, want)
		}
	}

	// --print-config shows the image's defaults as coming from the
	// environment.
	cmd = exec.CommandContext(ctx, bin, "--print-config")
	cmd.Env = append([]string{"PATH=/nonexistent"}, cf.Config.Env...)
	out, err = cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("--print-config: %v\n%s", err, out)
	}
	for _, re := range []string{`(?m)^grpc-addr: 0\.0\.0\.0:9090 +# env DEVENV_FACADE_GRPC_ADDR$`, `(?m)^admin-addr: 0\.0\.0\.0:8081 +# env DEVENV_FACADE_ADMIN_ADDR$`} {
		if !regexp.MustCompile(re).Match(out) {
			t.Errorf("--print-config with the image's environment lacks %s:\n%s", re, out)
		}
	}
}

// TestImage_ociLayout: the OCI layout holds the same image as the
// tarball, named by its tag.
func TestImage_ociLayout(t *testing.T) {
	t.Parallel()
	b := underTest(t)
	p, err := layout.FromPath(b.ociDir)
	if err != nil {
		t.Fatalf("OCI layout %s: %v", b.ociDir, err)
	}
	idx, err := p.ImageIndex()
	if err != nil {
		t.Fatal(err)
	}
	m, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Manifests) != 1 {
		t.Fatalf("the layout's index has %d manifests; want 1", len(m.Manifests))
	}
	d := m.Manifests[0]
	if d.MediaType != types.OCIManifestSchema1 || d.Annotations["org.opencontainers.image.ref.name"] == "" {
		t.Errorf("index entry %+v; want an OCI manifest named by its tag", d)
	}
	// A docker-archive tarball keeps the config and the layers but not the
	// manifest, so compare those.
	fromTar := load(t, b)
	img, err := p.Image(d.Digest)
	if err != nil {
		t.Fatal(err)
	}
	for _, part := range []func(v1.Image) (v1.Hash, error){v1.Image.ConfigName, layerDigests} {
		want, err := part(fromTar)
		if err != nil {
			t.Fatal(err)
		}
		got, err := part(img)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("the layout's image has %s; the tarball's %s", got, want)
		}
	}
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range layers {
		if mt, err := l.MediaType(); err != nil || mt != types.OCILayer {
			t.Errorf("layer media type %s (%v); want %s", mt, err, types.OCILayer)
		}
	}
}

// TestImage_tag: the tarball and the OCI layout carry the tag the image was
// built with (make test-image: IMAGE), which docker load and podman load
// give the image they load.
func TestImage_tag(t *testing.T) {
	t.Parallel()
	b := underTest(t)
	if b.tag == "" {
		t.Skip(imageTagEnv + " is not set: the tag the image was given is unknown")
	}
	want, err := name.NewTag(b.tag)
	if err != nil {
		t.Fatalf("%s=%q: %v", imageTagEnv, b.tag, err)
	}
	m, err := tarball.LoadManifest(func() (io.ReadCloser, error) { return os.Open(b.tarPath) })
	if err != nil {
		t.Fatal(err)
	}
	if len(m) != 1 || len(m[0].RepoTags) != 1 {
		t.Fatalf("the tarball's manifest %+v; want one image with one tag", m)
	}
	if got, err := name.NewTag(m[0].RepoTags[0]); err != nil || got.Name() != want.Name() {
		t.Errorf("the tarball is tagged %q; want %q", m[0].RepoTags[0], b.tag)
	}
	p, err := layout.FromPath(b.ociDir)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := p.ImageIndex()
	if err != nil {
		t.Fatal(err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(im.Manifests) != 1 || im.Manifests[0].Annotations["org.opencontainers.image.ref.name"] != want.TagStr() {
		t.Errorf("the OCI layout's index %+v; want one image named %q", im.Manifests, want.TagStr())
	}
}

// TestMakeTestImage_leavesTheImageAlone: `make test-image` builds and
// inspects its own copy, so the image `make image IMAGE=...` wrote into
// bin/image/ (the kustomization's devenv-facade:dev, say) survives it.
// make -n prints what it would run, with the variables expanded.
func TestMakeTestImage_leavesTheImageAlone(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("make is not installed")
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "make", "--no-print-directory", "-n", "test-image", "IMAGE=devenv-facade:checked")
	cmd.Dir = "../.."
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("make -n test-image: %v\n%s", err, out)
	}
	// bin/image/ and bin/image (at the end of a word) are make image's;
	// bin/image-test/ is not.
	if loc := regexp.MustCompile(`\bbin/image(/|\s|$)`).FindIndex(out); loc != nil {
		t.Errorf("make test-image touches make image's bin/image/:\n%s", out)
	}
	for _, want := range []string{"-tag devenv-facade:checked", "DEVENV_FACADE_IMAGE_TAG=devenv-facade:checked", "go test"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("make -n test-image lacks %q:\n%s", want, out)
		}
	}
}
